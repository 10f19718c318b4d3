"""Names that vulture cannot see used, because a framework uses them: Hypercorn, Quart,
pydantic, itsdangerous, the logging module and Jinja templates. Nothing else belongs here;
views and hooks are recognised by their decorators (pyproject.toml)."""

from quart_app.connection import ClosingTCPServer
from quart_app.logs import ServingLogger
from quart_app.web.sessions import NoCookieSessions
from quart_app.worker import serving_app

_ = object()

serving_app  # Hypercorn's application: "quart_app.worker:serving_app()" (serving.py)
_.application_path  # hypercorn.config.Config
_.logger_class  # hypercorn.config.Config
_.get_timestamp  # itsdangerous' TimestampSigner, overridden
_.msg  # logging.LogRecord, rewritten by the redacting filter
_._srcfile  # the logging module's switches, read by it (logs.py)
_.logThreads  # the logging module's switches
_.logMultiprocessing  # the logging module's switches
ServingLogger.access  # hypercorn.logging.Logger, overridden
ClosingTCPServer._read_data  # hypercorn.asyncio.tcp_server.TCPServer, overridden
ClosingTCPServer._idle_timeout  # hypercorn.asyncio.tcp_server.TCPServer, overridden
_.merge_slashes  # werkzeug.routing.Map
_.regex  # werkzeug.routing.BaseConverter, overridden
_.session_interface  # quart.Quart
NoCookieSessions.open_session  # quart.sessions.SessionInterface, overridden
NoCookieSessions.save_session  # quart.sessions.SessionInterface, overridden
session  # an argument of save_session, which Quart passes
model_config  # pydantic: each model's settings
redemptions  # a pydantic model's field, serialized by pydantic
anchor  # read by templates/api_docs.html
creator_name  # read by templates/invite.html
has_passphrase  # read by templates/_share_row.html and _created.html
confirmed  # read by templates/account.html and notifications.html
deliveries  # a pydantic model's field, serialized by pydantic
