"""Rules: which aircraft and what behaviour raise an alert (the `rules` key).

Each rule type is one model, told apart by `type`; every rule has an `id` that is part
of the identity of its episodes, a `severity` for routing and a `select` of aircraft.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from service.models import Category, Identity
from service.settings.fields import Model as _Model
from service.settings.fields import alpha2 as _alpha2
from service.settings.fields import hex_address as _hex


class Selection(_Model):
    """Which aircraft a rule applies to."""

    categories: list[Category] = Field(
        default=[Category.MILITARY, Category.GOVERNMENT, Category.POLICE],
        description="Aircraft categories the rule watches.",
    )
    states: list[str] = Field(
        default=[], description="Only aircraft of these states of registry (alpha-2); empty: any."
    )
    hexes: list[str] = Field(default=[], description="Only these addresses; empty: any.")

    @field_validator("states")
    @classmethod
    def _upper_states(cls, value: list[str]) -> list[str]:
        return [_alpha2(code) for code in value]

    @field_validator("hexes")
    @classmethod
    def _lower_hexes(cls, value: list[str]) -> list[str]:
        return [_hex(item) for item in value]

    def covers(self, identity: Identity) -> bool:
        """Whether this selection takes the aircraft."""
        if identity.category not in self.categories:
            return False
        if self.states and identity.state not in self.states:
            return False
        return not self.hexes or identity.hex in self.hexes


class _RuleBase(_Model):
    id: str = Field(
        pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$",
        description="Stable rule id; part of every episode's identity, so keep it stable.",
    )
    enabled: bool = Field(default=True, description="Switch the rule off without deleting it.")
    severity: Literal["info", "warning", "critical"] = Field(
        default="warning", description="Copied into notifications for routing."
    )
    select: Selection = Field(
        default=Selection(), description="Which aircraft the rule applies to."
    )


class ForeignAirspaceRule(_RuleBase):
    """A state aircraft of country A inside the sovereign airspace of country B."""

    type: Literal["foreign_airspace"] = Field(default="foreign_airspace", description="Rule type.")
    countries: list[str] = Field(
        default=[], description="Only entries into these countries (alpha-2); empty: any."
    )
    allow: list[str] = Field(
        default=[],
        description='Pairs "A>B" that never alert (aircraft of state A inside country B).',
    )
    enter_confirm_s: float = Field(
        default=45, ge=0, description="Time continuously inside before an entry is confirmed."
    )
    enter_depth_km: float = Field(
        default=3.0, ge=0, description="Depth inside the border needed to confirm an entry."
    )
    exit_confirm_s: float = Field(
        default=120, ge=0, description="Time continuously outside before an exit is confirmed."
    )
    depth_milestones_km: list[float] = Field(
        default=[50, 100, 250, 500, 1000],
        description="Send an update when the maximum depth first passes each of these.",
    )
    resolve_after_silent_s: float = Field(
        default=3600,
        gt=0,
        description="Resolve the episode when the aircraft has been silent this long.",
    )
    repeat_interval_s: float = Field(
        default=0, ge=0, description='Interval of "still inside" updates; 0: none.'
    )

    @field_validator("countries")
    @classmethod
    def _upper_countries(cls, value: list[str]) -> list[str]:
        return [_alpha2(code) for code in value]

    @field_validator("allow")
    @classmethod
    def _pairs(cls, value: list[str]) -> list[str]:
        pairs = []
        for pair in value:
            parts = pair.split(">")
            if len(parts) != 2:
                raise ValueError(f'allow entry {pair!r} must look like "US>CA"')
            pairs.append(f"{_alpha2(parts[0])}>{_alpha2(parts[1])}")
        return pairs


LoiterShape = Literal["orbit", "racetrack", "dwell"]


class LoiterRule(_RuleBase):
    """Orbiting, flying a racetrack, holding or dwelling over one area for a long time.

    Three patterns (`shapes`), each lasting `min_duration_s`: an orbit (net turning of
    `min_turns` within `max_radius_km` of a centre, or round and within
    `max_orbit_radius_km` over `pattern_window_s`), a racetrack (a long, narrow oval flown
    back and forth along one axis on the same two tracks, legs up to `max_leg_km`,
    turning the same way at both ends) and a dwell (staying within `max_radius_km` for
    `min_dwell_s`, however it turns). Notifications name the shape and its size."""

    type: Literal["loiter"] = Field(default="loiter", description="Rule type.")
    shapes: list[LoiterShape] = Field(
        default=["orbit", "racetrack", "dwell"],
        min_length=1,
        description="Patterns that count as a loiter: orbit, racetrack, dwell.",
    )
    min_duration_s: float = Field(
        default=1200, gt=0, description="Time in the pattern before the loiter alerts."
    )
    max_radius_km: float = Field(
        default=25,
        gt=0,
        description="Radius of a dwell, and of an orbit found over the dwell's look-back "
        "(`max(min_duration_s, min_dwell_s)`).",
    )
    max_orbit_radius_km: float = Field(
        default=60,
        gt=0,
        description="Largest orbit radius (from the centre): wide, slow orbits and holding "
        "over a navaid or a town, looked for over `pattern_window_s`.",
    )
    max_leg_km: float = Field(
        default=150,
        gt=0,
        description="Longest racetrack leg (the straight part, end turns excluded).",
    )
    max_width_ratio: float = Field(
        default=0.5,
        gt=0,
        lt=1,
        description="A racetrack is at most this wide for its length (0.25: 100 x 25 km).",
    )
    min_reversals: int = Field(
        default=3,
        ge=2,
        description="Reversals of heading along the racetrack's axis (turns at its ends) "
        "needed; a straight out-and-back reverses once.",
    )
    pattern_window_s: float = Field(
        default=7200,
        gt=0,
        description="Look-back for wide orbits and racetracks: a pattern must show within "
        "this much track (three reversals of a 150 km racetrack at 250 kt take about "
        "65 min, of a 90 km one at 120 kt about 100 min). Looked for at most every 5 "
        "minutes per aircraft.",
    )
    min_turns: float = Field(
        default=1.0,
        ge=0,
        description="Net full turns needed, unless the aircraft dwells (see min_dwell_s).",
    )
    min_dwell_s: float = Field(
        default=2700,
        gt=0,
        description="Inside the radius this long alerts even without full turns.",
    )
    max_gap_s: float = Field(
        default=1800,
        gt=0,
        description="A coverage gap shorter than this does not split a loiter.",
    )
    exit_confirm_s: float = Field(
        default=300, ge=0, description="Time outside the loiter area before it ends."
    )
    update_interval_s: float = Field(
        default=3600, gt=0, description='Interval of "still loitering" updates.'
    )
    min_speed_kt: float = Field(
        default=30, ge=0, description="Slower positions (taxiing, parked) are ignored."
    )
    abroad_only: bool = Field(
        default=False,
        description="Only loiters outside the aircraft's own state (foreign or high seas).",
    )
    areas: list[str] = Field(
        default=[],
        description="Only loiters whose latest position lies in one of these `areas` "
        "(by name); empty: anywhere.",
    )


class SignalLostRule(_RuleBase):
    """An identified aircraft silent for too long while inside foreign airspace."""

    type: Literal["signal_lost"] = Field(default="signal_lost", description="Rule type.")
    silent_s: float = Field(default=600, gt=0, description="Silence before the alert.")
    expire_after_s: float = Field(
        default=21600, gt=0, description="Resolve (expired) after this long without news."
    )
    areas: list[str] = Field(
        default=[],
        description="Only when the last position heard lies in one of these `areas` "
        "(by name); empty: anywhere.",
    )


class SquawkRule(_RuleBase):
    """An emergency code (hijack, radio failure, emergency) held for a while.

    `select` has the same default as every rule (military, government, police); add
    `civil` to its categories to be told of every emergency in the feed.
    """

    type: Literal["squawk"] = Field(default="squawk", description="Rule type.")
    codes: list[Annotated[str, Field(pattern=r"^[0-7]{4}$")]] = Field(
        default=["7500", "7600", "7700"], min_length=1, description="Codes (4 digits 0-7)."
    )
    min_hold_s: float = Field(
        default=60, ge=0, description="A code held this long opens; another code, resolves."
    )
    resolve_after_silent_s: float = Field(
        default=600, gt=0, description="Resolve when the aircraft has been silent this long."
    )


Rule = Annotated[
    ForeignAirspaceRule | LoiterRule | SignalLostRule | SquawkRule, Field(discriminator="type")
]
