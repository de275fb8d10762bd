"""The image names of the Dockerfile and the compose file without their digests, for
machines that cannot pull from Docker Hub (this project's CI).

Users get images pinned by digest (`python:3.11-slim@sha256:...`). Offline, local
stand-ins take their place, and those carry the tag only: Docker cannot give a local
image a digest name, and a digest reference would send it to the registry. So

- `python -m tests.deploy.offline DIR` writes DIR/Dockerfile (one `FROM` line per base
  image) and DIR/docker-compose.yml (the compose file, digests cut) for
  ../shared/tools/docker-standins.sh, which reads the image names from those files;
- the compose test builds with `PYTHON_IMAGE` set to `base_image()` and runs with
  `override()` as an extra compose file (tests/deploy/test_compose.py).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.support.paths import ROOT

DIGEST = re.compile(r"@sha256:[0-9a-f]{64}")
# The Dockerfile's base image: `ARG PYTHON_IMAGE=...` before the first FROM.
BASE_ARG = re.compile(r"^ARG PYTHON_IMAGE=(\S+)$", re.MULTILINE)


def tag_only(reference: str) -> str:
    """`redis:7-alpine@sha256:...` -> `redis:7-alpine`; other references unchanged."""
    return DIGEST.sub("", reference)


def base_image(dockerfile: Path = ROOT / "Dockerfile") -> str:
    """The Dockerfile's base image, without its digest (`python:3.11-slim`)."""
    found = BASE_ARG.search(dockerfile.read_text())
    if found is None:
        raise ValueError(f"{dockerfile} has no `ARG PYTHON_IMAGE=` line")
    return tag_only(found.group(1))


def override(compose_file: Path = ROOT / "docker-compose.yml") -> dict[str, Any]:
    """A compose override naming every digest-pinned image of `compose_file` by its tag."""
    services = yaml.safe_load(compose_file.read_text())["services"]
    return {
        "services": {
            name: {"image": tag_only(service["image"])}
            for name, service in services.items()
            if DIGEST.search(str(service.get("image", "")))
        }
    }


def write_copies(out: Path) -> None:
    """DIR/Dockerfile and DIR/docker-compose.yml with tag-only image names."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "Dockerfile").write_text(f"FROM {base_image()}\n")
    (out / "docker-compose.yml").write_text(tag_only((ROOT / "docker-compose.yml").read_text()))


if __name__ == "__main__":
    write_copies(Path(sys.argv[1]))
