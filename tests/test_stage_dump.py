"""The canonical stage dump: the same scene in another format dumps the same,
and each kind of change (a value, a time sample, a target, a metadata field,
an arc) is found and named by its path."""

import json
import math
import shutil

import pytest
from pxr import Sdf, Usd, UsdGeom, UsdShade, Vt

from usdbench.stage_dump import compare_dumps, compare_stages, dump_stage


def _write_scene(directory, ext="usda"):
    """A root with a sublayer and a referenced asset that has a payload."""
    payload = Usd.Stage.CreateNew(str(directory / f"payload.{ext}"))
    heavy = UsdGeom.Mesh.Define(payload, "/Heavy")
    heavy.CreatePointsAttr([(0, 0, 0), (1, 0, 0), (0, 1, 0)])
    payload.SetDefaultPrim(heavy.GetPrim())
    payload.Save()

    asset = Usd.Stage.CreateNew(str(directory / f"asset.{ext}"))
    root = UsdGeom.Xform.Define(asset, "/Asset")
    Usd.ModelAPI(root).SetKind("component")
    asset.SetDefaultPrim(root.GetPrim())
    mesh = UsdGeom.Mesh.Define(asset, "/Asset/Mesh")
    mesh.CreateFaceVertexCountsAttr([3])
    mesh.CreateFaceVertexIndicesAttr([0, 1, 2])
    points = mesh.CreatePointsAttr([(0, 0, 0), (1, 0, 0), (0, 1, 0)])
    points.Set([(0, 0, 0), (2, 0, 0), (0, 2, 0)], 1.0)
    points.Set([(0, 0, 0), (3, 0, 0), (0, float("nan"), -0.0)], 2.0)
    UsdGeom.PrimvarsAPI(mesh).CreatePrimvar(
        "st", Sdf.ValueTypeNames.TexCoord2fArray, UsdGeom.Tokens.faceVarying
    ).Set([(0, 0), (1, 0), (0, 1)])
    material = UsdShade.Material.Define(asset, "/Asset/Mat")
    shader = UsdShade.Shader.Define(asset, "/Asset/Mat/Surface")
    shader.CreateIdAttr("UsdPreviewSurface")
    shader.CreateInput("roughness", Sdf.ValueTypeNames.Float).Set(0.25)
    material.CreateSurfaceOutput().ConnectToSource(shader.ConnectableAPI(), "surface")
    UsdShade.MaterialBindingAPI.Apply(mesh.GetPrim()).Bind(material)
    vset = root.GetPrim().GetVariantSets().AddVariantSet("look")
    for name, value in (("red", 1.0), ("blue", 2.0)):
        vset.AddVariant(name)
        vset.SetVariantSelection(name)
        with vset.GetVariantEditContext():
            root.GetPrim().CreateAttribute("hue", Sdf.ValueTypeNames.Double).Set(value)
    vset.SetVariantSelection("red")
    root.GetPrim().GetPayloads().AddPayload(f"./payload.{ext}")
    asset.Save()

    sub = Usd.Stage.CreateNew(str(directory / f"sub.{ext}"))
    sub.OverridePrim("/World/Thing").SetCustomDataByKey("note", "from the sublayer")
    sub.Save()

    stage = Usd.Stage.CreateNew(str(directory / f"root.{ext}"))
    stage.GetRootLayer().subLayerPaths.append(f"./sub.{ext}")
    stage.SetStartTimeCode(1)
    stage.SetEndTimeCode(2)
    stage.GetRootLayer().customLayerData = {"team": "props", "version": 3}
    world = UsdGeom.Xform.Define(stage, "/World")
    thing = stage.DefinePrim("/World/Thing", "Xform")
    thing.GetReferences().AddReference(f"./asset.{ext}")
    thing.CreateRelationship("lookAt").SetTargets(["/World/Thing/Mesh"])
    thing.CreateAttribute("weight", Sdf.ValueTypeNames.Double).Set(1.5)
    UsdGeom.Xformable(thing).AddTranslateOp().Set((1, 2, 3), 1.0)
    stage.CreateClassPrim("/_class_Thing")
    thing.GetInherits().AddInherit("/_class_Thing")
    stage.SetDefaultPrim(world.GetPrim())
    stage.Save()
    return directory / f"root.{ext}"


@pytest.fixture
def scene(tmp_path):
    return _write_scene(tmp_path)


def test_dump_is_json_and_covers_the_scene(scene):
    dump = dump_stage(Usd.Stage.Open(str(scene)))
    json.dumps(dump)  # JSON-able (NaN as JSON's NaN)
    prims = dump["prims"]
    assert dump["stage"]["customLayerData"] == {"team": "props", "version": 3}
    thing = prims["/World/Thing"]
    assert thing["metadata"]["kind"] == "component"
    assert thing["metadata"]["customData"] == {"note": "from the sublayer"}
    assert thing["variantSets"] == {"look": {"variants": ["blue", "red"], "selection": "red"}}
    arcs = {(kind, path, stem) for kind, path, stem, _ in thing["arcs"]}
    assert {("Reference", "/Asset", "asset"), ("Payload", "/Heavy", "payload")} <= arcs
    assert ("Inherit", "/_class_Thing", "root") in arcs
    assert thing["properties"]["hue"]["default"] == 1.0  # inside the variant
    assert thing["properties"]["lookAt"]["targets"] == ["/World/Thing/Mesh"]
    points = prims["/World/Thing/Mesh"]["properties"]["points"]
    assert points["typeName"] == "point3f[]"
    assert list(points["timeSamples"]) == ["1.0", "2.0"]
    assert points["timeSamples"]["1.0"][1] == [2.0, 0.0, 0.0]
    surface = prims["/World/Thing/Mat"]["properties"]["outputs:surface"]
    assert surface["connections"] == ["/World/Thing/Mat/Surface.outputs:surface"]
    # The payload's content, loaded: its mesh's points on the referencing prim.
    assert thing["properties"]["points"]["default"][1] == [1.0, 0.0, 0.0]
    assert prims["/_class_Thing"]["specifier"] == "SpecifierClass"


