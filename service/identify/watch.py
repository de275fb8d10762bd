"""The user's own identification tables, from the `identify` configuration.

Watch lists by hex, registration regex and callsign regex, and additions to and
exclusions from the shipped operator designators. Constructors raise ValueError naming
the setting; the configuration validates the same things earlier, at load.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from service.identify import tables
from service.identify.evidence import WatchMatch
from service.identify.tables import Designator
from service.models import STATE_CATEGORIES, Category

TILDE = 1 << 24  # watch-list key bit that keeps "~abcdef" apart from "abcdef"
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
WatchPatterns = tuple[tuple[re.Pattern[str], Category], ...]


def parse_address(hex_: str) -> tuple[bool, int]:
    """(non-ICAO "~" prefix?, 24-bit address or -1 when not 6 hex digits)."""
    tilde = hex_.startswith("~")
    digits = hex_[1:] if tilde else hex_
    # int(..., 16) alone would accept "+", "_" and spaces.
    if len(digits) != 6 or not _HEX_DIGITS.issuperset(digits):
        return tilde, -1
    return tilde, int(digits, 16)


def watch_table(watch_hexes: Mapping[str, str]) -> dict[int, Category]:
    """Watch list keyed like the batch path: address, plus a bit for "~" addresses."""
    table: dict[int, Category] = {}
    for hex_, name in watch_hexes.items():
        tilde, address = parse_address(hex_.strip())
        if address < 0:
            raise ValueError(f"watch list: {hex_!r} is not a 24-bit hex address")
        if name not in {c.value for c in STATE_CATEGORIES}:
            raise ValueError(f"watch list: {hex_}: category must be military, government or police")
        table[address | (TILDE if tilde else 0)] = Category(name)
    return table


def designator_table(
    enabled: bool, added: Mapping[str, Designator], excluded: Iterable[str]
) -> Mapping[str, Designator]:
    """The shipped designators plus the user's additions, minus the exclusions."""
    if not enabled:
        return {}
    if not added and not excluded:
        return tables.designators()  # shared, read-only
    table = {**tables.designators(), **added}
    for icao in excluded:
        table.pop(icao.strip().upper(), None)
    for icao in table:
        if not (len(icao) == 3 and icao.isascii() and icao.isalpha() and icao.isupper()):
            raise ValueError(f"designators: {icao!r} is not a 3-letter ICAO designator")
    return table


def watch_patterns(patterns: Mapping[str, str], what: str) -> WatchPatterns:
    """Compiled user regexes (case-insensitive) with their state category."""
    compiled = []
    for text, name in patterns.items():
        try:
            regex = re.compile(text, re.IGNORECASE)
        except re.error as exc:
            raise ValueError(f"watch_{what}: {text!r} is not a valid regex ({exc})") from None
        if name not in {c.value for c in STATE_CATEGORIES}:
            raise ValueError(
                f"watch_{what}: {text}: category must be military, government or police"
            )
        compiled.append((regex, Category(name)))
    return tuple(compiled)


def match_watch(patterns: WatchPatterns, text: str | None) -> WatchMatch | None:
    """The first user regex found in `text` (stripped, upper-cased), if any."""
    text = (text or "").strip().upper()
    if not patterns or not text:
        return None
    for regex, category in patterns:
        if regex.search(text):
            return WatchMatch(text, regex, category)
    return None
