"""A track's memory is bounded by time: full detail for the recent past, thinned
history before it (every crossing kept), nothing beyond the window."""

from __future__ import annotations

import itertools
import tracemalloc
from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from service.detect.rules import Detector
from service.models import Airspace, Identity, Position
from service.settings import Settings, TrackSettings
from service.store import MemoryStore
from service.track import Track, TrackPoint, point_decoder
from service.track.fleet import STORE_SLACK, STORE_SLACK_POINTS, STORE_SLACK_SPREAD, Fleet

T0 = 1_755_072_000.0
HOUR = 3600.0


def at(t: float, country: str | None = "MX") -> TrackPoint:
    return TrackPoint(t, 19.0, -100.0, 20_000, 200.0, 90.0, False, country, None)


def bounded() -> Track:
    return Track(100_000, detail_s=HOUR, thin_s=300, window_s=12 * HOUR)


def test_recent_points_stay_in_full_detail_and_older_ones_are_thinned() -> None:
    track = bounded()
    for i in range(int(6 * HOUR / 10)):  # six hours, a point every 10 s
        track.append(at(T0 + i * 10))
    last = track.last
    assert last is not None
    recent = track.since(last.time - HOUR)
    assert len(recent) == 361  # every point of the last hour
    # One per thin_s before that.
    older = [p for p in track.points if p.time < last.time - HOUR]
    gaps = [b.time - a.time for a, b in itertools.pairwise(older)]
    assert gaps and min(gaps) >= 300
    # Bounded: 361 + 5 h / 5 min, far below the 2,160 points heard.
    assert len(track) <= 361 + 5 * 12


