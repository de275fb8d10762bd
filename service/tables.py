"""Plain-text tables for the commands' reports (backtest, history)."""

from __future__ import annotations

from collections.abc import Collection, Sequence


def text_table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    right: Collection[int],
    *,
    rule: bool = False,
) -> list[str]:
    """The lines of a table: columns as wide as their widest cell, two spaces apart,
    the columns in `right` right-aligned (figures line up), the others left-aligned;
    with `rule`, a line of dashes under the header."""
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.rjust(width) if index in right else cell.ljust(width)
            for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    dashes = ["  ".join("-" * width for width in widths)] if rule else []
    return [line(header), *dashes, *(line(row) for row in rows)]
