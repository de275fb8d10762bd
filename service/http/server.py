"""Assemble the aiohttp application of `borderwatch run`.

Open routes: `/metrics` (Prometheus), `/healthz` (alive), `/readyz` (ready to serve).
Everything under `/api/` is read-only JSON and needs the bearer token when
`http.api_token` is set. Other modules add routes through registrars: a callable
taking the aiohttp application and the `HttpContext`.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Iterable

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from service.app import App
from service.feeds.status import FeedStatus
from service.http import api, health
from service.http.auth import bearer_auth
from service.http.context import CONTEXT_KEY, HttpContext, RouteRegistrar, context_of

__all__ = ["MAX_BODY_BYTES", "HttpContext", "RouteRegistrar", "build_http_app"]

MAX_BODY_BYTES = 64 * 1024


def _deadline(seconds: float) -> Middleware:
    """Answer every request within `seconds`, its body read included (else 408)."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            async with asyncio.timeout(seconds):
                return await handler(request)
        except TimeoutError:
            detail = f"no complete request within {seconds:g} s"
            return web.json_response({"error": "timeout", "detail": detail}, status=408)

    return middleware


def _optional_registrars() -> list[RouteRegistrar]:
    """`add_routes` of optional route modules that exist in this build."""
    found: list[RouteRegistrar] = []
    for name in ("service.http.alerts_routes", "service.http.history_routes"):
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        found.append(module.add_routes)
    return found


async def _metrics(request: web.Request) -> web.Response:
    body = generate_latest(context_of(request).app.metrics.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def _candidates(request: web.Request) -> web.Response:
    # Weak-evidence aircraft for review, most recently seen first (service/identify/candidates.py).
    found = [c.to_json() for c in context_of(request).app.candidates.candidates()]
    return web.json_response({"count": len(found), "candidates": found})


def build_http_app(
    app: App,
    feeds: dict[str, FeedStatus],
    registrars: Iterable[RouteRegistrar] = (),
) -> web.Application:
    """The aiohttp application: open health and metrics routes, the token-guarded API,
    then every registrar in `registrars` and in the optional route modules."""
    context = HttpContext(app=app, feeds=feeds)
    token = app.settings.http.api_token
    web_app = web.Application(
        middlewares=[
            _deadline(app.settings.http.request_timeout_s),
            bearer_auth(token.get_secret_value() if token is not None else None),
        ],
        # Every request body the API takes is a small JSON object.
        client_max_size=MAX_BODY_BYTES,
    )
    web_app[CONTEXT_KEY] = context
    web_app.router.add_get("/metrics", _metrics)
    web_app.router.add_get("/healthz", health.healthz)
    web_app.router.add_get("/readyz", health.readyz)
    web_app.router.add_get("/api/candidates", _candidates)
    api.add_routes(web_app, context)
    for registrar in [*registrars, *_optional_registrars()]:
        registrar(web_app, context)
    return web_app
