"""The Python Parquet sublayer loader: a Parquet property table as USD layers.

Schema (the convention of the public C++ Parquet plugin): one row per prim, a
``path`` column of absolute prim paths and one column per property, named as
the attribute, whose Arrow type gives the USD type (see ``usd_type_name``).
Each row becomes an ``over`` prim (ancestors included) carrying its non-null
values as attribute defaults; a null is no opinion.

Why it is fast (facts in ../shared/notes/usd-and-parquet.md): the table is
rendered to usda text by vectorised pyarrow compute (no Python step per row
or value), written to a file in /dev/shm and parsed by USD's text parser. That
is ~4x cheaper per spec than the Sdf API and ~6x cheaper than
``ImportFromString``, and the parse releases the GIL, so the parts of a large
table parse in parallel threads (``load_layers``).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pxr import Sdf, Tf

from usdbench.errors import UsdBenchError

PATH_COLUMN = "path"
USDA_HEADER = "#usda 1.0\n"

# Rows rendered per text array: keeps each array far below Arrow's 2 GiB
# string limit and the transient text memory small (~20 MB here).
_CHUNK_ROWS = 32_768
# Tables smaller than this per extra part are parsed as one part: a thread
# and an extra sublayer cost more than they save.
_MIN_PART_ROWS = 10_000

_SCALAR_TYPES: dict[pa.DataType, str] = {
    pa.float64(): "double",
    pa.float32(): "float",
    pa.float16(): "half",
    pa.int8(): "int",
    pa.int16(): "int",
    pa.int32(): "int",
    pa.int64(): "int64",
    pa.uint8(): "uchar",
    pa.uint16(): "uint",
    pa.uint32(): "uint",
    pa.uint64(): "uint64",
    pa.bool_(): "bool",
    pa.string(): "string",
    pa.large_string(): "string",
}
if hasattr(pa, "string_view"):
    _SCALAR_TYPES[pa.string_view()] = "string"
# Element types of fixed_size_list<T, 2|3|4> -> the matching Gf vector type.
_VECTOR_BASES: dict[pa.DataType, str] = {
    pa.float64(): "double",
    pa.float32(): "float",
    pa.float16(): "half",
    pa.int8(): "int",
    pa.int16(): "int",
    pa.int32(): "int",
}
# Absolute prim paths of ASCII identifiers: checked in one vectorised pass;
# only rows that miss it (bad input, or UTF-8 names) are checked one by one.
_SIMPLE_PRIM_PATH = r"^(/[A-Za-z_][A-Za-z0-9_]*)+$"


# -- public API --------------------------------------------------------------


def usd_type_name(arrow_type: pa.DataType) -> str | None:
    """The USD value type name (``double``, ``float3``, ``int[]``...) an Arrow
    column type maps to, or None if the loader does not support it."""
    t = _undictionary(arrow_type)
    if t in _SCALAR_TYPES:
        return _SCALAR_TYPES[t]
    if pa.types.is_fixed_size_list(t):
        base = _VECTOR_BASES.get(t.value_type)
        return f"{base}{t.list_size}" if base and 2 <= t.list_size <= 4 else None
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        inner = _undictionary(t.value_type)
        if pa.types.is_list(inner) or pa.types.is_large_list(inner):
            return None  # USD has no arrays of arrays
        element = usd_type_name(inner)
        return f"{element}[]" if element else None
    return None


def load_layer(path, columns: Sequence[str] | None = None, path_prefix=None) -> Sdf.Layer:
    """The Parquet file at ``path`` as one anonymous layer of ``over`` prims.

    ``columns``: load only these properties (Parquet column projection; the
    ``path`` column is always read). ``path_prefix``: load only the prims at or
    under this prim path; row groups whose ``path`` statistics exclude it are
    not read. Bad input raises UsdBenchError naming the file, row or column.
    """
    return load_layers(path, columns, path_prefix, parts=1)[0]


def load_layers(
    path, columns: Sequence[str] | None = None, path_prefix=None, parts: int | None = None
) -> list[Sdf.Layer]:
    """Like ``load_layer``, but as ``parts`` anonymous layers (contiguous runs of
    rows in path order, parsed in parallel threads; default: one per core for
    large tables). Stacked as sublayers in any order they compose to exactly
    the content of ``load_layer``: no property is in two parts."""
    source = os.fspath(path)
    # Only the _Prepared holds the table: _parse_parts frees it once rendered.
    prepared = _Prepared(*read_table(source, columns, path_prefix), source)
    return _parse_parts(prepared, parts, os.path.basename(source))


def table_to_usda(table: pa.Table, source: str = "<table>") -> str:
    """A validated property table (``path`` + property columns) as the text of
    one complete usda layer of ``over`` prims, exactly what ``load_layer`` would
    build from the same table. Bad input raises UsdBenchError naming
    ``source``."""
    prepared = _Prepared(_checked_schema_table(table, source), np.arange(table.num_rows), source)
    out = io.BytesIO()
    _write_part(prepared, 0, prepared.num_rows, out)
    return out.getvalue().decode("utf-8")


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
    names = _property_names(schema, columns, source)
    prefix = _checked_prefix(path_prefix, source)
    groups = _row_groups_under(pf, prefix)
    metadata = pf.metadata
    starts = np.cumsum(
        [0] + [metadata.row_group(g).num_rows for g in range(metadata.num_row_groups)]
    )
    try:
        if groups:
            table = pf.read_row_groups(groups, columns=[PATH_COLUMN, *names], use_threads=True)
        else:
            table = schema.empty_table().select([PATH_COLUMN, *names])
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
        paths = _plain(table[PATH_COLUMN])  # a categorical path column too
        under = pc.or_(pc.equal(paths, prefix), pc.starts_with(paths, prefix + "/"))
        under = pc.fill_null(under, False)
        table = table.filter(under)
        rows = rows[_bools(under)]
    return table, rows


# -- reading and checking ------------------------------------------------------


def _undictionary(t: pa.DataType) -> pa.DataType:
    return t.value_type if pa.types.is_dictionary(t) else t


def _is_string_type(t: pa.DataType) -> bool:
    return _SCALAR_TYPES.get(_undictionary(t)) == "string"


def _property_names(schema: pa.Schema, columns, source: str) -> list[str]:
    """The property columns to load, checked (names, types) against the schema."""
    counts = Counter(schema.names)
    for name, count in counts.items():
        if count > 1:
            raise UsdBenchError(f"{count} columns have this name", file=source, column=name)
    if PATH_COLUMN not in counts:
        raise UsdBenchError(
            "no 'path' column: a property table needs one row per prim with its path",
            file=source,
            column=PATH_COLUMN,
        )
    if columns is None:
        # pandas stores a non-default index as extra columns: they are not properties.
        index = (schema.pandas_metadata or {}).get("index_columns", [])
        skip = {PATH_COLUMN, *(i for i in index if isinstance(i, str))}
        names = [n for n in schema.names if n not in skip]
    else:
        if isinstance(columns, str):
            raise UsdBenchError(f"columns must be a list of names, not the string {columns!r}")
        names = list(dict.fromkeys(c for c in columns if c != PATH_COLUMN))
        for name in names:
            if name not in counts:
                raise UsdBenchError("no such column in the file", file=source, column=name)
    _check_path_type(schema.field(PATH_COLUMN).type, source)
    for name in names:
        _check_property(name, schema.field(name).type, source)
    return names


def _check_path_type(t: pa.DataType, source: str) -> None:
    if not _is_string_type(t):
        raise UsdBenchError(
            f"the path column must hold strings, not Arrow type {t}",
            file=source,
            column=PATH_COLUMN,
        )


def _check_property(name: str, t: pa.DataType, source: str) -> None:
    if not Sdf.Path.IsValidNamespacedIdentifier(name):
        raise UsdBenchError(
            "not a valid USD property name (letters, digits and _, not starting with a "
            "digit; namespaces separated by ':')",
            file=source,
            column=name,
        )
    if usd_type_name(t) is None:
        raise UsdBenchError(
            f"unsupported Arrow type {t} (supported: numbers, bool, strings, dictionaries of "
            "them, fixed_size_list of 2-4 float/double/int, lists of those)",
            file=source,
            column=name,
        )


def _checked_schema_table(table: pa.Table, source: str) -> pa.Table:
    """table_to_usda's input, checked like a Parquet file's schema."""
    if not isinstance(table, pa.Table):
        raise UsdBenchError(f"expected a pyarrow Table, got {type(table).__name__}", file=source)
    names = _property_names(table.schema, None, source)
    return table.select([PATH_COLUMN, *names])


def _checked_prefix(path_prefix, source: str) -> str | None:
    """The prefix as a string, None for 'everything'."""
    if path_prefix is None:
        return None
    prefix = str(path_prefix)
    if prefix == "/":
        return None
    problem = _path_problem(prefix)
    if problem:
        raise UsdBenchError(f"path_prefix: {problem}", file=source)
    return prefix


def _path_problem(path) -> str | None:
    """Why ``path`` is not an absolute prim path, or None if it is one."""
    if path is None:
        return "null path"
    if path == "":
        return "empty path"
    valid = Sdf.Path.IsValidPathString(path)
    ok, why = valid if isinstance(valid, tuple) else (valid, "")
    if not ok:
        why = f" ({why.strip()})" if why.strip() else ""
        return f"{path!r} is not a valid USD path{why}"
    sdf_path = Sdf.Path(path)
    if not sdf_path.IsAbsolutePath():
        return f"{path!r} is a relative path; expected an absolute prim path like /World/Prim"
    if sdf_path.ContainsPrimVariantSelection():
        return f"{path!r} contains a variant selection; expected a plain prim path"
    if sdf_path.IsPropertyPath():
        return f"{path!r} is a property path; expected a prim path"
    if sdf_path == Sdf.Path.absoluteRootPath:
        return "'/' is the pseudo-root, which cannot carry properties"
    if not sdf_path.IsPrimPath():
        return f"{path!r} is not a prim path"
    if str(sdf_path) != path:
        return f"{path!r} is not in canonical form (USD reads it as {sdf_path})"
    return None


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


def _bools(mask) -> np.ndarray:
    """A boolean Arrow array (nulls as False) as numpy. Arrow's own to_numpy
    of booleans goes through pandas, whose import costs ~0.3 s."""
    if isinstance(mask, pa.ChunkedArray):
        mask = mask.combine_chunks()
    return pc.fill_null(mask, False).cast(pa.uint8()).to_numpy(zero_copy_only=True).view(bool)


def _plain(column) -> pa.Array:
    """One contiguous, non-dictionary array (rendering needs raw buffers)."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    return array


