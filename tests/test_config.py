"""Settings from the environment, and keys generated on first start."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from quart_app.config import ConfigError, load_settings


def test_defaults_need_no_environment(tmp_path: Path) -> None:
    settings = load_settings({"ONCELINK_INSTANCE": str(tmp_path)})
    assert settings.database == str(tmp_path / "oncelink.sqlite3")
    assert settings.base_url == "http://127.0.0.1:8000"
    assert settings.max_ttl == 30 * 86400
    assert settings.default_ttl == 3600
    assert settings.rate_limits


def test_generated_keys_are_private_and_kept_across_starts(tmp_path: Path) -> None:
    first = load_settings({"ONCELINK_INSTANCE": str(tmp_path)})
    second = load_settings({"ONCELINK_INSTANCE": str(tmp_path)})
    assert first.signing_keys == second.signing_keys
    assert first.secret_key == second.secret_key
    assert first.secret_key not in first.signing_keys
    for name in ("signing.key", "session.key"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600


def test_signing_keys_are_a_list_oldest_first(tmp_path: Path) -> None:
    keys = "a" * 32 + ", " + "b" * 32
    settings = load_settings({"ONCELINK_INSTANCE": str(tmp_path), "ONCELINK_SIGNING_KEYS": keys})
    assert settings.signing_keys == ("a" * 32, "b" * 32)
    assert not (tmp_path / "signing.key").exists()


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SIGNING_KEYS", "short", "32+ characters"),
        ("MAX_TTL", "a week", "whole number"),
        ("DEFAULT_TTL", "100", "out of range"),
        ("BASE_URL", "ftp://example.com", "http(s) URL"),
        ("DATABASE", "mysql://db.example/oncelink", "not a mysql:// URL"),
        ("REDIS_URL", "memcached://cache:11211", "redis:// or rediss:// URL"),
    ],
)
def test_bad_settings_say_what_is_wrong(
    tmp_path: Path, name: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_settings({"ONCELINK_INSTANCE": str(tmp_path), f"ONCELINK_{name}": value})


def test_a_postgresql_url_and_a_redis_url_are_taken_as_given(tmp_path: Path) -> None:
    env = {
        "ONCELINK_INSTANCE": str(tmp_path),
        "ONCELINK_DATABASE": "postgresql://oncelink:secret@db.internal:5432/oncelink",
        "ONCELINK_REDIS_URL": "redis://cache.internal:6379/2",
    }
    settings = load_settings(env)
    assert settings.database == env["ONCELINK_DATABASE"]
    assert settings.redis_url == env["ONCELINK_REDIS_URL"]
    assert load_settings({"ONCELINK_INSTANCE": str(tmp_path)}).redis_url is None


def test_rate_limits_can_be_turned_off(tmp_path: Path) -> None:
    env = {"ONCELINK_INSTANCE": str(tmp_path), "ONCELINK_RATE_LIMITS": "off"}
    assert not load_settings(env).rate_limits


def test_base_url_origin_drops_the_path(tmp_path: Path) -> None:
    env = {"ONCELINK_INSTANCE": str(tmp_path), "ONCELINK_BASE_URL": "https://x.example:8443/o/"}
    settings = load_settings(env)
    assert settings.base_url == "https://x.example:8443/o"
    assert settings.origin == "https://x.example:8443"
    assert settings.secure_cookies
