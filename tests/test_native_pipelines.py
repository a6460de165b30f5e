"""The native Parquet format in USD's other entry points, as a user hits them:
muting (Sdf and stage), reload after the file changed, Export and
ExportToString, TransferContent, metadata-only opens, CanRead, usdz
packages made by UsdUtils, and existence questions (GetAuthoredAttributes,
HasAuthoredValue, dependencies) answered without decoding a value."""

from __future__ import annotations

import os

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pxr import Sdf, Tf, Usd, UsdUtils

from usdbench import native
from usdbench.parquet import load_layer
from usdbench.scenario import Scenario


@pytest.fixture(scope="module", autouse=True)
def plugin():
    status = native.status()
    if not status.available and status.reason.startswith("disabled"):
        pytest.skip(status.reason)
    assert status.available, f"the native Parquet plugin is not usable: {status.reason}"
    assert native.available()


def _write(path, table, **options):
    pq.write_table(table, path, **options)
    return path


def _root(folder, props="props.parquet"):
    (folder / "base.usda").write_text('#usda 1.0\ndef Xform "World"\n{\n}\n')
    root = folder / "root.usda"
    root.write_text(f"#usda 1.0\n(\n    subLayers = [@./{props}@, @./base.usda@]\n)\n")
    return root


def _text(layer) -> str:
    copy = Sdf.Layer.CreateAnonymous(".usda")
    copy.TransferContent(layer)
    return copy.ExportToString()


def _small(n=50, offset=0.0) -> pa.Table:
    return pa.table(
        {
            "path": [f"/World/P_{i}" for i in range(n)],
            "cost": [float(i) + offset for i in range(n)],
        }
    )


@pytest.fixture
def small(tmp_path):
    source = _write(tmp_path / "props.parquet", _small(), row_group_size=16)
    return source, _root(tmp_path)


def _cost(stage, i=7):
    prim = stage.GetPrimAtPath(f"/World/P_{i}")
    return prim.GetAttribute("cost").Get() if prim else None


# -- muting ---------------------------------------------------------------------------


def test_sdf_muting_and_unmuting_a_parquet_layer(small):
    source, root = small
    stage = Usd.Stage.Open(str(root))
    assert _cost(stage) == 7.0
    layer = Sdf.Layer.Find(str(source))
    assert layer is not None
    Sdf.Layer.AddToMutedLayers(layer.identifier)
    try:
        assert layer.IsMuted()
        assert _cost(stage) is None
        assert not layer.rootPrims
        other = Usd.Stage.Open(str(root))  # a new stage over a muted layer
        assert _cost(other) is None
    finally:
        Sdf.Layer.RemoveFromMutedLayers(layer.identifier)
    assert _cost(stage) == 7.0
    assert _text(layer) == _text(load_layer(source))


def test_stage_muting_and_unmuting_a_parquet_layer(small):
    source, root = small
    stage = Usd.Stage.Open(str(root))
    identifier = Sdf.Layer.Find(str(source)).identifier
    stage.MuteLayer(identifier)
    assert _cost(stage) is None
    assert stage.GetPrimAtPath("/World")  # the base still composes
    stage.UnmuteLayer(identifier)
    assert _cost(stage) == 7.0


def test_muting_an_empty_table_and_reopening(tmp_path):
    empty = pa.table({"path": pa.array([], pa.string()), "cost": pa.array([], pa.float64())})
    _write(tmp_path / "props.parquet", empty)
    root = _root(tmp_path)
    stage = Usd.Stage.Open(str(root))
    identifier = Sdf.Layer.Find(str(tmp_path / "props.parquet")).identifier
    stage.MuteLayer(identifier)
    stage.UnmuteLayer(identifier)
    assert not Sdf.Layer.Find(identifier).rootPrims
    assert stage.GetPrimAtPath("/World")


# -- reload ---------------------------------------------------------------------------------


def test_reload_after_the_file_became_an_empty_table_then_new_values(small):
    source, root = small
    stage = Usd.Stage.Open(str(root))
    layer = Sdf.Layer.Find(str(source))
    assert _cost(stage) == 7.0
    empty = pa.table({"path": pa.array([], pa.string()), "cost": pa.array([], pa.float64())})
    _write(source, empty)
    assert layer.Reload(force=True)
    assert not layer.rootPrims
    assert _cost(stage) is None
    _write(source, _small(offset=100.0), row_group_size=10)
    assert layer.Reload(force=True)
    assert _cost(stage) == 107.0
    assert not layer.permissionToEdit


