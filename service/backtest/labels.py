"""The labels file of `borderwatch backtest`: what really happened in each recording.

One JSON object keyed by recording name (the file name without `.jsonl.gz`, `.jsonl`
or `.gz`). docs/backtest.md documents the format; it is the format of the development
tracks' labels.json, of which only the keys below are read (others are ignored):

    {"kiruna": {"countries_land": ["SE"], "crosses_border_land": false,
                "flights": [{"hex": "4ab179", "orbit_intervals": [
                    {"t_start_unix": 1548836245.0, "t_end_unix": 1548837205.0}]}]}}

An interval may give ISO 8601 `t_start`/`t_end` instead of the unix fields; an
optional `center_latlon` [lat, lon] lets `abroad_only` loiter rules skip orbits flown
at home, and an optional `shape` ("orbit" or "racetrack") is compared with the shape
the loiter rule reports. The development set of issue 15 adds, per flight, `crossings`
(the foreign countries entered, each with its time: the only entries that count for
that aircraft), `quiet` (anything it raises is a false alert) and `category` (put on
the identify watch list for the run); per recording, `as_configured` (the recording
carries its own identities: --watch-all and --anywhere do not apply to it).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import msgspec

from service.models import Category, is_address


class BacktestError(ValueError):
    """A backtest input (labels file, recording) is missing or malformed; says where."""


class _Interval(msgspec.Struct):
    t_start_unix: float | None = None
    t_end_unix: float | None = None
    t_start: str | None = None
    t_end: str | None = None
    center_latlon: tuple[float, float] | None = None
    shape: Literal["orbit", "racetrack"] | None = None


class _Entry(msgspec.Struct):
    country: str
    t_unix: float | None = None
    t: str | None = None


class _Flight(msgspec.Struct):
    # Some tools write an all-digit address such as 393322 as a JSON number.
    hex: str | int
    orbit_intervals: list[_Interval] = []
    crossings: list[_Entry] | None = None
    quiet: bool = False
    category: Literal["military", "government", "police"] | None = None


class _Recording(msgspec.Struct):
    flights: list[_Flight] = []
    countries_land: list[str] = []
    crosses_border_land: bool = False
    as_configured: bool = False


_ALPHA2 = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True, slots=True)
class Orbit:
    """One labelled orbit interval of one aircraft."""

    hex: str
    start: float
    end: float
    center: tuple[float, float] | None
    shape: str | None = None

    @property
    def duration_s(self) -> float:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Crossing:
    """One labelled country entry of one aircraft: when it went into which country."""

    hex: str
    country: str  # ISO alpha-2
    time: float


@dataclass(frozen=True, slots=True)
class RecordingLabels:
    """What the labels say about one recording."""

    name: str
    hexes: frozenset[str]
    orbits: tuple[Orbit, ...]
    countries: frozenset[str]  # countries overflown (land), ISO alpha-2
    crosses_border: bool
    crossings: tuple[Crossing, ...] = ()
    # Aircraft whose entries are labelled one by one: only those entries count for them.
    crossing_hexes: frozenset[str] = frozenset()
    quiet: frozenset[str] = frozenset()  # aircraft that must raise nothing
    categories: tuple[tuple[str, Category], ...] = ()  # (hex, category) for the watch list
    as_configured: bool = False


def recording_name(path: str | Path) -> str:
    """The labels key of a recording file: its name without the JSONL/gzip suffixes."""
    name = Path(path).name
    for suffix in (".gz", ".jsonl", ".json"):
        name = name.removesuffix(suffix)
    return name


def load_labels(path: Path) -> dict[str, RecordingLabels]:
    """Read and check a labels file; raise BacktestError naming the bad entry."""
    try:
        blob = path.read_bytes()
    except OSError as exc:
        raise BacktestError(f"cannot read labels {_shown(str(path))}: {exc.strerror}") from exc
    return decode_labels(blob, str(path))


def decode_labels(blob: bytes, source: str) -> dict[str, RecordingLabels]:
    """Decode and check the labels in `blob` (read from `source`, named in errors)."""
    source = _shown(source)
    try:
        raw = msgspec.json.decode(blob, type=dict[str, _Recording])
    except msgspec.ValidationError as exc:
        raise BacktestError(f"{source}: {exc}") from None
    except msgspec.DecodeError as exc:
        raise BacktestError(f"{source}: not valid JSON: {exc}") from None
    return {name: _recording(name, recording, source) for name, recording in raw.items()}


def load_many(paths: list[Path]) -> dict[str, RecordingLabels]:
    """Several labels files as one. A later file's entry for a recording already
    labelled adds to it (an overlay of corrections goes after the file it corrects):
    its flights' intervals, crossings, quiet flags and categories are added, its
    countries joined."""
    merged: dict[str, RecordingLabels] = {}
    for path in paths:
        for name, labels in load_labels(path).items():
            merged[name] = _merge(merged[name], labels) if name in merged else labels
    return merged


def _merge(base: RecordingLabels, extra: RecordingLabels) -> RecordingLabels:
    return RecordingLabels(
        name=base.name,
        hexes=base.hexes | extra.hexes,
        orbits=base.orbits + extra.orbits,
        countries=base.countries | extra.countries,
        crosses_border=base.crosses_border or extra.crosses_border,
        crossings=tuple(sorted(base.crossings + extra.crossings, key=lambda c: (c.hex, c.time))),
        crossing_hexes=base.crossing_hexes | extra.crossing_hexes,
        quiet=base.quiet | extra.quiet,
        categories=base.categories + extra.categories,
        as_configured=base.as_configured or extra.as_configured,
    )


def _recording(name: str, recording: _Recording, source: str) -> RecordingLabels:
    orbits, crossings = [], []
    quiet, crossing_hexes, categories = set(), set(), []
    for i, flight in enumerate(recording.flights):
        hex_ = _hex(flight.hex)
        where_flight = f"{source}: {_shown(name)}.flights[{i}]"
        for j, interval in enumerate(flight.orbit_intervals):
            where = f"{where_flight}.orbit_intervals[{j}]"
            start = _time(interval.t_start_unix, interval.t_start, f"{where}.t_start")
            end = _time(interval.t_end_unix, interval.t_end, f"{where}.t_end")
            if end < start:
                raise BacktestError(f"{where}: ends before it starts")
            orbits.append(Orbit(hex_, start, end, interval.center_latlon, interval.shape))
        if flight.crossings is not None:
            crossing_hexes.add(hex_)
            for j, entry in enumerate(flight.crossings):
                where = f"{where_flight}.crossings[{j}]"
                country = entry.country.strip().upper()
                if not _ALPHA2.match(country):
                    raise BacktestError(f"{where}.country: {entry.country!r} is not alpha-2")
                crossings.append(
                    Crossing(hex_, country, _time(entry.t_unix, entry.t, f"{where}.t"))
                )
        if flight.quiet:
            quiet.add(hex_)
        if flight.category is not None:
            if not is_address(hex_):
                raise BacktestError(f"{where_flight}.hex: {hex_!r} is not a 24-bit address")
            categories.append((hex_, Category(flight.category)))
    return RecordingLabels(
        name=name,
        hexes=frozenset(_hex(flight.hex) for flight in recording.flights),
        orbits=tuple(orbits),
        countries=frozenset(code.upper() for code in recording.countries_land),
        crosses_border=recording.crosses_border_land,
        crossings=tuple(sorted(crossings, key=lambda c: (c.hex, c.time))),
        crossing_hexes=frozenset(crossing_hexes),
        quiet=frozenset(quiet),
        categories=tuple(categories),
        as_configured=recording.as_configured,
    )


def _hex(value: str | int) -> str:
    return str(value).zfill(6) if isinstance(value, int) else value.strip().lower()


def _shown(text: str) -> str:
    """`text` as an error names it: as it is, or JSON-quoted if it holds a line break or
    another unprintable character (an error is one line)."""
    return text if text.isprintable() else json.dumps(text)


def _time(unix: float | None, iso: str | None, where: str) -> float:
    if unix is not None:
        if unix != unix or unix in (float("inf"), float("-inf")):
            raise BacktestError(f"{where}_unix: {unix} is not a time")
        return unix
    if iso is None:
        raise BacktestError(f"{where}: missing (give {where.rsplit('.', 1)[1]}_unix or ISO time)")
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
        # A time without an offset is UTC, like every time in recordings and payloads.
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
    except (ValueError, OverflowError):
        raise BacktestError(f"{where}: {iso!r} is not an ISO 8601 time") from None
