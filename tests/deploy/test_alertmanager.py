"""`borderwatch config alertmanager`: Alertmanager's config from borderwatch's.

The generator maps each receiver kind, leaves disabled receivers out and routes to a
null receiver when none is on; the command writes the file private and never prints a
URL; Debian's `amtool` (package prometheus-alertmanager) accepts the generated files
and routes the project's alerts (deploy/prometheus/rules.yml) where the receivers ask.
The compose file runs the generator into the volume Alertmanager reads.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from service.deploy.alertmanager import NULL_RECEIVER, generate
from service.settings import load_settings
from tests.support.paths import ROOT, require

SLACK = "https://hooks.slack.com/services/T000/B000/slack-secret-part"
DISCORD = "https://discord.com/api/webhooks/1234/discord-secret-part"
WEBHOOK = "https://hooks.example.org/borderwatch?token=webhook-secret-part"
SECRETS = ("slack-secret-part", "discord-secret-part", "webhook-secret-part")

# Three receivers, one of each kind, with their URLs (secrets) from the environment as
# in config/borderwatch.yaml. The Slack one takes critical alerts only and no resolved.
CONFIG = """\
receivers:
  - name: hook
    type: webhook
    url: ${BW_AM_WEBHOOK_URL:-}
    secret: ${BW_AM_WEBHOOK_SECRET:-}
  - name: pager
    type: slack
    url: ${BW_AM_SLACK_URL:-}
    send_resolved: false
    route: {severities: [critical]}
  - name: chat
    type: discord
    url: ${BW_AM_DISCORD_URL:-}
