"""User identification data: plane-alert-db lists, watch regexes, designator additions."""

from __future__ import annotations

from pathlib import Path

import pytest
import structlog
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.app import build_identifier
from service.identify import Identifier
from service.identify.lists import ListError, check_header, load_list, load_lists
from service.identify.tables import Designator, OperatorKind
from service.models import Category, Reason
from service.settings import ConfigError, load_settings

HEADER = (
    "$ICAO,$Registration,$Operator,$Type,$ICAO Type,#CMPG,$Tag 1,$#Tag 2,$#Tag 3,Category,$#Link"
)
# Made-up rows in the plane-alert-db layout (not copied from the database).
ROWS = [
    "AE4BD7,CBP-104,U.S. Customs and Border Protection,MQ-9,Q9,Gov,Omaha,,,Governments,",
    "3C4B26,D-ABCD,Example Charter GmbH,Learjet 45,LJ45,Civ,Biz,,,Jet Setters,https://example.invalid",
    "10166,RA-00001,Example Police,Mil Mi-8,MI8,Pol,Police,,,Police Forces,",  # lost leading 0
    "a12345,N12345,Example Navy,Boeing P-8,P8,mil,Navy,,,Other Navies,",  # lower case
    "ZZZZZZ,X,Bad Hex,,,Mil,,,,,",
    "ABCDEF,X,Bad CMPG,,,Army,,,,,",
    "C01234",
    "",
    "AE4BD7,CBP-999,Repeated row,,,Mil,,,,,",
]


def write_list(path: Path, rows: list[str], *, bom: bool = False, header: str = HEADER) -> Path:
    text = "\n".join([header, *rows]) + "\n"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


@pytest.fixture
def list_path(tmp_path: Path) -> Path:
    return write_list(tmp_path / "my-alerts.csv", ROWS, bom=True)


def test_reads_rows_and_skips_malformed_ones_with_warnings(list_path: Path) -> None:
    with structlog.testing.capture_logs() as logs:
        loaded = load_list(list_path)
    assert sorted(f"{a:06X}" for a in loaded.entries) == ["010166", "3C4B26", "A12345", "AE4BD7"]
    entry = loaded.entries[0xAE4BD7]
    assert (entry.category, entry.cmpg, entry.registration) == (
        Category.GOVERNMENT,
        "Gov",
        "CBP-104",
    )
    assert (entry.operator, entry.tag, entry.line) == (
        "U.S. Customs and Border Protection",
        "Governments",
        2,
    )
    assert loaded.entries[0x010166].category is Category.POLICE
    assert loaded.entries[0xA12345].category is Category.MILITARY
    assert [line for line, _ in loaded.skipped] == [6, 7, 8]
    assert "bad ICAO hex" in loaded.skipped[0][1] and "CMPG" in loaded.skipped[1][1]
    assert loaded.duplicates == 1  # the first row of AE4BD7 wins
    warnings = [e for e in logs if e["event"] == "identify.list_row_skipped"]
    assert [(w["file"], w["line"]) for w in warnings] == [(str(list_path), n) for n in (6, 7, 8)]
    assert all(w["log_level"] == "warning" for w in warnings)


def test_header_directives_and_column_order_do_not_matter(tmp_path: Path) -> None:
    path = write_list(tmp_path / "min.csv", ["Gov,ae2fd0"], header=" #CMPG , $ICAO ")
    assert load_list(path).entries[0xAE2FD0].category is Category.GOVERNMENT


@pytest.mark.parametrize("header", ["hex,category", "$ICAO,$Registration", ""])
def test_a_file_without_icao_and_cmpg_is_an_error(tmp_path: Path, header: str) -> None:
    path = write_list(tmp_path / "bad.csv", [], header=header)
    with pytest.raises(ListError, match=r"bad\.csv.*(ICAO|CMPG)"):
        load_list(path)
    with pytest.raises(ListError, match=r"bad\.csv"):
        check_header(path)
    with pytest.raises(ListError, match="cannot read"):
        check_header(tmp_path / "missing.csv")


