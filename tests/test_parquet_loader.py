"""The Python Parquet loader: types, values, nulls, hierarchy, projection,
path prefixes and every bad input, on real Parquet files parsed by real USD."""

from __future__ import annotations

import ast
import gc
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pxr import Gf, Sdf

from usdbench.errors import UsdBenchError
from usdbench.parquet import load_layer, load_layers, scratch, table_to_usda, usd_type_name

# -- helpers -------------------------------------------------------------------


def _write(tmp_path, table, name="props.parquet", **options) -> str:
    path = tmp_path / name
    pq.write_table(table, path, **options)
    return str(path)


def _paths(n):
    return [f"/World/P{i}" for i in range(n)]


def _value(layer, prim, name):
    spec = layer.GetAttributeAtPath(f"{prim}.{name}")
    return None if spec is None else spec.default


def _text_layer(text: str) -> Sdf.Layer:
    layer = Sdf.Layer.CreateAnonymous(".usda")
    assert layer.ImportFromString(text)
    return layer


def _all_values(layer):
    """{(prim path, attribute): (type name, value)} of every attribute spec."""
    found = {}

    def visit(path):
        spec = layer.GetObjectAtPath(path)
        if isinstance(spec, Sdf.AttributeSpec):
            found[(str(path.GetPrimPath()), spec.name)] = (str(spec.typeName), spec.default)

    layer.Traverse(Sdf.Path.absoluteRootPath, visit)
    return found


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    return a == b


def _scratch_files():
    """This process's scratch files: other processes (a parallel test run, a
    benchmark) write and delete theirs in the same folder at any time."""
    return {f for f in os.listdir(scratch.folder()) if f.startswith(scratch.prefix())}


# -- types and values ------------------------------------------------------------

VEC = {
    (base, size): getattr(Gf, f"Vec{size}{suffix}")
    for base, suffix in (("half", "h"), ("float", "f"), ("double", "d"), ("int", "i"))
    for size in (2, 3, 4)
}
STRINGS = ["plain", 'quote " here', "back\\slash", "new\nline", "cr\rx", "tab\tx", "é ü 日本", ""]

SCALAR_CASES = [
    (pa.float64(), [1.5, -0.0, 5e-324, 1e21, 1.7976931348623157e308, -math.inf, 0.1], "double"),
    (pa.float32(), [0.1, -3.4028235e38, 1e-45, 16777216.0, 1 / 3], "float"),
    (pa.float16(), [0.1, 65504.0, 6e-8, -2.0], "half"),
    (pa.int8(), [-128, 127, 0], "int"),
    (pa.int16(), [-32768, 32767], "int"),
    (pa.int32(), [-(2**31), 2**31 - 1], "int"),
    (pa.int64(), [-(2**63), 2**63 - 1], "int64"),
    (pa.uint8(), [0, 255], "uchar"),
    (pa.uint16(), [0, 65535], "uint"),
    (pa.uint32(), [0, 2**32 - 1], "uint"),
    (pa.uint64(), [0, 2**64 - 1], "uint64"),
    (pa.bool_(), [True, False], "bool"),
    (pa.string(), STRINGS, "string"),
    (pa.large_string(), STRINGS, "string"),
    (pa.dictionary(pa.int8(), pa.string()), STRINGS + STRINGS[:2], "string"),
]


def _expected_scalar(arrow_type, value):
    """The value USD must hold: Arrow's value at the Arrow precision."""
    if arrow_type == pa.float32():
        return float(np.float32(value))
    if arrow_type == pa.float16():
        return float(np.float16(value))
    return value


@pytest.mark.parametrize(
    "arrow_type,values,usd_type", SCALAR_CASES, ids=[str(c[0]) for c in SCALAR_CASES]
)
def test_scalar_types_map_to_usd_types_and_values(tmp_path, arrow_type, values, usd_type):
    assert usd_type_name(arrow_type) == usd_type
    table = pa.table({"path": _paths(len(values)), "value": pa.array(values, arrow_type)})
    layer = load_layer(_write(tmp_path, table))
    for i, raw in enumerate(values):
        spec = layer.GetAttributeAtPath(f"/World/P{i}.value")
        assert spec is not None and str(spec.typeName) == usd_type
        want = _expected_scalar(arrow_type, raw)
        got = spec.default
        if isinstance(want, float):
            # Bit for bit, sign of zero included.
            assert math.copysign(1, got) == math.copysign(1, want) and got == want, (raw, got)
        else:
            assert got == want, (raw, got)


