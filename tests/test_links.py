"""What a recipient meets at /connect/<token>, in every state, as HTML and as JSON."""

from __future__ import annotations

import pytest
from quart import Quart
from quart.testing import QuartClient

from quart_app.clock import FrozenClock
from quart_app.links.tokens import LinkSigner
from quart_app.services import Services
from quart_app.shares import revoke_all_links, revoke_share
from quart_app.storage.queries.users import User

from .conftest import share_for, token_of

JSON = {"Accept": "application/json"}


async def link(services: Services, owner: User, **kwargs: int) -> str:
    created = await share_for(services, owner, **kwargs)
    return "/connect/" + token_of(created.links[0].url)


async def test_ready_link_names_who_shares_and_offers_open_button(
    client: QuartClient, services: Services, user: User
) -> None:
    response = await client.get(await link(services, user))
    page = await response.get_data(as_text=True)
    assert response.status_code == 200
    assert "user1 has shared something with you" in page
    assert '<button type="submit" class="primary">Open</button>' in page
    assert "hunter2" not in page


async def test_open_grants_access_once_and_shows_the_note(
    app: Quart, client: QuartClient, services: Services, user: User
) -> None:
    path = await link(services, user)
    first = await client.post(path)
    assert first.status_code == 200
    page = await first.get_data(as_text=True)
    assert "Access granted by user1" in page
    assert "the wifi password is hunter2" in page
    someone_else = app.test_client()
    second = await someone_else.post(path)
    assert second.status_code == 410
    assert "This link has already been used" in await second.get_data(as_text=True)
    assert (await someone_else.get(path)).status_code == 410


async def test_get_and_head_fifty_times_leave_the_link_ready(
    client: QuartClient, services: Services, user: User
) -> None:
    path = await link(services, user)
    for _ in range(25):
        assert (await client.get(path)).status_code == 200
        assert (await client.head(path)).status_code == 200
    assert (await client.post(path)).status_code == 200


async def test_link_past_its_ttl_has_expired(
    client: QuartClient, services: Services, user: User, clock: FrozenClock
) -> None:
    path = await link(services, user, ttl=300)
    clock.advance(299)
    assert (await client.get(path)).status_code == 200
    clock.advance(2)
    for response in (await client.get(path), await client.post(path)):
        assert response.status_code == 410
        assert "This link has expired" in await response.get_data(as_text=True)


async def test_revoked_share_answers_revoked(
    client: QuartClient, services: Services, user: User
) -> None:
    created = await share_for(services, user)
    path = "/connect/" + token_of(created.links[0].url)
    await revoke_share(services, user, created.share.id)
    for response in (await client.get(path), await client.post(path)):
        assert response.status_code == 410
        assert "This link was revoked" in await response.get_data(as_text=True)


async def test_used_link_stays_used_after_its_share_is_revoked(
    client: QuartClient, services: Services, user: User
) -> None:
    created = await share_for(services, user, links=2)
    path = "/connect/" + token_of(created.links[0].url)
    assert (await client.post(path)).status_code == 200
    await revoke_share(services, user, created.share.id)
    response = await client.get(path, headers=JSON)
    assert (await response.get_json())["state"] == "used"


async def test_revoke_all_burns_links_issued_before(
    client: QuartClient, services: Services, user: User
) -> None:
    before = await link(services, user)
    await revoke_all_links(services, user)
    after = await link(services, user)
    assert (await client.post(before)).status_code == 410
    assert (await client.post(after)).status_code == 200


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda t: t[:-5], id="truncated"),
        pytest.param(lambda t: t[:20], id="cut-short"),
        pytest.param(lambda t: t.replace(".", "", 1), id="no-separator"),
        pytest.param(lambda t: "A" + t[1:] if t[0] != "A" else "B" + t[1:], id="payload-edited"),
        pytest.param(lambda t: t + "x", id="extended"),
        pytest.param(lambda t: t[:30] + "!" + t[30:], id="stray-character"),
        pytest.param(lambda t: t + "A" * 300, id="too-long"),
        pytest.param(lambda _: "garbage", id="garbage"),
        pytest.param(lambda _: "a/b/c", id="slashes"),
    ],
)
async def test_forged_or_damaged_links_are_not_valid(
    client: QuartClient, services: Services, user: User, mangle: object
) -> None:
    token = token_of((await share_for(services, user)).links[0].url)
    bad = mangle(token)  # type: ignore[operator]
    for response in (await client.get(f"/connect/{bad}"), await client.post(f"/connect/{bad}")):
        assert response.status_code == 404
        assert "This link is not valid" in await response.get_data(as_text=True)
    assert (await client.post(f"/connect/{token}")).status_code == 200


