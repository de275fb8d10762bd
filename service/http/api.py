"""The read-only JSON API (docs/openapi.yaml is its contract).

- `GET /api/alerts`: recent notifications, newest first, filtered by rule, aircraft
  hex, country, status and time (`since`), at most `limit`.
- `GET /api/episodes`: open alert episodes, each as its latest notification.
- `GET /api/aircraft/{hex}`: one aircraft's identity, last position, open rules and
  recent track (`points`).
- `GET /api/sources`: every configured feed and its live status.

Bad parameters answer 400 with `{"error", "detail"}`; the store failing answers 503.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from service.alerts.payload import Payload, decode
from service.detect.rules import open_rules
from service.http.context import HttpContext, context_of
from service.http.health import fresh_feeds
from service.http.views import aircraft_json, source_json
from service.models import is_address
from service.store.base import StoreError

DEFAULT_LIMIT = 100
DEFAULT_POINTS = 200
_STATUSES = ("firing", "resolved")
_Handler = Callable[[web.Request], Awaitable[web.Response]]


class BadRequest(ValueError):
    """A query parameter is invalid; the message names it."""


def _error(status: int, error: str, detail: str) -> web.Response:
    return web.json_response({"error": error, "detail": detail}, status=status)


def _guarded(handler: _Handler) -> _Handler:
    """Map `BadRequest` to 400 and `StoreError` to 503."""

    async def wrapper(request: web.Request) -> web.Response:
        try:
            return await handler(request)
        except BadRequest as exc:
            return _error(400, "bad_request", str(exc))
        except StoreError as exc:
            return _error(503, "store_unavailable", str(exc))

    return wrapper


def _int_param(request: web.Request, name: str, default: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a whole number, got {raw!r}") from None
    if not 1 <= value <= high:
        raise BadRequest(f"{name} must be between 1 and {high}, got {value}")
    return value


def parse_time(raw: str, name: str = "since") -> float:
    """Unix seconds from ISO 8601 (a zone or a trailing Z; naive means UTC) or a number."""
    try:
        return float(raw)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise BadRequest(
            f"{name} must be ISO 8601 (2025-08-13T08:00:00Z) or unix seconds, got {raw!r}"
        ) from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC).timestamp()
    return parsed.timestamp()


def alert_filter(query: dict[str, str]) -> Callable[[Payload], bool]:
    """A predicate over notifications from the query's filter parameters."""
    rule = query.get("rule")
    hex_ = query.get("hex", "").strip().lower() or None
    country = query.get("country", "").strip().upper() or None
    status = query.get("status")
    if status is not None and status not in _STATUSES:
        raise BadRequest(f"status must be one of {', '.join(_STATUSES)}, got {status!r}")
    since = parse_time(query["since"]) if "since" in query else None

    def keep(payload: Payload) -> bool:
        if rule is not None and payload.rule.id != rule:
            return False
        if hex_ is not None and payload.aircraft.hex != hex_:
            return False
        if country is not None and payload.country != country:
            return False
        if status is not None and payload.status != status:
            return False
        return since is None or parse_time(payload.at, "at") >= since

    return keep


def _listing(name: str, bodies: list[bytes]) -> web.Response:
    """`{"count": n, name: [...]}` with each stored payload as it was recorded."""
    head = f'{{"count":{len(bodies)},"{name}":['.encode()
    return web.Response(body=head + b",".join(bodies) + b"]}", content_type="application/json")


@_guarded
async def alerts(request: web.Request) -> web.Response:
    """Recent notifications, newest first, filtered."""
    context = context_of(request)
    keep_max = context.app.settings.http.recent_alerts_max
    limit = _int_param(request, "limit", min(DEFAULT_LIMIT, keep_max), keep_max)
    keep = alert_filter(dict(request.query))
    found: list[bytes] = []
    for raw in await context.app.store.recent_notifications(keep_max):
        if keep(decode(raw)):
            found.append(raw)
            if len(found) == limit:
                break
    return _listing("alerts", found)


@_guarded
async def episodes(request: web.Request) -> web.Response:
    """Open episodes (latest notification of each), oldest start first."""
    store = context_of(request).app.store
    latest = [(decode(raw), raw) for raw in (await store.open_episodes()).values()]
    latest.sort(key=lambda pair: (pair[0].started_at, pair[0].fingerprint))
    return _listing("episodes", [raw for _, raw in latest])


@_guarded
async def aircraft(request: web.Request) -> web.Response:
    """One tracked aircraft: identity, position, open rules and recent track."""
    context = context_of(request)
    hex_ = request.match_info["hex"].strip().lower()
    if not is_address(hex_):
        raise BadRequest(f"hex must be a 6-digit ICAO address (e.g. ae2fd0), got {hex_!r}")
    max_points = context.app.settings.track.max_points
    limit = _int_param(request, "points", min(DEFAULT_POINTS, max_points), max_points)
    body = await _aircraft_body(context, hex_, limit)
    if body is None:
        return _error(404, "not_found", f"no state for aircraft {hex_}")
    return web.json_response(body)


async def _aircraft_body(context: HttpContext, hex_: str, limit: int) -> dict[str, Any] | None:
    # Every aircraft with saved state is restored into memory at start, so memory is
    # the whole truth for this process.
    known = context.app.fleet.get(hex_)
    if known is None:
        return None
    points = known.track.points
    rules = open_rules(known.rule_states)
    return aircraft_json(known.identity, points, rules, limit=limit)


async def sources(request: web.Request) -> web.Response:
    """Every configured feed with its live status."""
    context = context_of(request)
    fresh = set(fresh_feeds(context))
    found = [
        source_json(feed, context.feeds.get(feed.name), feed.name in fresh)
        for feed in context.app.settings.feeds
    ]
    return web.json_response({"count": len(found), "sources": found})


def add_routes(app: web.Application, _: HttpContext) -> None:
    """Register the read API on `app` (a `RouteRegistrar`)."""
    app.router.add_get("/api/alerts", alerts)
    app.router.add_get("/api/episodes", episodes)
    app.router.add_get("/api/aircraft/{hex}", aircraft)
    app.router.add_get("/api/sources", sources)
