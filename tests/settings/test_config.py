"""Configuration: the shipped file is valid; errors name the key; secrets stay secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.settings import DEFAULT_CONFIG, ConfigError, Settings, load_settings
from service.settings.env import expand_env
from tests.support.paths import ROOT


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def test_default_config_is_valid_and_delivers_only_when_the_url_is_set() -> None:
    settings = load_settings(DEFAULT_CONFIG, environ={})
    assert [rule.type for rule in settings.rules] == [
        "foreign_airspace",
        "loiter",
        "signal_lost",
        "squawk",
    ]
    assert settings.receivers[0].url is None
    assert settings.store.redis_url is None
    env = {
        "BORDERWATCH_WEBHOOK_URL": "https://hooks.example/abc",
        "BORDERWATCH_WEBHOOK_SECRET": "s3",
    }
    settings = load_settings(DEFAULT_CONFIG, environ=env)
    receiver = settings.receivers[0]
    assert (
        receiver.url is not None
        and receiver.url.get_secret_value() == env["BORDERWATCH_WEBHOOK_URL"]
    )
    assert "s3" not in repr(settings) and "hooks.example" not in repr(settings)


def test_env_expansion_with_defaults() -> None:
    assert expand_env("a ${X} b ${Y:-dflt} ${Z}", {"X": "1"}) == "a 1 b dflt "


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rules:\n  - {id: a, type: loiter, max_radius_km: -1}", "rules.0.loiter.max_radius_km"),
        ("rules:\n  - {id: a, type: nonsense}", "rules.0"),
        ("rules:\n  - {id: a, type: loiter, radius: 3}", "rules.0.loiter.radius"),
        ("rules:\n  - {id: a, type: loiter}\n  - {id: a, type: signal_lost}", "repeated: a"),
        ("rules:\n  - {id: a, type: foreign_airspace, allow: [USA]}", 'must look like "US>CA"'),
        ("rules:\n  - {id: a, type: foreign_airspace, countries: [Mexico]}", "alpha-2"),
        ("receivers:\n  - {name: w, url: ftp://x}", "receivers.0.webhook.url"),
        ("receivers:\n  - {name: w}\n  - {name: w, type: slack}", "receiver names must be"),
        ("identify:\n  watch: {xyz: military}", "24-bit hex"),
        ("- just\n- a list", "top level must be a mapping"),
        ("store: [unclosed", "not valid YAML"),
    ],
)
def test_errors_name_the_key(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, text), environ={})
    assert expected in str(info.value)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config"):
        load_settings(tmp_path / "absent.yaml")


def test_schema_documents_every_rule_type() -> None:
    schema = Settings.model_json_schema()
    defs = schema["$defs"]
    for name in ("ForeignAirspaceRule", "LoiterRule", "SignalLostRule", "WebhookReceiver"):
        assert name in defs
    assert defs["LoiterRule"]["properties"]["max_gap_s"]["description"]


def test_configuration_reference_is_current_and_complete() -> None:
    from service.settings.docs import render

    text = render()
    assert (ROOT / "docs" / "configuration.md").read_text() == text
    assert "|  |" not in text  # every key has a description


def test_borderwatch_config_names_the_default_file(tmp_path: Path) -> None:
    path = write(tmp_path, "http: {port: 9999}")
    assert load_settings(environ={"BORDERWATCH_CONFIG": str(path)}).http.port == 9999
    assert load_settings(environ={}).http.port == load_settings(DEFAULT_CONFIG).http.port
