"""Map images for notifications: the aircraft's recent track from the fleet (or the
store) and the borders from the boundary index, drawn in a worker thread."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from datetime import datetime

from msgspec import UNSET

from service.alerts.payload import LoiterRef, Payload, decode
from service.locate.boundaries import Boundaries
from service.render.map import MapSpec, Racetrack, render_png
from service.store.base import TrackStore
from service.store.records import OutboxItem
from service.track import TrackPoint, point_decoder
from service.track.fleet import Fleet

# The track shown: from a little before the episode started, up to the notification.
LEAD_S = 1800.0
WINDOW_MAX_S = 3 * 3600.0  # older track is context nobody needs on an alert map
_CACHE_SIZE = 32  # receivers of one notification share one rendering


def spec_for(boundaries: Boundaries, payload: Payload, points: list[TrackPoint]) -> MapSpec:
    """What to draw for a notification and the aircraft's track."""
    at = _unix(payload.at)
    loiter = payload.loiter or None
    area = payload.area or None
    # A loiter map is about the orbit: no approach leg, which would dwarf it.
    lead = 0.0 if loiter is not None else LEAD_S
    started = max(_unix(payload.started_at) - lead, at - WINDOW_MAX_S)
    track = [(p.lat, p.lon) for p in points if started <= p.time <= at + 1]
    if not track:
        track = [(payload.position.lat, payload.position.lon)]
    codes = {p.country for p in points if p.country} | {payload.aircraft.state}
    place = (loiter.place or None) if loiter is not None else None
    # The country the alert is about: the one entered, else where the orbit's town is.
    foreign = area.country if area is not None else place.country if place is not None else None
    geometries, highlight = [], None
    for code in sorted(c for c in codes | {foreign} if c):
        index = boundaries.index_of(code)
        if index is None:
            continue
        geometry = boundaries.geometry(index)
        geometries.append(geometry)
        if code == foreign:
            highlight = geometry
    entry = area.entry if area is not None else None
    return MapSpec(
        track=track,
        countries=geometries,
        highlight=highlight,
        entry=(entry.lat, entry.lon) if entry else None,
        orbit=_orbit(loiter),
        racetrack=_racetrack(loiter),
        title=f"{payload.label} · {payload.rule.id} · {payload.at.replace('T', ' ')}",
        caption=f"{len(track)} positions",
    )


class MapRenderer:
    """Draws the map of a notification from the boundary index and the aircraft's track
    (in the fleet while it is followed, else as saved in the store)."""

    def __init__(self, boundaries: Boundaries, fleet: Fleet, store: TrackStore) -> None:
        self.boundaries = boundaries
        self.fleet = fleet
        self.store = store
        self._cache: OrderedDict[str, bytes] = OrderedDict()

    async def render(self, payload: Payload) -> bytes:
        """The PNG of a notification; the drawing runs in a thread, off the event loop."""
        hex_ = payload.aircraft.hex
        live = self.fleet.get(hex_)
        if live is not None:
            points = live.track.points
        else:
            points = [point_decoder.decode(raw) for raw in await self.store.load_track(hex_)]
        spec = spec_for(self.boundaries, payload, points)
        return await asyncio.to_thread(render_png, spec)

    async def for_item(self, item: OutboxItem) -> bytes | None:
        """The PNG of an outbox entry (a `MapSource`), shared by its receivers."""
        cached = self._cache.get(item.id)
        if cached is not None:
            return cached
        png = await self.render(decode(bytes(item.payload)))
        self._cache[item.id] = png
        while len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)
        return png


def _racetrack(loiter: LoiterRef | None) -> Racetrack | None:
    """The oval of a racetrack loiter (one with its legs, width and axis)."""
    if loiter is None or loiter.shape != "racetrack":
        return None
    if not loiter.leg_km or not loiter.width_km or loiter.axis_deg is UNSET:
        return None
    return Racetrack(loiter.center.lat, loiter.center.lon, loiter.leg_km, loiter.width_km,
                     loiter.axis_deg)  # fmt: skip


def _orbit(loiter: LoiterRef | None) -> tuple[float, float, float] | None:
    """The circle of any other loiter: orbits, dwells, and those of older senders."""
    if loiter is None or _racetrack(loiter) is not None:
        return None
    return loiter.center.lat, loiter.center.lon, loiter.radius_km


def _unix(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
