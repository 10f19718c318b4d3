"""The JSON API's calls as a script uses them: happy paths, isolation between users, tokens."""

from __future__ import annotations

from dataclasses import replace

import pytest
from quart.testing import QuartClient

from quart_app import api_tokens, create_app
from quart_app.clock import FrozenClock, iso_utc
from quart_app.config import Settings
from quart_app.services import Services
from quart_app.storage.queries.users import User

from .apiclient import JSON_ACCEPT, ApiClient, body_of, connect_path
from .conftest import BASE_URL, START, Browser, make_user, share_for

AT_START = iso_utc(START)


async def test_creating_a_share_answers_its_links_and_when_they_expire(
    api: ApiClient, client: QuartClient
) -> None:
    response = await api.post(
        "/shares", {"note": "door code 4711", "ttl": 600, "links": 3, "label": "office"}
    )
    created = await body_of(response)
    assert response.status_code == 201
    assert response.headers["Location"] == f"/api/v1/shares/{created['id']}"
    assert created["label"] == "office"
    assert created["expires_at"] == iso_utc(START + 600)
    urls = [link["url"] for link in created["links"]]
    assert len(set(urls)) == 3
    assert all(url.startswith(f"{BASE_URL}/connect/") for url in urls)
    assert {link["expires_at"] for link in created["links"]} == {iso_utc(START + 600)}
    preview = await body_of(await client.get(connect_path(urls[0]), headers=JSON_ACCEPT))
    assert preview == {"state": "ready", "granted_by": "user1", "expires_at": iso_utc(START + 600)}


async def test_omitted_fields_take_the_defaults(api: ApiClient) -> None:
    created = await body_of(await api.post("/shares", {"note": "x"}))
    assert created["label"] is None
    assert len(created["links"]) == 1
    assert created["expires_at"] == iso_utc(START + 3600)
    explicit_nulls = await api.post("/shares", {"note": "x", "ttl": None, "label": None})
    assert (await body_of(explicit_nulls))["expires_at"] == iso_utc(START + 3600)


async def test_share_status_counts_uses_with_their_times(
    api: ApiClient, client: QuartClient, clock: FrozenClock
) -> None:
    created = await body_of(await api.post("/shares", {"note": "n", "links": 3}))
    clock.advance(60)
    await client.post(connect_path(created["links"][0]["url"]))
    status = await body_of(await api.get(f"/shares/{created['id']}"))
    assert status == {
        "id": created["id"],
        "label": None,
        "created_at": AT_START,
        "expires_at": iso_utc(START + 3600),
        "revoked_at": None,
        "links_issued": 3,
        "links_used": 1,
        "links_revoked": 0,
        "links_expired": 0,
        "links_left": 2,
        "redemptions": [{"used_at": iso_utc(START + 60)}],
        "links": [
            {
                "number": 1,
                "recipient": None,
                "state": "used",
                "used_at": iso_utc(START + 60),
                "views": 0,
            },
            {"number": 2, "recipient": None, "state": "ready", "used_at": None, "views": 0},
            {"number": 3, "recipient": None, "state": "ready", "used_at": None, "views": 0},
        ],
    }


async def test_share_list_is_newest_first_and_pages_with_a_cursor(
    api: ApiClient, clock: FrozenClock
) -> None:
    ids = []
    for number in range(5):
        ids.append((await body_of(await api.post("/shares", {"note": f"n{number}"})))["id"])
        clock.advance(1)
    seen, cursor, pages = [], None, 0
    while True:
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = await body_of(await api.get("/shares" + query))
        seen += [share["id"] for share in page["shares"]]
        pages, cursor = pages + 1, page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids[::-1]
    assert pages == 3
    everything = await body_of(await api.get("/shares"))
    assert [share["id"] for share in everything["shares"]] == ids[::-1]
    assert everything["next_cursor"] is None


async def test_issuing_more_links_adds_to_the_share(api: ApiClient, client: QuartClient) -> None:
    created = await body_of(await api.post("/shares", {"note": "n", "ttl": 7200}))
    response = await api.post(f"/shares/{created['id']}/links", {"links": 2, "ttl": 300})
    issued = await body_of(response)
    assert response.status_code == 201
    assert [link["expires_at"] for link in issued["links"]] == [iso_utc(START + 300)] * 2
    defaults = await body_of(await api.post(f"/shares/{created['id']}/links", {}))
    assert [link["expires_at"] for link in defaults["links"]] == [iso_utc(START + 7200)]
    status = await body_of(await api.get(f"/shares/{created['id']}"))
    assert (status["links_issued"], status["links_left"]) == (4, 4)
    redeemed = await client.post(connect_path(issued["links"][1]["url"]), headers=JSON_ACCEPT)
    assert (await body_of(redeemed))["note"] == "n"


