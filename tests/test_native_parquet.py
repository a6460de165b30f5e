"""The native Parquet file format (parquet_plugin/, built at install): plain
USD reads .parquet through it, with the Python loader's content and verdicts,
lazily, within its cache budget, from several threads at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pxr import Sdf, Tf, Usd

import usdbench
from tests.native_test_helpers import call, helpers, open_failure, require_plugin, run_child
from usdbench import native
from usdbench.errors import UsdBenchError
from usdbench.parquet import load_layer
from usdbench.scenario import PROPERTIES, Scenario

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module", autouse=True)
def plugin():
    """The tests need the real plugin: a build that failed must fail them
    (only USDBENCH_NATIVE=0, a deliberate choice, skips them)."""
    require_plugin()


def _write(path: Path, table: pa.Table, **options) -> Path:
    pq.write_table(table, path, **options)
    return path


def _root(folder: Path, props: str, base_body: str = "") -> Path:
    (folder / "base.usda").write_text(f'#usda 1.0\ndef Xform "World"\n{{\n{base_body}}}\n')
    root = folder / "root.usda"
    root.write_text(f"#usda 1.0\n(\n    subLayers = [@./{props}@, @./base.usda@]\n)\n")
    return root


def _text(layer: Sdf.Layer) -> str:
    """The layer's content as usda text (identical content, identical text)."""
    copy = Sdf.Layer.CreateAnonymous(".usda")
    copy.TransferContent(layer)
    return copy.ExportToString()


@pytest.fixture(scope="module")
def flat_1k(tmp_path_factory) -> Path:
    table = Scenario(1_000, "flat").property_table()
    return _write(tmp_path_factory.mktemp("flat") / "props.parquet", table, row_group_size=100)


# -- registration -------------------------------------------------------------------


@pytest.mark.parametrize("pxr_first", [False, True], ids=["usdbench-first", "pxr-first"])
def test_plain_usd_reads_parquet_after_import_usdbench(tmp_path, pxr_first):
    _write(tmp_path / "props.parquet", pa.table({"path": ["/World/A"], "x": [2.5]}))
    root = _root(tmp_path, "props.parquet")
    imports = ["import usdbench", "from pxr import Sdf, Usd"]
    if pxr_first:
        imports.reverse()
    run = run_child(
        f"""
        {imports[0]}
        {imports[1]}
        fmt = Sdf.FileFormat.FindByExtension("parquet")
        stage = Usd.Stage.Open({str(root)!r})
        print(fmt.formatId, stage.GetPrimAtPath("/World/A").GetAttribute("x").Get())
        """
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["parquet", "2.5"]


def test_any_usd_process_gets_it_through_the_printed_plugin_path(tmp_path):
    """A process that imports neither usdbench nor pyarrow (a user's tool)."""
    _write(tmp_path / "props.parquet", pa.table({"path": ["/World/A"], "x": [7]}))
    path = subprocess.run(
        [sys.executable, "-m", "usdbench", "plugin-path"], capture_output=True, text=True
    )
    assert path.returncode == 0, path.stderr
    plugin_dir = path.stdout.strip()
    assert (Path(plugin_dir) / "plugInfo.json").exists()
    env = {k: v for k, v in os.environ.items() if k != "PXR_PLUGINPATH_NAME"}
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys\nfrom pxr import Sdf\n"
            f"layer = Sdf.Layer.FindOrOpen({str(tmp_path / 'props.parquet')!r})\n"
            "print(layer.GetAttributeAtPath('/World/A.x').default, 'pyarrow' in sys.modules)\n"
            "print(layer.ExportToString())",
        ],
        capture_output=True,
        text=True,
        env={**env, "PXR_PLUGINPATH_NAME": plugin_dir},
    )
    assert run.returncode == 0, run.stderr
    first, *text = run.stdout.splitlines()
    assert first == "7 False"
    assert "int64 x = 7" in "\n".join(text)  # its text form is usda


def test_usdbench_open_stage_uses_the_native_format(flat_1k):
    root = _root(flat_1k.parent, flat_1k.name)
    stage = usdbench.open_stage(root)
    layers = [layer.identifier for layer in stage.GetLayerStack()]
    assert str(flat_1k) in layers  # USD opened the file itself, no anonymous copy
    stats = native.layer_stats(str(flat_1k))
    assert stats["rows"] == 1_000 and stats["prims"] == 1_001


