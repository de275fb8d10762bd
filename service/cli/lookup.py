"""`borderwatch where LAT LON` and `borderwatch identify HEX`: one answer each, as JSON."""

from __future__ import annotations

import argparse
import json
from typing import Any

from service.cli.common import add_config, settings_of
from service.cli.errors import address, latitude, longitude
from service.settings import Settings


def register(commands: Any) -> None:
    """Add the commands to the `borderwatch` parser's subparsers."""
    where = commands.add_parser("where", help="whose airspace holds a point")
    where.add_argument("lat", type=latitude, help="degrees north, -90 to 90")
    where.add_argument("lon", type=longitude, help="degrees east, -180 to 180")
    add_config(where)
    where.set_defaults(func=where_command)

    identify = commands.add_parser("identify", help="identify an aircraft by its address")
    identify.add_argument("hex", type=address, help="the 24-bit address, e.g. ae2fd0")
    identify.add_argument("--callsign")
    identify.add_argument("--registration")
    identify.add_argument(
        "--db-flags", type=int, default=0, help="readsb database flags (bit 0: military)"
    )
    add_config(identify)
    identify.set_defaults(func=identify_command)


def where(settings: Settings, lat: float, lon: float) -> dict[str, Any]:
    """Country, name and depth (km, 2 decimals) of the sovereign airspace at a point."""
    from service.locate import Boundaries

    location = Boundaries.load(settings.boundaries.path).locate(lat, lon)
    depth = None if location.depth_km is None else round(location.depth_km, 2)
    return {"country": location.country, "name": location.name, "depth_km": depth}


def identify(
    settings: Settings,
    hex_: str,
    callsign: str | None = None,
    registration: str | None = None,
    db_flags: int = 0,
) -> dict[str, object]:
    """The verdict for one aircraft under the configured identification, as JSON."""
    from service.app import build_identifier
    from service.identify.identify import verdict_json

    hex_ = hex_.strip().lower()
    verdict = build_identifier(settings).identify(
        hex_, (callsign or "").strip() or None, (registration or "").strip() or None, db_flags
    )
    return verdict_json(hex_, verdict)


def where_command(args: argparse.Namespace) -> int:
    """Print `where` as one JSON line."""
    print(json.dumps(where(settings_of(args), args.lat, args.lon)))
    return 0


def identify_command(args: argparse.Namespace) -> int:
    """Print `identify` as one JSON line."""
    answer = identify(settings_of(args), args.hex, args.callsign, args.registration, args.db_flags)
    print(json.dumps(answer))
    return 0
