"""A test client for the JSON API: sends the bearer token and JSON bodies."""

from __future__ import annotations

from typing import Any

from quart.testing import QuartClient
from quart.wrappers import Response as TestResponse

JSON_ACCEPT = {"Accept": "application/json"}


class ApiClient:
    def __init__(self, client: QuartClient, token: str) -> None:
        self.client = client
        self.token = token

    async def call(
        self, method: str, path: str, json: Any = None, headers: dict[str, str] | None = None
    ) -> TestResponse:
        every = {"Authorization": f"Bearer {self.token}", **(headers or {})}
        if json is None:
            return await self.client.open("/api/v1" + path, method=method, headers=every)
        return await self.client.open("/api/v1" + path, method=method, headers=every, json=json)

    async def get(self, path: str, **kwargs: Any) -> TestResponse:
        return await self.call("GET", path, **kwargs)

    async def post(self, path: str, json: Any = None, **kwargs: Any) -> TestResponse:
        return await self.call("POST", path, json, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> TestResponse:
        return await self.call("DELETE", path, **kwargs)


async def body_of(response: TestResponse) -> Any:
    assert response.mimetype == "application/json", response.mimetype
    return await response.get_json()


def connect_path(url: str) -> str:
    return "/connect/" + url.rsplit("/connect/", 1)[1]
