"""The backtest: labels, scoring, the command, and the real development tracks."""

from __future__ import annotations

import asyncio
import io
import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from service.backtest import BacktestError, Progress, Report, backtest, run_command
from service.backtest.labels import load_labels, recording_name
from service.backtest.runner import Episode, RecordingRun
from service.backtest.score import country_path, score_recording
from service.models import Identity
from service.settings import DEFAULT_CONFIG, LoiterRule, Settings, load_settings
from tests.support.paths import ROOT, TRACKS, require

# The development tracks live in shared/ beside the repository (read-only).
T0 = 1_760_000_000.0


def labels_file(tmp_path: Path, content: Any) -> Path:
    path = tmp_path / "labels.json"
    path.write_text(json.dumps(content))
    return path


# --- labels ------------------------------------------------------------------------------


def test_labels_accept_the_development_format(tmp_path: Path) -> None:
    path = labels_file(
        tmp_path,
        {
            "kiruna": {
                "category": "calibration_vor_orbit",  # unknown keys are ignored
                "countries_land": ["se"],
                "flights": [
                    {
                        "hex": "4AB179",
                        "orbit_intervals": [
                            {"t_start_unix": 100.0, "t_end_unix": 1300.0},
                            {"t_start": "2019-01-30T09:46:15Z", "t_end": "2019-01-30T10:13:50"},
                        ],
                    },
                    {"hex": 393322, "orbit_intervals": []},  # an all-digit hex as a number
                ],
            }
        },
    )
    labels = load_labels(path)["kiruna"]
    assert labels.hexes == {"4ab179", "393322"}
    assert labels.countries == {"SE"}
    assert not labels.crosses_border
    first, second = labels.orbits
    assert (first.hex, first.start, first.duration_s) == ("4ab179", 100.0, 1200.0)
    assert second.start == 1548841575.0 and second.duration_s == 1655.0  # no offset: UTC


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            {"a": {"flights": [{"hex": ["x"]}]}},
            r"got `array` - at `\$\[\.\.\.\]\.flights\[0\]\.hex`",
        ),
        (
            {"a": {"flights": [{"hex": "abc123", "orbit_intervals": [{"t_start": "soon"}]}]}},
            r"a\.flights\[0\]\.orbit_intervals\[0\]\.t_start: 'soon' is not an ISO 8601 time",
        ),
        (
            {"a": {"flights": [{"hex": "abc123", "orbit_intervals": [{"t_start_unix": 5}]}]}},
            r"orbit_intervals\[0\]\.t_end: missing",
        ),
        ([1, 2], r"Expected `object`"),
    ],
)
def test_bad_labels_name_the_entry(tmp_path: Path, content: Any, message: str) -> None:
    with pytest.raises(BacktestError, match=message):
        load_labels(labels_file(tmp_path, content))


def test_recording_names() -> None:
    assert recording_name("/data/kiruna.jsonl.gz") == "kiruna"
    assert recording_name("perth.jsonl") == "perth"


# --- scoring -------------------------------------------------------------------------------


def episode(hex_: str, start: float, end: float, **extra: Any) -> Episode:
    rule = extra.pop("rule", "loiter")
    kind = "foreign_airspace" if rule == "fa" else "loiter"
    return Episode(rule, kind, hex_, start, start + 600, end, True, **extra)


