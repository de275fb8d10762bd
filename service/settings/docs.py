"""Generate docs/configuration.md from the config model (`borderwatch config docs`)."""

from __future__ import annotations

import functools
import inspect
import operator
import re
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

from service.settings.feeds import (
    AdsbxFeed,
    OpenSkyFeed,
    QueryBox,
    QueryCircle,
    ReadsbFeed,
    SbsFeed,
)
from service.settings.fields import ROOT
from service.settings.history import HistorySettings
from service.settings.http import HttpSettings
from service.settings.identify import DesignatorAddition, IdentifySettings
from service.settings.links import Link
from service.settings.model import (
    AreaSettings,
    BoundarySettings,
    RunSettings,
    StoreSettings,
    TrackSettings,
)
from service.settings.receivers import (
    AppriseReceiver,
    DiscordReceiver,
    Route,
    SlackReceiver,
    WebhookReceiver,
)
from service.settings.rules import (
    ForeignAirspaceRule,
    LoiterRule,
    Selection,
    SignalLostRule,
    SquawkRule,
)

SECTIONS: list[tuple[str, type[BaseModel]]] = [
    ("store", StoreSettings),
    ("boundaries", BoundarySettings),
    ("identify", IdentifySettings),
    ("identify.designators_add.<DESIGNATOR>", DesignatorAddition),
    ("areas[]", AreaSettings),
    ("track", TrackSettings),
    ("feeds[] (kind: adsbx)", AdsbxFeed),
    ("feeds[] (kind: readsb)", ReadsbFeed),
    ("feeds[] (kind: opensky)", OpenSkyFeed),
    ("feeds[] (kind: sbs)", SbsFeed),
    ("feeds[].circles[]", QueryCircle),
    ("feeds[].boxes[]", QueryBox),
    ("rules[] (type: foreign_airspace)", ForeignAirspaceRule),
    ("rules[] (type: loiter)", LoiterRule),
    ("rules[] (type: signal_lost)", SignalLostRule),
    ("rules[] (type: squawk)", SquawkRule),
    ("rules[].select", Selection),
    ("receivers[] (type: webhook)", WebhookReceiver),
    ("receivers[] (type: slack)", SlackReceiver),
    ("receivers[] (type: discord)", DiscordReceiver),
    ("receivers[] (type: apprise)", AppriseReceiver),
    ("receivers[].route", Route),
    ("links[]", Link),
    ("http", HttpSettings),
    ("run", RunSettings),
    ("history", HistorySettings),
]

HEADER = """# Configuration reference

Generated from the config model by `borderwatch config docs`; do not edit by hand.
The file is YAML (default `config/borderwatch.yaml`, or the file `$BORDERWATCH_CONFIG`
names). `borderwatch config validate --config FILE` checks a file and says which
receivers are off and why; errors name the key and never repeat a value.
`borderwatch config schema` prints the JSON Schema.

## Values from the environment

Secrets and per-machine values come from environment variables. The file is parsed
first; then, in every string value (never in keys or comments), references are
replaced by the variable's value, as one value: a newline or a ` #` in it stays part
of it.

| written | means |
| --- | --- |
| `${VAR}` | the value of `VAR`; unset is an error naming `VAR` and the key |
| `${VAR:-default}` | `default` when `VAR` is unset or empty |
| `${VAR:-}` | optional: empty when unset (an empty receiver `url` switches it off) |
| `${VAR:?message}` | required: unset or empty is an error saying `message` |
| `$${` | a literal `${` |

Relative paths in the file (`boundaries.path`, `identify.lists`, `areas[].path`, a
readsb `path`) are relative to the file's own folder.

A `webhook` receiver with a `url` signs every request with its `secret`; without a
secret it is a configuration error unless `signing: none` says to send it unsigned.
"""


def _default(field: Any) -> str:
    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        return "see section"
    if value is None or value == "":
        return "empty"
    if isinstance(value, Path) and value.is_relative_to(ROOT):
        return f"`{value.relative_to(ROOT)}` of the checkout"
    if hasattr(value, "value"):
        value = value.value
    if isinstance(value, list):
        return "[" + ", ".join(str(getattr(v, "value", v)) for v in value) + "]"
    return f"`{value}`"


def _bare(annotation: Any) -> Any:
    """The annotation without Annotated[...] constraints, which read badly in a table."""
    if get_origin(annotation) is Annotated:
        return _bare(get_args(annotation)[0])
    if get_origin(annotation) is list:
        return list[_bare(get_args(annotation)[0])]  # type: ignore[misc]
    if get_origin(annotation) in (Union, UnionType):
        return functools.reduce(operator.or_, [_bare(arg) for arg in get_args(annotation)])
    return annotation


def _type(annotation: Any) -> str:
    text = str(_bare(annotation)).replace("typing.", "").replace("pydantic.types.", "")
    text = re.sub(r"<(?:class|enum) '([\w.]+)'>", r"\1", text).replace("service.models.", "")
    text = text.replace("pathlib.", "")
    text = re.sub(r"service\.settings\.\w+\.", "", text)
    return text.replace("|", "\\|")


def render() -> str:
    """The whole reference as Markdown."""
    lines = [HEADER]
    for title, model in SECTIONS:
        lines.append(f"## `{title}`\n")
        doc = inspect.cleandoc(model.__doc__ or "")  # multi-line docstrings lose their indent
        if doc:
            lines.append(doc + "\n")
        lines.append("| key | type | default | meaning |")
        lines.append("| --- | --- | --- | --- |")
        for name, field in model.model_fields.items():
            description = (field.description or "").replace("|", "\\|")
            lines.append(
                f"| `{name}` | {_type(field.annotation)} | {_default(field)} | {description} |"
            )
        lines.append("")
    return "\n".join(lines)
