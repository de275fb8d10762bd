"""The identify stage: categories, states of registry and the reasons behind them."""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

import numpy as np
import pytest

from service.cli.lookup import identify
from service.identify import Identifier
from service.identify.tables import (
    AddressBlock,
    BlockIndex,
    OperatorKind,
    country_blocks,
    designators,
    military_ranges,
    registration_patterns,
)
from service.models import Category, Reason, Verdict
from service.settings import Settings


@pytest.fixture(scope="module")
def ident() -> Identifier:
    return Identifier()


def methods(verdict: Verdict) -> list[str]:
    return [reason.method for reason in verdict.reasons]


# --- the required examples ---------------------------------------------------------


def test_troy701_cbp_registration_wins(ident: Identifier) -> None:
    verdict = ident.identify("ae2fd0", "TROY701", "CBP-113")
    assert verdict.category is Category.GOVERNMENT
    assert verdict.state == "US"
    assert methods(verdict) == ["registration_pattern", "military_range", "address_block"]
    assert verdict.reasons[0] == Reason(
        "registration_pattern", "CBP-113 matches ^CBP- (US Customs and Border Protection)"
    )
    assert verdict.reasons[2] == Reason("address_block", "AE2FD0 in A00000-AFFFFF United States")


def test_us_military_block_alone(ident: Identifier) -> None:
    verdict = ident.identify("ae2fd0")
    assert (verdict.category, verdict.state) == (Category.MILITARY, "US")
    assert verdict.reasons[0] == Reason(
        "military_range", "AE2FD0 in ADF7C8-AFFFFF United States (readsb)"
    )
    assert verdict.is_state_aircraft


def test_german_air_force_callsign_on_civil_german_address(ident: Identifier) -> None:
    verdict = ident.identify("3c4b26", "GAF881")
    assert (verdict.category, verdict.state) == (Category.MILITARY, "DE")
    assert verdict.reasons[0] == Reason("operator_designator", "GAF German Air Force")
    assert methods(verdict) == ["operator_designator", "address_block"]


def test_reach_callsign(ident: Identifier) -> None:
    verdict = ident.identify("ae1234", "RCH245")
    assert (verdict.category, verdict.state) == (Category.MILITARY, "US")
    assert methods(verdict) == ["operator_designator", "military_range", "address_block"]


def test_airline_on_us_address_is_civil(ident: Identifier) -> None:
    verdict = ident.identify("a12345", "AAL123", "N123AA")
    assert (verdict.category, verdict.state) == (Category.CIVIL, "US")
    assert methods(verdict) == ["address_block"]


def test_non_icao_address_is_unknown_and_stateless(ident: Identifier) -> None:
    verdict = ident.identify("~a55501")
    assert verdict == Verdict(Category.UNKNOWN, None, ())
    assert ident.state_of_registry("~a55501") is None


def test_feed_military_flag_on_civil_address(ident: Identifier) -> None:
    verdict = ident.identify("a12345", db_flags=1)
    assert (verdict.category, verdict.state) == (Category.MILITARY, "US")
    assert methods(verdict) == ["feed_military_flag", "address_block"]
    assert ident.identify("a12345", db_flags=2).category is Category.CIVIL  # bit 0 only


@pytest.mark.parametrize("hex_", ["zzz", "", "~", "ae2fd", "ae2fd00", "+e2fd0", " ae2fd", "ä12345"])
def test_invalid_hex_is_unknown(ident: Identifier, hex_: str) -> None:
    assert ident.identify(hex_) == Verdict(Category.UNKNOWN, None, ())
    assert ident.state_of_registry(hex_) is None


# --- state of registry --------------------------------------------------------------


