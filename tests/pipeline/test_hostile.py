"""The TROY701 story with hostile lines and records inserted prints exactly the story.

Into the real recording go: snapshots dated in the year 3000 and in 1990 (alone and
three in a row), a line nested thousands deep, a record with a NaN, records with
impossible values (a negative speed, a track of 720 degrees, latitude 91) placed in
Mexico so they would open an episode if believed, and a teleport of TROY701 to Canada
and back. None of it may add, remove or change a notification.
"""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path
from typing import Any

from service.cli.replay import replay
from service.settings import DEFAULT_CONFIG, Settings, load_settings

YEAR_3000 = 32_503_680_000.0
YEAR_1990 = 631_152_000.0
INTRUDER = {  # a state aircraft that is not there: every value of it is impossible
    "hex": "adf7c9",
    "flight": "FAKE01",
    "dbFlags": 1,
    "lat": 19.3,
    "lon": -99.1,
    "alt_baro": 20000,
    "gs": 250.0,
    "track": 180.0,
    "seen_pos": 0.0,
}


def settings(boundaries_path: Path) -> Settings:
    base = load_settings(DEFAULT_CONFIG, environ={})
    boundaries = base.boundaries.model_copy(update={"path": boundaries_path})
    return base.model_copy(update={"boundaries": boundaries, "feeds": []})


async def notifications(settings: Settings, path: Path) -> tuple[list[dict[str, Any]], str]:
    out = io.StringIO()
    summary = await replay(settings, str(path), deliver=False, out=out)
    return [json.loads(line) for line in out.getvalue().splitlines()], summary


def hostile_copy(clean: Path, target: Path) -> None:
    with gzip.open(clean, "rb") as handle:
        lines = handle.read().splitlines()
    snapshot = json.loads(lines[100])
    troy = next(a for a in snapshot["aircraft"] if a["hex"] == "ae2fd0")

    def at(now: float, *aircraft: dict[str, Any]) -> bytes:
        return json.dumps({"now": now, "aircraft": list(aircraft)}).encode()

    def intruder(**bad: Any) -> dict[str, Any]:
        return {**INTRUDER, **bad}

    inserts = {
        10: [at(YEAR_3000, troy, intruder())],
        20: [at(YEAR_1990, troy, intruder())],
        30: [at(YEAR_3000 + i, intruder()) for i in range(3)],  # three in a row
        40: [b'{"now": %s, "aircraft": [%s]}' % (lines[40][7:21], b"[" * 3000 + b"]" * 3000)],
        50: [lines[50].replace(b'"aircraft":[', b'"aircraft":[{"hex": "adf7c9", "lat": NaN}, ')],
    }
    out: list[bytes] = []
    for index, line in enumerate(lines):
        out.extend(inserts.get(index, []))
        record = json.loads(line)
        now = record["now"]
        if 200 <= index < 220:  # impossible values in Mexico, beside the real aircraft
            bad = [intruder(gs=-5), intruder(track=720), intruder(lat=91), intruder(gs=5000)]
            record["aircraft"].extend(bad)
        if index == 300:  # a teleport: TROY701 over Ottawa for one fix, then back
            jump = next(a for a in record["aircraft"] if a["hex"] == "ae2fd0")
            record["aircraft"].append({**jump, "hex": "ae2fd0", "lat": 45.4, "lon": -75.7})
            out.append(json.dumps({"now": now, "aircraft": record["aircraft"]}).encode())
            continue
        out.append(json.dumps(record).encode() if 200 <= index < 220 else line)
    with gzip.open(target, "wb") as handle:
        handle.write(b"\n".join(out) + b"\n")


async def test_hostile_lines_change_no_notification(
    troy701_path: Path, boundaries_path: Path, tmp_path: Path
) -> None:
    config = settings(boundaries_path)
    clean, _ = await notifications(config, troy701_path)
    hostile = tmp_path / "hostile.jsonl.gz"
    hostile_copy(troy701_path, hostile)
    dirty, summary = await notifications(config, hostile)
    assert len(clean) == 11
    assert [(n["id"], n["summary"]) for n in dirty] == [(n["id"], n["summary"]) for n in clean]
    for reason in ("future_snapshot", "stale_snapshot", "too_deep", "bad_speed", "bad_track"):
        assert f"{reason}=" in summary
    assert "bad_coordinates=" in summary and "malformed_record=" in summary