# -- export, text, equality, transfer ----------------------------------------------------


def test_export_and_export_to_string_give_the_loaders_text(small, tmp_path):
    source, _ = small
    layer = Sdf.Layer.FindOrOpen(str(source))
    expected = _text(load_layer(source))
    text = layer.ExportToString()
    assert "P_7" in text and "double cost = 7" in text
    assert layer.Export(str(tmp_path / "out.usda"))
    exported = Sdf.Layer.FindOrOpen(str(tmp_path / "out.usda"))
    assert _text(exported) == expected
    assert layer.Export(str(tmp_path / "out.usdc"))
    assert _text(Sdf.Layer.FindOrOpen(str(tmp_path / "out.usdc"))) == expected
    # Writing Parquet is refused with an error, not a crash.
    with pytest.raises(Tf.ErrorException, match="does not support writing"):
        layer.Export(str(tmp_path / "out.parquet"))


def test_transfer_content_both_ways(small):
    source, _ = small
    layer = Sdf.Layer.FindOrOpen(str(source))
    copy = Sdf.Layer.CreateAnonymous(".usda")
    copy.TransferContent(layer)
    assert copy.GetAttributeAtPath("/World/P_3.cost").default == 3.0
    assert _text(copy) == _text(load_layer(source))
    # Into a Parquet layer: refused (read-only), the layer unchanged.
    with pytest.raises(Tf.ErrorException):
        layer.TransferContent(copy)
    assert layer.GetAttributeAtPath("/World/P_3.cost").default == 3.0


def test_two_opens_of_one_file_have_equal_content(small):
    source, _ = small
    a = Sdf.Layer.FindOrOpen(str(source))
    b = Sdf.Layer.OpenAsAnonymous(str(source))
    assert _text(a) == _text(b)
    assert a.ExportToString().split("\n", 3)[3] == b.ExportToString().split("\n", 3)[3]


# -- metadata-only, CanRead -------------------------------------------------------------


def test_metadata_only_open_reads_the_footer_alone(tmp_path):
    table = _small().replace_schema_metadata(
        {"usd:defaultPrim": "World", "usd:upAxis": "Z", "usd:metersPerUnit": "0.01"}
    )
    source = _write(tmp_path / "props.parquet", table)
    layer = Sdf.Layer.OpenAsAnonymous(str(source), metadataOnly=True)
    assert layer is not None
    assert layer.defaultPrim == "World"
    assert layer.pseudoRoot.GetInfo("upAxis") == "Z"
    assert not layer.rootPrims
    stats = native.layer_stats(layer)
    assert stats["metadata_only"] is True and stats["path_blocks_read"] == 0
    full = Sdf.Layer.FindOrOpen(str(source))
    assert [p.name for p in full.rootPrims] == ["World"]


def test_can_read_checks_the_parquet_magic(tmp_path):
    fmt = Sdf.FileFormat.FindByExtension("parquet")
    good = _write(tmp_path / "good.parquet", _small())
    bad = tmp_path / "bad.parquet"
    bad.write_text("path,cost\n/World/A,1\n")
    assert fmt.CanRead(str(good))
    assert not fmt.CanRead(str(bad))
    assert not fmt.CanRead(str(tmp_path / "missing.parquet"))
    with pytest.raises(Tf.ErrorException):
        Sdf.Layer.FindOrOpen(str(bad))


# -- packages and the resolver --------------------------------------------------------------


def test_a_usdz_package_holding_the_parquet_layer_opens(small, tmp_path):
    source, root = small
    package = tmp_path / "pkg.usdz"
    assert UsdUtils.CreateNewUsdzPackage(Sdf.AssetPath(str(root)), str(package))
    os.remove(source)  # only the package holds it now
    stage = Usd.Stage.Open(str(package))
    assert f"{package}[props.parquet]" in [x.identifier for x in stage.GetLayerStack()]
    values = {
        p.GetName(): p.GetAttribute("cost").Get()
        for p in stage.GetPrimAtPath("/World").GetAllChildren()
    }
    assert len(values) == 50 and values["P_7"] == 7.0
    inner = Sdf.Layer.FindOrOpen(f"{package}[props.parquet]")
    assert inner is not None
    assert inner.GetAttributeAtPath("/World/P_9.cost").default == 9.0
    expected = _write(tmp_path / "expected.parquet", _small())
    assert _text(inner) == _text(load_layer(expected))


