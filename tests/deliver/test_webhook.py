"""The JSON webhook as production sends it (OutboxWorker -> transport.post), against a
scripted aiohttp receiver on 127.0.0.1: retries with one id, per-attempt signatures,
Retry-After, refusals, redirects, timeouts, refused connections, dead letters, bounded
response reads, and logs that never show the URL's token or the secret.

The worker's clock is fake (tests move it to the next attempt); the only real wait is
the short per-attempt timeout of the hanging-receiver test."""

from __future__ import annotations

import asyncio
import email.utils
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
import pytest
import structlog
from aiohttp import web
from multidict import CIMultiDict
from pydantic import SecretStr

from service.deliver.outbox import OutboxWorker
from service.deliver.signing import verify
from service.metrics import Metrics
from service.outbound import USER_AGENT
from service.settings import ConfigError, load_settings
from service.settings.receivers import WebhookReceiver
from service.store import MemoryStore
from tests.support.clock import FakeClock
from tests.support.outbox import T0, enqueue, item
from tests.support.outbox import Rig as OutboxRig
from tests.support.servers import http_server

SECRET = "whsec-correct-horse"
PATH_TOKEN = "p4th-t0ken"
QUERY_TOKEN = "qu3ry-t0ken"
BODY = b'{"version":"1","id":"n-1","summary":"test"}'
NOTIFICATION_ID = "3f6c2a9e-8d41-5b7e-9c0a-6e1f2d4b8a73"
NAME = "ops"
MIB = 1024 * 1024

Reply = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Seen:
    path: str
    headers: CIMultiDict[str]
    body: bytes


@dataclass
class Scripted:
    """A webhook receiver answering with `replies` in turn (the last one repeats)."""

    base: str = ""
    replies: list[Reply] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)  # frees hanging handlers
    body_finished: bool = False

    def url(self, path: str = f"/hook/{PATH_TOKEN}?key={QUERY_TOKEN}") -> str:
        return f"{self.base}{path}"

    async def handle(self, request: web.Request) -> web.StreamResponse:
        seen = Seen(request.path, CIMultiDict(request.headers), await request.read())
        self.seen.append(seen)
        reply = self.replies[min(len(self.seen), len(self.replies)) - 1]
        return await reply(request)

    def status(self, code: int, headers: dict[str, str] | None = None) -> Reply:
        async def reply(request: web.Request) -> web.StreamResponse:
            return web.Response(status=code, headers=headers, text=f"status {code}")

        return reply

    async def hang(self, request: web.Request) -> web.StreamResponse:
        await self.release.wait()
        return web.Response(status=200)

    async def huge(self, request: web.Request) -> web.StreamResponse:
        """200 announcing 5 MiB; sends 1 MiB, then stalls until the test ends."""
        response = web.StreamResponse(status=200, headers={"Content-Length": str(5 * MIB)})
        await response.prepare(request)
        await response.write(b"x" * MIB)
        await self.release.wait()
        try:
            await response.write(b"x" * (4 * MIB))
            self.body_finished = True
        except ConnectionError:
            pass  # expected: the client hung up after reading what it needed
        return response


@pytest.fixture
async def scripted() -> AsyncIterator[Scripted]:
    rec = Scripted()
    routes = {"POST /hook/{token}": rec.handle, "POST /elsewhere": rec.handle}
    async with http_server(routes) as rec.base:
        try:
            yield rec
        finally:
            rec.release.set()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


class Rig(OutboxRig):
    """One queued notification for the webhook, and what delivering it recorded."""

    async def dead_reason(self) -> str | None:
        (dead,) = await self.store.dead_letters()
        assert dead.id == NOTIFICATION_ID
        return dead.dead_reason

    def deliveries(self, outcome: str) -> float:
        return float(self.metrics.deliveries.labels(NAME, outcome)._value.get())

    def attempts(self, label: str) -> float:
        return float(self.metrics.delivery_attempts.labels(NAME, label)._value.get())


Make = Callable[..., Awaitable[Rig]]


@pytest.fixture
def make(session: aiohttp.ClientSession) -> Make:
    async def build(
        url: str,
        *,
        secret: str | None = SECRET,
        jitter: Callable[[], float] | None = None,
        **settings: Any,
    ) -> Rig:
        store, clock, metrics = MemoryStore(), FakeClock(T0), Metrics()
        await enqueue(
            store,
            item(
                "ep",
                0,
                "opened",
                receiver=NAME,
                id=NOTIFICATION_ID,
                payload=msgspec.Raw(BODY),
            ),
        )
        config = WebhookReceiver(
            name=NAME,
            url=SecretStr(url),
            secret=None if secret is None else SecretStr(secret),
            signing="none" if secret is None else "hmac-sha256",
            **settings,
        )
        options: dict[str, Any] = {} if jitter is None else {"jitter": jitter}
        worker = OutboxWorker(
            store, session, [config], metrics, sent_ttl_s=60, clock=clock, **options
        )
        return Rig(store, clock, metrics, worker)

    return build


