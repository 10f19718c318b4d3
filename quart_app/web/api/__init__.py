"""JSON API v1: the routes, the machinery every call shares, the bodies' schemas, and the
OpenAPI document with a page for people."""
