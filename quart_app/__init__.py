"""oncelink: one-time links for secret notes."""

from __future__ import annotations

from quart import Quart

from .clock import Clock, system_clock
from .config import Settings, load_settings
from .resources import STATIC, TEMPLATES, resource
from .services import build_services
from .web import context, door, errors, intake, lifecycle, routing, security, sessions, templating
from .web.api import docs, routes, webhook_routes
from .web.views import (
    account,
    auth,
    dashboard,
    invitee,
    links,
    live,
    mail_confirmation,
    notifications_page,
    secret_requests,
    send,
    share_page,
    tokens,
    users,
)


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> Quart:
    """Build the app. Without arguments, settings come from the ONCELINK_* environment."""
    settings = settings or load_settings()
    app = Quart(
        __name__,
        template_folder=str(resource(TEMPLATES)),
        static_folder=str(resource(STATIC)),
    )
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=intake.MAX_REQUEST_BYTES,
        MAX_FORM_MEMORY_SIZE=intake.MAX_REQUEST_BYTES,
        SEND_FILE_MAX_AGE_DEFAULT=3600,
    )
    context.install(app, build_services(settings, clock or system_clock))
    routing.init_app(app)
    lifecycle.init_app(app)
    security.init_app(app)
    sessions.init_app(app)
    templating.init_app(app)
    errors.init_app(app)
    blueprints = (
        links.bp,
        send.bp,
        auth.bp,
        dashboard.bp,
        share_page.bp,
        secret_requests.bp,
        live.bp,
        account.bp,
        users.bp,
        invitee.bp,
        tokens.bp,
        notifications_page.bp,
        mail_confirmation.bp,
        routes.bp,
        webhook_routes.bp,
        docs.bp,
    )
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    door.install(app)
    intake.install(app)  # last: in front of the door and everything else
    return app