def test_random_doubles_and_floats_round_trip_bit_for_bit(tmp_path):
    rng = np.random.default_rng(7)
    doubles = rng.integers(0, 2**63, 5000, dtype=np.uint64).view(np.float64)
    doubles = doubles[np.isfinite(doubles)]
    floats = rng.integers(0, 2**32, len(doubles), dtype=np.uint64).astype(np.uint32)
    floats = floats.view(np.float32)
    floats[~np.isfinite(floats)] = 0
    n = len(doubles)
    table = pa.table({"path": _paths(n), "d": pa.array(doubles), "f": pa.array(floats)})
    layer = load_layer(_write(tmp_path, table))
    got_d = np.array([_value(layer, f"/World/P{i}", "d") for i in range(n)], np.float64)
    got_f = np.array([_value(layer, f"/World/P{i}", "f") for i in range(n)], np.float32)
    assert np.array_equal(got_d.view(np.uint64), doubles.view(np.uint64))
    assert np.array_equal(got_f.view(np.uint32), floats.view(np.uint32))


def test_nan_and_infinities(tmp_path):
    table = pa.table({"path": _paths(3), "d": [math.nan, math.inf, -math.inf]})
    layer = load_layer(_write(tmp_path, table))
    assert math.isnan(_value(layer, "/World/P0", "d"))
    assert _value(layer, "/World/P1", "d") == math.inf
    assert _value(layer, "/World/P2", "d") == -math.inf


@pytest.mark.parametrize("size", [2, 3, 4])
@pytest.mark.parametrize(
    "element,base",
    [
        (pa.float32(), "float"),
        (pa.float64(), "double"),
        (pa.int32(), "int"),
        (pa.float16(), "half"),
    ],
)
def test_fixed_size_lists_become_vectors(tmp_path, element, base, size):
    step = 1 if base == "int" else 0.5
    rows = [[(i * 10 + k) * step for k in range(size)] for i in range(3)]
    values = pa.array(rows, pa.list_(element, size))
    table = pa.table({"path": _paths(3), "v": values})
    layer = load_layer(_write(tmp_path, table))
    for i, row in enumerate(rows):
        spec = layer.GetAttributeAtPath(f"/World/P{i}.v")
        assert str(spec.typeName) == f"{base}{size}"
        assert spec.default == VEC[(base, size)](*row)


LIST_CASES = [
    (pa.float64(), [[1.5, -0.0, 1e300], []], "double[]"),
    (pa.float32(), [[0.25, 3.0]], "float[]"),
    (pa.int32(), [[1, -2, 3]], "int[]"),
    (pa.int64(), [[2**62, -(2**63)]], "int64[]"),
    (pa.bool_(), [[True, False, True]], "bool[]"),
    (pa.string(), [STRINGS, ["one"]], "string[]"),
    (pa.list_(pa.float32(), 3), [[[1, 2, 3], [4, 5, 6]]], "float3[]"),
]


@pytest.mark.parametrize("element,rows,usd_type", LIST_CASES, ids=[c[2] for c in LIST_CASES])
def test_lists_become_arrays(tmp_path, element, rows, usd_type):
    table = pa.table({"path": _paths(len(rows)), "a": pa.array(rows, pa.list_(element))})
    layer = load_layer(_write(tmp_path, table))
    for i, row in enumerate(rows):
        spec = layer.GetAttributeAtPath(f"/World/P{i}.a")
        assert str(spec.typeName) == usd_type
        got = list(spec.default)
        if usd_type == "float3[]":
            assert got == [Gf.Vec3f(*v) for v in row]
        elif usd_type == "float[]":
            assert got == [float(np.float32(v)) for v in row]
        else:
            assert got == row
            assert [math.copysign(1, v) for v in got if isinstance(v, float)] == [
                math.copysign(1, v) for v in row if isinstance(v, float)
            ]


def test_large_list_and_list_of_dictionary_strings(tmp_path):
    table = pa.table(
        {
            "path": _paths(2),
            "big": pa.array([[1, 2], [3]], pa.large_list(pa.int16())),
            "tags": pa.array([["a", "b"], ["a"]]).cast(
                pa.list_(pa.dictionary(pa.int32(), pa.string()))
            ),
        }
    )
    layer = load_layer(_write(tmp_path, table))
    assert str(layer.GetAttributeAtPath("/World/P0.big").typeName) == "int[]"
    assert list(_value(layer, "/World/P1", "big")) == [3]
    assert list(_value(layer, "/World/P0", "tags")) == ["a", "b"]


