"""The records that flow down the pipeline, in fixed units.

feeds -> normalise -> fuse -> identify -> locate -> track -> detect -> alerts -> deliver

Units everywhere inside the service: unix seconds, degrees (WGS84), feet, knots,
kilometres for distances on the ground. Feed adapters convert at the edge.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

import msgspec

# A 24-bit ICAO address as 6 lowercase hex digits; "~" marks a non-ICAO address
# (TIS-B, anonymised) that is never mapped to a state.
_ADDRESS: Final = re.compile(r"~?[0-9a-f]{6}")


def is_address(text: str) -> bool:
    """Whether `text` is an aircraft address as the service writes it (lowercase)."""
    return len(text) <= 7 and _ADDRESS.fullmatch(text) is not None


class Quality(StrEnum):
    """How a position was obtained (readsb `type`, OpenSky `position_source`)."""

    ADSB = "adsb"
    MLAT = "mlat"
    TISB = "tisb"
    OTHER = "other"


class Position(msgspec.Struct, frozen=True, gc=False):
    """One normalised position report of one aircraft.

    A msgspec Struct rather than a dataclass: a world feed builds tens of thousands of
    these per poll, and a Struct is built several times faster than a frozen dataclass.
    (gc=False: the fields are scalars only, so no reference cycles.)
    """

    hex: str  # 24-bit address, lowercase hex; "~" prefix marks a non-ICAO address
    time: float  # unix s of the position fix (feed `now` minus `seen_pos`)
    lat: float
    lon: float
    alt_ft: int | None = None  # barometric; None when unknown or on ground
    on_ground: bool = False
    gs_kt: float | None = None
    track_deg: float | None = None
    callsign: str | None = None  # stripped of padding
    registration: str | None = None
    type_code: str | None = None  # ICAO aircraft type designator, e.g. "Q9"
    squawk: str | None = None
    db_flags: int = 0  # readsb database flags; bit 0 = military
    source: str = "replay"
    quality: Quality = Quality.ADSB


@dataclass(slots=True)
class Snapshot:
    """All positions a feed reported at one instant, plus what was rejected."""

    now: float
    # A list, or `service.feeds.columns.PositionColumns` from the live poll path
    # (the same positions, built only for the rows read).
    positions: Sequence[Position]
    rejected: dict[str, int] = field(default_factory=dict)  # reason -> count


class Category(StrEnum):
    MILITARY = "military"
    GOVERNMENT = "government"
    POLICE = "police"
    CIVIL = "civil"
    UNKNOWN = "unknown"


STATE_CATEGORIES = frozenset({Category.MILITARY, Category.GOVERNMENT, Category.POLICE})


@dataclass(slots=True, frozen=True)
class Reason:
    """One piece of evidence behind a verdict, e.g. ("military_range", "AE0000-AFFFFF")."""

    method: str
    detail: str


@dataclass(slots=True, frozen=True)
class Verdict:
    """Who an aircraft is: category, state of registry (ISO alpha-2) and why.

    `confidence` (0..1) is how strongly the evidence supports the category; `weak`
    marks a state category resting only on weak evidence (a callsign designator, a
    VRS-only range). The scale is documented in `service.identify.evidence`.
    """

    category: Category
    state: str | None
    reasons: tuple[Reason, ...] = ()
    confidence: float = 0.0
    weak: bool = False

    @property
    def is_state_aircraft(self) -> bool:
        return self.category in STATE_CATEGORIES


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


@dataclass(slots=True, frozen=True)
class Airspace:
    """Where the locate stage placed one position: sovereign airspace and user areas."""

    country: str | None  # alpha-2 of the sovereign airspace, None over the high seas
    depth_km: float | None  # only measured where a rule needs it (a foreign country)
    areas: tuple[str, ...] = ()  # the configured user areas holding the point


@dataclass(slots=True, frozen=True)
class Location:
    """Whose sovereign airspace (land plus 12 nm territorial sea) holds a point."""

    country: str | None  # ISO 3166-1 alpha-2 of the sovereign, None over the high seas
    name: str | None
    depth_km: float | None  # distance to that country's border; None outside every country
