"""The apprise receiver kind, as production sends it (OutboxWorker -> apprise in a pool
thread), against a local ntfy-style endpoint on 127.0.0.1 that real apprise posts to:
delivered, retried when the endpoint fails then succeeds, a dead letter after the
bounded attempts, a hanging endpoint cut off at `timeout_s`, routing and silences as
for the native kinds, hostile feed text neutralised, and the URL (a secret) never in
the logs, on stderr or in a configuration error.

The worker's clock is fake (tests move it to the next attempt); the only real waits are
the short per-attempt timeouts of the hanging-endpoint test."""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
import pytest
import structlog
from aiohttp import web
from pydantic import SecretStr

from service.app import build_app
from service.deliver.apprise_channel import MISSING, AppriseSender, message
from service.deliver.outbox import OutboxWorker
from service.metrics import Metrics
from service.pipeline import replay as replay_recording
from service.settings import ConfigError, Settings, load_settings
from service.settings.receivers import AppriseReceiver
from service.store import MemoryStore
from service.store.records import OutboxItem, Silence
from tests.deliver.test_chat import EXAMPLE, hostile_payload, typed
from tests.deliver.test_links import settings as settings_with
from tests.support.clock import FakeClock
from tests.support.outbox import T0, enqueue, item
from tests.support.outbox import Rig as OutboxRig
from tests.support.servers import http_server

NAME = "phone"
TOPIC = "t0pic-s3cret"
USER, PASSWORD = "bw", "pa55word"
NOTIFICATION_ID = "008a42ca-b4c7-5ebc-8b5a-086e8972c285"

Reply = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Ntfy:
    """An ntfy-style server: apprise's ntfy plugin POSTs {topic, title, message} as JSON
    to the server's root. It answers with `replies` in turn (the last one repeats)."""

    base: str = ""
    replies: list[Reply] = field(default_factory=list)
    seen: list[dict[str, Any]] = field(default_factory=list)
    auth: list[str | None] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)  # frees hanging handlers

    def url(self, **query: str) -> str:
        host = self.base.removeprefix("http://")
        args = "&".join(f"{k}={v}" for k, v in query.items())
        return f"ntfy://{USER}:{PASSWORD}@{host}/{TOPIC}" + (f"?{args}" if args else "")

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.seen.append(json.loads(await request.read()))
        self.auth.append(request.headers.get("Authorization"))
        reply = self.replies[min(len(self.seen), len(self.replies)) - 1]
        return await reply(request)

    @staticmethod
    def status(code: int) -> Reply:
        async def reply(request: web.Request) -> web.StreamResponse:
            if code == 200:
                return web.json_response({"id": "m1", "event": "message"})
            return web.json_response({"code": code, "error": "nope"}, status=code)

        return reply

    async def hang(self, request: web.Request) -> web.StreamResponse:
        await self.release.wait()
        return web.json_response({"id": "late"})


@pytest.fixture
async def ntfy() -> AsyncIterator[Ntfy]:
    server = Ntfy(replies=[Ntfy.status(200)])
    async with http_server({"POST /": server.handle}) as server.base:
        try:
            yield server
        finally:
            server.release.set()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


def real_item(**changes: Any) -> OutboxItem:
    """The README's first TROY701 notification, queued for the apprise receiver."""
    payload = msgspec.Raw(json.dumps(EXAMPLE).encode())
    base = item("ep", 0, "opened", receiver=NAME, id=NOTIFICATION_ID, payload=payload)
    return msgspec.structs.replace(base, rule="foreign-airspace", **changes)


class Rig(OutboxRig):
    """Notifications queued for the apprise receiver, and what delivering them recorded."""

    def count(self, metric: str, label: str) -> float:
        return float(getattr(self.metrics, metric).labels(NAME, label)._value.get())


Make = Callable[..., Awaitable[Rig]]


