"""The configuration loader, driven by generated files (Hypothesis): whatever the bytes,
only `ConfigError` escapes, and it never repeats a value from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.settings import DEFAULT_CONFIG, ConfigError, load_settings

FUZZ = settings(
    deadline=None,
    max_examples=150,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
SECRET = "zq-secret-9f3"  # the value of every variable: it must never be echoed
SHIPPED = yaml.safe_load(DEFAULT_CONFIG.read_text())
VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True)
    | st.text(max_size=30)
    | st.sampled_from(["${V}", "${V:-x}", "${V:?why}", "$${V}", "${UNSET}", "a${V}b"]),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=15,
)


def load(path: Path, text: bytes) -> None:
    path.write_bytes(text)
    try:
        load_settings(path, environ={"V": SECRET})
    except ConfigError as exc:
        assert SECRET not in str(exc)


@FUZZ
@given(st.binary(max_size=1024))
def test_any_bytes(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    load(tmp_path_factory.mktemp("c") / "config.yaml", data)


@FUZZ
@given(section=st.sampled_from(sorted(SHIPPED)), value=VALUES)
def test_the_shipped_file_with_one_section_replaced(
    tmp_path_factory: pytest.TempPathFactory, section: str, value: object
) -> None:
    document = {**SHIPPED, section: value}
    load(tmp_path_factory.mktemp("c") / "config.yaml", yaml.safe_dump(document).encode())
