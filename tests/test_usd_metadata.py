"""USD types and layer metadata said in a Parquet table: a column's Arrow
field metadata ``usd:typeName`` (roles, token, asset, timecode, matrices,
quaternions) and the file's key-value metadata (defaultPrim, upAxis,
metersPerUnit, doc). Both readers follow them, the same way; the project's
writer writes them."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pxr import Gf, Sdf, Tf, Usd

from usdbench import native
from usdbench.errors import UsdBenchError
from usdbench.formats import FORMATS
from usdbench.parquet import load_layer
from usdbench.parquet.type_table import read_table_file
from usdbench.writers import with_usd_metadata, write_parquet

ROWS = 4
FLOAT32 = pa.float32()


def _vec(k, n=ROWS, t=FLOAT32, nulls=True):
    values = [[float(i + j) for j in range(k)] for i in range(n)]
    if nulls:
        values[2] = None
    return pa.array(values, pa.list_(t, k))


def _arr(k, t=FLOAT32):
    return pa.array(
        [[[float(i + j) for j in range(k)]] * (i + 1) if i != 1 else None for i in range(ROWS)],
        pa.list_(pa.list_(t, k)),
    )


# column -> (Arrow values, declared USD type, a Python check of row 0's value)
COLUMNS = {
    "position": (_vec(3), "point3f", Gf.Vec3f(0, 1, 2)),
    "normal": (_vec(3), "normal3f", Gf.Vec3f(0, 1, 2)),
    "velocity": (_vec(3, t=pa.float64()), "vector3d", Gf.Vec3d(0, 1, 2)),
    "displayColor": (_vec(3), "color3f", Gf.Vec3f(0, 1, 2)),
    "tint": (_vec(4, t=pa.float64()), "color4d", Gf.Vec4d(0, 1, 2, 3)),
    "st": (_vec(2), "texCoord2f", Gf.Vec2f(0, 1)),
    "points": (_arr(3), "point3f[]", [Gf.Vec3f(0, 1, 2)]),
    "colors": (_arr(3), "color3f[]", [Gf.Vec3f(0, 1, 2)]),
    "uvs": (_arr(2), "texCoord2f[]", [Gf.Vec2f(0, 1)]),
    "kind": (pa.array(["a", "b", None, "d"]), "token", "a"),
    "tags": (pa.array([["x", "y"], None, ["z"], []]), "token[]", ["x", "y"]),
    "texture": (pa.array(["tex/a.png", "b@c.png", None, "d.png"]), "asset", "tex/a.png"),
    "files": (pa.array([["a.usd"], ["b.usd"], None, []]), "asset[]", ["a.usd"]),
    "frame": (pa.array([1.5, 2.0, None, 4.25]), "timecode", 1.5),
    "frame32": (pa.array([1.1, 2.0, None, 4.0], pa.float32()), "timecode", None),
    "m2": (_vec(4, t=pa.float64()), "matrix2d", Gf.Matrix2d(0, 1, 2, 3)),
    "m3": (_vec(9, t=pa.float64()), "matrix3d", Gf.Matrix3d(*range(9))),
    "m4": (_vec(16), "matrix4d", Gf.Matrix4d(*range(16))),
    "xforms": (_arr(16, pa.float64()), "matrix4d[]", [Gf.Matrix4d(*range(16))]),
    "qh": (_vec(4, t=pa.float16()), "quath", Gf.Quath(0, 1, 2, 3)),
    "qf": (_vec(4), "quatf", Gf.Quatf(0, 1, 2, 3)),
    "qd": (_vec(4, t=pa.float64()), "quatd", Gf.Quatd(0, 1, 2, 3)),
    "orients": (_arr(4), "quatf[]", [Gf.Quatf(0, 1, 2, 3)]),
}
LAYER = {
    "defaultPrim": "World",
    "upAxis": "Z",
    "metersPerUnit": 0.01,
    "documentation": 'Props "quoted"\nsecond line',
}


def _table() -> pa.Table:
    return pa.table(
        {"path": [f"/World/P_{i}" for i in range(ROWS)], **{k: v[0] for k, v in COLUMNS.items()}}
    )


def _by_pyarrow(path) -> None:
    """The same file written by plain pyarrow: field and file metadata set by hand."""
    table = _table()
    fields = [
        f.with_metadata({"usd:typeName": COLUMNS[f.name][1]}) if f.name in COLUMNS else f
        for f in table.schema
    ]
    metadata = {f"usd:{k}": str(v) for k, v in LAYER.items()}
    pq.write_table(table.cast(pa.schema(fields, metadata=metadata)), path)


def _text(layer) -> str:
    copy = Sdf.Layer.CreateAnonymous(".usda")
    copy.TransferContent(layer)
    return copy.ExportToString()


@pytest.fixture(scope="module", params=["project_writer", "pyarrow"])
def typed_file(request, tmp_path_factory):
    path = tmp_path_factory.mktemp("typed") / "props.parquet"
    if request.param == "project_writer":
        fmt = next(f for f in FORMATS.values() if f.is_parquet)
        write_parquet(_table(), fmt, path, {k: v[1] for k, v in COLUMNS.items()}, LAYER)
    else:
        _by_pyarrow(path)
    return path


@pytest.mark.parametrize("reader", ["native", "loader"])
def test_declared_types_and_layer_metadata_read_back(typed_file, reader):
    if reader == "native":
        assert native.available()
        layer = Sdf.Layer.FindOrOpen(str(typed_file))
    else:
        layer = load_layer(typed_file)
    assert layer.defaultPrim == "World"
    assert layer.pseudoRoot.GetInfo("upAxis") == "Z"
    assert layer.pseudoRoot.GetInfo("metersPerUnit") == 0.01
    assert layer.documentation == LAYER["documentation"]
    for name, (values, type_name, first) in COLUMNS.items():
        spec = layer.GetAttributeAtPath(f"/World/P_0.{name}")
        assert spec is not None, name
        assert str(spec.typeName) == type_name, name
        if first is not None:
            value = spec.default
            if isinstance(first, list):
                value = list(value)
            if type_name == "asset":
                value = value.path
            elif type_name == "asset[]":
                value = [v.path for v in value]
            elif type_name == "timecode":
                value = value.GetValue()
            assert value == first, (name, value, first)
        nulls = [i for i, v in enumerate(values.to_pylist()) if v is None]
        for i in nulls:
            assert layer.GetAttributeAtPath(f"/World/P_{i}.{name}") is None, (name, i)
    # timecode from float: the double of the float, in both readers
    frame = layer.GetAttributeAtPath("/World/P_0.frame32").default.GetValue()
    assert frame == float(pa.array([1.1], pa.float32())[0].as_py())
    assert layer.GetAttributeAtPath("/World/P_1.texture").default.path == "b@c.png"


def test_both_readers_give_the_same_layer_and_a_stage_uses_default_prim(typed_file, tmp_path):
    native_layer = Sdf.Layer.FindOrOpen(str(typed_file))
    assert _text(native_layer) == _text(load_layer(typed_file))
    # A reference without a prim path: the layer's defaultPrim.
    root = tmp_path / "root.usda"
    root.write_text(f'#usda 1.0\ndef "Ref" (\n    references = @{typed_file}@\n)\n{{\n}}\n')
    stage = Usd.Stage.Open(str(root))
    points = stage.GetAttributeAtPath("/Ref/P_3.points").Get()
    assert len(points) == 4 and points[0] == Gf.Vec3f(3, 4, 5)


@pytest.mark.parametrize(
    "values, declared, message",
    [
        (pa.array([1.0]), "point3f", "does not fit Arrow type double"),
        (pa.array([1.0]), "token", "does not fit Arrow type double"),
        (pa.array(["a"]), "matrix4d", "does not fit Arrow type string"),
        (_vec(3, 1, nulls=False), "quatf", "does not fit"),
        (pa.array([1.0]), "notAType", "is not a USD attribute type name"),
    ],
)
def test_a_declared_type_that_does_not_fit_is_an_error_in_both_readers(
    tmp_path, values, declared, message
):
    table = pa.table({"path": ["/A"], "v": values})
    field = table.schema.field("v").with_metadata({"usd:typeName": declared})
    source = tmp_path / "bad.parquet"
    pq.write_table(table.cast(pa.schema([table.schema.field("path"), field])), source)
    with pytest.raises(UsdBenchError, match=message):
        load_layer(source)
    with pytest.raises(Tf.ErrorException, match=message):
        Sdf.Layer.FindOrOpen(str(source))
    with pytest.raises(UsdBenchError, match=message):
        with_usd_metadata(pa.table({"path": ["/A"], "v": values}), {"v": declared})


def test_bad_layer_metadata_is_an_error_in_both_readers(tmp_path):
    for key, value, message in [
        ("usd:defaultPrim", "/World", "not a valid prim name"),
        ("usd:metersPerUnit", "cm", "not a positive number"),
    ]:
        source = tmp_path / f"{key[4:]}.parquet"
        pq.write_table(pa.table({"path": ["/A"]}).replace_schema_metadata({key: value}), source)
        with pytest.raises(UsdBenchError, match=message):
            load_layer(source)
        with pytest.raises(Tf.ErrorException, match=message):
            Sdf.Layer.FindOrOpen(str(source))


def test_the_type_table_documents_the_metadata():
    table = read_table_file()
    metadata = table["metadata"]
    assert metadata["field_type_key"] == "usd:typeName"
    declared = {row["usd"] for row in metadata["declared_types"]}
    for name in ("token", "asset", "timecode", "matrix4d", "quatf"):
        assert name in declared
    assert set(metadata["layer_keys"]) == {f"usd:{k}" for k in LAYER}
    assert any("usd:typeName" in rule for rule in table["rules"])
