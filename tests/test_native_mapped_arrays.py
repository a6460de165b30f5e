"""The native reader's arrays served from the mapped file (MappedLists): list
columns of numbers in uncompressed PLAIN pages without nulls become VtArrays
over the file's own bytes (no decode, no copy where the page's values are
aligned for the element type, one memcpy where not); everything else
(compressed or dictionary pages, nulls, empty lists) is decoded as before."""

from __future__ import annotations

import gc

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pxr import Sdf, Vt

from tests.native_test_helpers import require_plugin
from usdbench import native

PLAIN = {"compression": "none", "use_dictionary": False}
NAMES = ("points", "indices", "weights")


@pytest.fixture(scope="module", autouse=True)
def plugin():
    require_plugin()


@pytest.fixture(autouse=True)
def default_budget():
    yield
    native.set_cache_budget(256 << 20)


def _table(prims: int, length: int, layout: str = "flat", seed: int = 3, pad: int = 0):
    """path, points (point3f[]: flat list<float> or list<fixed_size_list<float>[3]>),
    indices (int[]), weights (double[]); ``pad``: a first column whose first
    value is ``pad`` bytes long (moves every later column chunk by ``pad``)."""
    rng = np.random.default_rng(seed)
    points = rng.random(prims * length * 3, dtype=np.float32)
    ints = rng.integers(-(1 << 20), 1 << 20, prims * length * 3, dtype=np.int32)
    doubles = rng.random(prims * length)
    starts = np.arange(prims + 1, dtype=np.int32)
    if layout == "flat":
        point_column = pa.ListArray.from_arrays(starts * length * 3, pa.array(points))
    else:
        point_column = pa.ListArray.from_arrays(
            starts * length, pa.FixedSizeListArray.from_arrays(pa.array(points), 3)
        )
    fields = [
        pa.field("path", pa.string()),
        pa.field("points", point_column.type, metadata={"usd:typeName": "point3f[]"}),
        pa.field("indices", pa.list_(pa.int32())),
        pa.field("weights", pa.list_(pa.float64())),
    ]
    columns = [
        pa.array([f"/World/Prim_{i}" for i in range(prims)]),
        point_column,
        pa.ListArray.from_arrays(starts * 3 * length, pa.array(ints)),
        pa.ListArray.from_arrays(starts * length, pa.array(doubles)),
    ]
    if pad:
        fields.insert(0, pa.field("pad", pa.string()))
        columns.insert(0, pa.array(["x" * pad] + [""] * (prims - 1)))
    return pa.table(columns, schema=pa.schema(fields))


def _pyarrow_rows(source, name: str) -> dict[str, np.ndarray]:
    """Each row's array of ``name`` as pyarrow reads it (vectors as n x 3)."""
    table = pq.read_table(source, columns=["path", name])
    lists = table[name].combine_chunks()
    offsets = lists.offsets.to_numpy()
    values = lists.values
    width = 1
    if pa.types.is_fixed_size_list(values.type):
        width = values.type.list_size
        values = values.flatten()
    flat = values.to_numpy(zero_copy_only=False)
    rows = {}
    for i, path in enumerate(table["path"].to_pylist()):
        row = flat[offsets[i] * width : offsets[i + 1] * width]
        rows[path] = row.reshape(-1, 3) if name == "points" else row
    return rows


def _check_every_value(source, prims: int) -> Sdf.Layer:
    layer = Sdf.Layer.FindOrOpen(str(source))
    assert layer is not None
    for name in NAMES:
        expected = _pyarrow_rows(source, name)
        assert len(expected) == prims
        for path, values in expected.items():
            got = np.asarray(layer.GetAttributeAtPath(f"{path}.{name}").default)
            assert got.dtype == values.dtype, (path, name)
            assert np.array_equal(got.ravel(), values.ravel()), (path, name)
    return layer


def _columns(source) -> dict[str, dict]:
    return {c["name"]: c for c in native.layer_stats(str(source))["columns"]}


def _served(before: dict) -> int:
    """Arrays served over the mapping or copied from it since ``before``."""
    now = native.cache_stats()
    return (now["zero_copy_arrays_made"] - before["zero_copy_arrays_made"]) + (
        now["unaligned_array_copies"] - before["unaligned_array_copies"]
    )


