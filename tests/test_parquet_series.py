"""The Python loader's time-series tables (a ``time`` column: time samples)
and list columns (arrays): pandas and DuckDB files composed through the
loader, rows in any order, nulls; and bad time-series tables named by file
and row."""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pxr import Sdf, Usd

from usdbench.errors import UsdBenchError
from usdbench.parquet import load_layer, load_layers
from usdbench.stage import open_stage


def _stage(layer):
    return Usd.Stage.Open(layer)


def test_a_pandas_time_series_in_any_row_order_gives_sorted_samples(tmp_path):
    frame = pd.DataFrame(
        {
            "path": ["/W/B", "/W/A", "/W/B", "/W/A", "/W/A"],
            "time": [2.0, 10.0, -1.0, 0.0, 5.5],
            "temp": [20.5, 1.25, None, 0.5, 3.0],
            "n": pd.array([7, 1, 8, None, 3], dtype="Int32"),
        }
    )
    path = tmp_path / "series.parquet"
    frame.to_parquet(path)
    stage = _stage(load_layer(path))
    a, b = stage.GetPrimAtPath("/W/A"), stage.GetPrimAtPath("/W/B")
    temp = a.GetAttribute("temp")
    assert temp.GetTimeSamples() == [0.0, 5.5, 10.0]
    assert [temp.Get(t) for t in (0, 5.5, 10)] == [0.5, 3.0, 1.25]
    assert temp.Get() is None  # samples, no default
    assert temp.Get(2.75) == pytest.approx(1.75)  # linear between samples
    assert temp.Get(-100) == 0.5 and temp.Get(100) == 1.25  # held outside
    # A null is no sample: /W/A has no n at time 0, /W/B no temp at -1.
    assert a.GetAttribute("n").GetTimeSamples() == [5.5, 10.0]
    assert a.GetAttribute("n").Get(7) == 3  # ints are held
    assert b.GetAttribute("temp").GetTimeSamples() == [2.0]
    assert b.GetAttribute("n").GetTimeSamples() == [-1.0, 2.0]
    assert str(b.GetAttribute("n").GetTypeName()) == "int"
    # "time" is the key, never a property.
    assert not a.GetAttribute("time")


def test_a_duckdb_time_series_and_list_columns_compose_through_open_stage(tmp_path):
    series = tmp_path / "series.parquet"
    arrays = tmp_path / "arrays.parquet"
    con = duckdb.connect()
    con.execute(
        f"""COPY (SELECT '/World/P' || (i % 3) AS path, (i // 3)::DOUBLE AS time,
                       (i * 0.5)::DOUBLE AS v, (i % 2 = 0) AS on
                FROM range(12) t(i) ORDER BY random()) TO '{series}' (FORMAT parquet)"""
    )
    con.execute(
        f"""COPY (SELECT '/World/P' || i AS path,
                   CASE WHEN i = 1 THEN NULL ELSE [i::INTEGER, 2, 3] END AS idx,
                   [(i * 1.5)::DOUBLE, 2.5::DOUBLE] AS w
                FROM range(3) t(i)) TO '{arrays}' (FORMAT parquet)"""
    )
    root = tmp_path / "root.usda"
    root.write_text(
        "#usda 1.0\n(\n    subLayers = [@./series.parquet@, @./arrays.parquet@]\n)\n"
        'def Xform "World" {\n def Xform "P0" {}\n def Xform "P1" {}\n def Xform "P2" {}\n}\n'
    )
    stage = open_stage(str(root), parquet_reader="python")
    p1 = stage.GetPrimAtPath("/World/P1")
    assert p1.GetAttribute("v").GetTimeSamples() == [0.0, 1.0, 2.0, 3.0]
    assert [p1.GetAttribute("v").Get(t) for t in range(4)] == [0.5, 2.0, 3.5, 5.0]
    assert [p1.GetAttribute("on").Get(t) for t in range(4)] == [False, True, False, True]
    assert p1.GetAttribute("idx").Get() is None  # a null list: no opinion
    assert list(stage.GetPrimAtPath("/World/P2").GetAttribute("idx").Get()) == [2, 2, 3]
    assert str(p1.GetAttribute("w").GetTypeName()) == "double[]"
    assert list(p1.GetAttribute("w").Get()) == [1.5, 2.5]


