"""The source data of the boundary index: the pinned npm package, fetched and checked.

@geo-maps/countries-maritime-10m 0.6.0 (OpenStreetMap data, ODbL 1.0; package MIT).
See docs/boundaries.md for the licence obligations.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import urllib.request
from pathlib import Path
from typing import Any

import msgspec
import numpy.typing as npt
import shapely

PACKAGE = "@geo-maps/countries-maritime-10m"
VERSION = "0.6.0"
TARBALL = "geo-maps-countries-maritime-10m-0.6.0.tgz"
# As published by the registry (`npm view @geo-maps/countries-maritime-10m@0.6.0
# dist.integrity`); a different tarball means different data and must be reviewed.
INTEGRITY = (
    "sha512-3Auc7lXpsOL+Z+axKGTaS2dvmDr/odfxa1Wk5UT/4naT+xYK3Rf+"
    "ImSLkO1zyO3vi7WSaVhjjQfBdrldjPDIbA=="
)
GEOJSON_MEMBER = "package/map.geo.json"
SOURCE = {
    "package": f"{PACKAGE}@{VERSION}",
    "integrity": INTEGRITY,
    "homepage": "https://github.com/simonepri/geo-maps",
    "data": "OpenStreetMap",
    "attribution": "© OpenStreetMap contributors",
    "data_licence": "ODbL-1.0 (https://opendatacommons.org/licenses/odbl/1.0/)",
    "code_licence": "MIT (geo-maps, Simone Primarosa)",
}


class BuildError(RuntimeError):
    """The source data or the tool chain is not what this build expects."""


class _Feature(msgspec.Struct):
    properties: dict[str, str]
    geometry: msgspec.Raw


class _FeatureCollection(msgspec.Struct):
    features: list[_Feature]


def fetch_tarball(cache_dir: Path) -> Path:
    """The pinned npm tarball in cache_dir: `npm pack` when npm is installed, otherwise a
    plain HTTPS download of the same file from the npm registry. Either way the bytes
    must match the published sha512 integrity."""
    tarball = cache_dir / TARBALL
    if not tarball.exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        if shutil.which("npm"):
            _npm_pack(cache_dir)
        else:
            _download(tarball)
    digest = base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
    if f"sha512-{digest}" != INTEGRITY:
        raise BuildError(f"{tarball} fails its sha512 check; delete it and rebuild")
    return tarball


def _npm_pack(cache_dir: Path) -> None:
    command = ["npm", "pack", f"{PACKAGE}@{VERSION}", "--json", "--pack-destination"]
    try:
        done = subprocess.run(
            [*command, str(cache_dir)], capture_output=True, text=True, check=True, timeout=600
        )
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", "") or exc
        raise BuildError(f"`npm pack {PACKAGE}@{VERSION}` failed: {detail}") from exc
    reported = json.loads(done.stdout)[0]["integrity"]
    if reported != INTEGRITY:
        raise BuildError(f"npm reports integrity {reported}, expected {INTEGRITY}")


def _download(tarball: Path) -> None:
    registry = os.environ.get("NPM_CONFIG_REGISTRY", "https://registry.npmjs.org").rstrip("/")
    url = f"{registry}/{PACKAGE}/-/{TARBALL.replace('geo-maps-', '', 1)}"
    partial = tarball.with_suffix(".part")
    try:
        with urllib.request.urlopen(url, timeout=60) as response, partial.open("wb") as out:
            shutil.copyfileobj(response, out)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise BuildError(f"download of {url} failed ({exc}); install npm or retry") from exc
    partial.replace(tarball)


def read_features(tarball: Path) -> tuple[list[str], npt.NDArray[Any]]:
    """A3 codes and shapely geometries of every feature in the package's GeoJSON."""
    with tarfile.open(tarball) as archive:
        member = archive.extractfile(GEOJSON_MEMBER)
        if member is None:
            raise BuildError(f"{tarball} has no {GEOJSON_MEMBER}")
        collection = msgspec.json.decode(member.read(), type=_FeatureCollection)
    codes = [feature.properties["A3"] for feature in collection.features]
    geometries = shapely.from_geojson([bytes(f.geometry) for f in collection.features])
    return codes, geometries
