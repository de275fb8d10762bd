"""The HTTP server of `borderwatch run`: metrics, health, and a read-only JSON API.

`server.build_http_app` assembles the aiohttp application: `/metrics`, `/healthz`,
`/readyz` (`health.py`), the JSON API under `/api/` (`api.py`) behind an optional
bearer token (`auth.py`), and any extra route registrars (e.g. `alerts_routes.py`).
"""

from __future__ import annotations

from service.http.context import HttpContext, RouteRegistrar, context_of
from service.http.server import build_http_app

__all__ = ["HttpContext", "RouteRegistrar", "build_http_app", "context_of"]
