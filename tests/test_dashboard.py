"""The main user's dashboard: the new-share form, the share list, revoking."""

from __future__ import annotations

import asyncio
import html
import re
from urllib.parse import urlencode

import pytest
from quart import Quart
from quart.testing import QuartClient

from quart_app.clock import FrozenClock
from quart_app.services import Services
from quart_app.shares import list_shares
from quart_app.storage.queries.users import User

from .conftest import Browser, log_in, make_user, share_for, token_of

HTMX = {"HX-Request": "true"}
GOOD_FORM = {"note": "door code 4711", "label": "office", "ttl": "3600", "links": "3"}


def links_in(page: str) -> list[str]:
    return re.findall(r'value="(http://oncelink\.test/connect/[^"]+)"', page)


async def test_dashboard_shows_the_new_share_form_with_defaults(browser: Browser) -> None:
    page = await (await browser.get("/")).get_data(as_text=True)
    assert '<option value="3600" selected>1 hour</option>' in page
    assert 'name="links" type="number" min="1" max="1000" value="1"' in page
    assert "No shares yet" in page


async def test_creating_a_share_shows_its_links_once(browser: Browser, client: QuartClient) -> None:
    response = await browser.post("/shares", GOOD_FORM)
    page = await response.get_data(as_text=True)
    assert response.status_code == 201
    links = links_in(page)
    assert len(links) == 3
    assert len(set(links)) == 3
    assert "in 1 hour" in page
    assert "2027-01-15 09:00 UTC" in page
    assert page.count(">Copy</button>") == 3
    again = await (await browser.get("/")).get_data(as_text=True)
    assert links_in(again) == []
    assert "0 of 3 used" in again
    assert "3 left" in again
    assert (await client.get("/connect/" + token_of(links[0]))).status_code == 200


async def test_htmx_submit_gets_only_the_form_fragment(browser: Browser) -> None:
    response = await browser.post("/shares", GOOD_FORM, headers=HTMX)
    page = await response.get_data(as_text=True)
    assert page.startswith('<section id="new-share"')
    assert "<html" not in page
    assert len(links_in(page)) == 3
    assert "HX-Request" in response.headers["Vary"]


async def test_htmx_submit_updates_the_share_list_at_once(browser: Browser) -> None:
    response = await browser.post("/shares", GOOD_FORM, headers=HTMX)
    page = await response.get_data(as_text=True)
    partial = page.split('<hx-partial hx-target="#share-table" hx-swap="innerMorph">', 1)[1]
    assert "office" in partial
    assert "0 of 3 used" in partial


async def test_the_dashboard_has_a_main_heading(browser: Browser) -> None:
    page = await (await browser.get("/")).get_data(as_text=True)
    assert '<h1 class="visually-hidden">Dashboard</h1>' in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("note", "", "Write the note you want to share."),
        ("note", "   \n ", "Write the note you want to share."),
        ("note", "x" * (64 * 1024 + 1), "The note is too long: at most 64 KiB."),
        ("note", "é" * (32 * 1024 + 1), "The note is too long: at most 64 KiB."),
        ("ttl", "60", "Links must live between 5 minutes and 30 days."),
        ("ttl", str(31 * 86400), "Links must live between 5 minutes and 30 days."),
        ("ttl", "soon", "Choose how long the links live."),
        ("links", "0", "Ask for between 1 and 1000 links."),
        ("links", "5000", "Ask for between 1 and 1000 links."),
        ("links", "2.5", "Give the number of links as a whole number."),
        ("links", "", "Give the number of links as a whole number."),
        ("label", "L" * 201, "The label is too long: at most 200 characters."),
    ],
)
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
async def test_bad_form_input_rerenders_the_form_keeping_what_was_typed(
    browser: Browser, field: str, value: str, message: str, headers: dict[str, str]
) -> None:
    form = {**GOOD_FORM, field: value}
    response = await browser.post("/shares", form, headers=headers)
    page = await response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert links_in(page) == []
    if field != "note":
        assert ">door code 4711</textarea>" in page
    if field in ("label", "links") and value:
        assert f'value="{html.escape(value)}"' in page
    if field == "note" and value.strip():
        assert html.escape(value) in page
    listing = await (await browser.get("/")).get_data(as_text=True)
    assert "No shares yet" in listing


async def test_every_problem_with_the_form_is_shown_at_once(browser: Browser) -> None:
    form = {"note": "", "label": "L" * 201, "ttl": "soon", "links": "abc"}
    response = await browser.post("/shares", form, headers=HTMX)
    page = await response.get_data(as_text=True)
    assert response.status_code == 422
    for message in (
        "Write the note you want to share.",
        "The label is too long: at most 200 characters.",
        "Choose how long the links live.",
        "Give the number of links as a whole number.",
    ):
        assert message in page
    assert 'value="abc"' in page


