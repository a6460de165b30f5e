"""A property table as usda text, by vectorised pyarrow compute: no Python
step per row or value. The loader parses this text (USD's text parser builds
specs ~4x cheaper than the Sdf API), and the usda writer saves it."""

from __future__ import annotations

import io

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from usdbench.parquet.arrays import bools, plain
from usdbench.parquet.prepared import PreparedTable
from usdbench.parquet.schema import checked_table
from usdbench.parquet.type_table import is_list_type, is_string_type

USDA_HEADER = "#usda 1.0\n"

# Rows rendered per text array: keeps each array far below Arrow's 2 GiB
# string limit and the transient text memory small (~20 MB here).
_CHUNK_ROWS = 32_768
# And values per text array, counting a row's array elements and time samples
# (each renders ~5 to 20 bytes): rows of large arrays (100 prims of 1,000 to
# 3,000 points each: ~14 MB of text) are rendered a few at a time, so the
# text held at once stays a few MB whatever the rows hold.
_CHUNK_VALUES = 1 << 18


def table_to_usda(table: pa.Table, source: str = "<table>") -> str:
    """A validated property table (``path`` + property columns) as the text of
    one complete usda layer of ``over`` prims, exactly what ``load_layer`` would
    build from the same table. Bad input raises UsdBenchError naming
    ``source``."""
    prepared = PreparedTable(checked_table(table, source), np.arange(table.num_rows), source)
    out = io.BytesIO()
    write_part(prepared, 0, prepared.num_rows, out)
    return out.getvalue().decode("utf-8")


