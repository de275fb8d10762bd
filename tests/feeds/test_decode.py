"""Feed decoding: real captures, hostile records, envelope errors and replay files."""

from __future__ import annotations

import gzip
import io
import json
import math
import random
import sys
from pathlib import Path
from typing import Any

import pytest

from service.feeds import (
    FEED_ERROR_REASONS,
    REJECT_REASONS,
    REPLAY_ERRORS,
    AircraftRecord,
    FeedDecodeError,
    decode_snapshot,
    iter_snapshots,
    normalise_record,
)
from service.models import Position, Quality, Snapshot
from tests.support.paths import FEEDS, TRACKS

needs_feeds = pytest.mark.usefixtures("feed_captures")
needs_tracks = pytest.mark.usefixtures("track_recordings")

NOW = 1_700_000_000.0
GOOD: dict[str, Any] = {
    "hex": "ae1234",
    "type": "adsb_icao",
    "flight": "RCH245  ",
    "r": "05-5140",
    "t": "C17",
    "dbFlags": 1,
    "lat": 50.5,
    "lon": 7.25,
    "alt_baro": 31000,
    "gs": 450.5,
    "track": 87.5,
    "squawk": "1234",
    "seen_pos": 1.5,
}


def snapshot_bytes(*records: Any, now: Any = NOW, key: str = "aircraft") -> bytes:
    return json.dumps({"now": now, "messages": 1, key: list(records)}).encode()


def decode(*records: Any, **kwargs: Any) -> Snapshot:
    return decode_snapshot(snapshot_bytes(*records), source="test", **kwargs)


def one(**changes: Any) -> Position | dict[str, int]:
    """The single position of a snapshot of GOOD with `changes`, or its reject counts."""
    record = {**GOOD, **changes}
    record = {k: v for k, v in record.items() if v is not _DROP}
    snap = decode(record)
    if snap.positions:
        assert len(snap.positions) == 1 and not snap.rejected
        return snap.positions[0]
    return snap.rejected


_DROP = object()


def by_hex(snap: Snapshot) -> dict[str, Position]:
    return {p.hex: p for p in snap.positions}


# --- real captures -------------------------------------------------------------------


@needs_feeds
def test_dump1090fa_capture() -> None:
    data = (FEEDS / "aircraft_json__dump1090fa__r00b-roob1090__2020-02-12.json").read_bytes()
    snap = decode_snapshot(data, source="dump1090fa")
    assert snap.now == 1581476109.7
    assert len(snap.positions) == 14
    assert snap.rejected == {"no_position": 9}  # 23 aircraft, 9 without lat/lon
    ac = by_hex(snap)["ae038b"]
    assert ac.callsign == "DECEE22"
    assert (ac.lat, ac.lon) == (38.826149, -76.809814)
    assert ac.alt_ft == 1550 and not ac.on_ground
    assert (ac.gs_kt, ac.track_deg, ac.squawk) == (200.3, 165.5, "2426")
    assert ac.time == pytest.approx(1581476109.7 - 4.3)
    # dump1090-fa has no `type`, `r`, `t` or `dbFlags`; mlat/tisb lists are empty.
    assert (ac.registration, ac.type_code, ac.db_flags) == (None, None, 0)
    assert ac.quality is Quality.ADSB and ac.source == "dump1090fa"
    unnamed = by_hex(snap)["a22da9"]
    assert unnamed.callsign is None and unnamed.squawk is None and unnamed.alt_ft == 30575


@needs_feeds
def test_dump1090_capture_drops_a_61_second_old_position() -> None:
    data = (FEEDS / "aircraft_json__dump1090__plord12-dump1090mqtt__2026-07-29.json").read_bytes()
    snap = decode_snapshot(data, source="dump1090")
    assert snap.now == 1785349721.5
    # 44 aircraft: 25 with lat/lon, of which 407462 has seen_pos 61.1 s.
    assert len(snap.positions) == 24
    assert snap.rejected == {"no_position": 19, "stale_position": 1}
    ac = by_hex(snap)
    assert "407462" not in ac
    bcs = ac["3c71a1"]
    assert (bcs.callsign, bcs.lat, bcs.lon, bcs.alt_ft) == ("BCS361", 51.345256, -2.052231, 41000)
    assert (bcs.gs_kt, bcs.track_deg, bcs.squawk) == (533.7, 79.6, "2274")
    assert ac["400b83"].callsign is None


