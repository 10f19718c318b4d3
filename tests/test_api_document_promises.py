"""The API and its OpenAPI document agree: what the document calls valid, the API takes; what
it calls invalid, the API refuses. And a deleted share is gone by HTTP's rules: 410, with its
final state, in the API and on its page alike."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator
from quart.testing import QuartClient

from quart_app.clock import FrozenClock, iso_utc

from .apiclient import JSON_ACCEPT, ApiClient, body_of, connect_path
from .conftest import START, Browser
from .test_api_docs import document


def schema_says(spec: dict[str, Any], schema: dict[str, Any], value: Any) -> bool:
    """Whether ``value`` is valid by ``schema``, a part of the document ``spec``."""
    root = {**schema, "components": spec["components"]}
    return Draft202012Validator(root).is_valid(value)


def operation(spec: dict[str, Any], operation_id: str) -> dict[str, Any]:
    found = [
        op
        for item in spec["paths"].values()
        for op in item.values()
        if op["operationId"] == operation_id
    ]
    assert len(found) == 1, operation_id
    return found[0]


def body_schema(spec: dict[str, Any], operation_id: str) -> dict[str, Any]:
    body: dict[str, Any] = operation(spec, operation_id)["requestBody"]
    return body["content"]["application/json"]["schema"]


def parameter_schema(spec: dict[str, Any], operation_id: str, name: str) -> dict[str, Any]:
    parameters = operation(spec, operation_id)["parameters"]
    schema: dict[str, Any] = next(p for p in parameters if p["name"] == name)["schema"]
    return schema


@pytest.mark.parametrize("note", ["", " \n\t "])
async def test_an_empty_or_blank_note_is_invalid_by_the_document_as_by_the_api(
    api: ApiClient, client: QuartClient, note: str
) -> None:
    spec = await document(client)
    assert not schema_says(spec, body_schema(spec, "create_share"), {"note": note})
    assert schema_says(spec, body_schema(spec, "create_share"), {"note": " x "})
    response = await api.post("/shares", {"note": note})
    assert response.status_code == 422
    assert (await body_of(response))["detail"] == {"note": "Write the note you want to share."}


@pytest.mark.parametrize("operation_id", ["list_shares", "list_events"])
async def test_an_empty_cursor_is_invalid_by_the_document_as_by_the_api(
    api: ApiClient, client: QuartClient, operation_id: str
) -> None:
    spec = await document(client)
    assert not schema_says(spec, parameter_schema(spec, operation_id, "cursor"), "")
    share = await body_of(await api.post("/shares", {"note": "n"}))
    path = "/shares" if operation_id == "list_shares" else f"/shares/{share['id']}/events"
    response = await api.get(path + "?cursor=")
    assert response.status_code == 422
    assert "cursor" in (await body_of(response))["detail"]


async def test_every_cursor_the_list_gives_is_valid_by_the_document_and_pages_on(
    api: ApiClient, client: QuartClient
) -> None:
    spec = await document(client)
    cursor_schema = parameter_schema(spec, "list_shares", "cursor")
    ids = [(await body_of(await api.post("/shares", {"note": "n"})))["id"] for _ in range(3)]
    seen, cursor = [], ""
    while True:
        page = await body_of(await api.get(f"/shares?limit=2{cursor}"))
        seen += [share["id"] for share in page["shares"]]
        if page["next_cursor"] is None:
            break
        assert schema_says(spec, cursor_schema, page["next_cursor"])
        cursor = f"&cursor={page['next_cursor']}"
    assert seen == ids[::-1]


async def test_numbers_with_a_zero_fraction_are_integers_as_the_document_says(
    api: ApiClient, client: QuartClient
) -> None:
    spec = await document(client)
    body = {"note": "n", "ttl": 600.0, "links": 3.0}
    assert schema_says(spec, body_schema(spec, "create_share"), body)
    created = await api.post("/shares", body)
    assert created.status_code == 201
    share = await body_of(created)
    assert (len(share["links"]), share["expires_at"]) == (3, iso_utc(START + 600))
    more = await api.post(f"/shares/{share['id']}/links", {"links": 2.0, "ttl": 900.0})
    assert more.status_code == 201
    assert [link["expires_at"] for link in (await body_of(more))["links"]] == [
        iso_utc(START + 900)
    ] * 2


@pytest.mark.parametrize("links", [2.5, "3", True, 1e300])
async def test_numbers_that_are_no_integer_stay_refused_by_both(
    api: ApiClient, client: QuartClient, links: object
) -> None:
    spec = await document(client)
    refused_by_document = not schema_says(
        spec, body_schema(spec, "create_share"), {"note": "n", "links": links}
    )
    response = await api.post("/shares", {"note": "n", "links": links})
    assert refused_by_document
    assert response.status_code == 422


async def test_a_deleted_share_answers_410_with_its_final_state_and_history(
    api: ApiClient, client: QuartClient, clock: FrozenClock
) -> None:
    share = await body_of(await api.post("/shares", {"note": "n", "links": 2}))
    first = share["links"][0]["url"]
    await client.post(connect_path(first), headers=JSON_ACCEPT)
    clock.advance(60)
    assert (await api.delete(f"/shares/{share['id']}")).status_code == 204
    gone = await api.get(f"/shares/{share['id']}")
    assert gone.status_code == 410
    final = await body_of(gone)
    assert final["revoked_at"] == iso_utc(START + 60)
    assert (final["links_used"], final["links_revoked"], final["links_left"]) == (1, 1, 0)
    assert [link["state"] for link in final["links"]] == ["used", "revoked"]
    events = await api.get(f"/shares/{share['id']}/events")
    assert events.status_code == 410
    assert [e["kind"] for e in (await body_of(events))["events"]] == ["granted", "revoked"]
    assert (await api.get("/shares/NoSuchShare0")).status_code == 404


async def test_a_live_share_answers_200(api: ApiClient) -> None:
    share = await body_of(await api.post("/shares", {"note": "n"}))
    assert (await api.get(f"/shares/{share['id']}")).status_code == 200
    assert (await api.get(f"/shares/{share['id']}/events")).status_code == 200


async def test_a_deleted_shares_page_answers_410_and_keeps_its_history(
    api: ApiClient, browser: Browser
) -> None:
    share = await body_of(await api.post("/shares", {"note": "n", "label": "door code"}))
    assert (await browser.get(f"/shares/{share['id']}")).status_code == 200
    await api.delete(f"/shares/{share['id']}")
    page = await browser.get(f"/shares/{share['id']}")
    assert page.status_code == 410
    text = await page.get_data(as_text=True)
    assert "door code" in text
    assert "its links no longer work and its note is erased" in text
    assert ">Revoked<" in text
    csv_file = await browser.get(f"/shares/{share['id']}/events.csv")
    assert csv_file.status_code == 200


async def test_the_document_leads_from_a_new_share_to_revoking_its_first_link(
    api: ApiClient, client: QuartClient
) -> None:
    """schemathesis, like any client reading the document, learns from it where a real link
    comes from: its body examples cannot hold one."""
    spec = await document(client)
    created_answer = operation(spec, "create_share")["responses"]["201"]
    [link] = created_answer["links"].values()
    assert link["operationId"] == "revoke_link"
    assert link["requestBody"] == {"url": "$response.body#/links/0/url"}
    share = await body_of(await api.post("/shares", {"note": "n", "links": 2}))
    revoked = await api.post("/links/revoke", {"url": share["links"][0]["url"]})
    assert revoked.status_code == 204


async def test_every_example_in_the_document_is_valid_by_it_and_a_new_share_is_created(
    api: ApiClient, client: QuartClient
) -> None:
    spec = await document(client)
    for item in spec["paths"].values():
        for op in item.values():
            for parameter in op["parameters"]:
                for example in parameter["schema"].get("examples", []):
                    assert schema_says(spec, parameter["schema"], example), parameter
            if "requestBody" in op:
                schema = body_schema(spec, op["operationId"])
                model = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
                assert model["examples"], op["operationId"]
                for example in model["examples"]:
                    assert schema_says(spec, schema, example), example
    for example in spec["components"]["schemas"]["NewShare"]["examples"]:
        assert (await api.post("/shares", example)).status_code == 201
