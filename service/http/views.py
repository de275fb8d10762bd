"""JSON shapes of the read API (documented in docs/openapi.yaml).

Times are ISO 8601 UTC strings like the webhook payload; numbers keep their units
(degrees, feet, knots, km, seconds).
"""

from __future__ import annotations

import math
import time
from typing import Any

import msgspec

from service.alerts.notification import position_ref
from service.alerts.payload import iso
from service.feeds.status import FeedStatus
from service.locate.countries import country_name
from service.models import Identity
from service.settings.feeds import FeedSettings
from service.track import TrackPoint


def point_json(point: TrackPoint) -> dict[str, Any]:
    """One track point: the payload's position, with what the API adds."""
    return {
        **msgspec.to_builtins(position_ref(point)),
        "on_ground": point.on_ground,
        "country": point.country,
        "depth_km": round(point.depth_km, 1) if point.depth_km is not None else None,
        "squawk": point.squawk,
    }


def aircraft_json(
    identity: Identity,
    points: list[TrackPoint],
    open_rules: list[str],
    *,
    limit: int,
) -> dict[str, Any]:
    """One aircraft: identity with evidence, last position, open rules, recent track."""
    last = points[-1] if points else None
    country = last.country if last is not None else None
    return {
        "hex": identity.hex,
        "callsign": identity.callsign,
        "registration": identity.registration,
        "type": identity.type_code,
        "state": identity.state,
        "category": identity.category,
        "confidence": round(identity.confidence, 3),
        "identified_by": [{"method": m, "detail": d} for m, d in identity.reasons],
        "position": point_json(last) if last is not None else None,
        "airspace": (
            {"country": country, "name": country_name(country), "abroad": country != identity.state}
            if country is not None
            else None
        ),
        "open_rules": sorted(open_rules),
        "track": [point_json(p) for p in points[-limit:]] if limit > 0 else [],
        "track_points": len(points),
    }


def source_json(
    feed: FeedSettings, status: FeedStatus | None, fresh: bool, now: float | None = None
) -> dict[str, Any]:
    """One feed: settings (never its URL, which may carry a key) and live status."""
    now = time.time() if now is None else now
    last = status.last_success if status is not None else None
    return {
        "name": feed.name,
        "kind": feed.kind,
        "enabled": feed.enabled,
        "interval_s": feed.interval_s,
        "last_success": iso(last) if last is not None else None,
        "age_s": round(now - last, 3) if last is not None else None,
        "consecutive_failures": status.consecutive_failures if status is not None else 0,
        "last_error": status.last_error if status is not None else None,
        "backoff_s": status.backoff_s if status is not None else 0.0,
        "circuit_open": status.circuit_open if status is not None else False,
        "budget_remaining": _finite(status.budget_remaining) if status is not None else None,
        "fresh": fresh,
    }


def _finite(value: float | None) -> float | None:
    # JSON has no infinity: an unlimited budget is null.
    return value if value is not None and math.isfinite(value) else None
