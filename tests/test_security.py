"""Defences that hold whatever the route: headers, cookies, sizes, key rotation, no inline
script or style anywhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from quart import Quart
from quart.testing import QuartClient

from quart_app import create_app
from quart_app.clock import FrozenClock
from quart_app.resources import CHECKOUT
from quart_app.storage.queries.users import User
from quart_app.web.context import services_of
from quart_app.web.security import CONTENT_SECURITY_POLICY

from .apiclient import ApiClient
from .conftest import PASSWORD, SIGNING_KEY, Browser, make_settings, make_user, share_for, token_of

NEWER_KEY = "rotated-signing-key-9876543210zyxwvutsrq"


@pytest.mark.parametrize("path", ["/login", "/connect/x", "/nowhere", "/setup/x"])
async def test_every_html_page_carries_the_strict_csp(client: QuartClient, path: str) -> None:
    response = await client.get(path)
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response.headers


def test_templates_have_no_inline_script_style_or_handlers() -> None:
    for template in (CHECKOUT / "templates").glob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template.name
        assert "<style" not in text, template.name
        assert not re.search(r"\sstyle=", text), template.name
        assert not re.search(r"\son[a-z]+=", text), template.name
        assert "hx-on" not in text, template.name
        assert "javascript:" not in text, template.name


async def test_https_deployments_get_host_prefixed_secure_cookies_and_hsts(
    tmp_path: Path, database: str, clock: FrozenClock
) -> None:
    settings = make_settings(tmp_path, database=database, base_url="https://once.example")
    app = create_app(settings, clock)
    async with app.test_app():
        await make_user(services_of(app))
        client = app.test_client()
        response = await client.post(
            "/login", form={"name": "user1", "password": PASSWORD}, scheme="https"
        )
        cookie = response.headers["Set-Cookie"]
        assert cookie.startswith("__Host-oncelink=")
        for attribute in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
            assert attribute in cookie
        assert "Domain" not in cookie
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")


async def test_oversized_bodies_are_refused_with_413(browser: Browser) -> None:
    response = await browser.post("/shares", {"note": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    assert "too large" in await response.get_data(as_text=True)


async def test_key_rotation_keeps_old_links_until_the_old_key_is_dropped(
    tmp_path: Path, database: str, clock: FrozenClock
) -> None:
    def app_with(*keys: str) -> Quart:
        return create_app(make_settings(tmp_path, database=database, signing_keys=keys), clock)

    old_app = app_with(SIGNING_KEY)
    async with old_app.test_app():
        owner: User = await make_user(services_of(old_app))
        old_link = "/connect/" + token_of(
            (await share_for(services_of(old_app), owner)).links[0].url
        )

    rotated = app_with(SIGNING_KEY, NEWER_KEY)
    async with rotated.test_app():
        new_share = await share_for(services_of(rotated), owner)
        new_link = "/connect/" + token_of(new_share.links[0].url)
        client = rotated.test_client()
        assert (await client.get(old_link)).status_code == 200
        assert (await client.get(new_link)).status_code == 200

    retired = app_with(NEWER_KEY)
    async with retired.test_app():
        client = retired.test_client()
        assert (await client.get(old_link)).status_code == 404
        assert (await client.post(new_link)).status_code == 200


@pytest.mark.parametrize(
    "headers", [{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}]
)
async def test_api_calls_from_another_site_are_refused_even_with_a_token(
    api: ApiClient, headers: dict[str, str]
) -> None:
    body = {"note": "from a hostile page", "links": 1}
    refused = await api.post("/shares", body, headers=headers)
    assert refused.status_code == 403
    assert "error" in await refused.get_json()
    assert (await (await api.get("/shares")).get_json())["shares"] == []
    assert (await api.post("/shares", body)).status_code == 201
