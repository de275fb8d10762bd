"""Every command's failures, as a user meets them: the installed `borderwatch`, run from
an empty temporary directory, says what is wrong in one line on stderr, with exit code
2 for bad usage and 1 for a failure while running; `--debug` adds the traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from tests.support.net import free_port
from tests.support.paths import ROOT, require

BORDERWATCH = Path(sys.executable).parent / "borderwatch"  # the installed entry point


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BORDERWATCH_")}
    return subprocess.run(
        [str(BORDERWATCH), *args],
        cwd=cwd,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def files(tmp_path: Path) -> Path:
    """A folder with a broken config, a garbage response and an empty recording."""
    (tmp_path / "bad.yaml").write_text("store: [unclosed\n")
    (tmp_path / "unset.yaml").write_text("store: {redis_url: '${NOT_SET_ANYWHERE}'}\n")
    (tmp_path / "garbage.json").write_bytes(b"<html>502 Bad Gateway</html>")
    (tmp_path / "labels.json").write_text("{}")
    (tmp_path / "bad_labels.json").write_text("{not json")
    (tmp_path / "unreachable.yaml").write_text(
        f"store: {{redis_url: 'redis://:hunter2@127.0.0.1:{free_port()}/0'}}\n"
    )
    return tmp_path


USAGE = [
    (["where", "91", "0"], "latitude must be between -90 and 90"),
    (["where", "10", "500"], "longitude must be between -180 and 180"),
    (["where", "north", "0"], "is not a number of degrees"),
    (["identify", "zzz"], "6 hex digits"),
    (["replay", "missing.jsonl"], "no such file: missing.jsonl"),
    (["candidates", "missing.jsonl"], "no such file"),
    (["feeds", "decode", "--format", "readsb", "missing.json"], "no such file"),
    (["feeds", "decode", "--format", "nope", "garbage.json"], "invalid choice"),
    (["config", "validate", "--config", "bad.yaml"], "not valid YAML"),
    (["config", "validate", "--config", "unset.yaml"], "NOT_SET_ANYWHERE is not set"),
    (["config", "validate", "--config", "absent.yaml"], "cannot read config"),
    (["backtest", "missing.jsonl", "labels.json"], "no such recording"),
    (["backtest", "missing.jsonl", "bad_labels.json"], "not valid JSON"),
    (["silences", "list"], "store.redis_url is empty"),
    (["silences", "add", "--for", "forever", "--rule", "x"], "is not a duration"),
    (["ack"], "the following arguments are required: fingerprint"),
    (["nonsense"], "invalid choice"),
]


@pytest.mark.parametrize(("args", "says"), USAGE, ids=[" ".join(a) for a, _ in USAGE])
def test_bad_usage_is_one_line_and_exit_2(files: Path, args: list[str], says: str) -> None:
    result = run(*args, cwd=files)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], result.stderr
    assert "Traceback" not in result.stderr


FAILURES = [
    (["feeds", "decode", "--format", "readsb", "garbage.json"], {}, "rejected: invalid_json"),
    (["where", "1", "1"], {"BORDERWATCH_BOUNDARIES": "/nowhere/b.bin"}, "make boundaries"),
    (["silences", "list", "--config", "unreachable.yaml"], {}, "redis at redis://:***@"),
]


@pytest.mark.parametrize(("args", "env", "says"), FAILURES, ids=[a[0] for a, _, _ in FAILURES])
def test_failures_are_one_line_and_exit_1(
    files: Path, args: list[str], env: dict[str, str], says: str
) -> None:
    result = run(*args, cwd=files, env=env)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], result.stderr
    assert "hunter2" not in result.stderr


# Names from outside the program (arguments, file names, YAML keys, environment) with a
# line break in them: the error still takes one line.
SPELLED = [
    (["replay", "missing\nx.jsonl"], {}, 2),
    (["config", "validate", "--config", "absent\nx.yaml"], {}, 2),
    (["config", "validate", "--config", "key.yaml"], {}, 2),
    (["backtest", "missing\nx.jsonl", "labels.json"], {}, 2),
    (["where", "1", "1"], {"BORDERWATCH_BOUNDARIES": "/nowhere/a\nb.bin"}, 1),
    (["history", "import", "missing\nx.jsonl"], {}, 2),
]


@pytest.mark.parametrize(("args", "env", "code"), SPELLED, ids=[a[0] for a, _, _ in SPELLED])
def test_names_with_line_breaks_still_give_one_line(
    files: Path, boundaries_path: Path, args: list[str], env: dict[str, str], code: int
) -> None:
    (files / "key.yaml").write_text('store: {"x\\ny": 1}\n')
    history = str(files / "history.duckdb")
    env = {"BORDERWATCH_BOUNDARIES": str(boundaries_path), "BORDERWATCH_HISTORY": history, **env}
    result = run(*args, cwd=files, env=env)
    assert result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "\\n" in lines[0], result.stderr


def test_a_missing_towns_file_stops_a_replay_at_once(files: Path, boundaries_path: Path) -> None:
    (files / "one.jsonl").write_text('{"now": 1755072000, "aircraft": []}\n')
    env = {"BORDERWATCH_BOUNDARIES": str(boundaries_path), "BORDERWATCH_TOWNS": "/nowhere/t.gz"}
    result = run("replay", "one.jsonl", cwd=files, env=env)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "towns file /nowhere/t.gz not found" in lines[0], result.stderr
    assert "make boundaries" in lines[0]


def test_debug_adds_the_traceback(files: Path) -> None:
    result = run("--debug", "where", "1", "1", cwd=files, env={"BORDERWATCH_BOUNDARIES": "/x"})
    assert result.returncode == 1
    assert "Traceback" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("borderwatch: boundary index")


def test_commands_work_from_any_directory(files: Path, boundaries_path: Path) -> None:
    env = {"BORDERWATCH_BOUNDARIES": str(boundaries_path)}
    where = run("where", "19.2", "-100.1", cwd=files, env=env)
    assert where.returncode == 0 and '"country": "MX"' in where.stdout
    validate = run("config", "validate", cwd=files, env=env)
    assert validate.returncode == 0 and "webhook (url ${BORDERWATCH_WEBHOOK_URL:-} is empty)" in (
        validate.stdout
    )


def test_version_is_the_installed_distribution(tmp_path: Path) -> None:
    result = run("--version", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.strip().startswith(f"borderwatch {version('borderwatch')} (commit ")


def test_version_names_the_commit_the_image_was_built_from(tmp_path: Path) -> None:
    result = run("--version", cwd=tmp_path, env={"BORDERWATCH_COMMIT": "0123abcd"})
    assert result.stdout.strip() == f"borderwatch {version('borderwatch')} (commit 0123abcd)"


def test_version_names_the_checkouts_commit(tmp_path: Path) -> None:
    require((ROOT / ".git").exists(), "not a git checkout")
    head = subprocess.run(
        ["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    assert run("--version", cwd=tmp_path).stdout.strip().endswith(f"(commit {head.stdout.strip()})")
