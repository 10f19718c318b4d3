"""Invites: one-time links by which admins add users, on the users page and the command line."""

from __future__ import annotations

import asyncio
import functools
import re
from pathlib import Path

import pytest
from quart import Quart
from quart.testing import QuartClient

from quart_app import invites
from quart_app.accounts import NewUser, set_disabled
from quart_app.clock import FrozenClock
from quart_app.invites import InviteRequest, InviteState
from quart_app.redaction import redact
from quart_app.services import Services
from quart_app.storage.queries.users import User, count_users, user_by_name
from quart_app.sweep import sweep

from .conftest import PASSWORD, Browser, log_in, make_user, share_for, token_of
from .test_cli import oncelink

DAY = 24 * 3600
NEW_USER = NewUser("dana", "dana's own passphrase")


async def invite_url(
    services: Services, creator: User | None = None, *, admin: bool = False, days: int = 7
) -> str:
    issued = await invites.create_invite(services, creator, InviteRequest(admin, days, "Dana"))
    assert isinstance(issued, invites.IssuedInvite)
    return issued.url


def token_in(url: str) -> str:
    return url.rsplit("/invite/", 1)[1]


async def test_an_invite_makes_one_account_of_the_role_it_names(services: Services) -> None:
    token = token_in(await invite_url(services, admin=True))
    user_id = await invites.accept_invite(services, token, NEW_USER)
    dana = await user_by_name(services.db.reader, "dana")
    assert dana is not None
    assert (dana.id, dana.is_admin) == (user_id, True)
    assert (await invites.invite_state(services, token))[0] is InviteState.USED
    with pytest.raises(invites.InviteClosed) as closed:
        await invites.accept_invite(services, token, NewUser("eve", "eve's own passphrase"))
    assert closed.value.state is InviteState.USED
    assert await user_by_name(services.db.reader, "eve") is None


async def test_looking_at_an_invite_never_uses_it(services: Services) -> None:
    token = token_in(await invite_url(services))
    for _ in range(3):
        assert (await invites.invite_state(services, token))[0] is InviteState.OPEN
    await invites.accept_invite(services, token, NEW_USER)


async def test_invites_racing_for_one_link_make_one_account(services: Services) -> None:
    token = token_in(await invite_url(services))
    people = [NewUser(f"racer{n}", "a long enough passphrase") for n in range(12)]
    results = await asyncio.gather(
        *(invites.accept_invite(services, token, person) for person in people),
        return_exceptions=True,
    )
    made = [result for result in results if isinstance(result, int)]
    refused = [result for result in results if isinstance(result, invites.InviteClosed)]
    assert (len(made), len(refused)) == (1, 11)
    assert await count_users(services.db.reader) == 1


async def test_an_invite_runs_out_after_seven_days_unless_told_otherwise(
    services: Services, clock: FrozenClock
) -> None:
    week = token_in(await invite_url(services))
    day = token_in(await invite_url(services, days=1))
    clock.advance(DAY + 1)
    assert (await invites.invite_state(services, day))[0] is InviteState.EXPIRED
    assert (await invites.invite_state(services, week))[0] is InviteState.OPEN
    clock.advance(6 * DAY)
    assert (await invites.invite_state(services, week))[0] is InviteState.EXPIRED
    with pytest.raises(invites.InviteClosed):
        await invites.accept_invite(services, week, NEW_USER)


async def test_a_revoked_invite_and_one_from_a_disabled_admin_make_nothing(
    services: Services,
) -> None:
    boss = await make_user(services, "boss", admin=True)
    revoked = token_in(await invite_url(services, boss))
    orphaned = token_in(await invite_url(services, boss))
    (_, first) = await invites.open_invites(services)  # newest first
    assert await invites.revoke_invite(services, first.id)
    assert not await invites.revoke_invite(services, first.id)
    await set_disabled(services, boss.id, disabled=True)
    for token in (revoked, orphaned):
        assert (await invites.invite_state(services, token))[0] is InviteState.REVOKED
    assert await invites.open_invites(services) == []


