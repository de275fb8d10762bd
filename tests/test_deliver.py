"""Webhook delivery against a real HTTP server on 127.0.0.1, signing, and the payload schema."""

from __future__ import annotations

import asyncio
import copy
import email.utils
import hashlib
import hmac
import json
import re
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import jsonschema
import pytest
import structlog
from aiohttp import web
from aiohttp.test_utils import TestServer
from multidict import CIMultiDict

from service.deliver import DeliveryOutcome, WebhookTarget, deliver, sign, verify

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_PATH = ROOT / "schemas" / "webhook-v1.schema.json"
DOCS_PATH = ROOT / "docs" / "webhooks.md"

SECRET = "whsec-correct-horse"
PATH_TOKEN = "p4th-t0ken"
QUERY_TOKEN = "qu3ry-t0ken"
BODY = b'{"version":"1","id":"n-1","summary":"test"}'
NOTIFICATION_ID = "3f6c2a9e-8d41-5b7e-9c0a-6e1f2d4b8a73"
USER_AGENT = "borderwatch-test/1"
START = 1_741_977_715.0  # 2025-03-14T18:41:55Z
MIB = 1024 * 1024

Reply = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Seen:
    headers: CIMultiDict[str]
    body: bytes


@dataclass
class Receiver:
    """A scripted webhook receiver: answers with `replies` in turn (the last repeats)."""

    port: int = 0
    replies: list[Reply] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)  # frees hanging handlers
    body_finished: bool = False

    def url(self, path: str = f"/hook/{PATH_TOKEN}?key={QUERY_TOKEN}") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.seen.append(Seen(CIMultiDict(request.headers), await request.read()))
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
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()
    app = web.Application()
    app.router.add_post("/hook/{token}", rec.handle)
    app.router.add_post("/elsewhere", rec.handle)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    assert server.port is not None
    rec.port = server.port
    try:
        yield rec
    finally:
        rec.release.set()
        await server.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


class FakeTime:
    """An injected clock and sleep: sleeping records the delay and advances the clock."""

    def __init__(self, now: float = START) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.sleeps.append(delay)
        self.now += delay


@dataclass
class RecordingHooks:
    attempts: list[tuple[str, int, str]] = field(default_factory=list)
    finished: list[tuple[str, DeliveryOutcome]] = field(default_factory=list)

    def on_attempt(
        self, target_name: str, attempt: int, outcome_label: str, duration_s: float
    ) -> None:
        assert duration_s >= 0
        self.attempts.append((target_name, attempt, outcome_label))

    def on_finished(self, target_name: str, outcome: DeliveryOutcome) -> None:
        self.finished.append((target_name, outcome))


def target(url: str, **overrides: Any) -> WebhookTarget:
    settings: dict[str, Any] = {"name": "ops", "url": url, "secret": SECRET, "max_attempts": 5}
    settings.update(overrides)
    return WebhookTarget(**settings)


async def send(
    session: aiohttp.ClientSession,
    to: WebhookTarget,
    fake: FakeTime,
    hooks: RecordingHooks | None = None,
) -> DeliveryOutcome:
    return await deliver(
        session,
        to,
        NOTIFICATION_ID,
        BODY,
        user_agent=USER_AGENT,
        clock=fake.clock,
        sleep=fake.sleep,
        hooks=hooks,
    )


# --- delivery ----------------------------------------------------------------------------


async def test_500_then_200_is_delivered_once_with_one_id(
    receiver: Receiver, session: aiohttp.ClientSession
) -> None:
    receiver.replies = [receiver.status(500), receiver.status(200)]
    fake = FakeTime()
    outcome = await send(session, target(receiver.url()), fake)

    assert outcome is DeliveryOutcome.DELIVERED
    assert len(receiver.seen) == 2
    assert {seen.headers["X-Borderwatch-Id"] for seen in receiver.seen} == {NOTIFICATION_ID}
    accepted = receiver.seen[-1]
    assert accepted.body == BODY
    assert accepted.headers["Content-Type"] == "application/json"
    assert accepted.headers["User-Agent"] == USER_AGENT
    assert verify(
        SECRET.encode(),
        accepted.headers["X-Borderwatch-Timestamp"],
        accepted.headers["X-Borderwatch-Signature"],
        accepted.body,
        now=fake.now,
    )
    assert len(fake.sleeps) == 1
    assert 0 <= fake.sleeps[0] <= 1  # first backoff: full jitter in [0, backoff_initial_s]


