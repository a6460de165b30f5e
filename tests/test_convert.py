"""usdbench convert (issue 24): a layer and the layers it reaches, converted
to Parquet tables plus residual USD layers, compose to the same stage; the
tables hold the values the report says (muting them removes exactly those);
the tables and the residual give the source layer back."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from pxr import Sdf, Usd, UsdUtils

from tests.convert_scenes import column_name, holdable_types, write_scene
from tests.native_test_helpers import require_plugin
from usdbench.convert import convert, restore_layer
from usdbench.errors import UsdBenchError
from usdbench.parquet.schema import PATH_COLUMN, TIME_COLUMN
from usdbench.parquet.type_table import column_type_name
from usdbench.stage_dump import compare_dumps, dump_stage


@pytest.fixture(scope="module", autouse=True)
def plugin():
    require_plugin()


@pytest.fixture(scope="module")
def scene(tmp_path_factory) -> Path:
    return write_scene(tmp_path_factory.mktemp("scene") / "src")


@pytest.fixture(scope="module")
def converted(scene, tmp_path_factory):
    return convert(scene, tmp_path_factory.mktemp("converted") / "out")


def _usdc_copy(scene: Path, folder: Path) -> Path:
    """The scene with every layer as usdc, arcs naming the usdc files."""
    shutil.copytree(scene.parent, folder)
    for usda in folder.glob("*.usda"):
        layer = Sdf.Layer.FindOrOpen(str(usda))
        UsdUtils.ModifyAssetPaths(layer, lambda p: p.replace(".usda", ".usdc"))
        assert layer.Export(str(usda.with_suffix(".usdc")))
        layer.Reload(force=True)
        usda.unlink()
    return folder / "root.usdc"


@pytest.fixture(scope="module")
def conversions(scene, converted, tmp_path_factory) -> dict:
    """kind -> (the source root, its conversion): the scene as usda, as usdc
    layers and as a usdz package."""
    base = tmp_path_factory.mktemp("kinds")
    usdc = _usdc_copy(scene, base / "usdc")
    package = base / "scene.usdz"
    assert UsdUtils.CreateNewUsdzPackage(Sdf.AssetPath(str(scene)), str(package))
    return {
        "usda": (scene, converted),
        "usdc": (usdc, convert(usdc, base / "usdc-out")),
        "usdz": (package, convert(package, base / "usdz-out")),
    }


def _layer_of(report, stem: str):
    """The report of the layer whose file (or package member) has this stem."""
    for layer in report.layers[1:]:
        if Path(layer.source.rstrip("]").split("[")[-1]).stem == stem:
            return layer
    assert stem == "root", [x.source for x in report.layers]
    return report.layers[0]


KINDS = ["usda", "usdc", "usdz"]


def _dump(path) -> dict:
    stage = Usd.Stage.Open(str(path))
    stage.Load()
    return dump_stage(stage)


def _same_stage(source, converted_root) -> None:
    differences = compare_dumps(_dump(source), _dump(converted_root), names=("source", "converted"))
    assert differences == [], "\n".join(differences)


# -- the composed stage is the same --------------------------------------------------------


def test_converted_stage_composes_the_same(scene, converted):
    assert converted.root == converted.outdir / "root.usda"
    _same_stage(scene, converted.root)


def test_every_layer_reached_is_converted_and_arcs_point_at_the_converted_files(scene, converted):
    sources = {Path(layer.source).name for layer in converted.layers}
    assert sources == {"root.usda", "sub.usda", "asset.usda", "payload.usda", "types.usda"}
    stage = Usd.Stage.Open(str(converted.root))
    used = {Path(layer.realPath).name for layer in stage.GetUsedLayers()}
    assert {"asset.usda", "payload.usda", "types.usda", "sub.usda"} <= used
    assert not [layer for layer in stage.GetUsedLayers() if str(scene.parent) in layer.realPath]


def test_parquet_carries_most_values_of_an_asset(converted):
    """Meshes, shading inputs and animation: the values are in the tables."""
    asset = next(layer for layer in converted.layers if layer.source.endswith("asset.usda"))
    assert asset.moved_values > 0 and sum(asset.stayed_values.values()) == 0
    assert asset.moved("series") == 2  # the points' two samples
    assert asset.moved_bytes > 0 and asset.parquet_bytes > 0


def test_every_type_of_the_type_table_goes_to_a_table_with_its_role(converted):
    types = next(layer for layer in converted.layers if layer.source.endswith("types.usda"))
    assert sum(types.stayed_values.values()) == 0
    for table in types.tables:
        schema = pq.read_schema(table.path)
        for t in holdable_types():
            field = schema.field(column_name(t))
            assert column_type_name(field)[0] == t, (table.path.name, t)
    stage = Usd.Stage.Open(str(types.root))
    prim = stage.GetPrimAtPath("/Types")
    for t in holdable_types():
        attr = prim.GetAttribute(column_name(t))
        assert str(attr.GetTypeName()) == t
        assert attr.GetTimeSamples() == [1.0, 2.5]


def test_what_no_table_holds_stays_in_usd_and_is_reported(converted):
    root = converted.layers[0]
    reasons = " | ".join(root.stayed_values)
    for expected in ("frame4d", "pathExpression", "inside a variant", "blocked", "'path'"):
        assert expected in reasons
    examples = [e for v in root.stayed_examples.values() for e in v]
    assert "/World/Stays.frame" in examples and "/World/Stays.expr" in examples
    residual = Sdf.Layer.FindOrOpen(str(root.residual))
    assert residual.GetAttributeAtPath("/World/Stays.frame").HasDefaultValue()
    assert residual.GetAttributeAtPath("/World/Switch{look=blue}.tint").HasDefaultValue()


# -- the tables hold what the report says; muting them removes exactly that ---------------


def _table_values(table_path: Path) -> dict:
    """(prim path, attribute) -> number of values (1 default, or its samples)."""
    table = pq.read_table(table_path)
    paths = table.column(PATH_COLUMN).to_pylist()
    out: dict = {}
    for name in table.column_names:
        if name in (PATH_COLUMN, TIME_COLUMN):
            continue
        for path, valid in zip(paths, table.column(name).is_valid().to_pylist(), strict=True):
            if valid:
                out[(path, name)] = out.get((path, name), 0) + 1
    return out


def _without(layer: Sdf.Layer, moved: dict) -> None:
    """Take the values of ``moved`` ({kind: {(path, name)}}) out of
    ``layer``, as conversion does: a spec left with nothing but its plain
    fields goes."""
    for kind, field in (("defaults", "default"), ("series", "timeSamples")):
        for path, name in moved[kind]:
            attr = layer.GetAttributeAtPath(Sdf.Path(path).AppendProperty(name))
            assert attr.HasInfo(field), (path, name, field)
            attr.ClearInfo(field)
    for path, name in moved["defaults"] | moved["series"]:
        attr = layer.GetAttributeAtPath(Sdf.Path(path).AppendProperty(name))
        plain = set(attr.ListInfoKeys()) <= {"typeName", "custom", "variability"}
        if plain and not attr.custom and attr.variability == Sdf.VariabilityVarying:
            attr.owner.RemoveProperty(attr)


@pytest.mark.parametrize("stem", ["root", "asset", "types"])
@pytest.mark.parametrize("kind", KINDS)
def test_tables_hold_the_reported_values_and_muting_removes_exactly_those(conversions, kind, stem):
    layer_report = _layer_of(conversions[kind][1], stem)
    counts = {"defaults": 0, "series": 0}
    moved = {"defaults": set(), "series": set()}
    for table in layer_report.tables:
        values = _table_values(table.path)
        assert sum(values.values()) == table.values
        counts[table.kind] += table.values
        moved[table.kind] |= set(values)
    assert counts["defaults"] == layer_report.moved("defaults") > 0
    assert counts["series"] == layer_report.moved("series")

    stage = Usd.Stage.Open(str(layer_report.root))
    for table in layer_report.tables:
        stage.MuteLayer(str(table.path))
    muted = dump_stage(stage)

    source = Sdf.Layer.FindOrOpen(layer_report.source)
    try:
        _without(source, moved)
        expected = dump_stage(Usd.Stage.Open(source))
    finally:
        source.Reload(force=True)
    differences = compare_dumps(expected, muted, names=("source minus tables", "muted"))
    assert differences == [], "\n".join(differences)
    assert compare_dumps(expected, _dump(layer_report.root)) != []


# -- the tables and the residual give the source layer back -------------------------------


_LAYER_FILE = re.compile(r"[\w./\[\]-]*?(\w+)\.(usda|usdc|usdz|usd)\b")


def _layer_content(layer: Sdf.Layer) -> dict:
    """Every spec's fields and time samples, arcs' files by stem; property
    order left out (USD sorts properties)."""
    content = {}

    def visit(path):
        spec = layer.GetObjectAtPath(path)
        if spec is None:  # a target or connection path: its owner's fields hold it
            return
        keys = [k for k in spec.ListInfoKeys() if k not in ("subLayers", "subLayerOffsets")]
        fields = {k: _LAYER_FILE.sub(r"\1", repr(spec.GetInfo(k))) for k in keys}
        if path.IsPropertyPath() and layer.ListTimeSamplesForPath(path):
            fields["timeSamples"] = repr(
                {t: layer.QueryTimeSample(path, t) for t in layer.ListTimeSamplesForPath(path)}
            )
        if path.IsPrimPath() or path == Sdf.Path.absoluteRootPath:
            fields["children"] = [c.name for c in spec.nameChildren]
        content[str(path)] = fields

    layer.Traverse(Sdf.Path.absoluteRootPath, visit)
    content["/"]["subLayers"] = [_LAYER_FILE.sub(r"\1", p) for p in layer.subLayerPaths]
    content["/"]["subLayerOffsets"] = repr(list(layer.subLayerOffsets))
    return content


@pytest.mark.parametrize("stem", ["root", "sub", "asset", "types"])
@pytest.mark.parametrize("kind", KINDS)
def test_restore_gives_the_source_layer_back(conversions, kind, stem, tmp_path):
    layer_report = _layer_of(conversions[kind][1], stem)
    restored = restore_layer(layer_report.root)
    source = Sdf.Layer.OpenAsAnonymous(layer_report.source)
    assert _layer_content(restored) == _layer_content(source)
    for fmt in ("usda", "usdc"):  # a single layer in any format
        saved = tmp_path / f"restored.{fmt}"
        assert restored.Export(str(saved))
        assert _layer_content(Sdf.Layer.OpenAsAnonymous(str(saved))) == _layer_content(source)


# -- usdc and usdz sources ------------------------------------------------------------------


def test_a_usdc_stage_converts_the_same(conversions):
    source, report = conversions["usdc"]
    assert {Path(x.source).suffix for x in report.layers} == {".usdc"}
    _same_stage(source, report.root)


def test_a_usdz_package_converts_the_same(scene, conversions):
    package, report = conversions["usdz"]
    assert report.root == report.outdir / "scene.usda"
    assert len(report.layers) == 5
    assert all("scene.usdz[" in x.source for x in report.layers[1:])
    _same_stage(package, report.root)
    copied = report.outdir / "file_0.png"
    assert copied.read_bytes() == (scene.parent / "file_0.png").read_bytes()


def test_residual_as_usdc(scene, tmp_path):
    report = convert(scene, tmp_path / "out", residual_format="usdc")
    assert report.layers[0].residual.suffix == ".usdc"
    _same_stage(scene, report.root)


# -- layouts: time codes per second, names authored with two types ------------------------


def test_time_codes_per_second_of_the_source_apply_to_the_tables(tmp_path):
    """The tables author no time codes per second: the root's offset undoes
    the scale USD would give them against a source at 30 or 48 per second."""
    for tcps in (30, 48):
        src = tmp_path / f"t{tcps}.usda"
        src.write_text(
            f"#usda 1.0\n(\n    timeCodesPerSecond = {tcps}\n)\n"
            'def "A"\n{\n    double x.timeSamples = { 0: 1, 12: 2, 24: 3 }\n    double y = 4\n}\n'
        )
        report = convert(src, tmp_path / f"out{tcps}")
        _same_stage(src, report.root)
        stage = Usd.Stage.Open(str(report.root))
        assert stage.GetAttributeAtPath("/A.x").GetTimeSamples() == [0.0, 12.0, 24.0]


def test_a_name_authored_with_two_types_gets_a_second_table(tmp_path):
    src = tmp_path / "two.usda"
    src.write_text(
        "#usda 1.0\n"
        'def "A"\n{\n    asset inputs:file = @a.png@\n    float v = 1\n}\n'
        'def "B"\n{\n    token inputs:file = "b"\n    float v = 2\n}\n'
        'def "C"\n{\n    string inputs:file = "c"\n}\n'
    )
    report = convert(src, tmp_path / "out")
    names = sorted(t.path.name for t in report.layers[0].tables)
    assert names == ["two.defaults-2.parquet", "two.defaults-3.parquet", "two.defaults.parquet"]
    assert report.layers[0].moved_values == 5
    _same_stage(src, report.root)


def test_a_native_table_has_no_spec_inside_a_variant(converted):
    """/A{v=x}.p is a spec inside a variant, never the table's /A.p."""
    table = next(t for t in converted.layers[0].tables if t.kind == "defaults")
    layer = Sdf.Layer.FindOrOpen(str(table.path))
    assert layer.GetAttributeAtPath("/World/Switch.shared") is not None
    assert layer.GetAttributeAtPath("/World/Switch{look=blue}.shared") is None