"""
ALL_ON = {
    "BW_AM_WEBHOOK_URL": WEBHOOK,
    "BW_AM_WEBHOOK_SECRET": "signing-secret",
    "BW_AM_SLACK_URL": SLACK,
    "BW_AM_DISCORD_URL": DISCORD,
}


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "borderwatch.yaml"
    path.write_text(CONFIG)
    return path


def generated(config_file: Path, environ: dict[str, str]) -> dict[str, Any]:
    document = generate(load_settings(config_file, environ=environ)).document
    return dict(document)


def receivers_of(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in document["receivers"]}


def command(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`borderwatch config alertmanager ...` as a user runs it."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("BORDERWATCH_", "BW_AM_"))}
    return subprocess.run(
        [sys.executable, "-m", "service", "config", "alertmanager", *args],
        cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_each_receiver_kind_becomes_its_alertmanager_integration(config_file: Path) -> None:
    document = generated(config_file, ALL_ON)
    receivers = receivers_of(document)
    assert list(receivers) == [NULL_RECEIVER, "hook", "pager", "chat"]
    assert receivers["hook"]["webhook_configs"] == [{"url": WEBHOOK, "send_resolved": True}]
    [slack] = receivers["pager"]["slack_configs"]
    assert slack["api_url"] == SLACK and slack["send_resolved"] is False
    assert "{{ .Annotations.summary }}" in slack["text"]
    [discord] = receivers["chat"]["discord_configs"]
    assert discord["webhook_url"] == DISCORD and discord["send_resolved"] is True
    assert "{{ .Annotations.summary }}" in discord["message"]
    for name in ("hook", "pager", "chat"):
        assert len(receivers[name]) == 2, f"{name}: one integration each"

    route = document["route"]
    assert route["receiver"] == NULL_RECEIVER and route["group_by"] == ["alertname"]
    assert route["routes"] == [
        {"receiver": "hook", "continue": True},
        {"receiver": "pager", "matchers": ['severity=~"critical"'], "continue": True},
        {"receiver": "chat", "continue": True},
    ]


def test_disabled_receivers_are_left_out(config_file: Path) -> None:
    only_discord = {"BW_AM_DISCORD_URL": DISCORD}
    config = generate(load_settings(config_file, environ=only_discord))
    assert config.routed == ("chat",)
    assert list(receivers_of(dict(config.document))) == [NULL_RECEIVER, "chat"]
    assert config.document["route"]["routes"] == [{"receiver": "chat", "continue": True}]


def test_an_apprise_receiver_is_left_out_and_said_so(tmp_path: Path) -> None:
    path = tmp_path / "borderwatch.yaml"
    path.write_text(
        CONFIG + "  - name: phone\n    type: apprise\n    url: ntfy://127.0.0.1/phone-secret\n"
    )
    config = generate(load_settings(path, environ={"BW_AM_DISCORD_URL": DISCORD}))
    assert config.routed == ("chat",) and config.unreachable == ("phone",)
    assert "phone" not in receivers_of(dict(config.document))

    result = command("--config", str(path), env={"BW_AM_DISCORD_URL": DISCORD})
    assert result.returncode == 0, result.stderr
    assert "left out: phone (apprise: Alertmanager has no such integration)" in result.stderr
    assert "phone-secret" not in result.stderr


def test_with_no_receiver_enabled_alerts_go_to_the_null_receiver(config_file: Path) -> None:
    config = generate(load_settings(config_file, environ={}))
    assert config.routed == ()
    assert config.document["receivers"] == [{"name": NULL_RECEIVER}]
    assert config.document["route"]["receiver"] == NULL_RECEIVER
    assert "routes" not in config.document["route"]

    result = command("--config", str(config_file), env={})
    assert result.returncode == 0, result.stderr
    assert "no receiver is enabled" in result.stderr and "null receiver" in result.stderr
    assert "off: hook (url ${BW_AM_WEBHOOK_URL:-} is empty)" in result.stderr
    assert yaml.safe_load(result.stdout) == dict(config.document)


def test_the_written_file_is_private_and_no_url_is_printed(
    config_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "alertmanager.yml"
    out.write_text("an older, world-readable file\n")
    out.chmod(0o644)
    result = command("--config", str(config_file), "--out", str(out), env=ALL_ON)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert yaml.safe_load(out.read_text()) == generated(config_file, ALL_ON)
    assert out.read_text().startswith("# Alertmanager configuration generated by")
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"alertmanager config: health alerts go to hook, pager, chat, written to {out} (mode 0600)",
        # hook signs its notifications: Alertmanager's posts to it are not signed.
        "alertmanager config: warning: hook is a signed webhook; Alertmanager posts its own "
        "JSON unsigned, which a receiver that checks signatures refuses "
        "(docs/deployment.md, Alertmanager)",
    ]
    for secret in SECRETS:
        assert secret not in result.stderr
    left = {p.name for p in tmp_path.iterdir()}
    assert left == {"borderwatch.yaml", out.name}, "no temporary file left behind"


def test_an_out_folder_that_does_not_exist_is_a_usage_error(
    config_file: Path, tmp_path: Path
) -> None:
    result = command("--config", str(config_file), "--out", str(tmp_path / "no" / "am.yml"),
                     env=ALL_ON)  # fmt: skip
    assert result.returncode == 2
    assert "no such folder for --out" in result.stderr
    for secret in SECRETS:
        assert secret not in result.stderr


def amtool() -> str:
    path = shutil.which("amtool")
    require(path is not None, "`amtool` not installed (apt-get install prometheus-alertmanager)")
    assert path is not None
    return path


def routed_to(config: Path, *labels: str) -> list[str]:
    """The receivers Alertmanager's own routing picks for an alert with `labels`."""
    result = subprocess.run(
        [amtool(), "config", "routes", "test", f"--config.file={config}", *labels],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip().split(",")


def project_alerts() -> list[dict[str, Any]]:
    """Every alerting rule of the stack's Prometheus (deploy/prometheus/rules.yml)."""
    rules = yaml.safe_load((ROOT / "deploy" / "prometheus" / "rules.yml").read_text())
    return [rule for group in rules["groups"] for rule in group["rules"] if "alert" in rule]


@pytest.mark.parametrize(
    "environ", [ALL_ON, {}, {"BW_AM_SLACK_URL": SLACK}], ids=["all-kinds", "none", "slack-only"]
)
def test_amtool_accepts_the_generated_config(
    config_file: Path, tmp_path: Path, environ: dict[str, str]
) -> None:
    out = tmp_path / "alertmanager.yml"
    assert command("--config", str(config_file), "--out", str(out), env=environ).returncode == 0
    result = subprocess.run([amtool(), "check-config", str(out)],
                            capture_output=True, text=True, timeout=30)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_amtool_routes_every_project_alert_by_its_severity(
    config_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "alertmanager.yml"
    assert command("--config", str(config_file), "--out", str(out), env=ALL_ON).returncode == 0
    alerts = project_alerts()
    assert {a["labels"]["severity"] for a in alerts} == {"warning", "critical"}
    for alert in alerts:
        labels = [f"alertname={alert['alert']}", f"severity={alert['labels']['severity']}"]
        wanted = ["hook", "pager", "chat"] if "severity=critical" in labels else ["hook", "chat"]
        assert routed_to(out, *labels) == wanted, alert["alert"]
    # Nothing enabled: Alertmanager still takes the alerts, and sends them nowhere.
    assert command("--config", str(config_file), "--out", str(out), env={}).returncode == 0
    assert routed_to(out, "alertname=BorderwatchDown", "severity=critical") == [NULL_RECEIVER]


def test_the_compose_stack_generates_what_alertmanager_reads() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    generator, alertmanager = services["alertmanager-config"], services["alertmanager"]
    [script] = generator["command"]
    out = re.search(r"config alertmanager --out (\S+)", script)
    assert out is not None
    assert f"--config.file={out.group(1)}" in alertmanager["command"]
    assert alertmanager["depends_on"] == {
        "alertmanager-config": {"condition": "service_completed_successfully"}
    }
    assert alertmanager["ports"] == ["127.0.0.1:9093:9093"]
    assert re.fullmatch(
        r"prom/alertmanager:v\d+\.\d+\.\d+@sha256:[0-9a-f]{64}", alertmanager["image"]
    )
    # The generator sees every variable the shipped config's receivers read.
    shipped = (ROOT / "config" / "borderwatch.yaml").read_text()
    section = shipped[shipped.index("\nreceivers:") : shipped.index("\nhttp:")]
    wanted = set(re.findall(r"\$\{(\w+)", section))
    assert wanted and wanted <= set(generator["environment"])
    prometheus = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    [target] = prometheus["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert target == "alertmanager:9093"