def _quoted(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\n", "\\n").replace("\r", "\\r") + '"'


def header(layer_metadata: dict) -> str:
    """The usda header: the version line, and the layer metadata if any."""
    if not layer_metadata:
        return USDA_HEADER
    lines = []
    for key, value in layer_metadata.items():
        if key == "documentation":
            lines.append(f"    doc = {_quoted(value)}\n")
        elif key == "metersPerUnit":
            lines.append(f"    metersPerUnit = {value!r}\n")
        else:
            lines.append(f"    {key} = {_quoted(value)}\n")
    return USDA_HEADER + "(\n" + "".join(lines) + ")\n"


def write_part(prep: PreparedTable, lo: int, hi: int, out) -> None:
    """Write rows [lo, hi) as one complete usda layer to the binary stream ``out``."""
    out.write(header(getattr(prep, "layer_metadata", {})).encode())
    for start, stop in chunks(prep, lo, hi):
        text = _render_rows(prep, start, stop, lo)
        out.write(_string_bytes(text))
        del text
    if hi > lo:
        out.write(b"}\n" * int(prep.depth[hi - 1]))


def chunks(prep: PreparedTable, lo: int, hi: int) -> list[tuple[int, int]]:
    """Rows [lo, hi) as consecutive runs rendered one text array each: at
    most _CHUNK_ROWS rows and _CHUNK_VALUES values (a row at least)."""
    total = np.cumsum(_row_values(prep, lo, hi))
    bounds, start = [], lo
    while start < hi:
        before = int(total[start - lo - 1]) if start > lo else 0
        stop = lo + int(np.searchsorted(total, before + _CHUNK_VALUES, side="right"))
        stop = min(max(stop, start + 1), start + _CHUNK_ROWS, hi)
        bounds.append((start, stop))
        start = stop
    return bounds


def _row_values(prep: PreparedTable, lo: int, hi: int) -> np.ndarray:
    """Values each row of [lo, hi) renders: each column's value, an array's
    elements (a vector's components counted), for every time sample."""
    if prep.sample_offsets is None:
        return _values(prep, lo, hi)
    first, last = int(prep.sample_offsets[lo]), int(prep.sample_offsets[hi])
    if last == first:
        return np.ones(hi - lo, np.int64)
    per_sample = _values(prep, first, last)
    # Every prim of a series table has a sample row: no run is empty.
    starts = np.minimum(prep.sample_offsets[lo:hi] - first, last - first - 1)
    return np.add.reduceat(per_sample, starts)


def _values(prep: PreparedTable, lo: int, hi: int) -> np.ndarray:
    """Values of rows [lo, hi) of the columns' arrays: one a row (its
    path), and per column one a scalar or null, an array's elements."""
    values = np.full(hi - lo, 1 + len(prep.columns), np.int64)
    for column in prep.columns:
        if not is_list_type(column.values.type):
            continue
        lengths = pc.fill_null(pc.list_value_length(column.values.slice(lo, hi - lo)), 0)
        if isinstance(lengths, pa.ChunkedArray):
            lengths = lengths.combine_chunks()
        item = column.values.type.value_type
        width = item.list_size if pa.types.is_fixed_size_list(item) else 1
        elements = lengths.to_numpy(zero_copy_only=False).astype(np.int64) * width
        values += np.maximum(elements, 1) - 1  # the column's one value counted above
    return values


def _string_bytes(strings: pa.StringArray) -> memoryview:
    """All values of a string array, concatenated, without copying."""
    offsets = np.frombuffer(strings.buffers()[1], np.int32, len(strings) + 1, strings.offset * 4)
    return memoryview(strings.buffers()[2])[offsets[0] : offsets[-1]]


def _render_rows(prep: PreparedTable, lo: int, hi: int, part_lo: int) -> pa.StringArray:
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
        if prep.sample_offsets is not None:
            pieces.append(_samples_line(prep, column, lo, hi))
            continue
        head, text, tail = _value_text(column.values.slice(lo, hi - lo), column.type_name)
        head = f"{column.type_name} {column.name} = {head}"
        tail = f"{tail}\n"
        if text.null_count == 0:
            pieces += [head, text, tail]
        else:  # null = no opinion: no line at all
            pieces.append(pc.fill_null(pc.binary_join_element_wise(head, text, tail, ""), ""))
    return pc.binary_join_element_wise(*pieces, "")


def _samples_line(prep: PreparedTable, column, lo: int, hi: int) -> pa.StringArray:
    """One line per prim of rows [lo, hi) of a time-series table: the
    column's time samples, ``type name.timeSamples = { t: v, ... }``; no line
    (empty text) where the prim has no non-null sample of it."""
    first, last = int(prep.sample_offsets[lo]), int(prep.sample_offsets[hi])
    values = column.values.slice(first, last - first)
    head, text, tail = _value_text(values, column.type_name)
    times = _element_text(prep.times.slice(first, last - first))
    samples = pc.binary_join_element_wise(times, f": {head}", text, tail, "")
    valid = bools(values.is_valid())
    prim = np.repeat(np.arange(hi - lo), np.diff(prep.sample_offsets[lo : hi + 1]))
    counts = np.bincount(prim[valid], minlength=hi - lo)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    lists = pa.ListArray.from_arrays(
        pa.array(offsets), samples.filter(pa.array(valid)), mask=pa.array(counts == 0)
    )
    line = pc.binary_join_element_wise(
        f"{column.type_name} {column.name}.timeSamples = {{ ",
        pc.binary_join(lists, ", "),
        " }\n",
        "",
    )
    return pc.fill_null(line, "")


def _value_text(values: pa.Array, type_name: str = "") -> tuple[str, pa.StringArray, str]:
    """usda text of each value, as (opening, text, closing): the delimiters of
    top-level strings and arrays go in the line's constant parts (no extra pass)."""
    t = values.type
    base = type_name[:-2] if type_name.endswith("[]") else type_name
    if is_list_type(t):
        return "[", _list_text(values, base), "]"
    if is_string_type(t):
        if base == "asset":
            return "", _asset_text(values), ""
        return '"', _escaped(values), '"'
    return "", _element_text(values, base), ""


def _asset_text(values: pa.Array) -> pa.StringArray:
    strings = plain(values)
    if strings.type != pa.string():
        strings = strings.cast(pa.string())
    if pc.any(pc.match_substring(strings, "@")).as_py():
        strings = pc.replace_substring(strings, "@@@", "\\@@@")
        return pc.binary_join_element_wise("@@@", strings, "@@@", "")
    return pc.binary_join_element_wise("@", strings, "@", "")


# The element precision a declared quaternion reads its numbers in.
_QUATERNION_ELEMENTS = {"quath": pa.float16(), "quatf": pa.float32(), "quatd": pa.float64()}


def _element_text(values: pa.Array, base: str = "") -> pa.StringArray:
    """Complete usda text of each scalar or vector value."""
    values = plain(values)
    t = values.type
    if is_string_type(t):
        if base == "asset":
            return _asset_text(values)
        return pc.binary_join_element_wise('"', _escaped(values), '"', "")
    if base == "timecode":
        return values.cast(pa.float64()).cast(pa.string())
    if base.startswith("matrix"):
        return _matrix_text(values, int(base[len("matrix")]))
    if base in _QUATERNION_ELEMENTS:
        return _vector_text(values, _QUATERNION_ELEMENTS[base])
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
    strings = plain(strings)
    if strings.type != pa.string():
        strings = strings.cast(pa.string())
    if pc.any(pc.match_substring_regex(strings, r'[\\"\n\r]')).as_py():
        for raw, escaped in (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r")):
            strings = pc.replace_substring(strings, raw, escaped)
    return strings


def _vector_text(values: pa.FixedSizeListArray, element=None) -> pa.StringArray:
    k = values.type.list_size
    children = values.values.slice(values.offset * k, len(values) * k)
    if element is not None:  # the precision the USD type holds
        children = plain(children).cast(element)
    offsets = pa.array(np.arange(0, len(values) * k + 1, k, dtype=np.int32))
    lists = pa.ListArray.from_arrays(offsets, _element_text(children), mask=values.is_null())
    return pc.binary_join_element_wise("(", pc.binary_join(lists, ", "), ")", "")


def _matrix_text(values: pa.FixedSizeListArray, n: int) -> pa.StringArray:
    """( (a, b), (c, d) ): n rows of n doubles, row by row."""
    k = values.type.list_size
    children = plain(values.values.slice(values.offset * k, len(values) * k)).cast(pa.float64())
    row_offsets = pa.array(np.arange(0, len(values) * k + 1, n, dtype=np.int32))
    rows = pa.ListArray.from_arrays(row_offsets, _element_text(children))
    row_text = pc.binary_join_element_wise("(", pc.binary_join(rows, ", "), ")", "")
    offsets = pa.array(np.arange(0, len(values) * n + 1, n, dtype=np.int32))
    matrices = pa.ListArray.from_arrays(offsets, row_text, mask=values.is_null())
    return pc.binary_join_element_wise("( ", pc.binary_join(matrices, ", "), " )", "")


def _list_text(values: pa.Array, base: str = "") -> pa.StringArray:
    lengths = np.asarray(pc.fill_null(pc.list_value_length(values), 0).to_numpy(), np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    elements = _element_text(values.flatten(), base)
    if offsets[-1] < 2**31:
        lists = pa.ListArray.from_arrays(
            pa.array(offsets.astype(np.int32)), elements, mask=values.is_null()
        )
    else:
        lists = pa.LargeListArray.from_arrays(pa.array(offsets), elements, mask=values.is_null())
    return pc.binary_join(lists, ", ")
