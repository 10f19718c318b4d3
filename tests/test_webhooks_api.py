"""The webhooks API: add one and get its secret once, list, read, delete, send a test event,
read the deliveries; only public https URLs (private ones refused, http only for this
machine where the server allows private addresses); at most 10 a user, however they race."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from quart_app.notifications import webhook_urls
from quart_app.services import Services

from .apiclient import ApiClient, body_of
from .receivers import WebhookReceiver, verified

EVENTS = ["link.granted", "link.locked"]


@pytest.mark.private
async def test_a_webhook_is_added_listed_tested_and_deleted(
    api: ApiClient, services: Services, receiver: WebhookReceiver
) -> None:
    created = await api.post("/webhooks", {"url": receiver.url, "events": EVENTS})
    assert created.status_code == 201
    body = await body_of(created)
    assert set(body) == {"id", "url", "events", "secret"}
    assert body["secret"].startswith("whsec_")
    assert created.headers["Location"] == f"/api/v1/webhooks/{body['id']}"
    listed = await body_of(await api.get("/webhooks"))
    assert [hook["id"] for hook in listed["webhooks"]] == [body["id"]]
    assert "secret" not in listed["webhooks"][0]
    assert (await body_of(await api.get(f"/webhooks/{body['id']}")))["events"] == EVENTS

    tested = await api.post(f"/webhooks/{body['id']}/test")
    assert tested.status_code == 202
    await services.sender.drain()
    [received] = receiver.received
    assert received.message_id == (await body_of(tested))["message_id"]
    assert verified(body["secret"], received)["type"] == "test"
    [delivery] = (await body_of(await api.get(f"/webhooks/{body['id']}/deliveries")))["deliveries"]
    assert delivery["event"] == "test"
    assert (delivery["status_code"], delivery["attempt"], delivery["error"]) == (204, 1, None)

    assert (await api.delete(f"/webhooks/{body['id']}")).status_code == 204
    assert (await api.get(f"/webhooks/{body['id']}")).status_code == 404
    assert (await api.delete(f"/webhooks/{body['id']}")).status_code == 404
    assert (await body_of(await api.get("/webhooks")))["webhooks"] == []


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://localhost:8443/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://[::ffff:10.0.0.1]/hook",
        "https://224.0.0.1/hook",
        "https://0x7f000001/hook",
        "https://2130706433/hook",
        "https://0/hook",
    ],
)
async def test_a_url_that_leads_to_a_private_or_local_address_is_refused(
    api: ApiClient, url: str
) -> None:
    refused = await api.post("/webhooks", {"url": url, "events": EVENTS})
    assert refused.status_code == 422
    assert "public addresses only" in (await body_of(refused))["detail"]["url"]
    assert (await body_of(await api.get("/webhooks")))["webhooks"] == []


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://hooks.example.com/x", "https://"),
        ("ftp://hooks.example.com/x", "https://"),
        ("https://user:pw@hooks.example.com/x", "user name and password"),
        ("https://hooks.example.com:99999/x", "port"),
        ("https://hooks.example.com/a b", "without spaces"),
        ("   ", "Give the URL"),
        ("https://hooks_example.com/x", "host name"),
        ("https://hooks.example.com./x", "host name"),
    ],
)
async def test_a_url_that_is_not_https_or_not_a_plain_url_is_refused(
    api: ApiClient, url: str, problem: str
) -> None:
    refused = await api.post("/webhooks", {"url": url, "events": EVENTS})
    assert refused.status_code == 422
    assert problem in (await body_of(refused))["detail"]["url"]


@given(st.from_regex(webhook_urls.URL_PATTERN, fullmatch=True))
@hypothesis_settings(max_examples=25)
def test_every_url_the_document_allows_is_taken_as_written(url: str) -> None:
    assert webhook_urls.written_problem(url) is None


async def test_unknown_or_no_events_are_refused(api: ApiClient) -> None:
    url = "https://hooks.example.com/x"
    unknown = await api.post("/webhooks", {"url": url, "events": ["link.granted", "link.eaten"]})
    assert (await body_of(unknown))["detail"] == {
        "events": "Unknown event: see the list of events."
    }
    assert (await api.post("/webhooks", {"url": url, "events": []})).status_code == 422
    assert (await api.post("/webhooks", {"url": url, "events": ["test"]})).status_code == 422


async def test_ten_webhooks_at_most_however_many_race(api: ApiClient) -> None:
    body = {"url": "https://hooks.example.com/oncelink", "events": EVENTS}
    answers = await asyncio.gather(*(api.post("/webhooks", body) for _ in range(14)))
    assert sorted(answer.status_code for answer in answers) == [201] * 10 + [409] * 4
    assert len((await body_of(await api.get("/webhooks")))["webhooks"]) == 10


async def test_another_users_webhook_is_not_found(
    api: ApiClient, services: Services, client: object
) -> None:
    from quart_app.api_tokens import create_api_token

    from .conftest import make_user

    other_user = await make_user(services, "other")
    other = ApiClient(api.client, await create_api_token(services, other_user.id, "t"))
    body = {"url": "https://hooks.example.com/x", "events": EVENTS}
    hook_id = (await body_of(await other.post("/webhooks", body)))["id"]
    for method, path in [
        ("GET", f"/webhooks/{hook_id}"),
        ("DELETE", f"/webhooks/{hook_id}"),
        ("POST", f"/webhooks/{hook_id}/test"),
        ("GET", f"/webhooks/{hook_id}/deliveries"),
    ]:
        assert (await api.call(method, path)).status_code == 404, path
    assert (await api.get(f"/webhooks/{hook_id}")).status_code == 404


@pytest.mark.parametrize("webhook_id", ["a%00b", "%FF", "x" * 300])
async def test_an_id_no_webhook_could_have_is_not_found(api: ApiClient, webhook_id: str) -> None:
    for method, path in [
        ("GET", f"/webhooks/{webhook_id}"),
        ("DELETE", f"/webhooks/{webhook_id}"),
        ("POST", f"/webhooks/{webhook_id}/test"),
        ("GET", f"/webhooks/{webhook_id}/deliveries"),
    ]:
        assert (await api.call(method, path)).status_code == 404, path


async def test_the_document_describes_every_webhook_operation(api: ApiClient) -> None:
    document = await body_of(await api.client.get("/api/v1/openapi.json"))
    paths = document["paths"]
    assert set(paths["/api/v1/webhooks"]) == {"get", "post"}
    assert set(paths["/api/v1/webhooks/{webhook_id}"]) == {"get", "delete"}
    assert "202" in paths["/api/v1/webhooks/{webhook_id}/test"]["post"]["responses"]
    assert "200" in paths["/api/v1/webhooks/{webhook_id}/deliveries"]["get"]["responses"]
