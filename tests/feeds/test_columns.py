"""The columnar poll path (`decode_snapshot(lazy=True)`, the live adapters' decode) gives
what the eager path gives: the same positions and reject counts from the decoder, the
same positions kept and counted by the Fuser, and the same aircraft selected, with the
same identities and candidates, by the identify stage; only fewer Positions are built."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.feeds import judge
from service.feeds.columns import PositionColumns
from service.feeds.fuse import Fuser, newest_per_aircraft
from service.feeds.readsb import FeedDecodeError, decode_snapshot
from service.identify import Identifier
from service.identify.candidates import CandidateBook
from service.identify.select import Selector
from service.models import Identity, Position, Snapshot
from tests.feeds.test_fast_path import FAST_RECORDS, NOW, assert_same
from tests.feeds.test_fuzz import HOSTILE_FRAGMENTS, JSON, RECORDS, v2

_SETTINGS = settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])


def both(data: bytes, **kwargs: Any) -> tuple[Any, Any]:
    eager = decode_snapshot(data, source="test", now_unit="s", **kwargs)
    lazy = decode_snapshot(data, source="test", now_unit="s", lazy=True, **kwargs)
    return eager, lazy


@_SETTINGS
@given(records=st.lists(FAST_RECORDS, max_size=30), rows=st.data())
def test_lazy_decode_gives_the_eager_positions(records: list[dict[str, Any]], rows: Any) -> None:
    data = json.dumps({"now": NOW, "aircraft": records}).encode()
    eager, lazy = both(data)
    assert isinstance(lazy.positions, PositionColumns)
    assert lazy.rejected == eager.rejected
    assert lazy.positions.hexes == [p.hex for p in eager.positions]
    assert lazy.positions.times == [p.time for p in eager.positions]
    # Some rows built alone, before and after the whole is built.
    n = len(eager.positions)
    picked = rows.draw(st.lists(st.integers(0, n - 1), max_size=5)) if n else []
    assert lazy.positions.take(picked) == [eager.positions[i] for i in picked]
    part = lazy.positions.subset(picked)
    assert list(part) == [eager.positions[i] for i in picked]
    assert lazy.positions == eager.positions
    fresh = decode_snapshot(data, source="test", now_unit="s", lazy=True)
    assert_same(Snapshot(fresh.now, list(fresh.positions), fresh.rejected), data)
    assert lazy.positions.take(picked) == [eager.positions[i] for i in picked]


@settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(records=st.lists(FAST_RECORDS, min_size=5, max_size=40))
def test_lazy_decode_in_chunks_changes_nothing(records: list[dict[str, Any]]) -> None:
    data = json.dumps({"now": NOW, "aircraft": records}).encode()
    eager = decode_snapshot(data, source="test", now_unit="s")
    chunk = judge.NORMALISE_CHUNK
    try:
        judge.NORMALISE_CHUNK = 3
        lazy = decode_snapshot(data, source="test", now_unit="s", lazy=True)
    finally:
        judge.NORMALISE_CHUNK = chunk
    assert lazy == eager


def test_a_broken_response_is_decoded_eagerly_as_before() -> None:
    good = {"hex": "ae1234", "lat": 1.0, "lon": 2.0}
    data = json.dumps({"now": NOW, "aircraft": [good, {"hex": 5}]}).encode()
    eager, lazy = both(data)
    assert lazy == eager
    assert lazy.rejected == {"malformed_record": 1}


# Snapshots of a few aircraft, each listed once, at times that repeat, go back and move on.
_ADDRESSES = ["ae0001", "ae0002", "3c0001", "~000001", "AE0003"]
_FEED = st.lists(
    st.lists(
        st.tuples(st.sampled_from(range(len(_ADDRESSES))), st.sampled_from([0.0, 1.0, 2.5, 4.0])),
        max_size=5,
        unique_by=lambda row: row[0],
    ),
    max_size=6,
)


def _response(rows: list[tuple[int, float]], now: float) -> bytes:
    aircraft = [
        {"hex": _ADDRESSES[a], "lat": 50.0, "lon": 7.0, "seen_pos": now - t} for a, t in rows
    ]
    return json.dumps({"now": now, "aircraft": aircraft}).encode()


@_SETTINGS
@given(feeds=st.lists(_FEED, min_size=1, max_size=2))
def test_fusing_columns_keeps_and_counts_what_fusing_positions_does(
    feeds: list[list[list[tuple[int, float]]]],
) -> None:
    eager, lazy = Fuser(), Fuser()
    polls = [(f"feed{i}", poll) for i, feed in enumerate(feeds) for poll in feed]
    for step, (source, rows) in enumerate(polls):
        data = _response(rows, 1_000_000.0 + 10 * step)
        a = decode_snapshot(data, source=source, now_unit="s")
        b = decode_snapshot(data, source=source, now_unit="s", lazy=True)
        fused_a, fused_b = eager.fuse(a), lazy.fuse(b)
        assert (fused_a is None) == (fused_b is None)
        if fused_a is not None and fused_b is not None:
            assert fused_b == fused_a
            assert newest_per_aircraft(fused_b.positions) == newest_per_aircraft(fused_a.positions)
        assert lazy.stats == eager.stats
        assert lazy.newest == eager.newest


def test_columns_listing_an_address_twice_are_fused_one_by_one() -> None:
    aircraft = [
        {"hex": "ae0001", "lat": 50.0, "lon": 7.0, "seen_pos": 5.0},
        {"hex": "ae0001", "lat": 50.0, "lon": 7.0, "seen_pos": 1.0},
        {"hex": "ae0001", "lat": 50.0, "lon": 7.0, "seen_pos": 5.0},
    ]
    data = json.dumps({"now": NOW, "aircraft": aircraft}).encode()
    eager, lazy = Fuser(), Fuser()
    fused_a = eager.fuse(decode_snapshot(data, source="a", now_unit="s"))
    fused_b = lazy.fuse(decode_snapshot(data, source="a", now_unit="s", lazy=True))
    assert fused_a == fused_b
    assert lazy.stats == eager.stats and lazy.stats.superseded == 1


def test_selecting_from_columns_builds_only_the_selected_positions() -> None:
    aircraft = [
        {"hex": "ae1234", "lat": 50.0, "lon": 7.0, "flight": "RCH245  "},  # US military
        {"hex": "3c4b26", "lat": 50.0, "lon": 7.0},  # civil, followed
        {"hex": "3c4b27", "lat": 50.0, "lon": 7.0, "flight": "DLH5AB", "r": "D-ABCD"},
        {"hex": "a12345", "lat": 50.0, "lon": 7.0, "dbFlags": 1},  # the feed's military flag
        {"hex": "a12346", "lat": 50.0, "lon": 7.0, "dbFlags": 2**40},  # out of range: 0
        {"hex": "3c6666", "lat": 50.0, "lon": 7.0, "flight": "GAF881"},  # designator
        {"hex": "~abcdef", "lat": 50.0, "lon": 7.0},
    ]
    before = Identity("3c4b26", "military", "DE", [], callsign="GAF881")
    followed = {"3c4b26": before}
    eager_book, lazy_book = CandidateBook(100), CandidateBook(100)
    eager = Selector(Identifier(), eager_book, lambda identity: True)
    lazy = Selector(Identifier(), lazy_book, lambda identity: True)
    for poll in range(3):  # the memo of rows seen before answers from the second on
        if poll == 2:
            aircraft[2]["flight"] = "GAF882"  # a changed row is identified again
        data = json.dumps({"now": NOW + poll, "aircraft": aircraft}).encode()
        a = decode_snapshot(data, source="t", now_unit="s")
        b = decode_snapshot(data, source="t", now_unit="s", lazy=True)
        assert isinstance(b.positions, PositionColumns)
        selected_a = eager.select(a.positions, followed.get, followed)
        selected_b = lazy.select(b.positions, followed.get, followed)
        assert selected_b == selected_a
        assert [c.to_json() for c in lazy_book.candidates()] == [
            c.to_json() for c in eager_book.candidates()
        ]
        assert b.positions._built is None  # no Position built for the others
    assert [p.hex for p, _ in selected_b] == ["ae1234", "3c4b26", "3c4b27", "a12345", "3c6666"]


def test_the_raw_row_memo_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("service.identify.select._RAW_MEMO_LIMIT", 4)
    selector = Selector(Identifier(), CandidateBook(10), lambda identity: True)
    for poll in range(4):
        aircraft = [{"hex": f"3c{poll}{i:03x}", "lat": 1.0, "lon": 2.0} for i in range(3)]
        data = json.dumps({"now": NOW + poll, "aircraft": aircraft}).encode()
        snapshot = decode_snapshot(data, source="t", now_unit="s", lazy=True)
        assert selector.select(snapshot.positions, lambda hex_: None, set()) == []
        assert len(selector._raw) <= 2 * 3 + 3


def test_columns_read_as_a_sequence_of_positions() -> None:
    data = json.dumps(
        {"now": NOW, "aircraft": [{"hex": "ae0001", "lat": 1.0, "lon": 2.0, "alt_baro": "ground"}]}
    ).encode()
    positions = decode_snapshot(data, source="t", now_unit="s", lazy=True).positions
    assert len(positions) == 1 and positions[0].on_ground and positions[-1:] == [positions[0]]
    assert [p.hex for p in positions] == ["ae0001"] and isinstance(positions[0], Position)
    assert positions.__eq__(5) is NotImplemented and "1 rows" in repr(positions)


def _outcome(data: bytes, lazy: bool) -> object:
    try:
        snapshot = decode_snapshot(data, source="fuzz", lazy=lazy)
    except FeedDecodeError as exc:
        return exc.reason
    return (snapshot.now, list(snapshot.positions), snapshot.rejected)


@settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    records=st.lists(
        st.sampled_from(HOSTILE_FRAGMENTS)
        | JSON.map(lambda v: json.dumps(v).encode())
        | RECORDS.map(lambda r: json.dumps(r).encode()),
        max_size=6,
    )
)
def test_hostile_responses_decode_lazily_as_eagerly(records: list[bytes]) -> None:
    """Whatever the records, the lazy decode raises the same typed error or gives the
    same positions (built in full) and reject counts as the eager one."""
    data = v2(records)
    assert _outcome(data, lazy=True) == _outcome(data, lazy=False)


@settings(deadline=None, max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=512))
def test_any_bytes_decode_lazily_as_eagerly(data: bytes) -> None:
    assert _outcome(data, lazy=True) == _outcome(data, lazy=False)
