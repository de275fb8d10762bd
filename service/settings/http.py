"""Settings of the HTTP server of `borderwatch run` (the `http` key)."""

from __future__ import annotations

from pydantic import Field

from service.settings.fields import Model, OptionalSecret


class HttpSettings(Model):
    """The HTTP server of `borderwatch run`: /metrics, /healthz, /readyz and /api/."""

    host: str = Field(default="0.0.0.0", description="Address to listen on.")
    port: int = Field(default=9108, ge=0, le=65535, description="Port to listen on.")
    api_token: OptionalSecret = Field(
        default=None,
        description="Bearer token required by /api/ routes (a secret, e.g. "
        "${BORDERWATCH_API_TOKEN}); empty: the API is open. /metrics, /healthz and "
        "/readyz never need it.",
    )
    recent_alerts_max: int = Field(
        default=1000,
        ge=1,
        le=100_000,
        description="Notifications kept in the store for GET /api/alerts (newest first).",
    )
