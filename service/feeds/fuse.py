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

from dataclasses import dataclass, field
from operator import attrgetter

from service.models import Position, Snapshot

__all__ = ["FuseStats", "Fuser", "dated_after", "newest_per_aircraft"]

# Positions of addresses not heard for this long are forgotten (bounded memory); a
# report older than that arriving later is still dropped as stale by the pipeline.
FORGET_AFTER_S = 900.0
_STEP_S = 0.001
_HEX = attrgetter("hex")


def newest_per_aircraft(positions: list[Position]) -> list[Position]:
    """One position per address: the newest wins; the same report twice counts once."""
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
        kept: list[Position] = []
        newest = self.newest
        for position in snapshot.positions:
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
        if not kept and not snapshot.rejected:
            return None
        fused = dated_after(Snapshot(snapshot.now, kept, dict(snapshot.rejected)), self.now)
        self.now = fused.now
        self._prune(fused.now)
        return fused

    def _prune(self, now: float) -> None:
        if now - self._pruned_at < FORGET_AFTER_S / 4:
            return
        self._pruned_at = now
        cutoff = now - FORGET_AFTER_S
        self.newest = {hex_: t for hex_, t in self.newest.items() if t >= cutoff}
