"""`borderwatch feeds decode`: what the service makes of a saved feed response.

Prints one JSON line per normalised position on stdout and a summary of rejects on
stderr, for ADSBx v2 responses, readsb aircraft.json, OpenSky /states/all and SBS
captures. A response the service would refuse as a whole prints the reason.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Literal, TextIO

from service.cli.common import existing_file
from service.feeds.readsb import MAX_RESPONSE_BYTES, FeedDecodeError, decode_snapshot
from service.feeds.sbs import SbsAssembler
from service.models import Position, Snapshot

__all__ = ["FORMATS", "decode_file", "position_json", "register"]

Format = Literal["adsbx", "readsb", "opensky", "sbs"]
FORMATS: tuple[Format, ...] = ("adsbx", "readsb", "opensky", "sbs")
# The same bound the pollers use by default; a saved response is no more trusted.
MAX_BYTES = MAX_RESPONSE_BYTES


def register(commands: Any) -> None:
    """Add the commands to the `borderwatch` parser's subparsers."""
    feeds = commands.add_parser("feeds", help="inspect feed data")
    actions = feeds.add_subparsers(dest="feeds_command", required=True, metavar="ACTION")
    decode = actions.add_parser(
        "decode",
        help="print the normalised positions of a saved response or SBS capture",
        description="Decode a saved feed response (or SBS capture) as the service would; "
        "print one JSON line per position (hex, time, lat, lon, alt_ft, gs_kt, track_deg, "
        "callsign, source) on stdout and a summary of rejects on stderr.",
    )
    decode.add_argument("--format", required=True, choices=list(FORMATS))
    decode.add_argument("file", type=existing_file, help="saved response or capture")
    decode.set_defaults(func=decode_command)


def decode_command(args: argparse.Namespace) -> int:
    """Decode one saved response."""
    return decode_file(Path(args.file), args.format, sys.stdout, sys.stderr)


def position_json(position: Position) -> dict[str, object]:
    """The documented fields of one position."""
    return {
        "hex": position.hex,
        "time": position.time,
        "lat": position.lat,
        "lon": position.lon,
        "alt_ft": position.alt_ft,
        "gs_kt": position.gs_kt,
        "track_deg": position.track_deg,
        "callsign": position.callsign,
        "source": position.source,
    }


def _decode(data: bytes, fmt: Format, source: str) -> Snapshot:
    if fmt == "opensky":
        from service.feeds.opensky import decode_states  # with its client: aiohttp

        return decode_states(data, source=source)
    if fmt == "sbs":
        assembler = SbsAssembler(source)
        positions: list[Position] = []
        rejected: Counter[str] = Counter()
        for line in data.decode("ascii", "replace").splitlines():
            assembler.feed(line)
            # Every new fix is a position, as the live stream would hand it on.
            drained = assembler.drain()
            positions.extend(drained.positions)
            rejected.update(drained.rejected)
        return Snapshot(assembler.latest, positions, dict(rejected))
    return decode_snapshot(data, source=source, now_unit="auto" if fmt == "adsbx" else "s")


def decode_file(path: Path, fmt: Format, out: TextIO, err: TextIO) -> int:
    """Decode `path`; print positions to `out`, the summary to `err`; the exit code."""
    with path.open("rb") as handle:
        data = handle.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        print(f"feeds decode: rejected: too_large (over {MAX_BYTES} bytes)", file=err)
        return 1
    source = f"file:{fmt}"
    try:
        snapshot = _decode(data, fmt, source)
    except FeedDecodeError as exc:
        print(f"feeds decode: rejected: {exc.reason}", file=err)
        return 1
    for position in snapshot.positions:
        out.write(json.dumps(position_json(position)) + "\n")
    rejected = ", ".join(f"{k} {v}" for k, v in sorted(snapshot.rejected.items())) or "none"
    aircraft = len({p.hex for p in snapshot.positions})
    print(
        f"feeds decode: {len(snapshot.positions)} positions of {aircraft} aircraft, "
        f"rejected: {rejected}",
        file=err,
    )
    return 0