async def test_every_attempt_is_signed_with_its_own_timestamp(
    receiver: Receiver, session: aiohttp.ClientSession
) -> None:
    receiver.replies = [receiver.status(503, {"Retry-After": "120"}), receiver.status(200)]
    fake = FakeTime()
    assert await send(session, target(receiver.url()), fake) is DeliveryOutcome.DELIVERED

    first, second = receiver.seen
    stamps = [int(seen.headers["X-Borderwatch-Timestamp"]) for seen in receiver.seen]
    assert stamps == [int(START), int(START) + 60]  # Retry-After capped at backoff_max_s
    assert first.headers["X-Borderwatch-Signature"] != second.headers["X-Borderwatch-Signature"]
    for seen, stamp in zip(receiver.seen, stamps, strict=True):
        signature = seen.headers["X-Borderwatch-Signature"]
        assert verify(SECRET.encode(), str(stamp), signature, seen.body, now=stamp)


async def test_429_retry_after_seconds_is_honoured(
    receiver: Receiver, session: aiohttp.ClientSession
) -> None:
    receiver.replies = [receiver.status(429, {"Retry-After": "7"}), receiver.status(204)]
    fake = FakeTime()
    assert await send(session, target(receiver.url()), fake) is DeliveryOutcome.DELIVERED
    assert fake.sleeps == [7]


async def test_503_retry_after_http_date_is_honoured(
    receiver: Receiver, session: aiohttp.ClientSession
) -> None:
    when = email.utils.formatdate(START + 30, usegmt=True)
    receiver.replies = [receiver.status(503, {"Retry-After": when}), receiver.status(200)]
    fake = FakeTime()
    assert await send(session, target(receiver.url()), fake) is DeliveryOutcome.DELIVERED
    assert fake.sleeps == [30]


@pytest.mark.parametrize("code", [400, 401, 404, 410, 422])
async def test_other_4xx_is_rejected_after_one_request(
    receiver: Receiver, session: aiohttp.ClientSession, code: int
) -> None:
    receiver.replies = [receiver.status(code), receiver.status(200)]
    fake = FakeTime()
    hooks = RecordingHooks()
    outcome = await send(session, target(receiver.url()), fake, hooks)
    assert outcome is DeliveryOutcome.REJECTED
    assert len(receiver.seen) == 1
    assert fake.sleeps == []
    assert hooks.attempts == [("ops", 1, str(code))]
    assert hooks.finished == [("ops", DeliveryOutcome.REJECTED)]


async def test_redirect_is_not_followed(receiver: Receiver, session: aiohttp.ClientSession) -> None:
    receiver.replies = [receiver.status(307, {"Location": "/elsewhere"}), receiver.status(200)]
    outcome = await send(session, target(receiver.url()), FakeTime())
    assert outcome is DeliveryOutcome.REJECTED
    assert len(receiver.seen) == 1


async def test_408_is_retried(receiver: Receiver, session: aiohttp.ClientSession) -> None:
    receiver.replies = [receiver.status(408), receiver.status(200)]
    assert await send(session, target(receiver.url()), FakeTime()) is DeliveryOutcome.DELIVERED
    assert len(receiver.seen) == 2