# -- nulls, hierarchy, order ---------------------------------------------------------


def test_null_is_no_opinion(tmp_path):
    table = pa.table(
        {
            "path": _paths(3),
            "d": [1.0, None, 3.0],
            "s": [None, "x", None],
            "v": pa.array([None, [1, 2, 3], None], pa.list_(pa.float64(), 3)),
            "a": pa.array([[1], None, []], pa.list_(pa.int32())),
        }
    )
    layer = load_layer(_write(tmp_path, table))
    assert layer.GetAttributeAtPath("/World/P1.d") is None
    assert layer.GetAttributeAtPath("/World/P0.s") is None
    assert layer.GetAttributeAtPath("/World/P0.v") is None
    assert layer.GetAttributeAtPath("/World/P1.a") is None
    assert _value(layer, "/World/P2", "d") == 3.0
    assert list(_value(layer, "/World/P2", "a")) == []  # empty array is a value
    # A prim whose every value is null is still an over (it has a row).
    assert layer.GetPrimAtPath("/World/P1").specifier == Sdf.SpecifierOver


def test_deep_paths_get_ancestor_overs_in_any_row_order(tmp_path):
    paths = [
        "/World/Zone_1/Level_2/Room_3/Component_4",
        "/Other",
        "/World/Zone_1",  # a parent listed after its descendant
        "/World/Zone_1/Level_2/Room_3/Component_5",
        "/World/Zone_10/Level_0/Room_0/Component_0",  # shares the "Zone_1" prefix as text
        "/A/B/C/D/E/F/G/H",
    ]
    table = pa.table({"path": paths, "n": list(range(len(paths)))})
    layer = load_layer(_write(tmp_path, table))
    for i, path in enumerate(paths):
        assert _value(layer, path, "n") == i
        prim = Sdf.Path(path)
        for ancestor in prim.GetAncestorsRange():
            spec = layer.GetPrimAtPath(ancestor)
            assert spec is not None and spec.specifier == Sdf.SpecifierOver, ancestor
            assert spec.typeName == ""
    assert len(layer.GetPrimAtPath("/World/Zone_1/Level_2").properties) == 0
    assert sorted(layer.GetPrimAtPath("/World/Zone_1/Level_2/Room_3").nameChildren.keys()) == [
        "Component_4",
        "Component_5",
    ]
    assert sorted(p.name for p in layer.rootPrims) == ["A", "Other", "World"]


def test_utf8_prim_names(tmp_path):
    table = pa.table({"path": ["/World/Café", "/World/日本/x"], "n": [1, 2]})
    layer = load_layer(_write(tmp_path, table))
    assert _value(layer, "/World/Café", "n") == 1
    assert _value(layer, "/World/日本/x", "n") == 2


def test_namespaced_property_names(tmp_path):
    table = pa.table({"path": _paths(1), "primvars:rate": [2.5]})
    layer = load_layer(_write(tmp_path, table))
    assert _value(layer, "/World/P0", "primvars:rate") == 2.5


def _mixed_table(n=3000, seed=3):
    rng = np.random.default_rng(seed)
    paths = [f"/World/Zone_{i % 7}/Room_{i // 7}/Part_{i}" for i in range(n)]
    rng.shuffle(paths)
    return pa.table(
        {
            "path": paths,
            "d": pa.array(rng.normal(size=n)).to_pylist(),
            "i": pa.array(rng.integers(-5, 5, n), pa.int32()),
            "s": [f"s{i}" if i % 3 else None for i in range(n)],
        }
    )


def test_parts_together_hold_exactly_the_single_layer(tmp_path):
    source = _write(tmp_path, _mixed_table(), row_group_size=500)
    whole = _all_values(load_layer(source))
    parts = load_layers(source, parts=3)
    assert len(parts) == 3
    merged = {}
    for part in parts:
        values = _all_values(part)
        assert not set(values) & set(merged), "a property is in two parts"
        merged.update(values)
    assert merged.keys() == whole.keys()
    assert all(_same(merged[k][1], whole[k][1]) and merged[k][0] == whole[k][0] for k in whole)


