"""open_stage: Parquet sublayers at any depth of a real layer stack, composed
by real USD stages: strength order, nesting, lifetime, privacy and errors."""

from __future__ import annotations

import gc
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pxr import Sdf, Usd

from usdbench import native
from usdbench.errors import UsdBenchError
from usdbench.formats import PARQUET_READERS
from usdbench.stage import KEEPALIVE_ATTRIBUTE, native_parquet_plugin, open_stage

PRIMS = [f"/World/P{i}" for i in range(6)]


def _usda(path: Path, sublayers=(), body="", offsets=None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    entries = ", ".join(f"@{s}@" for s in sublayers)
    head = f"#usda 1.0\n(\n    subLayers = [{entries}]\n)\n" if sublayers else "#usda 1.0\n"
    path.write_text(head + body)
    if offsets:
        layer = Sdf.Layer.FindOrOpen(str(path))
        for i, offset in offsets.items():
            layer.subLayerOffsets[i] = offset
        layer.Save()
    return path


def _base_body(cost=-1.0) -> str:
    """Weaker opinions: every prim defined, with cost and an attribute of its own."""
    prims = "".join(
        f'def Xform "{p.rsplit("/", 1)[1]}" {{\n double cost = {cost}\n double base_only = {i}\n'
        f' string label = "base"\n}}\n'
        for i, p in enumerate(PRIMS)
    )
    return f'def Xform "World" {{\n{prims}}}\n'


def _props_table():
    return pa.table(
        {
            "path": PRIMS,
            "cost": [10.0, None, 12.0, 13.0, None, 15.0],
            "label": ["p0", "p1", None, "p3", "p4", "p5"],
            "count": pa.array([0, 1, 2, 3, 4, 5], pa.int32()),
        }
    )


def _scene(tmp_path: Path, table=None, props="props.parquet") -> Path:
    pq.write_table(table if table is not None else _props_table(), tmp_path / props)
    _usda(tmp_path / "base.usda", body=_base_body())
    return _usda(tmp_path / "root.usda", [f"./{props}", "./base.usda"])


def _get(stage, path, name):
    return stage.GetPrimAtPath(path).GetAttribute(name).Get()


def test_native_plugin_probe_matches_usd():
    assert native_parquet_plugin() == (Sdf.FileFormat.FindByExtension("parquet") is not None)


@pytest.fixture(params=PARQUET_READERS)
def reader(request) -> str:
    """Each Parquet reader open_stage offers (the native one where built)."""
    if request.param == "native" and not native.available():
        pytest.skip(f"native Parquet plugin unavailable: {native.status().reason}")
    return request.param


@pytest.fixture
def python_reader() -> str:
    """The Python loader: what its anonymous-layer rewrite alone does."""
    return "python"


def test_parquet_over_base_wins_and_weaker_layers_fill_in(tmp_path, reader):
    stage = open_stage(_scene(tmp_path), parquet_reader=reader)
    table = _props_table().to_pylist()
    for i, row in enumerate(table):
        path = row["path"]
        assert stage.GetPrimAtPath(path).GetTypeName() == "Xform"  # from the base
        assert _get(stage, path, "cost") == (row["cost"] if row["cost"] is not None else -1.0)
        assert _get(stage, path, "label") == (row["label"] or "base")  # null: base shows
        assert _get(stage, path, "count") == i
        assert _get(stage, path, "base_only") == i


def test_sublayer_order_is_kept_parquet_listed_weaker_loses(tmp_path, reader):
    _scene(tmp_path)
    root = _usda(tmp_path / "weak.usda", ["./base.usda", "./props.parquet"])
    stage = open_stage(root, parquet_reader=reader)
    assert _get(stage, "/World/P0", "cost") == -1.0  # base is now stronger
    assert _get(stage, "/World/P0", "label") == "base"
    assert _get(stage, "/World/P0", "count") == 0  # only the Parquet layer has it


def test_nested_sublayers_resolve_relative_to_the_layer_listing_them(tmp_path, reader):
    # root -> layers/mid.usda -> deeper/inner.usda -> ../../data/props.parquet
    (tmp_path / "data").mkdir()
    pq.write_table(_props_table(), tmp_path / "data" / "props.parquet")
    _usda(tmp_path / "base.usda", body=_base_body())
    _usda(tmp_path / "layers" / "deeper" / "inner.usda", ["../../data/props.parquet"])
    strong = 'over "World" {\n over "P3" {\n  double cost = 99\n }\n}\n'
    _usda(tmp_path / "layers" / "mid.usda", ["./deeper/inner.usda"], body=strong)
    root = _usda(tmp_path / "root.usda", ["./layers/mid.usda", "./base.usda"])
    stage = open_stage(root, parquet_reader=reader)
    assert _get(stage, "/World/P3", "cost") == 99.0  # mid.usda beats its own sublayer
    assert _get(stage, "/World/P0", "cost") == 10.0  # Parquet, three levels down
    assert _get(stage, "/World/P1", "cost") == -1.0  # null there: base
    assert _get(stage, "/World/P5", "count") == 5
    stack = [layer.identifier for layer in stage.GetLayerStack()]
    # The loader's anonymous parts replace the file; natively USD opened it.
    native_file = str(tmp_path / "data" / "props.parquet") in stack
    assert native_file == (reader == "native")
    assert not any(".parquet" in i and not i.startswith("anon:") for i in stack) or native_file
    # The files on disk and USD's shared layers still list the Parquet file.
    assert "../../data/props.parquet" in (tmp_path / "layers/deeper/inner.usda").read_text()
    assert list(Sdf.Layer.FindOrOpen(str(tmp_path / "layers/deeper/inner.usda")).subLayerPaths) == [
        "../../data/props.parquet"
    ]


def test_other_stages_of_the_same_root_are_untouched(tmp_path, reader):
    root = _scene(tmp_path)
    all_columns = open_stage(root, parquet_reader=reader)
    only_count = open_stage(root, parquet_columns=["count"], parquet_reader=reader)
    plain = Usd.Stage.Open(str(root))  # USD alone: natively, or skipping the file
    assert _get(all_columns, "/World/P0", "cost") == 10.0
    assert _get(only_count, "/World/P0", "cost") == -1.0  # projected away
    assert _get(only_count, "/World/P0", "count") == 0
    assert _get(plain, "/World/P0", "cost") == (10.0 if native_parquet_plugin() else -1.0)
    assert list(plain.GetRootLayer().subLayerPaths) == ["./props.parquet", "./base.usda"]
    assert not plain.GetRootLayer().dirty


def test_root_cannot_be_saved_with_anonymous_ids(tmp_path, python_reader):
    root = _scene(tmp_path)
    before = root.read_text()
    stage = open_stage(root, parquet_reader=python_reader)
    layer = stage.GetRootLayer()
    assert layer.realPath == str(root) and not layer.permissionToSave
    with pytest.raises(Exception, match="saving not allowed"):
        layer.Save()
    assert root.read_text() == before


def test_anonymous_layers_live_exactly_as_long_as_the_stage(tmp_path, python_reader):
    stage = open_stage(_scene(tmp_path), parquet_reader=python_reader)
    kept = getattr(stage, KEEPALIVE_ATTRIBUTE)
    anonymous = [layer.identifier for layer in kept if layer.anonymous]
    assert anonymous
    del kept
    gc.collect()
    # Muting a part drops it from the layer stack (nothing in USD holds it
    # then); unmuting finds it again only because the stage object keeps it.
    for identifier in anonymous:
        stage.MuteLayer(identifier)
    gc.collect()
    assert _get(stage, "/World/P0", "cost") == -1.0
    for identifier in anonymous:
        stage.UnmuteLayer(identifier)
    assert _get(stage, "/World/P0", "cost") == 10.0 and _get(stage, "/World/P0", "base_only") == 0
    assert all(Sdf.Layer.Find(i) for i in anonymous)
    del stage
    gc.collect()
    assert not any(Sdf.Layer.Find(i) for i in anonymous)


def test_projection_and_prefix_apply_to_every_parquet_sublayer(tmp_path, reader):
    root = _scene(tmp_path)
    stage = open_stage(
        root, parquet_columns=["label"], parquet_path_prefix="/World/P3", parquet_reader=reader
    )
    assert _get(stage, "/World/P3", "label") == "p3"
    assert _get(stage, "/World/P4", "label") == "base"  # outside the prefix
    assert _get(stage, "/World/P3", "cost") == -1.0  # not projected
    assert _get(stage, "/World/P3", "count") is None


def test_pandas_written_parquet_composes_with_expected_values(tmp_path, reader):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(
        {
            "path": PRIMS,
            "label": pd.Categorical(["red", None, "blue", "red", None, "blue"]),
            "cost": [1.0, float("nan"), 3.0, None, 5.0, 6.0],
            "count": pd.array([None, 1, 2, 3, None, 5], dtype="Int32"),
        }
    ).set_index(pd.Index(range(100, 106)))
    frame.to_parquet(tmp_path / "pandas.parquet")
    _usda(tmp_path / "base.usda", body=_base_body())
    root = _usda(tmp_path / "root.usda", ["./pandas.parquet", "./base.usda"])
    stage = open_stage(root, parquet_reader=reader)
    labels = ["red", "base", "blue", "red", "base", "blue"]
    costs = [1.0, -1.0, 3.0, -1.0, 5.0, 6.0]
    counts = [None, 1, 2, 3, None, 5]
    for path, label, cost, count in zip(PRIMS, labels, costs, counts, strict=True):
        assert _get(stage, path, "label") == label
        assert _get(stage, path, "cost") == cost
        assert _get(stage, path, "count") == count
    assert not stage.GetPrimAtPath("/World/P0").GetAttribute("__index_level_0__")


def test_layer_offsets_of_other_sublayers_are_kept(tmp_path, reader):
    pq.write_table(_props_table(), tmp_path / "props.parquet")
    _usda(
        tmp_path / "anim.usda",
        body='over "World" {\n over "P0" {\n'
        "  double speed.timeSamples = {\n   0: 1,\n   10: 2,\n  }\n }\n}\n",
    )
    root = _usda(
        tmp_path / "root.usda",
        ["./props.parquet", "./anim.usda"],
        offsets={1: Sdf.LayerOffset(offset=5)},
    )
    stage = open_stage(root, parquet_reader=reader)
    speed = stage.GetPrimAtPath("/World/P0").GetAttribute("speed")
    assert speed.Get(5) == 1.0 and speed.Get(15) == 2.0  # shifted by the offset
    assert _get(stage, "/World/P0", "cost") == 10.0


def test_a_parquet_file_listed_twice_loads_once(tmp_path, reader):
    data = tmp_path / "my data"
    data.mkdir()
    pq.write_table(_props_table(), data / "props v1.parquet")
    _usda(tmp_path / "base.usda", body=_base_body())
    _usda(tmp_path / "mid.usda", ["./my data/props v1.parquet"])
    root = _usda(
        tmp_path / "root.usda", ["./mid.usda", "./my data/props v1.parquet", "./base.usda"]
    )
    stage = open_stage(root, parquet_reader=reader)
    assert _get(stage, "/World/P5", "cost") == 15.0
    listed = [layer.identifier for layer in stage.GetLayerStack()]
    if reader == "python":
        parts = [layer for layer in getattr(stage, KEEPALIVE_ATTRIBUTE) if layer.anonymous]
        assert len(parts) == 1  # one small file, one part, listed at both places
        assert listed.count(parts[0].identifier) == 2  # the same layer at both places
    else:
        assert listed.count(str(data / "props v1.parquet")) == 2


def test_a_stack_without_parquet_is_plain_usd(tmp_path, reader):
    _usda(tmp_path / "base.usda", body=_base_body())
    _usda(tmp_path / "mid.usda", ["./base.usda"])
    root = _usda(tmp_path / "root.usda", ["./mid.usda"])
    stage = open_stage(root, parquet_reader=reader)
    assert stage.GetRootLayer().identifier == str(root)
    assert not hasattr(stage, KEEPALIVE_ATTRIBUTE)
    assert _get(stage, "/World/P2", "base_only") == 2


def test_in_memory_root_layer_and_parquet_root(tmp_path, reader):
    _scene(tmp_path)
    root = Sdf.Layer.CreateAnonymous("mine.usda")
    root.subLayerPaths = [str(tmp_path / "props.parquet"), str(tmp_path / "base.usda")]
    stage = open_stage(root, parquet_reader=reader)
    assert _get(stage, "/World/P2", "cost") == 12.0
    assert list(root.subLayerPaths)[0].endswith("props.parquet")  # caller's layer untouched
    alone = open_stage(tmp_path / "props.parquet", parquet_reader=reader)
    assert _get(alone, "/World/P5", "cost") == 15.0
    assert alone.GetPrimAtPath("/World/P5").GetSpecifier() == Sdf.SpecifierOver


# -- bad input ---------------------------------------------------------------------------


def test_bad_parquet_sublayer_raises_naming_it_and_leaves_nothing(tmp_path, reader):
    table = _props_table().set_column(0, "path", pa.array(PRIMS[:5] + ["World/P5"]))
    root = _scene(tmp_path, table)
    gc.collect()
    before = {layer.identifier for layer in Sdf.Layer.GetLoadedLayers()}
    with pytest.raises(UsdBenchError, match="row 5, column 'path'") as caught:
        open_stage(root, parquet_reader=reader)
    assert caught.value.file == str(tmp_path / "props.parquet")
    del caught
    gc.collect()
    after = {layer.identifier for layer in Sdf.Layer.GetLoadedLayers()}
    assert after <= before, after - before  # no private root, no anonymous part


def test_non_parquet_content_in_a_parquet_sublayer(tmp_path, reader):
    root = _scene(tmp_path)
    (tmp_path / "props.parquet").write_text("#usda 1.0\n")
    with pytest.raises(UsdBenchError, match="not a readable Parquet file"):
        open_stage(root, parquet_reader=reader)


def test_missing_root_layer(tmp_path):
    with pytest.raises(UsdBenchError, match="nowhere.usda"):
        open_stage(tmp_path / "nowhere.usda")


def test_a_missing_non_parquet_sublayer_is_left_to_usd(tmp_path, reader):
    pq.write_table(_props_table(), tmp_path / "props.parquet")
    root = _usda(tmp_path / "root.usda", ["./props.parquet", "./gone.usda"])
    stage = open_stage(root, parquet_reader=reader)  # USD warns about gone.usda, as always
    assert _get(stage, "/World/P0", "cost") == 10.0
    assert math.isclose(_get(stage, "/World/P5", "cost"), 15.0)


# -- one measuring protocol ------------------------------------------------------


def test_the_readers_leave_memory_release_to_the_tracker(tmp_path, reader):
    """Only the tracker releases and trims memory, the same way for every
    format: a reader that did it inside the load would shrink its own figures.
    A fresh process that loads and reads a Parquet-backed stage must not
    even import memtrack."""
    root = _scene(tmp_path)
    probe = (
        "import sys\n"
        "from usdbench import workloads\n"
        "from usdbench.stage import open_stage\n"
        f"stage = open_stage({str(root)!r}, parquet_reader={reader!r})\n"
        "assert stage.GetPrimAtPath('/World/P0').GetAttribute('cost').Get() == 10.0\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'memtrack'))\n"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.strip() == "[]"


@pytest.mark.parametrize("limit", [1, 2])
def test_other_sublayers_open_on_as_many_threads_as_usd_allows(tmp_path, reader, limit):
    """At USD's concurrency limit of one (the memory figures' protocol, or a
    user's PXR_WORK_THREAD_LIMIT=1) the rewrite opens the other sublayers on
    the calling thread, so no thread allocates beside the Parquet load;
    above it, in background threads. The stage is the same either way. In a
    fresh process: USD's limit cannot be lowered once its threads ran."""
    root = _scene(tmp_path)
    probe = (
        "import threading\n"
        "from usdbench import stage as stage_module\n"
        "from pxr import Work\n"
        "opened_on = []\n"
        "find_or_open = stage_module._find_or_open\n"
        "def recording(identifier):\n"
        "    opened_on.append(threading.current_thread() is threading.main_thread())\n"
        "    return find_or_open(identifier)\n"
        "stage_module._find_or_open = recording\n"
        # A projection: the native reader rewrites the stack too.
        f"stage = stage_module.open_stage({str(root)!r}, parquet_columns=['cost'],"
        f" parquet_reader={reader!r})\n"
        "get = lambda p, n: stage.GetPrimAtPath(p).GetAttribute(n).Get()\n"
        "import json\n"
        "values = [get('/World/P0', 'cost'), get('/World/P1', 'cost'),"
        " get('/World/P3', 'base_only')]\n"
        "print(json.dumps([Work.GetConcurrencyLimit(), opened_on, values]))\n"
    )
    env = {**os.environ, "PXR_WORK_THREAD_LIMIT": str(limit)}
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    in_force, opened_on, values = json.loads(run.stdout.strip().splitlines()[-1])
    assert in_force == limit
    # The root on this thread (it is read first), the base sublayer by the rewrite.
    assert opened_on[0] is True and len(opened_on) == 2, opened_on
    assert opened_on[1] is (limit == 1), opened_on
    assert values == [10.0, -1.0, 3.0]