async def test_link_signed_with_another_key_is_not_valid(
    client: QuartClient, services: Services, user: User, clock: FrozenClock
) -> None:
    share = (await share_for(services, user)).share
    stranger = LinkSigner(("another-key-" + "x" * 32,), max_ttl=3600, clock=clock)
    forged = stranger.issue(share.id, ttl=3600, generation=0)
    response = await client.post(f"/connect/{forged}")
    assert response.status_code == 404


def _flip_padding_bits(token: str) -> str:
    """Alter the unused low bits of the signature's last base64 character."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    # A 32-byte SHA-256 signature is 43 base64 characters; the last carries 4 data bits
    # and 2 padding bits, which decoders ignore.
    index = alphabet.index(token[-1])
    return token[:-1] + alphabet[index ^ 0b01]


async def test_padding_variant_of_a_token_is_the_same_link(
    client: QuartClient, services: Services, user: User
) -> None:
    token = token_of((await share_for(services, user)).links[0].url)
    twin = _flip_padding_bits(token)
    assert twin != token
    assert services.signer.verify(twin) == services.signer.verify(token)
    # As a program, so no re-view cookie is set: this is about the ledger alone.
    assert (await client.post(f"/connect/{twin}", headers=JSON)).status_code == 200
    response = await client.post(f"/connect/{token}")
    assert response.status_code == 410
    assert "already been used" in await response.get_data(as_text=True)


async def test_json_answers_follow_the_design(
    client: QuartClient, services: Services, user: User, clock: FrozenClock
) -> None:
    path = await link(services, user)
    ready = await client.get(path, headers=JSON)
    assert ready.status_code == 200
    body = await ready.get_json()
    assert body == {"state": "ready", "granted_by": "user1", "expires_at": body["expires_at"]}
    assert body["expires_at"].endswith("Z")
    granted = await client.post(path, headers=JSON)
    assert await granted.get_json() == {
        "state": "granted",
        "granted_by": "user1",
        "note": "the wifi password is hunter2",
        "used_at": "2027-01-15T08:00:00Z",
    }
    used = await client.post(path, headers=JSON)
    assert used.status_code == 410
    assert await used.get_json() == {"state": "used", "error": "This link has already been used"}
    invalid = await client.get("/connect/nope", headers=JSON)
    assert invalid.status_code == 404
    assert await invalid.get_json() == {"state": "invalid", "error": "This link is not valid"}
    assert clock() == 1_800_000_000.0


@pytest.mark.parametrize("method", ["GET", "HEAD", "POST"])
@pytest.mark.parametrize("accept", ["text/html", "application/json"])
async def test_every_link_answer_forbids_caching_referrers_and_indexing(
    client: QuartClient, services: Services, user: User, method: str, accept: str
) -> None:
    for path in (await link(services, user), "/connect/not-a-token"):
        response = await client.open(path, method=method, headers={"Accept": accept})
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["X-Robots-Tag"] == "noindex"
        if accept == "text/html":
            assert "script-src 'self'" in response.headers["Content-Security-Policy"]
            assert "unsafe-inline" not in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "https://evil.example"},
        {"Origin": "http://oncelink.test.evil.example"},
    ],
)
async def test_cross_site_post_is_refused_and_the_link_stays_ready(
    client: QuartClient, services: Services, user: User, headers: dict[str, str]
) -> None:
    path = await link(services, user)
    assert (await client.post(path, headers=headers)).status_code == 403
    assert (await client.get(path)).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "same-origin", "Origin": "http://oncelink.test"},
        # What a browser sends from a page with Referrer-Policy: no-referrer.
        {"Sec-Fetch-Site": "same-origin", "Origin": "null"},
        {"Sec-Fetch-Site": "none"},
        {"Origin": "http://oncelink.test"},
    ],
)
async def test_same_origin_post_redeems(
    client: QuartClient, services: Services, user: User, headers: dict[str, str]
) -> None:
    path = await link(services, user)
    assert (await client.post(path, headers=headers)).status_code == 200
