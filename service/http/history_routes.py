"""The history's read API (docs/openapi.yaml; docs/history.md):

- `GET /api/reports/hours-abroad`: the hours-abroad report, `by` aircraft, operator,
  state or country, filtered by `since`, `until`, `state` and `gap_s`.
- `GET /api/history/episodes`: the stored episodes, filtered by `since`, `until`,
  `state`, `rule_type`, `country` and `hex`, at most `limit`.

Both read the service's own history file, in a worker thread (the queries never hold
the event loop); without a history (`history.enabled` false, or the file could not be
opened) they answer 503 `history_unavailable`. Under /api/: the token applies.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import duckdb
from aiohttp import web

from service.history.reports import BY, Filters, episodes, hours_abroad
from service.http.api import BadRequest, parse_time
from service.http.context import HttpContext, context_of
from service.models import is_address

MAX_EPISODES = 10_000
_RULE_TYPES = ("foreign_airspace", "loiter", "signal_lost", "squawk")


def _error(status: int, error: str, detail: str) -> web.Response:
    return web.json_response({"error": error, "detail": detail}, status=status)


def _filters(query: dict[str, str], default_gap_s: float) -> Filters:
    since = parse_time(query["since"], "since") if "since" in query else None
    until = parse_time(query["until"], "until") if "until" in query else None
    if since is not None and until is not None and until <= since:
        raise BadRequest("until must be after since")
    state = query.get("state")
    if state is not None and (len(state) != 2 or not state.isalpha()):
        raise BadRequest(f"state must be an ISO alpha-2 code such as US, got {state!r}")
    gap_s = default_gap_s
    if "gap_s" in query:
        try:
            gap_s = float(query["gap_s"])
        except ValueError:
            gap_s = -1.0
        if not 0 < gap_s <= 86400:
            raise BadRequest(f"gap_s must be seconds between 0 and 86400, got {query['gap_s']!r}")
    rule_type = query.get("rule_type")
    if rule_type is not None and rule_type not in _RULE_TYPES:
        raise BadRequest(f"rule_type must be one of {', '.join(_RULE_TYPES)}, got {rule_type!r}")
    country = query.get("country")
    if country is not None and (len(country) != 2 or not country.isalpha()):
        raise BadRequest(f"country must be an ISO alpha-2 code such as MX, got {country!r}")
    hex_ = query.get("hex", "").strip().lower() or None
    if hex_ is not None and not is_address(hex_):
        raise BadRequest(f"hex must be a 6-digit ICAO address (e.g. ae2fd0), got {hex_!r}")
    return Filters(
        since=since, until=until, state=state.upper() if state else None, gap_s=gap_s,
        hex=hex_, rule_type=rule_type, country=country.upper() if country else None,
    )  # fmt: skip


async def _answer(
    request: web.Request, query: Callable[[duckdb.DuckDBPyConnection], Any]
) -> web.Response:
    history = context_of(request).app.history
    if history is None:
        return _error(503, "history_unavailable", "this service keeps no history (history.enabled)")
    con = history.file.reader()
    try:
        body = await asyncio.to_thread(query, con)
    except duckdb.Error as exc:
        return _error(503, "history_unavailable", str(exc).splitlines()[0])
    finally:
        con.close()
    return web.json_response(body)


async def hours(request: web.Request) -> web.Response:
    """The hours-abroad report: `{"by", "count", "rows": [...]}`."""
    app = context_of(request).app
    try:
        filters = _filters(dict(request.query), app.settings.history.gap_s)
        by = request.query.get("by", "aircraft")
        if by not in BY:
            raise BadRequest(f"by must be one of {', '.join(BY)}, got {by!r}")
    except BadRequest as exc:
        return _error(400, "bad_request", str(exc))

    def query(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
        rows = [row.as_json() for row in hours_abroad(con, by, filters)]
        return {"by": by, "count": len(rows), "rows": rows}

    return await _answer(request, query)


async def history_episodes(request: web.Request) -> web.Response:
    """Stored episodes, oldest start first: `{"count", "episodes": [...]}`."""
    app = context_of(request).app
    try:
        filters = _filters(dict(request.query), app.settings.history.gap_s)
        raw = request.query.get("limit", "1000")
        try:
            limit = int(raw)
        except ValueError:
            limit = 0
        if not 1 <= limit <= MAX_EPISODES:
            raise BadRequest(f"limit must be a whole number from 1 to {MAX_EPISODES}, got {raw!r}")
    except BadRequest as exc:
        return _error(400, "bad_request", str(exc))

    def query(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
        found = episodes(con, filters, limit=limit)
        return {"count": len(found), "episodes": found}

    return await _answer(request, query)


def add_routes(app: web.Application, _: HttpContext) -> None:
    """Register the history routes on `app` (a `RouteRegistrar`)."""
    app.router.add_get("/api/reports/hours-abroad", hours)
    app.router.add_get("/api/history/episodes", history_episodes)