# The sanity blocks of the research notes (§2a), overlays included.
MAJOR_BLOCKS = [
    ("a00000", "US"), ("afffff", "US"), ("AE2FD0", "US"), ("100000", "RU"), ("1fffff", "RU"),
    ("780000", "CN"), ("7bffff", "CN"), ("78a000", "CN"), ("789000", "HK"), ("789fff", "HK"),
    ("3c0000", "DE"), ("3fffff", "DE"), ("380000", "FR"), ("3bffff", "FR"),
    ("401000", "GB"), ("43ffff", "GB"), ("400000", "BM"), ("4001c0", "KY"), ("424b00", "IM"),
    ("43eafe", "GG"), ("0d0000", "MX"), ("0d7fff", "MX"), ("c00000", "CA"), ("c3ffff", "CA"),
    ("7c0000", "AU"), ("7fffff", "AU"),
    ("901000", "CK"),  # tar1090 has "sk" here; the table corrects it
    ("300000", "IT"), ("33ffff", "IT"), ("340000", "ES"), ("37ffff", "ES"),
    ("800000", "IN"), ("83ffff", "IN"), ("840000", "JP"), ("87ffff", "JP"),
    ("e40000", "BR"), ("e7ffff", "BR"), ("e00000", "AR"), ("e3ffff", "AR"),
    ("738000", "IL"), ("73ffff", "IL"), ("730000", "IR"), ("737fff", "IR"),
    ("720000", "KP"), ("727fff", "KP"), ("508000", "UA"), ("50ffff", "UA"),
    ("510000", "BY"), ("5107ff", "BY"),
]  # fmt: skip


@pytest.mark.parametrize(("hex_", "iso2"), MAJOR_BLOCKS)
def test_major_blocks(ident: Identifier, hex_: str, iso2: str) -> None:
    assert ident.state_of_registry(hex_) == iso2


@pytest.mark.parametrize("hex_", ["f00000", "f07fff", "f09000", "f097ff", "000000", "ffffff"])
def test_no_state_outside_state_blocks(ident: Identifier, hex_: str) -> None:
    assert ident.state_of_registry(hex_) is None
    verdict = ident.identify(hex_)
    assert (verdict.category, verdict.state, verdict.reasons) == (Category.CIVIL, None, ())


def test_military_range_country_beats_the_address_block(ident: Identifier) -> None:
    # readsb's UK military range 400000-40003F lies inside tar1090's Bermuda overlay
    # 400000-4001BF: the aircraft is British military, not Bermudian.
    verdict = ident.identify("400010")
    assert (verdict.category, verdict.state) == (Category.MILITARY, "GB")
    assert verdict.reasons == (
        Reason("military_range", "400010 in 400000-40003F United Kingdom (readsb)"),
        Reason("address_block", "400010 in 400000-4001BF Bermuda"),
    )
    assert ident.state_of_registry("400010") == "BM"  # the allocation itself is unchanged
    assert ident.identify("400040").state == "BM"  # outside the military range
    # The same with the VRS table, which has the same UK range.
    assert Identifier(military_ranges="vrs").identify("400010").state == "GB"
    # A designator still names the operating State before the range does.
    assert ident.identify("400010", "GAF881").state == "DE"


def test_nato_is_no_state() -> None:
    verdict = Identifier(military_ranges="vrs").identify("4d03c5")  # VRS NATO block, LU
    assert (verdict.category, verdict.state) == (Category.MILITARY, "LU")


def test_state_precedence(ident: Identifier) -> None:
    # A German Air Force flight on a US address: the designator names the State.
    verdict = ident.identify("a12345", "GAF881")
    assert (verdict.category, verdict.state) == (Category.MILITARY, "DE")
    assert verdict.reasons[-1].detail == "A12345 in A00000-AFFFFF United States"
    # The registration pattern beats the designator for both category and state.
    verdict = ident.identify("3c4b26", "GAF881", "CBP-104")
    assert (verdict.category, verdict.state) == (Category.GOVERNMENT, "US")


def test_non_icao_address_takes_state_from_other_evidence(ident: Identifier) -> None:
    verdict = ident.identify("~a55501", "CFC4010", db_flags=1)
    assert (verdict.category, verdict.state) == (Category.MILITARY, "CA")
    assert methods(verdict) == ["operator_designator", "feed_military_flag"]


# --- the designator rule ------------------------------------------------------------


@pytest.mark.parametrize(
    ("callsign", "icao"),
    [
        ("RCH245", "RCH"),
        ("rch245", "RCH"),
        ("RCH245  ", "RCH"),  # readsb pads the flight field
        (" GAF881", "GAF"),
        ("CFC4010", "CFC"),
        ("GAF1A", "GAF"),
        ("NVY1", "NVY"),
        ("HKG12345", "HKG"),  # 8 characters, the full field
    ],
)
def test_designator_matches(ident: Identifier, callsign: str, icao: str) -> None:
    verdict = ident.identify("", callsign)
    assert verdict.reasons[0].method == "operator_designator"
    assert verdict.reasons[0].detail.startswith(icao + " ")


