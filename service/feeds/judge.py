"""A whole snapshot decoded from JSON, checked column by column: what
`normalise_record` (service/feeds/normalise.py) gives for each record, at a world feed's
size.

The checks run in numpy over columns of the decoded records, in chunks; the records
that do not pass them all at once are judged by `normalise_record` itself, so every
reason, and every odd value, is decided by the one definition. For `CheckedRecord`s,
whose numbers msgspec held to their bounds while decoding, only the checks it did not
make run here. Positions are built from the columns (`build_positions`): for every row
by `normalise_decoded`, for the rows asked for by `columns.PositionColumns`. The texts
and addresses of a feed come back on every poll, so they are cleaned once, through
self-sizing caches.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from itertools import compress, filterfalse, repeat
from operator import attrgetter, is_not
from typing import Final, NamedTuple

import numpy as np
import numpy.typing as npt

from service.feeds.normalise import (
    MAX_ALT_FT,
    MAX_GS_KT,
    MAX_POSITION_AGE_S,
    MIN_ALT_FT,
    QUALITY_BY_TYPE,
    SQUAWK_VALID,
    AircraftRecord,
    CheckedRecord,
    clean_text,
    db_flags_of,
    normalise_record,
    quality_of,
)
from service.models import Position, Quality

__all__ = ["NORMALISE_CHUNK", "TextCache", "build_positions", "judge_chunk", "normalise_decoded"]

# A canonical address: already what `normalise_record` would make of it (lowercase).
_CANONICAL_HEX: Final = re.compile(r"~?[0-9a-f]{6}")


# One C-level getter per column: faster than a Python loop over the records.
_HEX, _FLIGHT, _LAT, _LON, _ALT, _GS, _TRACK, _SQUAWK = (
    attrgetter(name)
    for name in ("hex", "flight", "lat", "lon", "alt_baro", "gs", "track", "squawk")
)
_REGISTRATION, _TYPE_CODE, _DB_FLAGS, _SEEN_POS, _SOURCE_TYPE = (
    attrgetter(name)
    for name in ("registration", "type_code", "db_flags", "seen_pos", "source_type")
)
# Stand-ins for the JSON values that are not numbers in the altitude column. JSON has no
# infinities (msgspec refuses numbers out of range), so they cannot be confused with a
# reported altitude.
_GROUND_ALT: Final = float("inf")
_WORD_ALT: Final = float("-inf")


class TextCache:
    """Cleaned callsigns, registrations and type codes by their raw text (or addresses
    as themselves), kept across snapshots: a feed repeats nearly every value on every
    poll.

    Self-sizing: emptied when it holds more than `limit` values, and `limit` grows to
    `per_record` values per record of the largest snapshot seen (three text fields of
    every aircraft, and room for the new ones of the next polls). Its memory is so
    bounded by the largest response a feed accepts (`max_aircraft`). A small feed
    polled between the polls of a world-wide one does not shrink it.
    """

    def __init__(self, minimum: int = 1 << 16, per_record: int = 4) -> None:
        self.limit = minimum
        self.per_record = per_record
        self.values: dict[str | None, str | None] = {None: None}

    def make_room(self, records: int) -> dict[str | None, str | None]:
        """The cache, emptied first when full; `records`: the size of the snapshot."""
        self.limit = max(self.limit, self.per_record * records)
        if len(self.values) > self.limit:
            self.values = {None: None}
        return self.values


_TEXT_CACHE: Final = TextCache()
# Canonical addresses as themselves, others as None (one object per address from poll to
# poll, see judge_chunk).
_ADDRESS_CACHE: Final = TextCache(per_record=2)
# Records normalised together (see normalise_decoded); a module setting for the tests.
NORMALISE_CHUNK = 4096


def normalise_decoded(
    records: Sequence[AircraftRecord],
    now: float,
    source: str,
    max_position_age_s: float = MAX_POSITION_AGE_S,
) -> tuple[list[Position], dict[str, int]]:
    """`normalise_record` over a whole snapshot decoded from JSON: its positions, in
    order, and the reject counts by reason; exactly what the record-by-record loop gives.

    Only for records decoded from JSON, which cannot hold NaN or infinities (a Python
    caller's record may: use `normalise_record`). The checks run column by column in
    numpy; records that do not pass them all at once (rejects, uppercase addresses,
    "ground" aside) are judged by `normalise_record` itself, so every reason, and every
    odd value, is decided by the one definition.
    """
    n = len(records)
    text, addresses = _TEXT_CACHE.make_room(n), _ADDRESS_CACHE.make_room(n)
    if n <= NORMALISE_CHUNK:
        return _normalise_chunk(records, now, source, max_position_age_s, text, addresses)
    # In chunks, so that the columns of one stay in the CPU caches: over a whole world
    # feed at once they do not, and the cost per record grew with the feed's size.
    positions: list[Position] = []
    rejected: dict[str, int] = {}
    for start in range(0, n, NORMALISE_CHUNK):
        chunk = records[start : start + NORMALISE_CHUNK]
        some, why = _normalise_chunk(chunk, now, source, max_position_age_s, text, addresses)
        positions += some
        for reason, count in why.items():
            rejected[reason] = rejected.get(reason, 0) + count
    return positions, rejected


def _normalise_chunk(
    records: Sequence[AircraftRecord],
    now: float,
    source: str,
    max_position_age_s: float,
    text: dict[str | None, str | None],
    addresses: dict[str | None, str | None],
) -> tuple[list[Position], dict[str, int]]:
    """`normalise_decoded` of a part of a snapshot (with the text and address caches)."""
    if not records:
        return [], {}
    judged = judge_chunk(records, now, source, max_position_age_s, addresses)
    positions = build_positions(records, judged.hexes, judged.times, source, text)
    for i, position in judged.fixed.items():
        positions[i] = position
    if not judged.keep.all():
        positions = list(compress(positions, judged.keep.tolist()))
    return positions, judged.rejected


class Judged(NamedTuple):
    """The checks of `normalise_record` over a part of a snapshot, before any Position."""

    keep: npt.NDArray[np.bool_]  # the rows that become positions
    hexes: list[str | None]  # each row's canonical address (None: none, or not as it is)
    times: list[float]  # each row's fix time
    fixed: dict[int, Position]  # kept rows `normalise_record` judged alone (odd values)
    rejected: dict[str, int]  # the other rows, by reason


def judge_chunk(
    records: Sequence[AircraftRecord],
    now: float,
    source: str,
    max_position_age_s: float,
    addresses: dict[str | None, str | None],
) -> Judged:
    """Which of `records` (not empty, of one class) become positions and why the others
    do not: the checks run column by column in numpy (for `CheckedRecord`s only those
    the decoder did not make); the rows that do not pass them all at once are judged by
    `normalise_record` itself (the one definition of every reason)."""
    # Through a cache: each address is then one object from poll to poll, so the fuser's,
    # the identifier's and the fleet's tables find it by identity instead of comparing it
    # with a copy that is no longer in the CPU caches (the cost per aircraft grew with
    # the feed). Not sys.intern: from Python 3.12 on it keeps every string forever.
    hexes = _cleaned(addresses, list(map(_HEX, records)), _canonical)
    f64 = np.float64
    lat = np.array(list(map(_LAT, records)), dtype=f64)  # None -> NaN
    lon = np.array(list(map(_LON, records)), dtype=f64)
    seen_pos = np.array(list(map(_SEEN_POS, records)), dtype=f64)
    with np.errstate(invalid="ignore"):  # NaN stands for an absent value
        if records[0].__class__ is CheckedRecord:  # the decoder held the rest to bounds
            ok = ~(np.isnan(lat) | np.isnan(lon) | (seen_pos > max_position_age_s))
        else:
            ok = (lat >= -90.0) & (lat <= 90.0) & (lon >= -180.0) & (lon <= 180.0)
            ok &= np.isnan(seen_pos) | ((seen_pos >= 0.0) & (seen_pos <= max_position_age_s))
            ok &= _numbers_in_bounds(records)
    if None in hexes:  # some address is missing or not canonical as written
        hex_ok = np.fromiter(map(is_not, hexes, repeat(None)), dtype=np.bool_, count=len(hexes))
        ok &= hex_ok
    else:
        hex_ok = np.ones(len(hexes), dtype=np.bool_)
    # Listed without a position (Mode S only, or lost): no_position is the first check a
    # canonical address fails. Counted here, so only odd records take the slow path.
    no_position = hex_ok & (np.isnan(lat) | np.isnan(lon))
    times: list[float] = np.where(np.isnan(seen_pos), now, now - seen_pos).tolist()
    rejected: dict[str, int] = {}
    missing = int(no_position.sum())
    if missing:
        rejected["no_position"] = missing
    keep = ok.copy()
    fixed: dict[int, Position] = {}
    for i in np.flatnonzero(~ok & ~no_position).tolist():
        result = normalise_record(records[i], now, source, max_position_age_s)
        if isinstance(result, Position):
            fixed[i] = result
            hexes[i], times[i] = result.hex, result.time
            keep[i] = True
        else:
            rejected[result] = rejected.get(result, 0) + 1
    return Judged(keep, hexes, times, fixed, rejected)


def _numbers_in_bounds(records: Sequence[AircraftRecord]) -> npt.NDArray[np.bool_]:
    """Whether each record's altitude, speed and track are absent or in bounds."""
    f64 = np.float64
    gs = np.array(list(map(_GS, records)), dtype=f64)
    track = np.array(list(map(_TRACK, records)), dtype=f64)
    alt = _altitudes(list(map(_ALT, records)))
    with np.errstate(invalid="ignore"):
        ok = np.isnan(alt) | (alt == _GROUND_ALT) | ((alt >= MIN_ALT_FT) & (alt <= MAX_ALT_FT))
        ok &= np.isnan(gs) | ((gs >= 0.0) & (gs <= MAX_GS_KT))
        ok &= np.isnan(track) | ((track >= 0.0) & (track <= 360.0))
    return np.asarray(ok, dtype=np.bool_)


def build_positions(
    records: Sequence[AircraftRecord],
    hexes: Sequence[str | None],
    times: Sequence[float],
    source: str,
    text: dict[str | None, str | None],
) -> list[Position]:
    """The Position of each of `records`, with its address and fix time as judged
    (`judge_chunk`): what `normalise_record` gives for a record that passes every
    check in the column checks (no odd value among them)."""
    n = len(records)
    tracks = list(map(_TRACK, records))
    alt = _altitudes(list(map(_ALT, records)))
    numeric_alt = (alt >= MIN_ALT_FT) & (alt <= MAX_ALT_FT)
    alt_ft = np.rint(np.where(numeric_alt, alt, 0.0)).astype(np.int64).astype(object)
    alt_ft[~numeric_alt] = None
    # `track % 360.0` changes only 360 (and -0.0) to 0.0: patch those, keep the rest.
    track = np.array(tracks, dtype=np.float64)
    for i in np.flatnonzero((track == 0.0) | (track == 360.0)).tolist():
        tracks[i] = tracks[i] % 360.0
    return list(
        map(
            Position,
            hexes,
            times,
            map(_LAT, records),
            map(_LON, records),
            alt_ft.tolist(),
            (alt == _GROUND_ALT).tolist(),
            map(_GS, records),
            tracks,
            _cleaned(text, list(map(_FLIGHT, records)), clean_text),
            _cleaned(text, list(map(_REGISTRATION, records)), clean_text),
            _cleaned(text, list(map(_TYPE_CODE, records)), clean_text),
            map(SQUAWK_VALID.get, map(_SQUAWK, records)),
            map(db_flags_of, map(_DB_FLAGS, records)),
            repeat(source, n),
            _qualities(records),
        )
    )


def _altitudes(alts: list[float | str | None]) -> npt.NDArray[np.float64]:
    """The altitude column as numbers: NaN when absent, stand-ins for the words."""
    return np.array(
        [
            a if a.__class__ is not str else (_GROUND_ALT if a == "ground" else _WORD_ALT)
            for a in alts
        ],
        dtype=np.float64,
    )


def _qualities(records: Sequence[AircraftRecord]) -> list[Quality]:
    """`quality_of` of each record; its table alone (in C) for the usual `type` values."""
    qualities: list[Quality | None] = list(map(QUALITY_BY_TYPE.get, map(_SOURCE_TYPE, records)))
    i = -1
    while True:
        try:
            i = qualities.index(None, i + 1)
        except ValueError:
            return qualities  # type: ignore[return-value]  # no None is left
        record = records[i]
        qualities[i] = quality_of(record.source_type, record.mlat, record.tisb)


def _cleaned(
    cache: dict[str | None, str | None],
    values: list[str | None],
    clean: Callable[[str | None], str | None],
) -> list[str | None]:
    """`clean` of each value, through `cache`."""
    try:  # the usual poll: every value seen before, looked up in C
        return list(map(cache.__getitem__, values))
    except KeyError:
        pass
    # The few new values, found in C without hashing the whole column into a set.
    for value in set(filterfalse(cache.__contains__, values)):
        cache[value] = clean(value)
    return list(map(cache.__getitem__, values))


def _canonical(value: str | None) -> str | None:
    """An address that is canonical as it is (`normalise_record` keeps it), else None:
    the address cache keeps one object per address, and says which are canonical."""
    return value if value is not None and _CANONICAL_HEX.fullmatch(value) else None
