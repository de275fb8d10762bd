"""The labels file of `borderwatch backtest`: what really happened in each recording.

One JSON object keyed by recording name (the file name without `.jsonl.gz`, `.jsonl`
or `.gz`). docs/backtest.md documents the format; it is the format of the development
tracks' labels.json, of which only the keys below are read (others are ignored):

    {"kiruna": {"countries_land": ["SE"], "crosses_border_land": false,
                "flights": [{"hex": "4ab179", "orbit_intervals": [
                    {"t_start_unix": 1548836245.0, "t_end_unix": 1548837205.0}]}]}}

An interval may give ISO 8601 `t_start`/`t_end` instead of the unix fields; an
optional `center_latlon` [lat, lon] lets `abroad_only` loiter rules skip orbits flown
at home.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import msgspec


class BacktestError(ValueError):
    """A backtest input (labels file, recording) is missing or malformed; says where."""


class _Interval(msgspec.Struct):
    t_start_unix: float | None = None
    t_end_unix: float | None = None
    t_start: str | None = None
    t_end: str | None = None
    center_latlon: tuple[float, float] | None = None


class _Flight(msgspec.Struct):
    # Some tools write an all-digit address such as 393322 as a JSON number.
    hex: str | int
    orbit_intervals: list[_Interval] = []


class _Recording(msgspec.Struct):
    flights: list[_Flight] = []
    countries_land: list[str] = []
    crosses_border_land: bool = False


@dataclass(frozen=True, slots=True)
class Orbit:
    """One labelled orbit interval of one aircraft."""

    hex: str
    start: float
    end: float
    center: tuple[float, float] | None

    @property
    def duration_s(self) -> float:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class RecordingLabels:
    """What the labels say about one recording."""

    name: str
    hexes: frozenset[str]
    orbits: tuple[Orbit, ...]
    countries: frozenset[str]  # countries overflown (land), ISO alpha-2
    crosses_border: bool


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
        raise BacktestError(f"cannot read labels {path}: {exc.strerror}") from exc
    try:
        raw = msgspec.json.decode(blob, type=dict[str, _Recording])
    except msgspec.ValidationError as exc:
        raise BacktestError(f"{path}: {exc}") from None
    except msgspec.DecodeError as exc:
        raise BacktestError(f"{path}: not valid JSON: {exc}") from None
    labels = {}
    for name, recording in raw.items():
        orbits = []
        for i, flight in enumerate(recording.flights):
            for j, interval in enumerate(flight.orbit_intervals):
                where = f"{path}: {name}.flights[{i}].orbit_intervals[{j}]"
                start = _time(interval.t_start_unix, interval.t_start, f"{where}.t_start")
                end = _time(interval.t_end_unix, interval.t_end, f"{where}.t_end")
                if end < start:
                    raise BacktestError(f"{where}: ends before it starts")
                orbits.append(Orbit(_hex(flight.hex), start, end, interval.center_latlon))
        labels[name] = RecordingLabels(
            name=name,
            hexes=frozenset(_hex(flight.hex) for flight in recording.flights),
            orbits=tuple(orbits),
            countries=frozenset(code.upper() for code in recording.countries_land),
            crosses_border=recording.crosses_border_land,
        )
    return labels


def _hex(value: str | int) -> str:
    return str(value).zfill(6) if isinstance(value, int) else value.strip().lower()


def _time(unix: float | None, iso: str | None, where: str) -> float:
    if unix is not None:
        return unix
    if iso is None:
        raise BacktestError(f"{where}: missing (give {where.rsplit('.', 1)[1]}_unix or ISO time)")
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        raise BacktestError(f"{where}: {iso!r} is not an ISO 8601 time") from None
    # A time without an offset is UTC, like every time in recordings and payloads.
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
