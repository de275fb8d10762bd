"""Configuration: the shipped file is valid; errors name the key; secrets stay secret."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from service.locate import towns
from service.settings import DEFAULT_CONFIG, ConfigError, Settings, load_settings
from service.settings.env import EnvError, expand
from service.settings.model import TOWNS_FILE
from service.settings.receivers import WebhookReceiver
from tests.support.paths import ROOT


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def test_default_config_is_valid_and_delivers_only_when_the_url_is_set() -> None:
    settings = load_settings(DEFAULT_CONFIG, environ={})
    assert [rule.type for rule in settings.rules] == [
        "foreign_airspace",
        "loiter",  # government and police, anywhere
        "loiter",  # military, outside their own airspace
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


def test_references_unset_optional_required_and_literal() -> None:
    env = {"X": "1", "EMPTY": ""}
    assert expand("a ${X} b ${Y:-dflt} ${EMPTY:-e} ${Z:-}", env) == "a 1 b dflt e "
    assert expand("${EMPTY}", env) == ""  # set, even if empty
    assert expand("literal $${X} and $5", env) == "literal ${X} and $5"
    with pytest.raises(EnvError, match=r"a\.b: environment variable Z is not set"):
        expand("${Z}", env, "a.b")
    with pytest.raises(EnvError, match="EMPTY is required: set it to your token"):
        expand("${EMPTY:?set it to your token}", env)


def test_values_are_substituted_after_parsing_never_as_text(tmp_path: Path) -> None:
    hostile = "https://hooks.example/a #not-a-comment\nreceivers: []\n  evil: 1"
    path = write(
        tmp_path,
        "receivers:\n  - {name: w, url: '${URL}', signing: none}  # ${NOT_READ}\n",
    )
    settings = load_settings(path, environ={"URL": hostile})
    (receiver,) = settings.receivers
    assert receiver.url is not None and receiver.url.get_secret_value() == hostile


def test_an_unset_variable_is_an_error_naming_it_and_the_key(tmp_path: Path) -> None:
    path = write(tmp_path, "store:\n  redis_url: ${REDIS_URL_NOT_SET}\n")
    with pytest.raises(ConfigError, match=r"store\.redis_url: .*REDIS_URL_NOT_SET is not set"):
        load_settings(path, environ={})
    path = write(tmp_path, "http:\n  api_token: ${TOKEN:?the API needs a token}\n")
    with pytest.raises(ConfigError, match="TOKEN is required: the API needs a token"):
        load_settings(path, environ={})


def test_no_error_repeats_a_secret(tmp_path: Path) -> None:
    secret = "tok-3f9a1c"
    text = "receivers:\n  - {name: w, url: '${URL}', secret: '${SECRET}'}\n"
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_settings(path, environ={"URL": f"ftp://x/{secret}", "SECRET": secret})
    assert "receivers.0.webhook.url" in str(info.value)
    assert secret not in str(info.value)
    path = write(tmp_path, "store: {redis_url: '${URL}', key_prefix: '${URL}'}\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path, environ={"URL": f"redis://:{secret}@h/0 bad prefix"})
    assert "store.key_prefix" in str(info.value) and secret not in str(info.value)


def test_a_webhook_is_signed_unless_told_otherwise(tmp_path: Path) -> None:
    unsigned = "receivers:\n  - {name: w, url: 'https://hooks.example/a'}\n"
    with pytest.raises(ConfigError, match=r"needs a secret to sign with.*signing: none"):
        load_settings(write(tmp_path, unsigned), environ={})
    explicit = "receivers:\n  - {name: w, url: 'https://hooks.example/a', signing: none}\n"
    (receiver,) = load_settings(write(tmp_path, explicit), environ={}).receivers
    assert isinstance(receiver, WebhookReceiver) and receiver.signing == "none"
    off = "receivers:\n  - {name: w, url: ''}\n"  # no URL: off, nothing to sign
    assert load_settings(write(tmp_path, off), environ={}).receivers[0].url is None


def test_disabled_receivers_name_their_variable() -> None:
    settings = load_settings(DEFAULT_CONFIG, environ={"BORDERWATCH_SLACK_URL": "https://s.x/1"})
    disabled = dict(settings.disabled_receivers())
    assert set(disabled) == {"webhook", "discord", "apprise"}
    assert disabled["webhook"] == "url ${BORDERWATCH_WEBHOOK_URL:-} is empty"


def test_relative_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    folder = tmp_path / "etc"
    folder.mkdir()
    (folder / "zone.geojson").write_text(
        '{"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}'
    )
    path = folder / "config.yaml"
    path.write_text("areas: [{name: zone, path: zone.geojson}]\nboundaries: {path: idx/b.bin}\n")
    settings = load_settings(path, environ={})
    assert settings.areas[0].path == folder / "zone.geojson"
    assert settings.boundaries.path == folder / "idx" / "b.bin"
    empty = write(tmp_path, "boundaries: {path: ''}\n")
    assert load_settings(empty, environ={}).boundaries.path == ROOT / "var" / "boundaries.bin"


def test_the_towns_file_is_beside_the_boundary_index_unless_named(tmp_path: Path) -> None:
    folder = tmp_path / "etc"
    folder.mkdir()
    path = folder / "config.yaml"
    path.write_text("boundaries: {path: idx/b.bin}\n")
    beside = load_settings(path, environ={}).boundaries.towns_path
    assert beside == folder / "idx" / TOWNS_FILE == folder / "idx" / towns.FILE_NAME
    path.write_text("boundaries: {path: idx/b.bin, towns: geo/t.tsv.gz}\n")
    assert load_settings(path, environ={}).boundaries.towns_path == folder / "geo" / "t.tsv.gz"
    shipped = load_settings(DEFAULT_CONFIG, environ={}).boundaries
    assert shipped.towns is None and shipped.towns_path == towns.DEFAULT_PATH
    named = load_settings(DEFAULT_CONFIG, environ={"BORDERWATCH_TOWNS": "/data/t.tsv.gz"})
    assert named.boundaries.towns_path == Path("/data/t.tsv.gz")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: " + "[" * 5000 + "]" * 5000, "nested too deeply"),
        (
            "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
                for p, c in zip("abcdefg", "bcdefgh", strict=True)
            ),
            "after expanding aliases",
        ),
    ],
)
def test_hostile_yaml_is_refused_quickly(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        load_settings(write(tmp_path, text), environ={})


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
        ('store:\n  redis_url: "abc\nrules: []\n', "quoted scalar at line 2, column 14"),
        ('store: "\x01"', "special characters are not allowed at byte or character 8"),
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


def test_configuration_reference_has_a_section_for_every_top_level_key() -> None:
    from service.settings.docs import SECTIONS

    documented = {re.match(r"[a-z_]+", title)[0] for title, _ in SECTIONS}  # type: ignore[index]
    assert documented == set(Settings.model_fields)


def test_configuration_reference_is_current_and_complete() -> None:
    from service.settings.docs import render

    text = render()
    assert (ROOT / "docs" / "configuration.md").read_text() == text
    assert "|  |" not in text  # every key has a description


def test_borderwatch_config_names_the_default_file(tmp_path: Path) -> None:
    path = write(tmp_path, "http: {port: 9999}")
    assert load_settings(environ={"BORDERWATCH_CONFIG": str(path)}).http.port == 9999
    assert load_settings(environ={}).http.port == load_settings(DEFAULT_CONFIG).http.port
