"""The development set of issue 15 (tests/data/devset): its labels and the rules' verdicts.

The whole set runs once through the real pipeline with the shipped configuration
(about 15 s), so CI keeps what docs/backtest.md reports: quiet flights raise nothing,
every labelled country entry opens its own episode within two polls, home
surveillance by government and police and loiters abroad by military aircraft are
found, and nothing else alerts. Also: the new label keys, their errors, fuzzed.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from service.backtest import BacktestError, Report, backtest, groups
from service.backtest.labels import decode_labels, load_labels, load_many
from service.models import Category
from service.settings import DEFAULT_CONFIG, Settings, load_settings
from tests.support.paths import ROOT

DEVSET = ROOT / "tests" / "data" / "devset"

# --- the labels ----------------------------------------------------------------------------


def test_the_devset_labels_load_and_cover_every_recording() -> None:
    labels = load_labels(DEVSET / "labels.json")
    names = {p.name.removesuffix(".jsonl.gz") for p in DEVSET.glob("*.jsonl.gz")}
    assert len(names) >= 20 and names == set(labels)
    assert all(r.as_configured for r in labels.values())
    shapes = {o.shape for r in labels.values() for o in r.orbits}
    assert {"orbit", "racetrack"} <= shapes
    assert sum(len(r.crossings) for r in labels.values()) >= 50
    assert sum(len(r.quiet) for r in labels.values()) >= 10


def test_new_label_keys() -> None:
    blob = {
        "trip": {
            "as_configured": True,
            "flights": [
                {
                    "hex": "AE07F2",
                    "category": "military",
                    "crossings": [
                        {"country": "de", "t_unix": 100.0},
                        {"country": "LU", "t": "1970-01-01T00:10:00Z"},
                    ],
                    "orbit_intervals": [
                        {"t_start_unix": 0, "t_end_unix": 1300, "shape": "racetrack"}
                    ],
                },
                {"hex": "4b1a07", "quiet": True},
            ],
        }
    }
    (trip,) = decode_labels(json.dumps(blob).encode(), "x.json").values()
    assert trip.as_configured
    assert [(c.hex, c.country, c.time) for c in trip.crossings] == [
        ("ae07f2", "DE", 100.0),
        ("ae07f2", "LU", 600.0),
    ]
    assert trip.crossing_hexes == {"ae07f2"} and trip.quiet == {"4b1a07"}
    assert trip.categories == (("ae07f2", Category.MILITARY),)
    assert trip.orbits[0].shape == "racetrack"


@pytest.mark.parametrize(
    ("flight", "message"),
    [
        (
            {"crossings": [{"country": "Germany", "t_unix": 1}]},
            r"r\.flights\[0\]\.crossings\[0\]\.country: 'Germany' is not alpha-2",
        ),
        ({"crossings": [{"country": "DE"}]}, r"r\.flights\[0\]\.crossings\[0\]\.t: missing"),
        (
            {"crossings": [{"country": "DE", "t": "later"}]},
            r"crossings\[0\]\.t: 'later' is not an ISO 8601 time",
        ),
        ({"category": "spy"}, r"Expected `str` matching|Invalid enum value 'spy'"),
        (
            {"hex": "nothex", "category": "police"},
            r"r\.flights\[0\]\.hex: 'nothex' is not a 24-bit address",
        ),
        (
            {"orbit_intervals": [{"t_start_unix": 0, "t_end_unix": 1, "shape": "blob"}]},
            r"Invalid enum value 'blob'",
        ),
        ({"quiet": "yes"}, r"Expected `bool`"),
    ],
)
def test_bad_new_labels_give_one_line_naming_the_entry(
    flight: dict[str, Any], message: str
) -> None:
    blob = {"r": {"flights": [{"hex": "abc123", **flight}]}}
    with pytest.raises(BacktestError, match=message) as caught:
        decode_labels(json.dumps(blob).encode(), "labels.json")
    assert "\n" not in str(caught.value)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
_entry = st.fixed_dictionaries(
    {},
    optional={
        "country": st.text(max_size=3) | _json,
        "t_unix": st.floats(allow_nan=False) | _json,
        "t": st.text(max_size=25) | _json,
    },
)
_flight = st.fixed_dictionaries(
    {"hex": st.text(max_size=7) | st.integers(min_value=0) | _json},
    optional={
        "crossings": st.lists(_entry, max_size=3) | _json,
        "quiet": st.booleans() | _json,
        "category": st.sampled_from(["military", "government", "police", "civil"]) | _json,
        "orbit_intervals": st.lists(
            st.fixed_dictionaries(
                {},
                optional={
                    "t_start_unix": st.floats(allow_nan=False),
                    "t_end_unix": st.floats(allow_nan=False),
                    "shape": st.sampled_from(["orbit", "racetrack", "circle"]),
                },
            ),
            max_size=2,
        ),
    },
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.text(max_size=6),
        st.fixed_dictionaries(
            {},
            optional={
                "flights": st.lists(_flight, max_size=3) | _json,
                "as_configured": st.booleans() | _json,
            },
        ),
        max_size=2,
    )
)
@example(blob={"\n": {"flights": [{"hex": "", "orbit_intervals": [{}]}]}})
@example(blob={"\n": {"flights": [{"hex": "", "category": "military"}]}})
def test_fuzzed_labels_decode_or_fail_in_one_line(blob: dict[str, Any]) -> None:
    try:
        decoded = decode_labels(json.dumps(blob).encode(), "fuzz.json")
    except BacktestError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("fuzz.json")
        return
    assert set(decoded) == set(blob)


def test_an_overlay_adds_to_the_labels_it_follows(tmp_path: Path) -> None:
    base, overlay = tmp_path / "labels.json", tmp_path / "overlay.json"
    orbit = {"t_start_unix": 0, "t_end_unix": 3000}
    base.write_text(
        json.dumps(
            {
                "r": {
                    "countries_land": ["US"],
                    "flights": [{"hex": "a1", "orbit_intervals": [orbit]}],
                }
            }
        )
    )
    overlay.write_text(json.dumps({"r": {"flights": [{"hex": "a2", "orbit_intervals": [orbit]}]}}))
    merged = load_many([base, overlay])["r"]
    assert [o.hex for o in merged.orbits] == ["a1", "a2"] and merged.countries == {"US"}


def test_the_shared_labels_overlay_gives_a_reason_for_each_correction() -> None:
    overlay = json.loads((ROOT / "tests" / "data" / "labels-overlay.json").read_text())
    intervals = [o for r in overlay.values() for f in r["flights"] for o in f["orbit_intervals"]]
    assert intervals and all(o["reason"] for o in intervals)


def test_groups_split_recordings_from_their_labels(tmp_path: Path) -> None:
    tracks, devset = tmp_path / "tracks", tmp_path / "devset"
    tracks.mkdir()
    devset.mkdir()
    a, b, overlay = tracks / "labels.json", devset / "labels.json", tmp_path / "overlay.json"
    assert groups([tracks, a, devset, b]) == [([tracks], [a]), ([devset], [b])]
    assert groups([tracks, a, overlay]) == [([tracks], [a, overlay])]
    with pytest.raises(BacktestError, match="no labels file"):
        groups([tracks, a, devset])
    with pytest.raises(BacktestError, match="no recordings before"):
        groups([a, tracks, b])


# --- the verdicts -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def devset_report(boundaries_path: Path) -> Report:
    base = load_settings(DEFAULT_CONFIG, environ={})
    boundaries = base.boundaries.model_copy(update={"path": boundaries_path})
    shipped: Settings = base.model_copy(update={"boundaries": boundaries, "feeds": []})
    files = sorted(DEVSET.glob("*.jsonl.gz"))
    labels = load_labels(DEVSET / "labels.json")
    # --watch-all and --anywhere are given and must not apply: every recording is
    # labelled as_configured.
    return asyncio.run(backtest(shipped, files, labels, watch_all=True, anywhere=True))


def totals(report: Report) -> dict[str, Any]:
    return {s.rule_id: s for s in report.totals}


@pytest.mark.timeout(300)
def test_quiet_flights_raise_nothing(devset_report: Report) -> None:
    labels = load_labels(DEVSET / "labels.json")
    quiet = {(name, h) for name, r in labels.items() for h in r.quiet}
    loud = [(run.name, e.rule_id, e.hex) for run in devset_report.runs for e in run.episodes]
    assert [x for x in loud if (x[0], x[2]) in quiet] == []
    assert all(s.quiet_false == 0 for s in devset_report.totals)


def test_every_entry_opens_its_own_episode_within_two_polls(devset_report: Report) -> None:
    crossings = totals(devset_report)["foreign-airspace"]
    assert crossings.eligible >= 60
    assert crossings.found == crossings.eligible and crossings.false == 0
    assert max(crossings.delays) < 4 * 60  # opened within minutes of the labelled entry


def test_home_surveillance_by_government_and_police_is_found(devset_report: Report) -> None:
    home = totals(devset_report)["loiter"]
    assert home.eligible is not None and home.eligible >= 15
    assert home.found == home.eligible and home.false == 0
    for name in (
        "surveillance_cbp_arizona",
        "surveillance_police_london",
        "surveillance_police_calais",
        "navaid_orbit_san_antonio",
        "hold_government_tucson",
    ):
        score = next(s for s in devset_report.scores[name] if s.rule_id == "loiter")
        assert score.found == score.eligible == 1, name


def test_military_loiters_abroad_only(devset_report: Report) -> None:
    military = totals(devset_report)["loiter-military"]
    assert military.false == 0 and military.found == military.eligible
    for name in (
        "racetrack_black_sea",
        "racetrack_mediterranean",
        "racetrack_sicily_libya",
        "tanker_north_sea",
        "real_perth_orbit_baltic",
        "navaid_orbit_groningen",
        "real_kiruna_norwegian_military",
    ):
        score = next(s for s in devset_report.scores[name] if s.rule_id == "loiter-military")
        assert score.eligible and score.found == score.eligible, name


def test_the_shapes_reported_are_the_shapes_flown(devset_report: Report) -> None:
    checked = sum(s.shapes_checked for s in devset_report.totals)
    assert checked >= 10
    assert sum(s.shapes_right for s in devset_report.totals) == checked