async def test_always_503_gives_up_after_max_attempts(
    receiver: Receiver, session: aiohttp.ClientSession
) -> None:
    receiver.replies = [receiver.status(503)]
    fake = FakeTime()
    hooks = RecordingHooks()
    to = target(receiver.url(), max_attempts=6, backoff_initial_s=1, backoff_max_s=10)
    outcome = await send(session, to, fake, hooks)

    assert outcome is DeliveryOutcome.GAVE_UP
    assert len(receiver.seen) == 6
    assert len(fake.sleeps) == 5  # no pointless wait after the last attempt
    for attempt, delay in enumerate(fake.sleeps, start=1):
        assert 0 <= delay <= min(10, 2 ** (attempt - 1))
    assert [label for _, _, label in hooks.attempts] == ["503"] * 6
    assert hooks.finished == [("ops", DeliveryOutcome.GAVE_UP)]


async def test_hanging_receiver_times_out_and_gives_up(
    receiver: Receiver, session: aiohttp.ClientSession
) -> None:
    receiver.replies = [receiver.hang]
    fake = FakeTime()
    hooks = RecordingHooks()
    outcome = await send(
        session, target(receiver.url(), timeout_s=0.2, max_attempts=3), fake, hooks
    )

    assert outcome is DeliveryOutcome.GAVE_UP
    assert len(receiver.seen) == 3
    assert len(fake.sleeps) == 2
    assert [label for _, _, label in hooks.attempts] == ["timeout"] * 3


async def test_refused_connection_is_retried(session: aiohttp.ClientSession) -> None:
    with socket.socket() as probe:  # a port nothing listens on once the probe closes
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    hooks = RecordingHooks()
    to = target(f"http://127.0.0.1:{port}/hook/x", max_attempts=3)
    outcome = await send(session, to, FakeTime(), hooks)
    assert outcome is DeliveryOutcome.GAVE_UP
    assert [label for _, _, label in hooks.attempts] == ["error"] * 3


async def test_huge_response_body_is_not_read(
    receiver: Receiver, session: aiohttp.ClientSession
) -> None:
    receiver.replies = [receiver.huge]
    started = time.monotonic()
    outcome = await send(session, target(receiver.url(), timeout_s=10, max_attempts=1), FakeTime())
    # The receiver is still stalled mid-body: finishing now means the client stopped
    # reading early instead of waiting for the rest until the 10 s timeout.
    assert outcome is DeliveryOutcome.DELIVERED
    assert time.monotonic() - started < 5
    assert not receiver.body_finished
    assert len(receiver.seen) == 1


async def test_no_secret_means_no_signature_header(
    receiver: Receiver, session: aiohttp.ClientSession
) -> None:
    receiver.replies = [receiver.status(200)]
    fake = FakeTime()
    assert await send(session, target(receiver.url(), secret=None), fake) is (
        DeliveryOutcome.DELIVERED
    )
    (seen,) = receiver.seen
    assert "X-Borderwatch-Signature" not in seen.headers
    assert seen.headers["X-Borderwatch-Timestamp"] == str(int(START))


async def test_failing_hook_does_not_change_the_outcome(
    receiver: Receiver, session: aiohttp.ClientSession
) -> None:
    class Broken:
        def on_attempt(self, target_name: str, attempt: int, label: str, duration: float) -> None:
            raise RuntimeError("metrics backend down")

        def on_finished(self, target_name: str, outcome: DeliveryOutcome) -> None:
            raise RuntimeError("metrics backend down")

    receiver.replies = [receiver.status(200)]
    outcome = await deliver(
        session,
        target(receiver.url()),
        NOTIFICATION_ID,
        BODY,
        user_agent=USER_AGENT,
        hooks=Broken(),
    )
    assert outcome is DeliveryOutcome.DELIVERED
    assert len(receiver.seen) == 1


async def test_logs_name_the_target_but_never_the_url_path_query_or_secret(
    receiver: Receiver, session: aiohttp.ClientSession
) -> None:
    receiver.replies = [receiver.status(500), receiver.status(400)]
    with structlog.testing.capture_logs() as logs:
        assert await send(session, target(receiver.url()), FakeTime()) is (DeliveryOutcome.REJECTED)
    assert [entry["event"] for entry in logs] == ["webhook.retry_scheduled", "webhook.rejected"]
    assert all(entry["target"] == "ops" for entry in logs)
    assert all(entry["host"] == f"http://127.0.0.1:{receiver.port}" for entry in logs)
    text = repr(logs)
    for secret in (PATH_TOKEN, QUERY_TOKEN, SECRET, "/hook/"):
        assert secret not in text


