"""Alert lifecycle routes: silences, acknowledgements, dead letters and alert maps.

Registered by service/http/server.py (`add_routes`). Reads need the API token when one
is set, like every /api/ route; changes (POST, DELETE) additionally need a token to be
configured at all, so an open API can never be used to mute alerts.

- `GET /api/silences[?all=1]`, `POST /api/silences` ({rule, hex, country, duration_s,
  comment}), `DELETE /api/silences/{id}`
- `POST /api/episodes/{fingerprint}/ack` ({by}): the episode's repeats stop
- `GET /api/deadletters`, `POST /api/deadletters/resend` ({keys}; none: all)
- `GET /api/alerts/{id}/map.png`: the map of a recent, pending or dead notification
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from service.alerts.payload import Payload, decode
from service.alerts.silences import (
    SilenceError,
    acknowledge,
    dead_letter_json,
    expire_silence,
    new_silence,
    silence_json,
)
from service.http.context import HttpContext, context_of
from service.store.base import StoreError

_Handler = Callable[[web.Request], Awaitable[web.Response]]
_RECENT_SEARCHED = 500  # recent notifications searched for a map


def _error(status: int, error: str, detail: str) -> web.Response:
    return web.json_response({"error": error, "detail": detail}, status=status)


def _guarded(handler: _Handler, *, writes: bool = False) -> _Handler:
    async def wrapper(request: web.Request) -> web.Response:
        if writes and context_of(request).app.settings.http.api_token is None:
            return _error(403, "forbidden", "set http.api_token to allow changes over HTTP")
        try:
            return await handler(request)
        except (SilenceError, ValueError, KeyError, TypeError) as exc:
            return _error(400, "bad_request", str(exc)[:200])
        except RecursionError:
            return _error(400, "bad_request", "the body is nested too deeply")
        except StoreError as exc:
            return _error(503, "store_unavailable", str(exc))

    return wrapper


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    data = json.loads(await request.read())
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    return data


def _text(body: dict[str, Any], name: str) -> str | None:
    # A non-string would crash validation (500) or be stored and break every later read.
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{name} must be a string")
    return value


async def list_silences(request: web.Request) -> web.Response:
    store, now = context_of(request).app.store, time.time()
    everything = request.query.get("all") in ("1", "true")
    found = [silence_json(s, now) for s in await store.silences() if everything or s.active(now)]
    return web.json_response({"count": len(found), "silences": found})


async def add_silence(request: web.Request) -> web.Response:
    body, now = await _body(request), time.time()
    silence = new_silence(
        rule=_text(body, "rule"),
        hex_=_text(body, "hex"),
        country=_text(body, "country"),
        duration_s=float(body["duration_s"]),
        comment=_text(body, "comment") or "",
        now=now,
    )
    await context_of(request).app.store.add_silence(silence)
    return web.json_response(silence_json(silence, now), status=201)


async def delete_silence(request: web.Request) -> web.Response:
    store = context_of(request).app.store
    if await expire_silence(store, request.match_info["id"], time.time()):
        return web.Response(status=204)
    return _error(404, "not_found", "no active silence with this id")


async def ack_episode(request: web.Request) -> web.Response:
    body = await _body(request)
    fingerprint, by = request.match_info["fingerprint"], _text(body, "by") or "api"
    await acknowledge(context_of(request).app.store, fingerprint, by=by, now=time.time())
    return web.json_response({"acknowledged": fingerprint, "by": by})


async def dead_letters(request: web.Request) -> web.Response:
    items = sorted(await context_of(request).app.store.dead_letters(), key=lambda i: i.dead_at)
    return web.json_response(
        {"count": len(items), "dead_letters": [dead_letter_json(i) for i in items]}
    )


async def resend(request: web.Request) -> web.Response:
    keys = (await _body(request)).get("keys")
    if keys is not None and not (isinstance(keys, list) and all(isinstance(k, str) for k in keys)):
        raise ValueError("keys must be a list of RECEIVER|ID strings")
    chosen = list(dict.fromkeys(keys)) if keys else None  # a repeated key moves once
    moved = await context_of(request).app.store.resend_dead_letters(chosen, now=time.time())
    return web.json_response({"resent": moved})


async def alert_map(request: web.Request) -> web.Response:
    app, wanted = context_of(request).app, request.match_info["id"]
    payload = await _find_payload(request, wanted)
    if payload is None:
        return _error(404, "not_found", "no recent, pending or dead notification with this id")
    png = await app.maps.render(payload)  # drawn in a worker thread
    return web.Response(body=png, content_type="image/png")


async def _find_payload(request: web.Request, wanted: str) -> Payload | None:
    store = context_of(request).app.store
    for raw in await store.recent_notifications(_RECENT_SEARCHED):
        payload = decode(raw)
        if payload.id == wanted:
            return payload
    for item in [*await store.outbox_pending(), *await store.dead_letters()]:
        if item.id == wanted:
            return decode(bytes(item.payload))
    return None


def add_routes(app: web.Application, _: HttpContext) -> None:
    """Register the lifecycle routes (called by service/http/server.py)."""
    app.router.add_get("/api/silences", _guarded(list_silences))
    app.router.add_post("/api/silences", _guarded(add_silence, writes=True))
    app.router.add_delete("/api/silences/{id}", _guarded(delete_silence, writes=True))
    app.router.add_post("/api/episodes/{fingerprint}/ack", _guarded(ack_episode, writes=True))
    app.router.add_get("/api/deadletters", _guarded(dead_letters))
    app.router.add_post("/api/deadletters/resend", _guarded(resend, writes=True))
    app.router.add_get("/api/alerts/{id}/map.png", _guarded(alert_map))