@needs_feeds
def test_adsb_one_v2_capture_has_millisecond_now_and_ac_key() -> None:
    data = (FEEDS / "adsbx_v2__adsb.one_hex__ADSB-One-api-README.json").read_bytes()
    snap = decode_snapshot(data, source="adsb.one")
    assert snap.now == pytest.approx(1675633671.226)
    assert not snap.rejected
    (ac,) = snap.positions
    assert (ac.hex, ac.callsign, ac.squawk, ac.alt_ft) == ("a9cee9", "N731BP", "3301", 38000)
    assert (ac.lat, ac.lon, ac.gs_kt, ac.track_deg) == (37.358322, -93.374147, 338.9, 276.1)
    assert ac.time == pytest.approx(1675633671.226 - 3.486)
    assert ac.quality is Quality.ADSB


@needs_feeds
def test_airplanes_live_capture_without_current_position() -> None:
    # `$schema` is an extra top-level key; the one aircraft is mode_s with only
    # `lastPosition` (3061 s old) and rough rr_lat/rr_lon, so no usable position.
    path = FEEDS / "adsbx_v2__airplanes.live_hex__miawgogo-airplaneslive-api-schema.json"
    snap = decode_snapshot(path.read_bytes(), source="airplanes.live")
    assert snap.now == pytest.approx(1695420989.961)
    assert snap.positions == []
    assert snap.rejected == {"no_position": 1}


# --- envelope --------------------------------------------------------------------------


def test_ac_and_aircraft_keys_decode_the_same() -> None:
    a = decode_snapshot(snapshot_bytes(GOOD, key="aircraft"), source="x")
    b = decode_snapshot(snapshot_bytes(GOOD, key="ac"), source="x")
    assert a == b and len(a.positions) == 1
    # `aircraft` wins when both are present; a null list is an empty snapshot.
    both = json.dumps({"now": NOW, "aircraft": [GOOD], "ac": [GOOD, GOOD]}).encode()
    assert len(decode_snapshot(both, source="x").positions) == 1
    fallback = json.dumps({"now": NOW, "aircraft": None, "ac": [GOOD]}).encode()
    assert len(decode_snapshot(fallback, source="x").positions) == 1
    empty = decode_snapshot(b'{"now": 1700000000, "ac": null}', source="x")
    assert (empty.positions, empty.rejected) == ([], {})


def test_now_units() -> None:
    ms = decode_snapshot(snapshot_bytes(GOOD, now=1_700_000_000_500), source="x")
    assert ms.now == 1_700_000_000.5
    assert ms.positions[0].time == pytest.approx(1_700_000_000.5 - 1.5)
    forced = decode_snapshot(snapshot_bytes(now=1_700_000_000_500), source="x", now_unit="ms")
    assert forced.now == 1_700_000_000.5
    secs = decode_snapshot(snapshot_bytes(now=1_700_000_000), source="x", now_unit="s")
    assert secs.now == 1_700_000_000.0
    with pytest.raises(FeedDecodeError) as err:
        decode_snapshot(snapshot_bytes(now=1_700_000_000_500), source="x", now_unit="s")
    assert err.value.reason == "bad_now"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "invalid_json"),
        (b"{", "invalid_json"),
        (b'{"now": 1700000000, "aircraft": []} trailing', "invalid_json"),
        (b'{"now": NaN, "aircraft": []}', "bad_now"),  # not JSON: found by the slow pass
        (b"[]", "not_an_object"),
        (b'"snapshot"', "not_an_object"),
        (b"null", "not_an_object"),
        (b'{"aircraft": []}', "missing_now"),
        (b'{"now": null, "aircraft": []}', "missing_now"),
        (b'{"now": "1700000000", "aircraft": []}', "bad_now"),
        (b'{"now": true, "aircraft": []}', "bad_now"),
        (b'{"now": 1e999, "aircraft": []}', "bad_now"),
        (b'{"now": -5, "aircraft": []}', "bad_now"),
        (b'{"now": 0, "aircraft": []}', "bad_now"),
        (b'{"now": 1700000000}', "missing_aircraft"),
        (b'{"now": 1700000000, "aircraft": {}}', "bad_aircraft_list"),
        (b'{"now": 1700000000, "ac": "none"}', "bad_aircraft_list"),
    ],
)
def test_snapshot_level_errors(data: bytes, reason: str) -> None:
    with pytest.raises(FeedDecodeError) as err:
        decode_snapshot(data, source="x")
    assert err.value.reason == reason
    assert reason in FEED_ERROR_REASONS
    assert isinstance(err.value, ValueError)


