"""Hostile input at every route of a started app: never a 500, never an unhandled
exception in the log, and the link under attack still works exactly once afterwards. A
target per class of problem found before keeps it fixed: numbers spelt in any Unicode digits
wherever a request carries one, bodies over the limit on every route, and hostile request
lines and headers through the access log (no spelling of a secret path leaves its token
there, no value breaks a line or writes a control character).

ONCELINK_FUZZ_EXAMPLES scales the run (default 2,400 requests; 100000 for release checks).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import os
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from itsdangerous import URLSafeTimedSerializer
from quart import Quart
from quart.testing import QuartClient

from quart_app import create_app
from quart_app.api_tokens import create_api_token
from quart_app.clock import FrozenClock
from quart_app.links.tokens import LinkError
from quart_app.logs import compile_atoms
from quart_app.paths import SECRET_PATHS
from quart_app.resources import CHECKOUT
from quart_app.web.context import services_of
from quart_app.web.intake import MAX_REQUEST_BYTES

from .conftest import (
    BACKENDS,
    BASE_URL,
    PASSWORD,
    SIGNING_KEY,
    Browser,
    fresh_database,
    log_in,
    make_settings,
    make_user,
    share_for,
    token_of,
)

TOTAL = int(os.environ.get("ONCELINK_FUZZ_EXAMPLES", "1000"))
TOKEN_SHARE = 0.4  # of the examples go at /connect/<token>; the rest spread over all routes
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND"]
CONNECT_RULE = "/connect/<path:token>"
FIELDS = [
    "note",
    "label",
    "ttl",
    "links",
    "name",
    "password",
    "csrf",
    "link",
    "confirm",
    "current",
    "new",
    "url",
    "recipients",
    "passphrase",
]


@dataclass
class Target:
    """A started app, a logged-in fuzzing client, and another user's link under attack. The
    targets that check answers, not only that nothing fails, use sessions and an API token
    of their own (a user and an admin), which the fuzzing client cannot end or revoke."""

    app: Quart
    loop: asyncio.AbstractEventLoop
    client: QuartClient
    csrf: str
    link_token: str
    checker: Browser
    checker_api_token: str
    admin: Browser

    def send(self, path: str, method: str, headers: dict[str, str], body: bytes) -> int:
        return self.send_as(self.client, path, method, headers, body)

    def checker_for(self, path: str) -> QuartClient:
        """The checking client; for a live stream, nobody logged in: the stream reads its
        numbers, says "done" and ends, where a logged-in user's would stay open 20 s."""
        return self.app.test_client() if path in STREAMS else self.checker.client

    def send_as(
        self, client: QuartClient, path: str, method: str, headers: dict[str, str], body: bytes
    ) -> int:
        response = self.loop.run_until_complete(
            client.open(path, method=method, headers=headers, data=body)
        )
        return response.status_code


@pytest.fixture(scope="module", params=BACKENDS)
def target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Target]:
    folder = tmp_path_factory.mktemp("fuzz")
    with fresh_database(request, request.param, folder) as database:
        # Rate limits off: otherwise nearly every example would stop at a 429, short of the
        # code under attack. The limiter has its own tests.
        settings_ = make_settings(folder, database=database, rate_limits=False)
        app = create_app(settings_, FrozenClock(1_800_000_000))
        loop = asyncio.new_event_loop()
        testing = app.test_app()
        loop.run_until_complete(testing.__aenter__())
        client = app.test_client()
        target = loop.run_until_complete(_prepare(app, loop, client))
        yield target
        loop.run_until_complete(testing.__aexit__(None, None, None))
        loop.close()


async def _prepare(app: Quart, loop: asyncio.AbstractEventLoop, client: QuartClient) -> Target:
    services = services_of(app)
    owner = await make_user(services, "owner")
    await make_user(services, "fuzzer")
    link = (await share_for(services, owner)).links[0].url
    await client.post("/login", form={"name": "fuzzer", "password": PASSWORD})
    page = await (await client.get("/")).get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert csrf is not None
    checker = await make_user(services, "checker")
    api_token = await create_api_token(services, checker.id, "checking")
    await make_user(services, "boss", admin=True)
    return Target(
        app,
        loop,
        client,
        csrf.group(1),
        token_of(link),
        await log_in(app.test_client(), "checker"),
        api_token,
        await log_in(app.test_client(), "boss"),
    )


@pytest.fixture(autouse=True)
def no_unhandled_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    with caplog.at_level(logging.ERROR):
        yield
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]


text = st.text(st.characters(exclude_categories=("Cs",)), max_size=80)
numbers = st.one_of(st.integers(), st.floats(allow_nan=True)).map(str)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=12,
)


