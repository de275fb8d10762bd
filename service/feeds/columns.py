"""A decoded snapshot's positions as columns: Position objects only for the rows used.

A world-wide feed lists 10-150k aircraft a poll, and the pipeline follows the few
hundred that some rule selects (about 3 %). `decode_snapshot(lazy=True)` (the live
poll path) checks every record column by column, exactly as `normalise_decoded` does,
and keeps the records that pass as `PositionColumns`: the address and fix time of each
row (what fusion and identification read for every aircraft), and the decoded records
themselves, from which `take` builds the Positions of the rows asked for. Iterating,
indexing or comparing one builds every Position once, so it is a `Sequence[Position]`
to any other reader, with the same positions, in the same order, as the eager path.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import compress
from operator import attrgetter
from typing import Any, Final, overload

from service.feeds import judge
from service.feeds.judge import build_positions, judge_chunk
from service.feeds.normalise import AircraftRecord
from service.models import Position

__all__ = ["PositionColumns", "judge_columns"]

_IDENTITY: Final = attrgetter("flight", "registration", "db_flags")


class PositionColumns(Sequence[Position]):
    """The positions of one snapshot (of one source), built on demand.

    `hexes` and `times` are the canonical address and fix time of each row; the raw
    identity fields (`identity_inputs`) are the record's as decoded, before cleaning.
    """

    __slots__ = ("_built", "_fixed", "_records", "_unique", "hexes", "source", "times")

    def __init__(
        self,
        records: list[AircraftRecord],
        hexes: list[str],
        times: list[float],
        fixed: dict[int, Position],
        source: str,
    ) -> None:
        """`fixed`: rows whose Position `normalise_record` built alone (odd values)."""
        self._records = records
        self.hexes = hexes
        self.times = times
        self._fixed = fixed
        self.source = source
        self._built: list[Position] | None = None
        self._unique: bool | None = None

    def __len__(self) -> int:
        return len(self._records)

    @overload
    def __getitem__(self, index: int) -> Position: ...

    @overload
    def __getitem__(self, index: slice) -> list[Position]: ...

    def __getitem__(self, index: int | slice) -> Position | list[Position]:
        return self.materialised()[index]

    def __iter__(self) -> Iterator[Position]:
        return iter(self.materialised())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PositionColumns | list | tuple):
            return self.materialised() == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable-looking, like a list

    def __repr__(self) -> str:
        return f"PositionColumns({len(self)} rows of {self.source!r})"

    def unique(self) -> bool:
        """Whether every address is listed once (a feed's own snapshot nearly always)."""
        if self._unique is None:
            self._unique = len(set(self.hexes)) == len(self.hexes)
        return self._unique

    def mark_unique(self) -> None:
        """Note that every address is listed once (a caller that found it out)."""
        self._unique = True

    def identity_inputs(self) -> list[tuple[str | None, str | None, int | None]]:
        """Each row's (callsign, registration, database flags) as the feed wrote them."""
        return list(map(_IDENTITY, self._records))

    def materialised(self) -> list[Position]:
        """Every Position, built once."""
        if self._built is None:
            self._built = self._build(self._records, self.hexes, self.times, self._fixed)
        return self._built

    def take(self, rows: Sequence[int]) -> list[Position]:
        """The Positions of `rows`, in that order (only those are built)."""
        if self._built is not None:
            built = self._built
            return [built[i] for i in rows]
        records, hexes, times = self._records, self.hexes, self.times
        return self._build(
            [records[i] for i in rows],
            [hexes[i] for i in rows],
            [times[i] for i in rows],
            self._fixed_at(rows),
        )

    def subset(self, rows: Sequence[int]) -> PositionColumns:
        """The columns of `rows` only, in that order."""
        records, hexes, times = self._records, self.hexes, self.times
        part = PositionColumns(
            [records[i] for i in rows],
            [hexes[i] for i in rows],
            [times[i] for i in rows],
            self._fixed_at(rows),
            self.source,
        )
        if self._unique:
            part._unique = True
        return part

    def _fixed_at(self, rows: Sequence[int]) -> dict[int, Position]:
        """The fixed rows among `rows`, by their place in `rows`."""
        fixed = self._fixed
        if not fixed:
            return {}
        return {j: fixed[i] for j, i in enumerate(rows) if i in fixed}

    def _build(
        self,
        records: list[AircraftRecord],
        hexes: list[str],
        times: list[float],
        fixed: dict[int, Position],
    ) -> list[Position]:
        text = judge._TEXT_CACHE.make_room(len(records))
        positions = build_positions(records, hexes, times, self.source, text)
        for i, position in fixed.items():
            positions[i] = position
        return positions


def judge_columns(
    records: Sequence[AircraftRecord], now: float, source: str, max_position_age_s: float
) -> tuple[PositionColumns, dict[str, int]]:
    """`normalise_decoded` without building the Positions: the same checks (in chunks
    of `judge.NORMALISE_CHUNK`), the same reject counts, the kept rows as columns."""
    n = len(records)
    addresses = judge._ADDRESS_CACHE.make_room(n)
    judge._TEXT_CACHE.make_room(n)  # sized from this snapshot, as the eager path does
    kept: list[AircraftRecord] = []
    hexes: list[Any] = []
    times: list[float] = []
    fixed: dict[int, Position] = {}
    rejected: dict[str, int] = {}
    step = judge.NORMALISE_CHUNK
    for start in range(0, n, step):
        chunk = records[start : start + step]
        judged = judge_chunk(chunk, now, source, max_position_age_s, addresses)
        offset = len(kept)
        if judged.keep.all():
            kept += chunk
            hexes += judged.hexes
            times += judged.times
            fixed.update((offset + i, p) for i, p in judged.fixed.items())
        else:
            keep = judged.keep.tolist()
            if judged.fixed:
                rows = list(compress(range(len(chunk)), keep))
                where = {row: offset + j for j, row in enumerate(rows)}
                fixed.update((where[i], p) for i, p in judged.fixed.items())
            kept += compress(chunk, keep)
            hexes += compress(judged.hexes, keep)
            times += compress(judged.times, keep)
        for reason, count in judged.rejected.items():
            rejected[reason] = rejected.get(reason, 0) + count
    return PositionColumns(kept, hexes, times, fixed, source), rejected
