"""The notification payload, version "1", as typed structs (schemas/webhook-v1.schema.json).

One model serves both directions: `Notification.payload()` builds it and `encode`
turns it into the exact bytes that are signed, stored in the outbox and sent; `decode`
reads those bytes back (from the outbox, the API's record) for the chat formats, the
maps and the API's filters. Field order is the order on the wire; a field that is
`UNSET` is left out (the facts of other rule types, a position without a squawk).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

import msgspec
from msgspec import UNSET, UnsetType

PAYLOAD_VERSION = "1"
Status = Literal["firing", "resolved"]
Kind = Literal["opened", "update", "resolved"]


def iso(timestamp: float) -> str:
    """A payload time: ISO 8601 UTC with seconds, e.g. 2025-08-13T08:41:10Z."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class RuleRef(msgspec.Struct):
    id: str
    type: str
    severity: str


class Evidence(msgspec.Struct):
    """One reason for the identification ("method", "detail")."""

    method: str
    detail: str


class AircraftRef(msgspec.Struct):
    hex: str
    callsign: str | None
    registration: str | None
    type: str | None
    state: str | None
    category: str
    # Older payloads have no confidence; they still decode.
    confidence: float | UnsetType = UNSET
    identified_by: list[Evidence] = []


class PositionRef(msgspec.Struct):
    time: str
    lat: float
    lon: float
    alt_ft: int | None
    gs_kt: float | None
    track_deg: float | None
    squawk: str | UnsetType = UNSET


class LatLon(msgspec.Struct):
    lat: float
    lon: float


class AreaRef(msgspec.Struct):
    """The country of a foreign-airspace (or signal-lost) episode."""

    country: str
    name: str
    depth_km: float
    max_depth_km: float | None
    entered_at: str | None
    entry: LatLon | None


class PlaceRef(msgspec.Struct):
    name: str
    country: str
    distance_km: float


class LoiterRef(msgspec.Struct):
    """The pattern of a loiter episode. `shape` and the racetrack's size and axis are
    newer than the rest: absent from older senders (their loiters are orbits or dwells
    described by `radius_km`)."""

    center: LatLon
    radius_km: float
    turns: float
    duration_s: int
    alt_min_ft: int | None
    alt_max_ft: int | None
    place: PlaceRef | UnsetType = UNSET
    shape: Literal["orbit", "racetrack", "dwell"] | UnsetType = UNSET
    leg_km: float | UnsetType = UNSET  # racetrack: the straight part of a leg
    width_km: float | UnsetType = UNSET  # racetrack
    axis_deg: float | UnsetType = UNSET  # racetrack: compass bearing, 0 to 180

    @property
    def pattern(self) -> str:
        """The pattern in words (`loiter_pattern`)."""
        return loiter_pattern(
            self.shape or None,
            self.turns,
            self.radius_km,
            self.leg_km or None,
            self.width_km or None,
            self.axis_deg if self.axis_deg is not UNSET else None,
        )


def loiter_pattern(
    shape: str | None,
    turns: float,
    radius_km: float,
    leg_km: float | None = None,
    width_km: float | None = None,
    axis_deg: float | None = None,
) -> str:
    """How a loiter pattern reads: "orbit, 1.2 turns, radius 8 km", "racetrack, 90 km
    legs, 22 km wide, axis 060/240", "dwell within 12 km, 0.4 turns" (no shape, from an
    older sender: "1.2 turns, radius 8 km")."""
    if shape == "racetrack" and leg_km is not None and width_km is not None:
        axis = ""
        if axis_deg is not None:
            one = round(axis_deg) % 180
            axis = f", axis {one:03d}/{one + 180:03d}"
        return f"racetrack, {leg_km:.0f} km legs, {width_km:.0f} km wide{axis}"
    if shape == "dwell":
        return f"dwell within {radius_km:.0f} km, {turns:.1f} turns"
    size = f"{turns:.1f} turns, radius {radius_km:.0f} km"
    return f"orbit, {size}" if shape == "orbit" else size


class SignalRef(msgspec.Struct):
    last_seen: str
    silent_s: int


class SquawkRef(msgspec.Struct):
    code: str
    meaning: str


class LinkRef(msgspec.Struct):
    """A configured link (`links:`) filled in for this aircraft."""

    label: str
    url: str


class Payload(msgspec.Struct):
    """One notification as a receiver gets it (docs/webhooks.md)."""

    version: str
    id: str
    fingerprint: str
    status: Status
    kind: Kind
    sequence: int
    at: str
    started_at: str
    ended_at: str | None
    rule: RuleRef
    aircraft: AircraftRef
    position: PositionRef
    summary: str
    area: AreaRef | UnsetType = UNSET
    loiter: LoiterRef | UnsetType = UNSET
    signal: SignalRef | UnsetType = UNSET
    squawk: SquawkRef | UnsetType = UNSET
    # Older payloads have no links; the chat formats then show the default trackers.
    links: list[LinkRef] | UnsetType = UNSET

    @property
    def label(self) -> str:
        """How people name the aircraft: callsign, else registration, else address."""
        aircraft = self.aircraft
        return aircraft.callsign or aircraft.registration or aircraft.hex.upper()

    @property
    def country(self) -> str | None:
        """The country the notification is about, when it names one."""
        return self.area.country if self.area else None


_ENCODER = msgspec.json.Encoder()
_DECODER = msgspec.json.Decoder(Payload)


def encode(payload: Payload) -> bytes:
    """The payload as compact JSON bytes, exactly what is signed and sent."""
    return _ENCODER.encode(payload)


def decode(body: bytes) -> Payload:
    """A payload from its JSON bytes; raises `msgspec.DecodeError` if it is not one."""
    return _DECODER.decode(body)
