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
    center: LatLon
    radius_km: float
    turns: float
    duration_s: int
    alt_min_ft: int | None
    alt_max_ft: int | None
    place: PlaceRef | UnsetType = UNSET


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
