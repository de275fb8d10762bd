"""Silences, acknowledgements and dead letters from the CLI and the HTTP API, on Redis;
every HTTP exchange checked against docs/openapi.yaml."""

from __future__ import annotations

import asyncio
import io
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
import yaml
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from PIL import Image

from service import cli, logs
from service.alerts.silences import SilenceError, new_silence
from service.app import build_app
from service.cli.alerts import parse_duration
from service.http import build_http_app
from service.settings import DEFAULT_CONFIG, Settings
from service.store import RedisStore
from service.store.records import OutboxItem
from tests.http.openapi_check import call
from tests.support.paths import ROOT

FINGERPRINT = "fb2c05f99ddca4f73ec3f2b09564ab73"
TOKEN = "t0ken-for-tests"
README = (ROOT / "README.md").read_text()


def dead_letter(id_: str = "n-1") -> OutboxItem:
    example = README.split("```json\n", 1)[1].split("```", 1)[0]
    payload = dict(json.loads(example), id=id_)
    return OutboxItem(
        receiver="hook",
        id=id_,
        fingerprint=FINGERPRINT,
        sequence=0,
        kind="opened",
        rule="foreign-airspace",
        hex="ae2fd0",
        country="MX",
        payload=msgspec.Raw(json.dumps(payload).encode()),
        at=0.0,
        enqueued_at=1.0,
        attempts=7,
        dead_reason="rejected with HTTP 400",
        dead_at=2.0,
    )


def test_new_silence_validates_its_matchers() -> None:
    silence = new_silence(rule=None, hex_="AE2FD0", country="mx", duration_s=60, comment="", now=10)
    assert (silence.hex, silence.country, silence.until) == ("ae2fd0", "MX", 70)
    for bad in (
        {"rule": None, "hex_": None, "country": None},
        {"rule": None, "hex_": "nothex", "country": None},
        {"rule": None, "hex_": None, "country": "Mexico"},
    ):
        with pytest.raises(SilenceError):
            new_silence(duration_s=60, comment="", now=0, **bad)
    assert parse_duration("90m") == 5400 and parse_duration("1d12h") == 129600
    assert parse_duration("30") == 30


@pytest.fixture
def config(tmp_path: Path, redis_server: str, boundaries_path: Path) -> tuple[Path, str, str]:
    prefix = f"bwsil-{uuid.uuid4().hex[:8]}"
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text())
    raw["store"] = {"redis_url": redis_server, "key_prefix": prefix}
    raw["boundaries"] = {"path": str(boundaries_path)}
    raw["feeds"], raw["receivers"], raw["http"] = [], [], {}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path, redis_server, prefix


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[Any]]:
    code = cli.main(list(args))
    out = capsys.readouterr().out
    return code, [json.loads(line) for line in out.splitlines() if line.strip()]