async def test_a_revoked_share_takes_no_more_links(api: ApiClient) -> None:
    created = await body_of(await api.post("/shares", {"note": "n"}))
    assert (await api.delete(f"/shares/{created['id']}")).status_code == 204
    response = await api.post(f"/shares/{created['id']}/links", {"links": 1})
    assert response.status_code == 409
    assert (await body_of(response))["error"].startswith("This share is closed")


async def test_deleting_a_share_revokes_its_links_and_erases_the_note(
    api: ApiClient, client: QuartClient, services: Services
) -> None:
    created = await body_of(await api.post("/shares", {"note": "secret", "links": 2}))
    response = await api.delete(f"/shares/{created['id']}")
    assert response.status_code == 204
    assert await response.get_data() == b""
    for link in created["links"]:
        answer = await client.post(connect_path(link["url"]), headers=JSON_ACCEPT)
        assert answer.status_code == 410
        assert (await body_of(answer))["state"] == "revoked"
    rows = await services.db.reader.execute_fetchall("SELECT note FROM shares")
    assert [tuple(row) for row in rows] == [(None,)]
    status = await body_of(await api.get(f"/shares/{created['id']}"))
    assert (status["revoked_at"], status["links_left"]) == (AT_START, 0)
    assert (status["links_revoked"], status["links_used"]) == (2, 0)
    assert (await api.delete(f"/shares/{created['id']}")).status_code == 204


async def test_revoking_one_link_leaves_its_siblings_working(
    api: ApiClient, client: QuartClient
) -> None:
    created = await body_of(await api.post("/shares", {"note": "n", "links": 2}))
    first, second = (link["url"] for link in created["links"])
    response = await api.post("/links/revoke", {"url": first})
    assert response.status_code == 204
    assert (await api.post("/links/revoke", {"url": first})).status_code == 204
    revoked = await client.post(connect_path(first), headers=JSON_ACCEPT)
    assert (await body_of(revoked))["state"] == "revoked"
    assert (await client.post(connect_path(second))).status_code == 200


async def test_revoking_a_used_link_answers_409_and_a_bad_one_404(
    api: ApiClient, client: QuartClient
) -> None:
    created = await body_of(await api.post("/shares", {"note": "n"}))
    url = created["links"][0]["url"]
    await client.post(connect_path(url))
    used = await api.post("/links/revoke", {"url": url})
    assert used.status_code == 409
    assert (await body_of(used))["detail"] == "used"
    bad = await api.post("/links/revoke", {"url": f"{BASE_URL}/connect/nonsense"})
    assert bad.status_code == 404
    assert (await body_of(bad))["detail"] == "invalid"


@pytest.mark.parametrize("closing", ["revoke the share", "revoke every link"])
async def test_a_used_link_stays_used_when_revoked_after_its_share_was(
    api: ApiClient, browser: Browser, client: QuartClient, closing: str
) -> None:
    created = await body_of(await api.post("/shares", {"note": "n", "links": 2}))
    url = created["links"][0]["url"]
    await client.post(connect_path(url))
    if closing == "revoke the share":
        assert (await api.delete(f"/shares/{created['id']}")).status_code == 204
    else:
        await browser.post("/links/revoke-all", {"confirm": "yes"})
    used = await api.post("/links/revoke", {"url": url})
    assert used.status_code == 409
    assert (await body_of(used))["detail"] == "used"
    pasted = await browser.post("/links/revoke", {"link": url})
    assert "That link was already used" in await pasted.get_data(as_text=True)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/shares/{id}", None),
        ("POST", "/shares/{id}/links", {"links": 1}),
        ("DELETE", "/shares/{id}", None),
    ],
)
async def test_other_users_share_answers_404(
    api: ApiClient, services: Services, method: str, path: str, body: dict[str, int] | None
) -> None:
    other = await make_user(services, "user2")
    theirs = await share_for(services, other)
    response = await api.call(method, path.format(id=theirs.share.id), body)
    assert response.status_code == 404
    assert await body_of(response) == {"error": "You have no share with this id.", "detail": None}
    missing = await api.call(method, path.format(id="no-such-share"), body)
    assert (missing.status_code, await body_of(missing)) == (404, await body_of(response))


async def test_other_users_shares_and_links_stay_out_of_reach(
    api: ApiClient, client: QuartClient, services: Services
) -> None:
    other = await make_user(services, "user2")
    theirs = await share_for(services, other, links=2)
    listing = await body_of(await api.get("/shares"))
    assert listing["shares"] == []
    as_cursor = await api.get(f"/shares?cursor={theirs.share.id}")
    assert as_cursor.status_code == 422
    revoked = await api.post("/links/revoke", {"url": theirs.links[0].url})
    assert revoked.status_code == 404
    for link in theirs.links:
        assert (await client.post(connect_path(link.url))).status_code == 200


