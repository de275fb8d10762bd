"""SBS / BaseStation output (TCP port 30003): assemble MSG lines into positions.

Format (readsb net_io.c `modesSendSBSOutput`; http://woodair.net/SBS/Article/
Barebones42_Socket_Data.htm): CRLF-terminated CSV of 22 fields; field 2 is the
transmission type, 5 the hex address, 7/8 the UTC date/time generated, 9/10 logged,
11 callsign, 12 altitude (ft), 13 ground speed (kt), 14 track, 15/16 lat/lon,
18 squawk, 22 on ground (-1). Each type fills only some fields (MSG 1 the callsign,
MSG 3 the position, MSG 4 the velocity, MSG 6 the squawk), so the state of each
address is kept and a position is produced whenever a new lat/lon arrives.
Empty lines are heartbeats; lines that are not MSG (the BaseStation GUI's SEL, ID,
AIR, STA, CLK) are ignored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from service.feeds.normalise import clean_text, out_of_bounds
from service.feeds.readsb import MAX_AIRCRAFT
from service.models import Position, Quality, Snapshot

__all__ = ["SBS_REJECT_REASONS", "SbsAssembler"]

SBS_REJECT_REASONS: Final = (
    "bad_line",
    "line_too_long",
    "bad_hex",
    "bad_coordinates",
    "bad_altitude",
    "bad_speed",
    "bad_track",
    "too_many_aircraft",
)
# A receiver clock this far from ours is wrong (or, in dumps, relative): use arrival time.
MAX_CLOCK_SKEW_S: Final = 300.0
# Forget an address not heard for this long, so memory stays bounded.
FORGET_AFTER_S: Final = 600.0
_HEX: Final = frozenset("0123456789ABCDEFabcdef")


@dataclass(slots=True)
class _State:
    heard: float
    callsign: str | None = None
    alt_ft: int | None = None
    gs_kt: float | None = None
    track_deg: float | None = None
    squawk: str | None = None
    on_ground: bool = False
    fix: tuple[float, float, float] | None = None  # time, lat, lon
    fresh: bool = False  # a position not yet handed on


def _time(date: str, clock: str) -> float | None:
    try:
        y, mo, d = (int(part) for part in date.split("/"))
        h, mi, s = clock.split(":")
        whole, _, frac = s.partition(".")
        moment = datetime(y, mo, d, int(h), int(mi), int(whole), tzinfo=UTC)
    except ValueError:
        return None
    return moment.timestamp() + (int(frac[:6]) / 10 ** len(frac[:6]) if frac.isdigit() else 0.0)


def _int(text: str) -> int | None:
    # "H" marks a geometric altitude or rate (readsb's GNSS option); not barometric.
    try:
        return int(text) if text and len(text) < 8 else None
    except ValueError:
        return None


def _float(text: str) -> float | None:
    try:
        value = float(text) if text and len(text) < 16 else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) else None


class SbsAssembler:
    """Per-address state built from MSG lines; `drain` yields the new positions."""

    def __init__(self, source: str, max_aircraft: int = MAX_AIRCRAFT) -> None:
        self.source = source
        self.max_aircraft = max_aircraft
        self.states: dict[str, _State] = {}
        self.rejected: dict[str, int] = {}
        self.latest = 0.0

    def reject(self, reason: str) -> None:
        self.rejected[reason] = self.rejected.get(reason, 0) + 1

    def feed(self, line: str, received: float | None = None) -> None:
        """Take one line (without CRLF). `received` is arrival time for live streams."""
        line = line.strip()
        if not line or not line.startswith("MSG"):
            return  # heartbeat, or a BaseStation GUI message with no aircraft state
        fields = line.split(",")
        if len(fields) != 22 or fields[0] != "MSG":
            self.reject("bad_line")
            return
        hex_ = fields[4]
        if len(hex_) != 6 or not _HEX.issuperset(hex_):
            self.reject("bad_hex")
            return
        when = self._when(fields, received)
        if when is None:
            self.reject("bad_line")
            return
        problem = _corrupt(fields)
        if problem is not None:
            self.reject(problem)  # a corrupt line changes nothing
            return
        hex_ = hex_.lower()
        state = self.states.get(hex_)
        if state is None:
            if len(self.states) >= self.max_aircraft:
                self.reject("too_many_aircraft")
                return
            state = self.states[hex_] = _State(heard=when)
        state.heard = max(state.heard, when)
        self.latest = max(self.latest, when)
        self._update(state, fields, when)

    def _when(self, fields: list[str], received: float | None) -> float | None:
        when = _time(fields[6], fields[7])
        if when is None or when < 946684800:  # before 2000: a relative (MLAT) clock
            when = _time(fields[8], fields[9])
        if received is not None and (when is None or abs(when - received) > MAX_CLOCK_SKEW_S):
            return received
        return when

    def _update(self, state: _State, f: list[str], when: float) -> None:
        alt, gs, track = _int(f[11]), _float(f[12]), _float(f[13])
        lat, lon = _float(f[14]), _float(f[15])
        if f[10].strip():
            state.callsign = clean_text(f[10])
        if alt is not None:
            state.alt_ft = alt
        if gs is not None:
            state.gs_kt = gs
        if track is not None:
            state.track_deg = track % 360.0
        if len(f[17]) == 4 and f[17].isdigit():
            state.squawk = f[17]
        if f[21] in ("-1", "0"):
            state.on_ground = f[21] == "-1"
        if lat is not None and lon is not None:
            state.fix = (when, lat, lon)
            state.fresh = True

    def drain(self) -> Snapshot:
        """Positions produced since the last drain (one per address, the newest), plus
        the rejects counted meanwhile; forgets addresses long silent."""
        positions = []
        for hex_, state in list(self.states.items()):
            if self.latest - state.heard > FORGET_AFTER_S:
                del self.states[hex_]
                continue
            if not state.fresh or state.fix is None:
                continue
            state.fresh = False
            when, lat, lon = state.fix
            positions.append(
                Position(
                    hex=hex_,
                    time=when,
                    lat=lat,
                    lon=lon,
                    alt_ft=None if state.on_ground else state.alt_ft,
                    on_ground=state.on_ground,
                    gs_kt=state.gs_kt,
                    track_deg=state.track_deg,
                    callsign=state.callsign,
                    squawk=state.squawk,
                    source=self.source,
                    quality=Quality.OTHER,  # SBS does not say ADS-B or MLAT
                )
            )
        rejected, self.rejected = self.rejected, {}
        return Snapshot(now=self.latest, positions=positions, rejected=rejected)


def _corrupt(f: list[str]) -> str | None:
    """Why a MSG line's values are outside what an aircraft can report, if they are (the
    same physical bounds as readsb records, service/feeds/normalise.py)."""
    problem = out_of_bounds(_int(f[11]), _float(f[12]), _float(f[13]))
    if problem is not None:
        return problem
    lat, lon = _float(f[14]), _float(f[15])
    if (lat is None) != (lon is None):
        return "bad_coordinates"
    if lat is not None and lon is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return "bad_coordinates"
    return None
