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
    """Keeps the newest fix time per address and filters snapshots against it."""

    def __init__(self) -> None:
        self.newest: dict[str, float] = {}
        self.now: float | None = None
        self.stats = FuseStats()
        self._pruned_at = 0.0

    def fuse(self, snapshot: Snapshot) -> Snapshot | None:
        """The part of `snapshot` that is new, or None when nothing is new."""
        positions = snapshot.positions
        kept: Sequence[Position]
        if isinstance(positions, PositionColumns) and positions.unique():
            kept = self._fuse_columns(positions)
        else:
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
        newest = self.newest
        for position in positions:
            seen = newest.get(position.hex)
            if seen is not None and position.time <= seen:
                if position.time == seen:
                    self.stats.duplicate += 1
                else:
                    self.stats.superseded += 1
                continue
            newest[position.hex] = position.time
            kept.append(position)
        self.stats.passed += len(kept)
        for position in kept:
            self.stats.by_source[position.source] = self.stats.by_source.get(position.source, 0) + 1
        return kept

    def _fuse_columns(self, columns: PositionColumns) -> PositionColumns:
        """`_fuse_each` of columns that list each address once, column-wise: the same
        positions kept and the same counts, without building a Position."""
        newest = self.newest
        # None (an address not seen) -> NaN, which no comparison holds for: kept.
        seen = np.array(list(map(newest.get, columns.hexes)), dtype=np.float64)
        times = np.array(columns.times, dtype=np.float64)
        with np.errstate(invalid="ignore"):
            same, older = times == seen, times < seen
        duplicate, superseded = int(same.sum()), int(older.sum())
        if duplicate or superseded:
            self.stats.duplicate += duplicate
            self.stats.superseded += superseded
            columns = columns.subset(np.flatnonzero(~(same | older)).tolist())
        newest.update(zip(columns.hexes, columns.times, strict=True))
        if columns:
            self.stats.passed += len(columns)
            source = columns.source
            self.stats.by_source[source] = self.stats.by_source.get(source, 0) + len(columns)
        return columns

    def _prune(self, now: float) -> None:
        if now - self._pruned_at < FORGET_AFTER_S / 4:
            return
        self._pruned_at = now
        cutoff = now - FORGET_AFTER_S
        self.newest = {hex_: t for hex_, t in self.newest.items() if t >= cutoff}
