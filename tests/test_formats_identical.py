"""Every format, composed over the base scene, gives the scenario's own values."""

import math

import pyarrow.parquet as pq
import pytest
from pxr import Gf

from usdbench import cache, workloads
from usdbench.formats import FORMAT_NAMES
from usdbench.scenario import PROPERTIES, Scenario


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


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_every_prim_and_property_equals_the_source(flat_1k, fmt):
    scenario, files = flat_1k
    stage = workloads.load(files[fmt])
    _assert_stage_matches(stage, _expected_rows(scenario), fmt)


@pytest.mark.slow  # 20k deep prims: writing usdc takes ~10 s
@pytest.mark.parametrize("fmt", ["usdc", "parquet-snappy-rg100", "usdz"])
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
    assert size["parquet-zstd-rg1000"] < size["parquet-none-rg1000"] < size["usda"]


def test_value_types_are_the_usd_types(flat_1k):
    _, files = flat_1k
    stage = workloads.load(files["usdc"])
    prim = stage.GetPrimAtPath("/World/Prim_1")
    types = {n: str(prim.GetAttribute(n).GetTypeName()) for n in PROPERTIES}
    assert types["cost"] == "double" and types["lifespan"] == "int"
    assert types["is_active"] == "bool" and types["supplier_id"] == "string"
    assert not isinstance(prim.GetAttribute("cost").Get(), Gf.Vec3d)