def slow(clock: FakeClock, seconds: float, reply: Reply) -> Reply:
    """`reply`, after `seconds` of the worker's fake time have passed."""

    async def answer(request: web.Request) -> web.StreamResponse:
        clock.now += seconds
        return await reply(request)

    return answer


def one_second_wait() -> float:
    """Jitter at its ceiling: the backoff is exactly min(backoff_max_s, initial * 2^(n-1))."""
    return 1.0


async def assert_delivered_once(rig: Rig, scripted: Scripted) -> None:
    """Delivered, out of the outbox, and not sent again however long the worker runs."""
    assert await rig.store.outbox_pending() == []
    assert await rig.store.dead_letters() == []
    assert await rig.store.was_sent(NAME, NOTIFICATION_ID)
    assert rig.deliveries("delivered") == 1
    requests = len(scripted.seen)
    for _ in range(3):
        rig.clock.now += 3600
        await rig.pass_()
    assert len(scripted.seen) == requests


async def assert_refused_once(rig: Rig, scripted: Scripted, code: int) -> None:
    """A dead letter after exactly one request, never retried."""
    assert await rig.dead_reason() == f"rejected with HTTP {code}"
    assert await rig.store.outbox_pending() == []
    assert not await rig.store.was_sent(NAME, NOTIFICATION_ID)
    assert (rig.deliveries("rejected"), rig.attempts(str(code))) == (1, 1)
    for _ in range(3):
        rig.clock.now += 3600
        await rig.pass_()
    assert len(scripted.seen) == 1


# --- retries ------------------------------------------------------------------------


async def test_500_then_200_is_delivered_once_with_one_id(scripted: Scripted, make: Make) -> None:
    scripted.replies = [scripted.status(500), scripted.status(200)]
    rig = await make(scripted.url())
    await rig.pass_()
    pending = await rig.pending()
    assert (pending.attempts, pending.last_error) == (1, "500")
    # First backoff: full jitter in [0, backoff_initial_s].
    assert T0 <= pending.next_at <= T0 + 1
    await rig.next_attempt()

    assert len(scripted.seen) == 2
    assert {seen.headers["X-Borderwatch-Id"] for seen in scripted.seen} == {NOTIFICATION_ID}
    accepted = scripted.seen[-1]
    assert accepted.body == BODY
    assert accepted.headers["Content-Type"] == "application/json"
    assert accepted.headers["User-Agent"] == USER_AGENT
    assert verify(
        SECRET.encode(),
        accepted.headers["X-Borderwatch-Timestamp"],
        accepted.headers["X-Borderwatch-Signature"],
        accepted.body,
        now=rig.clock.now,
    )
    assert (rig.attempts("500"), rig.attempts("200")) == (1, 1)
    await assert_delivered_once(rig, scripted)


async def test_every_attempt_is_signed_with_its_own_timestamp(
    scripted: Scripted, make: Make
) -> None:
    scripted.replies = [scripted.status(503, {"Retry-After": "120"}), scripted.status(200)]
    rig = await make(scripted.url())
    await rig.pass_()
    assert await rig.next_attempt() == 60  # Retry-After capped at backoff_max_s

    first, second = scripted.seen
    stamps = [int(seen.headers["X-Borderwatch-Timestamp"]) for seen in scripted.seen]
    assert stamps == [int(T0), int(T0) + 60]
    assert first.headers["X-Borderwatch-Signature"] != second.headers["X-Borderwatch-Signature"]
    for seen, stamp in zip(scripted.seen, stamps, strict=True):
        signature = seen.headers["X-Borderwatch-Signature"]
        assert verify(SECRET.encode(), str(stamp), signature, seen.body, now=stamp)
    await assert_delivered_once(rig, scripted)


async def test_429_retry_after_seconds_is_honoured(scripted: Scripted, make: Make) -> None:
    scripted.replies = [scripted.status(429, {"Retry-After": "7"}), scripted.status(204)]
    rig = await make(scripted.url(), jitter=one_second_wait)
    await rig.pass_()
    pending = await rig.pending()
    assert (pending.attempts, pending.next_at, pending.last_error) == (1, T0 + 7, "429")
    rig.clock.now = T0 + 6
    await rig.pass_()
    assert len(scripted.seen) == 1  # not before the receiver asked
    assert await rig.next_attempt() == 1
    assert len(scripted.seen) == 2
    await assert_delivered_once(rig, scripted)


