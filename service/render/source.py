"""Map images for notifications: the aircraft's recent track from the pipeline (or
the store) and the borders from the boundary index, drawn in a worker thread."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from datetime import datetime
from typing import Any

import msgspec

from service.app import App
from service.deliver.transport import MapSource
from service.render.map import MapSpec, render_png
from service.store.records import OutboxItem
from service.track import TrackPoint, point_decoder

# The track shown: from a little before the episode started, up to the notification.
LEAD_S = 1800.0
WINDOW_MAX_S = 3 * 3600.0  # older track is context nobody needs on an alert map
_CACHE_SIZE = 32  # receivers of one notification share one rendering


def spec_for(app: App, payload: dict[str, Any], points: list[TrackPoint]) -> MapSpec:
    """What to draw for a notification payload (version 1) and the aircraft's track."""
    at = _unix(payload["at"])
    # A loiter map is about the orbit: no approach leg, which would dwarf it.
    lead = 0.0 if payload.get("loiter") else LEAD_S
    started = max(_unix(payload["started_at"]) - lead, at - WINDOW_MAX_S)
    track = [(p.lat, p.lon) for p in points if started <= p.time <= at + 1]
    position = payload["position"]
    if not track:
        track = [(position["lat"], position["lon"])]
    boundaries = app.pipeline.boundaries
    codes = {p.country for p in points if p.country} | {payload["aircraft"].get("state")}
    area = payload.get("area") or {}
    loiter = payload.get("loiter") or {}
    foreign = area.get("country") or (loiter.get("place") or {}).get("country")
    geometries, highlight = [], None
    for code in sorted(c for c in codes | {foreign} if c):
        index = boundaries.index_of(code)
        if index is None:
            continue
        geometry = boundaries.geometry(index)
        geometries.append(geometry)
        if code == foreign:
            highlight = geometry
    entry = area.get("entry")
    centre = loiter.get("center")
    aircraft = payload["aircraft"]
    label = aircraft.get("callsign") or aircraft.get("registration") or aircraft["hex"].upper()
    return MapSpec(
        track=track,
        countries=geometries,
        highlight=highlight,
        entry=(entry["lat"], entry["lon"]) if entry else None,
        orbit=(centre["lat"], centre["lon"], loiter["radius_km"]) if centre else None,
        title=f"{label} · {payload['rule']['id']} · {payload['at'].replace('T', ' ')}",
        caption=f"{len(track)} positions",
    )


def map_source(app: App) -> MapSource:
    """An async `OutboxItem -> PNG` function for the delivery worker."""
    cache: OrderedDict[str, bytes] = OrderedDict()

    async def source(item: OutboxItem) -> bytes | None:
        if item.id in cache:
            return cache[item.id]
        payload = msgspec.json.decode(bytes(item.payload))
        png = await render_for(app, payload)
        cache[item.id] = png
        while len(cache) > _CACHE_SIZE:
            cache.popitem(last=False)
        return png

    return source


async def render_for(app: App, payload: dict[str, Any]) -> bytes:
    """The PNG for a payload; the drawing runs in a thread, off the event loop."""
    hex_ = payload["aircraft"]["hex"]
    live = app.pipeline.aircraft.get(hex_)
    if live is not None:
        points = list(live.track.points)
    else:
        points = [point_decoder.decode(raw) for raw in await app.store.load_track(hex_)]
    spec = spec_for(app, payload, points)
    return await asyncio.to_thread(render_png, spec)


def _unix(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