@pytest.mark.parametrize(
    ("callsign", "registration"),
    [
        ("RCHXXX", None),  # no digit after the designator
        ("RCH", None),
        ("REACH12", None),  # telephony, not the designator
        ("D-KRPK", "D-KRPK"),
        ("DKRPK", None),
        ("GAF123456", None),  # longer than the 8-character field
        ("GAF-881", None),
        ("\u017faf881", None),  # long s upper-cases to "S", but a callsign is ASCII
        ("SAM44", None),  # excluded: conflicting sources
        ("OAN01", None),
        ("FAC1201", None),
        ("AGR12", None),
        ("PTR123", None),
        ("GAF881", "GAF881"),  # the registration flown as the callsign
    ],
)
def test_designator_rejects(ident: Identifier, callsign: str, registration: str | None) -> None:
    verdict = ident.identify("3c4b26", callsign, registration)
    assert verdict.category is Category.CIVIL
    assert "operator_designator" not in methods(verdict)


def test_coastguard_operators_count_as_government(ident: Identifier) -> None:
    verdict = ident.identify("c01234", "CTG201")
    assert (verdict.category, verdict.state) == (Category.GOVERNMENT, "CA")


# --- watch list and options ---------------------------------------------------------


def test_watch_list_beats_everything() -> None:
    ident = Identifier(watch_hexes={"AE2FD0": "police", "~a55501": "government"})
    verdict = ident.identify("ae2fd0", "RCH245", "CBP-113", db_flags=1)
    assert (verdict.category, verdict.state) == (Category.POLICE, "US")
    assert verdict.reasons[0] == Reason("watch_list", "hex AE2FD0 on the watch list")
    assert methods(verdict) == [
        "watch_list",
        "registration_pattern",
        "operator_designator",
        "feed_military_flag",
        "military_range",
        "address_block",
    ]
    verdict = ident.identify("~A55501")
    assert verdict == Verdict(
        Category.GOVERNMENT,
        None,
        (Reason("watch_list", "hex ~A55501 on the watch list"),),
        confidence=1.0,
    )
    assert ident.identify("a55501").category is Category.CIVIL  # "~" and ICAO differ


@pytest.mark.parametrize("watch", [{"zzz": "military"}, {"ae2fd0": "civil"}, {"ae2fd0": "spy"}])
def test_bad_watch_list(watch: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="watch list"):
        Identifier(watch_hexes=watch)


def test_options_switch_layers_off() -> None:
    ident = Identifier(
        use_db_flags=False, military_ranges="off", designators=False, registration_patterns=False
    )
    verdict = ident.identify("ae2fd0", "RCH245", "CBP-113", db_flags=1)
    assert verdict == Verdict(
        Category.CIVIL, "US", (Reason("address_block", "AE2FD0 in A00000-AFFFFF United States"),)
    )


def test_vrs_ranges_are_broader() -> None:
    # Australia 7E0000-7FFFFF is military only in the VRS table.
    assert Identifier().identify("7e1234").category is Category.CIVIL
    verdict = Identifier(military_ranges="vrs").identify("7e1234")
    assert verdict.category is Category.MILITARY
    assert verdict.reasons[0].detail == "7E1234 in 7E0000-7FFFFF Australia (vrs)"
    with pytest.raises(ValueError, match="military_ranges"):
        Identifier(military_ranges="both")  # type: ignore[arg-type]


# --- batch == row by row ------------------------------------------------------------