@pytest.fixture
def make(session: aiohttp.ClientSession) -> Iterator[Make]:
    workers: list[OutboxWorker] = []

    async def build(url: str, *items: OutboxItem, **settings: Any) -> Rig:
        store, clock, metrics = MemoryStore(), FakeClock(T0), Metrics()
        await enqueue(store, *(items or (real_item(),)))
        config = AppriseReceiver(type="apprise", name=NAME, url=SecretStr(url), **settings)
        worker = OutboxWorker(
            store, session, [config], metrics, sent_ttl_s=60, clock=clock, jitter=lambda: 1.0
        )
        workers.append(worker)
        return Rig(store, clock, metrics, worker)

    yield build
    for worker in workers:
        if worker.pusher is not None:
            worker.pusher.close()


# --- the message ----------------------------------------------------------------------


def test_the_message_is_plain_text_with_summary_facts_and_links() -> None:
    push = message(typed(EXAMPLE))
    assert push.title == "FIRING foreign-airspace #0 · TROY701"
    assert push.notify_type == "warning"
    lines = push.body.splitlines()
    assert lines[0] == EXAMPLE["summary"]
    assert "Aircraft: TROY701 / CBP-113" in lines and "Address: AE2FD0" in lines
    assert "ADS-B Exchange: https://globe.adsbexchange.com/?icao=ae2fd0" in lines
    assert lines[-1].endswith(f"episode {EXAMPLE['fingerprint']} (to borderwatch ack)")
    resolved = typed({**EXAMPLE, "status": "resolved", "kind": "resolved", "sequence": 4,
                      "ended_at": EXAMPLE["at"]})  # fmt: skip
    assert message(resolved).notify_type == "success"


def test_hostile_feed_text_cannot_mention_or_form_markup() -> None:
    push = message(typed(hostile_payload()))
    for text in (push.title, push.body):
        assert "@everyone" not in text and "@here" not in text and "<@" not in text
        assert "<!channel>" not in text and "[click](" not in text
        assert "\n\n\n" not in text
    assert "@\u200beveryone" in push.body and "‹!channel›" in push.body
    assert len(push.title) <= 250 and len(push.body) < 4000  # 10 kB callsigns are cut


# --- delivery through the outbox --------------------------------------------------------


async def test_delivered_to_a_local_ntfy_endpoint(ntfy: Ntfy, make: Make) -> None:
    rig = await make(ntfy.url())
    await rig.pass_()
    (posted,) = ntfy.seen
    assert posted["topic"] == TOPIC
    assert posted["title"] == "FIRING foreign-airspace #0 · TROY701"
    assert posted["message"].startswith(EXAMPLE["summary"])
    assert "https://globe.adsb.lol/?icao=ae2fd0" in posted["message"]
    assert ntfy.auth[0] is not None and ntfy.auth[0].startswith("Basic ")
    assert await rig.store.outbox_pending() == []
    assert await rig.store.was_sent(NAME, NOTIFICATION_ID)
    assert (rig.count("deliveries", "delivered"), rig.count("delivery_attempts", "sent")) == (1, 1)


async def test_a_failing_endpoint_is_retried_until_it_accepts(ntfy: Ntfy, make: Make) -> None:
    ntfy.replies = [Ntfy.status(500), Ntfy.status(429), Ntfy.status(200)]
    rig = await make(ntfy.url(), backoff_initial_s=2)
    await rig.pass_()
    (pending,) = await rig.store.outbox_pending()
    assert (pending.attempts, pending.last_error, pending.next_at) == (1, "failed", T0 + 2)
    rig.clock.now = T0 + 1
    await rig.pass_()
    assert len(ntfy.seen) == 1  # not before the backoff
    await rig.next_attempt()
    await rig.next_attempt()
    assert len(ntfy.seen) == 3 and await rig.store.outbox_pending() == []
    assert rig.count("delivery_attempts", "failed") == 2
    assert rig.count("deliveries", "delivered") == 1


