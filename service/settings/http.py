"""Settings of the HTTP server of `borderwatch run` (the `http` key)."""

from __future__ import annotations

from ipaddress import ip_address

from pydantic import Field, model_validator

from service.settings.fields import Model, OptionalSecret


class HttpSettings(Model):
    """The HTTP server of `borderwatch run`: /metrics, /healthz, /readyz and /api/."""

    host: str = Field(
        default="127.0.0.1",
        description="Address to listen on. Anything but loopback needs `api_token` "
        "(or `public: true`).",
    )
    public: bool = Field(
        default=False,
        description="Allow listening beyond loopback without `api_token`: the read API "
        "is then open to whoever reaches the port.",
    )
    port: int = Field(default=9108, ge=0, le=65535, description="Port to listen on.")
    api_token: OptionalSecret = Field(
        default=None,
        description="Bearer token required by /api/ routes (a secret, e.g. "
        "${BORDERWATCH_API_TOKEN}); empty: the API is open. /metrics, /healthz and "
        "/readyz never need it.",
    )
    header_timeout_s: float = Field(
        default=15,
        gt=0,
        le=300,
        description="A client must send a whole request head within this (slow headers "
        "are cut off).",
    )
    request_timeout_s: float = Field(
        default=30,
        gt=0,
        le=600,
        description="Each request is answered within this, its body read included (a "
        "trickled body gets 408).",
    )
    recent_alerts_max: int = Field(
        default=1000,
        ge=1,
        le=100_000,
        description="Notifications kept in the store for GET /api/alerts (newest first).",
    )

    @model_validator(mode="after")
    def _guarded(self) -> HttpSettings:
        if not _loopback(self.host) and self.api_token is None and not self.public:
            raise ValueError(
                f"listening on {self.host} opens the API to the network: set api_token "
                "(BORDERWATCH_API_TOKEN), or public: true to allow it open"
            )
        return self


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False
