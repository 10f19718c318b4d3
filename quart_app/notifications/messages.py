"""What a notice says: the JSON body webhooks get, a sentence for people (chat messages,
mail subjects), and the messages Slack and Microsoft Teams incoming webhooks expect.

Everything here is built from the outbox row and the share's label and recipients: never a
note, a token, a passphrase or a file name, which the outbox does not hold."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from ..clock import human_utc, iso_utc
from ..storage.queries.outbox import Due
from .types import NoticeType

SLACK_HOSTS = ("hooks.slack.com",)
# Teams' incoming webhooks (connectors) and the Workflows that replace them.
TEAMS_HOST_ENDINGS = (".webhook.office.com", ".logic.azure.com", ".api.powerplatform.com")
# The fields of every event's data, in this order: null where they do not apply (a request
# for a secret's event has no share, link or recipient; it adds its ``request_id``).
DATA_FIELDS = ("share_id", "label", "link", "recipient", "address", "user_agent")
TEST_DATA = {**dict.fromkeys(DATA_FIELDS), "label": "A test event from oncelink"}


def event_data(due: Due) -> dict[str, Any]:
    """The body's ``data``: for a notice about a share, its id and label, the link's number
    and recipient, then what was known at the event (address, user agent); every one of
    ``DATA_FIELDS``, whatever the notice."""
    known: dict[str, Any] = json.loads(due.data)
    if due.type == NoticeType.TEST:
        return dict(TEST_DATA)
    if due.share_id is None:
        return {**dict.fromkeys(DATA_FIELDS), **known}
    names = json.loads(due.recipients) if due.recipients else []
    recipient = names[due.link - 1] if due.link and 0 < due.link <= len(names) else None
    return {
        "share_id": due.share_id,
        "label": due.label or None,
        "link": due.link,
        "recipient": recipient,
        "address": known.get("address"),
        "user_agent": known.get("user_agent"),
        **{key: value for key, value in known.items() if key not in ("address", "user_agent")},
    }


def event_body(due: Due) -> dict[str, Any]:
    return {"type": due.type, "timestamp": iso_utc(due.at), "data": event_data(due)}


def webhook_body(url: str, due: Due) -> bytes:
    """What is posted to ``url``: the event as JSON, or a chat message for Slack and Teams."""
    host = (urlsplit(url).hostname or "").lower()
    body: dict[str, Any] = event_body(due)
    if host in SLACK_HOSTS:
        body = {"text": sentence(due)}
    elif host.endswith(TEAMS_HOST_ENDINGS):
        body = teams_message(sentence(due))
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def teams_message(text: str) -> dict[str, Any]:
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [{"type": "TextBlock", "text": text, "wrap": True}],
    }
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
        ],
    }


def sentence(due: Due) -> str:
    """The notice for people: "bob opened the link to “office door” (2026-11-25 14:03 UTC)"."""
    return f"{what_happened(due)} ({human_utc(due.at)})"


def what_happened(due: Due) -> str:
    """The notice in a few words: "bob opened the link to “office door”"."""
    return _what_happened(due.type, event_data(due))


def _what_happened(notice_type: str, data: dict[str, Any]) -> str:
    share = f"“{data['label']}”" if data.get("label") else f"share {data.get('share_id')}"
    who = data.get("recipient")
    link = f"link {data['link']}" if data.get("link") else "a link"
    the_link = f"the link for {who}" if who else link
    sentences = {
        NoticeType.LINK_VIEWED: f"{_capital(the_link)} to {share} was viewed",
        NoticeType.LINK_GRANTED: (
            f"{who} opened the link to {share}" if who else f"{_capital(link)} to {share} was used"
        ),
        NoticeType.LINK_REFUSED: f"Someone tried {the_link} to {share} after it was closed",
        NoticeType.LINK_PASSPHRASE_FAILED: (
            f"A wrong passphrase was tried on {the_link} to {share}"
        ),
        NoticeType.LINK_LOCKED: (
            f"{_capital(the_link)} to {share} locked after too many wrong passphrases"
        ),
        NoticeType.SHARE_EXHAUSTED: f"Every link to {share} has been used",
        NoticeType.SHARE_EXPIRED: f"Links to {share} expired unopened",
        NoticeType.REQUEST_ANSWERED: f"Your request “{data.get('label') or ''}” was answered",
        NoticeType.TEST: "A test event from oncelink",
    }
    return sentences.get(NoticeType(notice_type), notice_type)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
