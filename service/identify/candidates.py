"""Candidates: aircraft called state aircraft on weak evidence alone, kept for review.

A verdict is weak when its category rests only on a callsign designator and/or a VRS
military range that readsb does not share (`Verdict.weak`). Such aircraft are still
tracked as state aircraft, and are also recorded here, in memory, so a person can look
at them (`borderwatch candidates RECORDING`, `GET /api/candidates`) and promote the
real ones: add the hex to `identify.watch`, or a row to a plane-alert-db list named in
`identify.lists`; both make the verdict certain (confidence 1.0) and not weak.

The book is a bounded LRU: the least recently seen candidate goes when it is full.
Nothing is saved; a restart starts an empty book.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from service.models import Position, Verdict


@dataclass(slots=True)
class Candidate:
    """One aircraft seen with weak evidence only."""

    hex: str
    callsign: str | None
    registration: str | None
    category: str
    state: str | None
    confidence: float
    reasons: tuple[tuple[str, str], ...]
    first_seen: float  # feed time, unix s
    last_seen: float
    count: int  # positions seen as a candidate

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict, one line of `borderwatch candidates`."""
        return {
            "hex": self.hex,
            "callsign": self.callsign,
            "registration": self.registration,
            "category": self.category,
            "state": self.state,
            "confidence": round(self.confidence, 4),
            "reasons": [{"method": m, "detail": d} for m, d in self.reasons],
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "count": self.count,
        }


class CandidateBook:
    """Bounded, least-recently-seen-out record of candidates, by hex."""

    def __init__(self, limit: int) -> None:
        """Keep at most `limit` aircraft."""
        if limit < 1:
            raise ValueError("candidate limit must be at least 1")
        self.limit = limit
        self._book: OrderedDict[str, Candidate] = OrderedDict()

    def __len__(self) -> int:
        return len(self._book)

    def record(self, position: Position, verdict: Verdict) -> None:
        """Note one position of an aircraft whose verdict is weak.

        A strong state verdict drops the aircraft (it needs no review any more); other
        verdicts are ignored, so a candidate flying later without its callsign stays.
        """
        if not verdict.weak:
            if verdict.is_state_aircraft and self._book:
                self._book.pop(position.hex, None)
            return
        reasons = tuple((r.method, r.detail) for r in verdict.reasons)
        known = self._book.get(position.hex)
        if known is None:
            self._book[position.hex] = Candidate(
                hex=position.hex,
                callsign=position.callsign,
                registration=position.registration,
                category=str(verdict.category),
                state=verdict.state,
                confidence=verdict.confidence,
                reasons=reasons,
                first_seen=position.time,
                last_seen=position.time,
                count=1,
            )
            if len(self._book) > self.limit:
                self._book.popitem(last=False)
            return
        self._book.move_to_end(position.hex)
        known.callsign = position.callsign or known.callsign
        known.registration = position.registration or known.registration
        known.category, known.state = str(verdict.category), verdict.state
        known.confidence, known.reasons = verdict.confidence, reasons
        known.first_seen = min(known.first_seen, position.time)
        known.last_seen = max(known.last_seen, position.time)
        known.count += 1

    def candidates(self) -> list[Candidate]:
        """Every candidate, most recently seen first."""
        return list(reversed(self._book.values()))