@pytest.mark.parametrize("page_version", ["1.0", "2.0"])
@pytest.mark.parametrize("layout", ["flat", "fixed_size_list"])
def test_plain_uncompressed_arrays_are_served_from_the_mapping_equal_to_pyarrow(
    tmp_path, layout, page_version
):
    source = tmp_path / "arrays.parquet"
    pq.write_table(
        _table(200, 500, layout),
        source,
        row_group_size=32,
        data_page_version=page_version,
        **PLAIN,
    )
    before = native.cache_stats()
    _layer = _check_every_value(source, 200)  # kept open for the statistics below
    assert _served(before) == 600  # every array: wrapped in place or one memcpy
    columns = _columns(source)
    for name, width in (("points", 12), ("indices", 12), ("weights", 8)):
        assert columns[name]["blocks_decoded"] == 7  # 7 row groups, each once
        assert columns[name]["blocks_mapped"] == 7, name
        assert columns[name]["bytes_mapped"] == 200 * 500 * width
    # The cache counts what it holds of its own (offsets), not the mapping.
    assert native.cache_stats()["bytes_held"] < 200 * 32 * 8 * 3 * 7


def test_several_pages_per_row_group_and_blocks_of_part_of_a_group(tmp_path):
    """Pages of ~4 KiB hold one row each here (Arrow ends a page at a row's
    end); a budget of 256 KiB makes blocks of ~10 rows, each starting and
    ending inside a row group of 32."""
    source = tmp_path / "pages.parquet"
    pq.write_table(_table(100, 500), source, row_group_size=32, data_page_size=4096, **PLAIN)
    native.set_cache_budget(256 << 10)
    _layer = _check_every_value(source, 100)  # kept open for the statistics below
    columns = _columns(source)
    for name in NAMES:
        assert columns[name]["block_rows"] < 32, columns[name]
        assert columns[name]["blocks_mapped"] == columns[name]["blocks_decoded"] > 4, name


def test_pandas_defaults_compressed_with_dictionaries_keep_the_decoding_path(tmp_path):
    table = _table(60, 200)
    frame = table.to_pandas()
    source = tmp_path / "pandas.parquet"
    frame.to_parquet(source)  # snappy, dictionaries
    assert pq.ParquetFile(source).metadata.row_group(0).column(1).compression == "SNAPPY"
    layer = _check_every_value(source, 60)
    for name in NAMES:
        assert _columns(source)[name]["blocks_mapped"] == 0
    assert layer.GetAttributeAtPath("/World/Prim_0.weights") is not None


def test_nulls_and_empty_lists_in_plain_pages_keep_the_decoding_path(tmp_path):
    table = _table(40, 100)
    weights = table["weights"].to_pylist()
    weights[5], weights[21] = None, []
    table = table.set_column(
        table.schema.get_field_index("weights"),
        "weights",
        pa.array(weights, pa.list_(pa.float64())),
    )
    source = tmp_path / "holes.parquet"
    pq.write_table(table, source, row_group_size=16, **PLAIN)
    layer = Sdf.Layer.FindOrOpen(str(source))
    assert layer.GetAttributeAtPath("/World/Prim_5.weights") is None
    assert len(layer.GetAttributeAtPath("/World/Prim_21.weights").default) == 0
    points = _pyarrow_rows(source, "points")
    for i in (0, 6, 20, 22, 39):
        got = np.asarray(layer.GetAttributeAtPath(f"/World/Prim_{i}.weights").default)
        assert np.array_equal(got, np.asarray(weights[i]))
        got = np.asarray(layer.GetAttributeAtPath(f"/World/Prim_{i}.points").default)
        assert np.array_equal(got, points[f"/World/Prim_{i}"])
    columns = _columns(source)
    # The two groups with a null or empty list are decoded; the third is mapped.
    assert columns["weights"]["blocks_decoded"] == 3
    assert columns["weights"]["blocks_mapped"] == 1
    assert columns["points"]["blocks_mapped"] == columns["points"]["blocks_decoded"] == 3


def test_an_array_over_the_mapping_outlives_its_layer(tmp_path):
    """A VtArray wrapping the file's bytes holds the mapping (its foreign
    source holds the asset's buffer): it reads right after its block is
    evicted and its layer closed. Where a page's values sit in the file
    decides whether they are aligned: a first column ``pad`` bytes longer
    moves them until one array of each width is wrapped in place."""
    held = {}
    for pad in range(1, 17):
        source = tmp_path / f"pad{pad}.parquet"
        pq.write_table(
            _table(8, 300, pad=pad),
            source,
            write_statistics=["path", "points", "indices", "weights"],
            **PLAIN,
        )
        layer = Sdf.Layer.FindOrOpen(str(source))
        value = None
        expected = {name: _pyarrow_rows(source, name)["/World/Prim_2"] for name in NAMES}
        for name in NAMES:
            if name in held:
                continue
            before = native.cache_stats()["zero_copy_arrays_made"]
            value = layer.GetAttributeAtPath(f"/World/Prim_2.{name}").default
            if native.cache_stats()["zero_copy_arrays_made"] == before + 1:
                held[name] = (value, expected[name])
        del layer, value
        if len(held) == len(NAMES):
            break
    assert set(held) == set(NAMES), "no padding gave aligned pages"
    native.set_cache_budget(1)  # every block evicted
    gc.collect()
    assert all(Sdf.Layer.Find(str(tmp_path / f"pad{p}.parquet")) is None for p in range(1, 17))
    assert native.cache_stats()["zero_copy_arrays_live"] >= len(NAMES)
    for name, (value, expected) in held.items():
        assert np.array_equal(np.asarray(value), expected), name
    points = held["points"][0]
    copy = Vt.Vec3fArray(points)
    copy[0] = (9, 9, 9)  # writing detaches: the mapping is never written
    assert tuple(points[0]) == tuple(held["points"][1][0]) and tuple(copy[0]) == (9, 9, 9)