def test_a_time_series_split_in_parts_composes_to_the_whole(tmp_path):
    n, t = 25_000, 2
    table = pa.table(
        {
            "path": np.repeat([f"/W/P{i}" for i in range(n)], t),
            "time": np.tile(np.arange(t, dtype=float), n),
            "v": np.arange(n * t, dtype=float),
        }
    )
    path = tmp_path / "big.parquet"
    pq.write_table(table, path)
    parts = load_layers(path, parts=3)
    assert len(parts) == 3
    root = Sdf.Layer.CreateAnonymous()
    root.subLayerPaths = [p.identifier for p in parts]
    stage = Usd.Stage.Open(root)
    attr = stage.GetPrimAtPath("/W/P12345").GetAttribute("v")
    assert attr.GetTimeSamples() == [0.0, 1.0] and attr.Get(1) == 12345 * 2 + 1


def _bad(tmp_path, path, time, name="bad.parquet"):
    table = pa.table({"path": path, "time": pa.array(time, pa.float64()), "v": [1.0] * len(path)})
    file = tmp_path / name
    pq.write_table(table, file)
    return str(file)


def test_a_null_time_is_an_error_naming_file_and_row(tmp_path):
    file = _bad(tmp_path, ["/A", "/A", "/B"], [0.0, 1.0, None])
    with pytest.raises(UsdBenchError) as error:
        load_layer(file)
    assert error.value.file == file and error.value.row == 2 and error.value.column == "time"
    assert "null time" in str(error.value) and "row 2" in str(error.value)


def test_a_nan_or_infinite_time_is_an_error_naming_file_and_row(tmp_path):
    for bad in (math.nan, math.inf):
        file = _bad(tmp_path, ["/A", "/B", "/C"], [0.0, bad, 1.0], name=f"{bad}.parquet")
        with pytest.raises(UsdBenchError, match=r"row 1, column 'time'.*not a finite") as error:
            load_layer(file)
        assert error.value.file == file


def test_the_same_path_and_time_twice_names_both_rows(tmp_path):
    file = _bad(tmp_path, ["/B", "/A", "/C", "/A"], [0.0, 3.0, 3.0, 3.0])
    with pytest.raises(UsdBenchError) as error:
        load_layer(file)
    assert error.value.file == file and error.value.row == (1, 3)
    assert "rows 1 and 3" in str(error.value) and "'/A' has two rows at time 3.0" in str(
        error.value
    )
    # The same time on two prims, or two times on one prim, is fine.
    load_layer(_bad(tmp_path, ["/A", "/B", "/A"], [3.0, 3.0, 4.0], name="ok.parquet"))


def test_a_time_column_that_is_not_numbers_is_refused(tmp_path):
    file = tmp_path / "t.parquet"
    pq.write_table(pa.table({"path": ["/A"], "time": ["noon"], "v": [1.0]}), file)
    with pytest.raises(UsdBenchError, match="time column must hold numbers"):
        load_layer(file)


def test_a_flat_float_list_declared_point3f_reads_as_points(tmp_path):
    from usdbench.writers import with_usd_metadata

    table = pa.table(
        {
            "path": ["/W/A", "/W/B", "/W/C"],
            "points": pa.array([[1.5, 2, 3, 4, 5, 6.25], None, []], pa.list_(pa.float32())),
        }
    )
    file = tmp_path / "flat.parquet"
    pq.write_table(with_usd_metadata(table, {"points": "point3f[]"}), file)
    stage = _stage(load_layer(file))
    attr = stage.GetPrimAtPath("/W/A").GetAttribute("points")
    assert str(attr.GetTypeName()) == "point3f[]"
    assert np.array_equal(np.asarray(attr.Get()), [[1.5, 2, 3], [4, 5, 6.25]])
    assert stage.GetPrimAtPath("/W/B").GetAttribute("points").Get() is None
    assert len(stage.GetPrimAtPath("/W/C").GetAttribute("points").Get()) == 0
    bad = pa.table(
        {"path": ["/W/A", "/W/B"], "p": pa.array([[1.0, 2, 3], [1.0]], pa.list_(pa.float32()))}
    )
    pq.write_table(with_usd_metadata(bad, {"p": "float3[]"}), file)
    with pytest.raises(UsdBenchError, match=r"row 1, column 'p'.*multiple of 3"):
        load_layer(file)
    # A declared vector of another element type does not fit.
    with pytest.raises(UsdBenchError, match="does not fit"):
        with_usd_metadata(bad, {"p": "double3[]"})
