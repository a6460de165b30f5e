"""A property table made ready to render: values checked, rows sorted by path,
and the prim tree each row's text needs (path components, depth, and the
depth shared with the row before)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from usdbench.errors import UsdBenchError
from usdbench.parquet.arrays import bools, plain
from usdbench.parquet.schema import PATH_COLUMN, SIMPLE_PRIM_PATH, TIME_COLUMN, path_problem
from usdbench.parquet.type_table import (
    LAYER_KEYS,
    column_type_name,
    flat_vector_size,
    is_list_type,
)


@dataclass
class Column:
    name: str
    type_name: str
    values: pa.Array


class PreparedTable:
    """A property table checked and sorted by path, with what the text needs:
    each row's path components, depth and depth shared with the row before.

    A time-series table (a ``time`` column) is sorted by path then time and
    checked (no null or NaN time, no (path, time) twice); its "rows" are then
    its prims (``paths``), prim i's samples being the sample rows
    ``sample_offsets[i]:sample_offsets[i + 1]`` of ``times`` and the columns'
    values."""

    def __init__(self, table: pa.Table, rows: np.ndarray, source: str):
        self.source = source
        self.sample_offsets = self.times = None
        paths = plain(table[PATH_COLUMN])
        if paths.type != pa.string():
            paths = paths.cast(pa.string())
        rows = np.asarray(rows, np.int64)
        self._check_paths(paths, rows)
        columns = []
        for name in table.column_names[1:]:
            if name == TIME_COLUMN:
                continue
            values = plain(table[name])
            bad = _null_element(values)
            if bad is not None:
                raise UsdBenchError(
                    "null element inside a list or vector (USD arrays and vectors cannot hold "
                    "nulls; a null list or vector is fine)",
                    file=source,
                    row=int(rows[bad]),
                    column=name,
                )
            field = table.schema.field(name)
            type_name, why = column_type_name(field)
            if type_name is None:
                raise UsdBenchError(why, file=source, column=name)
            k = flat_vector_size(field)
            if k is not None:
                values = _grouped(values, k, rows, name, source)
            columns.append(Column(name, type_name, values))
        self.layer_metadata = layer_metadata(table.schema, source)
        if TIME_COLUMN in table.column_names:
            paths, rows = self._series(paths, plain(table[TIME_COLUMN]), rows, columns)
            order = None
        else:
            order = self._path_order(paths, rows)
        if order is not None:
            paths = paths.take(order)
            rows = rows[np.asarray(order)]
            for column in columns:
                column.values = column.values.take(order)
        self.paths, self.rows, self.columns = paths, rows, columns
        self.num_rows = len(paths)
        self._build_tree()

    def release(self) -> None:
        """Drop the table's data (rendering is over)."""
        self.paths = self.components = self.times = None
        self.columns = []

    def _check_paths(self, paths: pa.StringArray, rows: np.ndarray) -> None:
        simple = pc.fill_null(pc.match_substring_regex(paths, SIMPLE_PRIM_PATH), False)
        if simple.false_count == 0:
            return
        for i in np.flatnonzero(~bools(simple)):
            problem = path_problem(paths[int(i)].as_py())
            if problem:
                raise UsdBenchError(problem, file=self.source, row=int(rows[i]), column=PATH_COLUMN)

    def _series(self, paths, times, rows, columns):
        """Sort a time-series table by (path, time), check its times, and
        return the prims' paths and first rows (see the class doc)."""
        if times.type != pa.float64():
            times = times.cast(pa.float64())
        bad = pc.fill_null(pc.invert(pc.is_finite(times)), True)
        if pc.any(bad).as_py():
            i = int(np.flatnonzero(bools(bad))[0])
            value = times[i].as_py()
            what = "a null time" if value is None else f"the time {value!r} (not a finite number)"
            raise UsdBenchError(
                f"{what}: every row of a time-series table needs a time code",
                file=self.source,
                row=int(rows[i]),
                column=TIME_COLUMN,
            )
        n = len(paths)
        if n >= 2:
            keys = pa.table({"path": paths, "time": times})
            order = pc.sort_indices(keys, sort_keys=[("path", "ascending"), ("time", "ascending")])
            paths, times = paths.take(order), times.take(order)
            rows = rows[np.asarray(order)]
            for column in columns:
                column.values = column.values.take(order)
        same_path = (
            bools(pc.equal(paths.slice(0, n - 1), paths.slice(1))) if n >= 2 else np.zeros(0, bool)
        )
        if n >= 2:
            twice = same_path & bools(pc.equal(times.slice(0, n - 1), times.slice(1)))
            if twice.any():
                k = int(np.flatnonzero(twice)[0])
                first, second = sorted((int(rows[k]), int(rows[k + 1])))
                raise UsdBenchError(
                    f"the prim path {paths[k].as_py()!r} has two rows at time {times[k].as_py()!r}",
                    file=self.source,
                    row=(first, second),
                    column=TIME_COLUMN,
                )
        starts = np.flatnonzero(np.concatenate([[True], ~same_path])) if n else np.zeros(0, int)
        self.sample_offsets = np.append(starts, n).astype(np.int64)
        self.times = times
        return paths.take(pa.array(starts, pa.int64())), rows[starts]

    def _path_order(self, paths: pa.StringArray, rows: np.ndarray):
        """The permutation sorting the paths (None if already sorted); raises on
        a duplicate. Sorted byte order is the prim tree's depth-first order
        because '/' sorts before every identifier character."""
        n = len(paths)
        if n < 2:
            return None
        if pc.all(pc.less(paths.slice(0, n - 1), paths.slice(1))).as_py():
            return None  # strictly increasing: sorted, no duplicate
        order = pc.sort_indices(paths)
        ordered = paths.take(order)
        same = pc.equal(ordered.slice(0, n - 1), ordered.slice(1))
        if pc.any(same).as_py():
            k = int(np.flatnonzero(bools(same))[0])
            first, second = sorted((int(rows[order[k].as_py()]), int(rows[order[k + 1].as_py()])))
            raise UsdBenchError(
                f"the prim path {ordered[k].as_py()!r} appears twice",
                file=self.source,
                row=(first, second),
                column=PATH_COLUMN,
            )
        return order

    def _build_tree(self) -> None:
        split = pc.split_pattern(self.paths, "/")  # ["", "World", "Prim_1"]
        self.offsets = np.asarray(split.offsets.to_numpy(), np.int64)
        self.components = split.values
        self.depth = np.diff(self.offsets) - 1
        n = self.num_rows
        # common[i]: how many leading components row i shares with row i - 1.
        self.common = np.zeros(n, np.int64)
        if n < 2:
            return
        alive = np.ones(n - 1, bool)
        for level in range(1, int(self.depth.max()) + 1):
            both = np.flatnonzero(alive & (self.depth[1:] >= level) & (self.depth[:-1] >= level))
            if len(both) == 0:
                break
            here = self.components.take(pa.array(self.offsets[1:][both] + level))
            before = self.components.take(pa.array(self.offsets[:-1][both] + level))
            same = bools(pc.equal(here, before))
            alive[:] = False
            alive[both[same]] = True
            self.common[1:] += alive