def test_too_many_aircraft() -> None:
    data = snapshot_bytes(GOOD, GOOD, GOOD)
    assert len(decode_snapshot(data, source="x", max_aircraft=3).positions) == 3
    with pytest.raises(FeedDecodeError) as err:
        decode_snapshot(data, source="x", max_aircraft=2)
    assert err.value.reason == "too_many_aircraft"


# --- one bad record costs only that record -----------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        {**GOOD, "lat": "50.5"},
        {**GOOD, "alt_baro": [31000]},
        {**GOOD, "hex": 0xAE1234},
        {**GOOD, "squawk": 1234},
        {**GOOD, "dbFlags": "1"},
        {**GOOD, "dbFlags": 1.0},
        {**GOOD, "seen_pos": None, "lon": True},
        {**GOOD, "mlat": "lat"},
        42,
        None,
        "ae1234",
        [GOOD],
    ],
)
def test_wrong_type_rejects_only_that_record(bad: Any) -> None:
    snap = decode({**GOOD, "hex": "000001"}, bad, {**GOOD, "hex": "000002"})
    assert [p.hex for p in snap.positions] == ["000001", "000002"]
    assert snap.rejected == {"malformed_record": 1}


def test_out_of_range_number_is_a_malformed_record() -> None:
    # JSON has no NaN/Infinity; an overflowing literal is refused by msgspec, per record.
    data = snapshot_bytes(GOOD).replace(b'"lat": 50.5', b'"lat": 1e999')
    assert b"1e999" in data
    assert decode_snapshot(data, source="x").rejected == {"malformed_record": 1}


@pytest.mark.parametrize(
    ("hex_", "expected"),
    [
        ("ae1234", "ae1234"),
        ("AE12F4", "ae12f4"),
        ("~a55501", "~a55501"),
        ("~A55501", "~a55501"),
        ("ae123", None),
        ("ae12345", None),
        ("ae123g", None),
        ("~~a5550", None),
        ("a55501~", None),
        ("ae1234\n", None),
        ("", None),
        ("ａｅ１２３４", None),  # full-width look-alikes
        (_DROP, None),
    ],
)
def test_hex_validation(hex_: Any, expected: str | None) -> None:
    result = one(hex=hex_)
    if expected is None:
        assert result == {"bad_hex": 1}
    else:
        assert isinstance(result, Position) and result.hex == expected


@pytest.mark.parametrize(
    ("lat", "lon", "reason"),
    [
        (90.0, 180.0, None),
        (-90.0, -180.0, None),
        (0.0, 0.0, None),
        (90.0001, 0.0, "bad_coordinates"),
        (-91, 0.0, "bad_coordinates"),
        (0.0, 180.5, "bad_coordinates"),
        (0.0, -360.0, "bad_coordinates"),
        (_DROP, 7.0, "no_position"),
        (50.0, _DROP, "no_position"),
        (None, None, "no_position"),
    ],
)
def test_coordinates(lat: Any, lon: Any, reason: str | None) -> None:
    result = one(lat=lat, lon=lon)
    if reason is None:
        assert isinstance(result, Position) and (result.lat, result.lon) == (lat, lon)
    else:
        assert result == {reason: 1}


def test_nan_and_infinite_coordinates_from_python_callers() -> None:
    for lat, lon in [(math.nan, 1.0), (1.0, math.nan), (math.inf, 1.0), (1.0, -math.inf)]:
        record = AircraftRecord(hex="ae1234", lat=lat, lon=lon)
        assert normalise_record(record, NOW, "x") == "bad_coordinates"


@pytest.mark.parametrize(
    ("alt", "alt_ft", "on_ground"),
    [
        ("ground", None, True),
        (31000, 31000, False),
        (1234.6, 1235, False),
        (-2000, -2000, False),
        (80000, 80000, False),
        (None, None, False),
    ],
)
def test_altitude(alt: Any, alt_ft: int | None, on_ground: bool) -> None:
    result = one(alt_baro=alt)
    assert isinstance(result, Position)
    assert (result.alt_ft, result.on_ground) == (alt_ft, on_ground)


@pytest.mark.parametrize("alt", [-2001, 120000, 102200, "GROUND", "air"])
def test_an_impossible_altitude_makes_the_record_corrupt(alt: Any) -> None:
    assert one(alt_baro=alt) == {"bad_altitude": 1}


