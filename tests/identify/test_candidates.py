"""Verdict confidence, weak evidence and the candidate book (CLI and HTTP)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from aiohttp.test_utils import TestClient, TestServer

from service.alerts.notification import Notification
from service.app import build_app
from service.detect.events import AirspaceFacts, Event
from service.http import build_http_app
from service.identify import Identifier
from service.identify.candidates import CandidateBook
from service.models import Category, Identity, Position, Reason, Snapshot, Verdict
from service.settings import ForeignAirspaceRule, Settings
from service.track import TrackPoint
from tests.support.paths import ROOT

T0 = 1_755_072_000.0


@pytest.fixture(scope="module")
def ident() -> Identifier:
    return Identifier()


# --- confidence ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "confidence", "weak"),
    [
        (("ae2fd0", "TROY701", "CBP-113", 0), 1 - 0.05 * 0.1, False),  # pattern + readsb range
        (("ae2fd0", "TROY701", "CBP-113", 1), 1 - 0.05 * 0.2 * 0.1, False),  # + feed flag
        (("ae2fd0", None, None, 0), 0.9, False),  # readsb range alone
        (("a12345", None, None, 1), 0.8, False),  # feed flag alone
        (("3c4b26", "GAF881", None, 0), 0.8, True),  # designator alone
        (("ae1234", "RCH245", None, 0), 1 - 0.2 * 0.1, False),  # designator + range
        (("a12345", "AAL123", "N123AA", 0), 0.0, False),  # civil by default
        (("~a55501", None, None, 0), 0.0, False),  # unknown
    ],
)
def test_confidence_scale(
    ident: Identifier, row: tuple[str, str | None, str | None, int], confidence: float, weak: bool
) -> None:
    verdict = ident.identify(*row)
    assert verdict.confidence == pytest.approx(confidence)
    assert verdict.weak is weak
    assert 0.0 <= verdict.confidence <= 1.0


def test_vrs_only_ranges_are_weak_and_shared_ranges_are_not() -> None:
    vrs = Identifier(military_ranges="vrs")
    australian = vrs.identify("7e1234")  # military in VRS only
    assert australian.category == Category.MILITARY
    assert australian.confidence == pytest.approx(0.6)
    assert australian.weak is True
    us = vrs.identify("ae2fd0")  # VRS and readsb agree
    assert us.confidence == pytest.approx(0.9)
    assert us.weak is False
    both_weak = vrs.identify("7e1234", "ASY21")  # designator + VRS-only range
    assert both_weak.confidence == pytest.approx(1 - 0.2 * 0.4)
    assert both_weak.weak is True
    promoted = Identifier(military_ranges="vrs", watch_hexes={"7e1234": "military"})
    assert (promoted.identify("7e1234").confidence, promoted.identify("7e1234").weak) == (
        1.0,
        False,
    )


def test_identify_cli_prints_confidence() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BORDERWATCH_")}
    done = subprocess.run(
        [sys.executable, "-m", "service", "identify", "AE2FD0", "--registration", "CBP-113"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        check=True,
        timeout=120,
    )
    out = json.loads(done.stdout)
    assert (out["hex"], out["category"], out["confidence"]) == ("ae2fd0", "government", 0.995)


def test_webhook_payload_carries_confidence() -> None:
    verdict = Identifier().identify("ae2fd0", "TROY701", "CBP-113")
    identity = Identity.from_verdict("ae2fd0", verdict, "TROY701", "CBP-113", "Q9")
    point = TrackPoint(T0, 29.2, -100.9, 24000, 230.0, 187.0, False, "MX", 6.0)
    facts = AirspaceFacts("MX", 6.0, 6.0, T0 - 60, 29.3, -100.9, False)
    event = Event("fa", "opened", T0 - 60, T0, point, facts, "entered")
    rule = ForeignAirspaceRule(id="fa")
    payload = json.loads(Notification("n", "f", 0, rule, event, identity).body())
    assert payload["aircraft"]["confidence"] == 0.995
    schema = json.loads((ROOT / "schemas" / "webhook-v1.schema.json").read_text())
    jsonschema.validate(payload, schema, cls=jsonschema.Draft202012Validator)
    del payload["aircraft"]["confidence"]  # optional: older payloads stay valid
    jsonschema.validate(payload, schema, cls=jsonschema.Draft202012Validator)


# --- the candidate book -------------------------------------------------------------


def weak(hex_: str = "3c4b26") -> Verdict:
    return Verdict(
        Category.MILITARY, "DE", (Reason("operator_designator", "GAF"),), confidence=0.8, weak=True
    )


def test_book_counts_updates_and_evicts_the_least_recently_seen() -> None:
    book = CandidateBook(limit=2)
    book.record(Position("aaaaaa", T0 + 5, 0, 0, callsign="GAF1"), weak())
    book.record(Position("aaaaaa", T0, 0, 0, registration="D-ABCD"), weak())
    book.record(Position("bbbbbb", T0 + 1, 0, 0), weak())
    assert [c.hex for c in book.candidates()] == ["bbbbbb", "aaaaaa"]
    first = book.candidates()[1]
    assert (first.count, first.first_seen, first.last_seen) == (2, T0, T0 + 5)
    assert (first.callsign, first.registration) == ("GAF1", "D-ABCD")
    book.record(Position("aaaaaa", T0 + 9, 0, 0), weak())  # seen again: most recent
    book.record(Position("cccccc", T0 + 9, 0, 0), weak())  # evicts bbbbbb
    assert [c.hex for c in book.candidates()] == ["cccccc", "aaaaaa"]
    assert book.candidates()[1].to_json()["reasons"] == [
        {"method": "operator_designator", "detail": "GAF"}
    ]


def test_book_ignores_civil_and_drops_on_strong_evidence() -> None:
    book = CandidateBook(limit=10)
    book.record(Position("aaaaaa", T0, 0, 0), weak())
    book.record(Position("aaaaaa", T0 + 1, 0, 0), Verdict(Category.CIVIL, "DE"))
    assert len(book) == 1 and book.candidates()[0].count == 1
    strong = Verdict(Category.MILITARY, "DE", (), confidence=0.9)
    book.record(Position("aaaaaa", T0 + 2, 0, 0), strong)
    assert len(book) == 0
    with pytest.raises(ValueError, match="at least 1"):
        CandidateBook(limit=0)


def snapshot_line(now: float, *aircraft: dict[str, Any]) -> str:
    return json.dumps({"now": now, "aircraft": list(aircraft)})


GAF = {"hex": "3c4b26", "flight": "GAF881  ", "lat": 50.0, "lon": 8.0, "alt_baro": 30000}
TROY = {"hex": "ae2fd0", "flight": "TROY701", "r": "CBP-113", "lat": 29.0, "lon": -100.9}
CIVIL = {"hex": "a12345", "flight": "AAL123", "lat": 35.0, "lon": -100.0}


def test_candidates_command_replays_a_recording(tmp_path: Path, boundaries_path: Path) -> None:
    recording = tmp_path / "weak.jsonl"
    lines = [
        snapshot_line(T0 + 15 * i, {**GAF, "lat": 50 + i / 100}, TROY, CIVIL) for i in range(3)
    ]
    recording.write_text("\n".join(lines) + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BORDERWATCH_")}
    env["BORDERWATCH_BOUNDARIES"] = str(boundaries_path)
    done = subprocess.run(
        [sys.executable, "-m", "service", "--log-level", "warning", "candidates", str(recording)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr.decode()
    found = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert len(found) == 1
    (gaf,) = found
    assert (gaf["hex"], gaf["callsign"], gaf["category"], gaf["state"]) == (
        "3c4b26",
        "GAF881",
        "military",
        "DE",
    )
    assert (gaf["count"], gaf["first_seen"], gaf["last_seen"]) == (3, T0, T0 + 30)
    assert gaf["confidence"] == 0.8
    assert [r["method"] for r in gaf["reasons"]] == ["operator_designator", "address_block"]
    assert "candidates: 1 aircraft" in done.stderr.decode()


async def test_http_api_lists_candidates(boundaries_path: Path) -> None:
    settings = Settings.model_validate({"boundaries": {"path": str(boundaries_path)}})
    app = await build_app(settings)
    client = TestClient(TestServer(build_http_app(app, {})))
    await client.start_server()
    try:
        positions = [
            Position("3c4b26", T0, 50.0, 8.0, callsign="GAF881"),
            Position("ae2fd0", T0, 29.0, -100.9, registration="CBP-113"),
        ]
        await app.pipeline.process(Snapshot(now=T0, positions=positions))
        response = await client.get("/api/candidates")
        assert response.status == 200
        body = await response.json()
        assert body["count"] == 1
        assert body["candidates"][0]["hex"] == "3c4b26"
    finally:
        await client.close()
        await app.close()