# -- the prepared table: checked, sorted by path, with its prim tree -----------


@dataclass
class _Column:
    name: str
    type_name: str
    values: pa.Array


class _Prepared:
    """A property table checked and sorted by path, with what the text needs:
    each row's path components, depth and depth shared with the row before."""

    def __init__(self, table: pa.Table, rows: np.ndarray, source: str):
        self.source = source
        paths = _plain(table[PATH_COLUMN])
        if paths.type != pa.string():
            paths = paths.cast(pa.string())
        rows = np.asarray(rows, np.int64)
        self._check_paths(paths, rows)
        columns = []
        for name in table.column_names[1:]:
            values = _plain(table[name])
            bad = _null_element(values)
            if bad is not None:
                raise UsdBenchError(
                    "null element inside a list or vector (USD arrays and vectors cannot hold "
                    "nulls; a null list or vector is fine)",
                    file=source,
                    row=int(rows[bad]),
                    column=name,
                )
            columns.append(_Column(name, usd_type_name(values.type), values))
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
        self.paths = self.components = None
        self.columns = []

    def _check_paths(self, paths: pa.StringArray, rows: np.ndarray) -> None:
        simple = pc.fill_null(pc.match_substring_regex(paths, _SIMPLE_PRIM_PATH), False)
        if simple.false_count == 0:
            return
        for i in np.flatnonzero(~_bools(simple)):
            problem = _path_problem(paths[int(i)].as_py())
            if problem:
                raise UsdBenchError(problem, file=self.source, row=int(rows[i]), column=PATH_COLUMN)

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
            k = int(np.flatnonzero(_bools(same))[0])
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
            same = _bools(pc.equal(here, before))
            alive[:] = False
            alive[both[same]] = True
            self.common[1:] += alive