# -- content: the Python loader's, exactly ---------------------------------------------


@pytest.mark.parametrize(
    "arguments,options",
    [
        ({}, {}),
        ({"columns": "temperature,cost"}, {"columns": ["temperature", "cost"]}),
        ({"pathPrefix": "/World/Prim_5"}, {"path_prefix": "/World/Prim_5"}),
    ],
    ids=["whole", "columns", "prefix"],
)
def test_layer_is_the_python_loaders_layer(flat_1k, arguments, options):
    native_layer = Sdf.Layer.FindOrOpen(str(flat_1k), arguments)
    assert _text(native_layer) == _text(load_layer(flat_1k, **options))


def test_deep_hierarchy_unsorted_rows_and_nulls_match_the_loader(tmp_path):
    table = Scenario(2_000, "deep").property_table()
    rng = np.random.default_rng(3)
    table = table.take(pa.array(rng.permutation(table.num_rows)))
    cost = table["cost"].to_numpy().copy().astype(object)
    cost[::7] = None  # a null is no opinion
    table = table.set_column(table.schema.get_field_index("cost"), "cost", pa.array(cost))
    source = _write(tmp_path / "deep.parquet", table, row_group_size=300)
    layer = Sdf.Layer.FindOrOpen(str(source))
    assert _text(layer) == _text(load_layer(source))


def test_empty_table_is_an_empty_layer(tmp_path):
    source = _write(tmp_path / "empty.parquet", pa.table({"path": pa.array([], pa.string())}))
    layer = Sdf.Layer.FindOrOpen(str(source))
    assert layer is not None and layer.empty and not layer.rootPrims


def _other_writers_frame(n: int = 2_500) -> pd.DataFrame:
    rng = np.random.default_rng(11)
    paths = [f"/World/Zone_{i % 5}/Item_{i}" for i in range(n)]
    frame = pd.DataFrame(
        {
            "path": paths,
            "weight": pd.array(rng.uniform(0, 10, n), dtype="Float64"),
            "count": pd.array(rng.integers(-(2**40), 2**40, n), dtype="Int64"),
            "ratio": rng.uniform(0, 1, n).astype(np.float32),
            "kind": pd.Categorical(rng.choice(["steel", "glass", "timber"], n)),
        }
    )
    frame.loc[frame.index % 9 == 0, "weight"] = pd.NA
    frame.loc[frame.index % 11 == 0, "count"] = pd.NA
    return frame.sample(frac=1.0, random_state=5)  # rows not sorted by path


def _expected(frame: pd.DataFrame, columns: dict) -> dict:
    """{(prim path, attribute): value} of the non-null cells."""
    out = {}
    for name, convert in columns.items():
        for path, value in zip(frame["path"], frame[name], strict=True):
            if value is not None and value is not pd.NA:
                out[(path, name)] = convert(value)
    return out


def _read_all(stage: Usd.Stage, names) -> dict:
    got = {}
    for prim in stage.TraverseAll():  # the rows are overs: not defined prims
        for name in names:
            attribute = prim.GetAttribute(name)
            if attribute and attribute.HasAuthoredValue():
                got[(str(prim.GetPath()), name)] = (attribute.Get(), str(attribute.GetTypeName()))
    return got


