"""What every route reads: the running app and the status of each feed."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

from service.app import App
from service.feeds.status import FeedStatus


@dataclass(slots=True)
class HttpContext:
    """The running app, the live status of each enabled feed, and the start time."""

    app: App
    feeds: dict[str, FeedStatus]
    started_at: float = field(default_factory=time.time)


CONTEXT_KEY: web.AppKey[HttpContext] = web.AppKey("borderwatch_context", HttpContext)

# Adds routes to the application; reads state through the context when serving.
RouteRegistrar = Callable[[web.Application, HttpContext], None]


def context_of(request: web.Request) -> HttpContext:
    """The `HttpContext` of the application serving `request`."""
    return request.app[CONTEXT_KEY]