async def test_a_taken_name_leaves_the_invite_open(services: Services) -> None:
    await make_user(services, "dana")
    token = token_in(await invite_url(services))
    with pytest.raises(invites.NameTaken):
        await invites.accept_invite(services, token, NewUser("DANA", "a long passphrase"))
    assert (await invites.invite_state(services, token))[0] is InviteState.OPEN


async def test_invites_links_and_setup_tokens_are_never_valid_as_each_other(
    app: Quart, client: QuartClient, services: Services, user: User
) -> None:
    invite = token_in(await invite_url(services))
    link = token_of((await share_for(services, user)).links[0].url)
    setup = services.signer.issue_setup()
    assert (await client.get(f"/connect/{invite}")).status_code == 404
    assert (await client.get(f"/setup/{invite}")).status_code == 410
    for token in (link, setup):
        assert (await invites.invite_state(services, token))[0] is InviteState.INVALID
        assert (await client.get(f"/invite/{token}")).status_code == 404
    assert (await client.get(f"/connect/{link}")).status_code == 200


async def test_a_form_sent_twice_makes_one_invite(services: Services) -> None:
    boss = await make_user(services, "boss", admin=True)
    request = InviteRequest(False, 7, "")
    first = await invites.create_invite(services, boss, request, form_nonce="n" * 22)
    again = await invites.create_invite(services, boss, request, form_nonce="n" * 22)
    assert isinstance(first, invites.IssuedInvite)
    assert isinstance(again, invites.AlreadyInvited)
    assert again.invite.id == first.invite.id
    assert len(await invites.open_invites(services)) == 1


async def test_the_sweep_forgets_invites_whose_links_expired(
    services: Services, clock: FrozenClock
) -> None:
    await invite_url(services, days=1)
    clock.advance(DAY + 61)
    await sweep(services)
    rows = await services.db.reader.execute_fetchall("SELECT count(*) FROM invites")
    assert next(iter(rows))[0] == 0


def test_logs_never_show_an_invite_token() -> None:
    # Nothing after a secret prefix is kept, whatever follows it (see test_redaction.py).
    logged = redact('"GET /invite/eyJqIjoi.abc HTTP/1.1" 200')
    assert logged == '"GET /invite/[redacted]'
    assert "eyJqIjoi" not in redact('"GET /INVITE/%20eyJqIjoi.abc HTTP/1.1" 200')


# The pages ---------------------------------------------------------------------------


@pytest.fixture
async def admin(client: QuartClient, services: Services) -> Browser:
    await make_user(services, "boss", admin=True)
    return await log_in(client, "boss")


def link_in(page: str) -> str:
    found = re.search(r'value="(http://oncelink\.test/invite/[^"]+)"', page)
    assert found is not None
    return found.group(1)


async def test_an_admin_invites_from_the_users_page_and_sees_the_link_once(
    admin: Browser,
) -> None:
    page = await (await admin.get("/admin/users")).get_data(as_text=True)
    nonce = re.search(r'name="nonce" value="([^"]+)"', page)
    assert nonce is not None
    form = {"label": "Dana from support", "days": "7", "admin": "yes", "nonce": nonce.group(1)}
    made = await admin.post("/admin/invites", form)
    shown = await made.get_data(as_text=True)
    assert made.status_code == 201
    assert link_in(shown).startswith("http://oncelink.test/invite/")
    assert "shown only this once" in shown
    listing = await (await admin.get("/admin/users")).get_data(as_text=True)
    assert "/invite/" not in listing
    assert "Dana from support" in listing
    assert ">invited <small>until" in listing
    again = await admin.post("/admin/invites", form)  # a reload of the answer's page
    assert "This form was sent already" in await again.get_data(as_text=True)
    assert "/invite/" not in await again.get_data(as_text=True)


async def test_only_admins_invite(browser: Browser, services: Services) -> None:
    refused = await browser.post("/admin/invites", {"days": "7"})
    assert refused.status_code == 403
    assert await invites.open_invites(services) == []


