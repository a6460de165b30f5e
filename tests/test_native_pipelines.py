"""The native Parquet format in USD's other entry points, as a user hits them:
muting (Sdf and stage), reload after the file changed, Export and
ExportToString, TransferContent, metadata-only opens, CanRead, usdz
packages made by UsdUtils, and existence questions (GetAuthoredAttributes,
HasAuthoredValue, dependencies) answered without decoding a value."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from pxr import Sdf, Tf, Usd, UsdUtils

from tests.native_test_helpers import RESOLVER, call, helpers, layers_equal, require_plugin
from usdbench import native
from usdbench.parquet import load_layer
from usdbench.scenario import Scenario


@pytest.fixture(scope="module", autouse=True)
def plugin():
    require_plugin()


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


def test_equals_compares_the_data_of_two_parquet_layers(tmp_path):
    """SdfAbstractData::Equals called directly: the same content in another
    row group layout is equal, another value or a prefix's subset is not."""
    a = _write(tmp_path / "a.parquet", _small(), row_group_size=16)
    same = _write(tmp_path / "same.parquet", _small(), row_group_size=7)
    other = _write(tmp_path / "other.parquet", _small(offset=0.5), row_group_size=16)
    subset = f"{a}:SDF_FORMAT_ARGS:pathPrefix=/World/P_1"
    layers = [Sdf.Layer.FindOrOpen(x) for x in (str(a), str(same), str(other), subset)]
    anonymous = Sdf.Layer.OpenAsAnonymous(str(a))
    assert all(layers) and anonymous
    assert layers_equal(str(a), str(a)) == 1
    assert layers_equal(str(a), anonymous.identifier) == 1
    assert layers_equal(str(a), str(same)) == layers_equal(str(same), str(a)) == 1
    assert layers_equal(str(a), str(other)) == layers_equal(str(other), str(a)) == 0
    assert layers_equal(str(a), layers[3].identifier) == 0
    assert layers_equal(str(a), str(tmp_path / "missing.parquet")) == -1


def test_transfer_content_copies_every_spec_and_value(tmp_path):
    """TransferContent into a usda layer, compared spec by spec with the
    Parquet layer it came from, nulls (no attribute) included."""
    table = pa.table(
        {
            "path": [f"/World/P_{i}" for i in range(40)],
            "cost": pa.array([None if i % 3 == 0 else float(i) for i in range(40)]),
            "ids": pa.array(
                [[i, i + 1] if i % 4 else None for i in range(40)], pa.list_(pa.int32())
            ),
        }
    )
    source = _write(tmp_path / "props.parquet", table, row_group_size=9)
    layer = Sdf.Layer.FindOrOpen(str(source))
    copy = Sdf.Layer.CreateAnonymous(".usda")
    copy.TransferContent(layer)
    specs, copied = [], []
    layer.Traverse("/", specs.append)
    copy.Traverse("/", copied.append)
    assert sorted(map(str, specs)) == sorted(map(str, copied))
    attributes = [p for p in specs if p.IsPropertyPath()]
    assert len(attributes) == 40 - 14 + 30  # non-null costs, non-null lists
    for path in attributes:
        ours, theirs = layer.GetAttributeAtPath(path), copy.GetAttributeAtPath(path)
        assert ours.typeName == theirs.typeName and ours.default == theirs.default, path
    assert copy.GetAttributeAtPath("/World/P_5.ids").default == [5, 6]
    assert not copy.GetAttributeAtPath("/World/P_3.cost")


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


@pytest.mark.slow  # seconds of C++ work: CI runs it, the fast loop does not
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


@pytest.mark.slow  # seconds of USD work: CI runs it, the fast loop does not
def test_exporting_structure_only_queries_decodes_no_value_block(wide_100k, tmp_path):
    """A structure-only query of the 100k-prim file (the ``path`` column
    alone) exported as text and as usdc decodes no value block; exporting a
    query of two columns decodes those columns' blocks, each once, and no
    other."""
    source, _, table = wide_100k
    groups = pq.ParquetFile(source).metadata.num_row_groups
    native.reset_cache_counters()
    structure = Sdf.Layer.FindOrOpen(f"{source}:SDF_FORMAT_ARGS:columns=path")
    text = structure.ExportToString()
    assert structure.Export(str(tmp_path / "structure.usdc"))
    assert native.cache_stats()["blocks_decoded"] == 0
    assert native.layer_stats(structure)["columns"] == []
    assert text.count('over "') == 100_001
    assert not any(name in text for name in table.column_names[1:])
    exported = Sdf.Layer.FindOrOpen(str(tmp_path / "structure.usdc"))
    specs = []
    exported.Traverse("/", specs.append)
    assert len(specs) == 1 + 100_001
    two = Sdf.Layer.FindOrOpen(f"{source}:SDF_FORMAT_ARGS:columns=cost,sparse")
    native.reset_cache_counters()
    text = two.ExportToString()
    assert native.cache_stats()["blocks_decoded"] == 2 * groups
    decoded = {c["name"]: c["blocks_decoded"] for c in native.layer_stats(two)["columns"]}
    assert decoded == {"cost": groups, "sparse": groups}
    expected = len(table) + len(table) - table["sparse"].null_count
    assert text.count("double cost = ") + text.count("double sparse = ") == expected


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


