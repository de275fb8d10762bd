"""A local feed for the compose test: a receiver's aircraft.json that hands out the
next line of a recording on every request (then the last one again), as a readsb
receiver would while a flight goes on. Runs in the borderwatch image (it has aiohttp).

    python feed.py RECORDING PORT
"""

from __future__ import annotations

import gzip
import sys

from aiohttp import web


def main() -> None:
    with gzip.open(sys.argv[1], "rb") as handle:
        lines = handle.read().splitlines()
    served = {"count": 0}

    async def aircraft_json(_: web.Request) -> web.Response:
        line = lines[min(served["count"], len(lines) - 1)]
        served["count"] += 1
        return web.Response(body=line, content_type="application/json")

    async def state(_: web.Request) -> web.Response:
        return web.json_response({"served": served["count"], "lines": len(lines)})

    app = web.Application()
    app.router.add_get("/data/aircraft.json", aircraft_json)
    app.router.add_get("/state", state)
    web.run_app(app, host="0.0.0.0", port=int(sys.argv[2]), print=None)


if __name__ == "__main__":
    main()
