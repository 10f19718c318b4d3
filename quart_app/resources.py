"""Where the files that are not Python live: templates, static files and the default
Hypercorn settings. A built wheel carries them inside the package; in a checkout they sit
at the top of the repository."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
CHECKOUT = PACKAGE.parent
# The names, in the package and at the top of the repository alike.
TEMPLATES = "templates"
STATIC = "static"
HYPERCORN_SETTINGS = "hypercorn.toml"


def resource(name: str) -> Path:
    """The installed copy of ``name`` if the package carries one, else the checkout's."""
    installed = PACKAGE / name
    return installed if installed.exists() else CHECKOUT / name
