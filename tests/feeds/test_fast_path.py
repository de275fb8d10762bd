"""The fast path of `decode_snapshot` (one typed decode, columns normalised together)
gives exactly what the record-by-record path gives: the same positions, in the same
order, with the same values and types, and the same reject counts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.feeds import judge, readsb
from service.feeds.judge import normalise_decoded
from service.feeds.normalise import (
    AircraftRecord,
    CheckedRecord,
    normalise_record,
)
from service.feeds.readsb import NowUnit, decode_snapshot
from service.models import Position, Snapshot
from tests.support.paths import FEEDS

NOW = 1_755_081_600.0
_RECORD = msgspec.json.Decoder(AircraftRecord)
_ENVELOPE = msgspec.json.Decoder(dict[str, Any])


def record_by_record(data: bytes, now: float, source: str) -> tuple[list[Position], dict[str, int]]:
    """The reference: each record decoded and normalised alone (the per-record path)."""
    envelope = _ENVELOPE.decode(data)
    items = envelope.get("aircraft")
    if items is None:
        items = envelope.get("ac") or []
    positions: list[Position] = []
    rejected: dict[str, int] = {}
    for item in items:
        result = normalise_record(_RECORD.decode(msgspec.json.encode(item)), now, source)
        if isinstance(result, Position):
            positions.append(result)
        else:
            rejected[result] = rejected.get(result, 0) + 1
    return positions, rejected


def assert_same(snapshot: Snapshot, data: bytes) -> None:
    positions, rejected = record_by_record(data, snapshot.now, "test")
    # Encoded, so that types (int against float) and the sign of zero count too.
    assert msgspec.json.encode(snapshot.positions) == msgspec.json.encode(positions)
    assert [type(p.alt_ft) for p in snapshot.positions] == [type(p.alt_ft) for p in positions]
    assert snapshot.positions == positions
    assert snapshot.rejected == rejected


def _captures() -> list[Path]:
    if not FEEDS.is_dir():
        return []
    return sorted(p for p in FEEDS.glob("*.json") if "aircraft_json" in p.name or "adsbx" in p.name)


@pytest.mark.usefixtures("feed_captures")
@pytest.mark.parametrize("path", _captures(), ids=lambda p: p.name.split("__")[0])
def test_fast_path_matches_record_by_record_on_real_captures(path: Path) -> None:
    data = path.read_bytes()
    unit: NowUnit = "ms" if "adsbx" in path.name else "s"
    snapshot = decode_snapshot(data, source="test", now_unit=unit)
    assert_same(snapshot, data)


def test_there_are_real_captures_to_compare() -> None:
    if not FEEDS.is_dir():
        pytest.skip(f"real feed captures not found at {FEEDS}")
    assert len(_captures()) >= 4


# Well-typed records (so the whole response decodes typed and the fast path runs) with
# every kind of value the checks treat differently, edges included.
# No lone surrogates: JSON cannot carry them (a response with one is invalid as a whole).
_CHARS = st.characters(exclude_categories=["Cs"])
_TEXT = st.one_of(
    st.none(),
    st.sampled_from(["RCH245  ", "  DLH4AB", "", "   ", "GAF881", "05-5140", "C17", "A320"]),
    st.text(_CHARS, max_size=20),
)
FAST_RECORDS = st.fixed_dictionaries(
    {},
    optional={
        "hex": st.one_of(
            st.none(),
            st.sampled_from(["ae1234", "~ae1234", "AE1234", "~AE12ff", "ae123", "ae12345", ""]),
            st.text(alphabet="0123456789abcdefABCDEF~\n", max_size=8),
            st.text(_CHARS, max_size=8),
        ),
        "lat": st.one_of(
            st.none(), st.sampled_from([90.0, -90.0, 90.5, 0.0, -0.0]), st.floats(-100, 100)
        ),
        "lon": st.one_of(st.none(), st.sampled_from([180.0, -180.0, -181.0]), st.floats(-200, 200)),
        "alt_baro": st.one_of(
            st.none(),
            st.sampled_from(["ground", "Ground", "", -2000, 80000, 80001, 2.5, 3.5, -0.5]),
            st.integers(-3000, 90000),
            st.floats(-3000, 90000),
        ),
        "gs": st.one_of(
            st.none(), st.sampled_from([0.0, -0.0, 2000.0, 2000.5]), st.floats(-5, 2100)
        ),
        "track": st.one_of(
            st.none(), st.sampled_from([0.0, -0.0, 360.0, 360.1, -0.1]), st.floats(-10, 370)
        ),
        "seen_pos": st.one_of(
            st.none(), st.sampled_from([0.0, -0.0, 60.0, 60.1, -0.1]), st.floats(-5, 70)
        ),
        "squawk": st.one_of(
            st.none(), st.sampled_from(["7700", "0000", "7777", "8000", "123", "12345", "٣٣٣٣"])
        ),
        "flight": _TEXT,
        "r": _TEXT,
        "t": _TEXT,
        "dbFlags": st.one_of(st.none(), st.integers(-1, 2**33)),
        "type": st.one_of(
            st.none(),
            st.sampled_from(["adsb_icao", "mlat", "tisb_trackfile", "mode_s", "adsr_icao", ""]),
        ),
        "mlat": st.one_of(st.none(), st.lists(st.sampled_from(["lat", "lon", "gs"]), max_size=3)),
        "tisb": st.one_of(st.none(), st.lists(st.sampled_from(["lat", "lon", "gs"]), max_size=3)),
        "seen": st.floats(0, 10),
    },
)


@settings(deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(records=st.lists(FAST_RECORDS, max_size=30))
def test_fast_path_matches_record_by_record_on_synthetic_records(
    records: list[dict[str, Any]],
) -> None:
    data = json.dumps({"now": NOW, "aircraft": records}).encode()
    snapshot = decode_snapshot(data, source="test", now_unit="s")
    assert_same(snapshot, data)


@settings(deadline=None, max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(records=st.lists(FAST_RECORDS, min_size=5, max_size=40))
def test_normalising_in_chunks_changes_nothing(records: list[dict[str, Any]]) -> None:
    data = json.dumps({"now": NOW, "aircraft": records}).encode()
    whole = decode_snapshot(data, source="test", now_unit="s")
    chunk = judge.NORMALISE_CHUNK
    try:
        judge.NORMALISE_CHUNK = 3
        in_chunks = decode_snapshot(data, source="test", now_unit="s")
    finally:
        judge.NORMALISE_CHUNK = chunk
    assert in_chunks == whole
    assert_same(in_chunks, data)


def test_fast_path_runs_for_well_typed_responses(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = normalise_decoded

    def counting(records: Any, *args: Any) -> Any:
        calls.append(len(records))
        return real(records, *args)

    monkeypatch.setattr("service.feeds.readsb.normalise_decoded", counting)
    good = {"hex": "ae1234", "lat": 1.0, "lon": 2.0}
    decode_snapshot(json.dumps({"now": NOW, "aircraft": [good, good]}).encode(), source="t")
    assert calls == [2]
    # A mistyped record sends the response down the record-by-record path: it alone is lost.
    data = json.dumps({"now": NOW, "aircraft": [good, {"hex": 5}]}).encode()
    snapshot = decode_snapshot(data, source="t")
    assert calls == [2]
    assert len(snapshot.positions) == 1 and snapshot.rejected == {"malformed_record": 1}


def test_text_cache_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    cache = judge.TextCache(minimum=10, per_record=2)
    addresses = judge.TextCache(minimum=10, per_record=2)
    monkeypatch.setattr(judge, "_TEXT_CACHE", cache)
    monkeypatch.setattr(judge, "_ADDRESS_CACHE", addresses)
    for poll in range(5):
        records = [
            {
                "hex": f"ae{poll}{i:03x}",
                "lat": 1.0,
                "lon": 2.0,
                "flight": f"X{poll}{i}",
                "r": f"R{poll}{i}",
            }
            for i in range(4)
        ]
        data = json.dumps({"now": NOW + poll, "aircraft": records}).encode()
        snapshot = decode_snapshot(data, source="t")
        assert [p.callsign for p in snapshot.positions] == [f"X{poll}{i}" for i in range(4)]
        assert [p.registration for p in snapshot.positions] == [f"R{poll}{i}" for i in range(4)]
        assert [p.hex for p in snapshot.positions] == [f"ae{poll}{i:03x}" for i in range(4)]
        # At most the limit before this snapshot, plus this snapshot's values.
        assert len(cache.values) <= 10 + 1 + 2 * 4
        assert len(addresses.values) <= 10 + 1 + 4


def test_text_cache_grows_with_the_largest_snapshot() -> None:
    cache = judge.TextCache(minimum=10, per_record=4)
    cache.make_room(100)
    assert cache.limit == 400
    cache.values.update({f"X{i}": f"X{i}" for i in range(300)})
    assert len(cache.make_room(3)) == 301  # a small feed's poll keeps the large one's values
    cache.values.update({f"Y{i}": f"Y{i}" for i in range(300)})
    assert cache.make_room(3) == {None: None}


# Records whose numbers are all within the bounds: the checked decode takes them whole.
IN_BOUNDS_RECORDS = st.fixed_dictionaries(
    {"hex": st.sampled_from(["ae1234", "~ae1234", "AE1234", "3c65ac", "ae123", None])},
    optional={
        "lat": st.one_of(st.none(), st.floats(-90, 90)),
        "lon": st.one_of(st.none(), st.floats(-180, 180)),
        "alt_baro": st.one_of(
            st.none(), st.just("ground"), st.integers(-2000, 80000), st.floats(-2000, 80000)
        ),
        "gs": st.one_of(st.none(), st.floats(0, 2000)),
        "track": st.one_of(st.none(), st.sampled_from([0.0, -0.0, 360.0]), st.floats(0, 360)),
        "seen_pos": st.one_of(st.none(), st.sampled_from([0.0, 60.0, 60.1]), st.floats(0, 90)),
        "squawk": st.one_of(st.none(), st.sampled_from(["7700", "8000"])),
        "flight": _TEXT,
        "r": _TEXT,
        "type": st.one_of(st.none(), st.sampled_from(["adsb_icao", "mlat", "tisb_other"])),
    },
)


def _judged_classes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The class of the records each `judge_chunk` call is given, from now on."""
    seen: list[str] = []
    real = judge.judge_chunk

    def spying(records: Any, *args: Any) -> Any:
        seen.append(type(records[0]).__name__)
        return real(records, *args)

    monkeypatch.setattr(judge, "judge_chunk", spying)
    monkeypatch.setattr("service.feeds.columns.judge_chunk", spying)
    return seen