def _watch_parses(monkeypatch):
    """Record, per parse of a part: its thread, whether the table was freed
    before it started, and how many parses ran at once."""
    import threading

    from usdbench.parquet import parse

    seen, running, lock = [], [0], threading.Lock()
    real_parse, real_release = parse._parse_file, parse.PreparedTable.release
    released = []

    def release(self):
        released.append(True)
        return real_release(self)

    def watched(path, tag, source):
        with lock:
            running[0] += 1
            seen.append((threading.get_ident(), bool(released), running[0]))
        try:
            return real_parse(path, tag, source)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(parse, "_parse_file", watched)
    monkeypatch.setattr(parse.PreparedTable, "release", release)
    return seen


def test_the_table_is_freed_before_any_part_parses(tmp_path, monkeypatch):
    source = _write(tmp_path, _mixed_table(), row_group_size=500)
    seen = _watch_parses(monkeypatch)
    assert len(load_layers(source, parts=3)) == 3
    assert len(seen) == 3 and all(freed for _, freed, _ in seen)


def test_parts_parse_on_at_most_usds_thread_limit(tmp_path, monkeypatch):
    """Under the suite's memory protocol (USD's work on one thread) the parts
    parse one after the other, in one thread, in their order."""
    from types import SimpleNamespace

    from usdbench.parquet import parse

    source = _write(tmp_path, _mixed_table(), row_group_size=500)
    whole = _all_values(load_layer(source))
    seen = _watch_parses(monkeypatch)
    # USD's limit, as the protocol sets it (the test process's own TBB arena
    # may already have its size).
    monkeypatch.setattr(parse, "Work", SimpleNamespace(GetConcurrencyLimit=lambda: 1))
    parts = load_layers(source, parts=3)
    assert len({thread for thread, _, _ in seen}) == 1
    assert max(at_once for _, _, at_once in seen) == 1
    merged = {}
    for part in parts:
        merged.update(_all_values(part))
    assert merged.keys() == whole.keys()


def test_a_failed_part_leaves_no_scratch_file(tmp_path, monkeypatch):
    from usdbench.parquet import parse

    source = _write(tmp_path, _mixed_table(), row_group_size=500)
    before = _scratch_files()

    def fail(path, tag, source):
        os.unlink(path)
        raise UsdBenchError("USD could not parse the generated layer", file=source)

    monkeypatch.setattr(parse, "_parse_file", fail)
    with pytest.raises(UsdBenchError, match="could not parse"):
        load_layers(source, parts=3)
    assert _scratch_files() <= before


def test_table_to_usda_is_what_the_loader_builds(tmp_path):
    table = _mixed_table()
    vectors = pa.array([[i, i + 0.5, -i] for i in range(table.num_rows)], pa.list_(pa.float64(), 3))
    table = table.append_column("v", vectors).append_column(
        "t", pa.array([STRINGS[i % len(STRINGS)] for i in range(table.num_rows)])
    )
    text = table_to_usda(table, source="mine")
    assert text.startswith("#usda 1.0\n")
    from_text = _all_values(_text_layer(text))
    from_file = _all_values(load_layer(_write(tmp_path, table)))
    assert from_text.keys() == from_file.keys() and len(from_text) > 4 * table.num_rows
    for key, (type_name, value) in from_file.items():
        assert from_text[key][0] == type_name and _same(from_text[key][1], value), key
    assert table_to_usda(table) == text.replace("mine", "<table>")  # deterministic


def test_table_to_usda_of_an_empty_table_is_a_valid_empty_layer():
    text = table_to_usda(
        pa.table({"path": pa.array([], pa.string()), "x": pa.array([], pa.int32())})
    )
    assert list(_text_layer(text).rootPrims) == []


def test_table_to_usda_rejects_bad_tables_naming_the_source():
    with pytest.raises(UsdBenchError, match=r"file my\.csv, rows 0 and 1, column 'path'"):
        table_to_usda(pa.table({"path": ["/A", "/A"], "x": [1, 2]}), source="my.csv")


# -- projection and path prefix --------------------------------------------------------


def _tree_table():
    paths = [
        "/World/A",
        "/World/A/x",
        "/World/A/y/z",
        "/World/AB",  # same text prefix as /World/A, not under it
        "/World/AB/q",
        "/World/B",
        "/World/B/r",
    ]
    n = len(paths)
    return pa.table(
        {
            "path": paths,
            "one": list(range(n)),
            "two": [float(i) for i in range(n)],
            "three": ["t"] * n,
        }
    )


