"""Changing a password and disabling users end sessions on the server."""

from __future__ import annotations

import re

from quart import Quart
from quart.testing import QuartClient

from quart_app.accounts import set_disabled
from quart_app.api_tokens import create_api_token
from quart_app.services import Services
from quart_app.storage.queries.users import User

from .apiclient import JSON_ACCEPT, ApiClient, body_of
from .conftest import (
    PASSWORD,
    Browser,
    log_in,
    make_user,
    query_directly,
    share_for,
    token_of,
)

NEW_PASSWORD = "a brand new passphrase"


async def test_password_change_logs_out_every_other_session(
    app: Quart, browser: Browser, user: User
) -> None:
    other = await log_in(app.test_client())
    changed = await browser.post("/account/password", {"current": PASSWORD, "new": NEW_PASSWORD})
    assert (changed.status_code, changed.headers["Location"]) == (303, "/account?changed=password")
    page = await (await browser.get("/account?changed=password")).get_data(as_text=True)
    assert "Password changed" in page  # this browser got a fresh session
    assert f'name="csrf" value="{browser.csrf}"' not in page  # and forms for it
    assert (await other.get("/")).status_code == 302
    fresh = app.test_client()
    assert (
        await fresh.post("/login", form={"name": "user1", "password": PASSWORD})
    ).status_code == 401
    assert (
        await fresh.post("/login", form={"name": "user1", "password": NEW_PASSWORD})
    ).status_code == 303


async def test_password_change_needs_the_current_password(browser: Browser) -> None:
    response = await browser.post("/account/password", {"current": "guess", "new": NEW_PASSWORD})
    assert response.status_code == 422
    assert "That is not your current password." in await response.get_data(as_text=True)


async def test_new_password_must_be_long_enough(browser: Browser) -> None:
    response = await browser.post("/account/password", {"current": PASSWORD, "new": "short"})
    assert response.status_code == 422
    assert "at least 10 characters" in await response.get_data(as_text=True)


async def test_admin_disabling_a_user_ends_their_sessions_and_links(
    app: Quart, client: QuartClient, services: Services
) -> None:
    await make_user(services, "boss", admin=True)
    worker = await make_user(services, "worker")
    worker_browser = await log_in(app.test_client(), "worker")
    created = await share_for(services, worker)
    admin = await log_in(client, "boss")
    listing = await (await admin.get("/admin/users")).get_data(as_text=True)
    assert "worker" in listing
    asked = await admin.post(f"/admin/users/{worker.id}/disable")
    assert "Disable worker?" in await asked.get_data(as_text=True)  # without JavaScript
    assert (await worker_browser.get("/")).status_code == 200  # asking changed nothing
    disabled = await admin.post(f"/admin/users/{worker.id}/disable", {"confirm": "yes"})
    assert disabled.status_code == 303
    assert (await worker_browser.get("/")).status_code == 302
    link = await app.test_client().post("/connect/" + token_of(created.links[0].url))
    assert link.status_code == 410
    relogin = await app.test_client().post("/login", form={"name": "worker", "password": PASSWORD})
    assert relogin.status_code == 401
    assert (await admin.post(f"/admin/users/{worker.id}/enable")).status_code == 303
    relogin = await app.test_client().post("/login", form={"name": "worker", "password": PASSWORD})
    assert relogin.status_code == 303


async def test_only_admins_manage_users(browser: Browser, services: Services) -> None:
    other = await make_user(services, "user2")
    assert (await browser.get("/admin/users")).status_code == 403
    assert (await browser.post(f"/admin/users/{other.id}/disable")).status_code == 403


async def test_admins_cannot_lock_themselves_out(client: QuartClient, services: Services) -> None:
    boss = await make_user(services, "boss", admin=True)
    admin = await log_in(client, "boss")
    assert (await admin.post(f"/admin/users/{boss.id}/disable")).status_code == 400
    assert (await admin.get("/")).status_code == 200


async def test_disabling_a_user_revokes_their_api_tokens(
    api: ApiClient, client: QuartClient, services: Services, user: User
) -> None:
    assert (await api.get("/shares")).status_code == 200
    await make_user(services, "boss", admin=True)
    admin = await log_in(client, "boss")
    await admin.post(f"/admin/users/{user.id}/disable", {"confirm": "yes"})
    assert (await api.get("/shares")).status_code == 401
    await admin.post(f"/admin/users/{user.id}/enable")
    assert (await api.get("/shares")).status_code == 401  # re-enabling gives no token back


