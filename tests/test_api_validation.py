"""Bad input to the JSON API: each class of mistake gets its status and a clear JSON error,
and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from .apiclient import ApiClient, body_of

TOO_LONG = "The note is too long: at most 64 KiB."
TTL_RANGE = "Links must live between 5 minutes and 30 days."
LINK_RANGE = "Ask for between 1 and 1000 links."
NOT_INTEGER = "Must be a JSON integer."
NOT_STRING = "Must be a JSON string."
LABEL_TOO_LONG = "The label is too long: at most 200 characters."


async def nothing_was_created(api: ApiClient) -> bool:
    return (await body_of(await api.get("/shares")))["shares"] == []


async def send_raw(api: ApiClient, path: str, data: bytes, content_type: str | None) -> Any:
    headers = {"Authorization": f"Bearer {api.token}"}
    if content_type is not None:
        headers["Content-Type"] = content_type
    return await api.client.post("/api/v1" + path, data=data, headers=headers)


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"note": "n", "links": "3"}, {"links": NOT_INTEGER}),
        ({"note": "n", "links": True}, {"links": NOT_INTEGER}),
        ({"note": "n", "links": 2.5}, {"links": NOT_INTEGER}),
        ({"note": "n", "links": None}, {"links": NOT_INTEGER}),
        ({"note": "n", "ttl": "600"}, {"ttl": NOT_INTEGER}),
        ({"note": "n", "ttl": False}, {"ttl": NOT_INTEGER}),
        ({"note": 42}, {"note": NOT_STRING}),
        ({"note": ["a"]}, {"note": NOT_STRING}),
        ({"note": "n", "label": 7}, {"label": NOT_STRING}),
        ({}, {"note": "This field is required."}),
        ({"note": "n", "colour": "red"}, {"colour": "Unknown field."}),
        ({"note": "n", "Links": 2}, {"Links": "Unknown field."}),
        ({"note": " \n\t"}, {"note": "Write the note you want to share."}),
        (
            {"note": "n", "label": "L" * 201},
            {"label": "The label is too long: at most 200 characters."},
        ),
        ({"note": "n", "ttl": 299}, {"ttl": TTL_RANGE}),
        ({"note": "n", "ttl": 30 * 86400 + 1}, {"ttl": TTL_RANGE}),
        ({"note": "n", "ttl": -1}, {"ttl": TTL_RANGE}),
        ({"note": "n", "links": 0}, {"links": LINK_RANGE}),
        ({"note": "n", "links": 1001}, {"links": LINK_RANGE}),
        ({"note": "n", "links": 10**30}, {"links": LINK_RANGE}),
        ({"note": "n", "ttl": 1, "links": 0}, {"ttl": TTL_RANGE, "links": LINK_RANGE}),
        ([], {"body": "Must be a JSON object."}),
        ("note", {"body": "Must be a JSON object."}),
        (None, {"body": "Must be a JSON object."}),
    ],
)
async def test_wrong_fields_answer_422_naming_each_field(
    api: ApiClient, body: Any, detail: dict[str, str]
) -> None:
    if body is None:  # the client helper sends no body for None: send JSON null by hand
        response = await send_raw(api, "/shares", b"null", "application/json")
    else:
        response = await api.post("/shares", body)
    assert response.status_code == 422
    assert await body_of(response) == {"error": "The body is not valid.", "detail": detail}
    assert await nothing_was_created(api)


@pytest.mark.parametrize(
    "note", ["x" * (64 * 1024 + 1), "é" * (32 * 1024 + 1), "🔑" * (16 * 1024 + 1)]
)
async def test_a_note_over_64_kib_of_utf8_answers_413(api: ApiClient, note: str) -> None:
    response = await api.post("/shares", {"note": note})
    assert response.status_code == 413
    assert (await body_of(response))["detail"] == {"note": TOO_LONG}
    assert await nothing_was_created(api)


async def test_a_note_of_exactly_64_kib_is_accepted(api: ApiClient) -> None:
    assert (await api.post("/shares", {"note": "é" * (32 * 1024)})).status_code == 201


async def test_a_request_over_1_mib_answers_413_json(api: ApiClient) -> None:
    response = await send_raw(api, "/shares", b" " * (1024 * 1024 + 1), "application/json")
    assert response.status_code == 413
    assert set(await body_of(response)) == {"error", "detail"}


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"{",
        b'{"note": "n",}',
        b"{'note': 'n'}",
        b'{"note": "n"} trailing',
        b'{"note": "\xff\xfe"}',
        b'{"note": "\\ud800 lone surrogate"}',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"note": "n", "links": 1' + b"0" * 5000 + b"}",
    ],
    ids=[
        "empty",
        "unclosed",
        "trailing-comma",
        "single-quotes",
        "trailing-data",
        "invalid-utf8",
        "lone-surrogate",
        "deep-nesting",
        "huge-number",
    ],
)
async def test_invalid_json_answers_400(api: ApiClient, data: bytes) -> None:
    response = await send_raw(api, "/shares", data, "application/json")
    assert response.status_code == 400
    body = await body_of(response)
    assert body["error"] == "The body is not valid JSON."
    assert body["detail"].startswith("Invalid JSON")
    assert await nothing_was_created(api)


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"],
)
async def test_a_body_not_sent_as_json_answers_415(
    api: ApiClient, content_type: str | None
) -> None:
    response = await send_raw(api, "/shares", b'{"note": "n"}', content_type)
    assert response.status_code == 415
    assert (await body_of(response))["error"] == "Send the body as JSON."
    assert await nothing_was_created(api)


async def test_json_with_a_charset_or_a_json_suffix_type_is_accepted(api: ApiClient) -> None:
    for content_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
        response = await send_raw(api, "/shares", b'{"note": "n"}', content_type)
        assert response.status_code == 201


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"links": "2"}, {"links": NOT_INTEGER}),
        ({"links": 0}, {"links": LINK_RANGE}),
        ({"ttl": 10}, {"ttl": TTL_RANGE}),
        ({"ttl": 600.5}, {"ttl": NOT_INTEGER}),
        ({"note": "n"}, {"note": "Unknown field."}),
    ],
)
async def test_issuing_links_checks_its_body_like_creating(
    api: ApiClient, body: dict[str, Any], detail: dict[str, str]
) -> None:
    created = await body_of(await api.post("/shares", {"note": "n"}))
    response = await api.post(f"/shares/{created['id']}/links", body)
    assert response.status_code == 422
    assert (await body_of(response))["detail"] == detail
    status = await body_of(await api.get(f"/shares/{created['id']}"))
    assert status["links_issued"] == 1


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({}, {"url": "This field is required."}),
        ({"url": 5}, {"url": NOT_STRING}),
        ({"url": "x", "share": "y"}, {"share": "Unknown field."}),
    ],
)
async def test_revoking_a_link_checks_its_body(
    api: ApiClient, body: dict[str, Any], detail: dict[str, str]
) -> None:
    response = await api.post("/links/revoke", body)
    assert response.status_code == 422
    assert (await body_of(response))["detail"] == detail


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("limit=2.5", "limit"),
        ("cursor=unknown", "cursor"),
        ("page=2", "page"),
    ],
)
async def test_bad_list_queries_answer_422(api: ApiClient, query: str, field: str) -> None:
    response = await api.get(f"/shares?{query}")
    assert response.status_code == 422
    body = await body_of(response)
    assert body["error"] == "The query is not valid."
    assert list(body["detail"]) == [field]