def test_column_projection_loads_only_those_properties(tmp_path):
    source = _write(tmp_path, _tree_table())
    layer = load_layer(source, columns=["two", "path"])
    values = _all_values(layer)
    assert {name for _, name in values} == {"two"}
    assert {prim for prim, _ in values} == set(_tree_table()["path"].to_pylist())
    assert _value(layer, "/World/B/r", "two") == 6.0
    only_prims = load_layer(source, columns=[])
    assert _all_values(only_prims) == {} and only_prims.GetPrimAtPath("/World/AB/q")


def test_column_projection_of_a_missing_column_names_it(tmp_path):
    source = _write(tmp_path, _tree_table())
    with pytest.raises(UsdBenchError, match=r"props\.parquet, column 'four'") as caught:
        load_layer(source, columns=["one", "four"])
    assert caught.value.column == "four" and caught.value.file == source


@pytest.mark.parametrize(
    "prefix,expected",
    [
        ("/World/A", {"/World/A", "/World/A/x", "/World/A/y/z"}),
        ("/World/A/y", {"/World/A/y/z"}),
        ("/World/AB", {"/World/AB", "/World/AB/q"}),
        ("/World/C", set()),
        ("/", set(_tree_table()["path"].to_pylist())),
    ],
)
def test_path_prefix_loads_exactly_the_subtree(tmp_path, prefix, expected):
    source = _write(tmp_path, _tree_table())
    layer = load_layer(source, path_prefix=prefix)
    assert {prim for prim, _ in _all_values(layer)} == expected
    whole = _all_values(load_layer(source))
    assert _all_values(layer) == {k: v for k, v in whole.items() if k[0] in expected}


def test_path_prefix_on_a_categorical_path_column(tmp_path):
    table = _tree_table()
    table = table.set_column(0, "path", table["path"].dictionary_encode())
    source = _write(tmp_path, table)
    layer = load_layer(source, path_prefix="/World/AB")
    assert {prim for prim, _ in _all_values(layer)} == {"/World/AB", "/World/AB/q"}


def test_path_prefix_accepts_an_sdf_path_and_rejects_a_bad_one(tmp_path):
    source = _write(tmp_path, _tree_table())
    assert load_layer(source, path_prefix=Sdf.Path("/World/B")).GetPrimAtPath("/World/B/r")
    with pytest.raises(UsdBenchError, match="path_prefix"):
        load_layer(source, path_prefix="World/B")


def _corrupt_row_groups(path: str, groups) -> None:
    """Overwrite every column chunk of these row groups with garbage (the
    footer, with its statistics, stays intact)."""
    metadata = pq.ParquetFile(path).metadata
    with open(path, "r+b") as f:
        for g in groups:
            rg = metadata.row_group(g)
            for c in range(rg.num_columns):
                chunk = rg.column(c)
                start = chunk.data_page_offset
                if chunk.has_dictionary_page and chunk.dictionary_page_offset:
                    start = min(start, chunk.dictionary_page_offset)
                f.seek(start)
                f.write(b"\xff" * chunk.total_compressed_size)


def test_path_prefix_does_not_read_row_groups_outside_it(tmp_path):
    # 40 prims sorted by path, 4 rows per row group: /World/P_00 .. /World/P_39.
    paths = [f"/World/P_{i:02d}" for i in range(40)]
    table = pa.table({"path": paths, "n": list(range(40)), "s": [f"v{i}" for i in range(40)]})
    source = _write(tmp_path, table, row_group_size=4, compression="none")
    # Row group 3 holds P_12..P_15; every other group is destroyed on disk.
    _corrupt_row_groups(source, [g for g in range(10) if g != 3])
    layer = load_layer(source, path_prefix="/World/P_13")
    assert _all_values(layer) == {
        ("/World/P_13", "n"): ("int64", 13),
        ("/World/P_13", "s"): ("string", "v13"),
    }
    # The whole file cannot be read any more: the skipped groups were really skipped.
    with pytest.raises(UsdBenchError, match="props.parquet"):
        load_layer(source)


def test_row_numbers_stay_file_rows_when_row_groups_are_skipped(tmp_path):
    paths = [f"/World/P_{i:02d}" for i in range(20)]
    paths[13] = "/World/P_12"  # a duplicate inside row group 3 (rows 12..15)
    table = pa.table({"path": paths, "n": list(range(20))})
    source = _write(tmp_path, table, row_group_size=4)
    with pytest.raises(UsdBenchError, match="rows 12 and 13"):
        load_layer(source, path_prefix="/World/P_12")


# -- pandas ---------------------------------------------------------------------------