async def test_disabling_in_the_background_answers_the_users_new_row(
    client: QuartClient, services: Services
) -> None:
    await make_user(services, "boss", admin=True)
    worker = await make_user(services, "worker")
    admin = await log_in(client, "boss")
    page = await (await admin.get("/admin/users")).get_data(as_text=True)
    assert 'aria-label="Disable worker"' in page
    assert 'hx-confirm="Disable worker? They are logged out everywhere' in page
    assert '<span class="visually-hidden">Actions</span>' in page
    row = await admin.post(
        f"/admin/users/{worker.id}/disable", {"confirm": "yes"}, headers={"HX-Request": "true"}
    )
    body = await row.get_data(as_text=True)
    assert body.startswith(f'<tr id="user-{worker.id}">')
    assert 'aria-label="Enable worker"' in body


async def test_disabling_a_user_revokes_their_shares_and_erases_their_notes(
    client: QuartClient, services: Services, user: User
) -> None:
    created = await share_for(services, user, note="the vault code is 1234", links=3)
    used, unused, _ = ("/connect/" + token_of(link.url) for link in created.links)
    assert (await client.post(used)).status_code == 200
    spent = await share_for(services, user, note="all used up")
    assert (await client.post("/connect/" + token_of(spent.links[0].url))).status_code == 200
    await make_user(services, "boss", admin=True)
    admin = await log_in(client, "boss")
    await admin.post(f"/admin/users/{user.id}/disable", {"confirm": "yes"})

    notes = await query_directly(services.settings.database, "SELECT note FROM shares")
    assert notes == [(None,), (None,)]
    await admin.post(f"/admin/users/{user.id}/enable")
    api = ApiClient(client, await create_api_token(services, user.id, "after"))
    status = await body_of(await api.get(f"/shares/{created.share.id}"))
    assert status["revoked_at"] is not None
    assert (status["links_used"], status["links_revoked"], status["links_left"]) == (1, 2, 0)
    spent_status = await body_of(await api.get(f"/shares/{spent.share.id}"))
    assert (spent_status["revoked_at"], spent_status["links_used"]) == (None, 1)
    # Enabled again, the user gets no link to the old note, and old links stay dead.
    more = await api.post(f"/shares/{created.share.id}/links", {"links": 1})
    assert more.status_code == 409
    assert (await client.post(unused, headers=JSON_ACCEPT)).status_code == 410
    assert (await body_of(await client.post(used, headers=JSON_ACCEPT)))["state"] == "used"
    assert (await api.post("/shares", {"note": "a new start"})).status_code == 201


async def test_the_dashboard_of_a_disabled_user_shows_their_shares_revoked(
    app: Quart, client: QuartClient, services: Services, user: User
) -> None:
    await share_for(services, user, links=2)
    await make_user(services, "boss", admin=True)
    admin = await log_in(app.test_client(), "boss")
    await admin.post(f"/admin/users/{user.id}/disable", {"confirm": "yes"})
    await set_disabled(services, user.id, disabled=False)
    page = await (await (await log_in(client)).get("/")).get_data(as_text=True)
    assert "badge-revoked" in page
    assert "0 left · 2 revoked" in page


async def test_a_password_change_says_api_tokens_still_work_or_revokes_them(
    api: ApiClient, browser: Browser
) -> None:
    form = {"current": PASSWORD, "new": NEW_PASSWORD}
    page = await (await browser.get("/account")).get_data(as_text=True)
    assert "Also revoke my 1 API token" in page
    kept = await browser.post("/account/password", form)
    page = await (await browser.get(kept.headers["Location"])).get_data(as_text=True)
    assert "Your API tokens still work" in page
    assert (await api.get("/shares")).status_code == 200
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert csrf is not None
    browser.csrf = csrf[1]  # the fresh session's
    again = {"current": NEW_PASSWORD, "new": PASSWORD, "revoke_tokens": "yes"}
    revoked = await browser.post("/account/password", again)
    page = await (await browser.get(revoked.headers["Location"])).get_data(as_text=True)
    assert "Your API tokens were revoked." in page
    assert (await api.get("/shares")).status_code == 401
