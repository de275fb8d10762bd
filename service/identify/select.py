"""The identify stage in the pipeline: a verdict for every position of a snapshot, and
the positions of the aircraft some rule watches.

Identification runs vectorised over the whole snapshot (`Identifier.identify_many`);
per-aircraft Python work is spent only on what it selects: state aircraft, and aircraft
already followed (a watched aircraft flying later without its callsign stays watched).
Weak verdicts are noted in the candidate book for review.
"""

from __future__ import annotations

from collections.abc import Callable

from service.identify.candidates import CandidateBook
from service.identify.identify import Identifier
from service.models import Identity, Position


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
        self, positions: list[Position], known: Callable[[str], Identity | None]
    ) -> list[tuple[Position, Identity]]:
        """(position, identity) of every position some rule wants; `known` gives the
        last identity of an aircraft already followed."""
        verdicts = self.identifier.identify_many(
            [p.hex for p in positions],
            [p.callsign for p in positions],
            [p.registration for p in positions],
            [p.db_flags for p in positions],
        )
        selected: list[tuple[Position, Identity]] = []
        for position, verdict in zip(positions, verdicts, strict=True):
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
