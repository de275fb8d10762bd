"""Webhook request signing (and the receiver example in docs/webhooks.md) and the payload
schema. Delivery itself, through the outbox, is tested in tests/deliver/test_webhook.py."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import re
import time
from typing import Any

import jsonschema
import pytest

from service.deliver import sign, verify
from tests.support.paths import ROOT

SCHEMA_PATH = ROOT / "schemas" / "webhook-v1.schema.json"
DOCS_PATH = ROOT / "docs" / "webhooks.md"

BODY = b'{"version":"1","id":"n-1","summary":"test"}'
START = 1_741_977_715.0  # 2025-03-14T18:41:55Z


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


def test_schema_is_valid_and_its_examples_validate(schema: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator.check_schema(schema)
    example, racetrack = schema["examples"]
    for each in (example, racetrack):
        jsonschema.validate(each, schema, cls=jsonschema.Draft202012Validator)
    assert example["aircraft"]["callsign"] == "TROY701"
    assert example["area"]["country"] == "MX"
    assert racetrack["loiter"]["shape"] == "racetrack"


def test_docs_examples_match_the_schema_examples(schema: dict[str, Any]) -> None:
    docs = DOCS_PATH.read_text(encoding="utf-8")
    loiter, payload = re.findall(r"```json\n(.*?)```", docs, flags=re.DOTALL)
    assert json.loads(payload) == schema["examples"][0]
    assert json.loads(loiter) == schema["examples"][1]["loiter"]


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
        (
            {"rule.type": "loiter", "area": _DELETE, "loiter": {**LOITER, "shape": "circle"}},
            "unknown loiter shape",
        ),
        (
            {"rule.type": "loiter", "area": _DELETE, "loiter": {**LOITER, "axis_deg": 200}},
            "racetrack axis beyond 180",
        ),
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