def test_the_suite_writer_leaves_lists_of_numbers_uncompressed_in_every_format(tmp_path):
    """Lists of numbers (flat or of fixed_size_lists) are written uncompressed
    whatever the format's codec, every other column with it; an explicit
    codec is used for every column. The suite's zstd file is then read from
    the mapping."""
    from usdbench import writers
    from usdbench.formats import get_format

    table = (
        _table(40, 50, "fixed_size_list")
        .append_column("labels", pa.array([["a", "b"]] * 40, pa.list_(pa.string())))
        .append_column("x", pa.array(np.arange(40, dtype=np.float64)))
    )
    assert writers.plain_list_columns(table.schema) == list(NAMES)

    def codecs(path):
        group = pq.ParquetFile(path).metadata.row_group(0)
        return {
            group.column(i).path_in_schema.split(".")[0]: group.column(i).compression
            for i in range(group.num_columns)
        }

    source = tmp_path / "suite.parquet"
    writers.write_parquet(table, get_format("parquet-native-zstd-rg1000"), source)
    assert codecs(source) == {
        "path": "ZSTD",
        "points": "UNCOMPRESSED",
        "indices": "UNCOMPRESSED",
        "weights": "UNCOMPRESSED",
        "labels": "ZSTD",
        "x": "ZSTD",
    }
    forced = tmp_path / "forced.parquet"
    writers.write_parquet(
        table, get_format("parquet-native-zstd-rg1000"), forced, compression="zstd"
    )
    assert set(codecs(forced).values()) == {"ZSTD"}
    layer = Sdf.Layer.FindOrOpen(str(source))
    for name in NAMES:
        expected = _pyarrow_rows(source, name)["/World/Prim_9"]
        got = np.asarray(layer.GetAttributeAtPath(f"/World/Prim_9.{name}").default)
        assert np.array_equal(got.ravel(), expected.ravel())
        assert _columns(source)[name]["blocks_mapped"] == 1


@pytest.mark.parametrize(
    ("env", "mapped"),
    [({}, True), ({"USDPARQUET_MAP_ARRAYS": "0"}, False), ({"USDPARQUET_MAP_ASSETS": "0"}, False)],
    ids=["default", "map-arrays-off", "map-assets-off"],
)
def test_the_environment_turns_the_mapped_path_off_with_the_same_values(tmp_path, env, mapped):
    """USDPARQUET_MAP_ARRAYS=0 decodes the arrays as any column; an asset read
    through ArAsset::Read (USDPARQUET_MAP_ASSETS=0) has no mapping to serve."""
    import json
    import os
    import subprocess
    import sys
    import textwrap
    from pathlib import Path

    source = tmp_path / "arrays.parquet"
    pq.write_table(_table(30, 100), source, row_group_size=8, **PLAIN)
    code = f"""
        import json
        import numpy as np
        import usdbench
        from pxr import Sdf
        from usdbench import native
        layer = Sdf.Layer.FindOrOpen({str(source)!r})
        sums = [float(np.asarray(layer.GetAttributeAtPath(f"/World/Prim_{{i}}.{{n}}").default,
                                 dtype=np.float64).sum())
                for i in range(30) for n in {list(NAMES)!r}]
        mapped = sum(c["blocks_mapped"] for c in native.layer_stats(layer)["columns"])
        print(json.dumps({{"sums": sums, "mapped": mapped}}))
        """
    run = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **env},
        cwd=Path(__file__).resolve().parents[1],
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert (result["mapped"] == 12) is mapped  # 4 row groups x 3 columns
    expected = [
        float(_pyarrow_rows(source, n)[f"/World/Prim_{i}"].astype(np.float64).sum())
        for i in range(30)
        for n in NAMES
    ]
    assert result["sums"] == expected
