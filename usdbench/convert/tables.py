"""The moved values as Parquet tables: a defaults table (``path`` + a column
per attribute, null where a prim has no value) and a time-series table
(``path``, ``time`` + a column per attribute, null where there is no
sample), the layouts both Parquet readers take (issue 23).

A column holds one USD type. An attribute name authored with two types (a
``inputs:file`` that is an asset on one prim and a token on another) gets
a second table of that kind, so that no value has to stay behind for it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from usdbench.convert.columns import NUMBER_BYTES, ColumnType, column_type, to_arrow
from usdbench.convert.split import Column, Split
from usdbench.errors import UsdBenchError
from usdbench.formats import Format
from usdbench.parquet.schema import PATH_COLUMN, TIME_COLUMN
from usdbench.writers import write_parquet

# Row groups of about this many bytes of values, at most MAX_GROUP_ROWS rows
# (the suite's Parquet files read fastest, lazily, with groups of 1,000 rows).
GROUP_BYTES = 8 * 2**20
MAX_GROUP_ROWS = 1_000
COMPRESSION = "zstd"


@dataclass
class TableFile:
    """One written table: its file, kind (defaults or series), and what it holds."""

    path: Path
    kind: str
    rows: int
    columns: int
    values: int  # defaults or time samples
    value_bytes: int  # the values' data (numbers by size, text by UTF-8 length)
    file_bytes: int


def _partitions(columns: dict) -> list[list[Column]]:
    """Columns grouped so that each group names an attribute once: the
    first type authored for a name in the first group, a second in the next."""
    groups: list[list[Column]] = []
    seen: dict[str, int] = {}
    for (name, _), column in columns.items():
        index = seen.get(name, 0)
        seen[name] = index + 1
        while len(groups) <= index:
            groups.append([])
        groups[index].append(column)
    return groups


def _data_bytes(ctype: ColumnType, array: pa.Array) -> int:
    leaves = array
    while (
        pa.types.is_list(leaves.type)
        or pa.types.is_large_list(leaves.type)
        or (pa.types.is_fixed_size_list(leaves.type))
    ):
        leaves = leaves.flatten()
    if ctype.kind in ("string", "asset"):
        return int(pc.sum(pc.binary_length(leaves)).as_py() or 0)
    return len(leaves) * NUMBER_BYTES[ctype.element]


def _scatter(dense: pa.Array, positions: np.ndarray, rows: int) -> pa.Array:
    """``dense`` (one value per position) spread over ``rows`` rows, nulls elsewhere."""
    if len(positions) == rows:
        order = np.empty(rows, np.int64)
        order[positions] = np.arange(rows)
        if np.array_equal(order, np.arange(rows)):
            return dense
        return dense.take(pa.array(order))
    index = np.full(rows, -1, np.int64)
    index[positions] = np.arange(len(positions))
    return dense.take(pa.array(index, mask=index < 0))


def _row_group_rows(table: pa.Table) -> int:
    per_row = max(1, table.nbytes // max(1, table.num_rows))
    return max(1, min(MAX_GROUP_ROWS, GROUP_BYTES // per_row))


def _write(table: pa.Table, path: Path) -> int:
    fmt = Format("convert", "parquet", COMPRESSION, _row_group_rows(table), "native")
    write_parquet(table, fmt, path)
    return path.stat().st_size


def _columns_table(keys: dict, group: list[Column], row_of) -> tuple[pa.Table, int, int]:
    """The key columns ``keys`` plus ``group``'s columns, each value at the
    row ``row_of(column)`` gives; with the values' count and data bytes."""
    rows = len(next(iter(keys.values())))
    arrays, fields = list(keys.values()), [pa.field(k, a.type) for k, a in keys.items()]
    values = nbytes = 0
    for column in group:
        ctype, _ = column_type(column.type_name)
        try:
            dense = to_arrow(ctype, column.values)
        except (TypeError, ValueError, pa.ArrowException) as error:
            # A value Sdf holds under this type name but not of its type.
            raise UsdBenchError(
                f"a {column.type_name} value does not convert to Arrow: {error}",
                column=column.name,
            ) from None
        values += len(dense)
        nbytes += _data_bytes(ctype, dense)
        arrays.append(_scatter(dense, row_of(column), rows))
        fields.append(ctype.field(column.name, arrays[-1].type))
        column.values = None  # the USD values are freed as soon as they are Arrow
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields)), values, nbytes


def write_defaults(split: Split, folder: Path, stem: str) -> list[TableFile]:
    out = []
    paths = np.array(split.default_paths, dtype=object)
    for index, group in enumerate(_partitions(split.defaults)):
        used = _default_rows(group)
        keys = {PATH_COLUMN: pa.array(paths[used].tolist(), pa.string())}

        def row_of(column: Column, used=used) -> np.ndarray:
            return np.searchsorted(used, np.asarray(column.rows, np.int64))

        table, values, nbytes = _columns_table(keys, group, row_of)
        path = folder / f"{stem}.defaults{_suffix(index)}.parquet"
        size = _write(table, path)
        out.append(TableFile(path, "defaults", table.num_rows, len(group), values, nbytes, size))
    return out


def write_series(split: Split, folder: Path, stem: str) -> list[TableFile]:
    out = []
    paths = [p for p, _ in split.sample_prims]
    all_times = np.unique(np.fromiter((t for _, ts in split.sample_prims for t in ts), np.float64))
    width = max(1, len(all_times))

    def keys_of(column: Column) -> np.ndarray:
        prim = np.fromiter((r for r, _ in column.rows), np.int64, len(column.rows))
        time = np.fromiter((t for _, t in column.rows), np.float64, len(column.rows))
        return prim * width + np.searchsorted(all_times, time)

    for index, group in enumerate(_partitions(split.samples)):
        column_keys = [keys_of(c) for c in group]
        used = np.unique(np.concatenate(column_keys))
        keys = {
            PATH_COLUMN: pa.array([paths[i] for i in (used // width).tolist()], pa.string()),
            TIME_COLUMN: pa.array(all_times[used % width], pa.float64()),
        }
        by_column = {id(c): k for c, k in zip(group, column_keys, strict=True)}

        def row_of(column: Column, used=used, by_column=by_column) -> np.ndarray:
            return np.searchsorted(used, by_column[id(column)])

        table, values, nbytes = _columns_table(keys, group, row_of)
        path = folder / f"{stem}.series{_suffix(index)}.parquet"
        size = _write(table, path)
        out.append(TableFile(path, "series", table.num_rows, len(group), values, nbytes, size))
    return out


def _suffix(index: int) -> str:
    return "" if index == 0 else f"-{index + 1}"


def _default_rows(group: list[Column]) -> np.ndarray:
    """The defaults rows (prims) a table of ``group``'s columns holds, sorted."""
    return np.unique(np.concatenate([np.asarray(c.rows, np.int64) for c in group]))


def table_prims(split: Split) -> list[list[str]]:
    """The prim paths with a row in each table ``write_series`` and
    ``write_defaults`` write, in the order they return the tables (the
    order the root lists them: the strongest first)."""
    out = []
    for group in _partitions(split.samples):
        rows = [np.fromiter((r for r, _ in c.rows), np.int64, len(c.rows)) for c in group]
        prims = np.unique(np.concatenate(rows))
        out.append([split.sample_prims[i][0] for i in prims.tolist()])
    for group in _partitions(split.defaults):
        out.append([split.default_paths[i] for i in _default_rows(group).tolist()])
    return out