def test_pandas_written_table_composes_with_values_and_types(tmp_path):
    frame = _other_writers_frame()
    table = pa.Table.from_pandas(frame, preserve_index=False)
    vectors = pa.array([[i, i + 0.5, -i] for i in range(len(frame))], pa.list_(pa.float32(), 3))
    arrays = pa.array([list(range(i % 4)) if i % 13 else None for i in range(len(frame))])
    table = table.append_column("offset", vectors).append_column("ids", arrays)
    source = _write(tmp_path / "pandas.parquet", table, row_group_size=1_000)
    assert pq.ParquetFile(source).metadata.num_row_groups == 3
    assert pa.types.is_dictionary(pq.read_schema(source).field("kind").type)
    stage = Usd.Stage.Open(str(_root(tmp_path, source.name)))
    got = _read_all(stage, ["weight", "count", "ratio", "kind", "offset", "ids"])
    want = _expected(
        frame,
        {"weight": float, "count": int, "ratio": float, "kind": str},
    )
    types = {"weight": "double", "count": "int64", "ratio": "float", "kind": "string"}
    for (path, name), value in want.items():
        assert got[(path, name)][1] == types[name]
        if name == "ratio":
            assert got[(path, name)][0] == pytest.approx(value, rel=1e-7)
        else:
            assert got[(path, name)][0] == value, (path, name)
    assert {k for k in got if k[1] in types} == set(want)  # nulls are no opinion
    for i, path in enumerate(frame["path"]):
        offset, offset_type = got[(path, "offset")]
        assert offset_type == "float3" and tuple(offset) == (i, i + 0.5, -i)
        if i % 13:
            assert got[(path, "ids")][1] == "int64[]"
            assert list(got[(path, "ids")][0]) == list(range(i % 4))
        else:
            assert (path, "ids") not in got
    # The rows' ancestors are overs too; the base's World stays a def.
    assert stage.GetPrimAtPath("/World/Zone_1").GetSpecifier() == Sdf.SpecifierOver
    assert stage.GetPrimAtPath("/World").GetSpecifier() == Sdf.SpecifierDef


def test_duckdb_written_table_composes_with_values_and_types(tmp_path):
    duckdb = pytest.importorskip("duckdb")
    source = tmp_path / "duck.parquet"
    con = duckdb.connect()
    con.execute(
        f"""
        COPY (
            SELECT '/World/Row_' || (i // 100) || '/Cell_' || i AS path,
                   CASE WHEN i % 6 = 0 THEN NULL ELSE (i * 0.25)::DOUBLE END AS reading,
                   (i * 1000000007)::BIGINT AS serial,
                   (i / 3)::FLOAT AS level,
                   CASE WHEN i % 4 = 0 THEN NULL ELSE 'grade_' || (i % 3) END AS grade,
                   [i, i + 1]::INTEGER[] AS pair,
                   i % 2 = 0 AS even
            FROM range(5000) t(i)
            ORDER BY hash(i)
        ) TO '{source}' (FORMAT parquet, ROW_GROUP_SIZE 2048)
        """
    )
    assert pq.ParquetFile(source).metadata.num_row_groups >= 2
    stage = Usd.Stage.Open(str(_root(tmp_path, source.name)))
    got = _read_all(stage, ["reading", "serial", "level", "grade", "pair", "even"])
    for i in range(5000):
        path = f"/World/Row_{i // 100}/Cell_{i}"
        assert got.get((path, "reading")) == (None if i % 6 == 0 else (i * 0.25, "double")) or (
            i % 6 == 0 and (path, "reading") not in got
        )
        assert got[(path, "serial")] == (i * 1000000007, "int64")
        assert got[(path, "level")][1] == "float"
        assert got[(path, "level")][0] == pytest.approx(i / 3, rel=1e-6)
        if i % 4:
            assert got[(path, "grade")] == (f"grade_{i % 3}", "string")
        else:
            assert (path, "grade") not in got
        assert list(got[(path, "pair")][0]) == [i, i + 1] and got[(path, "pair")][1] == "int[]"
        assert got[(path, "even")] == (i % 2 == 0, "bool")


# -- bad files: the loader's verdicts, in a child that survives ------------------------


def _bad_tables() -> dict[str, tuple[object, str]]:
    """name -> (the file's content: a table or raw bytes, what the error names)."""
    ok = pa.array([1.0, 2.0])
    return {
        "no_path_column": (pa.table({"name": ["/A", "/B"], "x": ok}), "column 'path'"),
        "null_path": (pa.table({"path": ["/A", None], "x": ok}), "row 1"),
        "empty_path": (pa.table({"path": ["/A", ""], "x": ok}), "row 1"),
        "relative_path": (pa.table({"path": ["/A", "B/C"], "x": ok}), "row 1"),
        "property_path": (pa.table({"path": ["/A", "/A.x"], "x": ok}), "row 1"),
        "variant_selection": (pa.table({"path": ["/A{v=a}B", "/C"], "x": ok}), "row 0"),
        "duplicate_path": (
            pa.table({"path": ["/A", "/B", "/A"], "x": [1.0, 2, 3]}),
            "rows 0 and 2",
        ),
        "unsupported_type": (
            pa.table({"path": ["/A", "/B"], "when": pa.array([1, 2], pa.timestamp("s"))}),
            "column 'when'",
        ),
        "bad_property_name": (pa.table({"path": ["/A", "/B"], "2x": ok}), "column '2x'"),
        "not_parquet": (b"path,x\n/A,1\n" * 50, "not a readable Parquet file"),
        "truncated": ("truncated", "not a readable Parquet file"),
    }