async def test_a_dead_letter_after_the_bounded_attempts(ntfy: Ntfy, make: Make) -> None:
    ntfy.replies = [Ntfy.status(503)]
    rig = await make(ntfy.url(), max_attempts=4, backoff_initial_s=1, backoff_max_s=5)
    await rig.pass_()
    for _ in range(3):
        await rig.next_attempt()
    assert len(ntfy.seen) == 4
    assert await rig.store.outbox_pending() == []
    (dead,) = await rig.store.dead_letters()
    assert dead.dead_reason == "gave up after 4 attempts (failed)"
    assert rig.count("deliveries", "gave_up") == 1
    rig.clock.now += 3600
    await rig.pass_()
    assert len(ntfy.seen) == 4  # a dead letter waits for `deadletters resend`


async def test_a_hanging_endpoint_is_cut_off_at_timeout_s(ntfy: Ntfy, make: Make) -> None:
    ntfy.replies = [ntfy.hang, Ntfy.status(200)]
    rig = await make(ntfy.url(), timeout_s=0.3)
    await rig.pass_()  # returns after the 0.3 s timeout, the endpoint still hanging
    (pending,) = await rig.store.outbox_pending()
    assert (pending.attempts, pending.last_error) == (1, "timeout")
    await rig.next_attempt()
    assert len(ntfy.seen) == 2 and await rig.store.outbox_pending() == []


async def test_threads_still_inside_apprise_are_bounded(ntfy: Ntfy) -> None:
    ntfy.replies = [ntfy.hang]
    sender = AppriseSender(1)
    push = message(typed(EXAMPLE))
    first = await sender.send(ntfy.url(), push, timeout_s=0.3)
    # Its thread waits for the endpoint (until apprise's read timeout): no room now.
    second = await sender.send(ntfy.url(), push, timeout_s=0.3)
    assert (first.label, first.outcome, second.label, second.outcome) == (
        "timeout", None, "busy", None,
    )  # fmt: skip
    sender.close()
    ntfy.replies = [Ntfy.status(200)]
    assert (await sender.send(ntfy.url(), push, timeout_s=0.3)).label == "busy"
    assert len(ntfy.seen) == 1


async def test_an_endpoint_that_is_not_there_is_retried(make: Make) -> None:
    async with http_server({}) as base:  # a port that was listening, now closed
        url = f"ntfy://{base.removeprefix('http://')}/{TOPIC}"
    rig = await make(url, timeout_s=2)
    await rig.pass_()
    (pending,) = await rig.store.outbox_pending()
    assert (pending.attempts, pending.last_error) == (1, "failed")


async def test_silences_and_acknowledgements_apply_as_for_native_receivers(
    ntfy: Ntfy, make: Make
) -> None:
    rig = await make(
        ntfy.url(),
        real_item(),
        item("acked", 1, "update", receiver=NAME, rule="squawk", hex="abcdef", country=None),
    )
    await rig.store.add_silence(
        Silence(id="s1", hex="ae2fd0", until=T0 + 100, created_at=T0, comment="")
    )
    await rig.store.acknowledge("acked", b'{"by":"test"}', ttl_s=60)
    for _ in range(2):
        await rig.pass_()
    assert ntfy.seen == []
    assert await rig.store.outbox_pending() == []
    assert (rig.count("deliveries", "silenced"), rig.count("deliveries", "acknowledged")) == (1, 1)


async def test_routing_applies_as_for_native_receivers(
    boundaries_path: Path, troy701_path: Path
) -> None:
    receivers: list[dict[str, Any]] = [
        {"name": "loiter-phone", "type": "apprise", "url": "ntfy://127.0.0.1:9/a",
         "route": {"rules": ["loiter"]}, "send_resolved": False},
        {"name": "canada-phone", "type": "apprise", "url": "ntfy://127.0.0.1:9/b",
         "route": {"countries": ["CA"]}},
        {"name": "off", "type": "apprise"},  # no url: disabled
    ]  # fmt: skip
    app = await build_app(settings_with(boundaries_path, receivers), deliver=True)
    try:
        async for _ in replay_recording(app.pipeline, troy701_path):
            pass
        pending = await app.store.outbox_pending()
    finally:
        await app.close()
    found = Counter((i.receiver, i.rule, i.kind) for i in pending)
    assert found == {
        ("loiter-phone", "loiter", "opened"): 1,
        ("loiter-phone", "loiter", "update"): 3,
    }