def _null_element(values: pa.Array) -> int | None:
    """Index of the first row whose list or vector holds a null element."""
    t = values.type
    if pa.types.is_fixed_size_list(t):
        k = t.list_size
        children = values.values.slice(values.offset * k, len(values) * k)
        bad = pc.and_(children.is_null(), pa.array(np.repeat(values.is_valid(), k)))
        hits = np.flatnonzero(_bools(bad))
        return int(hits[0] // k) if len(hits) else None
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        flat = values.flatten()
        parents = pc.list_parent_indices(values)
        hits = np.flatnonzero(_bools(flat.is_null()))
        if len(hits):
            return int(parents[int(hits[0])].as_py())
        inner = _null_element(_plain(flat))
        return None if inner is None else int(parents[inner].as_py())
    return None


# -- rendering -----------------------------------------------------------------


def _write_part(prep: _Prepared, lo: int, hi: int, out) -> None:
    """Write rows [lo, hi) as one complete usda layer to the binary stream ``out``."""
    out.write(USDA_HEADER.encode())
    for start in range(lo, hi, _CHUNK_ROWS):
        text = _render_rows(prep, start, min(hi, start + _CHUNK_ROWS), lo)
        out.write(_string_bytes(text))
        del text
    if hi > lo:
        out.write(b"}\n" * int(prep.depth[hi - 1]))


def _string_bytes(strings: pa.StringArray) -> memoryview:
    """All values of a string array, concatenated, without copying."""
    offsets = np.frombuffer(strings.buffers()[1], np.int32, len(strings) + 1, strings.offset * 4)
    return memoryview(strings.buffers()[2])[offsets[0] : offsets[-1]]


def _render_rows(prep: _Prepared, lo: int, hi: int, part_lo: int) -> pa.StringArray:
    """One string per row: the braces closing the rows before it, the ``over``
    lines opening its ancestors and itself, and its attribute lines."""
    depth = prep.depth[lo:hi]
    common = prep.common[lo:hi].copy()
    closes = np.zeros(hi - lo, np.int64)
    if lo > part_lo:
        closes[:] = prep.depth[lo - 1 : hi - 1] - common
    else:
        common[0] = 0  # a part opens its first row's ancestors itself
        closes[1:] = depth[:-1] - common[1:]
    closing_texts = pa.array(["}\n" * k for k in range(int(closes.max()) + 1)])
    pieces: list = [closing_texts.take(pa.array(closes))]
    starts = prep.offsets[lo:hi]
    for level in range(1, int(depth.max()) + 1):
        opens = (common < level) & (depth >= level)
        if not opens.any():
            continue
        names = prep.components.take(pa.array(np.where(opens, starts + level, starts)))
        line = pc.binary_join_element_wise('over "', names, '" {\n', "")
        pieces.append(line if opens.all() else pc.if_else(pa.array(opens), line, ""))
    for column in prep.columns:
        head, text, tail = _value_text(column.values.slice(lo, hi - lo))
        head = f"{column.type_name} {column.name} = {head}"
        tail = f"{tail}\n"
        if text.null_count == 0:
            pieces += [head, text, tail]
        else:  # null = no opinion: no line at all
            pieces.append(pc.fill_null(pc.binary_join_element_wise(head, text, tail, ""), ""))
    return pc.binary_join_element_wise(*pieces, "")


def _value_text(values: pa.Array) -> tuple[str, pa.StringArray, str]:
    """usda text of each value, as (opening, text, closing): the delimiters of
    top-level strings and arrays go in the line's constant parts (no extra pass)."""
    t = values.type
    if _is_string_type(t):
        return '"', _escaped(values), '"'
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return "[", _list_text(values), "]"
    return "", _element_text(values), ""


def _element_text(values: pa.Array) -> pa.StringArray:
    """Complete usda text of each scalar or vector value."""
    values = _plain(values)
    t = values.type
    if _is_string_type(t):
        return pc.binary_join_element_wise('"', _escaped(values), '"', "")
    if pa.types.is_fixed_size_list(t):
        return _vector_text(values)
    if t == pa.bool_():
        return pc.if_else(values, "1", "0")
    if t == pa.float16():
        # Arrow cannot format halves: a half is exact as float, and float's
        # shortest text parses back to the same half.
        values = values.cast(pa.float32())
    # Arrow writes the shortest text that reads back exactly (measured for
    # double, float and every half: bit for bit).
    return values.cast(pa.string())


def _escaped(strings: pa.Array) -> pa.StringArray:
    strings = _plain(strings)
    if strings.type != pa.string():
        strings = strings.cast(pa.string())
    if pc.any(pc.match_substring_regex(strings, r'[\\"\n\r]')).as_py():
        for raw, escaped in (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r")):
            strings = pc.replace_substring(strings, raw, escaped)
    return strings


def _vector_text(values: pa.FixedSizeListArray) -> pa.StringArray:
    k = values.type.list_size
    children = values.values.slice(values.offset * k, len(values) * k)
    offsets = pa.array(np.arange(0, len(values) * k + 1, k, dtype=np.int32))
    lists = pa.ListArray.from_arrays(offsets, _element_text(children), mask=values.is_null())
    return pc.binary_join_element_wise("(", pc.binary_join(lists, ", "), ")", "")


def _list_text(values: pa.Array) -> pa.StringArray:
    lengths = np.asarray(pc.fill_null(pc.list_value_length(values), 0).to_numpy(), np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    elements = _element_text(values.flatten())
    if offsets[-1] < 2**31:
        lists = pa.ListArray.from_arrays(
            pa.array(offsets.astype(np.int32)), elements, mask=values.is_null()
        )
    else:
        lists = pa.LargeListArray.from_arrays(pa.array(offsets), elements, mask=values.is_null())
    return pc.binary_join(lists, ", ")


# -- parsing -------------------------------------------------------------------


def _part_bounds(n: int, parts: int | None) -> list[tuple[int, int]]:
    if parts is None:
        parts = min(os.cpu_count() or 1, max(1, n // _MIN_PART_ROWS))
    parts = max(1, min(int(parts), max(n, 1)))
    edges = [n * i // parts for i in range(parts + 1)]
    return list(zip(edges[:-1], edges[1:], strict=True))


def _scratch_dir() -> str | None:
    """/dev/shm (memory, no disk I/O) where it exists, else the temp folder."""
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else None


def _scratch_prefix(pid: int | None = None) -> str:
    return f"usdbench-{os.getpid() if pid is None else pid}-"


_stale_checked = False


def _remove_stale_scratch() -> None:
    """Once per process: delete scratch files left by killed processes (each
    file is deleted right after its parse, but a kill skips that, and /dev/shm
    is memory)."""
    global _stale_checked
    if _stale_checked:
        return
    _stale_checked = True
    folder = _scratch_dir() or tempfile.gettempdir()
    with contextlib.suppress(OSError):
        for entry in os.listdir(folder):
            match = re.fullmatch(r"usdbench-(\d+)-.*\.usda", entry)
            if match and not _alive(int(match.group(1))):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(folder, entry))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def _parse_parts(prep: _Prepared, parts: int | None, name: str) -> list[Sdf.Layer]:
    """Render each part to a scratch file and parse it in a worker thread while
    the next part renders; the table and the text memory are freed before
    the parses end (they would add to the peak)."""
    bounds = _part_bounds(prep.num_rows, parts)
    source = prep.source
    _remove_stale_scratch()
    name = re.sub(r"[^A-Za-z0-9._-]", "_", name)  # it goes into a layer identifier
    futures = []
    try:
        with ThreadPoolExecutor(max_workers=len(bounds)) as pool:
            for i, (lo, hi) in enumerate(bounds):
                fd, tmp = tempfile.mkstemp(
                    prefix=_scratch_prefix(), suffix=".usda", dir=_scratch_dir()
                )
                try:
                    with os.fdopen(fd, "wb") as out:
                        _write_part(prep, lo, hi, out)
                except BaseException:
                    os.unlink(tmp)
                    raise
                # The tag names the source and must end in a USD extension, or
                # USD cannot reopen the layer by its identifier as a sublayer.
                tag = f"{name}.part{i + 1}of{len(bounds)}.usda"
                futures.append(pool.submit(_parse_file, tmp, tag, source))
            prep.release()
            return [f.result() for f in futures]
    except BaseException:
        futures.clear()  # drop the parsed parts with their futures
        prep.release()
        raise


def _parse_file(tmp: str, tag: str, source: str) -> Sdf.Layer:
    try:
        layer = Sdf.Layer.OpenAsAnonymous(tmp, False, tag)
    except Tf.ErrorException as error:
        raise UsdBenchError(
            f"USD could not parse the generated layer: {error}", file=source
        ) from None
    finally:
        os.unlink(tmp)
    if layer is None:
        raise UsdBenchError("USD could not parse the generated layer", file=source)
    return layer
