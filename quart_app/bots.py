"""Link previewers and scanners: programs that fetch a link the moment it is pasted into a
chat or arrives in a mail, before any person opens it. Their visits are flagged in the audit
trail ("previewed by Slack"), so that an owner is not alarmed by them. The one list of them.

Matched by a word in the user agent, without regard to case. Scanners that pose as ordinary
browsers cannot be told apart; the Open button, not the visit, is what uses a link.
"""

from __future__ import annotations

import re

# What the audit trail calls each, and the words of the user agents it sends.
KNOWN_AGENTS: dict[str, tuple[str, ...]] = {
    "Slack": ("Slackbot", "Slack-ImgProxy"),
    "Microsoft Teams": ("SkypeUriPreview", "Teams"),
    "Discord": ("Discordbot",),
    "WhatsApp": ("WhatsApp",),
    "Telegram": ("TelegramBot",),
    "Facebook": ("facebookexternalhit", "Facebot", "meta-externalagent"),
    "LinkedIn": ("LinkedInBot",),
    "Twitter/X": ("Twitterbot",),
    "Google": (
        "Googlebot",
        "Google-InspectionTool",
        "GoogleOther",
        "Google-Safety",
        "AdsBot-Google",
    ),
    "Microsoft Defender/Outlook": (
        "MicrosoftPreview",
        "BingPreview",
        "Microsoft Office",
        "ms-office",
    ),
    "Proofpoint": ("Proofpoint",),
    "Mimecast": ("Mimecast",),
    "Barracuda": ("Barracuda",),
}

_AGENTS = {word.lower(): name for name, words in KNOWN_AGENTS.items() for word in words}
# One pass over the user agent, whatever the length of the list.
_ANY_AGENT = re.compile("|".join(re.escape(word) for word in _AGENTS), re.IGNORECASE)


def bot_named_in(user_agent: str) -> str:
    """The previewer or scanner that sent this user agent; "" for anything else."""
    found = _ANY_AGENT.search(user_agent)
    return "" if found is None else _AGENTS[found.group().lower()]
