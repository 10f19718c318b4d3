"""The JSON API on a real Hypercorn, with users and tokens made by the CLI: generated
requests against every documented operation, and the README's curl flow."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker

from quart_app.web.api.docs import api_operations

from .conftest import BACKENDS, PASSWORD, fresh_database
from .live import LiveServer, live_server
from .test_cli import oncelink

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
FORMATS = FormatChecker(formats=())
FORMATS.checks("date-time")(lambda value: not isinstance(value, str) or TIMESTAMP.fullmatch(value))


@dataclass
class LiveApi:
    server: LiveServer
    http: httpx.Client
    token: str
    document: dict[str, Any]
    share_ids: list[str]  # the caller's and another user's
    links: list[str]

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return self.http.request(method, self.server.base_url + path, headers=headers, **kwargs)

    def operation(self, operation_id: str) -> tuple[str, str, dict[str, Any]]:
        for path, item in self.document["paths"].items():
            for method, operation in item.items():
                if operation["operationId"] == operation_id:
                    return method.upper(), path, operation
        raise LookupError(operation_id)


def make_token(instance: Path, database: str, name: str) -> str:
    cli = functools.partial(oncelink, instance, database=database)
    added = cli("user", "add", name, "--password-stdin", stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    return cli("token", "create", name, "--name", "tests").stdout.strip()


@pytest.fixture(scope="module", params=BACKENDS)
def live_api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveApi]:
    instance = tmp_path_factory.mktemp("api")
    # A connection for each request: the server may rightly close a connection when it
    # answered (401, 415) before the request's body arrived, and a POST sent on it just
    # then fails, however short the keep-alive.
    limits = httpx.Limits(max_keepalive_connections=0)
    with fresh_database(request, request.param, instance) as database:
        tokens = [make_token(instance, database, name) for name in ("ada", "bob")]
        with (
            live_server(instance, workers=1, ONCELINK_DATABASE=database) as server,
            httpx.Client(timeout=10, limits=limits) as http,
        ):
            api, other = (LiveApi(server, http, token, {}, [], []) for token in tokens)
            for client in (api, other):
                body = {"note": "n", "links": 3}
                created = client.call("POST", "/api/v1/shares", json=body).json()
                api.share_ids.append(created["id"])
                api.links += [link["url"] for link in created["links"]]
            api.document = http.get(server.base_url + "/api/v1/openapi.json").json()
            yield api


# Strategies derived from the document: values of each field's documented type, near its
# limits, mixed with arbitrary JSON, unknown fields, non-objects and non-JSON bytes.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=6,
)


def typed(schema: dict[str, Any], api: LiveApi) -> st.SearchStrategy[Any]:
    if "anyOf" in schema:
        return st.one_of([typed(branch, api) for branch in schema["anyOf"]])
    kind = schema.get("type")
    if kind == "integer":
        low = schema.get("minimum", -1000)
        high = schema.get("maximum", low + 10**7)
        return st.integers(low - 2, high + 2) | st.sampled_from([low - 1, low, high, high + 1])
    if kind == "string":
        most = schema.get("maxLength", 40) + 2
        return st.text(max_size=most) | st.sampled_from(api.links + api.share_ids)
    if kind == "null":
        return st.none()
    return json_values


def bodies(schema_ref: dict[str, Any], api: LiveApi) -> st.SearchStrategy[bytes]:
    name = schema_ref["$ref"].rsplit("/", 1)[-1]
    model = api.document["components"]["schemas"][name]
    fields = {key: typed(s, api) | json_values for key, s in model["properties"].items()}
    required = {key: fields[key] for key in model.get("required", [])}
    optional = {key: s for key, s in fields.items() if key not in required}
    objects = st.fixed_dictionaries(required, optional=optional)
    with_unknown = st.tuples(objects, st.text(max_size=8), json_values).map(
        lambda parts: {**parts[0], parts[1]: parts[2]}
    )
    documents = st.one_of(objects, objects, objects, with_unknown, json_values)
    return st.one_of(documents.map(lambda d: json.dumps(d).encode()), st.binary(max_size=40))


def path_values(api: LiveApi) -> st.SearchStrategy[str]:
    text = st.text(min_size=1, max_size=20).filter(lambda t: t.strip(".") != "")
    return st.sampled_from(api.share_ids) | text.map(lambda t: quote(t, safe=""))


@st.composite
def requests(draw: st.DrawFn, api: LiveApi, operation_id: str) -> dict[str, Any]:
    method, path, operation = api.operation(operation_id)
    for parameter in operation["parameters"]:
        if parameter["in"] == "path":
            path = path.replace(f"{{{parameter['name']}}}", draw(path_values(api)))
    request: dict[str, Any] = {"method": method, "path": path, "headers": {}}
    query = {p["name"]: st.text(max_size=8) for p in operation["parameters"] if p["in"] == "query"}
    if query:
        query["limit"] = query["limit"] | st.integers(-1, 102).map(str)
        query["cursor"] = query["cursor"] | st.sampled_from(api.share_ids)
        request["params"] = draw(st.fixed_dictionaries({}, optional=query))
    if "requestBody" in operation:
        request["content"] = draw(
            bodies(operation["requestBody"]["content"]["application/json"]["schema"], api)
        )
        content_type = draw(st.sampled_from(["application/json"] * 4 + ["text/plain", None]))
        if content_type:
            request["headers"]["Content-Type"] = content_type
    if draw(st.integers(0, 9)) == 0:
        request["headers"]["Authorization"] = draw(st.sampled_from(["", "Bearer olk_x", "Basic x"]))
    return request


def check_against_document(
    response: httpx.Response, operation: dict[str, Any], api: LiveApi
) -> None:
    status = str(response.status_code)
    assert response.status_code < 500, response.text
    assert status in operation["responses"], f"undocumented {status}: {response.text}"
    documented = operation["responses"][status]
    if "content" not in documented:
        assert response.content == b""
        return
    assert response.headers["Content-Type"] == "application/json"
    schema = documented["content"]["application/json"]["schema"]
    root = {**schema, "components": api.document["components"]}
    Draft202012Validator(root, format_checker=FORMATS).validate(response.json())


@pytest.mark.parametrize("operation_id", [op.view.__name__ for op in api_operations()])
# schemathesis explores the API thoroughly (test_api_schemathesis.py); this adds the other
# backend, another user's ids and bodies that are not JSON, for a third of the profile's cost.
@settings(max_examples=max(1, settings.default.max_examples // 3))
@given(data=st.data())
def test_generated_requests_never_fail_and_always_match_the_document(
    live_api: LiveApi, operation_id: str, data: st.DataObject
) -> None:
    request = data.draw(requests(live_api, operation_id))
    response = live_api.call(request.pop("method"), request.pop("path"), **request)
    check_against_document(response, live_api.operation(operation_id)[2], live_api)


def test_the_readme_flow_works_on_a_real_server_without_browser_headers(
    live_api: LiveApi,
) -> None:
    created = live_api.call("POST", "/api/v1/shares", json={"note": "door code 4711"})
    assert created.status_code == 201
    url = created.json()["links"][0]["url"]
    assert url.startswith(live_api.server.base_url + "/connect/")
    accept = {"Accept": "application/json"}
    assert httpx.get(url, headers=accept).json()["state"] == "ready"
    redeemed = httpx.post(url, headers=accept)
    assert redeemed.json()["note"] == "door code 4711"
    assert httpx.post(url, headers=accept).status_code == 410
    status = live_api.call("GET", f"/api/v1/shares/{created.json()['id']}").json()
    assert (status["links_used"], status["links_left"]) == (1, 0)


@pytest.mark.parametrize("token", ["", "olk_unknown"])
def test_early_errors_still_reach_clients_sending_large_bodies(
    live_api: LiveApi, token: str
) -> None:
    """A 401 or 415 decided before the body is read must still be answered, not reset."""
    body = b'{"note": "' + b"x" * 500_000 + b'"}'
    headers_of_owner = {"Content-Type": "text/plain"}
    headers = dict(headers_of_owner)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    for _ in range(10):
        response = live_api.http.post(
            live_api.server.base_url + "/api/v1/shares", content=body, headers=headers
        )
        assert response.status_code == 401
    wrong_type = live_api.call("POST", "/api/v1/shares", content=body, headers=headers_of_owner)
    assert wrong_type.status_code == 415
