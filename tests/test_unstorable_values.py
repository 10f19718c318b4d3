"""Values one database stores and another cannot: text with NUL characters, integers past 64
bits. Whatever the backend, they are refused as bad input, never answered with a 500."""

from __future__ import annotations

from quart.testing import QuartClient

from quart_app.storage.queries.users import User

from .apiclient import ApiClient, body_of
from .conftest import Browser


async def test_a_note_or_label_with_a_nul_character_is_refused(api: ApiClient) -> None:
    for body in ({"note": "one\x00two"}, {"note": "n", "label": "a\x00"}):
        response = await api.post("/shares", body)
        assert response.status_code == 422
        assert "NUL" in str((await body_of(response))["detail"])


async def test_the_dashboard_form_refuses_a_nul_character_too(browser: Browser) -> None:
    form = {"note": "a\x00b", "label": "", "ttl": "3600", "links": "1"}
    response = await browser.post("/shares", form)
    assert response.status_code == 422
    assert "NUL character" in await response.get_data(as_text=True)


async def test_share_ids_no_share_could_have_are_not_found(api: ApiClient) -> None:
    for share_id in ("%00", "a%00b", "x" * 65, "%F0%9F%94%91"):
        assert (await api.get(f"/shares/{share_id}")).status_code == 404
        assert (await api.delete(f"/shares/{share_id}")).status_code == 404
        assert (await api.post(f"/shares/{share_id}/links", {})).status_code == 404
    assert (await api.get("/shares?cursor=%00")).status_code == 422


async def test_logging_in_with_a_nul_in_the_name_is_just_a_wrong_login(
    client: QuartClient, user: User
) -> None:
    response = await client.post("/login", form={"name": "user1\x00", "password": "whatever"})
    assert response.status_code == 401


async def test_an_api_token_name_with_a_nul_is_refused(browser: Browser) -> None:
    response = await browser.post("/tokens", {"name": "ci\x00"})
    assert response.status_code == 422


async def test_ids_past_64_bits_in_paths_are_not_found(browser: Browser, user: User) -> None:
    huge = str(2**64)
    assert (await browser.post(f"/tokens/{huge}/revoke")).status_code == 404
    assert (await browser.post(f"/admin/users/{huge}/disable")).status_code == 404
    assert (await browser.get(f"/?before={huge}")).status_code == 200