@pytest.mark.parametrize(
    ("squawk", "expected"),
    [
        ("7700", "7700"),
        ("0000", "0000"),
        ("7780", None),
        ("770", None),
        ("77000", None),
        ("7a00", None),
        ("７７００", None),
        ("", None),
    ],
)
def test_squawk(squawk: str, expected: str | None) -> None:
    result = one(squawk=squawk)
    assert isinstance(result, Position) and result.squawk == expected


@pytest.mark.parametrize(
    ("seen_pos", "delta"),
    [(_DROP, 0.0), (0, 0.0), (1.5, 1.5), (60, 60.0), (60.01, None), (-0.1, None), (1e9, None)],
)
def test_seen_pos(seen_pos: Any, delta: float | None) -> None:
    result = one(seen_pos=seen_pos)
    if delta is None:
        assert result == {"stale_position": 1}
    else:
        assert isinstance(result, Position) and result.time == NOW - delta
    relaxed = decode({**GOOD, "seen_pos": 90}, max_position_age_s=120)
    assert relaxed.positions[0].time == NOW - 90


@pytest.mark.parametrize(
    ("gs", "track", "gs_kt", "track_deg"),
    [
        (450.5, 87.5, 450.5, 87.5),
        (0, 0, 0.0, 0.0),
        (2000, 360, 2000.0, 0.0),
        (None, 359.99, None, 359.99),
    ],
)
def test_speed_and_track(gs: Any, track: Any, gs_kt: float | None, track_deg: float) -> None:
    result = one(gs=gs, track=track)
    assert isinstance(result, Position)
    assert result.gs_kt == gs_kt
    assert result.track_deg == pytest.approx(track_deg)
    assert result.track_deg is not None and 0.0 <= result.track_deg < 360.0


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"gs": -5}, "bad_speed"),
        ({"gs": 2000.1}, "bad_speed"),
        ({"track": 720}, "bad_track"),
        ({"track": -1e-20}, "bad_track"),
        ({"lat": 91}, "bad_coordinates"),
    ],
)
def test_impossible_values_make_the_record_corrupt(changes: dict[str, Any], reason: str) -> None:
    assert one(**changes) == {reason: 1}


@pytest.mark.parametrize(
    ("flight", "expected"),
    [
        ("RCH245  ", "RCH245"),
        ("  GAF683", "GAF683"),
        ("        ", None),
        ("", None),
        ("A\x00B", None),
        ("Ä123", None),
        ("X" * 16, "X" * 16),
        ("X" * 17, None),
        (_DROP, None),
    ],
)
def test_callsign(flight: Any, expected: str | None) -> None:
    result = one(flight=flight)
    assert isinstance(result, Position) and result.callsign == expected


def test_registration_type_and_flags() -> None:
    result = one()
    assert isinstance(result, Position)
    assert (result.registration, result.type_code, result.db_flags) == ("05-5140", "C17", 1)
    assert result.source == "test"
    for flags, expected in [(_DROP, 0), (0, 0), (9, 9), (-1, 0), (2**40, 0)]:
        result = one(dbFlags=flags)
        assert isinstance(result, Position) and result.db_flags == expected


@pytest.mark.parametrize(
    ("changes", "quality"),
    [
        ({"type": "adsb_icao"}, Quality.ADSB),
        ({"type": "adsb_icao_nt"}, Quality.ADSB),
        ({"type": "adsr_icao"}, Quality.ADSB),
        ({"type": "mlat"}, Quality.MLAT),
        ({"type": "tisb_icao"}, Quality.TISB),
        ({"type": "tisb_other"}, Quality.TISB),
        ({"type": "tisb_trackfile"}, Quality.TISB),
        ({"type": "adsc"}, Quality.OTHER),
        ({"type": "adsb_other"}, Quality.OTHER),
        ({"type": "other"}, Quality.OTHER),
        ({"type": "mode_s"}, Quality.OTHER),
        ({"type": "unknown"}, Quality.OTHER),
        # dump1090-fa: no `type`; the mlat / tisb field lists tell.
        ({"type": _DROP}, Quality.ADSB),
        ({"type": _DROP, "mlat": ["lat", "lon", "track"]}, Quality.MLAT),
        ({"type": _DROP, "tisb": ["lat", "lon"]}, Quality.TISB),
        ({"type": _DROP, "mlat": ["gs"]}, Quality.ADSB),
        ({"type": "adsb_icao", "mlat": ["lat", "lon"]}, Quality.ADSB),
    ],
)
def test_quality(changes: dict[str, Any], quality: Quality) -> None:
    result = one(**changes)
    assert isinstance(result, Position) and result.quality is quality


