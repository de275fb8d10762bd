"""The `links` section: the public trackers by default, a tracker of your own in one
line, and templates that could not make a safe link refused in one line naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.settings import DEFAULT_CONFIG, ConfigError, load_settings
from service.settings.links import DEFAULT_LINKS


def load(tmp_path: Path, text: str) -> list[tuple[str, str]]:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return [(link.label, link.url) for link in load_settings(path, environ={}).links]


def test_default_links_are_the_public_trackers(tmp_path: Path) -> None:
    expected = [
        ("ADS-B Exchange", "https://globe.adsbexchange.com/?icao={hex}"),
        ("adsb.lol", "https://globe.adsb.lol/?icao={hex}"),
    ]
    assert load(tmp_path, "{}") == expected
    assert [(link.label, link.url) for link in DEFAULT_LINKS] == expected
    assert [(x.label, x.url) for x in load_settings(DEFAULT_CONFIG, environ={}).links] == expected
    assert load(tmp_path, "links: []") == []


def test_a_tracker_of_your_own_is_one_line(tmp_path: Path) -> None:
    line = 'links: [{label: tar1090, url: "http://192.168.1.20/tar1090/?icao={hex}"}]'
    assert load(tmp_path, line) == [("tar1090", "http://192.168.1.20/tar1090/?icao={hex}")]
    every = "https://example.org/a/{hex}/{callsign}?r={registration}&ll={lat},{lon}#{hex}"
    assert load(tmp_path, f'links: [{{label: "My map", url: "{every}"}}]')[0][1] == every
    # No placeholder at all (a dashboard) is allowed too.
    assert load(tmp_path, 'links: [{label: ops, url: "https://ops.example/board"}]')


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://pi.local/?icao={icao}", r"unknown placeholder \{icao\} \(known: \{hex\}"),
        ("http://pi.local/?icao={}", r"unknown placeholder \{\.\.\.\}"),
        ("http://pi.local/?icao={0}", r"unknown placeholder \{0\}"),
        ("http://pi.local/?icao={hex.__class__}", r"unknown placeholder \{hex\.__class__\}"),
        ("http://pi.local/?icao={hex[0]}", r"unknown placeholder \{hex\[0\]\}"),
        ("http://pi.local/?icao={a b}", r"unknown placeholder \{\.\.\.\}"),
        ("http://pi.local/?icao={hex:>10}", r"placeholder \{hex\} takes no format"),
        ("http://pi.local/?icao={hex!r}", r"placeholder \{hex\} takes no format"),
        ("http://pi.local/?icao={hex", r"unbalanced \{ or \}"),
        ("ftp://pi.local/{hex}", "must start with http:// or https://"),
        ("javascript:alert(1)//{hex}", "must start with http:// or https://"),
        ("pi.local/?icao={hex}", "must start with http:// or https://"),
        ("http://{hex}.example/", "placeholders may only follow the host"),
        ("https://example.org:{hex}/", "placeholders may only follow the host"),
        ("https://user@{callsign}/", "placeholders may only follow the host"),
        ("http:///?icao={hex}", "has no host"),
        ("http://pi.local/a b?icao={hex}", "a character a URL cannot hold"),
        ("http://pi.local/x)?icao={hex}", "a character a URL cannot hold"),
        ('http://pi.local/"?icao={hex}', "a character a URL cannot hold"),
        ("http://pi.local/|<x>?icao={hex}", "a character a URL cannot hold"),
        ("http://pi.local/?icao={{hex}}", "a character a URL cannot hold"),
    ],
)
def test_a_bad_template_is_refused_in_one_line(tmp_path: Path, url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        load(tmp_path, f"links: [{{label: mine, url: '{url}'}}]")
    text = str(caught.value)
    assert "links.0.url: " in text and "\n" not in text


@pytest.mark.parametrize(
    "label", ["", "<!channel>", "[x](http://evil)", "a|b", "*bold*", "x" * 41, "@everyone"]
)
def test_a_label_with_markup_is_refused(tmp_path: Path, label: str) -> None:
    with pytest.raises(ConfigError, match=r"links\.0\.label: "):
        load(tmp_path, f'links: [{{label: "{label}", url: "https://a.example/{{hex}}"}}]')
