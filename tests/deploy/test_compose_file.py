"""The compose file and the Dockerfile as users get them, checked without starting
anything: pinned images, limits, rotated logs, the read-only config, required secrets.
(`make compose-test` runs the stack itself: tests/deploy/test_compose.py.)"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.offline import DIGEST, base_image, override, tag_only
from tests.support.paths import ROOT, require

COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
PINNED = re.compile(r"^[a-z0-9./-]+:[A-Za-z0-9._-]+@sha256:[0-9a-f]{64}$")  # a tag and a digest


def services() -> dict[str, Any]:
    return dict(yaml.safe_load(COMPOSE.read_text())["services"])


def test_public_images_are_pinned_by_tag_and_digest() -> None:
    images = {name: service.get("image", "") for name, service in services().items()}
    for name in ("redis", "prometheus", "grafana"):
        assert PINNED.match(images[name]), f"{name}: {images[name]}"
    for name, image in images.items():  # a digest always comes with the tag it was
        assert not DIGEST.search(image) or PINNED.match(image), f"{name}: {image}"
    assert images["borderwatch"] == "borderwatch:local"  # built here, not pulled


def test_the_dockerfile_names_its_pinned_base_once() -> None:
    text = DOCKERFILE.read_text()
    (default,) = re.findall(r"^ARG PYTHON_IMAGE=(\S+)$", text, re.MULTILINE)
    assert PINNED.match(default) and tag_only(default) == base_image() == "python:3.11-slim"
    assert "docker buildx imagetools inspect python:3.11-slim" in text  # how to update
    stages = re.findall(r"^FROM (\S+)(?: AS (\S+))?$", text, re.MULTILINE)
    names = {name for _, name in stages if name}
    assert {image for image, _ in stages} <= names | {"${PYTHON_IMAGE}"}


def test_the_image_installs_the_locks_with_hashes_only() -> None:
    text = DOCKERFILE.read_text()
    assert "--require-hashes -r requirements/build.txt" in text
    assert re.search(r"--require-hashes \\\s+-r requirements/runtime.txt", text)
    assert "--no-deps /dist/*.whl" in text  # the project itself adds nothing unlocked


def test_every_service_has_a_memory_limit_and_rotated_logs() -> None:
    for name, service in services().items():
        assert service.get("mem_limit"), f"{name} has no mem_limit"
        logging = service.get("logging", {})
        assert logging.get("driver") == "json-file", name
        assert {"max-size", "max-file"} <= set(logging.get("options", {})), name


def test_the_config_is_mounted_read_only() -> None:
    assert "./config:/app/config:ro" in services()["borderwatch"]["volumes"]
    text = DOCKERFILE.read_text()
    assert "BORDERWATCH_CONFIG=/app/config/borderwatch.yaml" in text


def test_every_variable_of_the_compose_file_is_in_env_example() -> None:
    used = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", COMPOSE.read_text()))
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^([A-Z_][A-Z0-9_]*)=", example, re.MULTILINE))
    assert used - listed == set()
    required = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*):\?", COMPOSE.read_text()))
    assert required == {"GRAFANA_ADMIN_PASSWORD"}
    assert re.search(r"^GRAFANA_ADMIN_PASSWORD=$", example, re.MULTILINE)  # no default


def test_the_offline_override_names_each_pinned_image_by_its_tag() -> None:
    renamed = override()["services"]
    assert set(renamed) == {name for name, s in services().items() if "@" in s.get("image", "")}
    for name, service in renamed.items():
        assert service["image"] == services()[name]["image"].split("@")[0]


def compose_config(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("docker-compose")
    require(binary is not None, "docker-compose is not installed")
    assert binary is not None
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GRAFANA_", "BORDERWATCH_"))}
    empty = tmp_path / "empty.env"  # a developer's .env must not answer for the test
    empty.write_text("")
    return subprocess.run(
        [binary, "--env-file", str(empty), "-f", str(COMPOSE), "config", "--quiet"],
        cwd=tmp_path, env={**clean, **env}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize("password", [None, ""])
def test_compose_refuses_to_run_without_a_grafana_password(
    tmp_path: Path, password: str | None
) -> None:
    result = compose_config(
        tmp_path, {} if password is None else {"GRAFANA_ADMIN_PASSWORD": password}
    )
    assert result.returncode != 0
    assert "set GRAFANA_ADMIN_PASSWORD in .env" in result.stderr


def test_compose_config_is_valid_with_the_required_variables(tmp_path: Path) -> None:
    result = compose_config(tmp_path, {"GRAFANA_ADMIN_PASSWORD": "s3cret-enough"})
    assert result.returncode == 0, result.stderr