def test_loiter_precision_recall_and_delay(tmp_path: Path) -> None:
    labels = load_labels(
        labels_file(
            tmp_path,
            {
                "r": {
                    "flights": [
                        {
                            "hex": "aaaaaa",
                            "orbit_intervals": [
                                {"t_start_unix": T0, "t_end_unix": T0 + 3600},  # caught late
                                {"t_start_unix": T0 + 7200, "t_end_unix": T0 + 7800},  # short
                                {"t_start_unix": T0 + 9000, "t_end_unix": T0 + 12000},  # missed
                            ],
                        }
                    ]
                }
            },
        )
    )["r"]
    ident = {"aaaaaa": Identity(hex="aaaaaa", category="government", state="US", reasons=[])}
    run = RecordingRun(
        "r",
        1,
        1,
        {},
        0.0,
        [
            episode("aaaaaa", T0 + 300, T0 + 3000),  # opened at T0 + 900
            episode("aaaaaa", T0 + 7000, T0 + 7300),  # overlaps the short one: still true
            episode("aaaaaa", T0 + 20000, T0 + 21000),  # nothing labelled: false
        ],
        ident,
    )
    (score,) = score_recording([LoiterRule(id="loiter")], run, labels, lambda lat, lon: "US")
    assert (score.episodes, score.true, score.false) == (3, 2, 1)
    assert (score.eligible, score.found) == (2, 1)  # the 10-minute orbit is too short
    assert score.delays == [900.0]
    assert score.precision == pytest.approx(2 / 3) and score.recall == 0.5
    # abroad_only: orbits centred at home are not the rule's business.
    at_home = load_labels(
        labels_file(
            tmp_path,
            {
                "r": {
                    "flights": [
                        {
                            "hex": "aaaaaa",
                            "orbit_intervals": [
                                {
                                    "t_start_unix": T0,
                                    "t_end_unix": T0 + 3600,
                                    "center_latlon": [1, 2],
                                }
                            ],
                        }
                    ]
                }
            },
        )
    )["r"]
    rule = LoiterRule(id="loiter", abroad_only=True)
    (score,) = score_recording([rule], run, at_home, lambda lat, lon: "US")
    assert score.eligible == 0
    (score,) = score_recording([rule], run, at_home, lambda lat, lon: "MX")
    assert score.eligible == 1


def test_country_path_reads_like_the_flight() -> None:
    legs = [
        episode("ac671b", T0, T0 + 600, rule="fa", country="BZ", came_from="", exit_to="MX"),
        episode("ac671b", T0 + 700, T0 + 900, rule="fa", country="MX", came_from="BZ", exit_to=""),
    ]
    legs[1].landfall = "US"
    assert country_path(legs) == "sea>BZ>MX>sea>US"


def test_progress_bar_draws_and_erases() -> None:
    stream = io.StringIO()
    progress = Progress(stream=stream, enabled=True)
    progress.start("[1/1] kiruna", 10)
    progress.update(10)
    progress.finish()
    text = stream.getvalue()
    assert "\r[1/1] kiruna" in text and "100%" in text and text.endswith("\r")
    quiet = io.StringIO()
    Progress(stream=quiet).start("x", 5)  # StringIO is not a terminal: nothing drawn
    assert quiet.getvalue() == ""


# --- the command -------------------------------------------------------------------------------