def test_same_scene_in_another_format_dumps_the_same(tmp_path):
    usda = dump_stage(Usd.Stage.Open(str(_write_scene(tmp_path / "a", "usda"))))
    usdc = dump_stage(Usd.Stage.Open(str(_write_scene(tmp_path / "c", "usdc"))))
    assert compare_dumps(usda, usdc) == []
    a = Usd.Stage.Open(str(tmp_path / "a" / "root.usda"))
    c = Usd.Stage.Open(str(tmp_path / "c" / "root.usdc"))
    assert compare_stages(a, c) == []
    assert compare_dumps(usda, json.loads(json.dumps(usda))) == []


def test_nan_equals_nan_and_signed_zero_differs(scene):
    base = dump_stage(Usd.Stage.Open(str(scene)))
    samples = base["prims"]["/World/Thing/Mesh"]["properties"]["points"]["timeSamples"]["2.0"]
    assert math.isnan(samples[2][1]) and math.copysign(1, samples[2][2]) == -1
    again = dump_stage(Usd.Stage.Open(str(scene)))
    assert compare_dumps(base, again) == []
    again["prims"]["/World/Thing/Mesh"]["properties"]["points"]["timeSamples"]["2.0"][2][2] = 0.0
    (diff,) = compare_dumps(base, again)
    assert diff.startswith("/World/Thing/Mesh.points timeSamples 2.0[2][2]:"), diff


def _edit_value(stage):
    stage.GetPrimAtPath("/World/Thing").GetAttribute("weight").Set(1.5000000000000002)


def _edit_sample(stage):
    # In the referenced asset's own layer: one sample changes, the other stays.
    value = Vt.Vec3fArray([(0, 0, 0), (2, 0, 0), (0, 2.5, 0)])
    _asset_layer(stage).SetTimeSample("/Asset/Mesh.points", 1.0, value)


def _edit_target(stage):
    stage.GetPrimAtPath("/World/Thing").GetRelationship("lookAt").SetTargets(["/World/Thing/Mat"])


def _edit_metadata(stage):
    stage.GetPrimAtPath("/World/Thing/Mesh").SetCustomDataByKey("lod", 2)


def _edit_arc(stage):
    stage.GetPrimAtPath("/World/Thing").GetInherits().ClearInherits()


def _edit_variant(stage):
    stage.GetPrimAtPath("/World/Thing").GetVariantSet("look").SetVariantSelection("blue")


def _edit_layer_metadata(stage):
    stage.GetRootLayer().customLayerData = {"team": "props", "version": 4}


def _asset_layer(stage):
    return next(layer for layer in stage.GetUsedLayers() if "asset" in layer.identifier)


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        (_edit_value, "/World/Thing.weight default:"),
        (_edit_sample, "/World/Thing/Mesh.points timeSamples 1.0[2][1]:"),
        (_edit_target, "/World/Thing.lookAt targets[0]:"),
        (_edit_metadata, "/World/Thing/Mesh metadata customData"),
        (_edit_arc, "/World/Thing arcs"),
        (_edit_variant, "/World/Thing variantSets look selection:"),
        (_edit_layer_metadata, "<stage> metadata customLayerData version:"),
    ],
)
def test_each_change_is_found_and_named(scene, edit, named, tmp_path):
    before = dump_stage(Usd.Stage.Open(str(scene)))
    copy = shutil.copytree(scene.parent, tmp_path / "copy")
    stage = Usd.Stage.Open(str(scene))
    edit(stage)
    after = dump_stage(stage)
    diffs = compare_dumps(before, after, names=("original", "edited"))
    assert diffs, edit.__name__
    # The same, prim by prim without the dumps in memory.
    original = Usd.Stage.Open(str(copy / scene.name))
    assert compare_stages(original, stage, names=("original", "edited")) == diffs
    assert any(d.startswith(named) for d in diffs), diffs
    assert all("original" in d or "edited" in d for d in diffs)


def test_a_missing_prim_and_property_are_named(scene, tmp_path):
    before = dump_stage(Usd.Stage.Open(str(scene)))
    stage = Usd.Stage.Open(str(scene))
    stage.GetPrimAtPath("/World/Thing").CreateAttribute("extra", Sdf.ValueTypeNames.Int).Set(1)
    stage.DefinePrim("/World/New")
    diffs = compare_dumps(before, dump_stage(stage))
    assert "/World/Thing.extra: property only in b" in diffs
    assert "/World/New: prim only in b" in diffs
    copy = shutil.copytree(scene.parent, tmp_path / "copy")
    assert set(compare_stages(stage, Usd.Stage.Open(str(copy / scene.name)))) == {
        "/World/New: prim only in a",
        "/World/Thing.extra: property only in a",
    }


def test_limit_caps_the_differences(scene):
    before = dump_stage(Usd.Stage.Open(str(scene)))
    stage = Usd.Stage.Open(str(scene))
    for i in range(30):
        stage.DefinePrim(f"/World/P{i}")
    assert len(compare_dumps(before, dump_stage(stage), limit=5)) == 5
