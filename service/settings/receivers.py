"""Receivers (where notifications go) and how the alert lifecycle treats each one.

Four kinds, told apart by `type`: the generic signed JSON webhook (payload version 1),
a Slack incoming webhook (Block Kit), a Discord webhook (embeds, map attached), and
apprise (plain text to any of the services the apprise library speaks).
Each receiver routes by rule, severity and country, and has its own retry, dead-letter
and lifecycle settings (group wait, repeat interval, resolved notifications).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from service.settings.fields import Model as _Model
from service.settings.fields import OptionalSecret
from service.settings.fields import alpha2 as _alpha2

Severity = Literal["info", "warning", "critical"]


class Route(_Model):
    """Which notifications a receiver gets; an empty list matches everything."""

    rules: list[str] = Field(default=[], description="Only these rule ids; empty: all rules.")
    severities: list[Severity] = Field(
        default=[], description="Only these severities (info, warning, critical); empty: all."
    )
    countries: list[str] = Field(
        default=[],
        description="Only notifications about these countries (alpha-2: the airspace "
        "entered, or where a loiter, a loss of signal or a squawk happened); empty: any.",
    )

    @field_validator("countries")
    @classmethod
    def _upper(cls, value: list[str]) -> list[str]:
        return [_alpha2(code) for code in value]


class _ReceiverBase(_Model):
    name: str = Field(
        pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$", description="Label in logs and metrics."
    )
    url: OptionalSecret = Field(
        default=None, description="Target URL (a secret). Empty: the receiver is disabled."
    )
    route: Route = Field(default=Route(), description="Which notifications go here.")
    send_resolved: bool = Field(
        default=True, description="Also send the notification that closes an episode."
    )
    group_wait_s: float = Field(
        default=0,
        ge=0,
        le=600,
        description="Hold a notification this long so others about the same aircraft "
        "arriving meanwhile go out in the same message (Slack, Discord).",
    )
    repeat_interval_s: float = Field(
        default=0,
        ge=0,
        description='Send an episode\'s "still ..." updates at most this often; 0: all. '
        "Depth milestones count as updates too.",
    )
    timeout_s: float = Field(default=10, gt=0, le=120, description="Timeout of one attempt.")
    max_attempts: int = Field(
        default=1000,
        ge=1,
        description="Attempts before a notification becomes a dead letter "
        "(dead_letter_after_s usually comes first).",
    )
    backoff_initial_s: float = Field(
        default=1, gt=0, description="First retry wait (doubles, with full jitter)."
    )
    backoff_max_s: float = Field(
        default=60, gt=0, description="Longest retry wait, also the cap on Retry-After."
    )
    concurrency: int = Field(
        default=4, ge=1, le=64, description="Requests in flight to this receiver at most."
    )
    dead_letter_after_s: float = Field(
        default=86400,
        gt=0,
        description="A notification still undelivered this long after it was queued "
        "becomes a dead letter (listed by the API, re-sent with "
        "`borderwatch deadletters resend`).",
    )

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(("http://", "https://")):
            raise ValueError("url must start with http:// or https://")
        return value


class WebhookReceiver(_ReceiverBase):
    """Generic JSON webhook: payload version 1, signed (docs/webhooks.md).

    A webhook with a URL must have a `secret` to sign with, unless `signing: none` says
    explicitly that it is sent unsigned.
    """

    type: Literal["webhook"] = Field(
        default="webhook", description="Generic JSON webhook, payload version 1."
    )
    secret: OptionalSecret = Field(
        default=None, description="HMAC-SHA256 signing secret for X-Borderwatch-Signature."
    )
    signing: Literal["hmac-sha256", "none"] = Field(
        default="hmac-sha256",
        description="`hmac-sha256`: every request signed with `secret` (required); "
        "`none`: sent unsigned (the receiver cannot tell it came from you).",
    )

    @model_validator(mode="after")
    def _signed(self) -> WebhookReceiver:
        if self.url is None:
            return self
        if self.signing == "hmac-sha256" and self.secret is None:
            raise ValueError(
                "a webhook needs a secret to sign with (e.g. secret: "
                "${BORDERWATCH_WEBHOOK_SECRET}); set signing: none to send it unsigned"
            )
        if self.signing == "none" and self.secret is not None:
            raise ValueError("signing: none and a secret contradict each other")
        return self


class SlackReceiver(_ReceiverBase):
    """Slack incoming webhook (https://hooks.slack.com/services/...), Block Kit message."""

    type: Literal["slack"] = Field(description="Slack incoming webhook.")


class DiscordReceiver(_ReceiverBase):
    """Discord channel webhook (https://discord.com/api/webhooks/...), one embed each."""

    type: Literal["discord"] = Field(description="Discord webhook.")
    attach_map: bool = Field(
        default=True, description="Attach a PNG map of the recent track to each message."
    )


class AppriseReceiver(_ReceiverBase):
    """Any service the apprise library speaks (ntfy, Telegram, Matrix, email, ... about
    a hundred; docs/alerts.md), one plain-text message per notification. Needs the
    apprise package (`pip install 'borderwatch[apprise]'`; the container image has it).
    No signature and no map; every failure is retried until it is a dead letter."""

    type: Literal["apprise"] = Field(description="A service through apprise.")
    url: OptionalSecret = Field(
        default=None,
        description="An apprise URL (a secret: it holds the service's credentials), e.g. "
        "`ntfy://ntfy.example/alerts` or `tgram://<bot token>/<chat id>`. Empty: the "
        "receiver is disabled.",
    )

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: SecretStr | None) -> SecretStr | None:
        # Replaces the base class's http(s) check: apprise URLs have their own schemes.
        if value is None:
            return None
        from service.deliver.apprise_channel import url_problem

        problem = url_problem(value.get_secret_value())
        if problem:
            raise ValueError(problem)
        return value


Receiver = Annotated[
    WebhookReceiver | SlackReceiver | DiscordReceiver | AppriseReceiver,
    Field(discriminator="type"),
]


def default_type(value: object) -> object:
    """Receivers written before `type` existed are webhooks (used as a before-validator)."""
    if isinstance(value, list):
        return [
            {**item, "type": "webhook"} if isinstance(item, dict) and "type" not in item else item
            for item in value
        ]
    return value
