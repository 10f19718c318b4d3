"""What every API call shares: the route table that registers each view together with its
documentation, bearer authentication, strict JSON bodies, and ``{"error", "detail"}``
answers."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, ParamSpec, TypeVar

from pydantic import BaseModel, ValidationError
from quart import Blueprint, Response, g, jsonify, request

from ... import api_tokens
from ...storage.queries.users import User
from ..context import current_services
from ..errors import drain_body
from ..limits import limit_api_calls
from .openapi import Answer, Operation, path_parameters
from .schemas import ApiErrorBody

P = ParamSpec("P")
R = TypeVar("R")
View = Callable[..., Awaitable[Response]]
Detail = str | dict[str, str] | None

_FIELD_MESSAGES = {
    "missing": "This field is required.",
    "extra_forbidden": "Unknown field.",
    "int_type": "Must be a JSON integer.",
    "int_parsing": "Must be a whole number.",
    "string_type": "Must be a JSON string.",
    "list_type": "Must be a JSON array.",
    "model_type": "Must be a JSON object.",
}


class ApiError(Exception):
    """Ends an API call with this status and an ``{"error", "detail"}`` body."""

    def __init__(
        self,
        status: int,
        error: str,
        detail: Detail = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(error)
        self.status, self.error, self.detail = status, error, detail
        self.headers = dict(headers or {})


def answer(model: BaseModel, status: int = 200) -> Response:
    response = jsonify(model.model_dump(mode="json"))
    response.status_code = status
    return response


async def _answer_error(error: ApiError) -> Response:
    await drain_body()
    response = answer(ApiErrorBody(error=error.error, detail=error.detail), error.status)
    response.headers.update(error.headers)
    return response


def bearer_required(view: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """The one gate of every authenticated API call: 401 unless the request carries a live
    API token. A rate limit for API clients hooks in here."""

    @functools.wraps(view)
    async def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        token = _bearer_token()
        await limit_api_calls(token)
        g.api_user = await _token_user(token)
        return await view(*args, **kwargs)

    return wrapped


def api_user() -> User:
    """The user whose API token authenticated this call."""
    user: User = g.api_user
    return user


def _bearer_token() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(
            401,
            "Authentication required.",
            "Send an API token: 'Authorization: Bearer <token>'.",
            {"WWW-Authenticate": 'Bearer realm="oncelink"'},
        )
    return token.strip()


async def _token_user(token: str) -> User:
    user = await api_tokens.api_token_user(current_services(), token)
    if user is None:
        raise ApiError(
            401,
            "This API token is not valid.",
            "It is unknown or was revoked.",
            {"WWW-Authenticate": 'Bearer realm="oncelink", error="invalid_token"'},
        )
    return user


def _invalid(error: ValidationError, where: str) -> ApiError:
    problems = error.errors(include_url=False, include_input=False, include_context=False)
    if any(problem["type"] == "json_invalid" for problem in problems):
        return ApiError(400, "The body is not valid JSON.", problems[0]["msg"])
    detail: dict[str, str] = {}
    for problem in problems:
        name = ".".join(str(part) for part in problem["loc"]) or where
        detail.setdefault(name, _FIELD_MESSAGES.get(problem["type"], problem["msg"]))
    return ApiError(422, f"The {where} is not valid.", detail)


def _with_body(model: type[BaseModel], view: View, *, required: bool) -> View:
    @functools.wraps(view)
    async def wrapped(*args: Any, **kwargs: Any) -> Response:
        sent = None if required else await request.get_data()
        if sent == b"":  # an optional body left out: every field as it defaults
            return await view(*args, body=model(), **kwargs)
        if not request.is_json:
            raise ApiError(415, "Send the body as JSON.", "Use 'Content-Type: application/json'.")
        # pydantic's own parser, not json.loads: it refuses invalid UTF-8, lone surrogates
        # and absurd nesting with an error rather than an exception we would have to guess.
        try:
            body = model.model_validate_json(sent or await request.get_data(cache=False))
        except ValidationError as error:
            raise _invalid(error, "body") from None
        return await view(*args, body=body, **kwargs)

    return wrapped


def _with_query(model: type[BaseModel], view: View) -> View:
    @functools.wraps(view)
    async def wrapped(*args: Any, **kwargs: Any) -> Response:
        try:
            query = model.model_validate(request.args.to_dict())
        except ValidationError as error:
            raise _invalid(error, "query") from None
        return await view(*args, query=query, **kwargs)

    return wrapped


def _with_path(model: type[BaseModel], not_found: str, view: View) -> View:
    """Path parameters the document calls invalid name nothing: 404, as an unknown id."""

    @functools.wraps(view)
    async def wrapped(*args: Any, **kwargs: Any) -> Response:
        names = model.model_fields.keys()
        try:
            model.model_validate({name: kwargs[name] for name in names})
        except ValidationError:
            raise ApiError(404, not_found) from None
        return await view(*args, **kwargs)

    return wrapped


def _usual_answers(method: str, *, by_id: bool, body: bool, query: bool) -> dict[int, Answer]:
    """The errors the machinery here, in ``security`` and in ``limits`` may answer for such a
    call."""
    answers = {
        401: Answer("No API token, or an unknown or revoked one.", ApiErrorBody),
        429: Answer("Too many calls with this token; see Retry-After.", ApiErrorBody),
    }
    if method != "GET":
        answers[403] = Answer("Sent by a browser from another site.", ApiErrorBody)
    if by_id:
        answers[404] = Answer("You have no share with this id.", ApiErrorBody)
    if body:
        answers[400] = Answer("The body is not valid JSON.", ApiErrorBody)
        answers[413] = Answer("The request is too large.", ApiErrorBody)
        answers[415] = Answer("The body is not sent as JSON.", ApiErrorBody)
    if body or query:
        answers[422] = Answer("Some fields are not valid; `detail` says which.", ApiErrorBody)
    return answers


class RouteTable:
    """Registers each API view on the blueprint together with its documentation, so what
    runs and what the OpenAPI document says cannot drift apart. Every view is behind
    ``bearer_required``, and gets its parsed ``body`` or ``query`` as a keyword argument (a
    body that is not ``body_required`` may be left out: its model's defaults stand in)."""

    def __init__(self, blueprint: Blueprint) -> None:
        self.blueprint = blueprint
        self.operations: list[Operation] = []
        blueprint.register_error_handler(ApiError, _answer_error)

    def route(
        self,
        method: str,
        rule: str,
        answers: Mapping[int, Answer],
        *,
        body: type[BaseModel] | None = None,
        body_required: bool = True,
        query: type[BaseModel] | None = None,
        path: type[BaseModel] | None = None,
    ) -> Callable[[View], View]:
        full_path = (self.blueprint.url_prefix or "") + rule
        if path is not None:
            assert set(path.model_fields) == set(path_parameters(rule)), (rule, path)
        usual = _usual_answers(
            method,
            by_id=bool(path_parameters(rule)),
            body=body is not None,
            query=query is not None,
        )
        every = dict(sorted({**usual, **answers}.items()))

        def register(view: View) -> View:
            handler = view
            if path is not None:
                handler = _with_path(path, every[404].description, handler)
            if body is not None:
                handler = _with_body(body, handler, required=body_required)
            if query is not None:
                handler = _with_query(query, handler)
            self.blueprint.add_url_rule(
                rule, view.__name__, bearer_required(handler), methods=[method]
            )
            self.operations.append(
                Operation(
                    method, full_path, view, every, body, query, path, body_required=body_required
                )
            )
            return view

        return register
