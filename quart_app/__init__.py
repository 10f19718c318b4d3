"""oncelink: one-time links for secret notes."""

from __future__ import annotations

from pathlib import Path

from quart import Quart

from . import door, errors, lifecycle, security, templating
from .clock import Clock, system_clock
from .config import Settings, load_settings
from .services import build_services, install
from .views import account, api, api_docs, auth, dashboard, links, live, tokens

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Room for a 64 KiB note even when a form percent-encodes every byte of it.
MAX_REQUEST_BYTES = 1024 * 1024


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> Quart:
    """Build the app. Without arguments, settings come from the ONCELINK_* environment."""
    settings = settings or load_settings()
    app = Quart(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
        MAX_FORM_MEMORY_SIZE=MAX_REQUEST_BYTES,
        SEND_FILE_MAX_AGE_DEFAULT=3600,
    )
    # "/a//b" must not answer a redirect to "/a/b": link tokens and ids are taken literally.
    app.url_map.merge_slashes = False
    install(app, build_services(settings, clock or system_clock))
    lifecycle.init_app(app)
    security.init_app(app)
    auth.init_app(app)
    templating.init_app(app)
    errors.init_app(app)
    blueprints = (
        links.bp,
        auth.bp,
        dashboard.bp,
        live.bp,
        account.bp,
        tokens.bp,
        api.bp,
        api_docs.bp,
    )
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    door.install(app)
    return app
