"""Who is this aircraft: category, state of registry and the evidence for both.

Evidence layers, most specific first (the first that matches sets the category):

1. watch_list            the user's own hex list (identify.watch)
2. user_list             plane-alert-db CSV lists (identify.lists, `lists.py`)
3. watch_registration    the user's registration regexes
4. watch_callsign        the user's callsign regexes
5. registration_pattern  e.g. CBP-113 matches ^CBP-
6. operator_designator   callsign = ICAO designator + digit..., e.g. GAF881
7. feed_military_flag    readsb dbFlags bit 0
8. military_range        the address lies in a known military block

With none of them the aircraft is civil if it has an ICAO address, otherwise unknown.
The state of registry comes from the registration pattern, else the designator, else
the military range, else the ICAO allocation block of the address ("address_block",
always recorded when known). Precedence, state and confidence are applied in
`evidence.py`. Non-ICAO addresses ("~" prefix) are never mapped to a country, a
military range or a list row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal, cast

import numpy as np
import numpy.typing as npt

from service.identify import tables
from service.identify.evidence import Evidence, decide
from service.identify.lists import ListEntry, UserList
from service.identify.tables import AddressBlock, BlockIndex, Designator, RegistrationPattern
from service.identify.watch import (
    TILDE,
    designator_table,
    match_watch,
    parse_address,
    watch_patterns,
    watch_table,
)
from service.models import Category, Reason, Verdict

# Designator, then a digit, then up to 4 more: 8 characters at most, the width of the
# ADS-B identification field. Requiring the digit keeps words and registrations flown
# as callsigns (RCHXXX, DKRPK for D-KRPK, CFCAB) from matching.
_CALLSIGN = re.compile(r"([A-Z]{3})([0-9][0-9A-Z]{0,4})")
# The memos are self-sizing: each holds at least this many entries, and
# `_CACHE_PER_ROW` times the rows of the largest batch seen, so a world-wide feed of any
# size (up to its `max_aircraft`) keeps its aircraft from one poll to the next.
_CACHE_LIMIT = 1 << 16  # address-only verdicts
_ROW_CACHE_LIMIT = 1 << 17  # whole rows, in identify_many
_CACHE_PER_ROW = 2
# Rows `_identify_batch` judges one by one (see there).
_SCALAR_BATCH = 16
_RowKey = tuple[str, str | None, str | None, int]
_UNKNOWN = Verdict(Category.UNKNOWN, None, ())
_CIVIL_STATELESS = Verdict(Category.CIVIL, None, ())

# ASCII code -> nibble value, -1 for anything that is not a hex digit.
_NIBBLE = np.full(128, -1, dtype=np.int64)
_NIBBLE[[ord(c) for c in "0123456789abcdef"]] = np.arange(16)
_NIBBLE[[ord(c) for c in "ABCDEF"]] = np.arange(10, 16)
_SHIFTS = np.array([20, 16, 12, 8, 4, 0], dtype=np.int64)


def parse_addresses(hexes: Sequence[str]) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int64]]:
    """`parse_address` over a batch, without a Python loop."""
    n = len(hexes)
    # Fixed-width code points; strings longer than 8 are truncated, which still leaves
    # a non-empty 7th digit column and so marks them invalid.
    codes = np.asarray(hexes, dtype="<U8").view(np.uint32).reshape(n, 8).astype(np.int64)
    tilde = codes[:, 0] == ord("~")
    digits = np.where(tilde[:, None], codes[:, 1:8], codes[:, 0:7])
    nibbles = _NIBBLE[np.minimum(digits[:, :6], 127)]  # non-ASCII lands on DEL -> -1
    valid = (nibbles >= 0).all(axis=1) & (digits[:, 6] == 0)
    addresses = np.where(valid, (nibbles << _SHIFTS).sum(axis=1), -1)
    return tilde, addresses


def _squeeze(registration: str) -> str:
    """A registration as it would be flown as a callsign: D-KRPK -> DKRPK."""
    return registration.strip().upper().replace("-", "").replace(" ", "")


class Identifier:
    """Identifies aircraft from address, callsign, registration and feed flags.

    Tables are loaded once per process and shared by all instances. `identify_many`
    memoises the verdicts of rows that carry nothing but an address (bounded cache).

    :param use_db_flags: trust the feed's dbFlags military bit.
    :param military_ranges: "readsb" (its enabled isMilRange list), "vrs" (VRS standing
        data alone: it covers every readsb range and more, at lower confidence) or "off".
    :param designators: match callsigns against government operator designators.
    :param registration_patterns: match registrations such as CBP-113.
    :param watch_hexes: the user's watch list, hex -> "military" | "government" | "police".
    :param lists: loaded plane-alert-db lists (`lists.load_lists`); the first row of an
        address wins.
    :param watch_registrations: regex -> state category, searched (case-insensitive) in
        the registration; the same for `watch_callsigns` and the callsign.
    :param designators_add: extra designators (or replacements), by designator.
    :param designators_exclude: designators never to match.
    """

    def __init__(
        self,
        *,
        use_db_flags: bool = True,
        military_ranges: Literal["readsb", "vrs", "off"] = "readsb",
        designators: bool = True,
        registration_patterns: bool = True,
        watch_hexes: Mapping[str, str] | None = None,
        lists: Sequence[UserList] = (),
        watch_registrations: Mapping[str, str] | None = None,
        watch_callsigns: Mapping[str, str] | None = None,
        designators_add: Mapping[str, Designator] | None = None,
        designators_exclude: Iterable[str] = (),
    ) -> None:
        self._use_db_flags = use_db_flags
        self._countries = tables.country_blocks()
        self._military = _military_index(military_ranges)
        # A VRS range that readsb does not share is weaker evidence (see evidence.py).
        self._readsb = tables.military_ranges("readsb") if military_ranges == "vrs" else None
        self._designators = designator_table(
            designators, designators_add or {}, designators_exclude
        )
        self._patterns = tables.registration_patterns() if registration_patterns else ()
        self._watch = watch_table(watch_hexes or {})
        self._watch_keys = np.array(sorted(self._watch), dtype=np.int64)
        self._listed: dict[int, ListEntry] = {}
        for user_list in lists:
            for address, entry in user_list.entries.items():
                self._listed.setdefault(address, entry)
        self._list_keys = np.array(sorted(self._listed), dtype=np.int64)
        self._watch_registrations = watch_patterns(watch_registrations or {}, "registrations")
        self._watch_callsigns = watch_patterns(watch_callsigns or {}, "callsigns")
        self._address_verdicts: dict[int, Verdict] = {}  # address -> address-only verdict
        self._row_verdicts: dict[_RowKey, Verdict] = {}  # whole inputs -> verdict
        self._address_limit = _CACHE_LIMIT
        self._row_limit = _ROW_CACHE_LIMIT
        self._designator_keys = np.array(
            [_prefix_key(*(ord(c) for c in icao)) for icao in self._designators], dtype=np.int64
        )

    def state_of_registry(self, hex_: str) -> str | None:
        """ISO alpha-2 of the smallest ICAO block holding the address.

        None for "~" addresses, invalid hex and blocks without a State (ICAO temporary
        F00000-F07FFF, special use F09000-F097FF).
        """
        tilde, address = parse_address(hex_)
        block = None if tilde else self._countries.find(address)
        return block.iso2 if block else None

    def identify(
        self,
        hex_: str,
        callsign: str | None = None,
        registration: str | None = None,
        db_flags: int = 0,
    ) -> Verdict:
        """The verdict for one aircraft.

        :param hex_: 24-bit address as 6 hex digits (any case), "~" prefix for non-ICAO
            addresses; anything else is invalid and contributes no evidence.
        :param callsign: flight identification, padding stripped.
        :param registration: from the feed's aircraft database, e.g. "CBP-113".
        :param db_flags: readsb dbFlags; bit 0 = military.
        """
        tilde, address = parse_address(hex_)
        icao = -1 if tilde else address
        key = address | (TILDE if tilde else 0)
        military = self._military.find(icao) if self._military else None
        evidence = Evidence(
            tilde=tilde,
            address=address,
            block=self._countries.find(icao),
            military=military,
            vrs_only=military is not None and self._vrs_only(icao),
            watch=self._watch.get(key) if address >= 0 else None,
            listed=self._listed.get(icao),
            watch_registration=match_watch(self._watch_registrations, registration),
            watch_callsign=match_watch(self._watch_callsigns, callsign),
            registration=self._match_registration(registration),
            designator=self._match_designator(callsign, registration),
            db_flags=db_flags if self._use_db_flags and db_flags & 1 else 0,
        )
        return decide(evidence)

    def _vrs_only(self, address: int) -> bool:
        return self._readsb is not None and self._readsb.find(address) is None

    def identify_many(
        self,
        hexes: Sequence[str],
        callsigns: Sequence[str | None],
        registrations: Sequence[str | None],
        db_flags: Sequence[int],
    ) -> list[Verdict]:
        """`identify` over parallel columns; the same verdicts, row for row.

        A verdict depends only on the row's inputs and the (fixed) tables, and a feed
        repeats nearly every row on every poll, so verdicts are memoised per row: only
        rows that are new or changed (callsign, registration, military flag) are
        identified again, in one batch.
        """
        n = len(hexes)
        if not len(callsigns) == len(registrations) == len(db_flags) == n:
            raise ValueError("identify_many: columns differ in length")
        # Grow with the largest batch seen (never shrink: a small feed polled between
        # the polls of a large one must not push the large one's rows out).
        self._row_limit = max(self._row_limit, _CACHE_PER_ROW * n)
        self._address_limit = max(self._address_limit, _CACHE_PER_ROW * n)
        memo = self._row_verdicts
        flagged = [flags & 1 for flags in db_flags]
        keys = list(zip(hexes, callsigns, registrations, flagged, strict=True))
        verdicts: list[Verdict | None] = list(map(memo.get, keys))
        misses = [i for i, verdict in enumerate(verdicts) if verdict is None]
        if misses:
            fresh = self._identify_batch(
                [hexes[i] for i in misses],
                [callsigns[i] for i in misses],
                [registrations[i] for i in misses],
                [db_flags[i] for i in misses],
            )
            for i, verdict in zip(misses, fresh, strict=True):
                verdicts[i] = verdict
            if len(memo) + len(misses) > self._row_limit:
                # Full: start again from this batch's rows, the ones the next poll
                # repeats (emptying it would make the next poll identify every row).
                self._row_verdicts = dict(zip(keys, cast(list[Verdict], verdicts), strict=True))
            else:
                for i, verdict in zip(misses, fresh, strict=True):
                    memo[keys[i]] = verdict
        return cast(list[Verdict], verdicts)

    def forget_rows(self) -> None:
        """Empty the per-row memo of `identify_many` (its verdicts are recomputed)."""
        self._row_verdicts.clear()

    def _identify_batch(
        self,
        hexes: Sequence[str],
        callsigns: Sequence[str | None],
        registrations: Sequence[str | None],
        db_flags: Sequence[int],
    ) -> list[Verdict]:
        """`identify_many` without the memo.

        Address parsing, block and range lookups, the watch list and the designator
        prefix test run vectorised over the batch; only rows with a prefix hit or a
        registration take a per-row Python match, and only rows with some evidence
        beyond their address go through the full precedence rules. The columns are of
        equal length (checked by `identify_many`).
        """
        n = len(hexes)
        if n <= _SCALAR_BATCH:
            # A usual poll's few new rows: `identify` row by row costs less than the
            # two dozen numpy calls below, whatever their length.
            return [
                self.identify(hexes[i], callsigns[i], registrations[i], db_flags[i])
                for i in range(n)
            ]
        tilde, address = parse_addresses(hexes)
        icao = np.where(tilde, -1, address)
        blocks = self._countries.lookup(icao).tolist()
        military = self._military.lookup(icao).tolist() if self._military else [-1] * n
        watched = np.isin(np.where(tilde, address | TILDE, address), self._watch_keys)
        watched &= address >= 0
        listed = np.isin(icao, self._list_keys) & (icao >= 0)
        flags = np.asarray(db_flags, dtype=np.int64) if n else np.zeros(0, dtype=np.int64)
        flagged = (flags & 1) != 0 if self._use_db_flags else np.zeros(n, dtype=np.bool_)
        candidates = set(self._designator_candidates(callsigns).tolist())

        country_table = self._countries.blocks
        military_table = self._military.blocks if self._military else ()
        tilde_l, address_l = tilde.tolist(), address.tolist()
        watched_l, flagged_l, flags_l = watched.tolist(), flagged.tolist(), flags.tolist()
        listed_l = listed.tolist()
        watch_regs, watch_calls = self._watch_registrations, self._watch_callsigns
        readsb = self._readsb
        verdicts = []
        for i in range(n):
            is_tilde, addr = tilde_l[i], address_l[i]
            block = country_table[blocks[i]] if blocks[i] >= 0 else None
            registration, callsign = registrations[i], callsigns[i]
            matched = self._match_registration(registration) if registration else None
            # Most deployments have no watch regexes: skip the calls, this loop is hot.
            by_registration = match_watch(watch_regs, registration) if watch_regs else None
            by_callsign = match_watch(watch_calls, callsign) if watch_calls else None
            candidate = i in candidates
            if not (
                matched
                or by_registration
                or by_callsign
                or candidate
                or watched_l[i]
                or listed_l[i]
                or flagged_l[i]
                or military[i] >= 0
            ):
                verdicts.append(self._address_only(is_tilde, addr, block))
                continue
            key = addr | (TILDE if is_tilde else 0)
            designator = self._match_designator(callsign, registration) if candidate else None
            evidence = Evidence(
                tilde=is_tilde,
                address=addr,
                block=block,
                military=military_table[military[i]] if military[i] >= 0 else None,
                vrs_only=readsb is not None and military[i] >= 0 and readsb.find(addr) is None,
                watch=self._watch[key] if watched_l[i] else None,
                listed=self._listed[addr] if listed_l[i] else None,
                watch_registration=by_registration,
                watch_callsign=by_callsign,
                registration=matched,
                designator=designator,
                db_flags=flags_l[i] if flagged_l[i] else 0,
            )
            verdicts.append(decide(evidence))
        return verdicts

    def _address_only(self, tilde: bool, address: int, block: AddressBlock | None) -> Verdict:
        """`decide` for a row with nothing but its address (the batch fast path).

        Memoised per address: the same aircraft come back every poll, and building
        verdicts is most of the cost of a batch. Verdicts are immutable, so sharing is safe.
        """
        if address < 0 or tilde:
            return _UNKNOWN
        verdict = self._address_verdicts.get(address)
        if verdict is None:
            if block is None or block.iso2 is None:
                verdict = _CIVIL_STATELESS
            else:
                reason = Reason("address_block", f"{address:06X} in {block.span} {block.name}")
                verdict = Verdict(Category.CIVIL, block.iso2, (reason,))
            if len(self._address_verdicts) >= self._address_limit:
                self._address_verdicts.clear()
            self._address_verdicts[address] = verdict
        return verdict

    def _designator_candidates(self, callsigns: Sequence[str | None]) -> npt.NDArray[np.intp]:
        """Rows whose callsign may match a designator: a superset of the real matches.

        A row qualifies when its first three letters (any case) are a designator and the
        fourth character is a digit, or when it starts with anything but a letter (leading
        padding, which the per-row match strips).
        """
        n = len(callsigns)
        if not self._designators or n == 0:
            return np.zeros(0, dtype=np.intp)
        text = ["" if c is None else c for c in callsigns]
        codes = np.asarray(text, dtype="<U4").view(np.uint32).reshape(n, 4).astype(np.int64)
        upper = np.where((codes >= ord("a")) & (codes <= ord("z")), codes - 32, codes)
        keys = _prefix_key(upper[:, 0], upper[:, 1], upper[:, 2])
        digit = (codes[:, 3] >= ord("0")) & (codes[:, 3] <= ord("9"))
        letter = (upper[:, 0] >= ord("A")) & (upper[:, 0] <= ord("Z"))
        hit = (np.isin(keys, self._designator_keys) & digit) | (~letter & (codes[:, 0] != 0))
        return np.flatnonzero(hit)

    def _match_designator(
        self, callsign: str | None, registration: str | None
    ) -> Designator | None:
        if not callsign or not self._designators:
            return None
        text = callsign.strip()
        if not text.isascii():  # str.upper() maps some non-ASCII letters onto A-Z
            return None
        text = text.upper()
        match = _CALLSIGN.fullmatch(text)
        if match is None:
            return None
        designator = self._designators.get(match[1])
        # A tail number flown as the callsign names the airframe, not an operator.
        if designator is None or (registration and text == _squeeze(registration)):
            return None
        return designator

    def _match_registration(
        self, registration: str | None
    ) -> tuple[str, RegistrationPattern] | None:
        if not registration:
            return None
        text = registration.strip().upper()
        for pattern in self._patterns:
            if pattern.regex.search(text):
                return text, pattern
        return None


def _prefix_key(a: npt.ArrayLike, b: npt.ArrayLike, c: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Three code points packed into one integer (each fits in 21 bits)."""
    a, b, c = (np.asarray(x, dtype=np.int64) for x in (a, b, c))
    return np.asarray((a << 42) | (b << 21) | c)


def _military_index(source: Literal["readsb", "vrs", "off"]) -> BlockIndex | None:
    if source == "off":
        return None
    if source not in ("readsb", "vrs"):
        raise ValueError(f"military_ranges must be 'readsb', 'vrs' or 'off', not {source!r}")
    return tables.military_ranges(source)


def verdict_json(hex_: str, verdict: Verdict) -> dict[str, object]:
    """A verdict as printed by `borderwatch identify`.

    {"hex", "category", "state", "confidence", "reasons": [{"method", "detail"}, ...]}
    """
    return {
        "hex": hex_,
        "category": verdict.category.value,
        "state": verdict.state,
        "confidence": round(verdict.confidence, 4),
        "reasons": [{"method": r.method, "detail": r.detail} for r in verdict.reasons],
    }