# --- the URL is a secret ----------------------------------------------------------------


async def test_the_url_is_never_in_the_logs(ntfy: Ntfy, make: Make) -> None:
    ntfy.replies = [Ntfy.status(500), Ntfy.status(403), ntfy.hang]
    rig = await make(ntfy.url(), max_attempts=3, timeout_s=0.3)
    with structlog.testing.capture_logs() as logs:
        await rig.pass_()
        await rig.next_attempt()
        await rig.next_attempt()
    assert len(ntfy.seen) == 3 and await rig.store.dead_letters()
    events = [entry["event"] for entry in logs if entry["event"] != "outbox.lease_acquired"]
    assert events == ["webhook.retry_scheduled", "webhook.retry_scheduled", "outbox.dead_letter"]
    assert all(entry["receiver"] == NAME for entry in logs if "receiver" in entry)
    dead = repr(await rig.store.dead_letters())
    for text in (repr(logs), dead, repr(rig.worker.receivers)):
        for secret in (TOPIC, PASSWORD, ntfy.base.removeprefix("http://")):
            assert secret not in text


# apprise's own log lines name the topic and URL ("Failed to send ntfy notification to
# topic ...", "ntfy POST URL: ..."); a process that sends and validates must print
# none of them, even with a root handler taking everything (as an embedding program or
# a future log setup might). In a child process: pytest attaches its own capture
# handler to every logger.
CHILD = """
import asyncio, logging, sys
from service.deliver.apprise_channel import AppriseSender, Push, url_problem
from service.logs import configure

configure("debug", json=True)
logging.basicConfig(level=logging.DEBUG)
print(url_problem(sys.argv[2]), file=sys.stderr)
sender = AppriseSender(1)
attempt = asyncio.run(sender.send(sys.argv[1], Push("t", "b", "info"), timeout_s=5))
print(attempt.label, file=sys.stderr)
sender.close()
"""


async def test_the_url_is_never_printed_by_the_process(ntfy: Ntfy) -> None:
    ntfy.replies = [Ntfy.status(500)]
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CHILD, ntfy.url(), f"tgram://{TOPIC}/{PASSWORD}",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await child.communicate()
    assert child.returncode == 0, err
    assert len(ntfy.seen) == 1
    printed = (out + err).decode()
    assert printed.splitlines()[-1] == "failed"
    assert "apprise cannot use this url (tgram://" in printed
    for secret in (TOPIC, PASSWORD, ntfy.base.removeprefix("http://")):
        assert secret not in printed


def test_a_url_apprise_cannot_use_is_refused_without_echoing_it(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    for url in (f"nosuchservice://{TOPIC}", TOPIC, f"tgram://{TOPIC}/{PASSWORD}"):
        path.write_text(f"receivers:\n  - {{name: {NAME}, type: apprise, url: '{url}'}}\n")
        with pytest.raises(ConfigError, match=r"receivers\.0\.apprise\.url: ") as caught:
            load_settings(path, environ={})
        assert TOPIC not in str(caught.value) and PASSWORD not in str(caught.value)
    path.write_text(f"receivers:\n  - {{name: {NAME}, type: apprise, url: '${{PHONE:-}}'}}\n")
    settings = load_settings(path, environ={})  # empty: disabled, as for every kind
    assert settings.disabled_receivers() == [(NAME, "url ${PHONE:-} is empty")]


def test_without_the_apprise_package_the_config_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "apprise", None)  # `import apprise` now fails
    path = tmp_path / "config.yaml"
    path.write_text(f"receivers:\n  - {{name: {NAME}, type: apprise, url: 'ntfy://h/{TOPIC}'}}\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert str(caught.value).endswith(f"receivers.0.apprise.url: {MISSING}")
    # Other kinds do not need it.
    assert Settings.model_validate({"receivers": [{"name": "s", "type": "slack"}]}).receivers
