"""The API's one blueprint and its one route table: each resource's module registers its
operations on them, and the OpenAPI document is made from the table."""

from __future__ import annotations

from quart import Blueprint

from .routing import RouteTable

bp = Blueprint("api", __name__, url_prefix="/api/v1")
routes = RouteTable(bp)
