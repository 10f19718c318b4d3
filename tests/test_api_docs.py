"""The API's OpenAPI document and its human-readable page."""

from __future__ import annotations

import re
from typing import Any

from openapi_spec_validator import validate
from quart import Quart
from quart.testing import QuartClient

from quart_app.web.security import CONTENT_SECURITY_POLICY

from .apiclient import body_of
from .conftest import Browser


async def document(client: QuartClient) -> Any:
    response = await client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return await body_of(response)


async def test_the_document_is_valid_openapi_3_1(client: QuartClient) -> None:
    spec = await document(client)
    assert spec["openapi"] == "3.1.0"
    validate(spec)


async def test_every_api_route_is_documented_and_nothing_else(
    app: Quart, client: QuartClient
) -> None:
    routes = {
        (method.lower(), re.sub(r"<([^>]+)>", r"{\1}", rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith(("api.", "api_webhooks."))
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    documented = {
        (method, path)
        for path, item in (await document(client))["paths"].items()
        for method in item
    }
    assert routes == documented
    assert len(routes) == 18


async def test_every_operation_needs_a_token_and_documents_its_errors(client: QuartClient) -> None:
    for path, item in (await document(client))["paths"].items():
        for method, operation in item.items():
            assert operation["security"] == [{"bearer": []}], (method, path)
            assert "401" in operation["responses"]
            if "requestBody" in operation:
                assert {"400", "413", "415", "422"} <= set(operation["responses"])


async def test_documented_bodies_say_which_fields_exist_and_their_limits(
    client: QuartClient,
) -> None:
    schemas = (await document(client))["components"]["schemas"]
    new_share = schemas["NewShare"]
    assert new_share["required"] == ["note"]
    assert new_share["additionalProperties"] is False
    assert new_share["properties"]["links"]["maximum"] == 1000
    assert new_share["properties"]["ttl"]["anyOf"][0]["minimum"] == 300
    assert set(schemas["ShareBody"]["required"]) >= {"links_issued", "links_used", "redemptions"}


async def test_the_docs_page_lists_every_operation_and_loads_no_outside_script(
    client: QuartClient,
) -> None:
    response = await client.get("/api/v1/docs")
    page = await response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    for path, item in (await document(client))["paths"].items():
        for method in item:
            assert f"<code>{method.upper()} {path}</code>" in page
    assert re.findall(r'<script src="([^"]+)"', page) == [
        "/static/vendor/htmx.min.js",
        "/static/app.js",
        "/static/fragments.js",
    ]
    assert "<code>Authorization: Bearer &lt;token&gt;</code>" in page
    assert 'id="schema-NewShare"' in page


async def test_the_docs_page_has_the_site_navigation_for_a_logged_in_user(
    browser: Browser,
) -> None:
    page = await (await browser.get("/api/v1/docs")).get_data(as_text=True)
    assert ">API tokens</a>" in page
    assert ">Log out</button>" in page