# -- existence without decoding ---------------------------------------------------------------


@pytest.fixture(scope="module")
def wide_100k(tmp_path_factory):
    """100k prims: the scenario's 20 columns (no nulls), a column with
    nulls, and a list column with a null list and a null element."""
    n = 100_000
    table = Scenario(n, "flat").property_table()
    rng = np.random.default_rng(3)
    sparse = pa.array([float(i) if rng.random() < 0.5 else None for i in range(n)], pa.float64())
    lists = pa.array(
        [None if i % 7 == 0 else [float(i), 1.0] for i in range(n)],
        pa.list_(pa.float64()),
    )
    table = table.append_column("sparse", sparse).append_column("samples", lists)
    folder = tmp_path_factory.mktemp("wide")
    source = _write(folder / "props.parquet", table, row_group_size=5_000)
    return source, _root(folder), table


def _decoded(source) -> int:
    return sum(c["blocks_decoded"] for c in native.layer_stats(str(source))["columns"])


def test_structure_queries_decode_no_value_block(wide_100k):
    source, root, table = wide_100k
    stage = Usd.Stage.Open(str(root))
    native.reset_cache_counters()
    authored = 0
    has_value = 0
    for prim in stage.TraverseAll():
        for attribute in prim.GetAuthoredAttributes():
            authored += 1
            has_value += attribute.HasAuthoredValue()
    expected = sum(len(table) - table[c].null_count for c in table.column_names[1:])
    assert authored == expected
    assert has_value == authored
    layers, references, unresolved = UsdUtils.ComputeAllDependencies(str(root))
    assert any(layer.identifier == str(source) for layer in layers)
    layer = Sdf.Layer.Find(str(source))
    specs = []
    layer.Traverse("/", specs.append)
    assert len(specs) == 1 + 100_001 + expected
    assert native.cache_stats()["blocks_decoded"] == 0
    assert _decoded(source) == 0
    columns = {c["name"]: c for c in native.layer_stats(str(source))["columns"]}
    assert columns["cost"]["presence_read"] == 0  # the footer said: every row
    assert columns["sparse"]["presence_read"] == 20  # levels, not values
    # And the values are there when asked.
    row = table["path"].to_pylist().index("/World/Prim_8")
    assert row % 7 != 0
    samples = stage.GetAttributeAtPath("/World/Prim_8.samples").Get()
    assert list(samples) == [float(row), 1.0]
    null_row = table["path"][0].as_py()
    assert not stage.GetPrimAtPath(null_row).HasAttribute("samples")
    assert _decoded(source) == 1


def test_a_null_element_is_found_from_levels_and_reported_once(tmp_path):
    lists = pa.array([[1.0], [2.0, None], None, [4.0]] * 3, pa.list_(pa.float64()))
    vectors = pa.array(
        [[1.0, 2.0, 3.0], [1.0, None, 3.0], None, [0.0, 0.0, 0.0]] * 3,
        pa.list_(pa.float64(), 3),
    )
    table = pa.table({"path": [f"/P_{i}" for i in range(12)], "v": lists, "p": vectors})
    source = _write(tmp_path / "lists.parquet", table, row_group_size=4)
    layer = Sdf.Layer.FindOrOpen(str(source))
    native.reset_cache_counters()
    with pytest.raises(Tf.ErrorException, match="row 1, column 'v': null element"):
        [p.name for p in layer.GetPrimAtPath("/P_1").properties]
    assert native.cache_stats()["blocks_decoded"] == 0
    # Reported once per (row, column): the second ask is silent.
    assert [p.name for p in layer.GetPrimAtPath("/P_1").properties] == []
    assert [p.name for p in layer.GetPrimAtPath("/P_0").properties] == ["v", "p"]
    assert [p.name for p in layer.GetPrimAtPath("/P_2").properties] == []
    assert native.cache_stats()["blocks_decoded"] == 0
    assert list(layer.GetAttributeAtPath("/P_3.v").default) == [4.0]
