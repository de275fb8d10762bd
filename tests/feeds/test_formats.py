"""Source formats and planning: OpenSky, SBS, ADSBx endpoints and tiling, budgets,
breaker, backoff, fusion and `borderwatch feeds decode` (real captures where we have them)."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from service.feeds.adsbx import adsbx_urls
from service.feeds.fuse import Fuser, dated_after
from service.feeds.guard import Backoff, CircuitBreaker, DailyBudget, HostSpacing
from service.feeds.opensky import credit_cost, decode_states
from service.feeds.readsb import FeedDecodeError
from service.feeds.sbs import SbsAssembler
from service.feeds.tiles import haversine_nm, tile_box
from service.models import Position, Quality, Snapshot
from service.outbound import parse_retry_after
from service.settings import Settings
from service.settings.feeds import AdsbxFeed, OpenSkyFeed, QueryBox, QueryCircle
from tests.support.clock import InstantClock
from tests.support.paths import FEEDS, ROOT

needs_feeds = pytest.mark.usefixtures("feed_captures")


@needs_feeds
def test_opensky_capture_converts_metres_and_metres_per_second() -> None:
    data = (FEEDS / "opensky_states_all__edwin-huber-OpenSkysDemo__2020-11-23.json").read_bytes()
    snap = decode_states(data, source="os")
    first = {p.hex: p for p in snap.positions}["a808c4"]
    assert snap.now == 1606161360
    assert first.alt_ft == round(10408.92 * 3.28084)  # 34150 ft
    assert first.gs_kt == pytest.approx(197.02 * 1.943844, abs=0.06)  # 383 kt
    assert (first.lat, first.lon, first.callsign) == (37.3949, -76.7153, "PDT6007")
    assert first.quality is Quality.ADSB and first.source == "os"
    assert len(snap.positions) + sum(snap.rejected.values()) == 11


def test_opensky_hostile_rows_cost_only_themselves() -> None:
    good = [
        "ae1234",
        "RCH1    ",
        "United States",
        100,
        100,
        7.0,
        50.0,
        1000.0,
        False,
        100.0,
        90.0,
        0.0,
        None,
        1000.0,
        "7700",
        False,
        2,
    ]
    rows = [
        good,
        ["zz", *good[1:]],  # bad hex
        [*good[:5], 7.0, 95.0, *good[7:]],  # latitude out of range
        [*good[:5], None, None, *good[7:]],  # no position
        [*good[:3], 10, *good[4:]],  # position 90 s old
        good[:5],  # too short
        "not a row",
        [*good[:5], "7", True, *good[7:]],  # wrong types
    ]
    snap = decode_states(json.dumps({"time": 100, "states": rows}).encode(), source="os")
    assert len(snap.positions) == 1
    position = snap.positions[0]
    assert (position.squawk, position.quality, position.alt_ft) == ("7700", Quality.MLAT, 3281)
    assert snap.rejected == {
        "bad_hex": 1,
        "bad_coordinates": 1,
        "no_position": 2,
        "stale_position": 1,
        "malformed_record": 2,
    }
    assert decode_states(b'{"time": 5, "states": null}', source="os").positions == []
    for body, reason in [
        (b'{"time": 5, "states": [', "invalid_json"),
        (b"{}", "missing_now"),
        (b'{"time": 5, "states": 3}', "bad_aircraft_list"),
    ]:
        with pytest.raises(FeedDecodeError) as err:
            decode_states(body, source="os")
        assert err.value.reason == reason


def test_opensky_credit_costs_follow_the_published_table() -> None:
    def box(h: float, w: float) -> QueryBox:
        return QueryBox(lat_min=0, lat_max=h, lon_min=0, lon_max=w)

    assert [
        credit_cost(box(5, 5)),
        credit_cost(box(10, 10)),
        credit_cost(box(20, 20)),
        credit_cost(box(20, 21)),
        credit_cost(None),
    ] == [1, 2, 3, 4, 4]
    assert OpenSkyFeed(name="o", kind="opensky").credits_per_day() == 400
    assert OpenSkyFeed(name="o", kind="opensky", client_id="x").credits_per_day() == 4000


@needs_feeds
def test_sbs_capture_assembles_message_types_per_address() -> None:
    assembler = SbsAssembler("sbs")
    lines = FEEDS / "sbs_30003__GoogleCloudPlatform-specialized-training-content__2025-03-19.txt"
    for line in lines.read_text().splitlines():
        assembler.feed(line)
    snap = assembler.drain()
    by_hex = {p.hex: p for p in snap.positions}
    # ABFDAF: velocity from MSG 4, then two MSG 3 positions: one state, the newest fix.
    abfdaf = by_hex["abfdaf"]
    assert (abfdaf.lat, abfdaf.lon, abfdaf.alt_ft) == (33.32648, -117.6834, 18450)
    assert (abfdaf.gs_kt, abfdaf.track_deg) == (437.0, 138.0)
    assert abfdaf.time == pytest.approx(1742357909.326)
    assert len(snap.positions) == 4
    assert snap.rejected == {}
    assert assembler.drain().positions == []  # handed on once


def test_sbs_bad_lines_are_counted_and_relative_clocks_use_the_logged_time() -> None:
    assembler = SbsAssembler("sbs")
    msg3 = (
        "MSG,3,1,1,AE2FD0,1,1970/01/01,00:00:00.037,2025/08/13,08:38:30.000,"
        ",24000,,,29.26,-100.93,,,0,,0,0"
    )
    assembler.feed(
        "MSG,1,1,1,AE2FD0,1,2025/08/13,08:38:29.000,2025/08/13,08:38:29.000,TROY701 ,,,,,,,,,,,0"
    )
    assembler.feed(msg3)
    for bad in [
        "MSG,3,1",
        "MSG,3,1,1,XYZ,1" + ",x" * 16,
        msg3.replace("29.26", "99.5"),
        "MSG,3,1,1,AE2FD0,1,junk,junk,junk,junk,,1,,,1,1,,,,,,",
        "",
        "STA,,1,1",
    ]:
        assembler.feed(bad)
    snap = assembler.drain()
    (position,) = snap.positions
    assert position.callsign == "TROY701" and position.alt_ft == 24000
    assert position.time == 1755074310.0  # 2025-08-13 08:38:30 UTC from the logged fields
    assert snap.rejected == {"bad_line": 2, "bad_hex": 1, "bad_coordinates": 1}
    # A live stream trusts arrival time over a receiver clock far off.
    assembler.feed(msg3.replace("29.26", "29.30"), received=1_800_000_000.0)
    assert assembler.drain().positions[0].time == 1_800_000_000.0


def test_adsbx_endpoints_mil_points_tiles_and_hex_batches() -> None:
    feed = AdsbxFeed(
        name="lol",
        kind="adsbx",
        base_url="https://api.adsb.lol",
        mil=True,
        circles=[QueryCircle(lat=19.2, lon=-100.1, radius_nm=50)],
        boxes=[QueryBox(lat_min=25.5, lat_max=32.5, lon_min=-117, lon_max=-97)],
        hexes=["AE2FD0", "ae1234", "ae2fd0"],
        watch_list=True,
        hex_batch=2,
    )
    urls = adsbx_urls(feed, watch=["adfdf8", "~a55501"])
    assert urls[0] == "https://api.adsb.lol/v2/mil"
    assert urls[1] == "https://api.adsb.lol/v2/point/19.2/-100.1/50"
    points = [u for u in urls[2:] if "/point/" in u]
    assert len(points) >= 4
    assert [u for u in urls if "/hex/" in u] == [
        "https://api.adsb.lol/v2/hex/ae2fd0,ae1234",
        "https://api.adsb.lol/v2/hex/adfdf8",
    ]
    fi = AdsbxFeed(
        name="fi",
        kind="adsbx",
        base_url="https://opendata.adsb.fi/api",
        circles=[QueryCircle(lat=19.2, lon=-100.1, radius_nm=50)],
        point_path="lat-lon-dist",
    )
    assert adsbx_urls(fi) == ["https://opendata.adsb.fi/api/v2/lat/19.2/lon/-100.1/dist/50"]
    single = AdsbxFeed(name="one", kind="adsbx", url="https://api.adsb.lol/v2/mil")
    assert adsbx_urls(single) == ["https://api.adsb.lol/v2/mil"]


@pytest.mark.parametrize(
    "box", [(25.5, 32.5, -117, -97), (60, 80, -30, 40), (-10, 10, 170, 179.9), (0, 0.5, 0, 0.5)]
)
def test_tiles_cover_the_box_with_circles_of_at_most_250_nm(box: tuple[float, ...]) -> None:
    area = QueryBox(lat_min=box[0], lat_max=box[1], lon_min=box[2], lon_max=box[3])
    circles = tile_box(area)
    assert all(c.radius_nm <= 250 for c in circles)
    rng = random.Random(3)
    for _ in range(500):
        lat, lon = rng.uniform(box[0], box[1]), rng.uniform(box[2], box[3])
        assert any(haversine_nm(lat, lon, c.lat, c.lon) <= c.radius_nm for c in circles)


def test_polite_intervals_for_public_hosts_only() -> None:
    with pytest.raises(ValueError, match="at least 1 s"):
        AdsbxFeed(name="x", kind="adsbx", url="https://api.adsb.lol/v2/mil", interval_s=0.5)
    AdsbxFeed(name="x", kind="adsbx", url="http://127.0.0.1:8080/v2/mil", interval_s=0.05)
    with pytest.raises(ValueError, match="unique"):
        Settings.model_validate(
            {"feeds": [{"name": "a", "kind": "sbs"}, {"name": "a", "kind": "sbs"}]}
        )


def test_budget_breaker_backoff_and_retry_after() -> None:
    budget = DailyBudget(3)
    day = 86400 * 20000
    assert budget.try_spend(2, day + 10) and not budget.try_spend(2, day + 20)
    assert budget.remaining(day + 30) == 1
    budget.report(0, day + 40)  # the provider says none left: trusted when lower
    assert budget.remaining(day + 50) == 0 and not budget.try_spend(1, day + 60)
    assert budget.remaining(day + 86400) == 3  # a new UTC day
    assert DailyBudget.seconds_to_reset(day + 86000) == 400

    breaker = CircuitBreaker(threshold=3, probe_after_s=600)
    assert not any(breaker.record_failure(t) for t in (0, 1))
    assert breaker.record_failure(2) and breaker.is_open
    assert breaker.wait_before_request(302) == 300 and breaker.wait_before_request(602) == 0
    breaker.record_failure(602)  # the probe failed: open again for a full period
    assert breaker.wait_before_request(603) == 599
    breaker.record_success()
    assert not breaker.is_open and breaker.wait_before_request(603) == 0

    backoff = Backoff(10, 300, random.Random(1))
    waits = [backoff.next_wait() for _ in range(8)]
    steps = [20, 40, 80, 160, 300, 300, 300, 300]
    assert all(step / 2 <= wait <= step for wait, step in zip(waits, steps, strict=True))
    backoff.reset()
    assert backoff.next_wait() <= 20

    assert parse_retry_after("120") == 120
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470) == 10
    assert parse_retry_after("soon") is None and parse_retry_after("-5") == 0
    assert parse_retry_after("9" * 100) is None
    # A date without a zone is GMT, whatever the machine's time zone.
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 -0000", now=1445412470) == 10
    assert parse_retry_after("1.5") == 1.5 and parse_retry_after("nan") is None


def _pos(hex_: str, t: float, source: str) -> Position:
    return Position(hex=hex_, time=t, lat=1.0, lon=2.0, source=source)


def test_fusion_newest_wins_keeps_source_and_counts_a_report_once() -> None:
    fuser = Fuser()
    a = fuser.fuse(Snapshot(100, [_pos("aaaaaa", 99, "a"), _pos("bbbbbb", 98, "a")]))
    b = fuser.fuse(
        Snapshot(99, [_pos("aaaaaa", 99, "b"), _pos("bbbbbb", 97, "b"), _pos("cccccc", 99, "b")])
    )
    assert a is not None and b is not None
    assert [(p.hex, p.source) for p in b.positions] == [("cccccc", "b")]
    assert b.now > a.now  # the pipeline only takes newer snapshots
    assert (fuser.stats.duplicate, fuser.stats.superseded, fuser.stats.passed) == (1, 1, 3)
    assert fuser.fuse(Snapshot(101, [_pos("cccccc", 99, "a")])) is None  # nothing new


def test_fusion_after_a_restored_clock_stays_after_it() -> None:
    fused = dated_after(Snapshot(150, [_pos("aaaaaa", 149, "a")]), 200.0)
    assert fused is not None and fused.now > 200.0
    assert [p.hex for p in fused.positions] == ["aaaaaa"]


@needs_feeds
def test_feeds_decode_command_prints_positions_and_rejects() -> None:
    capture = FEEDS / "aircraft_json__dump1090fa__r00b-roob1090__2020-02-12.json"
    result = subprocess.run(
        [sys.executable, "-m", "service", "feeds", "decode", "--format", "readsb", str(capture)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 14
    assert set(lines[0]) == {
        "hex",
        "time",
        "lat",
        "lon",
        "alt_ft",
        "gs_kt",
        "track_deg",
        "callsign",
        "source",
    }
    assert any(p["hex"] == "ae038b" for p in lines)
    assert "14 positions" in result.stderr and "no_position 9" in result.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "service", "feeds", "decode", "--format", "opensky", str(capture)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert bad.returncode == 1 and "missing_now" in bad.stderr


def test_feeds_decode_sbs_counts_the_rejected_lines(tmp_path: Path) -> None:
    head = "MSG,3,1,1,{hex},1,2025/08/13,08:00:00.000,2025/08/13,08:00:00.000,,{alt},80,90"
    lines = [
        head.format(hex="AE2FD0", alt=999999) + ",19.2,-100.1,0,,,,,0",  # impossible altitude
        head.format(hex="ZZZZZZ", alt=20000) + ",19.2,-100.1,0,,,,,0",  # not an address
        head.format(hex="AE2FD1", alt=20000) + ",19.2,-100.1,0,,,,,0",
    ]
    capture = tmp_path / "capture.sbs"
    capture.write_text("\n".join(lines) + "\n")
    result = subprocess.run(
        [sys.executable, "-m", "service", "feeds", "decode", "--format", "sbs", str(capture)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    assert [json.loads(line)["hex"] for line in result.stdout.splitlines()] == ["ae2fd1"]
    assert "rejected: bad_altitude 1, bad_hex 1" in result.stderr


async def test_host_spacing_keeps_one_request_per_second_per_public_host() -> None:
    clock = InstantClock(100.0)
    spacing = HostSpacing(clock, gap_s=1.0)
    sent: list[tuple[str, float]] = []
    for host in ("api.adsb.lol", "api.adsb.lol", "opendata.adsb.fi", "api.adsb.lol"):
        await spacing.wait_turn(host)
        sent.append((host, clock.now))
    # Each adsb.lol request waits its turn; the other provider is not held up by it.
    assert sent == [
        ("api.adsb.lol", 100.0),
        ("api.adsb.lol", 101.0),
        ("opendata.adsb.fi", 101.0),
        ("api.adsb.lol", 102.0),
    ]
    assert clock.slept == [1.0, 1.0]
