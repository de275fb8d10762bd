"""Draw the alert map as a PNG with Pillow: recent track, borders, entry point, and the
loiter pattern (an orbit's circle or a racetrack's oval).

Pure and CPU-bound (call it through `asyncio.to_thread`). The projection is
equirectangular around the centre latitude, which is true enough at the few hundred
km an alert map spans; borders are the sovereign-airspace outlines of the boundary
index (land plus 12 nm of sea), clipped to the view.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import shapely
from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 800, 520
_MARGIN = 0.15  # of the track's extent, around it
_MIN_SPAN_DEG = 0.6  # a short track still shows some land around it
_SEA = (214, 228, 238)
_LAND = (244, 241, 234)
_FOREIGN = (252, 236, 222)  # the country the alert is about
_BORDER = (120, 110, 100)
_TRACK = (30, 90, 200)
_ORBIT = (215, 38, 61)
_ENTRY = (244, 162, 89)
_TEXT = (40, 40, 40)


@dataclass(frozen=True, slots=True)
class Racetrack:
    """An oval to draw: two straight legs joined by half circles as wide as it is."""

    lat: float  # the middle of the oval
    lon: float
    leg_km: float  # the straight part
    width_km: float
    axis_deg: float  # compass bearing of the legs

    def outline(self, steps: int = 24) -> list[tuple[float, float]]:
        """The oval as (lat, lon) points, closed."""
        r, half = self.width_km / 2, self.leg_km / 2
        points = []
        for end in (1, -1):  # the far end's half circle, then the near end's
            for i in range(steps + 1):
                a = math.pi * i / steps
                along = end * (half + r * math.sin(a))
                across = end * r * math.cos(a)
                points.append(self._latlon(along, across))
        return [*points, points[0]]

    def _latlon(self, along: float, across: float) -> tuple[float, float]:
        b = math.radians(self.axis_deg)
        east = along * math.sin(b) - across * math.cos(b)
        north = along * math.cos(b) + across * math.sin(b)
        lat = self.lat + north / 111.2
        return lat, self.lon + east / (111.2 * math.cos(math.radians(self.lat)))


@dataclass(frozen=True, slots=True)
class MapSpec:
    """What to draw. Coordinates in degrees; `track` oldest first as (lat, lon)."""

    track: Sequence[tuple[float, float]]
    countries: Sequence[Any] = ()  # shapely (Multi)Polygons in lon/lat
    highlight: Any = None  # the foreign country, filled differently
    entry: tuple[float, float] | None = None
    orbit: tuple[float, float, float] | None = None  # lat, lon, radius km
    racetrack: Racetrack | None = None
    title: str = ""
    caption: str = ""
    extra: Sequence[tuple[float, float]] = field(default_factory=tuple)  # points to keep in view


class _View:
    """Degrees to pixels for one map."""

    def __init__(self, points: Iterable[tuple[float, float]]) -> None:
        lats, lons = zip(*points, strict=True)
        lat0, lat1, lon0, lon1 = min(lats), max(lats), min(lons), max(lons)
        self.kx = math.cos(math.radians((lat0 + lat1) / 2))  # shrink longitudes
        span_y = max(lat1 - lat0, _MIN_SPAN_DEG)
        span_x = max((lon1 - lon0) * self.kx, _MIN_SPAN_DEG)
        mid_lat, mid_x = (lat0 + lat1) / 2, (lon0 + lon1) / 2 * self.kx
        # Keep the aspect ratio of the image: widen whichever side is short.
        span_y, span_x = max(span_y, span_x * HEIGHT / WIDTH), max(span_x, span_y * WIDTH / HEIGHT)
        span_y, span_x = span_y * (1 + 2 * _MARGIN), span_x * (1 + 2 * _MARGIN)
        self.top, self.left = mid_lat + span_y / 2, mid_x - span_x / 2
        self.scale = WIDTH / span_x
        self.bounds = (
            self.left / self.kx,
            self.top - span_y,
            (self.left + span_x) / self.kx,
            self.top,
        )

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        return ((lon * self.kx - self.left) * self.scale, (self.top - lat) * self.scale)

    def km(self, km: float) -> float:
        return float(km / 111.2 * self.scale)


def render_png(spec: MapSpec) -> bytes:
    """The map as PNG bytes."""
    image = Image.new("RGB", (WIDTH, HEIGHT), _SEA)
    draw = ImageDraw.Draw(image)
    points = list(spec.track) + list(spec.extra)
    if spec.entry:
        points.append(spec.entry)
    if spec.orbit:
        points.append(spec.orbit[:2])
    if spec.racetrack:
        points.extend(spec.racetrack.outline(4))
    view = _View(points or [(0.0, 0.0)])
    for geometry in spec.countries:
        fill = _FOREIGN if geometry is spec.highlight else _LAND
        _polygons(draw, view, geometry, fill)
    if len(spec.track) > 1:
        draw.line([view.xy(lat, lon) for lat, lon in spec.track], fill=_TRACK, width=3)
    if spec.orbit:
        x, y = view.xy(spec.orbit[0], spec.orbit[1])
        r = view.km(spec.orbit[2])
        draw.ellipse((x - r, y - r, x + r, y + r), outline=_ORBIT, width=3)
        draw.ellipse((x - 3, y - 3, x + 3, y + 3), fill=_ORBIT)
    if spec.racetrack:
        oval = [view.xy(lat, lon) for lat, lon in spec.racetrack.outline()]
        draw.line(oval, fill=_ORBIT, width=3, joint="curve")
        x, y = view.xy(spec.racetrack.lat, spec.racetrack.lon)
        draw.ellipse((x - 3, y - 3, x + 3, y + 3), fill=_ORBIT)
    if spec.entry:
        x, y = view.xy(*spec.entry)
        draw.regular_polygon((x, y, 9), 4, rotation=45, fill=_ENTRY, outline=_TEXT)
    if spec.track:
        x, y = view.xy(*spec.track[-1])
        draw.ellipse((x - 6, y - 6, x + 6, y + 6), fill=_TRACK, outline="white", width=2)
    _legend(draw, spec)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _polygons(draw: ImageDraw.ImageDraw, view: _View, geometry: Any, fill: tuple[int, ...]) -> None:
    clipped = shapely.clip_by_rect(geometry, *view.bounds)
    for polygon in shapely.get_parts(clipped):
        if polygon.is_empty or polygon.geom_type != "Polygon":
            continue
        ring = [view.xy(lat, lon) for lon, lat in polygon.exterior.coords]
        if len(ring) >= 3:
            draw.polygon(ring, fill=fill, outline=_BORDER, width=2)
        for hole in polygon.interiors:
            draw.polygon([view.xy(lat, lon) for lon, lat in hole.coords], fill=_SEA)


def _legend(draw: ImageDraw.ImageDraw, spec: MapSpec) -> None:
    font = ImageFont.load_default(size=16)
    small = ImageFont.load_default(size=12)
    if spec.title:
        draw.rectangle((0, 0, WIDTH, 28), fill=(255, 255, 255))
        draw.text((10, 5), spec.title[:90], fill=_TEXT, font=font)
    y = HEIGHT - 22
    draw.rectangle((0, y - 4, WIDTH, HEIGHT), fill=(255, 255, 255))
    pattern = "racetrack" if spec.racetrack else "orbit"
    keys = [("track", _TRACK), ("entry", _ENTRY), (pattern, _ORBIT), ("border", _BORDER)]
    x = 10
    for label, colour in keys:
        draw.rectangle((x, y + 3, x + 12, y + 13), fill=colour)
        draw.text((x + 16, y), label, fill=_TEXT, font=small)
        x += 70
    text = (spec.caption + "  " if spec.caption else "") + "Borders © OpenStreetMap contributors"
    draw.text((WIDTH - 10, y), text, fill=_TEXT, font=small, anchor="ra")