def test_pandas_file_with_categorical_nulls_and_index(tmp_path):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(
        {
            "path": ["/World/P0", "/World/P1", "/World/P2", "/World/P3"],
            "material": pd.Categorical(["steel", None, "wood", "steel"]),
            "cost": [1.0, float("nan"), 3.5, -0.0],
            "count": pd.array([1, None, 3, 4], dtype="Int64"),
            "label": ["a", None, "c", "d"],
        },
        index=[10, 11, 12, 13],  # a non-default index is stored as a column
    )
    source = tmp_path / "pandas.parquet"
    frame.to_parquet(source)
    assert pa.types.is_dictionary(pq.read_schema(source).field("material").type)
    layer = load_layer(source)
    assert _value(layer, "/World/P0", "material") == "steel"
    assert layer.GetAttributeAtPath("/World/P1.material") is None
    assert layer.GetAttributeAtPath("/World/P1.cost") is None  # pandas NaN is written as null
    assert layer.GetAttributeAtPath("/World/P1.count") is None
    assert str(layer.GetAttributeAtPath("/World/P2.count").typeName) == "int64"
    assert _value(layer, "/World/P2", "count") == 3
    assert _value(layer, "/World/P3", "label") == "d"
    assert layer.GetAttributeAtPath("/World/P0.__index_level_0__") is None


# -- bad input ---------------------------------------------------------------------------


def _assert_fails_cleanly(source, match, *, row=None, column=None, **kwargs):
    """Raises UsdBenchError naming the file (and row/column), leaving no
    layer and no scratch file behind."""
    gc.collect()
    layers_before = {layer.identifier for layer in Sdf.Layer.GetLoadedLayers()}
    scratch_before = _scratch_files()
    with pytest.raises(UsdBenchError, match=match) as caught:
        load_layer(source, **kwargs)
    error = caught.value
    assert error.file == str(source) and str(source) in str(error)
    if row is not None:
        assert error.row == row
        rows = row if isinstance(row, tuple) else (row,)
        assert all(str(r) in str(error) for r in rows)
    if column is not None:
        assert error.column == column and repr(column) in str(error)
    del caught, error
    gc.collect()
    assert {layer.identifier for layer in Sdf.Layer.GetLoadedLayers()} <= layers_before
    assert _scratch_files() <= scratch_before
    return True


def test_missing_path_column(tmp_path):
    source = _write(tmp_path, pa.table({"where": ["/A"], "x": [1]}))
    _assert_fails_cleanly(source, "no 'path' column", column="path")


@pytest.mark.parametrize(
    "bad,why",
    [
        ("World/P1", "relative path"),
        ("/World/P1.attr", "property path"),
        ("/World/P1{variant=red}", "variant selection"),
        ("/World/P1{variant=red}Child", "variant selection"),
        ("", "empty path"),
        (None, "null path"),
        ("/", "pseudo-root"),
        ("/World//P1", "not a valid USD path"),
        ("/World/P 1", "not a valid USD path"),
        ("/World/P1/", "not a valid USD path"),
        ("/World/../P1", "not a valid USD path"),
        ("/World/P1/..", "not a valid USD path"),
    ],
)
def test_paths_that_are_not_absolute_prim_paths(tmp_path, bad, why):
    paths = _paths(4)
    paths[2] = bad
    source = _write(tmp_path, pa.table({"path": pa.array(paths, pa.string()), "x": [1, 2, 3, 4]}))
    _assert_fails_cleanly(source, why, row=2, column="path")


def test_duplicate_path_names_both_rows(tmp_path):
    paths = _paths(6)
    paths[4] = paths[1]
    source = _write(tmp_path, pa.table({"path": paths, "x": list(range(6))}))
    _assert_fails_cleanly(source, "'/World/P1' appears twice", row=(1, 4), column="path")


@pytest.mark.parametrize(
    "values",
    [
        pa.array([1], pa.timestamp("ms")),
        pa.array([b"raw"], pa.binary()),
        pa.array([{"a": 1}], pa.struct([("a", pa.int32())])),
        pa.array([[[1]]], pa.list_(pa.list_(pa.int32()))),
        pa.array([[1, 2, 3, 4, 5]], pa.list_(pa.float32(), 5)),
        pa.array([[1, 2]], pa.list_(pa.int64(), 2)),
        pa.array([None], pa.null()),
    ],
    ids=lambda v: str(v.type),
)
def test_unsupported_column_type_names_column_and_type(tmp_path, values):
    source = _write(tmp_path, pa.table({"path": ["/A"], "odd": values}))
    stored = pq.read_schema(source).field("odd").type  # Parquet renames list items
    _assert_fails_cleanly(source, re.escape(f"unsupported Arrow type {stored}"), column="odd")


