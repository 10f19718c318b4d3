"""The app's ``Services``, kept on the app and reached from any request."""

from __future__ import annotations

from typing import cast

from quart import Quart, current_app

from ..services import Services

EXTENSION_KEY = "oncelink"


def install(app: Quart, services: Services) -> None:
    app.extensions[EXTENSION_KEY] = services


def services_of(app: Quart) -> Services:
    return cast(Services, app.extensions[EXTENSION_KEY])


def current_services() -> Services:
    return services_of(current_app)
