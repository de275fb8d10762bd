"""Decode readsb `aircraft.json` and ADSBx-v2 style snapshots from untrusted bytes.

Both shapes are one JSON object with a `now` timestamp and a list of aircraft objects:
readsb and dump1090-fa write `now` in seconds and the list under `aircraft`; the ADSBx v2
envelope (adsb.lol, adsb.fi, airplanes.live, readsb `&jv2`) writes `now` in milliseconds
and the list under `ac`. Only the fields the pipeline uses are decoded; msgspec skips the
rest without building Python objects for them.

The input comes from the network, so one broken aircraft must not cost the whole
snapshot. Nearly every response is well formed, so it is first decoded typed as a whole
in one msgspec call, with its numbers held to their bounds as they are decoded
(`CheckedRecord`), and normalised column by column (`normalise_decoded`). A value out
of bounds refuses that decode: the response is then decoded typed without the bounds
and every check runs column by column (and so for the source's next `UNCHECKED_POLLS`
responses). When that too refuses the response, the list is decoded as raw JSON
fragments, then each fragment on its own into a typed `AircraftRecord`. When that pass
too refuses the whole response (a record nested a thousand levels deep, a `NaN`, which
is not JSON), the slow pass of `salvage.py` splits it without recursion and each record
is judged alone. The size is bounded before parsing (`max_bytes`) and the nesting while
parsing (`MAX_RECORD_DEPTH`).
Problems with the envelope itself raise `FeedDecodeError`; nothing else escapes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Literal, TypeVar

import msgspec

from service.feeds.columns import judge_columns
from service.feeds.judge import normalise_decoded
from service.feeds.normalise import (
    MAX_POSITION_AGE_S,
    AircraftRecord,
    CheckedRecord,
    normalise_record,
)
from service.feeds.salvage import SplitError, records, split_object
from service.models import Position, Snapshot

__all__ = [
    "FEED_ERROR_REASONS",
    "MAX_AIRCRAFT",
    "MAX_RESPONSE_BYTES",
    "FeedDecodeError",
    "NowUnit",
    "decode_snapshot",
]

NowUnit = Literal["auto", "s", "ms"]

# Every `FeedDecodeError.reason`; bounded so it can be used as a metrics label.
FEED_ERROR_REASONS: Final[tuple[str, ...]] = (
    "invalid_json",  # not parseable JSON (includes lone surrogate escapes, trailing bytes)
    "not_an_object",  # top level is not a JSON object
    "missing_now",  # `now` absent or null
    "bad_now",  # `now` not a number, or not a plausible epoch time
    "missing_aircraft",  # neither `aircraft` nor `ac` present
    "bad_aircraft_list",  # `aircraft` / `ac` present but not an array
    "too_many_aircraft",  # more records than `max_aircraft`
    "too_large",  # more bytes than `max_bytes`, refused before parsing
)

# `now` values above this are milliseconds: 1e11 s is the year 5138, 1e11 ms is 1973.
_MS_THRESHOLD: Final = 1e11
# The most aircraft one response may list. A whole-world aggregator lists 10-15k
# aircraft now and up to 100k and more with MLAT, TIS-B and ground traffic: well inside.
# It bounds the memory of one decoded snapshot (and the identify caches, which size
# themselves from the largest snapshot).
MAX_AIRCRAFT: Final = 250_000
# The most bytes one response may have: MAX_AIRCRAFT full ADSBx-v2 records (about 1 KB
# each; a world-wide feed of 12k aircraft is about 8 MB). Only the fields the service
# uses become Python objects, so a snapshot's memory is mostly this body, held once.
MAX_RESPONSE_BYTES: Final = 256 * 1024 * 1024
# A readsb record nests two levels (lists of field names); deeper is hostile.
MAX_RECORD_DEPTH: Final = 8


class FeedDecodeError(ValueError):
    """A snapshot as a whole could not be used; `reason` is one of FEED_ERROR_REASONS."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


class _Envelope(msgspec.Struct, gc=False):
    now: float | None = None
    aircraft: list[msgspec.Raw] | msgspec.UnsetType | None = msgspec.UNSET
    ac: list[msgspec.Raw] | msgspec.UnsetType | None = msgspec.UNSET


class _TypedEnvelope(msgspec.Struct, gc=False):
    """The whole response typed in one pass: what nearly every real response is."""

    now: float | None = None
    aircraft: list[AircraftRecord] | msgspec.UnsetType | None = msgspec.UNSET
    ac: list[AircraftRecord] | msgspec.UnsetType | None = msgspec.UNSET


