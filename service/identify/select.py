"""The identify stage in the pipeline: a verdict for every position of a snapshot, and
the positions of the aircraft some rule watches.

Identification runs vectorised over the whole snapshot (`Identifier.identify_many`);
per-aircraft Python work is spent only on what it selects: state aircraft, and aircraft
already followed (a watched aircraft flying later without its callsign stays watched).
Weak verdicts are noted in the candidate book for review.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Sequence
from itertools import compress, repeat
from operator import attrgetter, eq, itemgetter, not_, or_
from typing import cast

from service.feeds.columns import PositionColumns
from service.feeds.normalise import clean_text, db_flags_of
from service.identify.candidates import CandidateBook
from service.identify.identify import Identifier
from service.models import STATE_CATEGORIES, Identity, Position, Verdict

_HEX = attrgetter("hex")
_CATEGORY = attrgetter("category")
# The raw-row memo holds at least this many rows, and twice the largest snapshot's.
_RAW_MEMO_LIMIT = 1 << 17
# A row's callsign, registration and database flags as the feed wrote them.
_Inputs = tuple[str | None, str | None, int | None]
_INPUTS, _VERDICT = itemgetter(0), itemgetter(1)
_NOT_SEEN: tuple[tuple[object, ...], None] = ((object(),), None)  # equal to no inputs


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
        # Verdicts by a row's inputs as the feed wrote them (columns only, see _verdicts).
        self._raw: dict[str, tuple[_Inputs, Verdict]] = {}
        self._raw_limit = _RAW_MEMO_LIMIT

    def select(
        self,
        positions: Sequence[Position],
        known: Callable[[str], Identity | None],
        followed: Container[str] | None = None,
    ) -> list[tuple[Position, Identity]]:
        """(position, identity) of every position some rule wants; `known` gives the
        last identity of an aircraft already followed. `followed`, when given, holds
        the addresses `known` knows: then only the state aircraft and the followed
        ones are looked at one by one (a world feed's civil traffic never is); from
        `PositionColumns`, only their Positions are built."""
        columns = positions if isinstance(positions, PositionColumns) else None
        if columns is not None:
            hexes = columns.hexes
            verdicts = self._verdicts(columns)
        else:
            hexes = list(map(_HEX, positions))
            verdicts = self.identifier.identify_many(
                hexes,
                [p.callsign for p in positions],
                [p.registration for p in positions],
                [p.db_flags for p in positions],
            )
        rows: Sequence[int] = range(len(positions))
        if followed is not None:
            state = map(STATE_CATEGORIES.__contains__, map(_CATEGORY, verdicts))
            rows = list(compress(rows, map(or_, state, map(followed.__contains__, hexes))))
        looked_at = columns.take(rows) if columns is not None else [positions[r] for r in rows]
        selected: list[tuple[Position, Identity]] = []
        for row, position in zip(rows, looked_at, strict=True):
            verdict = verdicts[row]
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

    def _verdicts(self, columns: PositionColumns) -> list[Verdict]:
        """`identify_many` of the columns' rows, memoised by address with each row's
        inputs as the feed wrote them (a feed repeats nearly every row on every poll):
        only new or changed rows are cleaned and identified, as their Positions would
        hold them."""
        hexes = columns.hexes
        inputs: list[_Inputs] = columns.identity_inputs()
        memo = self._raw
        # By address: its string is one object from poll to poll (the decoder's address
        # cache), so the look-up hashes nothing; the inputs are compared, not hashed.
        entries = list(map(memo.get, hexes, repeat(_NOT_SEEN)))
        same = list(map(eq, map(_INPUTS, entries), inputs))
        verdicts: list[Verdict | None] = list(map(_VERDICT, entries))
        if False not in same:
            return cast(list[Verdict], verdicts)
        misses = list(compress(range(len(hexes)), map(not_, same)))
        fresh = self.identifier.identify_many(
            [hexes[i] for i in misses],
            [clean_text(inputs[i][0]) for i in misses],
            [clean_text(inputs[i][1]) for i in misses],
            [db_flags_of(inputs[i][2]) for i in misses],
        )
        for i, verdict in zip(misses, fresh, strict=True):
            verdicts[i] = verdict
        # Self-sizing: twice the largest snapshot; when full, start again from this
        # snapshot's rows, the ones the next poll repeats.
        self._raw_limit = max(self._raw_limit, 2 * len(hexes))
        if len(memo) + len(misses) > self._raw_limit:
            memo = self._raw = {}
            misses = list(range(len(hexes)))
        for i in misses:
            memo[hexes[i]] = (inputs[i], cast(Verdict, verdicts[i]))
        return cast(list[Verdict], verdicts)