def test_earlier_lists_win(tmp_path: Path) -> None:
    first = write_list(tmp_path / "a.csv", ["AE4BD7,,,,,Pol,,,,,"])
    second = write_list(tmp_path / "b.csv", ["AE4BD7,,,,,Mil,,,,,", "AE0001,,,,,Mil,,,,,"])
    lists = load_lists([first, second])
    ident = Identifier(lists=lists)
    assert ident.identify("ae4bd7").category is Category.POLICE
    assert ident.identify("ae0001").reasons[0].detail == "AE0001 listed in b.csv line 3: Mil"
    assert lists[1].duplicates == 1


def test_list_has_top_precedence_and_keeps_the_state_of_other_evidence(list_path: Path) -> None:
    ident = Identifier(lists=load_lists([list_path]))
    verdict = ident.identify("ae4bd7", "OMAHA11", "CBP-104", db_flags=1)
    assert (verdict.category, verdict.state, verdict.confidence) == (
        Category.GOVERNMENT,
        "US",
        1.0,
    )
    assert verdict.reasons[0] == Reason(
        "user_list",
        "AE4BD7 listed in my-alerts.csv line 2: Gov, U.S. Customs and Border Protection, "
        "Governments",
    )
    # A listed civil aircraft stays civil even with a military callsign, and says why.
    civil = ident.identify("3c4b26", "GAF881")
    assert (civil.category, civil.state, civil.confidence, civil.weak) == (
        Category.CIVIL,
        "DE",
        1.0,
        False,
    )
    assert [r.method for r in civil.reasons] == [
        "user_list",
        "operator_designator",
        "address_block",
    ]
    # The padded hex matches the feed's 010166; its state is its address block's (RU).
    assert ident.identify("010166").category is Category.POLICE
    assert ident.identify("~a12345").category is Category.UNKNOWN  # lists hold ICAO addresses


def test_watch_registrations_and_callsigns() -> None:
    ident = Identifier(
        watch_registrations={r"^N9\d\dNA$": "government"},
        watch_callsigns={"^(SPAR|VENUS)": "government", "^OMAHA": "police"},
    )
    verdict = ident.identify("a12345", "AAL1", "n901na")
    assert (verdict.category, verdict.state, verdict.confidence) == (
        Category.GOVERNMENT,
        "US",
        1.0,
    )
    assert verdict.reasons[0] == Reason(
        "watch_registration", r"N901NA matches ^N9\d\dNA$ (identify.watch_registrations)"
    )
    verdict = ident.identify("a12345", " omaha11 ")
    assert verdict.category is Category.POLICE
    assert verdict.reasons[0].detail == "OMAHA11 matches ^OMAHA (identify.watch_callsigns)"
    assert ident.identify("a12345", "SWA12").category is Category.CIVIL


def test_bad_watch_regex_or_category_in_the_identifier() -> None:
    with pytest.raises(ValueError, match="watch_callsigns"):
        Identifier(watch_callsigns={"(": "military"})
    with pytest.raises(ValueError, match="watch_registrations"):
        Identifier(watch_registrations={"^N": "civil"})


def test_designator_additions_and_exclusions() -> None:
    added = Designator("XYZ", "", "Example Air Force", "ZA", OperatorKind.MILITARY, "test")
    ident = Identifier(designators_add={"XYZ": added}, designators_exclude=["gaf"])
    verdict = ident.identify("008001", "XYZ12")
    assert (verdict.category, verdict.state) == (Category.MILITARY, "ZA")
    assert verdict.reasons[0] == Reason("operator_designator", "XYZ Example Air Force")
    assert ident.identify("3c4b26", "GAF881").category is Category.CIVIL
    assert ident.identify("ae1234", "RCH245").reasons[0].method == "operator_designator"
    assert Identifier().identify("008001", "XYZ12").category is Category.CIVIL


