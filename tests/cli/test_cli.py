"""The `borderwatch` command as a user runs it: subprocesses, real files, a real receiver."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest
from aiohttp import web

from service.deliver.signing import verify
from tests.support.paths import ROOT
from tests.support.servers import Serve


def cli_env(boundaries_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BORDERWATCH_")}
    env["BORDERWATCH_BOUNDARIES"] = str(boundaries_path)
    env.update(extra)
    return env


def borderwatch(
    *args: str, env: dict[str, str], stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "service", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def entry_recording(troy701_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 110 minutes of TROY701: the crossing and the first depth milestones."""
    with gzip.open(troy701_path, "rt") as lines:
        head = lines.readlines()[:660]
    path = tmp_path_factory.mktemp("cli") / "entry.jsonl.gz"
    with gzip.open(path, "wt") as out:
        out.writelines(head)
    return path


def test_replay_prints_one_json_line_per_notification(
    entry_recording: Path, boundaries_path: Path
) -> None:
    result = borderwatch("replay", str(entry_recording), env=cli_env(boundaries_path))
    assert result.returncode == 0, result.stderr.decode()
    notes = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [n["kind"] for n in notes] == ["opened", "update", "update"]
    assert {n["rule"]["id"] for n in notes} == {"foreign-airspace"}
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1, lines  # quiet by default: the summary alone on stderr
    summary = lines[0]
    assert summary.startswith("replay: 660 snapshots, ")
    assert "rejected: none, 3 notifications" in summary


def test_verbose_shows_the_detail(entry_recording: Path, boundaries_path: Path) -> None:
    result = borderwatch(
        "--verbose", "--no-log-json", "replay", str(entry_recording), env=cli_env(boundaries_path)
    )
    assert result.returncode == 0, result.stderr.decode()
    assert result.stderr.decode().count("alert.notified") == 3
    # After the command too, as users type it.
    after = borderwatch(
        "--no-log-json", "replay", "-v", str(entry_recording), env=cli_env(boundaries_path)
    )
    assert after.returncode == 0, after.stderr.decode()
    assert after.stderr.decode().count("alert.notified") == 3


def test_replay_reads_standard_input(entry_recording: Path, boundaries_path: Path) -> None:
    data = gzip.decompress(entry_recording.read_bytes())
    result = borderwatch("replay", "-", env=cli_env(boundaries_path), stdin=data)
    assert result.returncode == 0
    assert len(result.stdout.decode().splitlines()) == 3


def test_missing_recording_and_bad_config_are_clear_errors(
    boundaries_path: Path, tmp_path: Path
) -> None:
    env = cli_env(boundaries_path)
    result = borderwatch("replay", str(tmp_path / "absent.jsonl"), env=env)
    assert result.returncode != 0
    assert "absent.jsonl" in result.stderr.decode()
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - {id: x, type: loiter, max_radius_km: 0}\n")
    result = borderwatch("config", "validate", "--config", str(bad), env=env)
    assert result.returncode == 2
    assert "rules.0.loiter.max_radius_km" in result.stderr.decode()


def test_where_identify_and_validate(boundaries_path: Path) -> None:
    env = cli_env(boundaries_path)
    where = json.loads(borderwatch("where", "19.19", "-100.13", env=env).stdout)
    assert where["country"] == "MX" and where["name"] == "Mexico" and where["depth_km"] > 100
    verdict = json.loads(
        borderwatch(
            "identify", "AE2FD0", "--callsign", "TROY701", "--registration", "CBP-113", env=env
        ).stdout
    )
    assert verdict["category"] == "government" and verdict["state"] == "US"
    assert {r["method"] for r in verdict["reasons"]} >= {"registration_pattern", "military_range"}
    assert borderwatch("config", "validate", env=env).returncode == 0
    assert b"usage:" in borderwatch("replay", "--help", env=env).stdout


async def test_replay_deliver_retries_a_failing_receiver_once_per_notification(
    entry_recording: Path, boundaries_path: Path, tmp_path: Path, serve: Serve
) -> None:
    secret = "test-secret"
    seen: dict[str, list[tuple[str, str, bytes]]] = defaultdict(list)

    async def receive(request: web.Request) -> web.Response:
        notification_id = request.headers["X-Borderwatch-Id"]
        body = await request.read()
        seen[notification_id].append(
            (
                request.headers["X-Borderwatch-Timestamp"],
                request.headers["X-Borderwatch-Signature"],
                body,
            )
        )
        # The first attempt of every notification fails; the retry succeeds.
        return web.Response(status=500 if len(seen[notification_id]) == 1 else 200)

    base = await serve({"POST /hook": receive})
    config = tmp_path / "config.yaml"
    config.write_text(
        (ROOT / "config" / "borderwatch.yaml")
        .read_text()
        .replace("    max_attempts: 5\n", "    max_attempts: 5\n    backoff_initial_s: 0.01\n")
    )
    env = cli_env(
        boundaries_path,
        BORDERWATCH_WEBHOOK_URL=f"{base}/hook",
        BORDERWATCH_WEBHOOK_SECRET=secret,
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "service", "replay", str(entry_recording),
        "--deliver", "--config", str(config),
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(proc.communicate(), 300)
    assert proc.returncode == 0, stderr.decode()
    assert stdout == b""  # delivered, not printed
    assert len(seen) == 3
    for attempts in seen.values():
        assert len(attempts) == 2  # 500, then 200: delivered once, same id
        assert attempts[0][2] == attempts[1][2]
        timestamp, signature, body = attempts[1]
        assert verify(secret.encode(), timestamp, signature, body, now=time.time())
        assert json.loads(body)["id"] in seen


def test_a_reader_that_goes_away_early_is_not_an_error(
    entry_recording: Path, boundaries_path: Path
) -> None:
    """`borderwatch replay FILE | head -1`: no traceback, no "Broken pipe" line."""
    process = subprocess.Popen(
        [sys.executable, "-m", "service", "replay", str(entry_recording)],
        cwd=ROOT, env=cli_env(boundaries_path),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()
    process.stdout.close()  # as head does after its line
    with process.stderr:
        errors = process.stderr.read().decode()
    assert process.wait(timeout=120) in (0, 1)
    assert json.loads(first)["kind"] == "opened"
    assert "Broken pipe" not in errors and "Traceback" not in errors, errors
