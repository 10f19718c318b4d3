"""The API's operations as data, and the OpenAPI 3.1 document generated from them.

Why not quart-schema: it does support quart 0.22, but its ``init_app`` rewires the whole
app (JSON provider, ``make_response``, test client) and adds documentation pages that load
scripts from CDNs; its ``validate_request`` parses with ``request.get_json``, which answers a
wrong Content-Type as a validation error instead of 415 and lets deeply nested JSON raise a
500; and it cannot document a body-less 204. Here one route table registers each view and
its documentation together (``views.api_routing``), pydantic parses the bodies and writes
the schemas, and this module only assembles the document.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

REF_TEMPLATE = "#/components/schemas/{model}"
SECURITY_SCHEME = "bearer"
_PATH_PARAMETER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
_SETTING = "x-oncelink-setting"


@dataclass(frozen=True)
class Answer:
    """One documented response: what it means and, unless it has no body, its model; and
    OpenAPI links: which values of it other operations take, and where."""

    description: str
    model: type[BaseModel] | None = None
    links: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # as Quart writes it, prefix included: /api/v1/shares/<share_id>
    view: Callable[..., Any]
    answers: Mapping[int, Answer]
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    path_model: type[BaseModel] | None = None
    authenticated: bool = True
    body_required: bool = True

    @property
    def openapi_path(self) -> str:
        return _PATH_PARAMETER.sub(r"{\1}", self.path)


def path_parameters(path: str) -> list[str]:
    """The names of the variable parts of a Quart rule."""
    return _PATH_PARAMETER.findall(path)


def setting(name: str) -> dict[str, str]:
    """Stands for the value of the server setting ``name`` in a schema, such as a maximum that
    is configurable; the document is made with the settings in force."""
    return {_SETTING: name}


def _with_settings(node: Any, settings: Mapping[str, Any]) -> Any:
    if isinstance(node, dict):
        if set(node) == {_SETTING}:
            return settings[node[_SETTING]]
        return {key: _with_settings(value, settings) for key, value in node.items()}
    if isinstance(node, list):
        return [_with_settings(item, settings) for item in node]
    return node


def document(
    operations: Iterable[Operation],
    *,
    title: str,
    version: str,
    server: str,
    description: str,
    settings: Mapping[str, Any],
) -> dict[str, Any]:
    """The OpenAPI 3.1 document describing ``operations``, with the server's ``settings``."""
    operations = list(operations)
    refs, definitions = _schemas(operations)
    paths: dict[str, dict[str, Any]] = {}
    for operation in operations:
        paths.setdefault(operation.openapi_path, {})[operation.method.lower()] = _operation(
            operation, refs
        )
    made: dict[str, Any] = _with_settings(
        {
            "openapi": "3.1.0",
            "info": {"title": title, "version": version, "description": description},
            "servers": [{"url": server}],
            "paths": paths,
            "components": {
                "schemas": definitions.get("$defs", {}),
                "securitySchemes": {SECURITY_SCHEME: {"type": "http", "scheme": "bearer"}},
            },
        },
        settings,
    )
    return made


Mode = Literal["validation", "serialization"]


def _schemas(
    operations: list[Operation],
) -> tuple[dict[tuple[type[BaseModel], Mode], dict[str, Any]], dict[str, Any]]:
    models: dict[tuple[type[BaseModel], Mode], None] = {}
    for operation in operations:
        if operation.body is not None:
            models[(operation.body, "validation")] = None
        for answer in operation.answers.values():
            if answer.model is not None:
                models[(answer.model, "serialization")] = None
    refs, definitions = models_json_schema(list(models), ref_template=REF_TEMPLATE)
    return {key: dict(refs[key]) for key in models}, dict(definitions)


def _operation(
    operation: Operation, refs: Mapping[tuple[type[BaseModel], Mode], dict[str, Any]]
) -> dict[str, Any]:
    summary, _, description = (inspect.getdoc(operation.view) or "").partition("\n")
    result: dict[str, Any] = {
        "operationId": operation.view.__name__,
        "summary": summary.strip(),
        "description": description.strip(),
        "parameters": _path_parameters(operation) + _parameters(operation.query, "query"),
        "responses": {
            str(status): _response(answer, refs) for status, answer in operation.answers.items()
        },
    }
    if operation.body is not None:
        schema = refs[(operation.body, "validation")]
        result["requestBody"] = {
            "required": operation.body_required,
            "content": {"application/json": {"schema": schema}},
        }
    if operation.authenticated:
        result["security"] = [{SECURITY_SCHEME: []}]
    return result


def _path_parameters(operation: Operation) -> list[dict[str, Any]]:
    if operation.path_model is not None:
        return _parameters(operation.path_model, "path")
    return [
        {
            "name": name,
            "in": "path",
            "required": True,
            "description": f"The {name.replace('_', ' ')}.",
            "schema": {"type": "string"},
        }
        for name in path_parameters(operation.path)
    ]


def _parameters(model: type[BaseModel] | None, where: str) -> list[dict[str, Any]]:
    if model is None:
        return []
    schema = model.model_json_schema()
    required = set(schema.get("required", []))
    parameters = []
    for name, property_schema in schema["properties"].items():
        description = property_schema.pop("description", "")
        parameters.append(
            {
                "name": name,
                "in": where,
                "required": name in required,
                "description": description,
                "schema": _without_null(property_schema),
            }
        )
    return parameters


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is absent rather than null: drop the null branch and the title."""
    schema = {k: v for k, v in schema.items() if k != "title" and (k, v) != ("default", None)}
    branches = [s for s in schema.pop("anyOf", []) if s != {"type": "null"}]
    if len(branches) == 1:
        schema.update(branches[0])
    elif branches:
        schema["anyOf"] = branches
    return schema


def _response(
    answer: Answer, refs: Mapping[tuple[type[BaseModel], Mode], dict[str, Any]]
) -> dict[str, Any]:
    response: dict[str, Any] = {"description": answer.description}
    if answer.model is not None:
        schema = refs[(answer.model, "serialization")]
        response["content"] = {"application/json": {"schema": schema}}
    if answer.links:
        response["links"] = {name: dict(link) for name, link in answer.links.items()}
    return response
