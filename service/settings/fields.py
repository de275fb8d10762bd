"""Building blocks shared by the configuration models: the strict base model, the
optional-value types and the validators of codes that appear in several sections."""

from __future__ import annotations

import re
from ipaddress import ip_address
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    SecretStr,
    ValidationInfo,
)

from service.models import STATE_CATEGORIES, Category, is_address

# The checkout (or installed tree) this package sits in: its config/ and var/.
ROOT = Path(__file__).resolve().parent.parent.parent


class Model(BaseModel):
    """Unknown keys are errors; settings are immutable once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def empty_is_none(value: object) -> object:
    """An empty string (an unset `${VAR:-}`) means "not set"."""
    return None if value in ("", None) else value


# Optional values that an empty string switches off, as `${VAR:-}` leaves them.
OptionalSecret = Annotated[SecretStr | None, BeforeValidator(empty_is_none)]
OptionalText = Annotated[str | None, BeforeValidator(empty_is_none)]


def beside_config(path: Path, info: ValidationInfo) -> Path:
    """A relative path in a config file is relative to the file's folder (the loader
    passes it as `base_dir`); without one, to the working directory."""
    base = (info.context or {}).get("base_dir")
    if path.is_absolute() or base is None:
        return path
    return Path(base) / path


# A file named in the configuration.
ConfigPath = Annotated[Path, AfterValidator(beside_config)]


def require_unique(names: list[str], what: str) -> None:
    """Raise when a name repeats, naming every repeated one (e.g. what="feed names")."""
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"{what} must be unique; repeated: {', '.join(repeated)}")


def alpha2(code: str) -> str:
    """An ISO 3166-1 alpha-2 code, upper-cased."""
    code = code.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", code):
        raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 code")
    return code


def state_category(category: Category) -> Category:
    """The category, if it is a state category (military, government, police)."""
    if category not in STATE_CATEGORIES:
        raise ValueError(f"category must be military, government or police, not {category}")
    return category


def designator(value: str) -> str:
    """A 3-letter ICAO operator designator, upper-cased."""
    value = value.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", value):
        raise ValueError(f"{value!r} is not a 3-letter ICAO operator designator")
    return value


def hex_address(value: str) -> str:
    """A 24-bit address as 6 lowercase hex digits, "~" prefix allowed."""
    value = value.strip().lower()
    if not is_address(value):
        raise ValueError(f"{value!r} is not a 24-bit hex address like ae2fd0")
    return value


def http_url(value: str | None) -> str | None:
    """An http(s) URL without a trailing slash (None passes)."""
    if value is not None and not value.startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://")
    return value.rstrip("/") if value is not None else None


def is_local(url_or_host: str) -> bool:
    """True for loopback or private hosts (a receiver on the LAN, a compose service, a
    test server): a private address, `localhost`, a `.local` (mDNS) name, or a name
    without a dot (a container or LAN host name; public APIs always have one)."""
    host = urlsplit(url_or_host).hostname if "://" in url_or_host else url_or_host
    if host is None:
        return False
    try:
        address = ip_address(host)
    except ValueError:
        return host == "localhost" or host.endswith(".local") or "." not in host
    return address.is_loopback or address.is_private
