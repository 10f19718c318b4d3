"""Mail: sending through ``ONCELINK_SMTP_URL`` (``smtp://user:pass@host:port``, STARTTLS
when the server offers it; ``smtps://`` for TLS from the start), and the two mails oncelink
writes: a notice, and the link that confirms an address. Each has a text and an HTML part.
A notice's mail holds no secret: no note, token or passphrase, only what the webhook body
holds and a link to the share's page, which needs a login."""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import unquote, urlsplit

import aiosmtplib

from ..clock import human_utc
from ..config import Settings
from ..storage.queries.outbox import Due
from .messages import event_data, what_happened

SEND_TIMEOUT = 30.0  # seconds for one mail, connecting included
MailError = (aiosmtplib.SMTPException, OSError, TimeoutError)


@dataclass(frozen=True)
class Mailer:
    """Sends mail through the configured SMTP server."""

    smtp_url: str
    sender: str  # ONCELINK_MAIL_FROM

    async def send(self, message: EmailMessage) -> None:
        """Send it, or raise one of ``MailError``."""
        parts = urlsplit(self.smtp_url)
        implicit_tls = parts.scheme == "smtps"
        message["From"] = self.sender
        await aiosmtplib.send(
            message,
            hostname=parts.hostname,
            port=parts.port or (465 if implicit_tls else 587),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=implicit_tls,
            start_tls=False if implicit_tls else None,  # None: when the server offers it
            timeout=SEND_TIMEOUT,
        )


def mailer_for(settings: Settings) -> Mailer | None:
    """The mailer, or None when no SMTP server is configured (mail options are hidden)."""
    if settings.smtp_url is None:
        return None
    return Mailer(settings.smtp_url, settings.mail_from)


def _message(to: str, subject: str, text: str, html_body: str) -> EmailMessage:
    message = EmailMessage()
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="oncelink")
    message.set_content(text)
    message.add_alternative(html_body, subtype="html")
    return message


def notice_mail(due: Due, base_url: str) -> EmailMessage:
    """The mail telling ``due.target`` of a notice."""
    data = event_data(due)
    rows = {
        "When": human_utc(due.at),
        "Share": data.get("label") or data.get("share_id"),
        "Link": data.get("link"),
        "Recipient": data.get("recipient"),
        "Address": data.get("address"),
        "User agent": data.get("user_agent"),
    }
    kept = {name: str(value) for name, value in rows.items() if value is not None}
    share_page = f"{base_url}/shares/{data['share_id']}" if data.get("share_id") else None
    settings_page = f"{base_url}/account"
    subject = what_happened(due)
    text = "\n".join([subject, "", *(f"{name}: {value}" for name, value in kept.items())])
    if share_page:
        text += f"\n\nThe share's page: {share_page}"
    text += f"\n\nYou chose these mails on your account page: {settings_page}\n"
    return _message(due.target, subject, text, _notice_html(subject, kept, share_page))


def _notice_html(subject: str, rows: Mapping[str, str], share_page: str | None) -> str:
    cells = "".join(
        f"<tr><th align='left'>{html.escape(name)}</th><td>{html.escape(value)}</td></tr>"
        for name, value in rows.items()
    )
    link = f"<p><a href='{html.escape(share_page)}'>The share's page</a></p>" if share_page else ""
    return f"<p><strong>{html.escape(subject)}</strong></p><table>{cells}</table>{link}"


def confirmation_mail(to: str, user_name: str, confirm_url: str) -> EmailMessage:
    """The mail with the one-time link that confirms ``to`` for ``user_name``."""
    subject = "Confirm your address for oncelink notifications"
    text = (
        f"{user_name} asked oncelink to send notifications to this address.\n\n"
        f"To confirm, open this link (it works once, for a day) and press Confirm:\n\n"
        f"{confirm_url}\n\nIf this was not you, ignore this mail: nothing will be sent.\n"
    )
    html_body = (
        f"<p><strong>{html.escape(user_name)}</strong> asked oncelink to send notifications "
        f"to this address.</p><p>To confirm, open <a href='{html.escape(confirm_url)}'>this "
        "link</a> (it works once, for a day) and press Confirm.</p>"
        "<p>If this was not you, ignore this mail: nothing will be sent.</p>"
    )
    return _message(to, subject, text, html_body)