def test_unsupported_path_column_type(tmp_path):
    source = _write(tmp_path, pa.table({"path": [1, 2], "x": [1, 2]}))
    _assert_fails_cleanly(source, "must hold strings, not Arrow type int64", column="path")


@pytest.mark.parametrize("name", ["bad name", "1abc", "a-b", "a.b", "", "ns:", "x/y"])
def test_invalid_property_name(tmp_path, name):
    source = _write(tmp_path, pa.table({"path": ["/A"], name: [1.0]}))
    _assert_fails_cleanly(source, "not a valid USD property name", column=name)


def test_null_element_inside_a_list_or_vector(tmp_path):
    table = pa.table(
        {"path": _paths(3), "a": pa.array([[1], [2], [3, None]], pa.list_(pa.int32()))}
    )
    _assert_fails_cleanly(_write(tmp_path, table), "null element", row=2, column="a")
    table = pa.table(
        {"path": _paths(3), "v": pa.array([None, [1, None], [1, 2]], pa.list_(pa.float32(), 2))}
    )
    _assert_fails_cleanly(_write(tmp_path, table, "v.parquet"), "null element", row=1, column="v")


def test_truncated_file(tmp_path):
    source = _write(tmp_path, _mixed_table(200))
    data = open(source, "rb").read()
    with open(source, "wb") as f:
        f.write(data[: len(data) // 2])
    _assert_fails_cleanly(source, "not a readable Parquet file")


def test_non_parquet_file_with_a_parquet_name(tmp_path):
    source = tmp_path / "props.parquet"
    source.write_text("path,x\n/A,1\n")
    _assert_fails_cleanly(str(source), "not a readable Parquet file")
    empty = tmp_path / "empty.parquet"
    empty.write_bytes(b"")
    _assert_fails_cleanly(str(empty), "not a readable Parquet file")


def test_missing_file(tmp_path):
    _assert_fails_cleanly(str(tmp_path / "nowhere.parquet"), "no such file")


def test_empty_table_is_a_valid_empty_layer(tmp_path):
    table = pa.table({"path": pa.array([], pa.string()), "x": pa.array([], pa.float64())})
    for name, options in [("rows0.parquet", {}), ("groups0.parquet", {"row_group_size": 10})]:
        layer = load_layer(_write(tmp_path, table, name, **options))
        assert isinstance(layer, Sdf.Layer) and list(layer.rootPrims) == []
        assert list(load_layers(tmp_path / name)[0].rootPrims) == []


def test_scratch_files_of_dead_processes_are_removed(tmp_path, monkeypatch):
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    dead = Path(scratch.folder()) / f"{scratch.prefix(int(child.stdout))}left.usda"
    mine = Path(scratch.folder()) / f"{scratch.prefix()}mine.usda"
    dead.write_text("#usda 1.0\n")
    mine.write_text("#usda 1.0\n")
    try:
        monkeypatch.setattr(scratch, "_stale_checked", False)  # the check runs once per process
        load_layer(_write(tmp_path, _tree_table()))
        assert not dead.exists() and mine.exists()
    finally:
        dead.unlink(missing_ok=True)
        mine.unlink(missing_ok=True)


def test_the_usda_writer_imports_the_renderer_not_the_loader():
    probe = (
        "import sys\n"
        "import usdbench.writers\n"
        "print(sorted(m for m in sys.modules if m.startswith('usdbench.parquet.')))\n"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = set(ast.literal_eval(run.stdout))
    assert "usdbench.parquet.render" in loaded
    assert not loaded & {f"usdbench.parquet.{m}" for m in ("loader", "read", "parse", "scratch")}


def _arrays_and_series_tables():
    """Rows of very different sizes: point arrays (vectors), int arrays with
    nulls and empty lists; and a time series of such arrays."""
    rng = np.random.default_rng(5)
    n = 60
    sizes = rng.integers(0, 400, n)
    points = pa.array(
        [
            None if i % 17 == 3 else [[j, j + 0.5, -j] for j in range(s)]
            for i, s in enumerate(sizes)
        ],
        pa.list_(pa.list_(pa.float32(), 3)),
    )
    ints = pa.array([list(range(s // 2)) if i % 5 else [] for i, s in enumerate(sizes)])
    field = pa.field("points", points.type, metadata={b"usd:type": b"point3f[]"})
    paths = [f"/World/P{i:03d}" for i in range(n)]
    arrays = pa.table(
        [pa.array(paths), points, ints],
        schema=pa.schema([pa.field("path", pa.string()), field, pa.field("ids", ints.type)]),
    )
    times = [float(t) for t in range(4)]
    series = pa.table(
        {
            "path": [p for p in paths[:20] for _ in times],
            "time": times * 20,
            "ids": [list(range(int(s))) for s in np.repeat(sizes[:20], 4)],
            "cost": [float(i) for i in range(80)],
        }
    )
    return arrays, series


def test_rows_render_in_chunks_of_bounded_values_to_the_same_text(monkeypatch):
    """Rows of large arrays render a few at a time (the text held at once
    stays small) and the text is the same however they are cut."""
    from usdbench.parquet import render
    from usdbench.parquet.prepared import PreparedTable
    from usdbench.parquet.schema import checked_table

    for table in _arrays_and_series_tables():
        whole = table_to_usda(table)
        prep = PreparedTable(checked_table(table, "t"), np.arange(table.num_rows), "t")
        values = render._row_values(prep, 0, prep.num_rows)
        assert len(values) == prep.num_rows and values.min() >= 1
        for budget in (1, 50, 700, 1 << 30):
            monkeypatch.setattr(render, "_CHUNK_VALUES", budget)
            bounds = render.chunks(prep, 0, prep.num_rows)
            assert bounds[0][0] == 0 and bounds[-1][1] == prep.num_rows
            assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:], strict=False))
            for lo, hi in bounds:  # within the budget, or one row
                assert hi - lo == 1 or values[lo:hi].sum() <= budget, (budget, lo, hi)
            if budget == 1:
                assert len(bounds) == prep.num_rows
            if budget == 1 << 30:
                assert len(bounds) == 1
            assert table_to_usda(table) == whole, budget
    # A row's values: its path, and per column its value or its array's
    # elements, a point's three components counted.
    arrays, _ = _arrays_and_series_tables()
    prep = PreparedTable(checked_table(arrays, "t"), np.arange(arrays.num_rows), "t")
    expected = [
        1 + max(1, 3 * len(p or [])) + max(1, len(i))
        for p, i in zip(arrays["points"].to_pylist(), arrays["ids"].to_pylist(), strict=True)
    ]
    order = np.argsort(arrays["path"].to_numpy(zero_copy_only=False), kind="stable")
    assert render._row_values(prep, 0, prep.num_rows).tolist() == [expected[i] for i in order]


def test_a_table_decoded_in_small_batches_loads_the_same_layer(tmp_path, monkeypatch):
    """The read decodes at most _BATCH_VALUES values at a time (nested
    columns' levels for all rows at once held 6 MiB above a 3.8 MiB table);
    the chunked table it then holds loads the same layer as one read whole,
    with row groups, nulls, a dictionary path column and a path prefix."""
    from usdbench.parquet import read

    arrays, series = _arrays_and_series_tables()
    n = 90
    sparse = pa.table(
        {
            "path": pa.array([f"/World/S{i:02d}" for i in range(n)]).dictionary_encode(),
            "a": pa.array([float(i) if i % 3 else None for i in range(n)]),
            "b": pa.array([[i] * (i % 4) if i % 5 else None for i in range(n)]),
        }
    )
    cases = [(arrays, {}), (series, {"row_group_size": 16}), (sparse, {"row_group_size": 25})]
    chunks = []
    real = read._read_in_batches

    def counted(pf, groups, columns, threads):
        out = real(pf, groups, columns, threads)
        chunks.append(out.column(0).num_chunks)
        return out

    for i, (table, options) in enumerate(cases):
        source = _write(tmp_path, table, f"t{i}.parquet", **options)
        whole = load_layer(source)
        whole_sub = load_layer(source, path_prefix="/World")
        monkeypatch.setattr(read, "_read_in_batches", counted)
        monkeypatch.setattr(read, "_BATCH_VALUES", 7)
        small = load_layer(source)
        assert chunks[-1] > 1, i  # really decoded in several batches
        assert small.ExportToString() == whole.ExportToString(), i
        assert _all_values(small) == _all_values(whole) != {}, i
        sub = load_layer(source, path_prefix="/World")
        assert sub.ExportToString() == whole_sub.ExportToString(), i
        monkeypatch.undo()
