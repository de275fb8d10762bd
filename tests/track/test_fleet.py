"""The fleet: bounded (beyond `track.max_aircraft` the least recently heard go first,
those in an open episode last), and nothing lost while the store is down (changes stay
marked until a save succeeds)."""

from __future__ import annotations

from service.models import Airspace, Identity, Position
from service.settings import TrackSettings
from service.store import MemoryStore
from service.track.fleet import Fleet

T0 = 1_755_081_600.0


def identity(hex_: str) -> Identity:
    return Identity(hex=hex_, category="military", state="US", reasons=[])


def follow(fleet: Fleet, hexes: list[str], now: float) -> None:
    lat = 35.0 + (now - T0) / 1200  # 300 kt north: a fresh fix, not a stale repeat
    selected = [(Position(h, now, lat, -100.0, gs_kt=300.0), identity(h)) for h in hexes]
    fleet.follow(selected, [Airspace("US", None)] * len(selected), lambda reason: None)


async def test_the_least_recently_heard_are_forgotten_beyond_the_cap() -> None:
    store = MemoryStore()
    fleet = Fleet(store, TrackSettings(max_aircraft=10), aircraft_ttl_s=3600, max_skew_s=1e12)
    follow(fleet, [f"ae{i:04x}" for i in range(10)], T0)
    assert await fleet.save(T0, lambda a: False) == ([], [])
    follow(fleet, [f"ae{i:04x}" for i in range(5)], T0 + 60)  # heard again
    follow(fleet, [f"af{i:04x}" for i in range(3)], T0 + 60)  # three new ones
    expired, evicted = await fleet.save(T0 + 60, lambda a: False)
    # Over the cap by 3, plus a tenth of it in one go: the four heard longest ago.
    assert expired == [] and evicted == ["ae0005", "ae0006", "ae0007", "ae0008"]
    assert len(fleet) == 9 and "ae0009" in fleet.aircraft and "af0002" in fleet.aircraft
    assert await store.active_aircraft() == set(fleet.aircraft)  # dropped from the store


async def test_an_aircraft_with_an_open_episode_is_evicted_last() -> None:
    fleet = Fleet(
        MemoryStore(), TrackSettings(max_aircraft=10), aircraft_ttl_s=3600, max_skew_s=1e12
    )
    follow(fleet, [f"ae{i:04x}" for i in range(10)], T0)
    follow(fleet, [f"af{i:04x}" for i in range(3)], T0 + 60)
    # ae0000 and ae0001, heard longest ago, are in an open episode (say signal lost).
    open_ = {"ae0000", "ae0001"}
    expired, evicted = await fleet.save(T0 + 60, lambda a: a.identity.hex in open_)
    assert expired == [] and evicted == ["ae0002", "ae0003", "ae0004", "ae0005"]
    assert open_ <= set(fleet.aircraft)


async def test_a_fleet_that_does_not_persist_writes_nothing_and_still_expires() -> None:
    store = MemoryStore()
    fleet = Fleet(store, TrackSettings(), aircraft_ttl_s=600, max_skew_s=1e12)
    fleet.persist = False  # as an import runs it
    follow(fleet, ["ae0000", "ae0001"], T0)
    assert await fleet.save(T0, lambda a: False) == ([], [])
    assert await store.active_aircraft() == set() and await store.get_feed_clock() is None
    aircraft = fleet.aircraft["ae0000"]
    assert not aircraft.dirty and aircraft.unsaved_points == [] and len(aircraft.track) == 1
    follow(fleet, ["ae0000"], T0 + 60)
    assert await fleet.save(T0 + 650, lambda a: False) == (["ae0001"], [])
    assert len(fleet.aircraft["ae0000"].track) == 2 and fleet.feed_clock == T0 + 650
