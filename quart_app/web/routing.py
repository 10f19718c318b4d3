"""How URLs map to views: paths are taken literally, and ids are ASCII digits within what a
database column holds."""

from __future__ import annotations

from typing import Any

from quart import Quart
from werkzeug.routing import IntegerConverter, Map

from .parsing import DIGITS


class DatabaseIntegerConverter(IntegerConverter):
    """``<int:...>`` in routes, up to the largest id a database column holds (64 bits):
    a larger number in a path is no row's id, so it answers 404 before any query. Only ASCII
    digits: werkzeug's ``\\d`` would also take ``٣`` as 3."""

    regex = DIGITS

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        super().__init__(map, *args, **{"max": 2**63 - 1, **kwargs})


def init_app(app: Quart) -> None:
    """Before any blueprint registers its routes: their rules are parsed with these."""
    # "/a//b" must not answer a redirect to "/a/b": link tokens and ids are taken literally.
    app.url_map.merge_slashes = False
    app.url_map.converters["int"] = DatabaseIntegerConverter
