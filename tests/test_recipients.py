"""Named recipients: a link each, numbered within its share, and the name shown wherever its
owner sees the link: the new links, their CSV file, the share page and the API."""

from __future__ import annotations

import csv
import html
import io
import re
from urllib.parse import urlencode

import pytest
from quart.testing import QuartClient

from quart_app.clock import FrozenClock
from quart_app.links.tokens import LinkSigner
from quart_app.services import Services
from quart_app.storage.queries.users import User

from .apiclient import ApiClient, body_of, connect_path
from .conftest import SIGNING_KEY, Browser, share_for, token_of

JSON = {"Accept": "application/json"}
FORM = {"note": "door code 4711", "label": "office", "ttl": "3600", "links": "1"}


async def test_the_api_makes_a_link_for_each_recipient(
    api: ApiClient, client: QuartClient, services: Services
) -> None:
    names = ["bob", "carol@example.com", "Dana Ødegård"]
    created = await body_of(await api.post("/shares", {"note": "n", "recipients": names}))
    links = created["links"]
    assert [(link["number"], link["recipient"]) for link in links] == [
        (1, "bob"),
        (2, "carol@example.com"),
        (3, "Dana Ødegård"),
    ]
    claims = [services.signer.verify(token_of(link["url"])) for link in links]
    assert [claim.number for claim in claims] == [1, 2, 3]  # the token carries its number
    await client.post(connect_path(links[1]["url"]), headers=JSON)
    status = await body_of(await api.get(f"/shares/{created['id']}"))
    assert [(link["recipient"], link["state"]) for link in status["links"]] == [
        ("bob", "ready"),
        ("carol@example.com", "used"),
        ("Dana Ødegård", "ready"),
    ]


async def test_links_without_names_are_numbered_and_name_nobody(api: ApiClient) -> None:
    created = await body_of(await api.post("/shares", {"note": "n", "links": 2}))
    assert [(link["number"], link["recipient"]) for link in created["links"]] == [
        (1, None),
        (2, None),
    ]
    more = await body_of(await api.post(f"/shares/{created['id']}/links", {"links": 2}))
    assert [link["number"] for link in more["links"]] == [3, 4]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"recipients": ["bob"], "links": 1}, "Send either links or recipients, not both."),
        ({"recipients": []}, "Name between 1 and 1000 recipients."),
        ({"recipients": ["x"] * 1001}, "Name between 1 and 1000 recipients."),
        ({"recipients": ["bob", ""]}, "Recipient 2: use 1 to 100 characters."),
        ({"recipients": ["b" * 101]}, "Recipient 1: use 1 to 100 characters."),
        ({"recipients": ["bob\u202ecarol"]}, "Recipient 1: remove the control characters."),
        ({"recipients": ["bob\x00"]}, "Recipient 1: remove the control characters."),
    ],
)
async def test_recipients_are_checked(
    api: ApiClient, body: dict[str, object], problem: str
) -> None:
    refused = await api.post("/shares", {"note": "n", **body})
    assert refused.status_code == 422
    assert (await body_of(refused))["detail"] == {"recipients": problem}


async def test_recipients_must_be_a_list_of_strings(api: ApiClient) -> None:
    for recipients in ("bob", [1, 2], [["bob"]]):
        refused = await api.post("/shares", {"note": "n", "recipients": recipients})
        assert refused.status_code == 422


async def test_links_issued_before_numbers_still_work(
    client: QuartClient, services: Services, user: User, clock: FrozenClock
) -> None:
    created = await share_for(services, user, links=2)
    old = LinkSigner((SIGNING_KEY,), max_ttl=services.settings.max_ttl, clock=clock).issue(
        created.share.id, ttl=3600, generation=0
    )
    assert services.signer.verify(old).number is None
    assert (await client.get("/connect/" + old, headers=JSON)).status_code == 200
    granted = await client.post("/connect/" + old, headers=JSON)
    assert (await granted.get_json())["state"] == "granted"


async def test_the_dashboard_names_each_new_link_and_its_csv_does_too(
    browser: Browser,
) -> None:
    form = {**FORM, "recipients": 'bob\n\n  carol@example.com  \r\n=HYPERLINK("x")\n'}
    created = await browser.post("/shares", form)
    page = await created.get_data(as_text=True)
    assert created.status_code == 201
    assert "3 one-time links" in page
    shown = re.findall(r'<span class="link-recipient" id="recipient-\d+">([^<]*)</span>', page)
    assert [html.unescape(name) for name in shown] == [
        "bob",
        "carol@example.com",
        '=HYPERLINK("x")',
    ]
    links = re.findall(r'name="link" value="([^"]+)"', page)
    names = [html.unescape(n) for n in re.findall(r'name="recipient" value="([^"]*)"', page)]
    expires = re.search(r'name="expires_at" value="(\d+)"', page)
    assert expires is not None
    fields = [("csrf", browser.csrf), ("expires_at", expires.group(1))]
    fields += [("link", link) for link in links] + [("recipient", n) for n in names]
    response = await browser.client.post(
        "/shares/links.csv",
        data=urlencode(fields),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    rows = list(csv.reader(io.StringIO(await response.get_data(as_text=True))))
    assert rows[0] == ["link", "recipient", "expires_at"]
    assert [row[:2] for row in rows[1:]] == [
        [links[0], "bob"],
        [links[1], "carol@example.com"],
        [links[2], '\'=HYPERLINK("x")'],  # a formula no spreadsheet will run
    ]


async def test_a_bad_recipients_box_comes_back_as_typed(browser: Browser) -> None:
    typed = "bob\n" + "x" * 101
    response = await browser.post("/shares", {**FORM, "recipients": typed})
    page = await response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Recipient 2: use 1 to 100 characters." in page
    assert f">{typed}</textarea>" in page
    assert '<details class="more-options" open>' in page
