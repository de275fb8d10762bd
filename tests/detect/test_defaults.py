"""The shipped rules (config/borderwatch.yaml) on the cases issue 15 names.

Through the whole pipeline with the real boundaries: a military aircraft holding at
a home airport stays quiet, the same hold over international waters is a loiter
abroad (`abroad_only` counts the high seas as abroad), a government aircraft circling
at home is a loiter, and civil traffic circling and crossing borders raises nothing.
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Any

import pytest

from service.cli.replay import replay
from service.settings import DEFAULT_CONFIG, Settings, load_settings

T0 = 1_760_000_000.0
KM_PER_DEG = 111.2
KELLY_FIELD = (29.3842, -98.5811)  # a US Air Force airfield, San Antonio
OFF_GALVESTON = (28.6, -94.6)  # about 80 km off the Texas coast: international waters


@pytest.fixture(scope="module")
def settings(boundaries_path: Path) -> Settings:
    base = load_settings(DEFAULT_CONFIG, environ={})
    boundaries = base.boundaries.model_copy(update={"path": boundaries_path})
    return base.model_copy(update={"boundaries": boundaries, "feeds": []})


def hold(fix: tuple[float, float], minutes: float, **identity: Any) -> list[dict[str, Any]]:
    """A standard hold (9 km legs, 3 km turns, 180 kt, 6,000 ft) every 10 s."""
    leg, radius, speed = 9.0, 3.0, 180 * 1.852 / 3600
    lap = 2 * leg + 2 * math.pi * radius
    out = []
    for i in range(int(minutes * 6)):
        s = (i * 10 * speed) % lap
        if s < leg:
            north, east = leg - s, 0.0
        elif s < leg + math.pi * radius:
            a = (s - leg) / radius
            north, east = -radius * math.sin(a), radius - radius * math.cos(a)
        elif s < 2 * leg + math.pi * radius:
            north, east = s - leg - math.pi * radius, 2 * radius
        else:
            a = (s - 2 * leg - math.pi * radius) / radius
            north, east = leg + radius * math.sin(a), radius + radius * math.cos(a)
        lat = fix[0] + north / KM_PER_DEG
        lon = fix[1] + east / (KM_PER_DEG * math.cos(math.radians(fix[0])))
        aircraft = {"lat": round(lat, 5), "lon": round(lon, 5), "alt_baro": 6000, "gs": 180.0}
        out.append({"now": T0 + 10 * i, "aircraft": [{**identity, **aircraft}]})
    return out


async def rules_raised(settings: Settings, snapshots: list[dict[str, Any]], tmp: Path) -> list[str]:
    path = tmp / "recording.jsonl"
    path.write_text("".join(json.dumps(s) + "\n" for s in snapshots))
    out = io.StringIO()
    await replay(settings, str(path), deliver=False, out=out)
    return sorted({json.loads(line)["rule"]["id"] for line in out.getvalue().splitlines()})


MILITARY = {"hex": "ae0a71", "dbFlags": 1, "flight": "BOLT31  "}
GOVERNMENT = {"hex": "a8c401", "r": "CBP-230"}
CIVIL = {"hex": "a4ee2e", "flight": "AAL1421 ", "r": "N417AN"}


async def test_a_military_hold_at_a_home_airport_is_quiet(
    settings: Settings, tmp_path: Path
) -> None:
    assert await rules_raised(settings, hold(KELLY_FIELD, 60, **MILITARY), tmp_path) == []


async def test_a_military_hold_over_international_waters_is_a_loiter_abroad(
    settings: Settings, tmp_path: Path
) -> None:
    raised = await rules_raised(settings, hold(OFF_GALVESTON, 60, **MILITARY), tmp_path)
    assert raised == ["loiter-military"]


async def test_a_government_hold_at_home_is_a_loiter(settings: Settings, tmp_path: Path) -> None:
    assert await rules_raised(settings, hold(KELLY_FIELD, 60, **GOVERNMENT), tmp_path) == ["loiter"]


async def test_civil_traffic_never_alerts(settings: Settings, tmp_path: Path) -> None:
    # An hour of holding, then straight south across the border into Mexico.
    snapshots = hold((29.5, -100.9), 60, **CIVIL)
    t = snapshots[-1]["now"]
    for i in range(1, 120):
        lat = 29.5 - i * 10 * 250 * 1.852 / 3600 / KM_PER_DEG
        aircraft = {**CIVIL, "lat": lat, "lon": -100.9, "alt_baro": 30000, "gs": 250.0}
        snapshots.append({"now": t + 10 * i, "aircraft": [aircraft]})
    assert await rules_raised(settings, snapshots, tmp_path) == []
