"""Per-aircraft state the engine keeps: identity, bounded track and rule states.

Only aircraft that some rule selects get a track; everything here is serialised with
msgspec so the store can save it and a restarted service continues where it stopped.
"""

from __future__ import annotations

from collections import deque

import msgspec

from service.models import Reason, Verdict


class TrackPoint(msgspec.Struct, array_like=True, frozen=True):
    """One accepted position in an aircraft's history, with where it was."""

    time: float
    lat: float
    lon: float
    alt_ft: int | None
    gs_kt: float | None
    track_deg: float | None
    on_ground: bool
    country: str | None  # alpha-2 of the sovereign airspace, None over the high seas
    depth_km: float | None  # only computed where a rule needs it (inside a foreign country)
    # Names of the configured user areas holding the point. Fields added later go last,
    # with a default, so points saved by an older version still decode.
    areas: tuple[str, ...] = ()
    squawk: str | None = None  # transponder code as reported (4 octal digits), if any


class Identity(msgspec.Struct):
    """Who the aircraft is, as last identified."""

    hex: str
    category: str
    state: str | None
    reasons: list[tuple[str, str]]
    callsign: str | None = None
    registration: str | None = None
    type_code: str | None = None
    confidence: float = 0.0  # Verdict.confidence; 0.0 in records saved before it existed

    @classmethod
    def from_verdict(
        cls,
        hex_: str,
        verdict: Verdict,
        callsign: str | None,
        registration: str | None,
        type_code: str | None,
    ) -> Identity:
        return cls(
            hex=hex_,
            category=str(verdict.category),
            state=verdict.state,
            reasons=[(r.method, r.detail) for r in verdict.reasons],
            callsign=callsign,
            registration=registration,
            type_code=type_code,
            confidence=verdict.confidence,
        )

    def verdict_reasons(self) -> tuple[Reason, ...]:
        return tuple(Reason(method, detail) for method, detail in self.reasons)


class AircraftRecord(msgspec.Struct):
    """What the store saves for one aircraft besides its track points."""

    identity: Identity
    rule_states: dict[str, msgspec.Raw] = {}
    sequences: dict[str, int] = {}  # episode fingerprint -> next notification sequence


class Track:
    """The bounded, time-ordered history of one aircraft."""

    __slots__ = ("max_points", "points")

    def __init__(self, max_points: int, points: list[TrackPoint] | None = None) -> None:
        self.max_points = max_points
        self.points: deque[TrackPoint] = deque(points or (), maxlen=max_points)

    @property
    def last(self) -> TrackPoint | None:
        return self.points[-1] if self.points else None

    def append(self, point: TrackPoint) -> None:
        self.points.append(point)

    def since(self, start: float) -> list[TrackPoint]:
        """Points at or after `start`, oldest first."""
        out: list[TrackPoint] = []
        for point in reversed(self.points):
            if point.time < start:
                break
            out.append(point)
        out.reverse()
        return out


point_encoder = msgspec.json.Encoder()
point_decoder = msgspec.json.Decoder(TrackPoint)
record_decoder = msgspec.json.Decoder(AircraftRecord)