def nonce_in(page: str) -> str:
    found = re.search(r'name="nonce" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


async def test_a_form_sent_again_makes_no_second_share(
    browser: Browser, services: Services, user: User
) -> None:
    nonce = nonce_in(await (await browser.get("/")).get_data(as_text=True))
    first = await browser.post("/shares", {**GOOD_FORM, "nonce": nonce})
    assert first.status_code == 201
    again = await browser.post("/shares", {**GOOD_FORM, "nonce": nonce})
    page = await again.get_data(as_text=True)
    assert again.status_code == 200
    assert "This form was sent already" in page
    assert "Nothing new was created. This form made “office”" in page
    assert links_in(page) == []
    assert len(await list_shares(services, user, limit=10)) == 1
    assert nonce_in(page) != nonce  # the form shown now is a new one
    assert (
        await browser.post("/shares", {**GOOD_FORM, "nonce": nonce_in(page)})
    ).status_code == 201


async def test_one_form_sent_many_times_at_once_makes_one_share(
    browser: Browser, services: Services, user: User
) -> None:
    nonce = nonce_in(await (await browser.get("/")).get_data(as_text=True))
    answers = await asyncio.gather(
        *(browser.post("/shares", {**GOOD_FORM, "nonce": nonce}) for _ in range(8))
    )
    assert sorted(answer.status_code for answer in answers) == [200] * 7 + [201]
    assert len(await list_shares(services, user, limit=10)) == 1


async def test_a_form_nonce_is_one_users_own(
    app: Quart, browser: Browser, services: Services, user: User
) -> None:
    nonce = nonce_in(await (await browser.get("/")).get_data(as_text=True))
    await browser.post("/shares", {**GOOD_FORM, "nonce": nonce})
    await make_user(services, "user2")
    other = await log_in(app.test_client(), "user2")
    assert (await other.post("/shares", {**GOOD_FORM, "nonce": nonce})).status_code == 201


async def test_share_list_shows_uses_newest_share_first(
    browser: Browser, client: QuartClient, services: Services, user: User, clock: FrozenClock
) -> None:
    older = await share_for(services, user, links=2)
    await client.post("/connect/" + token_of(older.links[0].url))
    clock.advance(60)
    await browser.post("/shares", {**GOOD_FORM, "label": "newer"})
    page = await (await browser.get("/")).get_data(as_text=True)
    assert page.index("newer") < page.index("1 of 2 used")
    assert page.count('<time datetime="2027-01-15T08:00:00Z"') >= 2


async def test_share_list_pages_through_older_shares(
    browser: Browser, services: Services, user: User
) -> None:
    for _ in range(25):
        await share_for(services, user)
    first = await (await browser.get("/")).get_data(as_text=True)
    assert first.count('<tr id="share-') == 20
    older = re.search(r'href="(/shares\?before=[^"]+)"', first)
    assert older is not None
    second = await (await browser.get(html.unescape(older.group(1)))).get_data(as_text=True)
    assert second.count('<tr id="share-') == 5
    assert "Older shares" not in second


async def test_revoking_a_share_burns_its_links(
    browser: Browser, client: QuartClient, services: Services, user: User
) -> None:
    created = await share_for(services, user, links=2)
    path = f"/shares/{created.share.id}/revoke"
    response = await browser.post(path, {"confirm": "yes"}, headers=HTMX)
    assert response.status_code == 200
    row = await response.get_data(as_text=True)
    assert row.startswith(f'<tr id="share-{created.share.id}"')
    assert "Revoked" in row
    for link in created.links:
        assert (await client.post("/connect/" + token_of(link.url))).status_code == 410


async def test_a_revoked_share_shows_its_links_as_revoked(
    browser: Browser, services: Services, user: User
) -> None:
    created = await share_for(services, user, links=2)
    await browser.post(f"/shares/{created.share.id}/revoke", {"confirm": "yes"})
    await browser.post("/links/revoke-all", {"confirm": "yes"})
    page = await (await browser.get("/")).get_data(as_text=True)
    assert "0 of 2 used" in page
    assert "0 left · 2 revoked</small>" in page


async def test_users_cannot_revoke_each_others_shares(
    browser: Browser, client: QuartClient, services: Services
) -> None:
    other = await make_user(services, "user2")
    theirs = await share_for(services, other)
    revoke = f"/shares/{theirs.share.id}/revoke"
    assert (await browser.post(revoke, {"confirm": "yes"})).status_code == 404
    pasted = await browser.post("/links/revoke", {"link": theirs.links[0].url})
    assert "not a link to one of your shares" in await pasted.get_data(as_text=True)
    assert (await client.post("/connect/" + token_of(theirs.links[0].url))).status_code == 200


async def test_revoking_a_pasted_link_leaves_its_siblings_working(
    browser: Browser, client: QuartClient, services: Services, user: User
) -> None:
    created = await share_for(services, user, links=2)
    response = await browser.post("/links/revoke", {"link": created.links[0].url}, headers=HTMX)
    assert "that link is revoked" in await response.get_data(as_text=True)
    first, second = ("/connect/" + token_of(link.url) for link in created.links)
    assert "This link was revoked" in await (await client.post(first)).get_data(as_text=True)
    assert (await client.post(second)).status_code == 200


async def test_revoke_all_needs_the_confirmation_box(
    browser: Browser, client: QuartClient, services: Services, user: User
) -> None:
    created = await share_for(services, user)
    path = "/connect/" + token_of(created.links[0].url)
    refused = await browser.post("/links/revoke-all", {})
    assert refused.status_code == 422
    assert (await client.get(path)).status_code == 200
    done = await browser.post("/links/revoke-all", {"confirm": "yes"})
    assert "every link you have issued so far is revoked" in await done.get_data(as_text=True)
    assert (await client.get(path)).status_code == 410


async def test_forms_without_the_csrf_token_change_nothing(
    browser: Browser, client: QuartClient
) -> None:
    response = await client.post("/shares", form=GOOD_FORM)
    assert response.status_code == 403
    assert "No shares yet" in await (await browser.get("/")).get_data(as_text=True)


async def test_links_download_as_a_csv_file(browser: Browser) -> None:
    page = await (await browser.post("/shares", GOOD_FORM)).get_data(as_text=True)
    links = links_in(page)
    expires = re.search(r'name="expires_at" value="(\d+)"', page)
    assert expires is not None
    fields = [("csrf", browser.csrf), ("expires_at", expires.group(1))]
    fields += [("link", link) for link in links]
    response = await browser.client.post(
        "/shares/links.csv",
        data=urlencode(fields),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="oncelink-links.csv"'
    rows = (await response.get_data(as_text=True)).splitlines()
    assert rows == ["link,expires_at"] + [f"{link},2027-01-15T09:00:00Z" for link in links]


async def test_the_csv_download_refuses_anything_but_this_servers_links(browser: Browser) -> None:
    form = {"expires_at": "1800003600", "link": "https://evil.example/connect/abc"}
    assert (await browser.post("/shares/links.csv", form)).status_code == 422


async def test_without_javascript_revoking_a_share_asks_first(
    browser: Browser, client: QuartClient, services: Services, user: User
) -> None:
    created = await share_for(services, user)
    link = "/connect/" + token_of(created.links[0].url)
    asked = await browser.post(f"/shares/{created.share.id}/revoke")
    page = await asked.get_data(as_text=True)
    assert asked.status_code == 200
    assert "Revoke “Untitled share”?" in page
    assert 'name="confirm" value="yes"' in page
    assert (await client.get(link)).status_code == 200
    done = await browser.post(f"/shares/{created.share.id}/revoke", {"confirm": "yes"})
    assert (done.status_code, done.headers["Location"]) == (303, "/")
    assert (await client.get(link)).status_code == 410


async def test_the_share_list_shows_each_use_newest_first(
    browser: Browser, client: QuartClient, services: Services, user: User, clock: FrozenClock
) -> None:
    created = await share_for(services, user, links=2, ttl=86400)
    for link, wait in zip(created.links, (60, 3600), strict=True):
        clock.advance(wait)
        await client.post("/connect/" + token_of(link.url), headers={"Accept": "application/json"})
    page = await (await browser.get("/")).get_data(as_text=True)
    assert page.index("2027-01-15 09:01 UTC") < page.index("2027-01-15 08:01 UTC")
    assert "2 of 2 used" in page
    assert "All used" in page


async def test_a_form_token_with_odd_characters_is_refused_not_a_crash(
    browser: Browser,
) -> None:
    response = await browser.client.post(
        "/shares", form={**GOOD_FORM, "csrf": "é" * 64}, headers={"X-CSRF-Token": ""}
    )
    assert response.status_code == 403


async def test_head_requests_to_pages_need_no_form_token(browser: Browser) -> None:
    assert (await browser.client.head("/")).status_code == 200
    assert (await browser.client.head("/account")).status_code == 200