BATCH = [
    ("ae2fd0", "TROY701", "CBP-113", 0),
    ("ae2fd0", None, None, 0),
    ("AE2FD0", None, None, 1),
    ("3c4b26", "GAF881", None, 0),
    ("ae1234", "RCH245", None, 1),
    ("a12345", "AAL123", "N123AA", 0),
    ("~a55501", None, None, 0),
    ("~a55501", "CFC4010", None, 1),
    ("a12345", None, None, 1),
    ("a12345", None, None, 2),
    ("zzz", None, None, 0),
    ("zzz", "GAF881", None, 0),
    ("", "", "", 0),
    ("~", None, None, 0),
    ("ae2fd", None, None, 0),
    ("ae2fd0x", None, None, 0),
    ("ae2fd00", None, None, 0),
    ("~ae2fd00", None, None, 0),
    ("~ae2fd0x1", None, None, 0),
    ("ae2fd0ae2fd0", None, None, 0),
    (" ae2fd", None, None, 0),
    ("ä12345", None, None, 0),
    ("~zzzzzz", None, None, 0),
    ("789123", "CPA101", "B-HNR", 0),
    ("780abc", "CCA981", "B-2447", 0),
    ("400010", None, None, 0),
    ("43c123", "RRR4950", "ZZ336", 0),
    ("0d0abc", "AMX401", "XA-ABC", 0),
    ("c2abcd", "CFC2001", None, 0),
    ("7cf900", "ASY21", None, 0),
    ("7e1234", "QFA1", "VH-OQA", 0),
    ("f00001", None, None, 0),
    ("f09001", None, None, 0),
    ("3c4b26", "gaf881", None, 0),
    ("3c4b26", " GAF881", None, 0),
    ("3c4b26", "GAF881  ", None, 0),
    ("3c4b26", "\u017faf881", None, 0),
    ("3c4b26", "RCHXXX", None, 0),
    ("3c4b26", "DKRPK", "D-KRPK", 0),
    ("3c4b26", "GAF881", "GAF-881", 0),
    ("3c4b26", "GAF123456", None, 0),
    ("3c4b26", "SAM44", None, 0),
    ("3c4b26", "1GAF881", None, 0),
    ("a00001", "N1", "N1", 0),
    ("ae4bd7", "OMAHA11", "cbp-104", 1),
    ("ae4bd7", "OMAHA11", " CBP-108 ", 0),
    ("c01234", "CTG201", None, 0),
    ("38abcd", "CTM1234", None, 0),
    ("4b7123", "SUI001", None, 0),
    ("380123", "FGN7", None, 0),
    ("a0ffff", "DOI12", "N12", 3),
    ("000000", None, None, 0),
    ("ffffff", "UAE1", "A6-EDA", 0),
]


@pytest.mark.parametrize(
    "ident_factory",
    [
        Identifier,
        lambda: Identifier(
            military_ranges="vrs", watch_hexes={"a12345": "police", "~a55501": "military"}
        ),
        lambda: Identifier(use_db_flags=False, military_ranges="off", designators=False),
    ],
)
def test_identify_many_equals_identify(ident_factory: type[Identifier]) -> None:
    ident = ident_factory()
    hexes, callsigns, registrations, flags = (list(column) for column in zip(*BATCH, strict=True))
    expected = [ident.identify(*row) for row in BATCH]
    assert ident.identify_many(hexes, callsigns, registrations, flags) == expected


def test_identify_many_memo_follows_changed_rows(ident: Identifier) -> None:
    """Verdicts are memoised per row; a row whose callsign or flag changes is judged again."""
    first = ident.identify_many(["3c4b26", "a12345"], ["DLH4AB", None], [None, None], [0, 0])
    assert [v.category for v in first] == [Category.CIVIL, Category.CIVIL]
    again = ident.identify_many(["3c4b26", "a12345"], ["GAF881", None], [None, None], [0, 1])
    assert [v.category for v in again] == [Category.MILITARY, Category.MILITARY]
    assert again == [ident.identify("3c4b26", "GAF881"), ident.identify("a12345", None, None, 1)]
    ident.forget_rows()
    assert ident.identify_many(["3c4b26"], ["GAF881"], [None], [0]) == again[:1]


