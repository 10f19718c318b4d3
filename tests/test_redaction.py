"""What a log line may hold: no secret path however it is spelled, and nothing that forges
a line or drives a terminal. The access log of a real server is checked in test_logs.py."""

from __future__ import annotations

import logging
import time

import pytest

from quart_app.paths import SECRET_PATHS
from quart_app.redaction import RedactingFilter, escape, loggable, redact

TOKEN = "eyJzIjoiU2hhcmUifQ.Z0x1aw.c2lnbmF0dXJlLW9mLWEtbGluay10b2tlbg"
NAMES = [path.strip("/") for path in SECRET_PATHS]


def spellings(name: str) -> list[str]:
    """Ways a request, a referrer or a proxy may write ``/<name>/<token>``."""
    encoded = "".join(f"%{ord(c):02X}" for c in name)
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in name)
    return [
        f"/{name}/{TOKEN}",
        f"/{name.upper()}/{TOKEN}",
        f"/{name.capitalize()}/{TOKEN}",
        f"/{name}/%20{TOKEN}",
        f"/{name}/ {TOKEN}",
        f"/{name}/\t{TOKEN}",
        f"/{name}/\n{TOKEN}",
        f"/{name}/%0a{TOKEN}",
        f"/{name[0]}%{ord(name[1]):02x}{name[2:]}/{TOKEN}",
        f"/{encoded}/{TOKEN}",
        f"/%25{ord(name[0]):02x}{name[1:]}/{TOKEN}",  # encoded twice
        f"%2F{name}%2F{TOKEN}",
        f"%2f{name.upper()}%2f{TOKEN}",
        f"/{name}%2F{TOKEN}",
        f"//{name}//{TOKEN}",
        f"/./{name}/./{TOKEN}",
        f"/static/../{name}/{TOKEN}",
        f"\\{name}\\{TOKEN}",
        f"/{name};x=1/{TOKEN}",
        f"/{name}?{TOKEN}",
        f"/{name}#{TOKEN}",
        f"/{fullwidth}/{TOKEN}",
        f"/x?next=/{name}/{TOKEN}",
        f"/x?next=%2F{name}%2F{TOKEN}",
        f"https://oncelink.example/{name.upper()}/{TOKEN}",
        f'GET /{name}/{TOKEN} 1.1" 200 - "forged',
    ]


@pytest.mark.parametrize("name", NAMES)
def test_no_spelling_of_a_secret_path_keeps_its_token(name: str) -> None:
    for spelled in spellings(name):
        logged = loggable(spelled)
        assert TOKEN not in logged, spelled
        assert TOKEN[:12] not in logged, spelled
        assert logged.endswith(f"/{name}/[redacted]"), (spelled, logged)


def test_the_rest_of_a_path_before_a_secret_prefix_is_kept_as_sent() -> None:
    assert redact(f"/Static/connect/{TOKEN}") == "/Static/connect/[redacted]"
    assert redact(f"http://Host/connect/{TOKEN}") == "http://Host/connect/[redacted]"


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/shares",
        "/Shares?before=10",
        "/api/v1/shares/q3Tn-x_Y",
        "/static/app.css",
        "/connections",
        "/reconnect/x",
        "/setup-guide",
        "/x/connectx/y",
        "/%C3%A9t%C3%A9",
    ],
)
def test_paths_without_a_secret_are_logged_as_they_are(path: str) -> None:
    assert redact(path) == path


@pytest.mark.parametrize(
    "value",
    [
        "/x\nGET /forged HTTP/1.1",
        "/x\r\n127.0.0.1 forged",
        "/x\x1b[31mred\x1b[0m",
        "/x\x00\x07\x08\x7f",
        "/x\x85next\u2028line\u2029para\x0b\x0c\x1c\x1d\x1e",
        "/x\u202egnp.exe",
        '/x" 200 0 "forged',
        "/x\\x0aforged",
    ],
)
def test_a_client_value_is_logged_on_one_line_without_control_characters(value: str) -> None:
    logged = escape(value)
    assert logged.isprintable()
    assert len(logged.splitlines()) == 1
    assert '"' not in logged.replace('\\"', "")
    assert "\x1b" not in logged


def test_escapes_are_readable_and_unambiguous() -> None:
    assert escape("/a\nb") == "/a\\x0ab"
    assert escape("/a\\x0ab") == "/a\\\\x0ab"
    assert escape('say "hi"') == 'say \\"hi\\"'
    assert escape("/été") == "/été"
    assert escape("/x\u2028") == "/x\\u2028"


def record(message: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    return logging.LogRecord("quart_app.test", logging.ERROR, __file__, 1, message, args, exc_info)


def formatted(record: logging.LogRecord) -> str:
    assert RedactingFilter().filter(record)
    return logging.Formatter("%(levelname)s %(message)s").format(record)


def test_app_records_are_redacted_and_kept_on_their_own_lines() -> None:
    try:
        raise ValueError(f"bad path /CONNECT/{TOKEN}\nERROR forged record\x1b[31m")
    except ValueError as error:
        text = formatted(record("refused %s\n%s", f"/Connect/{TOKEN}", "INFO forged", exc=error))
    assert TOKEN not in text
    assert "\x1b" not in text
    first, *rest = text.splitlines()
    assert first.startswith("ERROR refused /connect/[redacted]")
    assert rest
    assert all(line.startswith("    ") for line in rest)


def test_a_record_written_by_two_handlers_is_cleaned_once() -> None:
    entry = record("a \\ and a %s", "\x1b[31m")
    assert formatted(entry) == formatted(entry) == "ERROR a \\ and a \\x1b[31m"


def test_stack_info_is_cleaned_too() -> None:
    entry = record("here")
    entry.stack_info = f"Stack:\n  /connect/{TOKEN}\n\x1b[31m"
    text = formatted(entry)
    assert TOKEN not in text
    assert "\x1b" not in text


def test_a_value_encoded_more_deeply_than_anyone_decodes_is_not_logged() -> None:
    deep = "/connect/" + TOKEN
    for _ in range(10):
        deep = deep.replace("%", "%25").replace("/", "%2F")
    assert redact(deep) == "[redacted]"


@pytest.mark.parametrize("unit", ["/", "/.", "%2F", "%25", "/c", "\\ "])
def test_redaction_takes_linear_time_on_hostile_input(unit: str) -> None:
    started = time.perf_counter()
    loggable(unit * 16_384)
    assert time.perf_counter() - started < 0.5
