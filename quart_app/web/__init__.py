"""The web edge: the ASGI door in front of Quart, security headers and checks, rate limits,
errors, templating, and the blueprints (``views`` for people, ``api`` for programs)."""