def test_identify_many_equals_identify_with_user_data(list_path: Path) -> None:
    ident = Identifier(
        lists=load_lists([list_path]),
        watch_registrations={"^N1": "police"},
        watch_callsigns={"^TROY": "government"},
        designators_exclude=["RCH"],
    )
    rows = [
        ("ae4bd7", None, None, 0),
        ("3c4b26", "GAF881", None, 0),
        ("010166", None, None, 0),
        ("a12345", None, "N12345", 0),
        ("a00001", "TROY701", None, 0),
        ("ae1234", "RCH245", None, 0),
        ("c01234", None, None, 0),
        ("~ae4bd7", None, None, 0),
        ("zzz", "TROY1", "N1", 0),
    ]
    columns = [list(column) for column in zip(*rows, strict=True)]
    assert ident.identify_many(*columns) == [ident.identify(*row) for row in rows]


# --- configuration ------------------------------------------------------------------


def write_config(tmp_path: Path, identify: dict[str, object]) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"identify": identify}))
    return path


def test_config_builds_the_identifier(tmp_path: Path, list_path: Path) -> None:
    config = write_config(
        tmp_path,
        {
            "lists": [str(list_path)],
            "watch_registrations": {"^N9": "government"},
            "watch_callsigns": {"^OMAHA": "police"},
            "designators_add": {"xyz": {"iso2": "za", "category": "military", "name": "ZAF"}},
            "designators_exclude": ["gaf"],
        },
    )
    settings = load_settings(config)
    assert list(settings.identify.designators_add) == ["XYZ"]
    assert settings.identify.designators_add["XYZ"].iso2 == "ZA"
    ident = build_identifier(settings)
    assert ident.identify("ae4bd7").category is Category.GOVERNMENT
    assert ident.identify("a00001", "OMAHA1").category is Category.POLICE
    assert ident.identify("a00001", None, "N901").category is Category.GOVERNMENT
    assert ident.identify("008001", "XYZ1").state == "ZA"
    # GAF is excluded, and 3C4B26 is a listed civil aircraft anyway.
    assert ident.identify("3c4b26", "GAF881").reasons[1:] == (
        Reason("address_block", "3C4B26 in 3C0000-3FFFFF Germany"),
    )


@pytest.mark.parametrize(
    ("identify", "message"),
    [
        (
            {"watch_registrations": {"CBP-(": "government"}},
            r"identify\.watch_registrations.*CBP-\(",
        ),
        ({"watch_callsigns": {"^X": "civil"}}, r"identify\.watch_callsigns.*military, government"),
        ({"watch": {"ae2fd0": "civil"}}, r"identify\.watch.*military, government"),
        ({"designators_add": {"AB": {"iso2": "US", "category": "military"}}}, "designators_add"),
        ({"designators_add": {"ABC": {"iso2": "USA", "category": "military"}}}, "iso2"),
        ({"designators_add": {"ABC": {"iso2": "US", "category": "civil"}}}, "category"),
        ({"designators_exclude": ["SAM1"]}, r"identify\.designators_exclude"),
        ({"lists": ["/nonexistent/alerts.csv"]}, r"identify\.lists.*alerts\.csv"),
        ({"candidates_max": 0}, r"identify\.candidates_max"),
    ],
)
def test_config_errors_name_the_key(
    tmp_path: Path, identify: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(write_config(tmp_path, identify))


def test_list_without_required_columns_fails_at_config_load(tmp_path: Path) -> None:
    bad = write_list(tmp_path / "wrong.csv", ["1,2"], header="hex,kind")
    with pytest.raises(ConfigError, match=r"identify\.lists.*wrong\.csv.*ICAO"):
        load_settings(write_config(tmp_path, {"lists": [str(bad)]}))


@settings(
    deadline=None, max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    header=st.sampled_from(["$ICAO,$Registration,#CMPG\n", "ICAO,CMPG\n", ""]),
    body=st.binary(max_size=1024),
)
def test_any_list_file_loads_or_raises_only_list_error(
    tmp_path_factory: pytest.TempPathFactory, header: str, body: bytes
) -> None:
    path = tmp_path_factory.mktemp("lists") / "list.csv"
    path.write_bytes(header.encode() + body)
    try:
        loaded = load_list(path)
    except ListError:
        return
    for line, reason in loaded.skipped:
        assert line >= 1 and len(reason) < 200