# -- large row groups, the budget, threads ----------------------------------------------------


def _expected_sums(table: pa.Table) -> dict:
    sums = {}
    for name in table.column_names[1:]:
        column = table[name]
        count = len(column) - column.null_count
        if pa.types.is_string(column.type):
            chars = sum(len(v.encode()) for v in column.to_pylist() if v is not None)
            sums[name] = (count, 0.0, chars)
        else:
            total = pc.sum(pc.cast(column, pa.float64())).as_py() or 0.0
            sums[name] = (count, total, 0)
    return sums


@pytest.fixture(scope="module")
def million(tmp_path_factory):
    """1M rows written with pyarrow's defaults: one row group."""
    n = 1_000_000
    rng = np.random.default_rng(11)
    base = Scenario(n, "flat").property_table()
    table = pa.table(
        {
            "path": base["path"],
            "cost": base["cost"],
            "lifespan": base["lifespan"],
            "is_active": base["is_active"],
            "supplier_id": base["supplier_id"],
            "sparse": pa.array(rng.random(n), mask=rng.random(n) < 0.3),
        }
    )
    source = tmp_path_factory.mktemp("million") / "props.parquet"
    pq.write_table(table, source)
    assert pq.ParquetFile(source).metadata.num_row_groups == 1
    return source, table


@pytest.mark.slow  # seconds of C++ work: CI runs it, the fast loop does not
def test_one_prims_first_read_of_a_million_row_group_decodes_one_block(million):
    source, table = million
    layer = Sdf.Layer.FindOrOpen(str(source))
    row = 777_777
    path = table["path"][row].as_py()
    for name in ("cost", "supplier_id", "sparse", "is_active"):
        before = {c["name"]: c for c in native.layer_stats(layer)["columns"]}[name]
        spec = layer.GetAttributeAtPath(f"{path}.{name}")
        expected = table[name][row].as_py()
        assert (spec.default if spec else None) == expected
        after = {c["name"]: c for c in native.layer_stats(layer)["columns"]}[name]
        decoded = after["rows_decoded"] - before["rows_decoded"]
        assert after["blocks_decoded"] - before["blocks_decoded"] == (expected is not None)
        # A block is at most USDPARQUET_BLOCK_ROWS rows, well under a page
        # of pyarrow's default 1 MiB pages for these columns, never the group.
        assert decoded <= 65_536, (name, decoded)


@pytest.mark.slow  # seconds of C++ work: CI runs it, the fast loop does not
def test_a_full_traversal_of_a_million_rows_under_32_mib_stays_within_it(million):
    source, table = million
    budget = 32 << 20
    native.set_cache_budget(budget)
    try:
        layer = Sdf.Layer.FindOrOpen(str(source))
        native.reset_cache_counters()
        result = call(helpers().usdparquet_test_read_all, str(source).encode(), 1, None)
        stats = native.cache_stats()
    finally:
        native.set_cache_budget(256 << 20)
    assert result["prims"] == 1_000_001
    assert 0 < stats["peak_bytes_held"] <= budget, stats
    # Each block decoded once: 5 columns x 16 blocks of 65536 rows.
    assert stats["blocks_decoded"] == 5 * 16, stats
    expected = _expected_sums(table)
    assert set(result["columns"]) == set(expected)
    for name, (count, total, chars) in expected.items():
        got = result["columns"][name]
        assert got[0] == count and got[2] == chars, name
        assert got[1] == pytest.approx(total, rel=1e-12), name
    del layer


def _damage_one_block(source: Path, row_group: int, column: int) -> None:
    """Overwrites the header of one column chunk's first data page."""
    chunk = pq.ParquetFile(source).metadata.row_group(row_group).column(column)
    start = chunk.data_page_offset
    data = bytearray(source.read_bytes())
    data[start : start + 16] = b"\xff" * 16
    source.write_bytes(bytes(data))


