"""The links every notification carries (the `links` key): where to look at the aircraft.

Each link is a label and a URL template. The template's placeholders are filled in
per notification (service/alerts/links.py) with values URL-quoted as one path or
query component, so feed text can add characters to a link but never end it, change
its host or break the chat markup around it. The defaults are the two public
trackers; a tracker of your own, e.g. tar1090 on the LAN, is one line:

    links: [{label: tar1090, url: "http://192.168.1.20/tar1090/?icao={hex}"}]
"""

from __future__ import annotations

import re
from string import Formatter
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from service.settings.fields import Model

# What a template may name; values are URL-quoted (service/alerts/links.py).
PLACEHOLDERS = ("hex", "callsign", "registration", "lat", "lon")
# Characters a rendered link may hold: RFC 3986 without ( ) (they would end a Discord
# markdown link) and without anything Slack's <url|label> syntax treats specially.
_URL_CHARS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'*+,;=%]+")
# A value of each placeholder that exercises the character check.
_SAMPLE = {"hex": "abc123", "callsign": "TEST1", "registration": "N1", "lat": "1.0", "lon": "2.0"}


def template_problem(template: str) -> str | None:
    """What is wrong with a link template, in one line; None when it is usable."""
    known = ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
    prefix: str | None = None  # the literal text before the first placeholder
    literal_text = ""
    try:
        parts = list(Formatter().parse(template))
    except ValueError:
        return f"unbalanced {{ or }} (placeholders are {known})"
    for literal, name, spec, conversion in parts:
        literal_text += literal
        if name is None:
            continue
        if prefix is None:
            prefix = literal_text
        if name not in PLACEHOLDERS:
            # Named when short and plain ({0}, {hex.upper}); other text is not echoed.
            plain = len(name) <= 32 and all(c.isalnum() or c in "_.[]" for c in name)
            shown = f"{{{name}}}" if plain and name else "{...}"
            return f"unknown placeholder {shown} (known: {known})"
        if spec or conversion:
            return f"placeholder {{{name}}} takes no format or conversion"
    if not template.startswith(("http://", "https://")):
        return "must start with http:// or https://"
    # Filled with sample values, the template must be one plain URL.
    sample = Formatter().vformat(template, (), _SAMPLE)
    if not _URL_CHARS.fullmatch(sample):
        return "has a character a URL cannot hold as is (spaces, quotes, <>, (), |, ...)"
    if not urlsplit(sample).hostname:
        return "has no host"
    if prefix is not None:
        # The host (and port) must be written out: a placeholder may only come after
        # the first / ? or # that follows it.
        after_scheme = prefix.split("://", 1)[1]
        if not any(mark in after_scheme for mark in "/?#"):
            return "placeholders may only follow the host (after its first / ? or #)"
    return None


class Link(Model):
    """A link in every notification (Slack, Discord, the webhook's `links`, apprise):
    `url` is a template; `{hex}`, `{callsign}`, `{registration}`, `{lat}` and `{lon}`
    are replaced by the aircraft's values, URL-quoted (an unknown callsign or
    registration is empty). Placeholders may only follow the host, so no feed text
    can change where a link points."""

    label: str = Field(
        pattern=r"^\w[\w .,:'+&/-]{0,39}$",
        description="Text of the link, e.g. `tar1090` (letters, digits, spaces and "
        "`.,:'+&/-`, at most 40 characters).",
    )
    url: str = Field(
        description="URL template, http:// or https://, e.g. "
        "`http://192.168.1.20/tar1090/?icao={hex}`."
    )

    @field_validator("url")
    @classmethod
    def _template(cls, value: str) -> str:
        problem = template_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    def __str__(self) -> str:  # how the configuration reference shows a default
        return f"{self.label}: {self.url}"


DEFAULT_LINKS = [
    Link(label="ADS-B Exchange", url="https://globe.adsbexchange.com/?icao={hex}"),
    Link(label="adsb.lol", url="https://globe.adsb.lol/?icao={hex}"),
]
