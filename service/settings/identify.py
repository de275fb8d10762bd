"""Configuration of the identify stage (the `identify` key)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from service.models import Category
from service.settings.fields import (
    ConfigPath,
    Model,
    alpha2,
    designator,
    hex_address,
    state_category,
)


class DesignatorAddition(Model):
    """An operator designator added to the shipped table (identify.designators_add)."""

    iso2: str = Field(description="State of the operator, ISO 3166-1 alpha-2.")
    category: Category = Field(description="military, government or police.")
    name: str = Field(default="", description="Operator name, shown in the reason.")

    @field_validator("iso2")
    @classmethod
    def _upper_iso2(cls, value: str) -> str:
        return alpha2(value)

    @field_validator("category")
    @classmethod
    def _state_only(cls, value: Category) -> Category:
        return state_category(value)


class IdentifySettings(Model):
    """Who counts as a state aircraft; precedence and confidence: docs/identification.md."""

    use_db_flags: bool = Field(default=True, description="Trust the feed's military flag.")
    military_ranges: Literal["readsb", "vrs", "off"] = Field(
        default="readsb", description="Which military address-range table to use."
    )
    designators: bool = Field(default=True, description="Match operator callsign designators.")
    registration_patterns: bool = Field(
        default=True, description="Match registration patterns such as ^CBP-."
    )
    watch: dict[str, Category] = Field(
        default={}, description="Addresses always treated as the given category."
    )
    lists: list[ConfigPath] = Field(
        default=[],
        description="plane-alert-db format CSV files ($ICAO,...,#CMPG,...); a listed "
        "address takes the category of its CMPG (Mil, Gov, Pol, Civ). Earlier files win.",
    )
    watch_registrations: dict[str, Category] = Field(
        default={},
        description="Registration regex (case-insensitive search) -> category.",
    )
    watch_callsigns: dict[str, Category] = Field(
        default={}, description="Callsign regex (case-insensitive search) -> category."
    )
    designators_add: dict[str, DesignatorAddition] = Field(
        default={},
        description="Extra operator designators, e.g. {ABC: {iso2: XX, category: military}}.",
    )
    designators_exclude: list[str] = Field(
        default=[], description="Shipped operator designators never to match, e.g. [CTG]."
    )
    candidates_max: int = Field(
        default=10000,
        gt=0,
        description="Weak-evidence candidates kept in memory for review (LRU).",
    )

    @field_validator("watch")
    @classmethod
    def _lower_watch(cls, value: dict[str, Category]) -> dict[str, Category]:
        return {hex_address(key): state_category(category) for key, category in value.items()}

    @field_validator("lists")
    @classmethod
    def _readable_lists(cls, value: list[Path]) -> list[Path]:
        from service.identify.lists import ListError, check_header

        for path in value:
            try:
                check_header(path)
            except ListError as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("watch_registrations", "watch_callsigns")
    @classmethod
    def _regexes(cls, value: dict[str, Category]) -> dict[str, Category]:
        for pattern, category in value.items():
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a valid regular expression: {exc}") from None
            state_category(category)
        return value

    @field_validator("designators_add")
    @classmethod
    def _designator_keys(
        cls, value: dict[str, DesignatorAddition]
    ) -> dict[str, DesignatorAddition]:
        return {designator(key): addition for key, addition in value.items()}

    @field_validator("designators_exclude")
    @classmethod
    def _designator_list(cls, value: list[str]) -> list[str]:
        return [designator(key) for key in value]
