"""A two-level lookup grid that answers most point-in-country queries by array indexing.

The world is cut into 0.25° cells (720 x 1440). A cell that no border comes near lies
wholly inside one country or wholly outside all of them, so its answer is stored
outright. A cell that a border touches ("mixed") gets a block of 8 x 8 sub-cells of
1/32° (about 3.5 km) classified the same way; only points in a mixed sub-cell go on to
the exact polygon test. Uniformly spread points resolve 99.5 % of the time from the
arrays, points within 20 km of a border about 70 %.

Why the answers are exact: a cell is only called pure when no border segment's
bounding box, expanded by `MARGIN_DEG`, overlaps it. Such a cell (with its margin) is
connected and crosses no boundary, so every point in it shares the answer of its
centre, which the exact test provides at build time. The margin also covers rounding
in `lon + 180` when a point is binned, and a point exactly on a cell edge gets the
answer of either neighbour, both valid for it.

Codes in both arrays: a country index (>= 0), `OUTSIDE` (-1) for no country, and in
the coarse array `-2 - block` for a mixed cell whose sub-cells are `fine[block]`; in
the fine array `MIXED` (-2) sends the point to the exact test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Int32Array = npt.NDArray[np.int32]
Int16Array = npt.NDArray[np.int16]
GridArray = Int32Array | Int16Array
Locator = Callable[[FloatArray, FloatArray], Int32Array]

CELLS_PER_DEG: Final = 4  # coarse: 0.25°
SUB: Final = 8  # sub-cells per coarse cell side: 1/32°
FINE_PER_DEG: Final = CELLS_PER_DEG * SUB
ROWS: Final = 180 * CELLS_PER_DEG
COLS: Final = 360 * CELLS_PER_DEG
OUTSIDE: Final = -1
MIXED: Final = -2
# Far above the rounding of lon + 180 (~6e-14) and far below any vertex spacing.
MARGIN_DEG: Final = 1e-9
ARRAY_NAMES: Final = ("grid_coarse", "grid_fine")


@dataclass(frozen=True, slots=True)
class Grid:
    """The two arrays; see the module docstring for their codes."""

    coarse: Int32Array  # (ROWS, COLS); 32 bits because there are ~35,000 mixed cells
    fine: Int16Array  # (blocks, SUB, SUB)

    @classmethod
    def from_arrays(cls, arrays: dict[str, GridArray]) -> Grid:
        """The grid from the index file's arrays; ValueError if their shapes are wrong."""
        coarse, fine = arrays["grid_coarse"], arrays["grid_fine"]
        if coarse.shape != (ROWS, COLS) or fine.shape[1:] != (SUB, SUB):
            raise ValueError(f"grid shapes {coarse.shape} and {fine.shape} are not this format")
        return cls(
            coarse=coarse.astype(np.int32, copy=False), fine=fine.astype(np.int16, copy=False)
        )

    def arrays(self) -> dict[str, GridArray]:
        """The arrays to store in the index file, by name."""
        return {"grid_coarse": self.coarse, "grid_fine": self.fine}

    def lookup(self, lat: FloatArray, lon: FloatArray) -> Int32Array:
        """Country index, `OUTSIDE` or `MIXED` (exact test needed) for each point.

        Expects finite latitudes in [-90, 90] and longitudes in [-180, 180].
        """
        # Scaling by a power of two is exact, so the coarse cell is exactly the fine
        # cell divided by SUB and both levels agree on where a point lies.
        fine_col = np.clip(np.floor((lon + 180.0) * FINE_PER_DEG), 0, COLS * SUB - 1)
        fine_row = np.clip(np.floor((lat + 90.0) * FINE_PER_DEG), 0, ROWS * SUB - 1)
        fine_col_i, fine_row_i = fine_col.astype(np.intp), fine_row.astype(np.intp)
        code = self.coarse[fine_row_i // SUB, fine_col_i // SUB]
        mixed = np.flatnonzero(code <= MIXED)
        if mixed.size:
            block = -2 - code[mixed]
            code[mixed] = self.fine[block, fine_row_i[mixed] % SUB, fine_col_i[mixed] % SUB]
        return code


def _touched_fine_cells(coords: FloatArray, ring_offsets: IntArray) -> IntArray:
    """Flat indexes (row * COLS * SUB + col) of every fine cell a border may touch.

    Each ring segment is split into pieces no longer than half a fine cell in either
    direction; the union of the pieces' bounding boxes covers the segment, and a box
    that small overlaps at most 2 x 2 cells. Over-marking is harmless (those points
    just take the exact test); missing a cell is not, hence the margin.
    """
    starts = np.arange(ring_offsets[0], ring_offsets[-1] - 1)
    starts = starts[~np.isin(starts, ring_offsets[1:-1] - 1)]  # no pair across two rings
    x1, y1 = coords[starts, 0], coords[starts, 1]
    dx, dy = coords[starts + 1, 0] - x1, coords[starts + 1, 1] - y1
    half = 0.5 / FINE_PER_DEG
    pieces = np.maximum(1, np.ceil(np.maximum(np.abs(dx), np.abs(dy)) / half)).astype(np.int64)
    parent = np.repeat(np.arange(starts.size), pieces)
    step = np.arange(parent.size) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    t0, t1 = step / pieces[parent], (step + 1) / pieces[parent]
    ax, bx = x1[parent] + t0 * dx[parent], x1[parent] + t1 * dx[parent]
    ay, by = y1[parent] + t0 * dy[parent], y1[parent] + t1 * dy[parent]

    def bins(values: FloatArray, offset: float, count: int) -> IntArray:
        cells = np.floor((values + offset) * FINE_PER_DEG)
        return np.clip(cells, 0, count - 1).astype(np.int64)

    cols = COLS * SUB
    col_lo = bins(np.minimum(ax, bx) - MARGIN_DEG, 180.0, cols)
    col_hi = bins(np.maximum(ax, bx) + MARGIN_DEG, 180.0, cols)
    row_lo = bins(np.minimum(ay, by) - MARGIN_DEG, 90.0, ROWS * SUB)
    row_hi = bins(np.maximum(ay, by) + MARGIN_DEG, 90.0, ROWS * SUB)
    corners = [row * cols + col for row in (row_lo, row_hi) for col in (col_lo, col_hi)]
    return np.unique(np.concatenate(corners))


def _centres(rows: IntArray, cols: IntArray, per_deg: int) -> tuple[FloatArray, FloatArray]:
    """(lat, lon) of the centres of cells at `per_deg` cells per degree."""
    return (rows + 0.5) / per_deg - 90.0, (cols + 0.5) / per_deg - 180.0


def build_grid(coords: FloatArray, ring_offsets: IntArray, locate_exact: Locator) -> Grid:
    """Classify every cell; `locate_exact(lat, lon)` is the polygon test it must agree with.

    `coords` and `ring_offsets` hold every ring of every polygon (shapely's ragged
    layout). Takes a few seconds: the exact test runs once per pure cell's centre.
    """
    touched = _touched_fine_cells(coords, ring_offsets)
    fine_rows, fine_cols = np.divmod(touched, COLS * SUB)
    coarse_flat = (fine_rows // SUB) * COLS + fine_cols // SUB
    mixed_cells = np.unique(coarse_flat)

    coarse = np.empty(ROWS * COLS, dtype=np.int32)
    pure = np.setdiff1d(np.arange(ROWS * COLS), mixed_cells, assume_unique=True)
    coarse[pure] = locate_exact(*_centres(pure // COLS, pure % COLS, CELLS_PER_DEG))
    coarse[mixed_cells] = -2 - np.arange(mixed_cells.size)

    # Sub-cells of the mixed cells, block by block in the order of `mixed_cells`.
    sub_row, sub_col = np.divmod(np.arange(SUB * SUB), SUB)
    block_rows = (mixed_cells // COLS)[:, None] * SUB + sub_row[None, :]
    block_cols = (mixed_cells % COLS)[:, None] * SUB + sub_col[None, :]
    fine_flat = (block_rows * (COLS * SUB) + block_cols).ravel()
    fine = np.full(fine_flat.size, MIXED, dtype=np.int32)
    free = np.flatnonzero(~np.isin(fine_flat, touched))
    rows, cols = np.divmod(fine_flat[free], COLS * SUB)
    fine[free] = locate_exact(*_centres(rows, cols, FINE_PER_DEG))

    if int(fine.max()) > np.iinfo(np.int16).max:
        raise ValueError("too many countries for 16-bit grid codes")
    return Grid(
        coarse=coarse.reshape(ROWS, COLS),
        fine=fine.astype(np.int16).reshape(mixed_cells.size, SUB, SUB),
    )
