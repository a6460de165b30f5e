"""Every format and reader, composed over the base scene, gives the scenario's
own values: usda, usdc, usdz, and each Parquet variant read by the native
plugin and by the Python loader, whole and projected."""

import math

import numpy as np
import pyarrow.parquet as pq
import pytest
from pxr import Gf, Sdf

from usdbench import cache, workloads
from usdbench.formats import FORMAT_NAMES, PARQUET_READERS
from usdbench.scenario import PROPERTIES, Scenario
from usdbench.stage import open_stage


def _expected_rows(scenario, sample=None):
    rows = scenario.property_table().to_pylist()
    return rows if sample is None else rows[:: max(1, len(rows) // sample)]


def _assert_stage_matches(stage, rows, fmt):
    for row in rows:
        prim = stage.GetPrimAtPath(row["path"])
        assert prim, f"{fmt}: no prim {row['path']}"
        for name in PROPERTIES:
            got = prim.GetAttribute(name).Get()
            want = row[name]
            if isinstance(want, float):
                # Bit-exact: the text formats must round-trip doubles.
                assert isinstance(got, float) and (got == want or math.isnan(want)), (
                    f"{fmt} {row['path']}.{name}: {got!r} != {want!r}"
                )
            else:
                assert got == want, f"{fmt} {row['path']}.{name}: {got!r} != {want!r}"


@pytest.fixture(scope="module")
def flat_1k(tmp_path_factory):
    scenario = Scenario(1000, "flat")
    return scenario, cache.materialize(scenario, FORMAT_NAMES, tmp_path_factory.mktemp("flat1k"))


def _layer_files(stage) -> set[str]:
    return {Sdf.Layer.SplitIdentifier(layer.identifier)[0] for layer in stage.GetLayerStack()}


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_every_prim_and_property_equals_the_source(flat_1k, fmt):
    scenario, files = flat_1k
    stage = workloads.load(files[fmt])
    _assert_stage_matches(stage, _expected_rows(scenario), fmt)
    # Each reader really read it: USD opened the file itself only natively.
    native_read = str(files[fmt].props) in _layer_files(stage)
    assert native_read == (files[fmt].format.reader != "python"), fmt


@pytest.mark.parametrize("reader", PARQUET_READERS)
def test_projection_and_prefix_keep_exactly_their_values(flat_1k, reader):
    scenario, files = flat_1k
    root = files[f"parquet-{reader}-zstd-rg100"].root
    names = ["temperature", "supplier_id"]
    stage = open_stage(
        str(root), parquet_columns=names, parquet_path_prefix="/World/Prim_1", parquet_reader=reader
    )
    for row in scenario.property_table().to_pylist():
        prim = stage.GetPrimAtPath(row["path"])
        under = row["path"] == "/World/Prim_1" or row["path"].startswith("/World/Prim_1/")
        for name in PROPERTIES:
            got = prim.GetAttribute(name).Get()
            if name in names and under:
                assert got == row[name], (reader, row["path"], name)
            elif name != "cost":  # the base scene's own cost stays
                assert got is None, (reader, row["path"], name)


@pytest.mark.slow  # 20k deep prims: writing usdc takes ~10 s
@pytest.mark.parametrize(
    "fmt", ["usdc", "parquet-native-snappy-rg100", "parquet-python-snappy-rg100", "usdz"]
)
def test_deep_hierarchy_sample_equals_the_source(tmp_path, fmt):
    scenario = Scenario(20_000, "deep")
    files = cache.materialize(scenario, [fmt], tmp_path)[fmt]
    stage = workloads.load(files)
    _assert_stage_matches(stage, _expected_rows(scenario, sample=300), fmt)
    # Intermediate prims exist and carry no property opinion.
    room = stage.GetPrimAtPath("/World/Zone_1/Level_2/Room_3")
    assert room and room.GetAttribute("temperature").Get() is None


def test_parquet_options_are_really_applied(flat_1k):
    _, files = flat_1k
    for fmt in FORMAT_NAMES:
        f = files[fmt].format
        if not f.is_parquet:
            continue
        meta = pq.ParquetFile(files[fmt].props).metadata
        assert meta.num_rows == 1000
        assert meta.num_row_groups == math.ceil(1000 / f.row_group_size)
        codec = meta.row_group(0).column(1).compression
        assert codec == {"none": "UNCOMPRESSED", "snappy": "SNAPPY", "zstd": "ZSTD"}[f.compression]


def test_formats_differ_in_size_as_expected(flat_1k):
    _, files = flat_1k
    size = {fmt: workloads.file_size(files[fmt]) for fmt in FORMAT_NAMES}
    assert size["usdc"] < size["usda"]
    assert size["parquet-native-zstd-rg1000"] < size["parquet-native-none-rg1000"] < size["usda"]
    # Both readers read the same file.
    assert files["parquet-native-zstd-rg100"].props == files["parquet-python-zstd-rg100"].props


def test_value_types_are_the_usd_types(flat_1k):
    _, files = flat_1k
    stage = workloads.load(files["usdc"])
    prim = stage.GetPrimAtPath("/World/Prim_1")
    types = {n: str(prim.GetAttribute(n).GetTypeName()) for n in PROPERTIES}
    assert types["cost"] == "double" and types["lifespan"] == "int"
    assert types["is_active"] == "bool" and types["supplier_id"] == "string"
    assert not isinstance(prim.GetAttribute("cost").Get(), Gf.Vec3d)


# -- scenario families: series (time samples), arrays, sparse ------------------------

FAMILY_SCALE = 40


@pytest.fixture(scope="module")
def families(tmp_path_factory):
    out = {}
    for family in ("series", "arrays", "sparse"):
        scenario = Scenario(FAMILY_SCALE, "flat", family=family)
        directory = tmp_path_factory.mktemp(family)
        out[family] = scenario, cache.materialize(scenario, FORMAT_NAMES, directory)
    return out


def _family_params():
    for family in ("series", "arrays", "sparse"):
        for fmt in FORMAT_NAMES:
            yield pytest.param(family, fmt, id=f"{family}-{fmt}")


def _same(got, want, where):
    if isinstance(want, float):
        assert isinstance(got, float) and got == want, f"{where}: {got!r} != {want!r}"
    else:
        assert type(got) is type(want) and got == want, f"{where}: {got!r} != {want!r}"


def _assert_series(stage, scenario, fmt):
    table = scenario.property_table().to_pylist()
    samples: dict[str, dict[str, list]] = {}
    for row in table:
        prim = samples.setdefault(row["path"], {})
        for name in scenario.properties:
            if row[name] is not None:
                prim.setdefault(name, []).append((row["time"], row[name]))
    assert len(samples) == scenario.scale
    for path, props in samples.items():
        prim = stage.GetPrimAtPath(path)
        assert prim, f"{fmt}: no prim {path}"
        for name, want in props.items():
            attr = prim.GetAttribute(name)
            where = f"{fmt} {path}.{name}"
            assert attr.GetTimeSamples() == [t for t, _ in want], where
            assert attr.Get() is None, f"{where}: a default value"  # samples, not defaults
            for t, value in want:
                _same(attr.Get(t), value, f"{where}@{t}")
        # Between samples: linear for doubles, held for ints and bools.
        t0, v0 = props["temperature"][3]
        t1, v1 = props["temperature"][4]
        mid = prim.GetAttribute("temperature").Get((t0 + t1) / 2)
        assert mid == pytest.approx((v0 + v1) / 2, rel=1e-12), f"{fmt} {path}"
        assert prim.GetAttribute("count").Get(t0 + 0.5) == props["count"][3][1]


def _assert_arrays(stage, scenario, fmt):
    for row in scenario.property_table().to_pylist():
        prim = stage.GetPrimAtPath(row["path"])
        assert prim, f"{fmt}: no prim {row['path']}"
        points = prim.GetAttribute("points")
        assert str(points.GetTypeName()) == "point3f[]", fmt
        assert str(prim.GetAttribute("indices").GetTypeName()) == "int[]", fmt
        assert str(prim.GetAttribute("weights").GetTypeName()) == "double[]", fmt
        got = np.asarray(points.Get())
        want = np.asarray(row["points"], np.float32).reshape(-1, 3)  # flat x, y, z
        assert got.dtype == np.float32 and got.shape == want.shape, fmt
        assert np.array_equal(got, want), fmt
        for name, dtype in (("indices", np.int32), ("weights", np.float64)):
            got = np.asarray(prim.GetAttribute(name).Get())
            assert got.dtype == dtype and np.array_equal(got, np.asarray(row[name], dtype)), (
                f"{fmt} {row['path']}.{name}"
            )


def _assert_sparse(stage, scenario, fmt):
    for row in scenario.property_table().to_pylist():
        prim = stage.GetPrimAtPath(row["path"])
        assert prim, f"{fmt}: no prim {row['path']}"
        carried = {n for n in scenario.properties if row[n] is not None}
        authored = {a.GetName() for a in prim.GetAuthoredAttributes()} - {"cost"}
        assert authored == carried, f"{fmt} {row['path']}"
        for name in carried:
            _same(prim.GetAttribute(name).Get(), row[name], f"{fmt} {row['path']}.{name}")


@pytest.mark.parametrize(("family", "fmt"), list(_family_params()))
def test_every_family_format_and_reader_equals_the_source(families, family, fmt):
    scenario, files = families[family]
    stage = workloads.load(files[fmt])
    {"series": _assert_series, "arrays": _assert_arrays, "sparse": _assert_sparse}[family](
        stage, scenario, fmt
    )
    native_read = str(files[fmt].props) in _layer_files(stage)
    assert native_read == (files[fmt].format.reader != "python"), fmt


def test_family_parquet_files_are_the_contracts_tables(families):
    _, series = families["series"]
    meta = pq.ParquetFile(series["parquet-native-zstd-rg100"].props).metadata
    from usdbench.scenario import ARRAY_ROW_GROUP_BYTES, SERIES_SAMPLES

    # Series: rows are (prim, time); the format's row count is prims per group.
    assert meta.num_rows == FAMILY_SCALE * SERIES_SAMPLES
    assert meta.row_group(0).num_rows == min(100, FAMILY_SCALE) * SERIES_SAMPLES
    # Arrays: row groups by bytes, whatever the format's row count.
    _, arrays = families["arrays"]
    for fmt in ("parquet-native-zstd-rg100", "parquet-native-zstd-rg10000"):
        pf = pq.ParquetFile(arrays[fmt].props)
        rows = pf.metadata.row_group(0).num_rows
        assert rows * 32_000 <= ARRAY_ROW_GROUP_BYTES < (rows + 1) * 32_000 or rows == FAMILY_SCALE
        assert pf.schema_arrow.field("points").metadata == {b"usd:typeName": b"point3f[]"}
    # Sparse: every column in the file, nulls for the absent.
    _, sparse = families["sparse"]
    table = pq.read_table(sparse["parquet-python-none-rg100"].props)
    assert table.num_columns == 201 and sum(c.null_count for c in table.columns) > 0