def test_every_reason_is_declared() -> None:
    records: list[Any] = [
        GOOD,
        {**GOOD, "hex": "nothex"},
        {**GOOD, "lat": None},
        {**GOOD, "lat": 123.0},
        {**GOOD, "seen_pos": 600},
        {**GOOD, "lat": "x"},
        {**GOOD, "alt_baro": 99999},
        {**GOOD, "gs": -5},
        {**GOOD, "track": 720},
    ]
    deep = b'{"hex": "ae1234", "x": ' + b"[" * 2000 + b"]" * 2000 + b"}"
    body = json.dumps({"now": NOW, "aircraft": records}).encode()
    snap = decode_snapshot(body[:-2] + b", " + deep + b"]}", source="x", now_unit="s")
    assert len(snap.positions) == 1
    assert set(snap.rejected) == set(REJECT_REASONS)
    assert all(count == 1 for count in snap.rejected.values())
    assert len(set(REPLAY_ERRORS)) == len(REPLAY_ERRORS)
    assert set(FEED_ERROR_REASONS) <= set(REPLAY_ERRORS)


@needs_feeds
def test_large_synthetic_snapshot() -> None:
    snap = decode_snapshot(synthetic_snapshot(15_000), source="bench")
    assert len(snap.positions) + sum(snap.rejected.values()) == 15_000
    assert set(snap.rejected) == {"no_position"}
    with pytest.raises(FeedDecodeError):
        decode_snapshot(synthetic_snapshot(15_000), source="bench", max_aircraft=14_999)


def synthetic_snapshot(count: int, seed: int = 1) -> bytes:
    """A readsb snapshot of `count` aircraft cloned from the real London capture."""
    path = FEEDS / "aircraft_json__dump1090__plord12-dump1090mqtt__2026-07-29.json"
    source = json.loads(path.read_bytes())
    rng = random.Random(seed)
    aircraft = []
    for _ in range(count):
        record = dict(rng.choice(source["aircraft"]))
        record.update(hex=f"{rng.randrange(1 << 24):06x}", type="adsb_icao", r="G-EZAB")
        record.update(t="A320", dbFlags=rng.choice([0, 0, 0, 1]))
        if "lat" in record:
            record.update(lat=rng.uniform(-80, 80), lon=rng.uniform(-179, 179))
            record["seen_pos"] = rng.uniform(0, 30)
        aircraft.append(record)
    return json.dumps({"now": source["now"], "aircraft": aircraft}).encode()


# --- replay ----------------------------------------------------------------------------


@needs_tracks
def test_replay_real_track() -> None:
    path = TRACKS / "texas.jsonl.gz"
    with gzip.open(path, "rb") as handle:
        lines = [line for line in handle.read().split(b"\n") if line.strip()]
    assert len(lines) == 703
    items = list(iter_snapshots(path))
    assert len(items) == 703
    assert all(item.error is None and item.snapshot is not None for item in items)
    assert [item.line_no for item in items] == list(range(1, 704))
    positions = [p for item in items if item.snapshot for p in item.snapshot.positions]
    assert len(positions) == 703
    first = positions[0]
    assert (first.hex, first.callsign, first.lat, first.lon) == (
        "a54ee2",
        "N441FS",
        33.98341,
        -98.4954,
    )
    assert (first.alt_ft, first.time, first.source) == (1400, 1540651120.0 - 0.5, "replay")
    assert items[-1].snapshot is not None and items[-1].snapshot.now == 1540667635.0


def line(now: float, hex_: str = "ae1234", pad: str = "") -> bytes:
    record = {**GOOD, "hex": hex_, "pad": pad}
    return json.dumps({"now": now, "aircraft": [record]}).encode() + b"\n"


def damaged_recording() -> bytes:
    """Good, malformed, blank, JSON array, good, then a long final line."""
    # The last line is long and incompressible so that cutting the gzip tail cuts it.
    pad = random.Random(7).randbytes(4000).hex()
    return b"".join(
        [
            line(NOW),
            b'{"now": 1700000001, "aircraft": [\n',
            b"   \n",
            b"[1, 2, 3]\n",
            line(NOW + 4, "ae0004"),
            line(NOW + 5, "ae0005", pad),
        ]
    )


def summary(items: Any) -> list[tuple[int, str | None, list[str]]]:
    return [
        (i.line_no, i.error, [p.hex for p in i.snapshot.positions] if i.snapshot else [])
        for i in items
    ]


