"""Configuration: one typed model that validates the YAML file.

`load_settings` reads the file (`load`), substitutes environment values (`env`) and
validates it against `Settings` (`model`), whose sections live in `rules`, `feeds`,
`receivers`, `identify` and `http`; `fields` holds what they share. `docs` renders
docs/configuration.md from the models. Errors name the key and say what is wrong.
"""

from service.settings.load import CONFIG_ENV, DEFAULT_CONFIG, ConfigError, load_settings
from service.settings.model import (
    AreaSettings,
    BoundarySettings,
    Settings,
    StoreSettings,
    TrackSettings,
)
from service.settings.receivers import Receiver
from service.settings.rules import (
    ForeignAirspaceRule,
    LoiterRule,
    Rule,
    Selection,
    SignalLostRule,
    SquawkRule,
)

__all__ = [
    "CONFIG_ENV",
    "DEFAULT_CONFIG",
    "AreaSettings",
    "BoundarySettings",
    "ConfigError",
    "ForeignAirspaceRule",
    "LoiterRule",
    "Receiver",
    "Rule",
    "Selection",
    "Settings",
    "SignalLostRule",
    "SquawkRule",
    "StoreSettings",
    "TrackSettings",
    "load_settings",
]
