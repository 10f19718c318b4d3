"""Real servers that notifications are sent to: an HTTP receiver of webhooks and an SMTP
server (aiosmtpd), each on a thread of its own, so that in-process apps and real serving
processes alike reach them over the loopback network."""

from __future__ import annotations

import contextlib
import email
import email.policy
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from standardwebhooks.webhooks import Webhook

from .live import free_port


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def message_id(self) -> str:
        return self.headers["webhook-id"]


@dataclass
class WebhookReceiver:
    """Answers every POST with ``status`` (after ``hold`` is set, when it is cleared) and
    keeps what it was sent, in order."""

    port: int
    received: list[Received] = field(default_factory=list)
    status: int = 204
    hold: threading.Event | None = None  # set: requests wait until it is cleared
    released: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def answered(self) -> list[Received]:
        """What was sent while the receiver answered 2xx."""
        return [r for r in self.received if r.headers.get("x-answered", "").startswith("2")]

    def bodies(self, secret: str) -> list[dict[str, Any]]:
        """Every body received, each verified with the ``standardwebhooks`` library."""
        return [verified(secret, received) for received in self.received]


def verified(secret: str, received: Received) -> dict[str, Any]:
    """The body, verified with the ``standardwebhooks`` library as a receiver would: its
    signature, and its time against the receiver's clock."""
    body: dict[str, Any] = Webhook(secret).verify(received.body, received.headers)
    return body


def _handler(receiver: WebhookReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status = receiver.status
            headers = {name.lower(): value for name, value in self.headers.items()}
            headers["x-answered"] = str(status)
            receiver.received.append(Received(self.path, headers, body))
            if receiver.hold is not None and receiver.hold.is_set():
                receiver.released.wait(30)
            with contextlib.suppress(ConnectionError):  # the sender may have given up
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    return Handler


@contextmanager
def webhook_receiver(port: int | None = None) -> Iterator[WebhookReceiver]:
    """A receiver on ``port`` (a free one if None), for the block."""
    receiver = WebhookReceiver(port or free_port())
    server = ThreadingHTTPServer(("127.0.0.1", receiver.port), _handler(receiver))
    server.daemon_threads = True
    # A short poll: shutdown() waits for it, at the end of every test that uses one.
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.released.set()
        server.shutdown()
        server.server_close()


@dataclass
class Inbox:
    """The mails an SMTP server received."""

    port: int
    messages: list[EmailMessage] = field(default_factory=list)

    @property
    def smtp_url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content
        assert isinstance(content, bytes)
        message = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted"


@contextmanager
def smtp_server() -> Iterator[Inbox]:
    inbox = Inbox(free_port())
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()