def test_cli_silences_ack_and_dead_letters(
    config: tuple[Path, str, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # In-process CLI calls: keep the test's logging set-up (it would bind to capsys).
    monkeypatch.setattr(logs, "configure", lambda **_: None)
    path, url, prefix = config
    cfg = ("--config", str(path))
    code, (added,) = run_cli(capsys, "silences", "add", "--rule", "loiter", "--country", "MX",
                             "--for", "2h", "--comment", "exercise", *cfg)  # fmt: skip
    assert code == 0 and added["active"] and added["rule"] == "loiter"
    assert run_cli(capsys, "silences", "list", *cfg)[1] == [added]
    assert run_cli(capsys, "silences", "expire", added["id"], *cfg)[0] == 0
    assert run_cli(capsys, "silences", "list", *cfg)[1] == []
    (listed,) = run_cli(capsys, "silences", "list", "--all", *cfg)[1]
    assert listed["id"] == added["id"] and not listed["active"]
    assert run_cli(capsys, "silences", "expire", added["id"], *cfg)[0] == 1
    assert cli.main(["silences", "add", "--for", "1h", *cfg]) == 2  # no matcher

    assert run_cli(capsys, "ack", FINGERPRINT, "--by", "ana", *cfg)[0] == 0

    async def seed_and_check() -> tuple[bytes | None, int]:
        store = RedisStore(url, prefix=prefix)
        try:
            await store.claim_notification("n-1", ttl_s=60, outbox=[dead_letter()])
            await store.outbox_bury(dead_letter())
            acked = await store.acknowledged(FINGERPRINT)
            return acked, await store.outbox_depth()
        finally:
            await store.close()

    acked, depth = asyncio.run(seed_and_check())
    assert acked is not None and json.loads(acked)["by"] == "ana" and depth == 0
    (dead,) = run_cli(capsys, "deadletters", "list", *cfg)[1]
    assert dead["key"] == "hook|n-1" and dead["reason"] == "rejected with HTTP 400"
    assert dead["payload"]["aircraft"]["callsign"] == "TROY701"
    assert run_cli(capsys, "deadletters", "resend", "hook|n-1", *cfg)[1] == [{"resent": 1}]

    async def depth_after() -> int:
        store = RedisStore(url, prefix=prefix)
        try:
            return await store.outbox_depth()
        finally:
            await store.close()

    assert asyncio.run(depth_after()) == 1


@pytest.fixture
async def api(
    config: tuple[Path, str, str], redis_url: str
) -> AsyncIterator[tuple[TestClient[web.Request, web.Application], RedisStore]]:
    """A test client on the HTTP app with a token set, and the store behind it."""
    path, url, prefix = config
    raw = yaml.safe_load(path.read_text())
    raw["http"] = {"api_token": TOKEN}
    app = await build_app(Settings.model_validate(raw))
    client = TestClient(TestServer(build_http_app(app, {})))
    await client.start_server()
    store = RedisStore(url, prefix=prefix)
    yield client, store
    await store.close()
    await client.close()
    await app.close()


async def test_api_silences_ack_dead_letters_and_map(
    api: tuple[TestClient[web.Request, web.Application], RedisStore],
) -> None:
    """Every exchange is checked against docs/openapi.yaml (tests/http/openapi_check.py)."""
    client, store = api
    auth = {"Authorization": f"Bearer {TOKEN}"}
    body = {"hex": "ae2fd0", "duration_s": 3600, "comment": "known flight"}
    await call(client, "post", "/api/silences", json_body=body, status=401)
    created = await call(client, "post", "/api/silences", json_body=body, status=201, headers=auth)
    assert (created["hex"], created["active"], created["comment"]) == (
        "ae2fd0",
        True,
        "known flight",
    )
    listed = await call(client, "get", "/api/silences", headers=auth)
    assert listed == {"count": 1, "silences": [created]}
    await call(client, "delete", f"/api/silences/{created['id']}", status=204, headers=auth)
    await call(client, "delete", f"/api/silences/{created['id']}", status=404, headers=auth)
    assert (await call(client, "get", "/api/silences", headers=auth))["count"] == 0
    (expired,) = (await call(client, "get", "/api/silences?all=1", headers=auth))["silences"]
    assert expired["id"] == created["id"] and not expired["active"]

    url = f"/api/episodes/{FINGERPRINT}/ack"
    acked = await call(client, "post", url, json_body={"by": "bo"}, headers=auth)
    assert acked == {"acknowledged": FINGERPRINT, "by": "bo"}
    assert await store.acknowledged(FINGERPRINT) is not None
    assert (await call(client, "post", url, headers=auth))["by"] == "api"  # no body
    await call(client, "post", "/api/episodes/nothex/ack", status=400, headers=auth,
               request_valid=False)  # fmt: skip

    await store.claim_notification("n-2", ttl_s=60, outbox=[dead_letter("n-2")])
    await store.outbox_bury(dead_letter("n-2"))
    dead = await call(client, "get", "/api/deadletters", headers=auth)
    assert dead["count"] == 1
    assert (dead["dead_letters"][0]["id"], dead["dead_letters"][0]["key"]) == ("n-2", "hook|n-2")
    png = await call(client, "get", "/api/alerts/n-2/map.png", headers=auth)
    assert Image.open(io.BytesIO(png)).size == (800, 520)
    await call(client, "get", "/api/alerts/nope/map.png", status=404, headers=auth)
    resend = "/api/deadletters/resend"
    await call(client, "post", resend, json_body={"keys": "hook|n-2"}, status=400, headers=auth,
               request_valid=False)  # fmt: skip
    keys = {"keys": ["hook|n-2", "hook|n-2", "hook|gone"]}  # repeated and unknown keys
    assert await call(client, "post", resend, json_body=keys, headers=auth) == {"resent": 1}
    assert await call(client, "post", resend, headers=auth) == {"resent": 0}  # no body: all
    assert await store.dead_letters() == [] and await store.outbox_depth() == 1


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"duration_s": 5}, "at least one"),
        ({"rule": "", "country": None, "duration_s": 5}, "at least one"),
        ({"rule": "loiter"}, "duration_s"),
        ({"rule": "loiter", "duration_s": 0}, "duration"),
        ({"hex": "nothex", "duration_s": 5}, "hex"),
        ({"country": "Mexico", "duration_s": 5}, "country"),
        ({"hex": 5, "duration_s": 5}, "hex must be a string"),  # was a 500
        ({"rule": 5, "duration_s": 5}, "rule must be a string"),  # was stored, broke reads
        ({"rule": "loiter", "duration_s": 5, "comment": ["x"]}, "comment must be a string"),
        ([{"rule": "loiter", "duration_s": 5}], "JSON object"),
    ],
)
async def test_api_rejects_bad_silences(
    api: tuple[TestClient[web.Request, web.Application], RedisStore], body: Any, detail: str
) -> None:
    client, store = api
    auth = {"Authorization": f"Bearer {TOKEN}"}
    error = await call(client, "post", "/api/silences", json_body=body, status=400, headers=auth,
                       request_valid=False)  # fmt: skip
    assert error["error"] == "bad_request" and detail in error["detail"]
    assert await store.silences() == []
    assert await call(client, "get", "/api/silences?all=true", headers=auth) == {
        "count": 0,
        "silences": [],
    }


