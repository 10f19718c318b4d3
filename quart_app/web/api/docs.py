"""The API's OpenAPI document, and a page that lists its operations for people.

The page is rendered on the server from the same document: interactive viewers load
scripts our Content-Security-Policy (``script-src 'self'``) rightly refuses."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape
from quart import Blueprint, Response, jsonify

from ..context import current_services
from ..rendering import html
from . import openapi, routes, webhook_routes

bp = Blueprint("api_docs", __name__, url_prefix="/api/v1")
_CODE_SPAN = re.compile(r"`([^`]+)`")

DESCRIPTION = (
    "Create one-time links to secret notes from scripts and services. Authenticate with an "
    "API token from the Tokens page or `oncelink token create`: "
    '`Authorization: Bearer <token>`. Errors answer `{"error": ..., "detail": ...}`.'
)


def api_operations() -> list[openapi.Operation]:
    """Every operation of the API, of each of its route tables."""
    return [*routes.routes.operations, *webhook_routes.routes.operations]


def api_document() -> dict[str, Any]:
    settings = current_services().settings
    return openapi.document(
        api_operations(),
        title="oncelink API",
        version="1",
        server=settings.base_url,
        description=DESCRIPTION,
        settings={"max_ttl": settings.max_ttl},
    )


@bp.get("/openapi.json")
async def openapi_json() -> Response:
    return jsonify(api_document())


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    required: bool
    description: str


@dataclass(frozen=True)
class Schema:
    name: str
    description: str
    fields: list[Field]


@dataclass(frozen=True)
class Listing:
    anchor: str
    method: str
    path: str
    summary: str
    description: str
    parameters: list[Field]
    body: str | None
    answers: list[tuple[str, str, str | None]]  # status, description, schema name


@bp.get("/docs")
async def docs() -> Response:
    document = api_document()
    operations = [
        _listing(method, path, operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]
    schemas = [_schema(name, s) for name, s in document["components"]["schemas"].items()]
    return await html(
        "api_docs.html", operations=operations, schemas=schemas, document=document, prose=prose
    )


def _listing(method: str, path: str, operation: dict[str, Any]) -> Listing:
    body = operation.get("requestBody", {}).get("content", {}).get("application/json")
    return Listing(
        anchor=re.sub(r"[^a-z0-9]+", "-", f"{method} {path}".lower()).strip("-"),
        method=method.upper(),
        path=path,
        summary=operation["summary"],
        description=operation["description"],
        parameters=[
            Field(
                p["name"],
                f"{p['in']}, {_type(p['schema'])}",
                p["required"],
                p.get("description", ""),
            )
            for p in operation["parameters"]
        ],
        body=_type(body["schema"]) if body else None,
        answers=[
            (status, response["description"], _schema_name(response))
            for status, response in operation["responses"].items()
        ],
    )


def _schema_name(response: dict[str, Any]) -> str | None:
    content = response.get("content", {}).get("application/json")
    return _type(content["schema"]) if content else None


def _schema(name: str, schema: dict[str, Any]) -> Schema:
    required = set(schema.get("required", []))
    fields = [
        Field(field, _type(s), field in required, _described(s))
        for field, s in schema.get("properties", {}).items()
    ]
    return Schema(name, schema.get("description", ""), fields)


def prose(text: str) -> Markup:
    """OpenAPI descriptions are CommonMark; of it we only use `code` spans."""
    # Safe: the text is escaped first; only the <code> tags are added afterwards.
    return Markup(_CODE_SPAN.sub(r"<code>\1</code>", str(escape(text))))  # noqa: S704


def _described(schema: dict[str, Any]) -> str:
    text = str(schema.get("description", ""))
    if "default" in schema:
        text += f" Default: {json.dumps(schema['default'])}."
    return text.strip()


def _type(schema: dict[str, Any]) -> str:
    """A JSON schema in a few words: ``integer 1..1000``, ``array of Link``."""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " or ".join(_type(branch) for branch in schema["anyOf"])
    kind = schema.get("type")
    if kind == "array":
        return f"array of {_type(schema['items'])}"
    if kind == "object" and "additionalProperties" in schema:
        return f"object of {_type(schema['additionalProperties'])}"
    words = str(kind or "any")
    if "format" in schema:
        words += f" ({schema['format']})"
    if "minimum" in schema or "maximum" in schema:
        words += f" {schema.get('minimum', '')}..{schema.get('maximum', '')}"
    if "maxLength" in schema:
        words += f", at most {schema['maxLength']} characters"
    return words