async def test_an_invite_with_a_bad_lifetime_or_label_is_refused_keeping_the_form(
    admin: Browser, services: Services
) -> None:
    form = {"label": "x" * 101, "days": "99", "admin": "yes"}
    refused = await admin.post("/admin/invites", form)
    page = await refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Let the invite work for 1 to 30 days." in page
    assert "Use at most 100 characters." in page
    assert 'value="yes" checked' in page
    assert await invites.open_invites(services) == []


async def test_the_invitee_chooses_a_name_and_a_password_and_is_logged_in(
    app: Quart, services: Services
) -> None:
    path = "/invite/" + token_in(await invite_url(services))
    invitee = app.test_client()
    shown = await invitee.get(path)
    page = await shown.get_data(as_text=True)
    assert shown.status_code == 200
    assert "You are invited to oncelink" in page
    assert (shown.headers["Cache-Control"], shown.headers["Referrer-Policy"]) == (
        "no-store",
        "no-referrer",
    )
    assert (await invitee.head(path)).status_code == 200
    short = await invitee.post(path, form={"name": "dana", "password": "short"})
    assert short.status_code == 422
    assert 'value="dana"' in await short.get_data(as_text=True)
    done = await invitee.post(path, form={"name": "dana", "password": PASSWORD})
    assert (done.status_code, done.headers["Location"]) == (303, "/")
    dashboard = await invitee.get("/")
    assert dashboard.status_code == 200
    assert "dana" in await dashboard.get_data(as_text=True)
    used = await app.test_client().get(path)
    assert used.status_code == 410
    assert "This invite has already been used" in await used.get_data(as_text=True)


async def test_a_cross_site_post_uses_no_invite(app: Quart, services: Services) -> None:
    token = token_in(await invite_url(services))
    form = {"name": "dana", "password": PASSWORD}
    response = await app.test_client().post(
        f"/invite/{token}", form=form, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert response.status_code == 403
    assert (await invites.invite_state(services, token))[0] is InviteState.OPEN


async def test_an_admin_revokes_an_invite_after_being_asked(
    admin: Browser, services: Services
) -> None:
    token = token_in(await invite_url(services))
    (invite,) = await invites.open_invites(services)
    asked = await admin.post(f"/admin/invites/{invite.id}/revoke")
    assert "Revoke this invite for “Dana”?" in await asked.get_data(as_text=True)
    assert (await invites.invite_state(services, token))[0] is InviteState.OPEN
    done = await admin.post(f"/admin/invites/{invite.id}/revoke", {"confirm": "yes"})
    assert done.status_code == 303
    assert (await invites.invite_state(services, token))[0] is InviteState.REVOKED
    gone = await admin.post(f"/admin/invites/{invite.id}/revoke", {"confirm": "yes"})
    assert gone.status_code == 404


# The command line ----------------------------------------------------------------------


def test_the_command_line_prints_an_invite_link_and_nothing_else(
    tmp_path: Path, database: str
) -> None:
    cli = functools.partial(oncelink, tmp_path, database=database)
    made = cli("user", "invite", "--admin", "--days", "3", "--for", "Dana")
    assert made.returncode == 0, made.stderr
    assert re.fullmatch(r"http://127\.0\.0\.1:8000/invite/[A-Za-z0-9_.-]+\n", made.stdout)
    assert cli("user", "invite", "--days", "31").returncode == 2


async def test_accepting_an_invite_where_someone_is_logged_in_switches_the_browser_over(
    browser: Browser, services: Services
) -> None:
    path = "/invite/" + token_in(await invite_url(services))
    page = await (await browser.get(path)).get_data(as_text=True)
    assert "You are logged in as" in page
    done = await browser.client.post(path, form={"name": "dana", "password": PASSWORD})
    assert done.status_code == 303
    owner = await (await browser.get("/")).get_data(as_text=True)
    assert ">dana</strong>" in owner