async def test_backtest_command_table_and_json(tmp_path: Path, boundaries_path: Path) -> None:
    recording = tmp_path / "orbit.jsonl"
    lines = []
    for i in range(12 * 45):  # a 45-minute orbit over Texas, every 5 s
        angle = 2 * math.pi * i / 120
        lat, lon = 31.0 + 0.06 * math.cos(angle), -100.0 + 0.07 * math.sin(angle)
        aircraft = {"hex": "a1b2c3", "lat": lat, "lon": lon, "alt_baro": 9000, "gs": 120}
        lines.append(json.dumps({"now": T0 + 5 * i, "aircraft": [aircraft]}))
    recording.write_text("\n".join(lines) + "\n")
    orbit = {"t_start_unix": T0, "t_end_unix": T0 + 2700}
    labels = labels_file(
        tmp_path, {"orbit": {"flights": [{"hex": "a1b2c3", "orbit_intervals": [orbit]}]}}
    )
    base = load_settings(DEFAULT_CONFIG, environ={})
    settings = base.model_copy(
        update={"boundaries": base.boundaries.model_copy(update={"path": boundaries_path})}
    )

    async def command(**options: bool) -> str:
        out = io.StringIO()
        flags = {"watch_all": True, "anywhere": True, "as_json": False, **options}
        await run_command(settings, [tmp_path, labels], out=out, **flags)
        return out.getvalue()

    table = await command()
    assert table.startswith("backtest: 1 recordings, 540 positions")
    row = next(line for line in table.splitlines() if line.startswith("loiter "))
    assert row.split()[2:9] == ["1", "1", "0", "1.00", "1", "1", "1.00"]

    document = json.loads(await command(as_json=True))
    loiter = next(r for r in document["rules"] if r["rule"] == "loiter")
    assert loiter["recall"] == 1.0 and loiter["delay_median_s"] < 1500
    assert document["recordings"][0]["episodes"][0]["hex"] == "a1b2c3"

    # Without --watch-all the civil aircraft is nobody's business: nothing to find.
    document = json.loads(await command(as_json=True, watch_all=False))
    assert next(r for r in document["rules"] if r["rule"] == "loiter")["eligible"] == 0

    # The command line itself, as a user runs it.
    env = {**os.environ, "BORDERWATCH_BOUNDARIES": str(boundaries_path)}
    run = [sys.executable, "-m", "service", "backtest", str(recording)]
    done = subprocess.run(
        [*run, str(labels), "--watch-all"], env=env, capture_output=True, cwd=ROOT
    )
    assert done.returncode == 0 and b"loiter " in done.stdout
    assert b"alert.notified" not in done.stderr  # per-alert logs stay off
    done = subprocess.run(
        [*run, str(tmp_path / "nope.json")], env=env, capture_output=True, cwd=ROOT
    )
    assert done.returncode == 2 and b"cannot read labels" in done.stderr


# --- the development tracks --------------------------------------------------------------------

POSITIVE = ["kiruna", "perth", "toulouse"]
NEGATIVE = ["fr24_34a8254b", "full_flight_short", "easter_rabbit", "texas", "zero_gravity"]


@pytest.fixture(scope="module")
def dev_report(boundaries_path: Path) -> Report:
    require((TRACKS / "labels.json").is_file(), f"development tracks not found at {TRACKS}")
    base = load_settings(DEFAULT_CONFIG, environ={})
    boundaries = base.boundaries.model_copy(update={"path": boundaries_path})
    settings: Settings = base.model_copy(update={"boundaries": boundaries, "feeds": []})
    files = [TRACKS / f"{name}.jsonl.gz" for name in [*POSITIVE, *NEGATIVE, "landing_denver"]]
    labels = load_labels(TRACKS / "labels.json")
    return asyncio.run(backtest(settings, files, labels, watch_all=True, anywhere=True))


def by_rule(report: Report, recording: str, rule_id: str) -> Any:
    return next(s for s in report.scores[recording] if s.rule_id == rule_id)


@pytest.mark.parametrize("name", POSITIVE)
def test_real_orbits_are_found(dev_report: Report, name: str) -> None:
    score = by_rule(dev_report, name, "loiter")
    assert score.eligible and score.found == score.eligible
    assert score.false == 0


@pytest.mark.parametrize("name", NEGATIVE)
def test_route_and_pattern_flights_do_not_loiter(dev_report: Report, name: str) -> None:
    assert by_rule(dev_report, name, "loiter").episodes == 0


def test_delta_from_belize_crosses_mexico_into_the_us(dev_report: Report) -> None:
    score = by_rule(dev_report, "landing_denver", "foreign-airspace")
    assert (score.true, score.false, score.eligible, score.found) == (2, 0, 2, 2)
    (path,) = score.crossings
    assert path.startswith("ac671b US: ") and "BZ>MX" in path and path.endswith("US")
    # Mexico is confirmed on the first report after a 2-minute coverage gap at the border.
    assert score.delays and max(score.delays) < 150 and min(score.delays) < 60


def test_dev_totals(dev_report: Report) -> None:
    loiter = next(s for s in dev_report.totals if s.rule_id == "loiter")
    assert loiter.precision == 1.0 and loiter.recall == 1.0
    assert not any(run.rejected.get("impossible_speed") for run in dev_report.runs)
