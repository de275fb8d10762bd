"""User aircraft lists in the plane-alert-db CSV format (`identify.lists`).

The format is that of sdr-enthusiasts/plane-alert-db and the files derived from it::

    $ICAO,$Registration,$Operator,$Type,$ICAO Type,#CMPG,$Tag 1,$#Tag 2,$#Tag 3,Category,$#Link

The `$` and `#` in front of a column name are Planefence display directives, so columns
are found by their name without them (case-insensitive, in any order, extra columns
ignored). Only `ICAO` and `CMPG` are required. `CMPG` gives the category: `Mil`
military, `Gov` government, `Pol` police, `Civ` civil (a listed civil aircraft stays
civil, with the list as the reason). The list has no country column, so a match sets
the category only; the state of registry comes from the other evidence as usual.

Files are UTF-8, a byte order mark is tolerated. Five-digit hexes lose their leading
zero in some editors and are zero-padded. A malformed row (bad hex, unknown CMPG, too
few cells) is skipped, counted and logged with file and line; a file without the
required columns is an error. When an address appears twice, the first row wins.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Final

import structlog

from service.models import Category

log = structlog.get_logger(__name__)

CMPG_CATEGORIES: Final[Mapping[str, Category]] = MappingProxyType(
    {
        "mil": Category.MILITARY,
        "gov": Category.GOVERNMENT,
        "pol": Category.POLICE,
        "civ": Category.CIVIL,
    }
)
REQUIRED_COLUMNS: Final = ("icao", "cmpg")
# Individual warnings per file; the rest are only counted in the summary line.
_WARN_ROWS: Final = 20
_HEX_DIGITS: Final = frozenset("0123456789ABCDEF")


# plane-alert-db is about 2 MB; a list a hundred times larger is not one.
MAX_LIST_BYTES: Final = 256 * 1024 * 1024


class ListError(ValueError):
    """A list file cannot be used at all (unreadable, or no ICAO/CMPG column)."""


@dataclass(frozen=True, slots=True)
class ListEntry:
    """One listed aircraft: what the row says, and where it came from."""

    address: int
    category: Category
    cmpg: str  # as written in the file, e.g. "Mil"
    registration: str
    operator: str
    type_name: str
    tag: str  # the plane-alert-db "Category" column, e.g. "Governments"
    source: str  # file name
    line: int

    def detail(self) -> str:
        """The reason text: where the row is and what it says about the operator."""
        said = ", ".join(x for x in (self.cmpg, self.operator, self.tag) if x)
        return f"{self.address:06X} listed in {self.source} line {self.line}: {said}"


@dataclass(slots=True)
class UserList:
    """The usable rows of one file, keyed by 24-bit address, and what was skipped."""

    path: Path
    entries: dict[int, ListEntry] = field(default_factory=dict)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    duplicates: int = 0


def column_names(header: Iterable[str]) -> list[str]:
    """Header cells without their display directives: "$#Tag 2" -> "tag 2"."""
    return [cell.strip().lstrip("$#").strip().lower() for cell in header]


def check_header(path: Path) -> None:
    """Raise ListError unless `path` is a readable CSV with ICAO and CMPG columns.

    Cheap (reads the first line); used when the configuration is validated.
    """
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), [])
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ListError(f"{path}: cannot read ({exc})") from exc
    _columns(path, header)


def _columns(path: Path, header: list[str]) -> dict[str, int]:
    names = column_names(header)
    missing = [c.upper() for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        raise ListError(
            f"{path}: not a plane-alert-db CSV, the header has no {' or '.join(missing)} "
            "column (expected $ICAO,$Registration,$Operator,$Type,$ICAO Type,#CMPG,...)"
        )
    return {name: names.index(name) for name in names}  # the first of repeated names wins


def _address(text: str) -> int | None:
    text = text.strip().upper()
    if len(text) == 5:  # a leading zero lost by a spreadsheet
        text = "0" + text
    if len(text) != 6 or not _HEX_DIGITS.issuperset(text):
        return None
    return int(text, 16)


def load_list(path: Path, seen: set[int] | None = None) -> UserList:
    """Read one list; addresses in `seen` (earlier lists) count as duplicates.

    Raises ListError when the file is unreadable or lacks the required columns.
    """
    result = UserList(path=path)
    seen = set() if seen is None else seen
    try:
        if path.stat().st_size > MAX_LIST_BYTES:
            raise ListError(f"{path}: larger than {MAX_LIST_BYTES} bytes")
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            columns = _columns(path, next(reader, []))
            for row in reader:
                _add_row(result, columns, row, reader.line_num, seen)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ListError(f"{path}: cannot read ({exc})") from exc
    for line, reason in result.skipped[:_WARN_ROWS]:
        log.warning("identify.list_row_skipped", file=str(path), line=line, reason=reason)
    log.info(
        "identify.list_loaded",
        file=str(path),
        aircraft=len(result.entries),
        skipped=len(result.skipped),
        duplicates=result.duplicates,
    )
    if len(result.skipped) > _WARN_ROWS:
        log.warning(
            "identify.list_rows_skipped",
            file=str(path),
            skipped=len(result.skipped),
            first_lines=[line for line, _ in result.skipped[:_WARN_ROWS]],
        )
    return result


def _add_row(
    result: UserList, columns: dict[str, int], row: list[str], line: int, seen: set[int]
) -> None:
    if not any(cell.strip() for cell in row):
        return  # blank line
    if len(row) <= max(columns["icao"], columns["cmpg"]):
        result.skipped.append((line, f"{len(row)} cells, too few for ICAO and CMPG"))
        return

    def cell(name: str) -> str:
        index = columns.get(name)
        return row[index].strip() if index is not None and index < len(row) else ""

    address = _address(cell("icao"))
    if address is None:
        result.skipped.append((line, f"bad ICAO hex {cell('icao')[:16]!r}"))
        return
    cmpg = cell("cmpg")
    category = CMPG_CATEGORIES.get(cmpg.lower())
    if category is None:
        result.skipped.append((line, f"CMPG {cmpg[:16]!r} is not Mil, Gov, Pol or Civ"))
        return
    if address in seen:
        result.duplicates += 1
        return
    seen.add(address)
    result.entries[address] = ListEntry(
        address=address,
        category=category,
        cmpg=cmpg,
        registration=cell("registration"),
        operator=cell("operator"),
        type_name=cell("type"),
        tag=cell("category"),
        source=result.path.name,
        line=line,
    )


def load_lists(paths: Iterable[Path]) -> list[UserList]:
    """Every list in order; an address listed twice keeps its first row."""
    seen: set[int] = set()
    return [load_list(Path(path), seen) for path in paths]