BAD = _bad_tables()


@pytest.mark.parametrize("case", list(BAD))
def test_bad_file_fails_to_open_in_a_child_that_exits_normally(tmp_path, case):
    content, where = BAD[case]
    source = tmp_path / f"{case}.parquet"
    if isinstance(content, pa.Table):
        pq.write_table(content, source)
    elif content == "truncated":
        whole = tmp_path / "whole.parquet"
        pq.write_table(Scenario(200).property_table(), whole)
        source.write_bytes(whole.read_bytes()[: whole.stat().st_size * 2 // 3])
    else:
        source.write_bytes(content)
    root = _root(tmp_path, source.name)
    # Through a stage too: the sublayer is left out and USD says so.
    result = open_failure(source, root)
    assert result["layer"] is False
    assert str(source) in result["error"] and where in result["error"], result["error"]
    assert str(source) not in result["stack"]
    # The Python loader's verdict names the same row or column.
    with pytest.raises(UsdBenchError) as loader_error:
        load_layer(source)
    assert where in str(loader_error.value), str(loader_error.value)


def test_unknown_format_argument_is_an_error_naming_it(flat_1k):
    with pytest.raises(Tf.ErrorException, match="unknown file format argument 'colums'"):
        Sdf.Layer.FindOrOpen(str(flat_1k), {"colums": "cost"})
    with pytest.raises(Tf.ErrorException, match="no such column in the file"):
        Sdf.Layer.FindOrOpen(str(flat_1k), {"columns": "cost,nope"})


def test_null_inside_a_list_is_reported_on_read_and_left_out(tmp_path):
    source = _write(
        tmp_path / "lists.parquet",
        pa.table({"path": ["/A", "/B"], "v": pa.array([[1.0, None], [2.0]])}),
    )
    layer = Sdf.Layer.FindOrOpen(str(source))
    assert list(layer.GetAttributeAtPath("/B.v").default) == [2.0]
    with pytest.raises(Tf.ErrorException, match="row 0, column 'v': null element"):
        layer.GetAttributeAtPath("/A.v")


# -- read-only ---------------------------------------------------------------------------


def test_writing_or_editing_a_parquet_layer_is_a_clear_error(flat_1k, tmp_path):
    layer = Sdf.Layer.FindOrOpen(str(flat_1k))
    with pytest.raises(Tf.ErrorException):
        layer.Export(str(tmp_path / "copy.parquet"))
    assert not (tmp_path / "copy.parquet").exists()
    with pytest.raises(Tf.ErrorException):
        Sdf.CreatePrimInLayer(layer, "/World/New")
    assert not layer.permissionToEdit and not layer.permissionToSave
    assert layer.Export(str(tmp_path / "copy.usda"))  # into a writable format
    assert _text(Sdf.Layer.FindOrOpen(str(tmp_path / "copy.usda"))) == _text(layer)


# -- laziness and the budget -------------------------------------------------------------


@pytest.fixture(scope="module")
def flat_100k(tmp_path_factory) -> Path:
    table = Scenario(100_000, "flat").property_table()
    folder = tmp_path_factory.mktemp("flat100k")
    return _write(folder / "props.parquet", table, row_group_size=1_000, compression="zstd")


def test_opening_decodes_no_value_and_one_property_only_its_column(flat_100k):
    root = _root(flat_100k.parent, flat_100k.name)
    native.reset_cache_counters()
    stage = Usd.Stage.Open(str(root))
    stats = native.layer_stats(str(flat_100k))
    assert stats["prims"] == 100_001 and stats["row_groups"] == 100
    assert stats["path_blocks_read"] == 100
    assert all(c["blocks_decoded"] == 0 for c in stats["columns"]), stats
    assert native.cache_stats()["blocks_decoded"] == 0
    count = 0
    for prim in stage.TraverseAll():
        if prim.GetAttribute("temperature").Get() is not None:
            count += 1
    assert count == 100_000
    columns = native.layer_stats(str(flat_100k))["columns"]
    decoded = {c["name"]: c["blocks_decoded"] for c in columns}
    assert decoded.pop("temperature") == 100
    assert set(decoded.values()) == {0}, decoded


def test_a_full_traversal_under_a_small_budget_stays_within_it(tmp_path):
    table = Scenario(20_000, "flat").property_table()
    source = _write(tmp_path / "props.parquet", table, row_group_size=500)
    budget = 256 * 1024
    run = run_child(
        f"""
        import json
        import usdbench
        from usdbench import native
        from pxr import Sdf
        native.set_cache_budget({budget})
        layer = Sdf.Layer.FindOrOpen({str(source)!r})
        native.reset_cache_counters()
        values = []
        for prim in layer.rootPrims[0].nameChildren:
            for name in {list(PROPERTIES)!r}:
                values.append(layer.GetAttributeAtPath(f"{{prim.path}}.{{name}}").default)
        print(json.dumps({{"stats": native.cache_stats(), "n": len(values),
                          "sum": sum(v for v in values if isinstance(v, float))}}))
        """
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    stats = result["stats"]
    assert stats["budget_bytes"] == budget
    assert 0 < stats["peak_bytes_held"] <= budget
    assert stats["evictions"] > 0  # the budget bit: 20 columns x 40 groups do not fit
    assert result["n"] == 20_000 * len(PROPERTIES)
    doubles = [f.name for f in table.schema if f.type == pa.float64()]
    expected = sum(sum(table[name].to_pylist()) for name in doubles)
    assert result["sum"] == pytest.approx(expected, rel=1e-12)


# -- threads -----------------------------------------------------------------------------


def test_several_threads_reading_one_layer_get_every_value(tmp_path):
    table = Scenario(2_000, "deep").property_table()
    source = _write(tmp_path / "props.parquet", table, row_group_size=100)
    layer = Sdf.Layer.FindOrOpen(str(source))
    native.set_cache_budget(64 * 1024)  # blocks evicted while others read them
    try:
        result = call(helpers().usdparquet_test_concurrent_reads, str(source).encode(), 8, 2)
    finally:
        native.set_cache_budget(256 << 20)
    assert result["attributes"] == 2_000 * len(PROPERTIES)
    assert result["reads"] == 8 * 2 * result["attributes"]
    assert result["mismatches"] == 0
    # And the single-threaded pass it compared with is the loader's content.
    assert _text(layer) == _text(load_layer(source))


def test_several_stages_on_one_file_in_threads(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    table = Scenario(3_000, "flat").property_table()
    source = _write(tmp_path / "props.parquet", table, row_group_size=200)
    root = _root(tmp_path, source.name)
    expected = dict(zip(table["path"].to_pylist(), table["temperature"].to_pylist(), strict=True))

    def traverse(i):
        stage = Usd.Stage.Open(str(root), Usd.Stage.LoadAll)
        return {
            str(p.GetPath()): p.GetAttribute("temperature").Get()
            for p in stage.TraverseAll()
            if p.GetAttribute("temperature").HasAuthoredValue()
        }

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(traverse, range(8)))
    bad = [(k, r.get(k), v) for r in results for k, v in expected.items() if r.get(k) != v]
    assert not bad, (len(bad), bad[:3], [len(r) for r in results])


def test_a_closed_layer_gives_its_blocks_back_and_a_reload_reads_again(tmp_path):
    import gc

    source = _write(tmp_path / "p.parquet", Scenario(2_000).property_table(), row_group_size=500)
    layer = Sdf.Layer.FindOrOpen(str(source))
    before = native.cache_stats()["bytes_held"]
    cost = layer.GetAttributeAtPath("/World/Prim_7.cost").default
    assert native.cache_stats()["bytes_held"] > before
    assert layer.Reload(force=True)
    assert layer.GetAttributeAtPath("/World/Prim_7.cost").default == cost
    assert not layer.permissionToEdit  # still read-only after a reload
    del layer
    gc.collect()
    assert native.cache_stats()["bytes_held"] == before
    assert native.layer_stats(str(source)) is None
