"""A webhook receiver for the compose test: checks every request's signature on
POST /hook (as docs/webhooks.md tells receivers to) and keeps the accepted
notifications; keeps what Alertmanager posts to POST /alertmanager (its own JSON,
unsigned); lists both on GET /received. Runs in the borderwatch image.

    python receiver.py PORT        (the secret comes from $WEBHOOK_SECRET)
"""

from __future__ import annotations

import json
import os
import sys
import time

from aiohttp import web

from service.deliver.signing import verify


def main() -> None:
    secret = os.environ["WEBHOOK_SECRET"].encode()
    received: list[dict[str, object]] = []
    alertmanager: list[dict[str, object]] = []
    refused = {"count": 0}

    async def hook(request: web.Request) -> web.Response:
        body = await request.read()
        headers = request.headers
        signed = verify(secret, headers.get("X-Borderwatch-Timestamp"),
                        headers.get("X-Borderwatch-Signature"), body, now=time.time())  # fmt: skip
        if not signed:
            refused["count"] += 1
            return web.Response(status=401)
        received.append(json.loads(body))
        return web.Response(status=204)

    async def alerts(request: web.Request) -> web.Response:
        alertmanager.append(await request.json())
        return web.Response(status=200)

    async def listing(_: web.Request) -> web.Response:
        return web.json_response(
            {"received": received, "refused": refused["count"], "alertmanager": alertmanager}
        )

    app = web.Application()
    app.router.add_post("/hook", hook)
    app.router.add_post("/alertmanager", alerts)
    app.router.add_get("/received", listing)
    web.run_app(app, host="0.0.0.0", port=int(sys.argv[1]), print=None)


if __name__ == "__main__":
    main()