def _grouped(values: pa.Array, k: int, rows, name: str, source: str) -> pa.Array:
    """A flat list of k * n numbers per row as a list of n k-vectors."""
    lengths = np.asarray(pc.fill_null(pc.list_value_length(values), 0).to_numpy(), np.int64)
    bad = np.flatnonzero(lengths % k)
    if len(bad):
        raise UsdBenchError(
            f"a list of {lengths[bad[0]]} numbers declared as an array of {k}-vectors "
            f"(its length must be a multiple of {k})",
            file=source,
            row=int(rows[bad[0]]),
            column=name,
        )
    offsets = np.concatenate([[0], np.cumsum(lengths // k)])
    vectors = pa.FixedSizeListArray.from_arrays(plain(values.flatten()), k)
    builder = pa.LargeListArray if offsets[-1] >= 2**31 else pa.ListArray
    kind = np.int64 if builder is pa.LargeListArray else np.int32
    return builder.from_arrays(
        pa.array(offsets.astype(kind)),
        vectors,
        mask=values.is_null() if values.null_count else None,
    )


def _null_element(values: pa.Array) -> int | None:
    """Index of the first row whose list or vector holds a null element."""
    t = values.type
    if pa.types.is_fixed_size_list(t):
        k = t.list_size
        children = values.values.slice(values.offset * k, len(values) * k)
        bad = pc.and_(children.is_null(), pa.array(np.repeat(values.is_valid(), k)))
        hits = np.flatnonzero(bools(bad))
        return int(hits[0] // k) if len(hits) else None
    if is_list_type(t):
        flat = values.flatten()
        parents = pc.list_parent_indices(values)
        hits = np.flatnonzero(bools(flat.is_null()))
        if len(hits):
            return int(parents[int(hits[0])].as_py())
        inner = _null_element(plain(flat))
        return None if inner is None else int(parents[inner].as_py())
    return None


def layer_metadata(schema: pa.Schema, source: str) -> dict[str, object]:
    """The layer metadata the file's key-value metadata gives (usd:defaultPrim,
    usd:upAxis, usd:metersPerUnit, usd:documentation), checked as the native
    reader checks it: {layer field: value}."""
    from pxr import Sdf

    raw = schema.metadata or {}
    found = {}
    for key in LAYER_KEYS:
        value = raw.get(key.encode())
        if value is not None:
            found[key] = value.decode("utf-8", "replace")
    fields: dict[str, object] = {}
    prim = found.get("usd:defaultPrim", "")
    if prim:
        if not Sdf.Path.IsValidIdentifier(prim):
            raise UsdBenchError(
                f"file metadata usd:defaultPrim {prim!r} is not a valid prim name", file=source
            )
        fields["defaultPrim"] = prim
    if found.get("usd:upAxis"):
        fields["upAxis"] = found["usd:upAxis"]
    if "usd:metersPerUnit" in found:
        text = found["usd:metersPerUnit"]
        try:
            meters = float(text)
        except ValueError:
            meters = float("nan")
        if not meters > 0 or text.strip() != text or not text:
            raise UsdBenchError(
                f"file metadata usd:metersPerUnit {text!r} is not a positive number",
                file=source,
            )
        fields["metersPerUnit"] = meters
    if "usd:documentation" in found:
        fields["documentation"] = found["usd:documentation"]
    return fields
