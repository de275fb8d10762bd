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
from typing import Final

import msgspec

from service.models import Position, Quality, is_address

__all__ = [
    "MAX_POSITION_AGE_S",
    "REJECT_REASONS",
    "AircraftRecord",
    "clean_text",
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

    # gc=False (here and on _Envelope): the fields hold only scalars and lists of str or
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
    mlat: list[str] | None = None
    tisb: list[str] | None = None


_SQUAWK_RE: Final = re.compile(r"[0-7]{4}")

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
        squawk=squawk if squawk is not None and _SQUAWK_RE.fullmatch(squawk) else None,
        db_flags=flags if flags is not None and 0 <= flags <= MAX_DB_FLAGS else 0,
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
    mlat_fields: list[str] | None = None,
    tisb_fields: list[str] | None = None,
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