async def test_503_retry_after_http_date_is_honoured(scripted: Scripted, make: Make) -> None:
    when = email.utils.formatdate(T0 + 30, usegmt=True)
    rig = await make(scripted.url(), jitter=one_second_wait)
    # The receiver takes 5 s to answer: the date is absolute all the same.
    busy = slow(rig.clock, 5, scripted.status(503, {"Retry-After": when}))
    scripted.replies = [busy, scripted.status(200)]
    await rig.pass_()
    pending = await rig.pending()
    assert (pending.attempts, pending.next_at, pending.last_error) == (1, T0 + 30, "503")
    rig.clock.now = T0 + 29
    await rig.pass_()
    assert len(scripted.seen) == 1
    await rig.next_attempt()
    assert len(scripted.seen) == 2
    await assert_delivered_once(rig, scripted)


async def test_retry_waits_count_from_the_answer_not_the_request(
    scripted: Scripted, make: Make
) -> None:
    rig = await make(scripted.url(), jitter=one_second_wait, backoff_initial_s=4)
    scripted.replies = [
        slow(rig.clock, 5, scripted.status(500)),
        slow(rig.clock, 5, scripted.status(429, {"Retry-After": "7"})),
        scripted.status(200),
    ]
    await rig.pass_()  # answered at +5, then waits backoff_initial_s
    assert (await rig.pending()).next_at == T0 + 5 + 4
    assert await rig.next_attempt() == 4
    # Sent at +9, answered at +14 asking for 7 s: the next attempt is at +21, not +16.
    assert (await rig.pending()).next_at == T0 + 14 + 7
    assert await rig.next_attempt() == 7
    await assert_delivered_once(rig, scripted)


async def test_408_is_retried(scripted: Scripted, make: Make) -> None:
    scripted.replies = [scripted.status(408), scripted.status(200)]
    rig = await make(scripted.url())
    await rig.pass_()
    assert (await rig.pending()).last_error == "408"
    await rig.next_attempt()
    assert len(scripted.seen) == 2
    await assert_delivered_once(rig, scripted)


# --- refusals -----------------------------------------------------------------------


@pytest.mark.parametrize("code", [400, 401, 404, 410, 422])
async def test_other_4xx_is_a_dead_letter_after_one_request(
    scripted: Scripted, make: Make, code: int
) -> None:
    scripted.replies = [scripted.status(code), scripted.status(200)]
    rig = await make(scripted.url())
    await rig.pass_()
    await assert_refused_once(rig, scripted, code)


async def test_redirect_is_not_followed(scripted: Scripted, make: Make) -> None:
    scripted.replies = [scripted.status(307, {"Location": "/elsewhere"}), scripted.status(200)]
    rig = await make(scripted.url())
    await rig.pass_()
    assert [seen.path for seen in scripted.seen] == [f"/hook/{PATH_TOKEN}"]
    await assert_refused_once(rig, scripted, 307)


# --- a receiver that never accepts ----------------------------------------------------


async def test_always_503_is_a_dead_letter_after_max_attempts(
    scripted: Scripted, make: Make
) -> None:
    scripted.replies = [scripted.status(503)]
    rig = await make(
        scripted.url(),
        jitter=one_second_wait,
        max_attempts=6,
        backoff_initial_s=1,
        backoff_max_s=10,
    )
    await rig.pass_()
    delays = [await rig.next_attempt() for _ in range(5)]

    assert delays == [1, 2, 4, 8, 10]  # doubling from backoff_initial_s, capped
    assert len(scripted.seen) == 6
    assert await rig.store.outbox_pending() == []
    assert await rig.dead_reason() == "gave up after 6 attempts (503)"
    assert (rig.deliveries("gave_up"), rig.attempts("503")) == (1, 6)
    rig.clock.now += 3600
    await rig.pass_()
    assert len(scripted.seen) == 6  # a dead letter waits for `deadletters resend`


async def test_always_503_is_a_dead_letter_after_dead_letter_after_s(
    scripted: Scripted, make: Make
) -> None:
    scripted.replies = [scripted.status(503)]
    rig = await make(scripted.url(), jitter=one_second_wait, dead_letter_after_s=300)
    await rig.pass_()
    delays = []
    while await rig.store.outbox_pending():
        delays.append(await rig.next_attempt())

    # Attempts at +0, 1, 3, 7, 15, 31, 63, 123, 183, 243; at +303 it is buried unsent.
    assert delays == [1, 2, 4, 8, 16, 32, 60, 60, 60, 60]
    assert len(scripted.seen) == 10
    assert await rig.dead_reason() == "undelivered after 303 s"
    assert (rig.deliveries("gave_up"), rig.attempts("503")) == (1, 10)


