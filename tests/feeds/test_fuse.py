"""Fusion gives what judging each position in turn gives, whichever of its shortcuts a
snapshot takes (every address once, every position new, or neither)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.feeds.fuse import FORGET_AFTER_S, Fuser, newest_per_aircraft
from service.feeds.readsb import decode_snapshot
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


def _columns(positions: list[tuple[str, float]], now: float) -> Snapshot:
    """A feed's snapshot of (address, fix time) rows, decoded as the live adapters do."""
    aircraft = [{"hex": h, "lat": 50.0, "lon": 7.0, "seen_pos": now - t} for h, t in positions]
    data = json.dumps({"now": now, "aircraft": aircraft}).encode()
    return decode_snapshot(data, source="a", now_unit="s", lazy=True)


@pytest.mark.parametrize("columns", [False, True], ids=["positions", "columns"])
def test_addresses_not_heard_for_long_are_forgotten_and_may_come_back(columns: bool) -> None:
    def snapshot(rows: list[tuple[str, float]], now: float) -> Snapshot:
        if columns:
            return _columns(rows, now)
        return Snapshot(now, [Position(h, t, 50.0, 7.0, source="a") for h, t in rows])

    fuser = Fuser()
    gone = [(f"ae{i:04x}", 1000.0) for i in range(40)]
    staying = [(f"3c{i:04x}", 1500.0) for i in range(3)]
    assert fuser.fuse(snapshot(gone, 1000.0)) is not None
    assert fuser.fuse(snapshot(staying, 1500.0)) is not None
    # At 2000 s the first 40, last heard at 1000 s, are more than FORGET_AFTER_S old.
    assert 2000.0 - 1000.0 > FORGET_AFTER_S > 2000.0 - 1500.0
    fresh = [("ae9999", 1999.0)]
    assert fuser.fuse(snapshot(fresh, 2000.0)) is not None
    assert fuser.newest == {**dict(staying), **dict(fresh)}
    # A forgotten address is new again, even with an older time than it had (a response
    # dated before the fuser's clock is dated after it); a kept one is still compared.
    late = fuser.fuse(snapshot([("ae0000", 990.0)], 1000.0))
    assert late is not None and [(p.hex, p.time) for p in late.positions] == [("ae0000", 990.0)]
    back = [("3c0000", 1500.0), ("3c0001", 1499.0), ("3c0002", 1501.0)]
    fused = fuser.fuse(snapshot(back, 1510.0))
    assert fused is not None
    assert [(p.hex, p.time) for p in fused.positions] == [("3c0002", 1501.0)]
    assert (fuser.stats.duplicate, fuser.stats.superseded) == (1, 1)
    assert fuser.newest == {
        "3c0000": 1500.0, "3c0001": 1500.0, "3c0002": 1501.0, "ae9999": 1999.0, "ae0000": 990.0
    }  # fmt: skip
