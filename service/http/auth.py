"""Optional bearer token for the JSON API.

When `http.api_token` is set, every request under `/api/` needs
`Authorization: Bearer <token>`; `/metrics`, `/healthz` and `/readyz` stay open so
Prometheus and orchestrators need no secret. Tokens are compared in constant time.
"""

from __future__ import annotations

import hmac

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

PROTECTED_PREFIX = "/api/"


def token_matches(header: str | None, token: str) -> bool:
    """True when `header` is `Bearer <token>` (scheme case-insensitive)."""
    if not header:
        return False
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer":
        return False
    # compare_digest on bytes: constant time for equal lengths, no early exit on content.
    return hmac.compare_digest(given.strip().encode(), token.encode())


def bearer_auth(token: str | None) -> Middleware:
    """A middleware enforcing `token` on `/api/` routes; a no-op when `token` is None."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if token is None or not request.path.startswith(PROTECTED_PREFIX):
            return await handler(request)
        if token_matches(request.headers.get("Authorization"), token):
            return await handler(request)
        return web.json_response(
            {"error": "unauthorized", "detail": "send Authorization: Bearer <http.api_token>"},
            status=401,
            headers={"WWW-Authenticate": 'Bearer realm="borderwatch"'},
        )

    return middleware
