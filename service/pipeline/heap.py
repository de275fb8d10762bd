"""The garbage collector's settings for a process that runs the pipeline for hours.

CPython frees nearly everything by reference counting; its cyclic collector is there
for reference cycles, which the pipeline hardly makes. By default the collector scans
the young objects every 700 container allocations, and every tracked object once
enough of them have outlived two young scans. A world-wide poll allocates hundreds of
thousands of containers that live for one stage, while the process holds millions of
long-lived ones from its start (border and identification tables, towns, the restored
fleet), and a full scan walks them all: about 85 ms at 15k aircraft a poll and 330 ms
at 150k. Over the first 40 polls at 15k, seven full scans cost 14 ms a poll on average
(docs/performance.md, "Checked decode, the fuser's column and the garbage collector").

`settle_heap`, once start-up is done, collects once, then freezes what is left
(`gc.freeze`: the collector never scans those objects again; reference counting still
frees each one that is no longer used), and scans the young objects every
`YOUNG_SCAN_EVERY` allocations instead of 700: then no full scan falls inside a poll,
and the collector costs 0.4 ms a poll over those first 40 polls at 15k and about 45 ms
a poll at 150k (`bench/collector.py`).
"""

from __future__ import annotations

import gc
from typing import Final

__all__ = ["YOUNG_SCAN_EVERY", "settle_heap"]

# Container allocations between two scans of the young objects: about as many as a
# world-wide poll's stages hold at once, so that most are freed before a scan sees them
# (at 150k aircraft a poll the collector took 95 ms a poll at 10,000, 62 at 50,000, 35
# to 56 at 100,000 and 200,000). Cyclic garbage waits for at most that many
# allocations: a few MB.
YOUNG_SCAN_EVERY: Final = 100_000

_settled = False


def settle_heap() -> bool:
    """Set the collector up for the hours ahead (see the module docstring); once per
    process, after start-up (later calls do nothing). Whether this call did it."""
    global _settled
    if _settled:
        return False
    _settled = True
    gc.collect()  # start-up's garbage must not be frozen with what it built
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_SCAN_EVERY, older, oldest)
    return True
