"""Notifications: the identity of an alert episode and the webhook payload (version "1").

An episode is identified by (rule, aircraft, episode start) and its fingerprint is a
hash of those; each notification of the episode has a sequence number (0 for the
first), and its id is derived from fingerprint and sequence, so a retry, a replay or a
restarted service produces the same id for the same notification. The payload is
documented by schemas/webhook-v1.schema.json.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from msgspec import UNSET

from service.alerts.links import fill
from service.alerts.payload import (
    PAYLOAD_VERSION,
    AircraftRef,
    AreaRef,
    Evidence,
    LatLon,
    LoiterRef,
    Payload,
    PlaceRef,
    PositionRef,
    RuleRef,
    SignalRef,
    SquawkRef,
    encode,
    iso,
    loiter_pattern,
)
from service.detect.events import AirspaceFacts, Event, LoiterFacts, SignalFacts, SquawkFacts
from service.detect.squawk import meaning as squawk_meaning
from service.locate.countries import country_name
from service.locate.geo import format_latlon
from service.models import Identity
from service.settings import Rule
from service.settings.links import Link
from service.track import TrackPoint

_ID_NAMESPACE = uuid.UUID("5f0c1d7e-7b9a-4a5e-9a57-b0d3e3a7c701")


def fingerprint(rule_id: str, hex_: str, episode_start: float) -> str:
    """Stable id of one alert episode."""
    key = f"{rule_id}|{hex_}|{episode_start:.3f}".encode()
    return hashlib.sha256(key).hexdigest()[:32]


def notification_id(episode_fingerprint: str, sequence: int) -> str:
    """Stable id of the n-th notification of an episode (the same on every retry)."""
    return str(uuid.uuid5(_ID_NAMESPACE, f"{episode_fingerprint}/{sequence}"))


@dataclass(frozen=True, slots=True)
class Notification:
    """One notification of an alert episode; `payload()` is what receivers get.
    `links` are the configured link templates (`links:`), filled in per payload."""

    id: str
    fingerprint: str
    sequence: int
    rule: Rule
    event: Event
    identity: Identity
    links: Sequence[Link] = ()

    @property
    def status(self) -> Literal["firing", "resolved"]:
        return "resolved" if self.event.kind == "resolved" else "firing"

    def payload(self) -> Payload:
        """The webhook payload, version "1"."""
        event, ident, point = self.event, self.identity, self.event.point
        payload = Payload(
            version=PAYLOAD_VERSION,
            id=self.id,
            fingerprint=self.fingerprint,
            status=self.status,
            kind=event.kind,
            sequence=self.sequence,
            at=iso(event.at),
            started_at=iso(event.episode_start),
            ended_at=iso(event.ended_at) if event.ended_at is not None else None,
            rule=RuleRef(id=self.rule.id, type=self.rule.type, severity=self.rule.severity),
            aircraft=AircraftRef(
                hex=ident.hex,
                callsign=ident.callsign,
                registration=ident.registration,
                type=ident.type_code,
                state=ident.state,
                category=ident.category,
                confidence=round(ident.confidence, 3),
                identified_by=[Evidence(method=m, detail=d) for m, d in ident.reasons],
            ),
            position=position_ref(point),
            summary=summary(self),
        )
        payload.links = fill(self.links, payload.aircraft, payload.position)
        facts = event.facts
        if isinstance(facts, AirspaceFacts):
            payload.area = AreaRef(
                country=facts.country,
                name=country_name(facts.country),
                depth_km=round(facts.depth_km, 1),
                max_depth_km=round(facts.max_depth_km, 1),
                entered_at=iso(facts.entered_at),
                entry=LatLon(lat=round(facts.entry_lat, 5), lon=round(facts.entry_lon, 5)),
            )
        elif isinstance(facts, LoiterFacts):
            payload.loiter = LoiterRef(
                center=LatLon(lat=round(facts.center_lat, 5), lon=round(facts.center_lon, 5)),
                radius_km=round(facts.radius_km, 1),
                turns=round(facts.turns, 1),
                duration_s=round(facts.duration_s),
                alt_min_ft=facts.alt_min_ft,
                alt_max_ft=facts.alt_max_ft,
                shape=facts.shape,
            )
            if facts.leg_km is not None and facts.width_km is not None:
                payload.loiter.leg_km = round(facts.leg_km, 1)
                payload.loiter.width_km = round(facts.width_km, 1)
            if facts.axis_deg is not None:
                payload.loiter.axis_deg = round(facts.axis_deg) % 180
            if facts.place is not None:
                payload.loiter.place = PlaceRef(
                    name=facts.place.name,
                    country=facts.place.country,
                    distance_km=round(facts.place.distance_km, 1),
                )
        elif isinstance(facts, SignalFacts):
            payload.area = AreaRef(
                country=facts.country,
                name=country_name(facts.country),
                depth_km=round(facts.depth_km or 0.0, 1),
                max_depth_km=None,
                entered_at=None,
                entry=None,
            )
            payload.signal = SignalRef(
                last_seen=iso(facts.last_seen), silent_s=round(facts.silent_s)
            )
        elif isinstance(facts, SquawkFacts):
            payload.squawk = SquawkRef(code=facts.code, meaning=squawk_meaning(facts.code))
        return payload

    def body(self) -> bytes:
        """The payload as compact JSON bytes, exactly what is signed and sent."""
        return encode(self.payload())


def position_ref(point: TrackPoint) -> PositionRef:
    """A track point as the payload's `position` (the API's track points extend it)."""
    return PositionRef(
        time=iso(point.time),
        lat=round(point.lat, 5),
        lon=round(point.lon, 5),
        alt_ft=point.alt_ft,
        gs_kt=point.gs_kt,
        track_deg=point.track_deg,
        squawk=point.squawk if point.squawk is not None else UNSET,
    )


def _hhmm(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%H:%M UTC")


def _duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def _who(identity: Identity) -> str:
    state = identity.state or "unknown-state"
    label = identity.callsign or identity.registration or identity.hex.upper()
    extra = [x for x in (identity.registration, identity.type_code) if x and x != label]
    suffix = f" ({', '.join(extra)})" if extra else ""
    return f"{state} {identity.category} aircraft {label}{suffix}"


def summary(notification: Notification) -> str:
    """One plain sentence a person reads first."""
    event, who = notification.event, _who(notification.identity)
    facts = event.facts
    if isinstance(facts, AirspaceFacts):
        name = country_name(facts.country)
        if event.kind == "opened":
            how = "was first seen inside" if facts.first_seen_inside else "entered"
            return (
                f"{who} {how} {name} airspace at {_hhmm(facts.entered_at)} near "
                f"{format_latlon(facts.entry_lat, facts.entry_lon)}; now "
                f"{facts.depth_km:.0f} km inside."
            )
        if event.kind == "update":
            return f"{who} is {facts.depth_km:.0f} km inside {name} ({event.note})."
        stay = _duration((event.ended_at or event.at) - facts.entered_at)
        if event.note == "signal lost":
            return (
                f"{who}: {name} episode closed after {stay} because the signal was lost; "
                f"maximum depth {facts.max_depth_km:.0f} km."
            )
        return (
            f"{who} left {name} airspace after {stay}; maximum depth {facts.max_depth_km:.0f} km."
        )
    if isinstance(facts, LoiterFacts):
        where, inside = _loiter_where(facts)
        shape = loiter_pattern(facts.shape, facts.turns, facts.radius_km, facts.leg_km,
                               facts.width_km, facts.axis_deg)  # fmt: skip
        alts = ""
        if facts.alt_min_ft is not None and facts.alt_max_ft is not None:
            alts = f", {facts.alt_min_ft:,}-{facts.alt_max_ft:,} ft"
        lasting = _duration(facts.duration_s)
        if event.kind == "resolved":
            return f"{who} stopped loitering near {where}{inside} after {lasting} ({event.note})."
        verb = "has been loitering" if event.kind == "update" else "is loitering"
        return f"{who} {verb} near {where}{inside} for {lasting} ({shape}{alts})."
    if isinstance(facts, SquawkFacts):
        return _squawk_summary(who, event, facts)
    assert isinstance(facts, SignalFacts)
    name = country_name(facts.country)
    if event.kind == "opened":
        depth = f", {facts.depth_km:.0f} km inside" if facts.depth_km is not None else ""
        return (
            f"{who} went silent inside {name}{depth}; last heard {_hhmm(facts.last_seen)} at "
            f"{format_latlon(event.point.lat, event.point.lon)}."
        )
    if event.note == "heard again":
        return f"{who} is heard again after {_duration(facts.silent_s)} of silence in {name}."
    return f"{who} still silent in {name} after {_duration(facts.silent_s)}; episode expired."


# Beyond this a loiter is placed by direction and distance from the nearest town.
_NEAR_KM = 10.0
# Beyond this the nearest town no longer helps (open sea, desert): coordinates only.
_FAR_KM = 150.0
_COMPASS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")


def _loiter_where(facts: LoiterFacts) -> tuple[str, str]:
    """("Valle de Bravo, MX (19.19 N 100.13 W)", " in Mexico") style phrases."""
    latlon = format_latlon(facts.center_lat, facts.center_lon)
    inside = f" in {country_name(facts.country)}" if facts.country else " over the high seas"
    place = facts.place
    if place is None or place.distance_km > _FAR_KM:
        return latlon, inside
    town = f"{place.name}, {place.country}"
    if place.distance_km > _NEAR_KM:
        heading = _COMPASS[round(place.bearing_deg / 45) % 8]
        town = f"{place.distance_km:.0f} km {heading} of {town}"
    # The town's country code already says where, unless the orbit is across a border.
    return f"{town} ({latlon})", "" if place.country == facts.country else inside


def _squawk_summary(who: str, event: Event, facts: SquawkFacts) -> str:
    code = f"{facts.code} ({squawk_meaning(facts.code)})"
    where = format_latlon(event.point.lat, event.point.lon)
    inside = f" in {country_name(facts.country)}" if facts.country else ""
    if event.kind == "opened":
        return f"{who} is squawking {code} since {_hhmm(facts.since)} near {where}{inside}."
    if event.kind == "update":
        return f"{who} now squawks {code} near {where}{inside}."
    lasting = _duration((event.ended_at or event.at) - event.episode_start)
    if event.note == "signal lost":
        return f"{who}: squawk {facts.code} episode closed after {lasting}; the signal was lost."
    now = f" (now {event.point.squawk})" if event.point.squawk else ""
    return f"{who} stopped squawking {facts.code} after {lasting}{now}."
