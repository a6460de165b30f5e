"""Reading a Parquet property file: the schema checked first, then only the
columns asked for and the row groups that may hold the prims asked for."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from usdbench.errors import UsdBenchError
from usdbench.parquet.arrays import bools, plain
from usdbench.parquet.schema import PATH_COLUMN, checked_prefix, key_columns, property_names


def read_table(
    path, columns: Sequence[str] | None = None, path_prefix=None
) -> tuple[pa.Table, np.ndarray]:
    """The ``path`` and property columns of a Parquet file, restricted to
    ``path_prefix``, with each row's 0-based row number in the file. Column
    names and types are checked before any data is read."""
    source = os.fspath(path)
    try:
        pf = pq.ParquetFile(source)
        schema = pf.schema_arrow
    except FileNotFoundError:
        raise UsdBenchError("no such file", file=source) from None
    except (pa.ArrowException, OSError) as error:
        raise UsdBenchError(f"not a readable Parquet file ({error})", file=source) from None
    names = property_names(schema, columns, source)
    prefix = checked_prefix(path_prefix, source)
    keys = key_columns(schema)
    groups = _row_groups_under(pf, prefix)
    metadata = pf.metadata
    starts = np.cumsum(
        [0] + [metadata.row_group(g).num_rows for g in range(metadata.num_row_groups)]
    )
    try:
        if groups:
            # With Arrow's CPU pool at one thread, decode on this thread:
            # handing the work to the pool's one thread gains nothing.
            threads = pa.cpu_count() > 1
            table = _read_in_batches(pf, groups, [*keys, *names], threads)
        else:
            table = schema.empty_table().select([*keys, *names])
    except (pa.ArrowException, OSError) as error:
        raise UsdBenchError(f"cannot read the Parquet data ({error})", file=source) from None
    rows = (
        np.concatenate([np.arange(starts[g], starts[g + 1]) for g in groups])
        if groups
        else np.zeros(0, np.int64)
    )
    if len(rows) != table.num_rows:  # a reader that disagrees with its own footer
        raise UsdBenchError("row count differs from the file's metadata", file=source)
    if prefix is not None:
        paths = plain(table[PATH_COLUMN])  # a categorical path column too
        under = pc.or_(pc.equal(paths, prefix), pc.starts_with(paths, prefix + "/"))
        under = pc.fill_null(under, False)
        table = table.filter(under)
        rows = rows[bools(under)]
    return table, rows


# Values (a list's elements, a vector's components) decoded per batch. Arrow
# decodes a nested column with levels and scratch buffers for all the rows
# it is asked for: read whole, 100 prims of 1,000 to 3,000 points held 6 MiB
# of them above the 3.8 MiB table. In batches of this many values they stay
# a fraction of the table.
_BATCH_VALUES = 1 << 18


def _read_in_batches(pf: pq.ParquetFile, groups: list[int], columns: list[str], threads: bool):
    """The row groups' columns as one table, decoded in batches of about
    _BATCH_VALUES values (by the rows' average; a row at least), chunked as
    they were decoded."""
    metadata = pf.metadata
    wanted = set(columns)
    values = rows = 0
    for g in groups:
        group = metadata.row_group(g)
        rows += group.num_rows
        for c in range(group.num_columns):
            chunk = group.column(c)
            if chunk.path_in_schema.split(".", 1)[0] in wanted:
                values += chunk.num_values
    batch_rows = max(1, _BATCH_VALUES * rows // max(values, 1))
    batches = list(
        pf.iter_batches(
            batch_size=batch_rows, row_groups=groups, columns=columns, use_threads=threads
        )
    )
    if not batches:
        return pf.schema_arrow.empty_table().select(columns)
    return pa.Table.from_batches(batches)


def _row_groups_under(pf: pq.ParquetFile, prefix: str | None) -> list[int]:
    """Row groups that may hold a path at or under ``prefix``, by the path
    column's min/max statistics. Every such path sorts in [prefix, prefix + '0')
    because '/' is the character just before '0'. Skipping pays off when the
    table is sorted by path (each group then spans a narrow range)."""
    metadata = pf.metadata
    groups = list(range(metadata.num_row_groups))
    if prefix is None:
        return groups
    column = (
        metadata.schema.names.index(PATH_COLUMN) if PATH_COLUMN in metadata.schema.names else -1
    )
    if column < 0:
        return groups
    low, high = prefix, prefix + "0"
    kept = []
    for g in groups:
        stats = metadata.row_group(g).column(column).statistics
        if stats is not None and stats.has_min_max:
            least, most = (_as_str(v) for v in (stats.min, stats.max))
            if least is not None and most is not None and (most < low or least >= high):
                continue
        kept.append(g)
    return kept


def _as_str(value) -> str | None:
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return None
    return value if isinstance(value, str) else None
