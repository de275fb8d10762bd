"""Every feed decoder, driven by generated and mutated input (Hypothesis).

What must hold whatever the bytes: only the decoder's typed error escapes, and the good
records of a response survive next to bad ones. The starting points are the real
captured responses of ../shared/data/feeds, mutated (flipped and cut bytes, records
nested thousands deep, NaN, huge numbers, invalid UTF-8), and documents built from
scratch.
"""

from __future__ import annotations

import contextlib
import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.feeds.opensky import decode_states
from service.feeds.readsb import FeedDecodeError, decode_snapshot
from service.feeds.replay import REPLAY_ERRORS, iter_snapshots
from service.feeds.salvage import SplitError, split_array, split_object
from service.feeds.sbs import SbsAssembler
from service.models import Position
from tests.support.paths import FEEDS

FUZZ = settings(
    deadline=None,
    max_examples=150,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
NOW = 1_755_081_600.0
GOOD = {"hex": "ae2fd0", "lat": 19.2, "lon": -100.1, "alt_baro": 23000, "gs": 80.0}

# JSON values of any shape: what a hostile aggregator can put where a record belongs.
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.just(10**400)  # JSON allows it; no float holds it
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
# Records with the right keys and hostile values.
RECORDS = st.fixed_dictionaries(
    {},
    optional={
        "hex": st.text(max_size=9) | st.just("ae1234") | st.just("~ae1234"),
        "lat": st.floats() | st.integers() | st.text(max_size=3),
        "lon": st.floats() | st.integers(),
        "alt_baro": st.floats() | st.just("ground") | st.text(max_size=6),
        "gs": st.floats(),
        "track": st.floats(),
        "seen_pos": st.floats(),
        "squawk": st.text(max_size=6),
        "flight": st.text(max_size=30),
        "dbFlags": st.integers(),
    },
)
HOSTILE_FRAGMENTS = [
    b"[" * 5000 + b"]" * 5000,
    b'{"a":' * 3000 + b"1" + b"}" * 3000,
    b"NaN",
    b"-Infinity",
    b"1e999999",
    b'"\xff\xfe"',
    b'"\\ud800"',
    b"12345678901234567890123456789012345678901234567890",
    b"1" + b"0" * 400,
]


def v2(records_json: list[bytes], now: float = NOW) -> bytes:
    """An ADSBx v2 response from raw record texts (each may be anything)."""
    return b'{"now": %d, "ac": [%s]}' % (int(now * 1000), b", ".join(records_json))


def good_record(index: int) -> bytes:
    return json.dumps({**GOOD, "hex": f"ae{index:04x}"}).encode()


def only_typed_errors(data: bytes) -> None:
    with contextlib.suppress(FeedDecodeError):
        decode_snapshot(data, source="fuzz")
    with contextlib.suppress(FeedDecodeError):
        decode_states(data, source="fuzz")


@FUZZ
@given(st.binary(max_size=2048))
def test_any_bytes_raise_only_the_typed_error(data: bytes) -> None:
    only_typed_errors(data)


def captures() -> list[bytes]:
    found = [p.read_bytes() for p in sorted(FEEDS.glob("*.json"))] if FEEDS.is_dir() else []
    return found or [v2([good_record(i) for i in range(3)])]


@FUZZ
@given(data=st.data())
@pytest.mark.usefixtures("feed_captures")
def test_mutated_real_captures_raise_only_the_typed_error(data: st.DataObject) -> None:
    original = data.draw(st.sampled_from(captures()))
    mutated = bytearray(original)
    for _ in range(data.draw(st.integers(1, 8))):
        action = data.draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        at = data.draw(st.integers(0, max(0, len(mutated) - 1)))
        if action == "flip" and mutated:
            mutated[at] = data.draw(st.integers(0, 255))
        elif action == "cut":
            del mutated[at:]
        elif action == "insert":
            mutated[at:at] = data.draw(st.sampled_from(HOSTILE_FRAGMENTS))
        elif mutated:
            del mutated[at : at + data.draw(st.integers(1, 64))]
    only_typed_errors(bytes(mutated))


@FUZZ
@given(
    bad=st.lists(
        st.sampled_from(HOSTILE_FRAGMENTS)
        | JSON.map(lambda v: json.dumps(v).encode())
        | RECORDS.map(lambda r: json.dumps(r).encode()),
        min_size=1,
        max_size=5,
    ),
    where=st.randoms(use_true_random=False),
)
def test_good_records_survive_next_to_bad_ones(bad: list[bytes], where: Any) -> None:
    good = [good_record(i) for i in range(4)]
    mixed = good + bad
    where.shuffle(mixed)
    snapshot = decode_snapshot(v2(mixed), source="fuzz")
    kept = {p.hex for p in snapshot.positions}
    assert {f"ae{i:04x}" for i in range(4)} <= kept
    assert len(snapshot.positions) + sum(snapshot.rejected.values()) == len(mixed)


@FUZZ
@given(RECORDS)
def test_a_record_is_a_position_only_within_physical_bounds(record: dict[str, Any]) -> None:
    snapshot = decode_snapshot(v2([json.dumps(record).encode()]), source="fuzz")
    for position in snapshot.positions:
        assert isinstance(position, Position)
        assert -90 <= position.lat <= 90 and -180 <= position.lon <= 180
        assert position.gs_kt is None or 0 <= position.gs_kt <= 2000
        assert position.track_deg is None or 0 <= position.track_deg < 360
        assert position.alt_ft is None or -2000 <= position.alt_ft <= 80000
        assert NOW - 60 <= position.time <= NOW


@FUZZ
@given(rows=st.lists(st.lists(JSON, max_size=20), max_size=5))
def test_opensky_good_rows_survive_next_to_bad_ones(rows: list[list[Any]]) -> None:
    good = ["ae2fd0", "TROY701 ", "US", NOW, NOW, -100.1, 19.2, 7000.0, False, 40.0, 90.0]
    good += [0.0, None, 7100.0, "1200", False, 0]
    body = {"time": int(NOW), "states": [good, *rows]}
    snapshot = decode_states(json.dumps(body).encode(), source="fuzz")
    assert "ae2fd0" in {p.hex for p in snapshot.positions}
    assert len(snapshot.positions) + sum(snapshot.rejected.values()) == len(rows) + 1


@pytest.mark.parametrize("time_", [b"1" + b"0" * 400, b"-1" + b"0" * 400])
def test_opensky_time_beyond_any_float_is_bad_now(time_: bytes) -> None:
    with pytest.raises(FeedDecodeError, match="bad_now"):
        decode_states(b'{"time": ' + time_ + b', "states": []}', source="fuzz")


@FUZZ
@given(st.lists(st.text(max_size=300) | st.sampled_from([",".join(["MSG"] * 22)]), max_size=30))
def test_sbs_lines_never_raise(lines: list[str]) -> None:
    assembler = SbsAssembler("fuzz", max_aircraft=10)
    for line in lines:
        assembler.feed(line, received=NOW)
    snapshot = assembler.drain()
    for position in snapshot.positions:
        assert -90 <= position.lat <= 90 and -180 <= position.lon <= 180


@FUZZ
@given(st.binary(max_size=1024))
def test_the_splitter_raises_only_its_error(data: bytes) -> None:
    for split in (split_object, split_array):
        with contextlib.suppress(SplitError):
            split(data)


@FUZZ
@given(lines=st.lists(st.binary(max_size=200), max_size=10), compress=st.booleans())
def test_replay_lines_become_items_never_exceptions(
    tmp_path_factory: pytest.TempPathFactory, lines: list[bytes], compress: bool
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "recording.jsonl"
    body = b"\n".join(lines)
    path.write_bytes(gzip.compress(body) if compress else body)
    for item in iter_snapshots(path):
        assert (item.snapshot is None) != (item.error is None)
        assert item.error is None or item.error in REPLAY_ERRORS


def test_a_thousand_deep_line_costs_only_itself(tmp_path: Path) -> None:
    good = json.dumps({"now": NOW, "aircraft": [GOOD]}).encode()
    deep = b'{"now": %d, "aircraft": [%s]}' % (int(NOW), b"[" * 1000 + b"]" * 1000)
    path = tmp_path / "r.jsonl"
    path.write_bytes(b"\n".join([good, deep, good.replace(b"ae2fd0", b"ae2fd1")]))
    items = list(iter_snapshots(path))
    assert [len(i.snapshot.positions) if i.snapshot else None for i in items] == [1, 0, 1]
    assert items[1].snapshot is not None and items[1].snapshot.rejected == {"too_deep": 1}