def test_thinning_keeps_every_change_of_country() -> None:
    track = bounded()
    countries = ["US", "MX"]
    for i in range(int(4 * HOUR / 10)):
        track.append(at(T0 + i * 10, countries[(i // 7) % 2]))  # a crossing every 70 s
    crossings = sum(a.country != b.country for a, b in itertools.pairwise(track.points))
    assert crossings == int(4 * HOUR / 10) // 7


def test_history_beyond_the_window_is_dropped() -> None:
    track = Track(100_000, detail_s=HOUR, thin_s=0, window_s=2 * HOUR)
    for i in range(int(5 * HOUR / 10)):
        track.append(at(T0 + i * 10))
    first, last = track.first_time, track.last
    assert first is not None and last is not None
    assert last.time - first == 2 * HOUR
    assert len(track) == int(2 * HOUR / 10) + 1  # thin_s 0: no thinning


def test_a_restored_track_is_bounded_the_same_way() -> None:
    points = [at(T0 + i * 10) for i in range(int(6 * HOUR / 10))]
    live = bounded()
    for point in points:
        live.append(point)
    restored = Track(100_000, points, detail_s=HOUR, thin_s=300, window_s=12 * HOUR)
    assert len(restored) <= len(live)
    assert restored.since(T0 + 5 * HOUR) == live.since(T0 + 5 * HOUR)


def test_the_fleet_keeps_the_detail_its_longest_rule_looks_back_over() -> None:
    settings = Settings.model_validate(
        {"rules": [{"id": "slow", "type": "loiter", "min_dwell_s": 3 * HOUR}]}
    )
    history = Detector(settings.rules).history_s()
    assert history >= 3 * HOUR
    fleet = Fleet(MemoryStore(), TrackSettings(detail_s=600), aircraft_ttl_s=60, history_s=history)
    identity = Identity(hex="ae2fd0", category="military", state="US", reasons=[])
    for i in range(int(5 * HOUR / 10)):
        position = Position(hex="ae2fd0", time=T0 + i * 10, lat=19.0, lon=-100.0, source="t")
        fleet.follow(
            [(position, identity)], [Airspace(country="MX", depth_km=None)], lambda reason: None
        )
    track = fleet.aircraft["ae2fd0"].track
    assert len(track.since(T0 + 5 * HOUR - 10 - 3 * HOUR)) == int(3 * HOUR / 10) + 1


async def test_the_store_holds_the_bounded_track_not_every_point_heard() -> None:
    store = MemoryStore()
    settings = TrackSettings(detail_s=HOUR, thin_s=300, window_s=4 * HOUR)
    fleet = Fleet(store, settings, aircraft_ttl_s=86_400, max_skew_s=1e12)
    identity = Identity(hex="ae2fd0", category="military", state="US", reasons=[])
    heard = int(6 * HOUR / 10)
    for i in range(heard):
        position = Position(hex="ae2fd0", time=T0 + i * 10, lat=19.0, lon=-100.0, source="t")
        fleet.follow([(position, identity)], [Airspace(country="MX", depth_km=None)], print)
        await fleet.save(T0 + i * 10, lambda aircraft: False)
    track = fleet.aircraft["ae2fd0"].track
    saved = [point_decoder.decode(raw) for raw in await store.load_track("ae2fd0")]
    # The store appends, and is rewritten with the bounded track before it holds half
    # as much again: everything in memory is in it, and it stays bounded too.
    assert set(track.points) <= set(saved)
    most = (STORE_SLACK + STORE_SLACK_SPREAD) * len(track) + STORE_SLACK_POINTS + 1
    assert len(saved) <= most
    assert len(saved) < heard / 3
    restored = Fleet(store, settings, aircraft_ttl_s=86_400, max_skew_s=1e12)
    await restored.restore(lambda rule_id, raw: None)
    again = restored.aircraft["ae2fd0"].track
    # Bounded again on restore: what it keeps was saved, the last hour point by point.
    assert {p.time for p in again.points} <= {p.time for p in saved}
    assert again.since(T0 + 5 * HOUR) == track.since(T0 + 5 * HOUR)


async def test_aircraft_that_joined_together_are_not_rewritten_together() -> None:
    # A fleet of tracks of one age (a busy feed's first snapshot) would otherwise all be
    # rewritten in the store in one snapshot, and again at each round of rewrites.
    store = MemoryStore()
    settings = TrackSettings(detail_s=HOUR, thin_s=300, window_s=4 * HOUR)
    fleet = Fleet(store, settings, aircraft_ttl_s=86_400, max_skew_s=1e12)
    hexes = [f"ae{i:04x}" for i in range(40)]
    rewrites: list[int] = []
    for i in range(int(4 * HOUR / 10)):
        selected = [
            (
                Position(hex=hex_, time=T0 + i * 10, lat=19.0, lon=-100.0, source="t"),
                Identity(hex=hex_, category="military", state="US", reasons=[]),
            )
            for hex_ in hexes
        ]
        fleet.follow(selected, [Airspace(country="MX", depth_km=None)] * len(hexes), print)
        before = {hex_: fleet.aircraft[hex_].stored for hex_ in hexes}
        await fleet.save(T0 + i * 10, lambda aircraft: False)
        rewrites.append(sum(fleet.aircraft[h].stored < before[h] for h in hexes))
    # Every aircraft is rewritten now and then, never more than a few in one snapshot.
    assert sum(rewrites) >= len(hexes)
    assert max(rewrites) <= len(hexes) // 4
    for hex_ in hexes:
        saved = await store.load_track(hex_)
        track = fleet.aircraft[hex_].track
        assert (
            len(saved) <= (STORE_SLACK + STORE_SLACK_SPREAD) * len(track) + STORE_SLACK_POINTS + 1
        )


def test_points_that_left_the_window_do_not_stay_in_memory() -> None:
    # Once the detail window is full, the track's memory stays level: the points that
    # leave it are let go within a small share of it, not held until as many again.
    track = Track(100_000, detail_s=2 * HOUR, thin_s=300, window_s=2 * HOUR)
    tracemalloc.start()
    try:
        full, peak = 0, 0
        for i in range(int(8 * HOUR / 10)):
            t = T0 + i * 10
            track.append(moving(t, i))
            held = tracemalloc.get_traced_memory()[0]
            if t == T0 + 2 * HOUR:
                full = held
            peak = max(peak, held)
    finally:
        tracemalloc.stop()
    assert full > 0 and len(track) == int(2 * HOUR / 10) + 1
    assert peak <= 1.2 * full


def test_what_the_fleet_writes_reads_back_as_saved_aircraft() -> None:
    from service.detect.loiter import LoiterState
    from service.track.points import SavingAircraft, saved_decoder

    identity = Identity(hex="ae2fd0", category="military", state="US", reasons=[])
    state = LoiterState(last_time=T0, next_check_at=T0 + 60)
    written = msgspec.json.encode(SavingAircraft(identity, {"loiter": state}, {"fp": 3}))
    saved = saved_decoder.decode(written)
    assert saved.identity == identity and saved.sequences == {"fp": 3}
    assert msgspec.json.decode(saved.rule_states["loiter"], type=LoiterState) == state


def moving(t: float, i: int) -> TrackPoint:
    """A point with every column its own: position, speed (some unreported), ground."""
    gs = None if i % 7 == 0 else 50.0 + i % 300
    return TrackPoint(t, 19.0 + i * 1e-3, -100.0 - i * 1e-3, 20_000, gs, 90.0, i % 11 == 0,
                      "MX", None)  # fmt: skip


def assert_columns_match(track: Track, start: float) -> None:
    points = track.since(start)
    columns = track.columns(start)
    assert list(columns.points) == points
    assert columns.times.tolist() == [p.time for p in points]
    assert columns.lat.tolist() == [p.lat for p in points]
    assert columns.lon.tolist() == [p.lon for p in points]
    assert [None if g != g else g for g in columns.gs_kt.tolist()] == [p.gs_kt for p in points]
    assert columns.on_ground.tolist() == [p.on_ground for p in points]


def test_the_columns_are_the_points_since_a_time_through_every_bound() -> None:
    # Detail, thinning, the window and the count cap all drop points from the columns.
    track = Track(500, detail_s=HOUR, thin_s=300, window_s=3 * HOUR)
    for i in range(int(5 * HOUR / 10)):
        track.append(moving(T0 + i * 10, i))
        last = T0 + i * 10
        if i % 97 == 0:
            for back in (0.0, 5.0, 600.0, HOUR - 10, HOUR + 10, 2 * HOUR, 9 * HOUR):
                assert_columns_match(track, last - back)
    assert len(track) <= 500
    # Reaching into the thinned part, the columns are built from the points.
    assert_columns_match(track, T0)
    assert track.columns(last + 1).times.size == 0


_maybe_number = st.none() | st.floats(allow_nan=False, allow_infinity=False)
_points = st.lists(
    st.tuples(
        st.floats(0.5, 120.0),  # seconds since the previous point
        st.floats(-90, 90),
        st.floats(-180, 180),
        st.none() | st.integers(-2_000, 60_000),
        _maybe_number,
        _maybe_number,
        st.booleans(),
        st.sampled_from([None, "MX", "US"]),
        _maybe_number,
        st.sampled_from([(), ("valle",), ("valle", "gulf")]),
        st.sampled_from([None, "7000", "7500"]),
    ),
    max_size=300,
)


@settings(max_examples=60, deadline=None)
@given(_points, st.floats(0.0, 1.0))
def test_a_track_gives_back_every_point_as_it_was_appended(
    rows: list[tuple[Any, ...]], cut: float
) -> None:
    # The detail window is kept as columns; every point read back is the one appended,
    # field for field (None included), whichever way it is read.
    track, bounded = Track(100_000), Track(100_000, detail_s=600, thin_s=120, window_s=1800)
    appended: list[TrackPoint] = []
    t = T0
    for step, *fields in rows:
        t += step
        point = TrackPoint(t, *fields)
        appended.append(point)
        track.append(point)
        bounded.append(point)
    assert track.points == appended and len(track) == len(appended)
    assert track.points[:1] == appended[:1]
    assert track.first_time == (appended[0].time if appended else None)
    start = T0 + cut * (t - T0 + 1)
    since = [p for p in appended if p.time >= start]
    assert track.since(start) == since
    rows_since = track.columns(start).points
    assert list(rows_since) == since and len(rows_since) == len(since)
    assert rows_since[1:-1] == since[1:-1] and rows_since[::2] == since[::2]
    if since:
        assert rows_since[-1] == since[-1] and rows_since[0] == since[0]
    # Bounded: each point kept is one appended, the detail window all of them.
    assert set(bounded.points) <= set(appended)
    assert bounded.since(t - 600) == [p for p in appended if p.time >= t - 600]
