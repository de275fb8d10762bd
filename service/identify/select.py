"""The identify stage in the pipeline: a verdict for every position of a snapshot, and
the positions of the aircraft some rule watches.

Identification runs vectorised over the whole snapshot (`Identifier.identify_many`);
per-aircraft Python work is spent only on what it selects: state aircraft, and aircraft
already followed (a watched aircraft flying later without its callsign stays watched).
Weak verdicts are noted in the candidate book for review.
"""

from __future__ import annotations

from collections.abc import Callable, Container
from itertools import compress
from operator import attrgetter, or_

from service.identify.candidates import CandidateBook
from service.identify.identify import Identifier
from service.models import STATE_CATEGORIES, Identity, Position

_HEX = attrgetter("hex")
_CATEGORY = attrgetter("category")


class Selector:
    """Identify a snapshot's positions and keep those of watched aircraft."""

    def __init__(
        self,
        identifier: Identifier,
        candidates: CandidateBook,
        wanted: Callable[[Identity], bool],
    ) -> None:
        """`wanted`: whether some rule selects an aircraft of this identity."""
        self.identifier = identifier
        self.candidates = candidates
        self.wanted = wanted

    def select(
        self,
        positions: list[Position],
        known: Callable[[str], Identity | None],
        followed: Container[str] | None = None,
    ) -> list[tuple[Position, Identity]]:
        """(position, identity) of every position some rule wants; `known` gives the
        last identity of an aircraft already followed. `followed`, when given, holds
        the addresses `known` knows: then only the state aircraft and the followed
        ones are looked at one by one (a world feed's civil traffic never is)."""
        hexes = list(map(_HEX, positions))
        verdicts = self.identifier.identify_many(
            hexes,
            [p.callsign for p in positions],
            [p.registration for p in positions],
            [p.db_flags for p in positions],
        )
        rows: range | compress[int] = range(len(positions))
        if followed is not None:
            state = map(STATE_CATEGORIES.__contains__, map(_CATEGORY, verdicts))
            rows = compress(rows, map(or_, state, map(followed.__contains__, hexes)))
        selected: list[tuple[Position, Identity]] = []
        for row in rows:
            position, verdict = positions[row], verdicts[row]
            previous = known(position.hex)
            if not verdict.is_state_aircraft and previous is None:
                continue
            self.candidates.record(position, verdict)
            identity = Identity.from_verdict(
                position.hex,
                verdict,
                position.callsign or (previous.callsign if previous else None),
                position.registration or (previous.registration if previous else None),
                position.type_code or (previous.type_code if previous else None),
            )
            if self.wanted(identity):
                selected.append((position, identity))
        return selected