def test_target_repr_hides_secret_path_query_and_userinfo() -> None:
    to = WebhookTarget(
        name="ops",
        url=f"https://user:pa55word@hooks.example.org:8443/hook/{PATH_TOKEN}?key={QUERY_TOKEN}",
        secret=SECRET,
    )
    for text in (repr(to), str(to), f"{to}", repr([to])):
        assert "https://hooks.example.org:8443" in text
        for secret in (PATH_TOKEN, QUERY_TOKEN, SECRET, "pa55word", "user", "/hook/"):
            assert secret not in text
    assert "secret=None" in repr(WebhookTarget(name="ops", url="http://h.example/x", secret=None))


def test_target_rejects_a_bad_url_without_echoing_it() -> None:
    with pytest.raises(ValueError, match="ops") as caught:
        WebhookTarget(name="ops", url=f"ftp://h.example/{PATH_TOKEN}", secret=None)
    assert PATH_TOKEN not in str(caught.value)
    with pytest.raises(ValueError):
        WebhookTarget(name="ops", url="http://h.example/x", secret=None, max_attempts=0)


# --- signing -----------------------------------------------------------------------------


def test_sign_is_hmac_sha256_over_timestamp_dot_body() -> None:
    expected = hmac.new(b"k", b"1741977715." + BODY, hashlib.sha256).hexdigest()
    assert sign(b"k", 1741977715, BODY) == f"sha256={expected}"


def signed(secret: bytes = b"k", stamp: int = int(START)) -> tuple[str, str]:
    return str(stamp), sign(secret, stamp, BODY)


def test_verify_accepts_a_fresh_genuine_request() -> None:
    stamp, signature = signed()
    assert verify(b"k", stamp, signature, BODY, now=START)
    assert verify(b"k", stamp, signature, BODY, now=START + 300)
    assert verify(b"k", stamp, signature, BODY, now=START - 300)


def test_verify_rejects_a_wrong_secret() -> None:
    stamp, signature = signed(secret=b"other")
    assert not verify(b"k", stamp, signature, BODY, now=START)


def test_verify_rejects_a_tampered_body() -> None:
    stamp, signature = signed()
    assert not verify(b"k", stamp, signature, BODY.replace(b"test", b"tess"), now=START)


@pytest.mark.parametrize("skew", [301, -301, 86_400])
def test_verify_rejects_a_timestamp_outside_the_window(skew: int) -> None:
    stamp, signature = signed()
    assert not verify(b"k", stamp, signature, BODY, now=START + skew)


def test_verify_rejects_a_timestamp_that_is_not_the_signed_one() -> None:
    _, signature = signed()
    assert not verify(b"k", str(int(START) + 1), signature, BODY, now=START)


@pytest.mark.parametrize(
    ("stamp", "signature"),
    [
        (None, "sha256=00"),
        ("1741977715", None),
        ("", "sha256=00"),
        ("-1741977715", "sha256=00"),
        ("1741977715.0", "sha256=00"),
        ("１７４１９７７７１５", "sha256=00"),  # full-width digits: isdigit() but not ASCII
        ("1741977715", "sha256=ünïcode"),
    ],
)
def test_verify_rejects_malformed_headers(stamp: str | None, signature: str | None) -> None:
    assert not verify(b"k", stamp, signature, BODY, now=START)


def test_docs_receiver_example_works() -> None:
    """The stdlib receiver in docs/webhooks.md accepts genuine requests and nothing else."""
    docs = DOCS_PATH.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", docs, flags=re.DOTALL)
    namespace: dict[str, Any] = {}
    exec(compile(blocks[0], str(DOCS_PATH), "exec"), namespace)
    check = namespace["is_from_borderwatch"]
    stamp = int(time.time())
    headers = {
        "X-Borderwatch-Timestamp": str(stamp),
        "X-Borderwatch-Signature": sign(b"k", stamp, BODY),
    }
    assert check(b"k", headers, BODY)
    assert not check(b"wrong", headers, BODY)
    assert not check(b"k", headers, BODY + b" ")
    old = stamp - 301
    stale = {"X-Borderwatch-Timestamp": str(old), "X-Borderwatch-Signature": sign(b"k", old, BODY)}
    assert not check(b"k", stale, BODY)


