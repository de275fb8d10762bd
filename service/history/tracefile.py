"""readsb trace files (`trace_full_<hex>.json`): one aircraft's day, as readsb's globe
history writes them and as the public aggregators' daily history releases publish them.

The format (readsb `globe_index.c`, and the aggregators' release notes): a JSON object,
often gzip-compressed whatever its name, with `icao` (the address), `timestamp` (unix
s) and `trace`, an array of points, each an array: [seconds after `timestamp`, lat,
lon, altitude (feet, "ground" or null), ground speed (kt) or null, track (deg) or null,
flags, vertical rate, details (an object with `flight`, `squawk`, ... or null),
source type, ...]. Optional `r` (registration), `t` (type), `dbFlags` (bit 0:
military) name the aircraft.

Untrusted input: the file is bounded in size, a point that is not one is skipped and
counted (`bad_trace_point`, or the reason `normalise_record` gives), and a file that is
no trace at all raises TraceError with a one-line reason.
"""

from __future__ import annotations

import gzip
import math
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import msgspec

from service.feeds.normalise import AircraftRecord, normalise_record
from service.models import Position, is_address

MAX_TRACE_BYTES: Final = 256 * 1024 * 1024  # decompressed; a busy day is a few MB
_GZIP_MAGIC: Final = b"\x1f\x8b"


class TraceError(ValueError):
    """The file is not a readsb trace file; the message says why (one line)."""


@dataclass(slots=True)
class TraceFile:
    """The positions of one trace file, oldest first, and the points skipped by reason."""

    hex: str
    positions: list[Position]
    rejected: Counter[str] = field(default_factory=Counter)


def read_bytes(path: Path, limit: int = MAX_TRACE_BYTES) -> bytes:
    """A file's bytes, gunzipped when compressed, at most `limit` (TraceError beyond)."""
    with open(path, "rb") as raw:
        head = raw.read(2)
        raw.seek(0)
        stream: Any = gzip.GzipFile(fileobj=raw) if head == _GZIP_MAGIC else raw
        try:
            data = stream.read(limit + 1)
        except (OSError, EOFError, zlib.error) as exc:
            raise TraceError(f"corrupt gzip data ({exc})") from None
    if len(data) > limit:
        raise TraceError(f"larger than {limit // (1024 * 1024)} MiB")
    return bytes(data)


def read_head(path: Path, size: int = 65536) -> bytes:
    """The first `size` bytes of a file, gunzipped when compressed ("" if unreadable
    past the start: the full read reports that)."""
    with open(path, "rb") as raw:
        head = raw.read(2)
        raw.seek(0)
        stream: Any = gzip.GzipFile(fileobj=raw) if head == _GZIP_MAGIC else raw
        try:
            return bytes(stream.read(size))
        except (OSError, EOFError, zlib.error):
            return b""


def looks_like_trace(data: bytes) -> bool:
    """Whether the (decompressed) start of a file is a trace object, not JSONL lines."""
    head = data[:4096].lstrip()
    return head.startswith(b"{") and b'"trace"' in data[:65536] and b"\n{" not in head.rstrip()


def decode_trace(data: bytes, source: str = "import") -> TraceFile:
    """The positions of a trace file's bytes (see the module docstring)."""
    try:
        document = msgspec.json.decode(data)
    except msgspec.DecodeError as exc:
        raise TraceError(f"not JSON ({str(exc).splitlines()[0]})") from None
    except RecursionError:
        raise TraceError("not a trace file: JSON nested too deep") from None
    if not isinstance(document, dict):
        raise TraceError("not a trace file: the JSON is not an object")
    hex_ = document.get("icao")
    if not isinstance(hex_, str) or not is_address(hex_.lower()):
        raise TraceError("not a trace file: no valid `icao` address")
    base = document.get("timestamp")
    if not _number(base):
        raise TraceError("not a trace file: no numeric `timestamp`")
    assert isinstance(base, int | float)
    trace = document.get("trace")
    if not isinstance(trace, list):
        raise TraceError("not a trace file: no `trace` array")
    out = TraceFile(hex=hex_.lower(), positions=[])
    registration = _text(document.get("r"))
    type_code = _text(document.get("t"))
    flags = document.get("dbFlags")
    db_flags = flags if isinstance(flags, int) and not isinstance(flags, bool) else None
    callsign: str | None = None
    squawk: str | None = None
    for entry in trace:
        record = _record(entry, out.hex, registration, type_code, db_flags)
        if record is None:
            out.rejected["bad_trace_point"] += 1
            continue
        offset, details = entry[0], entry[8] if len(entry) > 8 else None
        if isinstance(details, dict):
            # Details come now and then: the callsign and squawk hold until they change.
            callsign = _text(details.get("flight")) or callsign
            squawk = _text(details.get("squawk")) or squawk
        record.flight, record.squawk = callsign, squawk
        position = normalise_record(record, float(base) + float(offset), source)
        if isinstance(position, str):
            out.rejected[position] += 1
            continue
        out.positions.append(position)
    out.positions.sort(key=lambda p: p.time)
    return out


def _record(
    entry: object,
    hex_: str,
    registration: str | None,
    type_code: str | None,
    db_flags: int | None,
) -> AircraftRecord | None:
    """The point as a readsb aircraft record; None when it is not a trace point."""
    if not isinstance(entry, list) or len(entry) < 6:
        return None
    offset, lat, lon, alt, gs, track = entry[:6]
    if not all(_number(v) for v in (offset, lat, lon)):
        return None
    if not (alt is None or alt == "ground" or _number(alt)):
        return None
    if not all(v is None or _number(v) for v in (gs, track)):
        return None
    source = entry[9] if len(entry) > 9 and isinstance(entry[9], str) else None
    return AircraftRecord(
        hex=hex_, lat=float(lat), lon=float(lon),
        alt_baro=alt if isinstance(alt, str) or alt is None else float(alt),
        gs=None if gs is None else float(gs), track=None if track is None else float(track),
        registration=registration, type_code=type_code, db_flags=db_flags,
        source_type=source,
    )  # fmt: skip


_MAX_NUMBER: Final = 2.0**53  # beyond any time, coordinate or speed (and a float holds it)


def _number(value: object) -> bool:
    """A JSON number a float holds (10**400 is valid JSON; no float holds it)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return abs(value) <= _MAX_NUMBER if isinstance(value, int) else math.isfinite(value)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