def test_files_asset_values_name_are_copied_so_the_converted_stage_finds_them(converted):
    assert (converted.outdir / "textures" / "red.png").is_file()
    assert (converted.outdir / "file_5.png").is_file()
    stage = Usd.Stage.Open(str(converted.root))
    texture = stage.GetAttributeAtPath("/World/Instance1/Looks/Red/Tex.inputs:file").Get()
    assert texture.path == "textures/red.png"
    assert Path(texture.resolvedPath) == converted.outdir / "textures" / "red.png"


# -- the report -----------------------------------------------------------------------------


def test_report_as_data_and_text(converted):
    data = converted.to_dict()
    assert data["moved_values"] == sum(x.moved_values for x in converted.layers) > 0
    first = data["layers"][0]
    assert first["moved"]["values"] == first["moved"]["defaults"] + first["moved"]["time_samples"]
    assert first["stayed"]["inside a variant (a table has no variant)"]["values"] == 4
    text = converted.text()
    assert "to Parquet:" in text and "stays in USD" in text and "frame4d" in text
    assert str(converted.root) in text


def test_outdir_that_is_not_empty_is_refused(scene, tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    with pytest.raises(UsdBenchError, match="not empty"):
        convert(scene, tmp_path / "out")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["keep.txt"]


# -- layers with nothing to move, and the suite's own props layer --------------------------


def test_a_layer_with_no_values_converts_to_a_residual_only(tmp_path):
    src = tmp_path / "empty.usda"
    src.write_text('#usda 1.0\n(\n    defaultPrim = "A"\n)\ndef Xform "A"\n{\n}\n')
    report = convert(src, tmp_path / "out")
    assert report.layers[0].tables == [] and report.layers[0].moved_values == 0
    _same_stage(src, report.root)


def test_the_suites_props_layer_moves_every_value(tmp_path):
    from usdbench.cache import materialize
    from usdbench.scenario import Scenario

    scenario = Scenario(300, "flat")
    materialize(scenario, ["usda"], tmp_path / "scene")
    report = convert(tmp_path / "scene" / "props.usda", tmp_path / "out")
    layer = report.layers[0]
    assert layer.moved("defaults") == 300 * 20 and layer.stayed_values == {}
    # Every prim is a bare over the table gives: no residual layer at all.
    assert layer.residual_counts == {"prims only in the tables": 301}
    assert layer.residual is None and layer.residual_bytes == 0
    assert sorted(p.name for p in report.outdir.iterdir()) == [
        "props.defaults.parquet",
        "props.usda",
    ]
    assert Sdf.Layer.FindOrOpen(str(report.root)).subLayerPaths == ["./props.defaults.parquet"]
    _same_stage(tmp_path / "scene" / "props.usda", report.root)
    _same_stage_python(tmp_path / "scene" / "props.usda", report.root)
    restored = restore_layer(report.root)
    source = Sdf.Layer.OpenAsAnonymous(str(tmp_path / "scene" / "props.usda"))
    assert _layer_content(restored) == _layer_content(source)


def _same_stage_python(source, converted_root) -> None:
    """As _same_stage, the tables read by the Python loader."""
    from usdbench.stage import open_stage

    stage = open_stage(str(converted_root), parquet_reader="python")
    stage.Load()
    differences = compare_dumps(_dump(source), dump_stage(stage), names=("source", "python"))
    assert differences == [], "\n".join(differences)


def _residual_prims(report) -> list[str]:
    """The prim paths of the root layer's residual, in namespace order."""
    residual = report.layers[0].residual
    if residual is None:
        return []
    layer = Sdf.Layer.FindOrOpen(str(residual))
    paths = []
    layer.Traverse(Sdf.Path.absoluteRootPath, lambda p: paths.append(p) if p.IsPrimPath() else None)
    return sorted(str(p) for p in paths)


def _children(root, path: str) -> list[str]:
    stage = Usd.Stage.Open(str(root))
    return [c.GetName() for c in stage.GetPrimAtPath(path).GetAllChildren()]


def _converts_the_same(src: Path, out: Path):
    report = convert(src, out)
    _same_stage(src, report.root)
    _same_stage_python(src, report.root)
    restored = restore_layer(report.root)
    assert _layer_content(restored) == _layer_content(Sdf.Layer.OpenAsAnonymous(str(src)))
    return report


def _overs(names, indent: str = "    ") -> str:
    return "".join(
        f'{indent}over "{n}"\n{indent}{{\n{indent}    double x = 1\n{indent}}}\n' for n in names
    )


def test_bare_prims_the_tables_give_leave_the_residual_where_the_child_order_allows(tmp_path):
    """A kept parent (a def) loses its bare children; children in an order
    the tables do not give keep their specs up to where the rest is sorted."""
    src = tmp_path / "order.usda"
    src.write_text(
        "#usda 1.0\n"
        + 'def Xform "Sorted"\n{\n'
        + _overs(["a", "b", "c"])
        + "}\n"
        + 'over "Unsorted"\n{\n'
        + _overs(["B", "A", "C"])
        + "}\n"
    )
    report = _converts_the_same(src, tmp_path / "out")
    assert _residual_prims(report) == ["/Sorted", "/Unsorted", "/Unsorted/B"]
    assert _children(report.root, "/Unsorted") == ["B", "A", "C"]
    assert _children(report.root, "/Sorted") == ["a", "b", "c"]
    assert report.layers[0].residual_counts["prims only in the tables"] == 5


def test_child_order_across_tables_of_two_kinds(tmp_path):
    """The defaults table's children come before the series table's (it is
    weaker): B (a default) before A (samples) is their composed order."""
    src = tmp_path / "kinds.usda"
    src.write_text(
        "#usda 1.0\n"
        'over "W"\n{\n'
        '    over "B"\n    {\n        double x = 1\n    }\n'
        '    over "A"\n    {\n        double y.timeSamples = { 1: 2 }\n    }\n'
        "}\n"
        'over "V"\n{\n'
        '    over "A"\n    {\n        double y.timeSamples = { 1: 2 }\n    }\n'
        '    over "B"\n    {\n        double x = 1\n    }\n'
        "}\n"
    )
    report = _converts_the_same(src, tmp_path / "out")
    # /W stays (bare, its children gone) to stay before /V, whose /V/A stays.
    assert _residual_prims(report) == ["/V", "/V/A", "/W"]
    assert _children(report.root, "/W") == ["B", "A"]
    assert _children(report.root, "/V") == ["A", "B"]


def test_many_children_out_of_order_and_a_prim_order_keep_their_place(tmp_path):
    """A kept prefix (a def with a relationship inside, an empty over, a
    child out of order) before many bare children (the copy-out path); a
    parent with ``reorder nameChildren`` keeps every child; variants stay."""
    many = [f"P{i:02d}" for i in range(40)]
    src = tmp_path / "many.usda"
    src.write_text(
        "#usda 1.0\n"
        'over "World"\n{\n'
        '    def "Z"\n    {\n        rel r = </World/Z/Inner>\n'
        '        def "Inner"\n        {\n        }\n    }\n'
        '    over "Empty"\n    {\n    }\n' + _overs(["Y", *many]) + "}\n"
        'over "Ordered"\n{\n    reorder nameChildren = ["b", "a"]\n' + _overs(["b", "a"]) + "}\n"
        'def "Switch" (\n    variants = {\n        string v = "x"\n    }\n'
        '    prepend variantSets = "v"\n)\n{\n'
        + _overs(["k"])
        + '    variantSet "v" = {\n        "x" {\n'
        + _overs(["in"], "            ")
        + "        }\n    }\n"
        + "}\n"
    )
    report = _converts_the_same(src, tmp_path / "out")
    kept = _residual_prims(report)
    assert {"/World/Z", "/World/Z/Inner", "/World/Empty", "/World/Y"} <= set(kept)
    assert not any(p.startswith("/World/P") for p in kept)
    assert {"/Ordered/a", "/Ordered/b", "/Switch{v=x}in"} <= set(kept)
    assert "/Switch/k" not in kept
    assert _children(report.root, "/World") == ["Z", "Empty", "Y", *many]
    assert _children(report.root, "/Ordered") == ["b", "a"]
    stage = Usd.Stage.Open(str(report.root))
    assert stage.GetRelationshipAtPath("/World/Z.r").GetTargets() == ["/World/Z/Inner"]


@pytest.mark.slow
def test_an_animated_mesh_scene_round_trips_with_nearly_every_byte_in_parquet(tmp_path):
    """200 meshes of 500 points, points and transforms sampled on 24 frames:
    the series table at a size where row groups split, and the bytes."""
    import numpy as np
    from pxr import Gf, UsdGeom, Vt

    src = tmp_path / "anim.usdc"
    stage = Usd.Stage.CreateNew(str(src))
    rng = np.random.default_rng(7)
    for i in range(200):
        mesh = UsdGeom.Mesh.Define(stage, f"/World/Mesh_{i}")
        points = rng.random((500, 3), dtype=np.float32)
        mesh.CreateFaceVertexCountsAttr(Vt.IntArray([4] * 125))
        mesh.CreateFaceVertexIndicesAttr(Vt.IntArray(list(range(500))))
        attr = mesh.CreatePointsAttr()
        xform = mesh.AddTranslateOp()
        for frame in range(24):
            attr.Set(Vt.Vec3fArray.FromNumpy(points + frame), frame)
            xform.Set(Gf.Vec3d(i, frame, 0), frame)
    stage.GetRootLayer().Save()
    report = convert(src, tmp_path / "out")
    layer = report.layers[0]
    assert layer.moved("series") == 200 * 24 * 2
    moved, stayed = layer.moved_bytes, sum(layer.stayed_bytes.values())
    assert moved > 0.99 * (moved + stayed)
    _same_stage(src, report.root)
