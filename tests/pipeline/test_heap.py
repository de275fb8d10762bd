"""`settle_heap`: the garbage collector set up once for the hours ahead, in a process of
its own (it changes the whole interpreter, so not this one)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from service.pipeline.heap import YOUNG_SCAN_EVERY

_CHILD = textwrap.dedent(
    """
    import gc, json, weakref
    from service.pipeline.heap import settle_heap

    class Node:
        def __init__(self): self.other = self

    built = [Node() for _ in range(1000)]  # what start-up keeps
    garbage = [Node() for _ in range(1000)]  # cycles start-up left behind
    probes = [weakref.ref(node) for node in garbage]
    del garbage
    default = gc.get_threshold()
    first = settle_heap()
    frozen, threshold = gc.get_freeze_count(), gc.get_threshold()
    second = settle_heap()
    print(json.dumps({
        "first": first, "second": second, "default": default, "threshold": threshold,
        "frozen": frozen, "after_second": gc.get_freeze_count(),
        "tracked": len(gc.get_objects()),
        "garbage_left": sum(probe() is not None for probe in probes),
        "built_left": sum(node.other is node for node in built),
    }))
    """
)


def test_settle_heap_freezes_what_start_up_kept_and_scans_young_objects_less_often() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD], capture_output=True, text=True, check=True, timeout=60
    )
    seen = json.loads(done.stdout)
    assert seen["first"] is True and seen["second"] is False  # once per process
    assert seen["threshold"] == [YOUNG_SCAN_EVERY, *seen["default"][1:]]
    assert seen["default"][0] < YOUNG_SCAN_EVERY
    # What start-up kept is frozen (no longer scanned), its garbage was collected first.
    assert seen["garbage_left"] == 0 and seen["built_left"] == 1000
    assert seen["frozen"] >= 1000
    assert seen["after_second"] == seen["frozen"]
    assert seen["tracked"] < 1000  # the frozen objects are out of the collector's lists
