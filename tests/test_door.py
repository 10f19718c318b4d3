"""Programs redeeming live links are answered at the door, before the framework: exactly as
the view would answer them, with the same checks."""

from __future__ import annotations

import logging

import pytest
from quart import Quart, Response, request
from quart.testing import QuartClient

from quart_app.links.redemption import Redemption
from quart_app.services import Services
from quart_app.storage.queries.users import User
from quart_app.web.errors import MESSAGES

from .conftest import share_for, token_of

JSON = {"Accept": "application/json"}
# The view handles a request with cookies itself: they may hold a pass to re-view a note.
THROUGH_THE_VIEW = {**JSON, "Cookie": "unrelated=1"}

Snapshot = tuple[int, list[tuple[str, str]], bytes]


async def snapshot(response: Response) -> Snapshot:
    headers = sorted((k.lower(), v) for k, v in response.headers.items() if k != "Date")
    return response.status_code, headers, await response.get_data()


@pytest.fixture
def entered(app: Quart) -> list[str]:
    """The paths of the requests that reached Quart."""
    paths: list[str] = []

    @app.before_request
    async def note_entry() -> None:
        paths.append(request.path)

    return paths


async def test_a_program_redeems_at_the_door_as_the_view_would_answer(
    client: QuartClient, services: Services, user: User, entered: list[str]
) -> None:
    at_door, in_view = (
        "/connect/" + token_of(link.url)
        for link in (await share_for(services, user, links=2)).links
    )
    answers: dict[str, list[Snapshot]] = {}
    for path, headers in ((at_door, JSON), (in_view, THROUGH_THE_VIEW)):
        granted = await client.post(path, headers=headers)
        used = await client.post(path, headers=headers)
        answers[path] = [await snapshot(granted), await snapshot(used)]
    assert answers[at_door] == answers[in_view]
    assert [status for status, _, _ in answers[at_door]] == [200, 410]
    assert b"hunter2" in answers[at_door][0][2]
    assert entered == [in_view, in_view]


@pytest.mark.parametrize(
    "headers", [{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}]
)
async def test_a_cross_site_redemption_is_refused(
    client: QuartClient, services: Services, user: User, headers: dict[str, str]
) -> None:
    path = "/connect/" + token_of((await share_for(services, user)).links[0].url)
    refused = await client.post(path, headers={**JSON, **headers})
    assert refused.status_code == 403
    assert (await client.post(path, headers=JSON)).status_code == 200


async def test_programs_count_against_the_redemption_limit(
    client: QuartClient, services: Services, user: User
) -> None:
    created = await share_for(services, user, links=61)
    statuses = [
        (await client.post("/connect/" + token_of(link.url), headers=JSON)).status_code
        for link in created.links
    ]
    assert statuses == [200] * 60 + [429]


async def test_a_failed_redemption_answers_500_as_the_app_does(
    client: QuartClient,
    services: Services,
    user: User,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = token_of((await share_for(services, user)).links[0].url)

    async def broken(claim: object) -> Redemption:
        raise RuntimeError("disk I/O error")

    monkeypatch.setattr(services.redeemer, "redeem", broken)
    with caplog.at_level(logging.ERROR):
        failed = await client.post("/connect/" + token, headers=JSON)
    assert failed.status_code == 500
    assert await failed.get_json() == {"error": MESSAGES[500], "detail": None}
    assert "unhandled RuntimeError" in caplog.text
    assert token not in caplog.text
