"""Fusion: one position per aircraft, the newest, wherever it came from.

Within one snapshot, `newest_per_aircraft` keeps the newest position of each address
(the pipeline's fuse stage). Across the snapshots of every feed, the `Fuser` makes
one stream for the pipeline: a position no newer than the one already passed on for
its address (the same report relayed by another aggregator, or an older one arriving
late) is dropped and counted once, as a duplicate or superseded. Every position keeps
its `source`. The fused snapshots carry a strictly increasing `now`, because the
pipeline ignores a snapshot not newer than its feed clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import compress, repeat
from operator import attrgetter

import numpy as np

from service.feeds.columns import PositionColumns
from service.models import Position, Snapshot

__all__ = ["FuseStats", "Fuser", "dated_after", "newest_per_aircraft"]

# Positions of addresses not heard for this long are forgotten (bounded memory); a
# report older than that arriving later is still dropped as stale by the pipeline.
FORGET_AFTER_S = 900.0
_STEP_S = 0.001
_HEX = attrgetter("hex")


def newest_per_aircraft(positions: Sequence[Position]) -> Sequence[Position]:
    """One position per address: the newest wins; the same report twice counts once."""
    if isinstance(positions, PositionColumns) and positions.unique():
        return positions  # built only for the rows the pipeline reads
    # A feed lists each address once: then there is nothing to choose (one C-level pass).
    if len(set(map(_HEX, positions))) == len(positions):
        return list(positions)
    newest: dict[str, Position] = {}
    for position in positions:
        current = newest.get(position.hex)
        if current is None or position.time > current.time:
            newest[position.hex] = position
    return list(newest.values())


def dated_after(snapshot: Snapshot, clock: float | None) -> Snapshot:
    """`snapshot`, dated just after `clock` when it is not newer: the pipeline skips a
    snapshot not newer than its feed clock, but the new positions of a feed a little
    behind another (or behind a restored clock) still count; each keeps its own time."""
    if clock is None or snapshot.now > clock:
        return snapshot
    return Snapshot(clock + _STEP_S, snapshot.positions, snapshot.rejected)


@dataclass(slots=True)
class FuseStats:
    """What fusion dropped, by why."""

    passed: int = 0
    duplicate: int = 0  # same address and same fix time as a position already passed on
    superseded: int = 0  # older than a position already passed on
    by_source: dict[str, int] = field(default_factory=dict)


class Fuser:
    """Keeps the newest fix time per address and filters snapshots against it.

    The times are a numpy column, each address's at a slot of its own (`_slots`), so
    that a world-wide snapshot of columns is fused with one dict look-up per row and
    numpy for the rest: comparing, storing the new times and finding an address listed
    twice. A dict of times (and a set for the duplicates) cost three passes of hashing
    over a table that outgrows the CPU caches at 150k aircraft.
    """

    def __init__(self) -> None:
        self.now: float | None = None
        self.stats = FuseStats()
        self._pruned_at = 0.0
        self._slots: dict[str, int] = {}  # address -> its slot in _times
        self._times = np.empty(1024, dtype=np.float64)  # the first len(_slots) are used

    @property
    def newest(self) -> dict[str, float]:
        """The newest fix time passed on per address, in the order first seen."""
        times = self._times.tolist()
        return {hex_: times[slot] for hex_, slot in self._slots.items()}

    def fuse(self, snapshot: Snapshot) -> Snapshot | None:
        """The part of `snapshot` that is new, or None when nothing is new."""
        positions = snapshot.positions
        kept: Sequence[Position] | None = None
        if isinstance(positions, PositionColumns):
            kept = self._fuse_columns(positions)  # None: an address listed twice
        if kept is None:
            kept = self._fuse_each(positions)
        if not kept and not snapshot.rejected:
            return None
        fused = dated_after(Snapshot(snapshot.now, kept, dict(snapshot.rejected)), self.now)
        self.now = fused.now
        self._prune(fused.now)
        return fused

    def _fuse_each(self, positions: Sequence[Position]) -> list[Position]:
        """Position by position: a later one of the same address in the same snapshot
        is judged against an earlier one."""
        kept: list[Position] = []
        slots, times = self._slots, self._times
        for position in positions:
            slot = slots.get(position.hex)
            if slot is None:
                slot = self._new_slot(position.hex)
                times = self._times  # it may have grown
            else:
                seen = times[slot]
                if position.time <= seen:
                    if position.time == seen:
                        self.stats.duplicate += 1
                    else:
                        self.stats.superseded += 1
                    continue
            times[slot] = position.time
            kept.append(position)
        self.stats.passed += len(kept)
        for position in kept:
            self.stats.by_source[position.source] = self.stats.by_source.get(position.source, 0) + 1
        return kept

    def _fuse_columns(self, columns: PositionColumns) -> PositionColumns | None:
        """`_fuse_each` of columns column-wise: the same positions kept and the same
        counts, without building a Position. None when an address is listed twice
        (then the order of its rows matters: fuse them one by one)."""
        hexes = columns.hexes
        n = len(hexes)
        slots = self._slots
        at = np.fromiter(map(slots.get, hexes, repeat(-1)), dtype=np.int64, count=n)
        known = len(slots)
        for row in np.flatnonzero(at < 0).tolist():  # a new address listed twice: one slot
            slot = slots.get(hexes[row])
            at[row] = slot if slot is not None else self._new_slot(hexes[row])
        # One address twice: two rows with one slot.
        if n and np.bincount(at, minlength=len(slots)).max() > 1:
            self._forget_slots_from(known)
            return None
        columns.mark_unique()
        times = np.array(columns.times, dtype=np.float64)
        seen = self._times[at]
        fresh = at >= known  # no time to compare with yet
        same, older = (times == seen) & ~fresh, (times < seen) & ~fresh
        duplicate, superseded = int(same.sum()), int(older.sum())
        if duplicate or superseded:
            self.stats.duplicate += duplicate
            self.stats.superseded += superseded
            passing = ~(same | older)
            at, times = at[passing], times[passing]
            columns = columns.subset(np.flatnonzero(passing).tolist())
        self._times[at] = times
        if columns:
            self.stats.passed += len(columns)
            source = columns.source
            self.stats.by_source[source] = self.stats.by_source.get(source, 0) + len(columns)
        return columns

    def _new_slot(self, hex_: str) -> int:
        """A slot for an address not seen (its time is set by the caller)."""
        slot = len(self._slots)
        if slot == len(self._times):
            grown = np.empty(2 * slot, dtype=np.float64)
            grown[:slot] = self._times
            self._times = grown
        self._slots[hex_] = slot
        return slot

    def _forget_slots_from(self, first: int) -> None:
        """Take back the slots given from `first` on (the newest: dicts keep order)."""
        for hex_ in list(self._slots)[first:]:
            del self._slots[hex_]

    def _prune(self, now: float) -> None:
        if now - self._pruned_at < FORGET_AFTER_S / 4:
            return
        self._pruned_at = now
        cutoff = now - FORGET_AFTER_S
        times = self._times[: len(self._slots)]
        staying = times >= cutoff
        if staying.all():
            return
        kept = np.flatnonzero(staying)
        hexes = list(compress(self._slots, staying.tolist()))
        self._slots = dict(zip(hexes, range(len(hexes)), strict=True))
        self._times = np.empty(max(1024, 2 * len(hexes)), dtype=np.float64)
        self._times[: len(hexes)] = times[kept]