@settings(deadline=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(records=st.lists(IN_BOUNDS_RECORDS, min_size=1, max_size=30), lazy=st.booleans())
def test_checked_decode_gives_what_record_by_record_gives(
    records: list[dict[str, Any]], lazy: bool
) -> None:
    data = json.dumps({"now": NOW, "aircraft": records}).encode()
    readsb._unchecked.clear()  # another test's odd response must not send this one unchecked
    checked = readsb._CHECKED_DECODER.decode(data).aircraft
    assert isinstance(checked, list) and type(checked[0]) is CheckedRecord
    snapshot = decode_snapshot(data, source="test", now_unit="s", lazy=lazy)
    assert_same(Snapshot(snapshot.now, list(snapshot.positions), snapshot.rejected), data)


def test_an_odd_value_sends_that_feed_unchecked_for_a_while(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    readsb._unchecked.clear()
    seen = _judged_classes(monkeypatch)
    good = {"hex": "ae1234", "lat": 1.0, "lon": 2.0, "alt_baro": 30000, "seen_pos": 70.0}
    odd = {**good, "hex": "ae1235", "alt_baro": 90000, "seen_pos": 1.0}
    clean = json.dumps({"now": NOW, "aircraft": [good]}).encode()
    with_odd = json.dumps({"now": NOW, "aircraft": [good, odd]}).encode()

    snapshot = decode_snapshot(clean, source="a", lazy=True)
    # seen_pos 70 is over the default maximum age: judged after decoding, not refused.
    assert snapshot.rejected == {"stale_position": 1} and seen == ["CheckedRecord"]
    snapshot = decode_snapshot(with_odd, source="a", lazy=True)
    assert snapshot.rejected == {"stale_position": 1, "bad_altitude": 1}
    assert seen[1:] == ["AircraftRecord"]
    # The same feed's next responses skip the checked decode; another feed's do not.
    for _ in range(readsb.UNCHECKED_POLLS):
        decode_snapshot(clean, source="a", lazy=True)
    decode_snapshot(clean, source="b", lazy=True)
    assert seen[2:] == ["AircraftRecord"] * readsb.UNCHECKED_POLLS + ["CheckedRecord"]
    decode_snapshot(clean, source="a", lazy=True)
    assert seen[-1] == "CheckedRecord"