# --- payload schema ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded


def test_schema_is_valid_and_its_example_validates(schema: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator.check_schema(schema)
    (example,) = schema["examples"]
    jsonschema.validate(example, schema, cls=jsonschema.Draft202012Validator)
    assert example["aircraft"]["callsign"] == "TROY701"
    assert example["area"]["country"] == "MX"


def test_docs_example_matches_the_schema_example(schema: dict[str, Any]) -> None:
    docs = DOCS_PATH.read_text(encoding="utf-8")
    (block,) = re.findall(r"```json\n(.*?)```", docs, flags=re.DOTALL)
    assert json.loads(block) == schema["examples"][0]


def _set(payload: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    node = payload
    for key in parents:
        node = node[key]
    if value is _DELETE:
        del node[leaf]
    else:
        node[leaf] = value


_DELETE = object()

LOITER = {
    "center": {"lat": 10.0, "lon": 20.0},
    "radius_km": 8.0,
    "turns": 3.5,
    "duration_s": 2400,
    "alt_min_ft": 15000,
    "alt_max_ft": 16000,
}


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"version": "2"}, "wrong version"),
        ({"id": _DELETE}, "missing id"),
        ({"aircraft.hex": "AE2FD0"}, "uppercase hex"),
        ({"aircraft.state": "USA"}, "alpha-3 state"),
        ({"aircraft.category": "spy"}, "unknown category"),
        ({"position.lat": 91}, "latitude out of range"),
        ({"position.alt_ft": 18000.5}, "fractional altitude"),
        ({"at": "2025-03-14T19:41:55+01:00"}, "time not in UTC"),
        ({"summary": ""}, "empty summary"),
        ({"sequence": -1}, "negative sequence"),
        ({"sequence": 1}, "opened is always sequence 0"),
        ({"status": "resolved"}, "opened must be firing"),
        ({"kind": "resolved", "status": "resolved", "sequence": 3}, "resolved without ended_at"),
        ({"area": _DELETE}, "foreign_airspace without area"),
        ({"area.depth_km": -1}, "negative depth"),
        ({"loiter": LOITER}, "loiter block on a foreign_airspace alert"),
        ({"rule.type": "loiter"}, "loiter rule without loiter block"),
        ({"rule.severity": "fatal"}, "unknown severity"),
        ({"extra": 1}, "unknown top-level field"),
    ],
)
def test_invalid_payloads_fail(schema: dict[str, Any], changes: dict[str, Any], why: str) -> None:
    payload = copy.deepcopy(schema["examples"][0])
    for dotted, value in changes.items():
        _set(payload, dotted, value)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(payload)


def test_other_valid_shapes(schema: dict[str, Any]) -> None:
    validator = jsonschema.Draft202012Validator(schema)
    base = schema["examples"][0]

    resolved = copy.deepcopy(base)
    resolved.update(kind="resolved", status="resolved", sequence=2, ended_at="2025-03-14T19:02:10Z")
    validator.validate(resolved)

    loiter = copy.deepcopy(base)
    del loiter["area"]
    loiter.update(rule={"id": "loiter", "type": "loiter", "severity": "warning"}, loiter=LOITER)
    loiter["aircraft"].update(hex="~abc123", callsign=None, registration=None, state=None)
    validator.validate(loiter)

    silent = copy.deepcopy(base)
    silent["rule"] = {"id": "silent", "type": "signal_lost", "severity": "info"}
    silent["area"].update(max_depth_km=None, entered_at=None, entry=None)
    silent["signal"] = {"last_seen": "2025-03-14T18:40:00Z", "silent_s": 115}
    validator.validate(silent)
