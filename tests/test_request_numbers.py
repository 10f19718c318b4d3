"""Numbers in requests are ASCII digits, whichever part of the request carries them; an
unexpected error is logged without its message, which may quote what the request sent."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from quart.testing import QuartClient

from quart_app.links import redemption
from quart_app.services import Services
from quart_app.storage.queries.users import User

from .apiclient import ApiClient
from .conftest import Browser, log_in, make_user, share_for, token_of
from .livestreams import STREAM

SUPERSCRIPT_TWO = "²"  # str.isdigit() says yes, int() raises
ARABIC_THREE = "٣"  # int() reads 3
FULLWIDTH_FIVE = "\uff15"  # int() reads 5
ODD_NUMBERS = [SUPERSCRIPT_TWO, ARABIC_THREE, FULLWIDTH_FIVE, "+5", "5_0", "0x10", "1" * 40]


def as_sent(text: str) -> str:
    """A header value as a server reads the UTF-8 bytes a client sent (as Latin-1)."""
    return text.encode().decode("latin-1")


@pytest.mark.parametrize("since", ODD_NUMBERS)
async def test_a_live_stream_asked_from_an_odd_point_answers_without_an_error(
    client: QuartClient, since: str
) -> None:
    # Nobody is logged in: the stream says so ("done") and ends.
    by_query = await client.get("/shares/events", query_string={"since": since}, headers=STREAM)
    header = {**STREAM, "Last-Event-ID": as_sent(since)}
    by_header = await client.get("/shares/events", headers=header)
    for response in (by_query, by_header):
        assert response.status_code == 200
        assert b"event: done" in await response.get_data()


@pytest.mark.parametrize("before", ODD_NUMBERS)
async def test_the_share_list_from_an_odd_cursor_is_the_first_page(
    browser: Browser, services: Services, user: User, before: str
) -> None:
    await share_for(services, user, note="first page")
    query = {"before": before}
    response = await browser.get("/shares", query_string=query, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Untitled share" in await response.get_data(as_text=True)


@pytest.mark.parametrize("expires_at", [*ODD_NUMBERS, ARABIC_THREE * 10])
async def test_a_csv_of_links_with_an_odd_expiry_is_refused(
    browser: Browser, services: Services, user: User, expires_at: str
) -> None:
    created = await share_for(services, user)
    form = {"link": created.links[0].url, "expires_at": expires_at}
    assert (await browser.post("/shares/links.csv", form)).status_code == 422
    form["expires_at"] = "1800003600"
    assert (await browser.post("/shares/links.csv", form)).status_code == 200


@pytest.mark.parametrize("field", ["ttl", "links"])
@pytest.mark.parametrize("spelling", [ARABIC_THREE * 3, FULLWIDTH_FIVE, "+5", "3_00"])
async def test_the_share_form_takes_numbers_in_ascii_digits_only(
    browser: Browser, field: str, spelling: str
) -> None:
    form = {"note": "kept as typed", "ttl": "3600", "links": "2", field: spelling}
    response = await browser.post("/shares", form)
    assert response.status_code == 422
    page = await response.get_data(as_text=True)
    assert "kept as typed" in page
    assert f'id="{field}-problem"' in page


@pytest.mark.parametrize("limit", ODD_NUMBERS)
async def test_the_api_takes_a_page_size_in_ascii_digits_only(api: ApiClient, limit: str) -> None:
    response = await api.get("/shares?limit=" + quote(limit))
    assert response.status_code == 422
    assert (await response.get_json())["detail"] == {"limit": "Must be a whole number."}
    assert (await api.get("/shares?limit=5")).status_code == 200


@pytest.mark.parametrize("spelling", [ARABIC_THREE, FULLWIDTH_FIVE])
async def test_ids_in_paths_are_ascii_digits(browser: Browser, spelling: str) -> None:
    # As 3 or 5 these would name a token to revoke (404 if not the user's, after the lookup);
    # they name nothing.
    response = await browser.post(f"/tokens/{spelling}/revoke")
    assert response.status_code == 404
    assert "There is nothing here." in await response.get_data(as_text=True)


async def test_an_unexpected_error_is_logged_without_its_message(
    browser: Browser,
    client: QuartClient,
    services: Services,
    user: User,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = token_of((await share_for(services, user, links=2)).links[0].url)

    async def failing(*args: object, **kwargs: object) -> None:
        message = f"invalid literal for int(): {token!r} and the note hunter2"
        raise ValueError(message)  # as a message quotes what it was given

    monkeypatch.setattr(redemption.Claim, "__call__", failing)
    at_the_door = await client.post(f"/connect/{token}", headers={"Accept": "application/json"})
    in_the_view = await browser.post(f"/connect/{token}")
    assert at_the_door.status_code == in_the_view.status_code == 500
    logged = [caplog.handler.format(record) for record in caplog.records]
    errors = [text for text in logged if "unhandled ValueError" in text]
    assert len(errors) == 2
    assert all("Traceback" not in text and "redemption.py" in text for text in errors)
    assert not any(token in text or "hunter2" in text for text in logged)


@pytest.mark.parametrize("days", [SUPERSCRIPT_TWO, ARABIC_THREE, "+7", "7_0"])
async def test_an_invite_for_an_odd_number_of_days_is_refused(
    client: QuartClient, services: Services, days: str
) -> None:
    await make_user(services, "boss", admin=True)
    admin = await log_in(client, "boss")
    response = await admin.post("/admin/invites", {"days": days, "label": "kept"})
    assert response.status_code == 422
    assert "Let the invite work for 1 to 30 days." in await response.get_data(as_text=True)