EXPECTED_HEAD = [
    (1, None, ["ae1234"]),
    (2, "invalid_json", []),
    (4, "not_an_object", []),
    (5, None, ["ae0004"]),
]


def test_replay_truncated_gzip(tmp_path: Path) -> None:
    data = gzip.compress(damaged_recording())
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) - 2000])
    assert summary(iter_snapshots(path)) == [*EXPECTED_HEAD, (6, "truncated_input", [])]
    # Only the 8-byte trailer missing: every line is intact, then the stream ends early.
    path.write_bytes(data[:-8])
    assert summary(iter_snapshots(str(path))) == [
        *EXPECTED_HEAD,
        (6, None, ["ae0005"]),
        (7, "truncated_input", []),
    ]


def test_replay_plain_and_truncated_plain(tmp_path: Path) -> None:
    data = damaged_recording()
    path = tmp_path / "rec.jsonl"
    path.write_bytes(data)
    assert summary(iter_snapshots(path)) == [*EXPECTED_HEAD, (6, None, ["ae0005"])]
    path.write_bytes(data[:-1])  # no final newline, still complete
    assert summary(iter_snapshots(path))[-1] == (6, None, ["ae0005"])
    path.write_bytes(data[:-100])  # cut inside the last line
    assert summary(iter_snapshots(path)) == [*EXPECTED_HEAD, (6, "truncated_input", [])]


def test_replay_detects_gzip_by_content_not_name(tmp_path: Path) -> None:
    body = line(NOW) + line(NOW + 1)
    gz_named_plain = tmp_path / "a.jsonl"
    gz_named_plain.write_bytes(gzip.compress(body))
    plain_named_gz = tmp_path / "b.jsonl.gz"
    plain_named_gz.write_bytes(body)
    for path in (gz_named_plain, plain_named_gz):
        assert [i.snapshot.now for i in iter_snapshots(path) if i.snapshot] == [NOW, NOW + 1]


def test_replay_corrupt_and_multi_member_gzip(tmp_path: Path) -> None:
    data = bytearray(gzip.compress(line(NOW) + line(NOW + 1)))
    data[-6] ^= 0xFF  # damage the CRC in the trailer
    path = tmp_path / "crc.jsonl.gz"
    path.write_bytes(bytes(data))
    assert summary(iter_snapshots(path))[-1] == (3, "corrupt_input", [])
    # Appending gzip members (a recorder reopened in append mode) is one stream.
    path.write_bytes(gzip.compress(line(NOW)) + gzip.compress(line(NOW + 1)))
    assert [i.line_no for i in iter_snapshots(path) if i.snapshot] == [1, 2]


def test_replay_line_too_long(tmp_path: Path) -> None:
    short = line(NOW)
    long = line(NOW + 1, pad="x" * 5000)
    path = tmp_path / "long.jsonl"
    path.write_bytes(short + long + short)
    items = list(iter_snapshots(path, max_line_bytes=len(short)))
    assert [(i.line_no, i.error) for i in items] == [(1, None), (2, "line_too_long"), (3, None)]
    items = list(iter_snapshots(path, max_line_bytes=len(long) - 1))  # excludes "\n"
    assert [i.error for i in items] == [None, None, None]


def test_replay_now_is_seconds(tmp_path: Path) -> None:
    path = tmp_path / "ms.jsonl"
    path.write_bytes(line(NOW * 1000))
    assert summary(iter_snapshots(path)) == [(1, "bad_now", [])]


def test_replay_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        list(iter_snapshots(tmp_path / "absent.jsonl.gz"))


class FakeStdin:
    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)


@pytest.mark.parametrize("compress", [True, False])
def test_replay_stdin(monkeypatch: pytest.MonkeyPatch, compress: bool) -> None:
    body = line(NOW) + b"\n" + line(NOW + 1, "ae0002")
    monkeypatch.setattr(sys, "stdin", FakeStdin(gzip.compress(body) if compress else body))
    items = list(iter_snapshots("-", source="pipe"))
    assert summary(items) == [(1, None, ["ae1234"]), (3, None, ["ae0002"])]
    assert items[0].snapshot is not None and items[0].snapshot.positions[0].source == "pipe"
    assert not sys.stdin.buffer.closed  # stdin is left open for its owner


def test_replay_empty_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", FakeStdin(b""))
    assert list(iter_snapshots("-")) == []
    monkeypatch.setattr(sys, "stdin", FakeStdin(b"\x1f"))
    assert summary(iter_snapshots("-")) == [(1, "truncated_input", [])]
