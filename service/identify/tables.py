"""Reference tables of the identify stage, loaded from the TSVs shipped in `data/`.

Each TSV names its source in its header comments. Loaders parse once (cached) and
return immutable structures; address ranges are flattened into sorted numpy arrays so
a whole batch of addresses is looked up with one `searchsorted`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from importlib.resources import files
from types import MappingProxyType
from typing import Literal

import numpy as np
import numpy.typing as npt

from service.models import Category

MilitarySource = Literal["readsb", "vrs"]

_DATA = files("service.identify").joinpath("data")
_ISO2 = re.compile(r"[A-Z]{2}")
_DESIGNATOR = re.compile(r"[A-Z]{3}")
_STATE_CATEGORIES = frozenset({Category.MILITARY, Category.GOVERNMENT, Category.POLICE})


class TableError(ValueError):
    """A shipped table is malformed (a packaging bug, not a runtime condition)."""


class OperatorKind(StrEnum):
    """Operator kinds of the designator table; `coastguard` also covers customs and border."""

    MILITARY = "military"
    GOVERNMENT = "government"
    POLICE = "police"
    COASTGUARD = "coastguard"


@dataclass(frozen=True, slots=True)
class AddressBlock:
    """An inclusive range of 24-bit addresses and whom it belongs to."""

    start: int
    end: int
    name: str  # country, or "NATO" / "ICAO (temporary)" where the holder is no State
    iso2: str | None
    source: str  # "icao" for allocations; "readsb" or "vrs" for military ranges
    # The range as printed in reasons, e.g. "A00000-AFFFFF"; formatted once, as nearly
    # every verdict quotes its block.
    span: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "span", f"{self.start:06X}-{self.end:06X}")

    @property
    def size(self) -> int:
        return self.end - self.start + 1


@dataclass(frozen=True, slots=True, eq=False)
class BlockIndex:
    """Possibly nested address blocks, flattened so that each address maps to the
    smallest block containing it (the lookup rule of both ICAO and VRS tables).

    The address space is cut at every block edge into elementary segments; `owner[i]`
    is the smallest block covering segment `[bounds[i], bounds[i+1])`, or -1.
    """

    blocks: tuple[AddressBlock, ...]
    bounds: npt.NDArray[np.int64]
    owner: npt.NDArray[np.int32]

    @classmethod
    def build(cls, blocks: Iterable[AddressBlock]) -> BlockIndex:
        """Index `blocks`; ties in size go to the block listed first."""
        blocks = tuple(blocks)
        starts = np.array([b.start for b in blocks], dtype=np.int64)
        ends = np.array([b.end for b in blocks], dtype=np.int64)
        bounds = np.unique(np.concatenate([starts, ends + 1]))
        # A few hundred blocks by a few hundred segments: a dense cover matrix is cheap
        # and only built once per process.
        covers = (starts[None, :] <= bounds[:, None]) & (bounds[:, None] <= ends[None, :])
        sizes = np.where(covers, (ends - starts + 1)[None, :], np.iinfo(np.int64).max)
        owner = np.where(covers.any(axis=1), sizes.argmin(axis=1), -1).astype(np.int32)
        bounds.setflags(write=False)
        owner.setflags(write=False)
        return cls(blocks=blocks, bounds=bounds, owner=owner)

    def lookup(self, addresses: npt.NDArray[np.int64]) -> npt.NDArray[np.int32]:
        """Index into `blocks` of the smallest block holding each address; -1 for none.

        Negative addresses (the caller's marker for "no ICAO address") give -1.
        """
        segment = np.searchsorted(self.bounds, addresses, side="right") - 1
        found = self.owner[np.maximum(segment, 0)]
        result: npt.NDArray[np.int32] = np.where(
            (segment >= 0) & (addresses >= 0), found, -1
        ).astype(np.int32)
        return result

    def find(self, address: int) -> AddressBlock | None:
        """The smallest block holding one address, or None."""
        if address < 0:
            return None
        segment = int(np.searchsorted(self.bounds, address, side="right")) - 1
        index = int(self.owner[segment]) if segment >= 0 else -1
        return self.blocks[index] if index >= 0 else None


@dataclass(frozen=True, slots=True)
class Designator:
    """A government/military operator known by its ICAO 3-letter designator."""

    icao: str
    telephony: str
    name: str
    iso2: str
    kind: OperatorKind
    note: str

    @property
    def category(self) -> Category:
        # No coastguard in the verdict categories; the coastguard/customs operators in the
        # table are civilian agencies, so they count as government.
        if self.kind is OperatorKind.COASTGUARD:
            return Category.GOVERNMENT
        return Category(self.kind.value)


@dataclass(frozen=True, slots=True)
class RegistrationPattern:
    """A registration regex that names a state operator, e.g. ^CBP- for US CBP."""

    regex: re.Pattern[str]
    iso2: str
    category: Category
    note: str


def _rows(name: str, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for each data line of a TSV; `#` lines are comments."""
    text = _DATA.joinpath(name).read_text(encoding="utf-8")
    header: tuple[str, ...] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = tuple(line.split("\t"))
        if header is None:
            header = cells
            if header != columns:
                raise TableError(f"{name}: header {header!r}, expected {columns!r}")
            continue
        if len(cells) != len(columns):
            raise TableError(f"{name}:{number}: {len(cells)} cells, expected {len(columns)}")
        yield number, dict(zip(columns, cells, strict=True))


def _hex(name: str, number: int, text: str) -> int:
    if len(text) != 6 or any(c not in "0123456789ABCDEFabcdef" for c in text):
        raise TableError(f"{name}:{number}: bad address {text!r}")
    return int(text, 16)


def _iso2(name: str, number: int, text: str) -> str:
    if not _ISO2.fullmatch(text):
        raise TableError(f"{name}:{number}: bad iso2 {text!r}")
    return text


def _block(name: str, number: int, row: Mapping[str, str], source: str) -> AddressBlock:
    start = _hex(name, number, row["start_hex"])
    end = _hex(name, number, row["end_hex"])
    if end < start:
        raise TableError(f"{name}:{number}: range ends before it starts")
    # The ICAO rows (temporary, special use) and NATO have no State, hence no iso2.
    iso2 = _iso2(name, number, row["iso2"]) if row["iso2"] else None
    return AddressBlock(start, end, row["country"], iso2, source)


@cache
def country_blocks() -> BlockIndex:
    """ICAO 24-bit allocation blocks by State (icao_country_ranges.tsv)."""
    name = "icao_country_ranges.tsv"
    columns = ("start_hex", "end_hex", "country", "iso2", "note")
    return BlockIndex.build(_block(name, n, row, "icao") for n, row in _rows(name, columns))


@cache
def military_ranges(source: MilitarySource) -> BlockIndex:
    """Military address ranges of one source (military_ranges.tsv).

    "readsb": readsb's `isMilRange` list, enabled rows only (what sets its dbFlags bit).
    "vrs": VRS standing-data blocks marked military; broader, lower confidence.
    """
    name = "military_ranges.tsv"
    columns = ("start_hex", "end_hex", "country", "iso2", "enabled", "source", "label")
    wanted = {"readsb": "readsb", "vrs": "vrs-standing-data"}[source]
    blocks = [
        _block(name, n, row, source)
        for n, row in _rows(name, columns)
        if row["source"] == wanted and row["enabled"] != "0"
    ]
    return BlockIndex.build(blocks)


@cache
def designators() -> Mapping[str, Designator]:
    """Reviewed government/military operator designators, by designator."""
    name = "operator_designators.tsv"
    columns = ("icao", "telephony", "name", "iso2", "category", "note")
    table: dict[str, Designator] = {}
    for number, row in _rows(name, columns):
        icao = row["icao"]
        if not _DESIGNATOR.fullmatch(icao) or icao in table:
            raise TableError(f"{name}:{number}: bad or repeated designator {icao!r}")
        iso2 = _iso2(name, number, row["iso2"])
        try:
            kind = OperatorKind(row["category"])
        except ValueError:
            raise TableError(f"{name}:{number}: bad category {row['category']!r}") from None
        table[icao] = Designator(icao, row["telephony"], row["name"], iso2, kind, row["note"])
    return MappingProxyType(table)


@cache
def registration_patterns() -> tuple[RegistrationPattern, ...]:
    """Registration regexes that identify a state operator."""
    name = "registration_patterns.tsv"
    columns = ("regex", "iso2", "category", "note")
    patterns = []
    for number, row in _rows(name, columns):
        iso2 = _iso2(name, number, row["iso2"])
        try:
            regex = re.compile(row["regex"])
            category = Category(row["category"])
        except (re.error, ValueError) as exc:
            raise TableError(f"{name}:{number}: {exc}") from None
        if category not in _STATE_CATEGORIES:
            raise TableError(f"{name}:{number}: category must be a state category")
        patterns.append(RegistrationPattern(regex, iso2, category, row["note"]))
    return tuple(patterns)
