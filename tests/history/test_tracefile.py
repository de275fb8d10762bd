"""readsb trace files: decoded whatever the bytes (Hypothesis), and imported through
the pipeline to the same hours as the recording they were made from."""

from __future__ import annotations

import asyncio
import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.history import importer
from service.history.reports import hours_abroad
from service.history.tracefile import TraceError, TraceFile, decode_trace
from service.history.writer import connect
from service.locate import Boundaries
from service.models import Position, Snapshot
from tests.history.support import history_settings, hours_by_country, import_into, raw_positions

FUZZ = settings(
    deadline=None,
    max_examples=200,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
TROY = "ae2fd0"
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.floats()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.just(10**400)
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=6) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=30,
)
NUMBER = st.floats() | st.integers(min_value=-(2**60), max_value=2**60) | st.just(10**400)
POINTS = st.lists(
    st.lists(NUMBER | st.none() | st.just("ground") | st.text(max_size=4), max_size=14)
    | st.tuples(
        NUMBER, NUMBER, NUMBER, NUMBER | st.just("ground") | st.none(), NUMBER | st.none(),
        NUMBER | st.none(), st.integers(0, 15), st.none() | st.integers(),
        st.none() | st.dictionaries(st.sampled_from(["flight", "squawk", "x"]), JSON, max_size=3),
    ).map(list)
    | JSON,
    max_size=20,
)  # fmt: skip
TRACES = st.fixed_dictionaries(
    {},
    optional={
        "icao": st.just("ae2fd0") | st.just("~ae2fd0") | st.text(max_size=8) | JSON,
        "timestamp": NUMBER | JSON,
        "trace": POINTS | JSON,
        "r": JSON,
        "t": JSON,
        "dbFlags": st.integers(-(2**40), 2**40) | JSON,
    },
)


def _decoded(data: bytes) -> TraceFile | None:
    try:
        return decode_trace(data)
    except TraceError as exc:
        assert "\n" not in str(exc)
        return None


@FUZZ
@given(TRACES)
def test_any_document_decodes_or_is_refused_in_one_line(document: dict[str, Any]) -> None:
    data = json.dumps(document, allow_nan=True).encode()
    found = _decoded(data)
    if found is None:
        return
    times = [p.time for p in found.positions]
    assert times == sorted(times)
    for position in found.positions:
        assert -90 <= position.lat <= 90 and -180 <= position.lon <= 180
        assert position.hex == found.hex


@FUZZ
@given(st.binary(max_size=300), st.integers(0, 400), st.binary(max_size=8))
def test_mutated_bytes_decode_or_are_refused(noise: bytes, cut: int, insert: bytes) -> None:
    good = json.dumps(
        {
            "icao": "ae2fd0",
            "timestamp": 1755071100.0,
            "r": "CBP-113",
            "trace": [
                [0, 29.0, -101.0, 12000, 80.0, 180.0, 0, None, {"flight": "TROY701 "}],
                [10.5, 29.01, -101.0, "ground", None, None, 2, None, None],
            ],
        }
    ).encode()
    _decoded(good[:cut] + insert + good[cut:] + noise)
    _decoded(noise)
    _decoded(b"[" * 100_000)


def test_a_good_trace_carries_callsign_and_squawk_forward() -> None:
    found = decode_trace(
        json.dumps(
            {
                "icao": "AE2FD0",
                "timestamp": 1000.0,
                "r": "CBP-113",
                "t": "Q9",
                "dbFlags": 0,
                "trace": [
                    [
                        5,
                        29.0,
                        -101.0,
                        12000,
                        80.0,
                        180.0,
                        0,
                        None,
                        {"flight": "TROY701 ", "squawk": "7000"},
                        "adsb_icao",
                    ],
                    [0, 28.9, -101.0, 11000, 80.0, 180.0, 0],
                    [9, 29.01, -101.0, "ground", None, None, 2, None, None],
                    "junk",
                    [1, 95.0, 0, None, None, None, 0],
                ],
            }
        ).encode()
    )
    assert found.hex == TROY
    assert [p.time for p in found.positions] == [1000.0, 1005.0, 1009.0]
    # Carried forward in the file's order (the point at +0 comes after the one at +5).
    assert [p.callsign for p in found.positions] == ["TROY701"] * 3
    assert found.positions[2].on_ground and found.positions[2].squawk == "7000"
    assert found.positions[0].registration == "CBP-113" and found.positions[0].type_code == "Q9"
    assert found.rejected == {"bad_trace_point": 1, "bad_coordinates": 1}


def trace_of(recording: Path, hex_: str, out: Path) -> Path:
    """A readsb trace file (gzip, as the history releases ship it) of one aircraft of a
    recording: its positions, the callsign in the details now and then."""
    points: list[list[Any]] = []
    base: float | None = None
    meta: dict[str, Any] = {}
    with gzip.open(recording, "rt") as lines:
        for line in lines:
            snapshot = json.loads(line)
            for record in snapshot["aircraft"]:
                if record.get("hex") != hex_ or "lat" not in record:
                    continue
                time = snapshot["now"] - record.get("seen_pos", 0.0)
                base = time if base is None else base
                meta = {"r": record.get("r"), "t": record.get("t")}
                details = {"flight": record.get("flight"), "squawk": record.get("squawk")}
                points.append([round(time - base, 2), record["lat"], record["lon"],
                               record.get("alt_baro"), record.get("gs"), record.get("track"),
                               0, None, details if len(points) % 20 == 0 else None,
                               record.get("type")])  # fmt: skip
    out.write_bytes(gzip.compress(json.dumps({"icao": hex_, "timestamp": base, **meta,
                                               "trace": points}).encode()))  # fmt: skip
    return out


