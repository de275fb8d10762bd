"""Fusion gives what judging each position in turn gives, whichever of its shortcuts a
snapshot takes (every address once, every position new, or neither)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from service.feeds.fuse import Fuser, newest_per_aircraft
from service.models import Position, Snapshot


class ReferenceFuser:
    """Fusion one position at a time: the definition the Fuser must keep to."""

    def __init__(self) -> None:
        self.newest: dict[str, float] = {}
        self.counts = {"passed": 0, "duplicate": 0, "superseded": 0}
        self.by_source: dict[str, int] = {}

    def fuse(self, positions: list[Position]) -> list[Position]:
        kept = []
        for position in positions:
            seen = self.newest.get(position.hex)
            if seen is not None and position.time <= seen:
                self.counts["duplicate" if position.time == seen else "superseded"] += 1
                continue
            self.newest[position.hex] = position.time
            kept.append(position)
            self.by_source[position.source] = self.by_source.get(position.source, 0) + 1
        self.counts["passed"] += len(kept)
        return kept


def reference_newest(positions: list[Position]) -> list[Position]:
    newest: dict[str, Position] = {}
    for position in positions:
        current = newest.get(position.hex)
        if current is None or position.time > current.time:
            newest[position.hex] = position
    return list(newest.values())


POSITIONS = st.lists(
    st.builds(
        Position,
        hex=st.sampled_from(["ae0001", "ae0002", "ae0003", "3c0001", "~000001"]),
        time=st.sampled_from([1000.0, 1001.0, 1002.5, 1003.0]),  # not old enough to prune
        lat=st.just(50.0),
        lon=st.just(7.0),
        source=st.sampled_from(["a", "b"]),
    ),
    max_size=8,
)


@settings(deadline=None, max_examples=300)
@given(snapshots=st.lists(POSITIONS, max_size=6))
def test_fuser_keeps_what_one_by_one_keeps(snapshots: list[list[Position]]) -> None:
    fuser, reference = Fuser(), ReferenceFuser()
    for now, positions in enumerate(snapshots, start=1000):
        fused = fuser.fuse(Snapshot(float(now), positions))
        kept = reference.fuse(positions)
        assert (fused.positions if fused is not None else []) == kept
        assert fuser.newest == reference.newest
        assert list(fuser.newest) == list(reference.newest)  # the same order too
    stats = fuser.stats
    assert {
        "passed": stats.passed,
        "duplicate": stats.duplicate,
        "superseded": stats.superseded,
    } == (reference.counts)
    assert stats.by_source == reference.by_source


@settings(deadline=None, max_examples=300)
@given(positions=POSITIONS)
def test_newest_per_aircraft_keeps_the_newest_of_each(positions: list[Position]) -> None:
    assert newest_per_aircraft(positions) == reference_newest(positions)


def test_a_poll_of_distinct_news_passes_whole() -> None:
    fuser = Fuser()
    first = [Position(f"ae{i:04x}", 100.0, 1.0, 2.0) for i in range(50)]
    assert fuser.fuse(Snapshot(100.0, first)) is not None
    later = [Position(p.hex, 110.0, 1.0, 2.0) for p in first]
    fused = fuser.fuse(Snapshot(110.0, later))
    assert fused is not None and fused.positions == later
    assert fuser.stats.passed == 100 and fuser.stats.duplicate == 0
    assert fuser.fuse(Snapshot(111.0, later)) is None  # the same reports again: nothing new
    assert fuser.stats.duplicate == 50
