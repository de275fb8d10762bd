"""Turn one decoded readsb aircraft record into a `Position`, or say why not.

Feed values are untrusted. A record whose address, position, fix age, altitude, ground
speed or track is outside what an aircraft can report is corrupt: it is rejected, never
turned into a Position, and counted by reason. Descriptive fields (callsign,
registration, type, squawk, database flags) that are malformed are dropped to None, so
that one odd label does not hide an aircraft.

Checks run in this order and the first failure names the reason: malformed_record and
too_deep (in the decoder), bad_hex, no_position, bad_coordinates, stale_position,
bad_altitude, bad_speed, bad_track.

Whole snapshots decoded from JSON are checked column by column in `judge.py`, which
leaves every odd record to `normalise_record` here: the one definition of each check.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Final, Literal

import msgspec
from msgspec import Meta

from service.models import Position, Quality, is_address

__all__ = [
    "MAX_ALT_FT",
    "MAX_GS_KT",
    "MAX_POSITION_AGE_S",
    "MIN_ALT_FT",
    "QUALITY_BY_TYPE",
    "REJECT_REASONS",
    "SQUAWK_VALID",
    "AircraftRecord",
    "CheckedRecord",
    "clean_text",
    "db_flags_of",
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
    column checks of `judge.judge_chunk` then need not look at these fields again (they are
    the costly part of judging a world-wide feed). One value out of bounds refuses the
    whole decode, and the response is decoded as `AircraftRecord`s and judged in full.
    The fix age's upper bound is a setting and is checked in `judge.judge_chunk` (readsb and
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
SQUAWK_VALID: Final = {code: code for code in (f"{c:04o}" for c in range(8**4))}

# The quality of each readsb `type` that says it alone (`quality_of` reads the rest).
QUALITY_BY_TYPE: Final[dict[str, Quality]] = {
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
        squawk=SQUAWK_VALID.get(squawk) if squawk is not None else None,
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
    quality = QUALITY_BY_TYPE.get(source_type)
    if quality is not None:
        return quality
    return Quality.TISB if source_type.startswith("tisb_") else Quality.OTHER


def db_flags_of(flags: int | None) -> int:
    """readsb's database flags as a Position holds them: 0 when absent or out of range."""
    return flags if flags is not None and 0 <= flags <= MAX_DB_FLAGS else 0