def other_salt_token(payload: Any) -> str:
    return URLSafeTimedSerializer(
        SIGNING_KEY, salt="not.oncelink", signer_kwargs={"digest_method": hashlib.sha256}
    ).dumps(payload)


@st.composite
def mangled(draw: st.DrawFn, token: str) -> str:
    """Damage a valid token the ways an attacker or a bad copy-paste would."""
    at = draw(st.integers(0, len(token)))
    return draw(
        st.sampled_from(
            [
                token[:at],
                token + draw(text),
                token[:at] + draw(st.characters(exclude_categories=("Cs",))) + token[at + 1 :],
                token[:at] + token[at + 1 :],
                ".".join(reversed(token.split("."))),
                token.upper(),
                token * draw(st.integers(2, 5)),
                other_salt_token(draw(json_values)),
                other_salt_token({"s": "x", "j": "y", "t": 600, "g": 0}),
            ]
        )
    )


def headers_strategy(target: Target) -> st.SearchStrategy[dict[str, str]]:
    values = {
        "Accept": st.sampled_from(["application/json", "text/html", "*/*", "garbage/;;q=x", ""]),
        "Content-Type": st.sampled_from(
            [
                "application/x-www-form-urlencoded",
                "application/json",
                "multipart/form-data",
                "multipart/form-data; boundary=x",
                "text/plain",
                "application/octet-stream",
            ]
        ),
        "HX-Request": st.sampled_from(["true", "false", "1"]),
        "Origin": st.sampled_from(["null", "http://oncelink.test", "https://evil.example", ""]),
        "Sec-Fetch-Site": st.sampled_from(["same-origin", "cross-site", "none", "bogus"]),
        "X-Forwarded-For": st.sampled_from(["1.2.3.4", "::1, 10.0.0.1", "not an ip", ""]),
        "X-CSRF-Token": st.sampled_from([target.csrf, "wrong", ""]),
    }
    return st.fixed_dictionaries({}, optional=values)


@st.composite
def bodies(draw: st.DrawFn, target: Target) -> bytes:
    kind = draw(st.sampled_from(["form", "json", "raw", "huge", "empty"]))
    if kind == "form":
        fields = draw(st.dictionaries(st.sampled_from(FIELDS), text | numbers, max_size=6))
        if draw(st.booleans()):
            fields["csrf"] = target.csrf
        return "&".join(f"{quote(k)}={quote(v)}" for k, v in fields.items()).encode()
    if kind == "json":
        return json.dumps(draw(json_values)).encode()
    if kind == "raw":
        return draw(st.binary(max_size=300))
    if kind == "huge":
        return b"note=" + b"A" * draw(st.sampled_from([65 * 1024, 600 * 1024, 1100 * 1024]))
    return b""


def path_for(rule: str, value: str) -> str:
    """A concrete path for a URL rule, with every variable part replaced by ``value``."""
    return re.sub(r"<[^>]+>", quote(value, safe=""), rule)


def check(target: Target, path: str, method: str, headers: dict[str, str], body: bytes) -> None:
    status = target.send(path, method, headers, body)
    assert status < 500, (method, path, headers, body[:200])


def examples(share: float) -> Any:
    return settings(
        max_examples=max(1, int(TOTAL * share)),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,
    )


@examples(TOKEN_SHARE)
@given(data=st.data())
def test_mangled_and_random_tokens_never_break_the_link_page(
    target: Target, data: st.DataObject
) -> None:
    token = data.draw(
        st.one_of(mangled(target.link_token), text, st.text(min_size=257, max_size=2000))
    )
    # A mangling that leaves the link intact (an empty suffix, other unused signature bits)
    # is the link itself, and a POST would rightly use it up: those only look at it.
    methods = ["GET", "HEAD"] if is_the_link(target, token) else ["GET", "HEAD", "POST"]
    method = data.draw(st.sampled_from(methods))
    headers = data.draw(headers_strategy(target))
    check(target, "/connect/" + quote(token, safe=""), method, headers, b"")


def is_the_link(target: Target, token: str) -> bool:
    signer = services_of(target.app).signer
    try:
        return signer.verify(token).jti == signer.verify(target.link_token).jti
    except LinkError:
        return False


