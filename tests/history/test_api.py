"""The history's HTTP routes on the running service's app, against docs/openapi.yaml:
the same reports as the command line, behind the same token as the rest of /api/."""

from __future__ import annotations

from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from service.app import build_app, build_history
from service.http import build_http_app
from service.pipeline import replay
from service.settings import Settings
from tests.http.openapi_check import call

TOKEN = "history-t0ken"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


async def test_reports_and_episodes_over_http(
    boundaries_path: Path, troy701_path: Path, tmp_path: Path
) -> None:
    settings = Settings.model_validate(
        {
            "boundaries": {"path": str(boundaries_path)},
            "http": {"api_token": TOKEN},
            "rules": [{"id": "foreign-airspace", "type": "foreign_airspace"}],
            "history": {"path": str(tmp_path / "history.duckdb")},
        }
    )
    app = await build_app(settings)
    app.history = build_history(settings, app.pipeline, app.metrics)
    async for _ in replay(app.pipeline, troy701_path):  # as the live pipeline runs it
        pass
    assert app.history.writer.flush(timeout_s=30)
    client = TestClient(TestServer(build_http_app(app, {})))
    await client.start_server()
    try:
        await call(client, "GET", "/api/reports/hours-abroad", status=401)
        report = await call(client, "GET", "/api/reports/hours-abroad?by=state&gap_s=600",
                            headers=AUTH)  # fmt: skip
        assert report["by"] == "state" and [r["key"] for r in report["rows"]] == ["US"]
        assert 5.5 < report["rows"][0]["by_country"]["MX"] < 6.5
        same_day = await call(
            client, "GET",
            "/api/reports/hours-abroad?since=2025-08-13T00:00:00Z&until=2025-08-14&state=us",
            headers=AUTH,
        )  # fmt: skip
        assert same_day["rows"][0]["key"] == "ae2fd0"
        none = await call(client, "GET", "/api/reports/hours-abroad?since=2025-08-14",
                          headers=AUTH)  # fmt: skip
        assert none == {"by": "aircraft", "count": 0, "rows": []}
        episodes = await call(client, "GET",
                              "/api/history/episodes?rule_type=foreign_airspace&country=mx",
                              headers=AUTH)  # fmt: skip
        (episode,) = episodes["episodes"]
        assert episode["hex"] == "ae2fd0" and episode["country"] == "MX"
        assert episode["status"] == "closed" and episode["ended"] == "signal lost"
        for bad in ("by=hex", "gap_s=0", "since=yesterday", "state=USA",
                    "since=2025-08-14&until=2025-08-13"):  # fmt: skip
            await call(client, "GET", f"/api/reports/hours-abroad?{bad}", status=400,
                       headers=AUTH, request_valid=None)  # fmt: skip
        await call(client, "GET", "/api/history/episodes?limit=0", status=400, headers=AUTH)
        await call(client, "GET", "/api/history/episodes?hex=zz", status=400, headers=AUTH)
    finally:
        await client.close()
        app.history.close()
        await app.close()


async def test_without_a_history_the_routes_answer_503(boundaries_path: Path) -> None:
    settings = Settings.model_validate({"boundaries": {"path": str(boundaries_path)}})
    app = await build_app(settings)
    client = TestClient(TestServer(build_http_app(app, {})))
    await client.start_server()
    try:
        body = await call(client, "GET", "/api/history/episodes", status=503)
        assert body["error"] == "history_unavailable"
        await call(client, "GET", "/api/reports/hours-abroad", status=503)
    finally:
        await client.close()
        await app.close()