OPERATIONS = [
    ("POST", "/shares"),
    ("GET", "/shares"),
    ("GET", "/shares/x"),
    ("POST", "/shares/x/links"),
    ("DELETE", "/shares/x"),
    ("POST", "/links/revoke"),
]


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Basic dXNlcjE6cGFzcw==", "Bearer olk_" + "A" * 43],
)
async def test_calls_without_a_valid_token_answer_401_before_anything_else(
    client: QuartClient, user: User, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    for method, path in OPERATIONS:
        response = await client.open(
            "/api/v1" + path, method=method, headers=headers, data="not even json"
        )
        assert response.status_code == 401, (method, path)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert set(await body_of(response)) == {"error", "detail"}


async def test_a_revoked_api_token_answers_401(
    api: ApiClient, services: Services, user: User
) -> None:
    assert (await api.get("/shares")).status_code == 200
    (token,) = await api_tokens.tokens_of(services, user.id)
    await api_tokens.revoke_api_token(services, user.id, token.id)
    response = await api.post("/shares", {"note": "n"})
    assert response.status_code == 401
    assert (await body_of(response))["error"] == "This API token is not valid."


async def test_a_logged_in_browser_session_is_not_an_api_token(browser: Browser) -> None:
    assert (await browser.get("/")).status_code == 200
    assert (await browser.get("/api/v1/shares")).status_code == 401


async def test_scheme_name_is_case_insensitive_and_tokens_act_for_their_user(
    client: QuartClient, services: Services, user: User
) -> None:
    other = await make_user(services, "user2")
    theirs = await api_tokens.create_api_token(services, other.id, "")
    mine = await api_tokens.create_api_token(services, user.id, "")
    await ApiClient(client, theirs).post("/shares", {"note": "theirs"})
    response = await client.get("/api/v1/shares", headers={"Authorization": f"bearer {mine}"})
    assert (await body_of(response))["shares"] == []


async def test_api_writes_need_no_csrf_token_but_cross_site_browsers_are_refused(
    api: ApiClient,
) -> None:
    assert (await api.post("/shares", {"note": "from a script"})).status_code == 201
    for header in ({"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}):
        refused = await api.post("/shares", {"note": "lured"}, headers=header)
        assert refused.status_code == 403
        assert set(await body_of(refused)) == {"error", "detail"}
    same_site = await api.post("/shares", {"note": "ok"}, headers={"Origin": BASE_URL})
    assert same_site.status_code == 201
    assert len((await body_of(await api.get("/shares")))["shares"]) == 2


async def test_unknown_api_paths_and_methods_answer_json(api: ApiClient) -> None:
    missing = await api.get("/nothing-here")
    assert (missing.status_code, (await body_of(missing))["detail"]) == (404, None)
    wrong_method = await api.call("PUT", "/shares")
    assert wrong_method.status_code == 405
    assert set(await body_of(wrong_method)) == {"error", "detail"}


async def test_end_to_end_five_links_three_redeemed_then_the_share_deleted(
    api: ApiClient, client: QuartClient, clock: FrozenClock
) -> None:
    created = await body_of(await api.post("/shares", {"note": "the vault code", "links": 5}))
    urls = [link["url"] for link in created["links"]]
    for minute, url in enumerate(urls[:3], start=1):
        clock.advance(60)
        preview = await client.get(connect_path(url), headers=JSON_ACCEPT)
        assert (await body_of(preview))["state"] == "ready"
        redeemed = await client.post(connect_path(url), headers=JSON_ACCEPT)
        assert await body_of(redeemed) == {
            "state": "granted",
            "granted_by": "user1",
            "note": "the vault code",
            "used_at": iso_utc(START + 60 * minute),
        }
        again = await client.post(connect_path(url), headers=JSON_ACCEPT)
        assert (again.status_code, (await body_of(again))["state"]) == (410, "used")
    status = await body_of(await api.get(f"/shares/{created['id']}"))
    assert (status["links_used"], status["links_left"]) == (3, 2)
    assert status["redemptions"] == [{"used_at": iso_utc(START + 60 * m)} for m in (1, 2, 3)]
    assert (await api.delete(f"/shares/{created['id']}")).status_code == 204
    for url in urls[3:]:
        answer = await client.post(connect_path(url), headers=JSON_ACCEPT)
        assert answer.status_code == 410
        assert await body_of(answer) == {"state": "revoked", "error": "This link was revoked"}
    for url in urls[:3]:
        answer = await client.get(connect_path(url), headers=JSON_ACCEPT)
        assert (await body_of(answer))["state"] == "used"


async def test_new_links_take_the_shares_ttl_unless_max_ttl_was_lowered_since(
    api: ApiClient, settings: Settings, clock: FrozenClock
) -> None:
    created = await body_of(await api.post("/shares", {"note": "n", "ttl": 7200}))
    lowered = create_app(replace(settings, max_ttl=3600, default_ttl=600), clock)
    async with lowered.test_app():
        later = ApiClient(lowered.test_client(), api.token)
        response = await later.post(f"/shares/{created['id']}/links", {})
        assert response.status_code == 201
        assert (await body_of(response))["links"][0]["expires_at"] == iso_utc(START + 3600)
