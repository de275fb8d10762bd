"""Print `borderwatch replay` notifications (JSON lines on stdin) as a readable story."""

from __future__ import annotations

import json
import sys


def main() -> int:
    count = 0
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        note = json.loads(line)
        count += 1
        at = note["at"].replace("T", " ").replace("Z", " UTC")
        label = f"{note['rule']['id']} {note['kind']} #{note['sequence']}"
        print(f"{at}  {note['status'].upper():8} {label:28} {note['summary']}")
    print(f"-- {count} notifications", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
