"""Track stage: each followed aircraft's bounded history, the jump filter, the fleet.

`points` holds `TrackPoint` and `Track` and their stored forms; `jumps` refuses
positions no aircraft could have flown to (and the spoofed streams behind them);
`fleet` keeps every followed aircraft in memory and saves it to the store.
"""

from service.track.points import Track, TrackPoint, point_decoder, point_encoder

__all__ = ["Track", "TrackPoint", "point_decoder", "point_encoder"]