async def test_a_trace_file_imports_to_the_hours_of_its_recording(
    boundaries_path: Path, troy701_path: Path, tmp_path: Path
) -> None:
    boundaries = Boundaries.load(boundaries_path)
    trace = trace_of(troy701_path, TROY, tmp_path / f"trace_full_{TROY}.json")
    history_file = tmp_path / "history.duckdb"
    summary = await import_into(
        history_settings(boundaries_path, history_file), boundaries, [trace]
    )
    assert summary.files == 1 and summary.episodes > 0
    _, by_country = hours_by_country(boundaries, raw_positions(troy701_path)[TROY])
    with connect(history_file, read_only=True) as con:
        (row,) = [r.as_json() for r in hours_abroad(con)]
    assert row["key"] == TROY and row["label"] == "TROY701"
    assert abs(row["by_country"]["MX"] - by_country["MX"]) < 1 / 60
    assert row["episodes"] == 1


async def test_the_trace_files_of_a_day_import_together_as_their_recording_does(
    boundaries_path: Path, troy701_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each trace file holds one aircraft; played together (merged into snapshots in time
    # order), in two groups here, they give the hours their recording gives.
    monkeypatch.setattr(importer, "TRACE_GROUP", 10)
    boundaries = Boundaries.load(boundaries_path)
    hexes = sorted(raw_positions(troy701_path))
    traces = [trace_of(troy701_path, h, tmp_path / f"trace_full_{h}.json") for h in hexes]
    by_file, by_recording = tmp_path / "traces.duckdb", tmp_path / "recording.duckdb"
    played = await import_into(
        history_settings(boundaries_path, by_file), boundaries, traces, watch_all=True
    )
    await import_into(
        history_settings(boundaries_path, by_recording), boundaries, [troy701_path],
        watch_all=True,
    )  # fmt: skip
    assert played.files == len(hexes) > 10 and not played.refused
    reports = []
    for path in (by_file, by_recording):
        with connect(path, read_only=True) as con:
            reports.append({r.key: r.as_json() for r in hours_abroad(con)})
    from_traces, from_recording = reports
    assert from_traces.keys() == from_recording.keys() and len(from_traces) == len(hexes)
    for key, row in from_recording.items():
        assert abs(from_traces[key]["flight_hours"] - row["flight_hours"]) < 1 / 60
        assert abs(from_traces[key]["abroad_hours"] - row["abroad_hours"]) < 1 / 60
    assert from_traces[TROY]["episodes"] == from_recording[TROY]["episodes"] == 1


def test_merged_traces_are_snapshots_a_poll_long_one_position_per_aircraft() -> None:
    def track(hex_: str, times: list[float]) -> list[Position]:
        return [Position(hex_, t, 19.0, -99.0) for t in times]

    traces = [track("ae0001", [0, 1, 2, 10]), track("ae0002", [0.5, 7, 8]), track("ae0003", [])]

    async def played() -> list[Snapshot | str]:
        return [s async for s in importer._merged_snapshots(traces)]

    snapshots = asyncio.run(played())
    assert [
        (s.now, [(p.hex, p.time) for p in s.positions])
        for s in snapshots
        if isinstance(s, Snapshot)
    ] == [
        (0.5, [("ae0001", 0), ("ae0002", 0.5)]),
        (1, [("ae0001", 1)]),
        (2, [("ae0001", 2)]),  # ae0001 again: a new snapshot
        (7, [("ae0002", 7)]),  # 2 to 7 s: longer than a poll's span
        (10, [("ae0002", 8), ("ae0001", 10)]),
    ]


def test_trace_files_are_grouped_in_name_order_up_to_a_count_and_a_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "TRACE_GROUP", 3)
    monkeypatch.setattr(importer, "TRACE_GROUP_BYTES", 1000)
    sizes = {"a": 100, "b": 100, "c": 100, "d": 100, "e": 900, "f": 2000, "g": 10}
    traces = {}
    for name, size in sizes.items():
        traces[name] = tmp_path / f"trace_full_{name}.json"
        traces[name].write_bytes(b" " * size)
    recording = tmp_path / "day.jsonl"
    recording.write_text("")
    missing = tmp_path / "trace_full_zz.json"  # no such file: refused when played
    named = [traces["g"], recording, *(traces[n] for n in "fedcba"), missing]

    def label(path: Path) -> str:
        return path.name.removeprefix("trace_full_").split(".")[0]

    # Three files at most; a file that would take a group past the size starts the
    # next one; groups come where their first-named file was.
    assert [([label(p) for p in task.paths], task.traces) for task in importer._tasks(named)] == [
        (["g", "zz"], True),
        (["day"], False),
        (["f"], True),
        (["d", "e"], True),
        (["a", "b", "c"], True),
    ]
