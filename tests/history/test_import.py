"""`borderwatch history import` and the hours-abroad report on real DuckDB files."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from service.history.reports import Filters, hours_abroad
from service.history.writer import connect
from service.locate import Boundaries
from tests.history.support import (
    history_settings,
    hours_by_country,
    import_into,
    raw_positions,
    table_counts,
)
from tests.runtime.support import service_env
from tests.support.paths import ROOT

TROY = "ae2fd0"
MINUTE_H = 1 / 60


@pytest.fixture(scope="module")
def boundaries(boundaries_path: Path) -> Boundaries:
    return Boundaries.load(boundaries_path)


async def test_troy701_mexico_hours_to_the_minute(
    boundaries: Boundaries, boundaries_path: Path, troy701_path: Path, tmp_path: Path
) -> None:
    history_file = tmp_path / "history.duckdb"
    settings = history_settings(boundaries_path, history_file)
    summary = await import_into(settings, boundaries, [troy701_path])
    assert summary.files == 1 and not summary.refused
    flight_h, by_country = hours_by_country(boundaries, raw_positions(troy701_path)[TROY])
    with connect(history_file, read_only=True) as con:
        rows = {row.key: row.as_json() for row in hours_abroad(con, "aircraft")}
    troy = rows[TROY]
    assert troy["label"] == "TROY701"
    assert abs(troy["by_country"]["MX"] - by_country["MX"]) < MINUTE_H
    assert abs(troy["abroad_hours"] - by_country["MX"]) < MINUTE_H
    assert abs(troy["flight_hours"] - flight_h) < MINUTE_H
    assert by_country["MX"] > 5  # the story: most of the day in Mexico
    assert troy["episodes"] == 1 and troy["dark_exits"] == 1  # its signal was lost there


async def test_importing_twice_adds_nothing(
    boundaries: Boundaries, boundaries_path: Path, troy701_path: Path, tmp_path: Path
) -> None:
    history_file = tmp_path / "history.duckdb"
    settings = history_settings(boundaries_path, history_file)
    await import_into(settings, boundaries, [troy701_path])
    first = table_counts(history_file)
    with connect(history_file, read_only=True) as con:
        report = [row.as_json() for row in hours_abroad(con)]
    await import_into(settings, boundaries, [troy701_path])
    assert table_counts(history_file) == first
    assert first[0] > 100 and first[1] >= 2
    with connect(history_file, read_only=True) as con:
        assert [row.as_json() for row in hours_abroad(con)] == report


async def test_multi_day_recordings_match_a_hand_computed_figure(
    boundaries: Boundaries, boundaries_path: Path, track_recordings: Path, tmp_path: Path
) -> None:
    """The two TV-relay aircraft of the Tour de France 2020, 32 flight days over three
    weeks, all counted as government aircraft: the hours they spent outside France."""
    recording = track_recordings / "tour_de_france.jsonl.gz"
    history_file = tmp_path / "history.duckdb"
    settings = history_settings(boundaries_path, history_file)
    await import_into(settings, boundaries, [recording], watch_all=True)
    with connect(history_file, read_only=True) as con:
        by_aircraft = {row.key: row.as_json() for row in hours_abroad(con, "aircraft")}
        by_state = [row.as_json() for row in hours_abroad(con, "state")]
        days = hours_abroad(con, "aircraft", Filters(until=1_598_918_400.0))  # before Sep 1
    positions = raw_positions(recording)
    assert set(by_aircraft) == set(positions)
    for hex_, points in positions.items():
        flight_h, inside = hours_by_country(boundaries, points)
        row = by_aircraft[hex_]
        assert abs(row["flight_hours"] - flight_h) < MINUTE_H, hex_
        abroad = {c: h for c, h in inside.items() if c not in ("", "FR")}
        assert set(row["by_country"]) == {c for c, h in abroad.items() if h >= 0.5 / 3600}
        for country, hours in abroad.items():
            assert abs(row["by_country"].get(country, 0.0) - hours) < MINUTE_H, (hex_, country)
    assert [row["key"] for row in by_state] == ["FR"]
    total = by_state[0]
    assert (round(total["flight_hours"] * 60), round(total["abroad_hours"] * 60)) == HAND_COMPUTED
    assert sum(row.flight_s for row in days) < total["flight_hours"] * 3600


# Minutes flown and minutes abroad, both aircraft together, as counted by hand from
# the recording's positions (intervals of at most 10 minutes; 3924a4: 7,357 min flown,
# 59 in Switzerland, 2.7 in Austria, 2.3 in Germany, 1 in Spain; 39cd0b: 713 min, all
# in France).
HAND_COMPUTED = (8070, 65)


def test_bad_files_are_named_and_the_import_goes_on(
    boundaries_path: Path, troy701_path: Path, tmp_path: Path
) -> None:
    history_file = tmp_path / "history.duckdb"
    config = tmp_path / "config.yaml"
    config.write_text(
        json.dumps(
            {
                "boundaries": {"path": str(boundaries_path)},
                "history": {"path": str(history_file)},
                "rules": [{"id": "foreign-airspace", "type": "foreign_airspace"}],
            }
        )
    )
    not_json = tmp_path / "notes.txt"
    not_json.write_text("hello\nworld\n")
    broken_trace = tmp_path / "trace_full_ae2fd0.json"
    broken_trace.write_bytes(gzip.compress(b'{"icao": "ae2fd0", "timestamp": 1, "trace": 5}'))
    missing = tmp_path / "missing.jsonl"
    files = [str(not_json), str(troy701_path), str(broken_trace), str(missing)]
    # Two processes play the four files (the parallel import), this one writes.
    done = subprocess.run(
        [sys.executable, "-m", "service", "history", "import", "--jobs", "2",
         "--config", str(config), *files],
        cwd=ROOT, env=service_env(), capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    errors = done.stderr.strip().splitlines()
    assert errors == [
        f"borderwatch: {not_json}: not a recording or trace file: no snapshot in 2 lines",
        f"borderwatch: {broken_trace}: not a trace file: no `trace` array",
        f"borderwatch: {missing}: No such file or directory",
    ]
    summary = done.stdout.strip().splitlines()
    assert len(summary) == 1 and summary[0].startswith("imported 1 of 4 files: 9,095 positions")
    assert table_counts(history_file)[1] >= 1  # TROY701's episode, despite the others
