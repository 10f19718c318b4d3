"""The JSON API's requests for secrets: making one, following it, paging through them, and the
validation every body gets."""

from __future__ import annotations

from quart.testing import QuartClient

from .apiclient import ApiClient, body_of
from .conftest import send_path

NEW = {"label": "staging database password", "instructions": "EU cluster", "ttl": 600}


async def test_a_request_is_made_with_its_link_and_followed_to_its_end(
    api: ApiClient, client: QuartClient
) -> None:
    made = await api.post("/requests", NEW)
    body = await body_of(made)
    assert made.status_code == 201
    assert set(body) == {"id", "url", "label", "expires_at"}
    assert body["url"].startswith("http://oncelink.test/send/")
    assert (body["label"], body["expires_at"]) == (NEW["label"], "2027-01-15T08:10:00Z")
    assert made.headers["Location"] == f"/api/v1/requests/{body['id']}"
    state = await body_of(await api.get(f"/requests/{body['id']}"))
    assert state == {
        "id": body["id"],
        "label": NEW["label"],
        "state": "waiting",
        "expires_at": "2027-01-15T08:10:00Z",
        "answered_at": None,
        "read_at": None,
    }
    await client.post(send_path(body["url"]), json={"note": "hunter2"})
    state = await body_of(await api.get(f"/requests/{body['id']}"))
    assert (state["state"], state["answered_at"]) == ("answered", "2027-01-15T08:00:00Z")


async def test_the_lifetime_defaults_to_the_servers_and_instructions_are_optional(
    api: ApiClient, client: QuartClient
) -> None:
    body = await body_of(await api.post("/requests", {"label": "an API key"}))
    assert body["expires_at"] == "2027-01-15T09:00:00Z"
    ready = await client.get(send_path(body["url"]), headers={"Accept": "application/json"})
    assert (await ready.get_json())["instructions"] is None


async def test_a_body_that_is_not_valid_is_refused_field_by_field(api: ApiClient) -> None:
    for sent, field in [
        ({}, "label"),
        ({"label": ""}, "label"),
        ({"label": "   "}, "label"),
        ({"label": "x" * 201}, "label"),
        ({"label": 3}, "label"),
        ({"label": "k", "ttl": "3600"}, "ttl"),
        ({"label": "k", "ttl": 299}, "ttl"),
        ({"label": "k", "ttl": 31 * 86400}, "ttl"),
        ({"label": "k", "instructions": "i" * 2001}, "instructions"),
        ({"label": "k", "passphrase": "short"}, "passphrase"),
        ({"label": "k", "colour": "red"}, "colour"),
        ({"label": "nul \x00"}, "label"),
    ]:
        refused = await api.post("/requests", sent)
        assert refused.status_code == 422, sent
        assert field in (await body_of(refused))["detail"], sent
    assert (await body_of(await api.get("/requests")))["requests"] == []


async def test_requests_are_listed_newest_first_a_page_at_a_time(api: ApiClient) -> None:
    ids = [
        (await body_of(await api.post("/requests", {"label": f"key {n}"})))["id"] for n in range(3)
    ]
    first = await body_of(await api.get("/requests?limit=2"))
    assert [request["id"] for request in first["requests"]] == ids[:0:-1]
    second = await body_of(await api.get(f"/requests?limit=2&cursor={first['next_cursor']}"))
    assert ([request["id"] for request in second["requests"]], second["next_cursor"]) == (
        [ids[0]],
        None,
    )
    assert (await api.get("/requests?cursor=nope")).status_code == 422
    assert (await api.get("/requests?limit=0")).status_code == 422


async def test_reading_takes_no_body_or_a_json_one(api: ApiClient, client: QuartClient) -> None:
    body = await body_of(await api.post("/requests", {"label": "k"}))
    await client.post(send_path(body["url"]), json={"note": "hunter2"})
    path = f"/requests/{body['id']}/read"
    not_json = await api.call("POST", path, headers={"Content-Type": "text/plain"})
    assert not_json.status_code == 200  # an empty body is no body, whatever its type says
    assert (await body_of(not_json))["note"] == "hunter2"
    other = await body_of(await api.post("/requests", {"label": "k2"}))
    await client.post(send_path(other["url"]), json={"note": "second"})
    path = f"/requests/{other['id']}/read"
    typed = await api.client.post(
        "/api/v1" + path, data="{}", headers={"Authorization": f"Bearer {api.token}"}
    )
    assert typed.status_code == 415
    broken = await api.client.post(
        "/api/v1" + path,
        data="{nope",
        headers={"Authorization": f"Bearer {api.token}", "Content-Type": "application/json"},
    )
    assert broken.status_code == 400
    assert (await api.post(path, {"passphrase": 8})).status_code == 422
    assert (await body_of(await api.post(path, {})))["note"] == "second"
