"""The identify stage selects the same aircraft whether or not it is told which are
already followed (with it, civil traffic is skipped without a look-up)."""

from __future__ import annotations

from service.identify import Identifier
from service.identify.candidates import CandidateBook
from service.identify.select import Selector
from service.models import Identity, Position


def test_followed_addresses_select_what_known_alone_selects() -> None:
    positions = [
        Position("ae1234", 1.0, 50.0, 7.0, callsign="RCH245"),  # US military block
        Position("3c4b26", 1.0, 50.0, 7.0),  # civil, followed, no callsign this time
        Position("3c4b27", 1.0, 50.0, 7.0, callsign="DLH5AB"),  # civil, not followed
        Position("a12345", 1.0, 50.0, 7.0, db_flags=1),  # the feed's military flag
        Position("~abcdef", 1.0, 50.0, 7.0),
    ]
    before = Identity("3c4b26", "military", "DE", [], callsign="GAF881")
    followed = {"3c4b26": before}
    selector = Selector(Identifier(), CandidateBook(100), lambda identity: True)
    without = selector.select(positions, followed.get)
    with_followed = selector.select(positions, followed.get, followed)
    assert with_followed == without
    assert [p.hex for p, _ in with_followed] == ["ae1234", "3c4b26", "a12345"]
    # A followed aircraft keeps what it was known by when this report lacks it.
    assert with_followed[1][1].callsign == "GAF881"
