"""The configured links (`links:`) filled in for one notification's aircraft.

Every value is URL-quoted as a single component (nothing is safe, not even `/`): a
callsign like ``X/../?a=b#`` or one with spaces, quotes or control characters stays
inside its query value as %-escapes, and the template check (service/settings/links.py)
already made sure no placeholder sits in the scheme or host.
"""

from __future__ import annotations

from collections.abc import Sequence
from string import Formatter
from urllib.parse import quote

from service.alerts.payload import AircraftRef, LinkRef, PositionRef
from service.settings.links import Link


def _component(value: str | None) -> str:
    return quote((value or "").strip(), safe="")


def fill(links: Sequence[Link], aircraft: AircraftRef, position: PositionRef) -> list[LinkRef]:
    """(label, url) of every configured link for this aircraft at this position."""
    values = {
        "hex": _component(aircraft.hex.lower()),
        "callsign": _component(aircraft.callsign),
        "registration": _component(aircraft.registration),
        "lat": f"{position.lat:.5f}",
        "lon": f"{position.lon:.5f}",
    }
    # vformat with a plain mapping: the template check allows bare names only.
    formatter = Formatter()
    return [
        LinkRef(label=link.label, url=formatter.vformat(link.url, (), values)) for link in links
    ]
