"""Turn one decoded readsb aircraft record into a `Position`, or say why not.

Feed values are untrusted. A record whose address, position, fix age, altitude, ground
speed or track is outside what an aircraft can report is corrupt: it is rejected, never
turned into a Position, and counted by reason. Descriptive fields (callsign,
registration, type, squawk, database flags) that are malformed are dropped to None, so
that one odd label does not hide an aircraft.

Checks run in this order and the first failure names the reason: malformed_record and
too_deep (in the decoder), bad_hex, no_position, bad_coordinates, stale_position,
bad_altitude, bad_speed, bad_track.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from itertools import compress, filterfalse, repeat
from operator import attrgetter, is_not
from typing import Annotated, Final, Literal, NamedTuple

import msgspec
import numpy as np
import numpy.typing as npt
from msgspec import Meta

from service.models import Position, Quality, is_address

__all__ = [
    "MAX_POSITION_AGE_S",
    "REJECT_REASONS",
    "AircraftRecord",
    "CheckedRecord",
    "clean_text",
    "normalise_decoded",
    "normalise_record",
    "quality_of",
]

# Every reason a record can be rejected for. These become Prometheus label values, so
# the set is closed: add a name here before emitting it anywhere, and never rename one.
REJECT_REASONS: Final[tuple[str, ...]] = (
    "malformed_record",  # not an object, or a decoded field has the wrong JSON type
    "bad_hex",  # address missing or not ^~?[0-9a-f]{6}$ after lowercasing
    "no_position",  # lat or lon absent (readsb lists targets without a position)
    "bad_coordinates",  # lat outside -90..90 or lon outside -180..180
    "stale_position",  # seen_pos negative or older than the maximum age
    "bad_altitude",  # barometric altitude outside -2,000..80,000 ft, or a word but "ground"
    "bad_speed",  # ground speed negative or above 2,000 kt
    "bad_track",  # track outside 0..360 degrees
    "too_deep",  # nested deeper than any real record (a hostile document)
)

# readsb stops printing lat/lon once they are 60 s old, so anything older is suspect.
MAX_POSITION_AGE_S: Final = 60.0
MIN_ALT_FT: Final = -2000
MAX_ALT_FT: Final = 80000
MAX_GS_KT: Final = 2000.0
MAX_TEXT_LEN: Final = 16  # callsigns are 8 characters; leave room without being unbounded
MAX_DB_FLAGS: Final = 0xFFFFFFFF  # readsb uses a handful of low bits


def out_of_bounds(alt_ft: float | None, gs_kt: float | None, track_deg: float | None) -> str | None:
    """Why reported values are outside what an aircraft can report (the record is
    corrupt), if they are: every feed format is held to these same bounds."""
    if alt_ft is not None and not MIN_ALT_FT <= alt_ft <= MAX_ALT_FT:
        return "bad_altitude"
    if gs_kt is not None and not 0.0 <= gs_kt <= MAX_GS_KT:
        return "bad_speed"
    if track_deg is not None and not 0.0 <= track_deg <= 360.0:
        return "bad_track"
    return None


class AircraftRecord(msgspec.Struct, gc=False):
    """The subset of one readsb aircraft object that the pipeline uses.

    Every field is optional because readsb omits keys it has no data for. Types are
    strict: a value of the wrong JSON type fails the decode of this record only.
    """

    # gc=False (here and on _Envelope): the fields hold only scalars and tuples of str or
    # Raw, which cannot form reference cycles, and skipping GC tracking speeds up decoding.

    hex: str | None = None
    flight: str | None = None
    lat: float | None = None
    lon: float | None = None
    # Integer feet, or the string "ground"; float accepts JSON integers too.
    alt_baro: float | str | None = None
    gs: float | None = None
    track: float | None = None
    squawk: str | None = None
    registration: str | None = msgspec.field(default=None, name="r")
    type_code: str | None = msgspec.field(default=None, name="t")
    db_flags: int | None = msgspec.field(default=None, name="dbFlags")
    seen_pos: float | None = None
    source_type: str | None = msgspec.field(default=None, name="type")
    # Names of fields that came from MLAT / TIS-B; used only when `type` is absent
    # (dump1090-fa), to tell an MLAT position from an ADS-B one.
    # Tuples, not lists: readsb writes `[]` for nearly every aircraft, and an empty tuple
    # is one shared object, where 2 lists per aircraft would be 300,000 new objects for
    # the garbage collector to track in a world feed (full collections at every poll).
    mlat: tuple[str, ...] | None = None
    tisb: tuple[str, ...] | None = None


class CheckedRecord(AircraftRecord, gc=False):
    """An `AircraftRecord` whose numbers msgspec held to their bounds while decoding.

    A response whose every record decodes as one is nearly every real response; the
    column checks of `judge_chunk` then need not look at these fields again (they are
    the costly part of judging a world-wide feed). One value out of bounds refuses the
    whole decode, and the response is decoded as `AircraftRecord`s and judged in full.
    The fix age's upper bound is a setting and is checked in `judge_chunk` (readsb and
    dump1090 list positions older than it).
    """

    lat: Annotated[float, Meta(ge=-90.0, le=90.0)] | None = None
    lon: Annotated[float, Meta(ge=-180.0, le=180.0)] | None = None
    alt_baro: Annotated[float, Meta(ge=MIN_ALT_FT, le=MAX_ALT_FT)] | Literal["ground"] | None = None
    gs: Annotated[float, Meta(ge=0.0, le=MAX_GS_KT)] | None = None
    track: Annotated[float, Meta(ge=0.0, le=360.0)] | None = None
    seen_pos: Annotated[float, Meta(ge=0.0)] | None = None


# Every valid squawk, four octal digits (4096 codes), as itself: a dict look-up, not a
# regex, and one string object per code however many positions carry it.
_SQUAWK_VALID: Final = {code: code for code in (f"{c:04o}" for c in range(8**4))}
# A canonical address: already what `normalise_record` would make of it (lowercase).
_CANONICAL_HEX: Final = re.compile(r"~?[0-9a-f]{6}")

_QUALITY_BY_TYPE: Final[dict[str, Quality]] = {
    "adsb_icao": Quality.ADSB,
    "adsb_icao_nt": Quality.ADSB,
    "adsr_icao": Quality.ADSB,
    "mlat": Quality.MLAT,
}


def normalise_record(
    record: AircraftRecord,
    now: float,
    source: str,
    max_position_age_s: float = MAX_POSITION_AGE_S,
) -> Position | str:
    """Return the Position for `record` at feed time `now` (unix s), or a reject reason.

    The reason is one of REJECT_REASONS. Returning it rather than raising keeps the
    per-aircraft hot path free of exception handling.
    """
    hex_ = record.hex
    # Length check first so lower() never runs on an attacker-sized string.
    if hex_ is None or len(hex_) > 7 or not hex_.isascii():
        return "bad_hex"
    hex_ = hex_.lower()
    if not is_address(hex_):
        return "bad_hex"

    lat, lon = record.lat, record.lon
    if lat is None or lon is None:
        return "no_position"
    # Written so that NaN (which fails every comparison) also lands here.
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        return "bad_coordinates"

    seen_pos = record.seen_pos
    if seen_pos is None:
        fix_time = now
    elif 0.0 <= seen_pos <= max_position_age_s:
        fix_time = now - seen_pos
    else:
        return "stale_position"

    alt = record.alt_baro
    on_ground = alt == "ground"
    if isinstance(alt, str):
        if not on_ground:
            return "bad_altitude"
        alt = None
    gs, track = record.gs, record.track
    problem = out_of_bounds(alt, gs, track)
    if problem is not None:
        return problem
    alt_ft = round(alt) if alt is not None else None
    if track is not None:
        track %= 360.0
    squawk = record.squawk
    flags = record.db_flags
    return Position(
        hex=hex_,
        time=fix_time,
        lat=lat,
        lon=lon,
        alt_ft=alt_ft,
        on_ground=on_ground,
        gs_kt=gs,
        track_deg=track,
        callsign=clean_text(record.flight),
        registration=clean_text(record.registration),
        type_code=clean_text(record.type_code),
        squawk=_SQUAWK_VALID.get(squawk) if squawk is not None else None,
        db_flags=db_flags_of(flags),
        source=source,
        quality=quality_of(record.source_type, record.mlat, record.tisb),
    )


def clean_text(value: str | None) -> str | None:
    """Strip padding; None for empty, over-long or non-printable-ASCII text."""
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > MAX_TEXT_LEN or not (value.isascii() and value.isprintable()):
        return None
    return value


def quality_of(
    source_type: str | None,
    mlat_fields: Sequence[str] | None = None,
    tisb_fields: Sequence[str] | None = None,
) -> Quality:
    """Map readsb's `type` to a Quality.

    dump1090-fa writes no `type`; there the `mlat` / `tisb` field lists say where the
    position came from, and a position from neither is ADS-B.
    """
    if source_type is None:
        if mlat_fields and "lat" in mlat_fields:
            return Quality.MLAT
        if tisb_fields and "lat" in tisb_fields:
            return Quality.TISB
        return Quality.ADSB
    quality = _QUALITY_BY_TYPE.get(source_type)
    if quality is not None:
        return quality
    return Quality.TISB if source_type.startswith("tisb_") else Quality.OTHER


# ---------------------------------------------------------------- whole snapshots

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
            map(_SQUAWK_VALID.get, map(_SQUAWK, records)),
            map(db_flags_of, map(_DB_FLAGS, records)),
            repeat(source, n),
            _qualities(records),
        )
    )


def db_flags_of(flags: int | None) -> int:
    """readsb's database flags as a Position holds them: 0 when absent or out of range."""
    return flags if flags is not None and 0 <= flags <= MAX_DB_FLAGS else 0


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
    qualities: list[Quality | None] = list(map(_QUALITY_BY_TYPE.get, map(_SOURCE_TYPE, records)))
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
