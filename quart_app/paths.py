"""The URL paths whose last segment is a bearer secret: whoever holds the full path can use
it. Links are built under them, routes are declared on them, and logs redact them."""

from __future__ import annotations

LINK_PATH = "/connect/"
SETUP_PATH = "/setup/"
INVITE_PATH = "/invite/"
MAIL_CONFIRMATION_PATH = "/confirm-mail/"
REQUEST_PATH = "/send/"  # a request for a secret: whoever holds it may answer, once
SECRET_PATHS = (LINK_PATH, SETUP_PATH, INVITE_PATH, MAIL_CONFIRMATION_PATH, REQUEST_PATH)