@examples(1 - TOKEN_SHARE)
@given(data=st.data())
def test_every_route_survives_any_method_header_and_body(
    target: Target, data: st.DataObject
) -> None:
    rules = sorted({rule.rule for rule in target.app.url_map.iter_rules()})
    rule = data.draw(st.sampled_from(rules))
    # The link's own token goes everywhere but /connect/: a plain POST there would use it,
    # and the test below checks that it survived. The token test attacks /connect/.
    real_token = st.just(target.link_token) if rule != CONNECT_RULE else text
    value = data.draw(st.one_of(text, numbers, real_token))
    path = path_for(rule, value)
    if data.draw(st.booleans()):
        path += "?" + "&".join(
            f"{quote(k)}={quote(v)}"
            for k, v in data.draw(
                st.dictionaries(
                    st.sampled_from(["before", "cursor", "next", "x"]), text, max_size=2
                )
            ).items()
        )
    method = data.draw(st.sampled_from(METHODS))
    check(target, path, method, data.draw(headers_strategy(target)), data.draw(bodies(target)))


# Every number a request may carry, by where it goes. A new numeric parameter belongs here.
NUMBERS_IN_QUERIES = [
    ("/shares", "before"),
    ("/shares/events", "since"),
    ("/shares/events", "before"),
    ("/api/v1/shares", "limit"),
]
NUMBERS_IN_FORMS = [
    ("/shares", "ttl"),
    ("/shares", "links"),
    ("/shares/links.csv", "expires_at"),
    ("/admin/invites", "days"),  # sent by the admin
]
NUMBERS_IN_HEADERS = [("/shares/events", "Last-Event-ID")]
digits = st.characters(categories=("Nd", "No", "Nl"))  # every kind of Unicode digit
numbers_spelt_oddly = st.text(digits | st.sampled_from("0123456789 +-_.,"), min_size=1, max_size=20)
JSON_AND_STREAMS = {"Accept": "application/json, text/event-stream"}
FORM = "application/x-www-form-urlencoded"
STREAMS = {"/shares/events"}


def path_numbers(target: Target) -> list[str]:
    return sorted({rule.rule for rule in target.app.url_map.iter_rules() if "<int:" in rule.rule})


@examples(0.1)
@given(data=st.data())
def test_a_number_in_any_spelling_anywhere_is_read_as_ascii_digits_or_refused(
    target: Target, data: st.DataObject
) -> None:
    spelt = data.draw(numbers_spelt_oddly.filter(lambda text: not text.strip().isascii()))
    where = data.draw(st.sampled_from(["query", "form", "header", "path"]))
    headers = {
        **JSON_AND_STREAMS,
        "X-CSRF-Token": target.checker.csrf,
        "Authorization": f"Bearer {target.checker_api_token}",
    }
    if where == "query":
        path, name = data.draw(st.sampled_from(NUMBERS_IN_QUERIES))
        client = target.checker_for(path)
        status = target.send_as(client, f"{path}?{name}={quote(spelt)}", "GET", headers, b"")
        # The API's page size is refused; the others fall back to their first page.
        assert status == (422 if path.startswith("/api/") else 200), (path, spelt)
    elif where == "form":
        path, name = data.draw(st.sampled_from(NUMBERS_IN_FORMS))
        link = f"{BASE_URL}/connect/{target.link_token}"  # posted back for a CSV: not used
        fields = {"note": "n", "ttl": "3600", "links": "1", "link": link, name: spelt}
        sender = target.admin if path.startswith("/admin/") else target.checker
        body = "&".join(f"{key}={quote(value)}" for key, value in fields.items()).encode()
        form = {**headers, "X-CSRF-Token": sender.csrf, "Content-Type": FORM}
        assert target.send_as(sender.client, path, "POST", form, body) == 422, (path, spelt)
    elif where == "header":
        path, name = data.draw(st.sampled_from(NUMBERS_IN_HEADERS))
        sent = spelt.encode().decode("latin-1")  # the UTF-8 bytes, as a server reads them
        status = target.send_as(target.checker_for(path), path, "GET", {**headers, name: sent}, b"")
        assert status == 200, (path, spelt)
    else:
        rule = data.draw(st.sampled_from(path_numbers(target)))
        path = path_for(rule, spelt)
        method = data.draw(st.sampled_from(["GET", "POST"]))
        assert target.send_as(target.checker.client, path, method, headers, b"") == 404


@examples(0.1)
@given(data=st.data())
def test_a_body_over_the_limit_is_refused_on_every_route_before_it_is_read(
    target: Target, data: st.DataObject
) -> None:
    rules = sorted({rule.rule for rule in target.app.url_map.iter_rules()})
    path = path_for(data.draw(st.sampled_from(rules)), data.draw(text | numbers))
    method = data.draw(st.sampled_from(["POST", "PUT", "PATCH", "DELETE", "GET"]))
    size = MAX_REQUEST_BYTES + data.draw(st.integers(1, 64 * 1024))
    # As a client sends a body it has whole (the test client leaves the length out).
    headers = {**data.draw(headers_strategy(target)), "Content-Length": str(size)}
    assert target.send(path, method, headers, b"A" * size) == 413, (method, path)


