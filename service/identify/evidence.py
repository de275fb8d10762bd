"""From one aircraft's evidence to a verdict: precedence, state and confidence.

Category: the first layer that matches decides, in this order::

    watch_list            identify.watch (hex)                         weight 1.0
    user_list             identify.lists (plane-alert-db CSV)          1.0
    watch_registration    identify.watch_registrations (regex)         1.0
    watch_callsign        identify.watch_callsigns (regex)             1.0
    registration_pattern  shipped table, e.g. ^CBP-                    0.95
    operator_designator   callsign designator, e.g. GAF881             0.8
    feed_military_flag    readsb dbFlags bit 0                         0.8
    military_range        readsb range 0.9; a VRS range readsb lacks   0.6

State of registry: the registration pattern, else the designator, else the military
range's country (so UK military 400000-40003F is GB although it sits inside the
Bermuda block 400000-4001BF), else the ICAO allocation block. Lists and watch entries
name no State. NATO (XB in the VRS table) is no State and never sets it.

Confidence (0..1) is how strongly the evidence supports the category. For a state
category it is the noisy-or of the weights of every layer that names a state category,
1 - prod(1 - w), because those layers are largely independent sources (a user's list,
a registry, the callsign, the feed's database, an address plan) and each makes the
verdict more certain; any list or watch entry makes it 1. A civil verdict is 1.0 when
a user list says so and 0.0 by default, as is an unknown one: nothing was asserted.

Weak: a state verdict whose only support is a callsign designator and/or a VRS-only
range. Such aircraft still count as state aircraft, and are also kept as candidates
for a person to promote to a list (see `service.candidates`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from service.identify.lists import ListEntry
from service.identify.tables import AddressBlock, Designator, RegistrationPattern
from service.models import Category, Reason, Verdict

WEIGHTS: Final = {
    "watch_list": 1.0,
    "user_list": 1.0,
    "watch_registration": 1.0,
    "watch_callsign": 1.0,
    "registration_pattern": 0.95,
    "operator_designator": 0.8,
    "feed_military_flag": 0.8,
    "military_range": 0.9,
}
VRS_ONLY_WEIGHT: Final = 0.6
# Not States: the VRS table's user-assigned code for NATO.
_NOT_STATES: Final = frozenset({"XB"})


@dataclass(frozen=True, slots=True)
class WatchMatch:
    """A user regex (identify.watch_registrations / watch_callsigns) that matched."""

    text: str
    regex: re.Pattern[str]
    category: Category


@dataclass(slots=True)  # not frozen: built per row in the hot loop, and frozen init is slow
class Evidence:
    """Everything known about one row, before precedence is applied."""

    tilde: bool
    address: int  # -1 when the hex is invalid
    block: AddressBlock | None
    military: AddressBlock | None
    vrs_only: bool  # the military range is a VRS range that readsb does not share
    watch: Category | None
    listed: ListEntry | None
    watch_registration: WatchMatch | None
    watch_callsign: WatchMatch | None
    registration: tuple[str, RegistrationPattern] | None
    designator: Designator | None
    db_flags: int  # 0 unless bit 0 is set and flags are in use


def decide(e: Evidence) -> Verdict:
    """Apply precedence and compute the confidence for one row's evidence."""
    # Written out layer by layer without helpers: this runs for every aircraft that
    # carries any evidence, thousands of times per snapshot.
    reasons: list[Reason] = []
    categories: list[Category] = []  # of every layer that names one, in precedence order
    states: list[str] = []
    doubt = 1.0  # product of (1 - weight) over the state claims
    strong = False  # some claim is not weak evidence
    shown = f"{'~' if e.tilde else ''}{e.address:06X}"  # only quoted for valid addresses
    if e.watch is not None:
        reasons.append(Reason("watch_list", f"hex {shown} on the watch list"))
        categories.append(e.watch)
        doubt, strong = 0.0, True
    if (listed := e.listed) is not None:
        reasons.append(Reason("user_list", listed.detail()))
        categories.append(listed.category)
        strong = True
        if listed.category is not Category.CIVIL:
            doubt = 0.0
    for method, match in (
        ("watch_registration", e.watch_registration),
        ("watch_callsign", e.watch_callsign),
    ):
        if match is not None:
            detail = f"{match.text} matches {match.regex.pattern} (identify.{method}s)"
            reasons.append(Reason(method, detail))
            categories.append(match.category)
            doubt, strong = 0.0, True
    if e.registration is not None:
        text, pattern = e.registration
        detail = f"{text} matches {pattern.regex.pattern} ({pattern.note})"
        reasons.append(Reason("registration_pattern", detail))
        categories.append(pattern.category)
        states.append(pattern.iso2)
        doubt *= 1.0 - WEIGHTS["registration_pattern"]
        strong = True
    if (d := e.designator) is not None:
        reasons.append(Reason("operator_designator", f"{d.icao} {d.name}"))
        categories.append(d.category)
        states.append(d.iso2)
        doubt *= 1.0 - WEIGHTS["operator_designator"]
    if e.db_flags:
        detail = f"dbFlags {e.db_flags} has bit 0 (military) set"
        reasons.append(Reason("feed_military_flag", detail))
        categories.append(Category.MILITARY)
        doubt *= 1.0 - WEIGHTS["feed_military_flag"]
        strong = True
    if (m := e.military) is not None:
        reasons.append(Reason("military_range", f"{shown} in {m.span} {m.name} ({m.source})"))
        categories.append(Category.MILITARY)
        doubt *= 1.0 - (VRS_ONLY_WEIGHT if e.vrs_only else WEIGHTS["military_range"])
        strong = strong or not e.vrs_only
        if m.iso2 is not None and m.iso2 not in _NOT_STATES:
            states.append(m.iso2)
    if e.block is not None and (iso2 := e.block.iso2) is not None:
        reasons.append(Reason("address_block", f"{shown} in {e.block.span} {e.block.name}"))
        states.append(iso2)
    state = states[0] if states else None
    if not categories:
        category = Category.CIVIL if e.address >= 0 and not e.tilde else Category.UNKNOWN
        return Verdict(category, state, tuple(reasons), confidence=0.0)
    if categories[0] is Category.CIVIL:  # only a user list says civil; others disagree
        return Verdict(Category.CIVIL, state, tuple(reasons), confidence=1.0)
    return Verdict(categories[0], state, tuple(reasons), 1.0 - doubt, weak=not strong)