class _CheckedEnvelope(msgspec.Struct, gc=False):
    """`_TypedEnvelope` with the numbers held to their bounds as they are decoded."""

    now: float | None = None
    aircraft: list[CheckedRecord] | msgspec.UnsetType | None = msgspec.UNSET
    ac: list[CheckedRecord] | msgspec.UnsetType | None = msgspec.UNSET


# Decoders are built once: constructing one per call would dominate small inputs.
_CHECKED_DECODER: Final = msgspec.json.Decoder(_CheckedEnvelope)
_TYPED_DECODER: Final = msgspec.json.Decoder(_TypedEnvelope)
_ENVELOPE_DECODER: Final = msgspec.json.Decoder(_Envelope)
_RECORD_DECODER: Final = msgspec.json.Decoder(AircraftRecord)
_FIELDS_DECODER: Final = msgspec.json.Decoder(dict[str, msgspec.Raw])
_NUMBER_DECODER: Final = msgspec.json.Decoder(float | None)


def decode_snapshot(
    data: bytes,
    *,
    source: str,
    max_aircraft: int = MAX_AIRCRAFT,
    now_unit: NowUnit = "auto",
    max_position_age_s: float = MAX_POSITION_AGE_S,
    max_bytes: int = MAX_RESPONSE_BYTES,
    lazy: bool = False,
) -> Snapshot:
    """Decode one readsb / aircraft.json / ADSBx-v2 snapshot into normalised positions.

    `now_unit` says whether `now` is in seconds or milliseconds; "auto" treats values
    above 1e11 as milliseconds. The aircraft list is read from `aircraft`, or from `ac`
    when `aircraft` is absent or null; a null list is an empty snapshot.

    Aircraft that cannot become a Position are counted in `Snapshot.rejected` under a
    reason from `service.feeds.normalise.REJECT_REASONS` (including aircraft that are
    simply not positioned: "no_position").

    `lazy` (the live poll path): the positions of a well-formed response are
    `PositionColumns`, which build Position objects only for the rows read (the
    pipeline reads those of the aircraft some rule follows); the same positions.

    Raises FeedDecodeError, and nothing else, when the snapshot as a whole is unusable.
    """
    if len(data) > max_bytes:
        raise FeedDecodeError("too_large", f"{len(data)} > {max_bytes} bytes")
    typed = _decode_typed(data, source)
    if typed is not None:
        return _from_typed(typed, max_aircraft, now_unit, max_position_age_s, source, lazy)
    # Some record (or the envelope) is broken: judge each on its own.
    envelope, rejected = _decode_envelope(data)
    now, records = _now_and_records(
        envelope.now, envelope.aircraft, envelope.ac, sum(rejected.values()), max_aircraft, now_unit
    )
    positions: list[Position] = []
    decode_record = _RECORD_DECODER.decode
    for raw in records:
        try:
            record = decode_record(raw)
        except (msgspec.DecodeError, RecursionError):  # DecodeError covers ValidationError
            reason = "malformed_record"
        else:
            result = normalise_record(record, now, source, max_position_age_s)
            if isinstance(result, Position):
                positions.append(result)
                continue
            reason = result
        rejected[reason] = rejected.get(reason, 0) + 1
    return Snapshot(now=now, positions=positions, rejected=rejected)


# After a response of a source is refused by the checked decode (some number out of
# bounds), that many more of its responses are decoded unchecked straight away: a feed
# that keeps listing one odd aircraft then pays for one typed decode a poll, not two.
UNCHECKED_POLLS: Final = 16
_unchecked: dict[str, int] = {}  # by source: responses left to decode unchecked
_UNCHECKED_SOURCES: Final = 1024  # a bound on the sources remembered


def _decode_typed(data: bytes, source: str) -> _CheckedEnvelope | _TypedEnvelope | None:
    """The whole response decoded typed in one pass, checked where it holds to the
    bounds (`CheckedRecord`); None when some record (or the envelope) is broken."""
    left = _unchecked.pop(source, 0)
    if left:
        if left > 1:
            _unchecked[source] = left - 1
    else:
        try:
            return _CHECKED_DECODER.decode(data)
        except msgspec.ValidationError:  # a value out of bounds, or of the wrong type
            if len(_unchecked) >= _UNCHECKED_SOURCES:
                _unchecked.clear()
            _unchecked[source] = UNCHECKED_POLLS
        except (msgspec.DecodeError, RecursionError):  # not JSON: no typed decode takes it
            return None
    try:
        return _TYPED_DECODER.decode(data)
    except (msgspec.DecodeError, RecursionError):  # DecodeError covers ValidationError
        return None