def test_the_link_under_attack_still_works_exactly_once(target: Target) -> None:
    path = "/connect/" + target.link_token
    assert target.send(path, "GET", {}, b"") == 200
    assert target.send(path, "POST", {}, b"") == 200
    # Anyone else now finds it used (the redeeming client itself may read it again).
    someone_else = target.app.test_client()
    later = target.loop.run_until_complete(someone_else.post(path))
    assert later.status_code == 410


def test_fuzzing_reaches_every_route(target: Target) -> None:
    """Guards the guard: a new route must be reachable by the generic fuzzer."""
    rules = {rule.rule for rule in target.app.url_map.iter_rules()}
    assert CONNECT_RULE in rules
    assert len(rules) >= 10


# The class of log leaks and log injection: every spelling of a secret path, and any value,
# through the access log's own atoms, as Hypercorn hands a request to them.
ACCESS_LOG_FORMAT = tomllib.loads((CHECKOUT / "hypercorn.toml").read_text())["access_log_format"]
EVERY_VALUE_FORMAT = ACCESS_LOG_FORMAT + ' "%(R)s" "%(f)s" "%(a)s" %(q)s'
TOKEN_TEXT = st.binary(min_size=60, max_size=90).map(
    lambda raw: (
        base64.urlsafe_b64encode(raw).decode().rstrip("=")[:40] + ".Z0x1aw." + raw.hex()[:43]
    )
)
GAPS = ["", "%20", " ", "%09", "%0a", "%0d%0a", "%00", "%1b[31m", "%2520"]
WIRE_SAFE = "".join(map(chr, range(0x21, 0x7F)))
SLASHES = ["/", "//", "/./", "/../", "%2F", "%2f", "%252F", "\\", "%5C", "/%20", "/;x=1/"]


@st.composite
def spelled_secret_paths(draw: st.DrawFn) -> tuple[str, str]:
    """A request target that spells a secret prefix as a client, a proxy or an attacker
    might, and the token it carries."""
    name = draw(st.sampled_from(SECRET_PATHS)).strip("/")
    letters = "".join(draw(st.sampled_from(letter_spellings(letter))) for letter in name)
    before = draw(st.sampled_from(["", "/static/..", "/x?next=", "http://Host", "//"]))
    slash, after = draw(st.sampled_from(SLASHES)), draw(st.sampled_from(SLASHES))
    token = draw(TOKEN_TEXT)
    return before + slash + letters + after + draw(st.sampled_from(GAPS)) + token, token


def letter_spellings(letter: str) -> list[str]:
    """A letter as a request may spell it: either case, percent-encoded once or twice, or
    its full-width look-alike."""
    cases = (letter.lower(), letter.upper())
    encoded = [f"%{ord(case):02{style}}" for case in cases for style in "xX"]
    return [*cases, *encoded, *(f"%25{code[1:]}" for code in encoded), chr(ord(cases[0]) + 0xFEE0)]


def access_line(target: str, headers: list[tuple[bytes, bytes]], log_format: str) -> str:
    """The access log line for a request to ``target``: sent as a client must send it (only
    printable ASCII on the request line), decoded as Hypercorn decodes it."""
    wire = quote(target, safe=WIRE_SAFE).encode("ascii")
    path, _, query = wire.partition(b"?")
    scope: Any = {
        "type": "http",
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": unquote(path.decode("ascii")),
        "query_string": query,
        "headers": headers,
        "client": ("127.0.0.1", 5000),
    }
    response: Any = {"status": 404, "headers": [(b"content-length", b"9")]}
    return log_format % compile_atoms(log_format)(scope, response, 0.001)


@settings(max_examples=TOTAL // 4, deadline=None, database=None)
@given(spelled=spelled_secret_paths())
def test_no_spelling_of_a_secret_path_leaves_its_token_in_the_access_log(
    spelled: tuple[str, str],
) -> None:
    target, token = spelled
    referrer = ("http://oncelink.test" + target).encode("utf-8")
    line = access_line(target, [(b"referer", referrer)], EVERY_VALUE_FORMAT)
    assert token not in line, (target, line)
    assert "[redacted]" in line


@settings(max_examples=TOTAL // 4, deadline=None, database=None)
@given(
    target=st.text(st.characters(exclude_categories=("Cs",)), max_size=200),
    header=st.binary(max_size=100),
)
def test_no_client_value_puts_a_line_break_or_a_control_character_in_the_access_log(
    target: str, header: bytes
) -> None:
    line = access_line(
        "/" + target, [(b"user-agent", header), (b"referer", header)], EVERY_VALUE_FORMAT
    )
    assert line.isprintable(), line