@pytest.mark.slow  # seconds of C++ work: CI runs it, the fast loop does not
def test_eight_threads_on_several_layers_of_one_file_with_a_failing_block(tmp_path):
    table = Scenario(3_000, "deep").property_table()
    source = _write(tmp_path / "props.parquet", table, row_group_size=250, compression="zstd")
    _damage_one_block(source, 3, 2)
    identifiers = [
        str(source),
        f"{source}:SDF_FORMAT_ARGS:columns=cost,weight,supplier_id",
        f"{source}:SDF_FORMAT_ARGS:pathPrefix={table['path'][0].as_py().rsplit('/', 1)[0]}",
    ]
    layer = Sdf.Layer.FindOrOpen(str(source))
    damaged = f"{table['path'][800].as_py()}.{table.column_names[2]}"
    with pytest.raises(Tf.ErrorException, match="row group 3"):
        layer.GetAttributeAtPath(damaged).default  # noqa: B018
    assert layer.GetAttributeAtPath(damaged).default is None  # reported once
    native.set_cache_budget(96 * 1024)  # blocks evicted while others read them
    try:
        result = call(
            helpers().usdparquet_test_concurrent_reads, ";".join(identifiers).encode(), 8, 2
        )
    finally:
        native.set_cache_budget(256 << 20)
    assert "error" not in result, result
    assert result["attributes"] > 3_000
    assert result["reads"] == 8 * 2 * result["attributes"]
    assert result["mismatches"] == 0


def test_a_custom_resolvers_asset_without_a_buffer_is_read_through_ar(tmp_path):
    """A URI resolver (the test helper's, for pqtest:<path>) serving assets
    that offer no buffer: the layer opens and reads through ArAsset::Read."""
    plugin_dir = tmp_path / "resolver"
    plugin_dir.mkdir()
    (plugin_dir / "plugInfo.json").write_text(
        json.dumps(
            {
                "Plugins": [
                    {
                        "Type": "library",
                        "Name": "usdParquetTestResolver",
                        "LibraryPath": str(RESOLVER),
                        "Root": ".",
                        "Info": {
                            "Types": {
                                "UsdParquetTestResolver": {
                                    "bases": ["ArResolver"],
                                    "uriSchemes": ["pqtest"],
                                }
                            }
                        },
                    }
                ]
            }
        )
    )
    assert RESOLVER.exists()
    source = _write(tmp_path / "props.parquet", _small(), row_group_size=16)
    root = tmp_path / "root.usda"
    root.write_text(f"#usda 1.0\n(\n    subLayers = [@pqtest:{source}@]\n)\n")
    code = f"""
import ctypes, json, os
os.environ["PXR_PLUGINPATH_NAME"] = os.pathsep.join(
    [{str(plugin_dir)!r}, os.environ.get("PXR_PLUGINPATH_NAME", "")])
import usdbench
from pxr import Ar, Sdf, Usd
layer = Sdf.Layer.FindOrOpen("pqtest:{source}")
stage = Usd.Stage.Open({str(root)!r})
value = stage.GetPrimAtPath("/World/P_7").GetAttribute("cost").Get()
helpers = ctypes.CDLL({str(RESOLVER)!r})
helpers.usdparquet_test_resolver_reads.restype = ctypes.c_uint64
print(json.dumps({{"identifier": layer.identifier, "value": value,
                  "reads": helpers.usdparquet_test_resolver_reads(),
                  "layers": [x.identifier for x in stage.GetLayerStack()]}}))
"""
    run = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["identifier"] == f"pqtest:{source}"
    assert result["value"] == 7.0
    assert result["reads"] > 0  # footer, path column and the value: through Read
    assert f"pqtest:{source}" in result["layers"]


def test_no_tbb_symbol_and_null_paths_are_one_verdict(tmp_path):
    import shutil

    if shutil.which("nm"):
        library = native.plugin_dir() / "libusdParquet.so"
        undefined = subprocess.run(
            ["nm", "-D", "-u", str(library)], capture_output=True, text=True, check=True
        ).stdout
        assert "tbb" not in undefined.lower()
    table = pa.table({"path": ["/A/B", None, "/C"], "x": [1.0, 2.0, 3.0]})
    source = _write(tmp_path / "nulls.parquet", table)
    for identifier in (str(source), f"{source}:SDF_FORMAT_ARGS:pathPrefix=/A"):
        with pytest.raises(Tf.ErrorException, match=r"nulls.parquet, row 1, column 'path': null"):
            Sdf.Layer.FindOrOpen(identifier)
