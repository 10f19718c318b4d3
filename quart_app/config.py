"""Typed settings read from ``ONCELINK_*`` environment variables."""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
PREFIX = "ONCELINK_"
MIN_KEY_LENGTH = 32
DAY = 24 * 3600
# How much of a client's address the audit trail keeps: its network only (the /24 of IPv4,
# the /48 of IPv6), all of it, or nothing.
AUDIT_ADDRESSES = ("truncated", "full", "off")


class ConfigError(ValueError):
    """A setting is missing or malformed; the message says which and why."""


@dataclass(frozen=True)
class Settings:
    instance: Path
    database: str  # a SQLite file's path or sqlite:/// URL, or a postgresql:// URL
    base_url: str
    signing_keys: tuple[str, ...]
    secret_key: str
    note_keys: tuple[str, ...]  # oldest first; the newest encrypts what is new
    max_ttl: int = 30 * DAY
    default_ttl: int = 3600
    rate_limits: bool = True
    trusted_proxies: tuple[IPNetwork, ...] = ()
    sweep_interval: float = 60.0
    redis_url: str | None = None  # rate limits shared by every instance, when set
    audit_addresses: str = "truncated"  # one of AUDIT_ADDRESSES
    audit_days: int = 90  # events are kept this long after their share closes
    smtp_url: str | None = None  # notifications by mail, when set
    mail_from: str = "oncelink@localhost"
    # Webhooks may reach loopback and private addresses: for tests, never in production.
    webhook_allow_private: bool = False
    send_interval: float = 1.0  # seconds between looks at the outbox; 0: never on its own

    @property
    def origin(self) -> str:
        """``scheme://host[:port]`` of BASE_URL, as browsers send it in ``Origin``."""
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build settings from the environment, generating missing keys in the instance folder."""
    env = os.environ if environ is None else environ

    def get(name: str, default: str) -> str:
        return env.get(PREFIX + name, "").strip() or default

    instance = Path(get("INSTANCE", "instance")).resolve()
    database = _database_location(get("DATABASE", str(instance / "oncelink.sqlite3")))
    base_url = get("BASE_URL", "http://127.0.0.1:8000").rstrip("/")
    if urlsplit(base_url).scheme not in ("http", "https") or not urlsplit(base_url).netloc:
        raise ConfigError(f"{PREFIX}BASE_URL must be an http(s) URL, got {base_url!r}")
    max_ttl = _int_setting(get("MAX_TTL", str(30 * DAY)), "MAX_TTL", low=300)
    default_ttl = _int_setting(get("DEFAULT_TTL", "3600"), "DEFAULT_TTL", low=300, high=max_ttl)
    signing_keys = _parse_keys(get("SIGNING_KEYS", ""), "SIGNING_KEYS") or (
        _instance_key(instance, "signing"),
    )
    note_keys = _parse_keys(get("NOTE_KEYS", ""), "NOTE_KEYS") or (_instance_key(instance, "note"),)
    return Settings(
        instance=instance,
        database=database,
        base_url=base_url,
        signing_keys=signing_keys,
        secret_key=get("SECRET_KEY", "") or _instance_key(instance, "session"),
        note_keys=note_keys,
        max_ttl=max_ttl,
        default_ttl=default_ttl,
        rate_limits=get("RATE_LIMITS", "on").lower() not in ("off", "0", "false", "no"),
        trusted_proxies=_parse_networks(get("TRUSTED_PROXIES", "")),
        redis_url=_redis_url(get("REDIS_URL", "")),
        audit_addresses=_audit_addresses(get("AUDIT_ADDRESSES", "truncated")),
        audit_days=_int_setting(get("AUDIT_DAYS", "90"), "AUDIT_DAYS", low=0, unit="days"),
        smtp_url=_smtp_url(get("SMTP_URL", "")),
        mail_from=get("MAIL_FROM", f"oncelink@{urlsplit(base_url).hostname or 'localhost'}"),
        webhook_allow_private=_switch(get("WEBHOOK_ALLOW_PRIVATE", "off")),
    )


def _switch(text: str) -> bool:
    return text.lower() in ("on", "1", "true", "yes")


def _smtp_url(text: str) -> str | None:
    if not text:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ConfigError(f"{PREFIX}SMTP_URL must be smtp://user:password@host:port or smtps://...")
    try:
        parts.port  # noqa: B018 - raises on a port out of range
    except ValueError:
        raise ConfigError(f"{PREFIX}SMTP_URL has a port out of range") from None
    return text


def _database_location(text: str) -> str:
    scheme, separator, _ = text.partition("://")
    if separator and scheme not in ("sqlite", "postgresql", "postgres"):
        raise ConfigError(
            f"{PREFIX}DATABASE must be a file path, sqlite:///path or postgresql://..., "
            f"not a {scheme}:// URL"
        )
    return text


def _redis_url(text: str) -> str | None:
    if text and urlsplit(text).scheme not in ("redis", "rediss", "unix"):
        raise ConfigError(f"{PREFIX}REDIS_URL must be a redis:// or rediss:// URL")
    return text or None


def _audit_addresses(text: str) -> str:
    if text.lower() not in AUDIT_ADDRESSES:
        raise ConfigError(f"{PREFIX}AUDIT_ADDRESSES must be one of {', '.join(AUDIT_ADDRESSES)}")
    return text.lower()


def _int_setting(
    text: str, name: str, *, low: int, high: int | None = None, unit: str = "seconds"
) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ConfigError(f"{PREFIX}{name} must be a whole number of {unit}") from None
    if value < low or (high is not None and value > high):
        raise ConfigError(f"{PREFIX}{name}={value} is out of range")
    return value


def _parse_networks(text: str) -> tuple[IPNetwork, ...]:
    try:
        return tuple(ipaddress.ip_network(item.strip()) for item in text.split(",") if item.strip())
    except ValueError as error:
        raise ConfigError(f"{PREFIX}TRUSTED_PROXIES: {error}") from None


def _parse_keys(text: str, name: str) -> tuple[str, ...]:
    keys = tuple(key.strip() for key in text.split(",") if key.strip())
    if any(len(key) < MIN_KEY_LENGTH for key in keys):
        raise ConfigError(f"each key in {PREFIX}{name} needs {MIN_KEY_LENGTH}+ characters")
    return keys


def _instance_key(instance: Path, purpose: str) -> str:
    """Read, or create once with mode 0600, a random key kept in the instance folder."""
    path = instance / f"{purpose}.key"
    instance.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    # Another worker may read the file between create and write: write it in one call.
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(32))
    return path.read_text().strip()