async def test_api_without_a_token_refuses_changes(
    config: tuple[Path, str, str], redis_url: str
) -> None:
    path, _, _ = config
    app = await build_app(Settings.model_validate(yaml.safe_load(path.read_text())))
    client = TestClient(TestServer(build_http_app(app, {})))
    await client.start_server()
    try:
        body = {"rule": "x", "duration_s": 9}
        refused = await call(client, "post", "/api/silences", json_body=body, status=403)
        assert refused["error"] == "forbidden"
        await call(client, "post", f"/api/episodes/{FINGERPRINT}/ack", status=403)
        await call(client, "post", "/api/deadletters/resend", json_body={}, status=403)
        await call(client, "delete", "/api/silences/abc", status=403)
        assert await call(client, "get", "/api/silences") == {"count": 0, "silences": []}
        assert await call(client, "get", "/api/deadletters") == {"count": 0, "dead_letters": []}
    finally:
        await client.close()
        await app.close()


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"[" * 5000 + b"]" * 5000, 400),  # nested deeper than the parser goes
        (b'{"rule": "loiter", "duration_s": NaN}', 400),
        (b'{"rule": "' + b"x" * 100_000 + b'", "duration_s": 5}', 413),  # over the bound
    ],
    ids=["deep", "nan", "huge"],
)
async def test_api_survives_hostile_bodies(
    api: tuple[TestClient[web.Request, web.Application], RedisStore], body: bytes, status: int
) -> None:
    client, store = api
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    response = await client.post("/api/silences", data=body, headers=headers)
    assert response.status == status
    assert await store.silences() == []
    assert (await client.get("/healthz")).status == 200  # still serving