def _counting(ident: Identifier, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of rows identified afresh (not from the memo) by each call."""
    counts: list[int] = []
    batch = ident._identify_batch

    def counted(*columns: Any) -> list[Verdict]:
        counts.append(len(columns[0]))
        return batch(*columns)

    monkeypatch.setattr(ident, "_identify_batch", counted)
    return counts


def _rows(start: int, n: int) -> tuple[list[str], list[str | None], list[str | None], list[int]]:
    return [f"{a:06x}" for a in range(start, start + n)], [None] * n, [None] * n, [0] * n


def test_identify_many_memo_grows_with_the_feed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A snapshot larger than the memo's minimum size is not identified again on every
    poll: the memo sizes itself from the largest batch, and stays bounded."""
    monkeypatch.setattr("service.identify.identify._ROW_CACHE_LIMIT", 8)
    monkeypatch.setattr("service.identify.identify._CACHE_LIMIT", 8)
    ident = Identifier()
    counts = _counting(ident, monkeypatch)
    world = _rows(0xA00000, 50)
    expected = [ident.identify(h) for h in world[0]]
    assert ident.identify_many(*world) == expected
    assert ident.identify_many(*world) == expected
    # One new aircraft on the next poll: only it is identified, the others come back.
    churned = _rows(0xA00001, 50)
    assert ident.identify_many(*churned) == [ident.identify(h) for h in churned[0]]
    # A small feed between the polls of the large one does not push its rows out.
    ident.identify_many(*_rows(0x3C0000, 3))
    assert ident.identify_many(*churned) == [ident.identify(h) for h in churned[0]]
    assert counts == [50, 1, 3]
    # Bounded: new rows poll after poll never take it past twice the largest batch.
    for poll in range(10):
        ident.identify_many(*_rows(0x400000 + 50 * poll, 50))
        assert len(ident._row_verdicts) <= 100
        assert len(ident._address_verdicts) <= 100


def test_batch_exercises_every_category(ident: Identifier) -> None:
    assert {ident.identify(*row).category for row in BATCH} == set(Category)


def test_identify_many_edges(ident: Identifier) -> None:
    assert ident.identify_many([], [], [], []) == []
    with pytest.raises(ValueError, match="length"):
        ident.identify_many(["ae2fd0"], [], [None], [0])


# --- tables -------------------------------------------------------------------------


def test_tables_load_with_expected_sizes() -> None:
    assert len(country_blocks().blocks) == 207
    assert len(military_ranges("readsb").blocks) == 32  # the two disabled rows are left out
    assert len(military_ranges("vrs").blocks) == 414
    table = designators()
    assert len(table) == 125
    assert not {"SAM", "OAN", "FAC", "AGR", "GOA", "PTR", "DME", "PRD"} & set(table)
    assert {table[k].iso2 for k in ("CNV", "ASF", "RSD", "EEF", "LSV", "EVY", "WDG")} == {
        "US", "AT", "RU", "EE", "SI", "AU", "GB",
    }  # fmt: skip
    assert table["CGX"].kind is OperatorKind.COASTGUARD
    assert [p.regex.pattern for p in registration_patterns()] == ["^CBP-"]


def test_tables_are_immutable() -> None:
    with pytest.raises(TypeError):
        designators()["XXX"] = designators()["GAF"]  # type: ignore[index]
    index = country_blocks()
    with pytest.raises(ValueError, match="read-only"):
        index.bounds[0] = 1
    assert np.all(np.diff(index.bounds) > 0)


def test_tables_name_their_source() -> None:
    data = files("service.identify").joinpath("data")
    for name in (
        "icao_country_ranges.tsv",
        "military_ranges.tsv",
        "operator_designators.tsv",
        "registration_patterns.tsv",
    ):
        head = data.joinpath(name).read_text(encoding="utf-8").splitlines()[0:5]
        assert any("source" in line and "@" in line for line in head), name


def test_block_index_takes_the_smallest_block() -> None:
    index = BlockIndex.build(
        [
            AddressBlock(0x100, 0x1FF, "outer", "AA", "t"),
            AddressBlock(0x140, 0x14F, "inner", "BB", "t"),
            AddressBlock(0x200, 0x2FF, "next", "CC", "t"),
        ]
    )
    addresses = np.array([-1, 0x0FF, 0x100, 0x13F, 0x140, 0x14F, 0x150, 0x1FF, 0x200, 0x300])
    assert index.lookup(addresses).tolist() == [-1, -1, 0, 0, 1, 1, 0, 0, 2, -1]
    assert [index.find(int(a)) for a in addresses] == [
        index.blocks[i] if i >= 0 else None for i in index.lookup(addresses).tolist()
    ]


# --- the CLI helper -----------------------------------------------------------------


def test_identify_command_is_json() -> None:
    out = identify(Settings(), " AE2FD0 ", " TROY701 ", "CBP-113")
    assert json.loads(json.dumps(out)) == out
    assert out["hex"] == "ae2fd0"
    assert (out["category"], out["state"]) == ("government", "US")
    assert out["reasons"][0] == {  # type: ignore[index]
        "method": "registration_pattern",
        "detail": "CBP-113 matches ^CBP- (US Customs and Border Protection)",
    }
    assert identify(Settings(), "zzz", None, "")["category"] == "unknown"
