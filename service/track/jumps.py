"""Impossible jumps: positions no aircraft could have flown to, and the streams behind them.

First, a position repeated unchanged (within `STALE_KM`) while the aircraft reports a
ground speed that should have carried it at least `STALE_MOVE_KM` is stale: a feed
re-sending an old fix with a fresh time. It is dropped (reason `stale_position`) and the
track keeps the fix with its true time, however long the repeats go on. Accepting it
would make the aircraft appear to stand still, and its next real position would look
like a jump (the dev recordings noisy_spoofing and noisy_time_issue freeze for minutes
at a time; every one of the 348 rejections in noisy_time_issue came from such a freeze).

A position implying a speed above `track.max_speed_kt` from the last accepted one is
rejected. Rejecting it alone is not enough: GNSS spoofing and garbled decoders produce
streams of wrong positions that agree with each other. The real aircraft keeps moving
meanwhile, so after a few minutes such a stream passes a plain speed test against the
old accepted position and would drag the track, and a foreign-airspace episode, into
the wrong country.

So after a rejected jump the filter keeps a second hypothesis, the ghost: the stream
that began with the jump. Each new position goes to the hypothesis it fits: near the
ghost (within `GHOST_RADIUS_KM` of its last position, or reachable from it) and closer
to it than to the track, it is rejected with the ghost; otherwise it continues the
track if the speed test passes; otherwise it starts a new ghost. The ghost replaces a
track that was not yet established (fewer than `ADOPT_MIN_POINTS` positions or less
than `ADOPT_MIN_S` of them: a wrong first fix) once it has lasted `ADOPT_MIN_S`, and
an established track only after `ADOPT_AFTER_S` without a position supporting it. A
ghost not heard for `GHOST_EXPIRE_S` is forgotten. The ghost lives in memory only;
after a restart the filter starts afresh.

The cost of the ghost: when it was the track that was wrong (a frozen position
without a reported speed, then the real one), the real positions are refused until
the ghost is adopted, at most `ADOPT_AFTER_S` later. A false "entered Ukraine" costs an
analyst more than a late true one.

What it cannot do: a wrong stream that begins with a plausible jump (after a silence
or a long freeze) looks like the truth when it arrives. In noisy_spoofing the false
position in Ukraine comes 260 km from a fix 19 minutes old and still opens an episode;
only its later jumps are refused (docs/backtest.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from service.locate.geo import KT_TO_KMH, haversine_km
from service.track.points import Track, TrackPoint

# A jump this short is position noise, not evidence of impossible speed.
MIN_JUMP_KM: Final = 2.0
# Closer than this to the last fix counts as "the same position" ...
STALE_KM: Final = 0.05
# ... when the reported ground speed should have carried the aircraft this far (at the
# 5 s track spacing: from about 40 kt; a hovering helicopter is not stale).
STALE_MOVE_KM: Final = 2 * STALE_KM
# Spoofed or garbled fixes scatter over tens of km around their false centre.
GHOST_RADIUS_KM: Final = 50.0
# How long a contradicting stream is refused when the track was established.
ADOPT_AFTER_S: Final = 1800.0
# A track of fewer points or a shorter span is not established (a wrong first fix?),
# and a stream contradicting it this long, with this many points, replaces it.
ADOPT_MIN_S: Final = 60.0
ADOPT_MIN_POINTS: Final = 3
GHOST_EXPIRE_S: Final = 900.0


@dataclass(frozen=True, slots=True)
class Ghost:
    """A stream of positions contradicting the accepted track."""

    since: float  # time of its first position
    last: TrackPoint
    count: int


def implied_kt(a: TrackPoint, b: TrackPoint, distance_km: float | None = None) -> float:
    """Ground speed needed to fly from a to b in the time between them (0 for noise);
    `distance_km` between them when already known."""
    if distance_km is None:
        distance_km = haversine_km(a.lat, a.lon, b.lat, b.lon)
    if distance_km < MIN_JUMP_KM:
        return 0.0
    hours = abs(b.time - a.time) / 3600.0
    return float("inf") if hours == 0 else distance_km / hours / KT_TO_KMH


def _stale(last: TrackPoint, point: TrackPoint, distance_km: float) -> bool:
    if not point.gs_kt or distance_km >= STALE_KM:
        return False
    return point.gs_kt * KT_TO_KMH * (point.time - last.time) / 3600.0 >= STALE_MOVE_KM


def _patience(track: Track) -> float:
    """How long a ghost must last to replace this track."""
    first, last = track.first_time, track.last
    established = (
        len(track) >= ADOPT_MIN_POINTS
        and first is not None
        and last is not None
        and last.time - first >= ADOPT_MIN_S
    )
    return ADOPT_AFTER_S if established else ADOPT_MIN_S


def judge(
    track: Track, ghost: Ghost | None, point: TrackPoint, max_speed_kt: float
) -> tuple[str | None, Ghost | None]:
    """Why `point` is refused (None: it joins the track), and the ghost to keep."""
    last = track.last
    if last is None:
        return None, None
    to_track = haversine_km(last.lat, last.lon, point.lat, point.lon)
    if _stale(last, point, to_track):
        return "stale_position", ghost
    if ghost is not None and point.time - ghost.last.time > GHOST_EXPIRE_S:
        ghost = None
    fits_track = implied_kt(last, point, to_track) <= max_speed_kt
    if ghost is not None:
        to_ghost = haversine_km(ghost.last.lat, ghost.last.lon, point.lat, point.lon)
        near_ghost = (
            to_ghost <= GHOST_RADIUS_KM or implied_kt(ghost.last, point, to_ghost) <= max_speed_kt
        )
        if near_ghost and (not fits_track or to_ghost < to_track):
            ghost = Ghost(since=ghost.since, last=point, count=ghost.count + 1)
            if ghost.count >= ADOPT_MIN_POINTS and point.time - ghost.since >= _patience(track):
                return None, None  # the ghost outlived the track: the track was wrong
            return "impossible_speed", ghost
    if fits_track:
        return None, None
    return "impossible_speed", Ghost(since=point.time, last=point, count=1)
