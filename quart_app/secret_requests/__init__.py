"""Requests for secrets: a main user asks someone without an account for a secret, with a
one-time link (``BASE_URL/send/<token>``) by which it is sent once, then read once."""