def _from_typed(
    envelope: _CheckedEnvelope | _TypedEnvelope,
    max_aircraft: int,
    now_unit: NowUnit,
    max_position_age_s: float,
    source: str,
    lazy: bool,
) -> Snapshot:
    """The fast path: the snapshot of a response that decoded typed as a whole. The
    same checks, in the same order, as the record-by-record path of `decode_snapshot`."""
    aircraft: Sequence[AircraftRecord] | msgspec.UnsetType | None = envelope.aircraft
    ac: Sequence[AircraftRecord] | msgspec.UnsetType | None = envelope.ac
    now, records = _now_and_records(envelope.now, aircraft, ac, 0, max_aircraft, now_unit)
    if lazy:
        columns, rejected = judge_columns(records, now, source, max_position_age_s)
        return Snapshot(now=now, positions=columns, rejected=rejected)
    positions, rejected = normalise_decoded(records, now, source, max_position_age_s)
    return Snapshot(now=now, positions=positions, rejected=rejected)


_R = TypeVar("_R")


def _now_and_records(
    now: float | None,
    aircraft: Sequence[_R] | msgspec.UnsetType | None,
    ac: Sequence[_R] | msgspec.UnsetType | None,
    counted: int,
    max_aircraft: int,
    now_unit: NowUnit,
) -> tuple[float, Sequence[_R]]:
    """The snapshot time in seconds and the records, from `aircraft` or else `ac`, as
    both paths read them; `counted` records were rejected on the way already."""
    if now is None:
        raise FeedDecodeError("missing_now")
    seconds = _now_seconds(now, now_unit)
    records = aircraft
    if records is None or records is msgspec.UNSET:
        records = ac
    if records is msgspec.UNSET:
        raise FeedDecodeError("missing_aircraft")
    if records is None:
        records = []
    if len(records) + counted > max_aircraft:
        raise FeedDecodeError("too_many_aircraft", f"{len(records)} > {max_aircraft}")
    return seconds, records


def _decode_envelope(data: bytes) -> tuple[_Envelope, dict[str, int]]:
    """The envelope, and the records already rejected on the way (slow pass only)."""
    try:
        return _ENVELOPE_DECODER.decode(data), {}
    except msgspec.ValidationError:
        # Only now pay for a second pass, to name the field that was wrong.
        raise FeedDecodeError(_classify_invalid_envelope(data)) from None
    except (msgspec.DecodeError, RecursionError) as exc:
        fast_error = str(exc)
    try:
        return _salvage(data)
    except SplitError:
        raise FeedDecodeError("invalid_json", fast_error) from None


def _salvage(data: bytes) -> tuple[_Envelope, dict[str, int]]:
    """The slow pass: split the response, decode each part alone (salvage.py)."""
    fields = split_object(data)
    rejected: dict[str, int] = {}
    envelope = _Envelope()
    now = fields.get("now")
    if now is not None:
        try:
            envelope.now = _NUMBER_DECODER.decode(now.raw)
        except msgspec.DecodeError:
            raise FeedDecodeError("bad_now") from None
    for name in ("aircraft", "ac"):
        part = fields.get(name)
        if part is None:
            continue
        try:
            setattr(envelope, name, records(part, MAX_RECORD_DEPTH, rejected))
        except SplitError:
            raise FeedDecodeError("bad_aircraft_list") from None
    return envelope, rejected


def _classify_invalid_envelope(data: bytes) -> str:
    """Say which part of a syntactically valid but mistyped envelope is wrong."""
    try:
        fields = _FIELDS_DECODER.decode(data)
    except (msgspec.DecodeError, RecursionError):
        return "not_an_object"
    if "now" in fields:
        try:
            _NUMBER_DECODER.decode(fields["now"])
        except (msgspec.DecodeError, RecursionError):
            return "bad_now"
    return "bad_aircraft_list"


def _now_seconds(value: float, unit: NowUnit) -> float:
    if unit == "ms" or (unit == "auto" and value > _MS_THRESHOLD):
        value = value / 1000.0
    # msgspec already refuses non-finite numbers; this catches zero, negative and a
    # milliseconds value fed to a decoder told to expect seconds.
    if not 0.0 < value <= _MS_THRESHOLD:
        raise FeedDecodeError("bad_now", repr(value))
    return value