async def test_hanging_receiver_times_out_and_is_retried_later(
    scripted: Scripted, make: Make
) -> None:
    scripted.replies = [scripted.hang, scripted.status(200)]
    rig = await make(scripted.url(), timeout_s=0.2)
    await rig.pass_()  # returns after the 0.2 s timeout, the receiver still hanging
    pending = await rig.pending()
    assert (pending.attempts, pending.last_error) == (1, "timeout")
    assert rig.attempts("timeout") == 1
    assert len(scripted.seen) == 1
    await rig.next_attempt()
    assert [seen.headers["X-Borderwatch-Id"] for seen in scripted.seen] == [NOTIFICATION_ID] * 2
    await assert_delivered_once(rig, scripted)


async def test_refused_connection_is_retried(make: Make) -> None:
    with socket.socket() as probe:  # a port nothing listens on once the probe closes
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    rig = await make(f"http://127.0.0.1:{port}/hook/{PATH_TOKEN}", max_attempts=3)
    await rig.pass_()
    pending = await rig.pending()
    assert (pending.attempts, pending.last_error) == (1, "error")
    await rig.next_attempt()
    assert (await rig.pending()).attempts == 2
    await rig.next_attempt()
    assert await rig.dead_reason() == "gave up after 3 attempts (error)"
    assert rig.attempts("error") == 3


# --- the response, the request ------------------------------------------------------


async def test_huge_response_body_is_not_read(scripted: Scripted, make: Make) -> None:
    scripted.replies = [scripted.huge]
    rig = await make(scripted.url(), timeout_s=10)
    started = time.monotonic()
    await rig.pass_()
    # The receiver is still stalled mid-body: finishing now means the client stopped
    # reading early instead of waiting for the rest until the 10 s timeout.
    assert time.monotonic() - started < 5
    assert not scripted.body_finished
    assert len(scripted.seen) == 1
    assert rig.attempts("200") == 1
    await assert_delivered_once(rig, scripted)


async def test_no_secret_means_no_signature_header(scripted: Scripted, make: Make) -> None:
    scripted.replies = [scripted.status(200)]
    rig = await make(scripted.url(), secret=None)
    await rig.pass_()
    (seen,) = scripted.seen
    assert "X-Borderwatch-Signature" not in seen.headers
    assert seen.headers["X-Borderwatch-Timestamp"] == str(int(T0))
    assert seen.headers["X-Borderwatch-Id"] == NOTIFICATION_ID
    await assert_delivered_once(rig, scripted)


# --- secrets stay secret ------------------------------------------------------------


async def test_logs_name_the_receiver_but_never_the_url_path_query_or_secret(
    scripted: Scripted, make: Make
) -> None:
    scripted.replies = [scripted.status(500), scripted.status(400)]
    rig = await make(scripted.url())
    with structlog.testing.capture_logs() as logs:
        await rig.pass_()
        await rig.next_attempt()
    text = repr(logs)
    # Taking the delivery lease is logged once, by holder (no receiver involved).
    logs = [entry for entry in logs if entry["event"] != "outbox.lease_acquired"]
    assert [entry["event"] for entry in logs] == [
        "webhook.retry_scheduled",
        "webhook.rejected",
        "outbox.dead_letter",
    ]
    assert all(entry["receiver"] == NAME for entry in logs)
    for secret in (PATH_TOKEN, QUERY_TOKEN, SECRET, "/hook/"):
        assert secret not in text


def test_receiver_repr_hides_url_and_secret() -> None:
    config = WebhookReceiver(
        name=NAME,
        url=SecretStr(
            f"https://user:pa55word@hooks.example.org:8443/hook/{PATH_TOKEN}?key={QUERY_TOKEN}"
        ),
        secret=SecretStr(SECRET),
    )
    for text in (repr(config), str(config), f"{config}", repr([config])):
        for secret in (PATH_TOKEN, QUERY_TOKEN, SECRET, "pa55word", "hooks.example", "/hook/"):
            assert secret not in text


def test_a_bad_url_is_refused_without_echoing_it(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(f"receivers:\n  - {{name: {NAME}, url: 'ftp://h.example/{PATH_TOKEN}'}}\n")
    with pytest.raises(ConfigError, match=r"receivers\.0\.webhook\.url") as caught:
        load_settings(path, environ={})
    assert PATH_TOKEN not in str(caught.value)
