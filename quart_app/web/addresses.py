"""Who is asking: the client's IP address, as far as the proxies we trust tell it, and the
visitor of a link as the audit trail keeps it."""

from __future__ import annotations

import ipaddress

from quart import request

from ..audit import Visitor, visitor
from ..config import IPNetwork, Settings
from .context import current_services


def client_address() -> str:
    """The client's IP, as ``address_of`` finds it for this request."""
    proxies = current_services().settings.trusted_proxies
    return address_of(
        request.remote_addr or "", request.headers.getlist("X-Forwarded-For"), proxies
    )


def current_visitor() -> Visitor:
    """This request's client, as the audit trail may keep it."""
    settings = current_services().settings
    return visitor_at(settings, client_address(), request.headers.get("User-Agent", ""))


def visitor_at(settings: Settings, address: str, user_agent: str) -> Visitor:
    return visitor(address, user_agent, settings.audit_addresses)


def address_of(peer: str, forwarded_for: list[str], proxies: tuple[IPNetwork, ...]) -> str:
    """The client's IP: the socket ``peer``, unless that is a trusted proxy, in which case the
    rightmost ``X-Forwarded-For`` entry that is not itself a trusted proxy."""
    if not _is_in(peer, proxies):
        return peer
    hops = [hop.strip() for hop in ",".join(forwarded_for).split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_in(hop, proxies):
            return hop
    return hops[0] if hops else peer


def _is_in(address: str, networks: tuple[IPNetwork, ...]) -> bool:
    if not networks:
        return False  # no proxy is trusted: nothing to parse
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)
