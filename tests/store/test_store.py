"""The state store: one behaviour suite run against MemoryStore and RedisStore alike,
then what only Redis has (sharing across instances, key layout, failures, redaction).

No test sleeps: the memory store runs on a fake clock, and for Redis the TTL is read
back through a raw client and the key then expired on the server.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import msgspec
import pytest
import redis.asyncio as aioredis

from service.store import (
    AircraftSave,
    KeySpace,
    MemoryStore,
    RedisStore,
    Store,
    StoreError,
    open_store,
)
from service.store.records import OutboxItem, Silence
from service.store.redis import redact_url
from service.store.redis import tracks as redis_tracks
from tests.support.clock import FakeClock
from tests.support.servers import port_of, tcp_server

PREFIX = "bwtest"  # not the default, so the tests prove the prefix is honoured
KEYS = KeySpace(PREFIX)
TTL = 60
Expire = Callable[..., Awaitable[None]]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1000.0)


@pytest.fixture(params=["memory", "redis"])
async def store(
    request: pytest.FixtureRequest, clock: FakeClock, backend_url: str | None
) -> AsyncIterator[Store]:
    if request.param == "memory":
        opened: Store = MemoryStore(clock=clock)
    else:
        assert backend_url is not None
        opened = RedisStore(backend_url, prefix=PREFIX, timeout_s=2.0)
    yield opened
    await opened.close()


@pytest.fixture
async def raw(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
def expire(clock: FakeClock, backend_url: str | None) -> Expire:
    """`await expire(ttl_s, *keys)`: memory moves the fake clock on; Redis checks each
    key's TTL is in (0, ttl_s], then sets an expiry in the past, which deletes it at once."""

    async def run(ttl_s: int, *keys: str) -> None:
        if backend_url is None:
            clock.advance(ttl_s)
            return
        client = aioredis.Redis.from_url(backend_url)
        try:
            for key in keys:
                assert 0 < await client.pttl(key) <= ttl_s * 1000, key
                assert await client.pexpireat(key, 1)
        finally:
            await client.aclose()

    return run


async def test_ping(store: Store) -> None:
    assert await store.ping() is True


async def test_save_load_round_trip(store: Store) -> None:
    assert await store.load_aircraft("ae1234") is None
    assert await store.load_track("ae1234") == []
    await store.save_aircraft("ae1234", b"state-1", [b"p1", b"p2"], max_points=10, ttl_s=TTL)
    assert await store.load_aircraft("ae1234") == b"state-1"
    assert await store.load_track("ae1234") == [b"p1", b"p2"]
    await store.save_aircraft("ae1234", b"state-2", [], max_points=10, ttl_s=TTL)
    assert await store.load_aircraft("ae1234") == b"state-2"
    assert await store.load_track("ae1234") == [b"p1", b"p2"]  # no points: track kept


async def test_track_appends_and_keeps_newest_in_order(store: Store) -> None:
    await store.save_aircraft("ae1234", b"s", [b"p0", b"p1", b"p2"], max_points=5, ttl_s=TTL)
    await store.save_aircraft("ae1234", b"s", [b"p3", b"p4", b"p5"], max_points=5, ttl_s=TTL)
    assert await store.load_track("ae1234") == [b"p1", b"p2", b"p3", b"p4", b"p5"]
    batch = [f"q{i}".encode() for i in range(8)]  # one batch larger than the cap
    await store.save_aircraft("ae1234", b"s", batch, max_points=3, ttl_s=TTL)
    assert await store.load_track("ae1234") == [b"q5", b"q6", b"q7"]


async def test_a_replacing_save_replaces_the_whole_track(store: Store) -> None:
    await store.save_aircraft("ae1234", b"s", [b"p0", b"p1", b"p2"], max_points=5, ttl_s=TTL)
    thinned = AircraftSave("ae1234", b"s", [b"p0", b"p2", b"p3"], replace=True)
    await store.save_aircraft_many([thinned], max_points=5, ttl_s=TTL)
    assert await store.load_track("ae1234") == [b"p0", b"p2", b"p3"]
    await store.save_aircraft("ae1234", b"s", [b"p4"], max_points=5, ttl_s=TTL)
    assert await store.load_track("ae1234") == [b"p0", b"p2", b"p3", b"p4"]
    emptied = AircraftSave("ae1234", b"s", [], replace=True)
    await store.save_aircraft_many([emptied], max_points=5, ttl_s=TTL)
    assert await store.load_track("ae1234") == []
    assert await store.load_aircraft("ae1234") == b"s"


async def test_save_many_saves_each_aircraft_in_one_step(store: Store) -> None:
    await store.save_aircraft("ae1234", b"old", [b"p0"], max_points=3, ttl_s=TTL)
    saves = [
        AircraftSave("ae1234", b"new", [b"p1", b"p2", b"p3"]),
        AircraftSave("43c6f1", b"t", []),
        AircraftSave("3b7701", b"u", [b"q1"]),
    ]
    await store.save_aircraft_many(saves, max_points=3, ttl_s=TTL)
    assert await store.load_aircraft("ae1234") == b"new"
    assert await store.load_track("ae1234") == [b"p1", b"p2", b"p3"]
    assert await store.load_aircraft("43c6f1") == b"t"
    assert await store.load_track("43c6f1") == []
    assert await store.load_track("3b7701") == [b"q1"]
    assert await store.active_aircraft() == {"ae1234", "43c6f1", "3b7701"}
    await store.save_aircraft_many([], max_points=3, ttl_s=TTL)  # nothing to do is fine
    assert await store.active_aircraft() == {"ae1234", "43c6f1", "3b7701"}


async def test_a_large_snapshot_is_saved_whole_in_several_calls(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(redis_tracks, "SAVE_BATCH_ARGS", 10)  # a few aircraft per call
    await store.save_aircraft("ae0003", b"s", [b"old"], max_points=5, ttl_s=TTL)
    saves = [
        AircraftSave(f"ae{i:04x}", f"s{i}".encode(), [f"p{i}.{j}".encode() for j in range(i)],
                     replace=i == 3)
        for i in range(12)
    ]  # fmt: skip
    await store.save_aircraft_many(saves, max_points=5, ttl_s=TTL)
    for i in range(12):
        assert await store.load_aircraft(f"ae{i:04x}") == f"s{i}".encode()
        expected = [f"p{i}.{j}".encode() for j in range(i)][-5:]  # ae0003's "old" replaced
        assert await store.load_track(f"ae{i:04x}") == expected
    assert await store.active_aircraft() == {f"ae{i:04x}" for i in range(12)}


async def test_active_aircraft_lists_saved(store: Store) -> None:
    assert await store.active_aircraft() == set()
    for hex_ in ("ae1234", "43c6f1", "3b7701"):
        await store.save_aircraft(hex_, b"s", [b"p"], max_points=5, ttl_s=TTL)
    assert await store.active_aircraft() == {"ae1234", "43c6f1", "3b7701"}


async def test_drop_aircraft_removes_state_track_and_active(store: Store) -> None:
    await store.save_aircraft("ae1234", b"s", [b"p"], max_points=5, ttl_s=TTL)
    await store.save_aircraft("43c6f1", b"t", [b"q"], max_points=5, ttl_s=TTL)
    await store.drop_aircraft("ae1234")
    assert await store.load_aircraft("ae1234") is None
    assert await store.load_track("ae1234") == []
    assert await store.active_aircraft() == {"43c6f1"}
    assert await store.load_aircraft("43c6f1") == b"t"
    await store.drop_aircraft("43c6f1")
    await store.drop_aircraft("never-saved")  # not an error
    assert await store.active_aircraft() == set()


async def test_aircraft_expires_after_ttl(store: Store, expire: Expire) -> None:
    await store.save_aircraft("ae1234", b"s", [b"p"], max_points=5, ttl_s=1)
    await expire(1, KEYS.aircraft("ae1234"), KEYS.track("ae1234"))
    assert await store.load_aircraft("ae1234") is None
    assert await store.load_track("ae1234") == []


async def test_claim_notification_once_until_ttl(store: Store, expire: Expire) -> None:
    assert await store.claim_notification("n-1", ttl_s=1) is True
    assert await store.claim_notification("n-1", ttl_s=1) is False  # duplicate
    assert await store.claim_notification("n-2", ttl_s=1) is True  # ids are independent
    await expire(1, KEYS.notified("n-1"), KEYS.notified("n-2"))
    assert await store.claim_notification("n-1", ttl_s=1) is True


async def test_clock_get_set(store: Store) -> None:
    assert await store.get_feed_clock() is None
    await store.set_feed_clock(1_767_225_600.123456)
    assert await store.get_feed_clock() == 1_767_225_600.123456  # exact round trip
    await store.set_feed_clock(1_767_225_605.0)
    assert await store.get_feed_clock() == 1_767_225_605.0


async def test_rejects_arguments_redis_would_misread(store: Store) -> None:
    with pytest.raises(ValueError, match="max_points"):
        await store.save_aircraft("ae1234", b"s", [b"p"], max_points=0, ttl_s=TTL)
    with pytest.raises(ValueError, match="ttl_s"):
        await store.save_aircraft("ae1234", b"s", [b"p"], max_points=5, ttl_s=0)
    with pytest.raises(ValueError, match="ttl_s"):
        await store.claim_notification("n-1", ttl_s=0)
    assert await store.active_aircraft() == set()  # nothing half-saved


async def test_memory_save_renews_ttl(clock: FakeClock) -> None:
    store = MemoryStore(clock=clock)
    await store.save_aircraft("ae1234", b"s", [b"p"], max_points=5, ttl_s=10)
    clock.advance(6)
    await store.save_aircraft("ae1234", b"s", [], max_points=5, ttl_s=10)
    clock.advance(6)  # 12 s after the first save, 6 s after the second
    assert await store.load_track("ae1234") == [b"p"]
    clock.advance(4)
    assert await store.load_aircraft("ae1234") is None
    assert await store.active_aircraft() == set()  # the whole set expired, as in Redis


async def test_instances_on_one_url_share_data(redis_url: str) -> None:
    first = RedisStore(redis_url, prefix=PREFIX)
    await first.save_aircraft("ae1234", b"s", [b"p1"], max_points=5, ttl_s=TTL)
    assert await first.claim_notification("n-1", ttl_s=TTL)
    await first.set_feed_clock(42.5)
    await first.close()  # the "restart"
    second = RedisStore(redis_url, prefix=PREFIX)
    other = RedisStore(redis_url, prefix="otherbw")
    try:
        assert await second.load_aircraft("ae1234") == b"s"
        assert await second.load_track("ae1234") == [b"p1"]
        assert await second.active_aircraft() == {"ae1234"}
        assert await second.claim_notification("n-1", ttl_s=TTL) is False
        assert await second.get_feed_clock() == 42.5
        assert await other.load_aircraft("ae1234") is None  # prefixes isolate deployments
        assert await other.claim_notification("n-1", ttl_s=TTL) is True
    finally:
        await second.close()
        await other.close()


async def test_keys_live_under_prefix_with_ttls(redis_url: str, raw: aioredis.Redis) -> None:
    store = RedisStore(redis_url, prefix=PREFIX)
    try:
        await store.save_aircraft("ae1234", b"s", [b"p"], max_points=5, ttl_s=TTL)
        await store.claim_notification("n-1", ttl_s=TTL * 2)
        await store.set_feed_clock(1.0)
    finally:
        await store.close()
    found = {key.decode() async for key in raw.scan_iter(count=100)}
    entity_keys = {KEYS.aircraft("ae1234"), KEYS.track("ae1234"), KEYS.active}
    assert found == entity_keys | {KEYS.notified("n-1"), KEYS.feed_clock}
    assert all(key.startswith(f"{PREFIX}:") for key in found)
    assert {key async for key in raw.scan_iter(match=KEYS.pattern)} == {k.encode() for k in found}
    for key in entity_keys:
        assert 0 < await raw.ttl(key) <= TTL, key
    assert TTL < await raw.ttl(KEYS.notified("n-1")) <= TTL * 2
    assert await raw.ttl(KEYS.feed_clock) == -1  # the resume point never expires


async def test_unreachable_redis_raises_store_error_with_redacted_url() -> None:
    store = RedisStore("redis://user:secret@127.0.0.1:1/0", timeout_s=1.0)
    try:
        assert await store.ping() is False
        started = time.monotonic()
        with pytest.raises(StoreError) as caught:
            await store.load_aircraft("ae1234")
        assert time.monotonic() - started < 1.0
    finally:
        await store.close()
    message = str(caught.value)
    assert "redis://user:***@127.0.0.1:1/0" in message
    assert "secret" not in message


async def test_silent_server_times_out_within_deadline() -> None:
    writers: list[asyncio.StreamWriter] = []
    async with tcp_server(lambda _r, w: writers.append(w)) as server:
        store = RedisStore(f"redis://:secret@127.0.0.1:{port_of(server)}/0", timeout_s=0.3)
        try:
            started = time.monotonic()
            with pytest.raises(StoreError, match=r"redis://:\*\*\*@127\.0\.0\.1"):
                await store.set_feed_clock(1.0)
            assert time.monotonic() - started < 0.3 + 0.5
            assert await store.ping() is False
        finally:
            await store.close()
            for writer in writers:
                writer.close()


@pytest.mark.parametrize(
    ("url", "redacted"),
    [
        ("redis://user:secret@host:6379/0", "redis://user:***@host:6379/0"),
        ("redis://:secret@host:6379/0", "redis://:***@host:6379/0"),
        ("rediss://secret@host/1", "rediss://***@host/1"),  # a bare userinfo may be one
        ("redis://host:6379/0?password=secret&db=2", "redis://host:6379/0?password=***&db=2"),
        ("redis://localhost:6379/0", "redis://localhost:6379/0"),
    ],
)
def test_redact_url_hides_password(url: str, redacted: str) -> None:
    assert redact_url(url) == redacted
    assert "secret" not in redact_url(url)


async def test_repr_and_open_store() -> None:
    store = open_store("redis://user:secret@127.0.0.1:1/0", PREFIX)
    try:
        assert isinstance(store, RedisStore)
        assert repr(store) == "RedisStore(url='redis://user:***@127.0.0.1:1/0', prefix='bwtest')"
    finally:
        await store.close()
    assert isinstance(open_store(None, PREFIX), MemoryStore)
    assert isinstance(open_store("", PREFIX), MemoryStore)


KINDS = ("active", "clock", "alive")


def test_key_space_shapes_and_prefix_rules() -> None:
    keys = KeySpace()
    assert keys.aircraft("ae1234") == "borderwatch:aircraft:ae1234"
    assert keys.track("ae1234") == "borderwatch:track:ae1234"
    assert keys.notified("n-1") == "borderwatch:notified:n-1"
    assert [keys.active, keys.feed_clock, keys.alive] == [f"borderwatch:{k}" for k in KINDS]
    for bad in ("", "a:b", "bw*", "x" * 33):
        with pytest.raises(ValueError):
            KeySpace(bad)
    with pytest.raises(ValueError):
        keys.aircraft("")


# --- Delivery state: outbox, dead letters, sent log, silences, acknowledgements ---------


def outbox_item(receiver: str, id_: str, **changes: object) -> OutboxItem:
    base = OutboxItem(
        receiver=receiver,
        id=id_,
        fingerprint="fp-" + id_[:1],
        sequence=0,
        kind="opened",
        rule="foreign-airspace",
        hex="ae2fd0",
        country="MX",
        payload=msgspec.Raw(b'{"id":"%s"}' % id_.encode()),
        at=900.0,
        enqueued_at=1000.0,
    )
    return msgspec.structs.replace(base, **changes)


async def test_claim_enqueues_atomically_and_only_once(store: Store) -> None:
    items = [outbox_item("hook", "a1"), outbox_item("chat", "a1")]
    assert await store.claim_notification("a1", ttl_s=TTL, outbox=items)
    assert not await store.claim_notification("a1", ttl_s=TTL, outbox=items)  # duplicate
    assert await store.claim_notification("b1", ttl_s=TTL, outbox=[outbox_item("hook", "b1")])
    pending = await store.outbox_pending()
    assert [i.key for i in pending] == ["hook|a1", "chat|a1", "hook|b1"]  # enqueue order
    assert await store.outbox_depth() == 3
    assert bytes(pending[0].payload) == b'{"id":"a1"}'


async def test_outbox_update_done_and_sent_log(store: Store) -> None:
    first, second = outbox_item("hook", "a1"), outbox_item("hook", "b1")
    await store.claim_notification("a1", ttl_s=TTL, outbox=[first])
    await store.claim_notification("b1", ttl_s=TTL, outbox=[second])
    retried = msgspec.structs.replace(first, attempts=3, next_at=2000.0, last_error="503")
    await store.outbox_update(retried)
    pending = await store.outbox_pending()
    assert pending == [retried, second]  # the order is kept
    assert not await store.was_sent("hook", "a1")
    await store.outbox_done(retried, sent_ttl_s=TTL)
    assert await store.was_sent("hook", "a1") and not await store.was_sent("other", "a1")
    assert await store.outbox_pending() == [second]
    await store.outbox_update(retried)  # no longer pending: not resurrected
    assert await store.outbox_pending() == [second]


async def test_dead_letters_bury_and_resend(store: Store) -> None:
    items = [outbox_item("hook", "a1"), outbox_item("hook", "b1")]
    await store.claim_notification("a1", ttl_s=TTL, outbox=items[:1])
    await store.claim_notification("b1", ttl_s=TTL, outbox=items[1:])
    dead = msgspec.structs.replace(items[0], attempts=9, dead_reason="too old", dead_at=5.0)
    await store.outbox_bury(dead)
    assert await store.dead_letters() == [dead]
    assert [i.key for i in await store.outbox_pending()] == ["hook|b1"]
    assert await store.resend_dead_letters(["hook|nope"], now=7.0) == 0
    assert await store.resend_dead_letters(None, now=7.0) == 1
    assert await store.dead_letters() == []
    pending = await store.outbox_pending()
    assert [i.key for i in pending] == ["hook|b1", "hook|a1"]  # back at the end
    assert (pending[1].attempts, pending[1].enqueued_at, pending[1].dead_reason) == (0, 7.0, "")


async def test_silences_and_acknowledgements(store: Store, expire: Expire) -> None:
    silence = Silence(id="s1", rule="loiter", until=50.0, created_at=1.0, comment="exercise")
    await store.add_silence(silence)
    await store.add_silence(Silence(id="s2", hex="ae2fd0", until=9.0, created_at=1.0))
    assert sorted(s.id for s in await store.silences()) == ["s1", "s2"]
    await store.add_silence(msgspec.structs.replace(silence, until=2.0))  # expire = replace
    assert {s.id: s.until for s in await store.silences()}["s1"] == 2.0
    assert await store.acknowledged("fp") is None
    await store.acknowledge("fp", b'{"by":"ana"}', ttl_s=1)
    assert await store.acknowledged("fp") == b'{"by":"ana"}'
    await expire(1, KEYS.ack("fp"))
    assert await store.acknowledged("fp") is None


async def test_old_dead_letters_and_ended_silences_are_pruned(store: Store) -> None:
    items = [outbox_item("hook", f"{c}1") for c in "abc"]
    for item, dead_at in zip(items, (10.0, 20.0, 30.0), strict=True):
        await store.claim_notification(item.id, ttl_s=TTL, outbox=[item])
        await store.outbox_bury(msgspec.structs.replace(item, dead_reason="x", dead_at=dead_at))
    assert await store.prune_dead_letters(25.0) == 2
    assert [i.key for i in await store.dead_letters()] == ["hook|c1"]
    assert await store.prune_dead_letters(25.0) == 0
    for id_, until in (("s1", 5.0), ("s2", 50.0)):
        await store.add_silence(Silence(id=id_, rule="loiter", until=until, created_at=1.0))
    assert await store.prune_silences(10.0) == 1
    assert [s.id for s in await store.silences()] == ["s2"]


async def test_drop_many_forgets_each_aircraft_in_one_step(store: Store) -> None:
    saves = [AircraftSave(h, b"s", [b"p"]) for h in ("ae0001", "ae0002", "ae0003")]
    await store.save_aircraft_many(saves, max_points=5, ttl_s=TTL)
    await store.drop_aircraft_many(["ae0001", "ae0003"])
    assert await store.active_aircraft() == {"ae0002"}
    assert await store.load_aircraft("ae0001") is None and await store.load_track("ae0003") == []
    assert await store.load_aircraft("ae0002") == b"s"
    await store.drop_aircraft_many([])


# --- Feed budgets and leases --------------------------------------------------------------


async def test_budget_counts_per_source_and_day_atomically(store: Store, expire: Expire) -> None:
    assert await store.budget_spent("adsblol", "2025-08-13") == 0
    assert await store.spend_budget("adsblol", "2025-08-13", 1, ttl_s=TTL) == 1
    assert await store.spend_budget("adsblol", "2025-08-13", 4, ttl_s=TTL) == 5
    assert await store.spend_budget("adsblol", "2025-08-13", 0, ttl_s=TTL) == 5
    assert await store.budget_spent("adsblol", "2025-08-13") == 5
    assert await store.budget_spent("adsblol", "2025-08-14") == 0  # each day apart
    assert await store.budget_spent("adsbfi", "2025-08-13") == 0  # each source apart
    spends = [store.spend_budget("adsbfi", "2025-08-13", 1, ttl_s=TTL) for _ in range(20)]
    assert sorted(await asyncio.gather(*spends)) == list(range(1, 21))  # no lost update
    with pytest.raises(ValueError):
        await store.spend_budget("adsblol", "2025-08-13", -1, ttl_s=TTL)
    with pytest.raises(ValueError):
        await store.spend_budget("adsblol", "2025-08-13", 1, ttl_s=0)
    await expire(TTL, KEYS.budget("adsblol", "2025-08-13"), KEYS.budget("adsbfi", "2025-08-13"))
    assert await store.budget_spent("adsblol", "2025-08-13") == 0
    assert await store.spend_budget("adsblol", "2025-08-13", 2, ttl_s=TTL) == 2


async def test_lease_is_exclusive_renewable_and_released_by_its_holder(store: Store) -> None:
    assert await store.acquire_lease("delivery", "a", TTL) is True
    assert await store.acquire_lease("delivery", "b", TTL) is False  # exclusive
    assert await store.acquire_lease("delivery", "a", TTL) is True  # renewed by its holder
    assert await store.acquire_lease("other", "b", TTL) is True  # leases are independent
    assert await store.release_lease("delivery", "b") is False  # not b's to release
    assert await store.acquire_lease("delivery", "b", TTL) is False
    assert await store.release_lease("delivery", "a") is True
    assert await store.release_lease("delivery", "a") is False  # already gone
    assert await store.acquire_lease("delivery", "b", 0.5) is True  # free: taken at once
    assert await store.acquire_lease("delivery", "a", TTL) is False
    with pytest.raises(ValueError):
        await store.acquire_lease("delivery", "b", 0)


async def test_lease_expiry_lets_another_holder_take_over(store: Store, expire: Expire) -> None:
    assert await store.acquire_lease("delivery", "a", TTL)
    await expire(TTL, KEYS.lease("delivery"))  # a died without releasing it
    assert await store.acquire_lease("delivery", "b", TTL) is True
    assert await store.acquire_lease("delivery", "a", TTL) is False  # a cannot renew it back
    assert await store.release_lease("delivery", "a") is False  # nor delete b's
    assert await store.acquire_lease("delivery", "b", TTL) is True


async def test_memory_lease_renewal_extends_it(clock: FakeClock) -> None:
    store = MemoryStore(clock=clock)
    assert await store.acquire_lease("delivery", "a", 10)
    clock.advance(6)
    assert await store.acquire_lease("delivery", "a", 10)  # renewed: 10 s from now
    clock.advance(6)  # 12 s after taking it, 6 s after renewing
    assert await store.acquire_lease("delivery", "b", 10) is False
    clock.advance(4)
    assert await store.acquire_lease("delivery", "b", 10) is True


async def test_redis_lease_renewal_resets_its_ttl(redis_url: str, raw: aioredis.Redis) -> None:
    store = RedisStore(redis_url, prefix=PREFIX)
    try:
        assert await store.acquire_lease("delivery", "host:1:ab", TTL)
        key = KEYS.lease("delivery")
        assert key == f"{PREFIX}:lease:delivery"
        assert await raw.get(key) == b"host:1:ab"
        assert 0 < await raw.pttl(key) <= TTL * 1000
        await raw.pexpire(key, 5000)  # most of the TTL has passed
        assert await store.acquire_lease("delivery", "host:1:ab", TTL)
        assert 5000 < await raw.pttl(key) <= TTL * 1000  # renewed to the full TTL
        assert await store.acquire_lease("delivery", "host:2:cd", TTL) is False
        assert await raw.get(key) == b"host:1:ab"  # untouched by the refused holder
        assert await store.release_lease("delivery", "host:1:ab")
        assert await raw.exists(key) == 0
    finally:
        await store.close()
