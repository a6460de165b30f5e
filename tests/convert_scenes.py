"""Layers the convert tests build: what real assets hold (meshes with
primvars, materials, an instancer, arcs of every kind, variants, animation,
metadata) and an attribute of every type the type table holds, plus a few
that no table holds."""

from __future__ import annotations

from pathlib import Path

from pxr import Sdf

from usdbench.convert.columns import _shape, column_type

ASSET = """\
#usda 1.0
(
    defaultPrim = "Asset"
    metersPerUnit = 0.01
    upAxis = "Z"
)

def Xform "Asset" (
    kind = "component"
    assetInfo = {
        string name = "asset"
    }
)
{
    def Mesh "Geo" (
        prepend apiSchemas = ["MaterialBindingAPI"]
    )
    {
        float3[] extent = [(-1, -1, 0), (1, 1, 0.25)]
        int[] faceVertexCounts = [4, 3]
        int[] faceVertexIndices = [0, 1, 2, 3, 1, 4, 2]
        normal3f[] normals = [(0, 0, 1), (0, 0, 1), (0, 0, 1), (0, 0, 1), (0, 0, 1), (0, 0, 1)] (
            interpolation = "faceVarying"
        )
        point3f[] points = [(-1, -1, 0), (1, -1, 0), (1, 1, 0), (-1, 1, 0), (1.5, 0, 0.25)]
        point3f[] points.timeSamples = {
            1: [(-1, -1, 0), (1, -1, 0), (1, 1, 0), (-1, 1, 0), (1.5, 0, 0.25)],
            2: [(-1, -1, 1), (1, -1, 1), (1, 1, 1), (-1, 1, 1), (1.5, 0, 1.25)],
        }
        color3f[] primvars:displayColor = [(0.1, 0.2, 0.3)] (
            interpolation = "constant"
        )
        float[] primvars:displayOpacity = [0.5, 0.25] (
            interpolation = "uniform"
        )
        texCoord2f[] primvars:st = [(0, 0), (1, 0), (1, 1), (0, 1)] (
            interpolation = "faceVarying"
        )
        int[] primvars:st:indices = [0, 1, 2, 3, 1, 2, 3]
        float[] primvars:weights = [0.1, 0.2, 0.3, 0.4, 0.5] (
            elementSize = 1
            interpolation = "vertex"
        )
        uniform token subdivisionScheme = "none"
        rel material:binding = </Asset/Looks/Red>
    }

    def Scope "Looks"
    {
        def Material "Red"
        {
            token outputs:surface.connect = </Asset/Looks/Red/Surface.outputs:surface>

            def Shader "Surface"
            {
                uniform token info:id = "UsdPreviewSurface"
                color3f inputs:diffuseColor = (0.8, 0.1, 0.1)
                color3f inputs:diffuseColor.connect = </Asset/Looks/Red/Tex.outputs:rgb>
                float inputs:roughness = 0.4
                token outputs:surface
            }

            def Shader "Tex"
            {
                uniform token info:id = "UsdUVTexture"
                asset inputs:file = @textures/red.png@ (
                    colorSpace = "sRGB"
                )
                token inputs:wrapS = "repeat"
                float3 outputs:rgb
            }
        }
    }

    def PointInstancer "Scatter"
    {
        int[] protoIndices = [0, 0, 1]
        point3f[] positions = [(0, 0, 0), (2, 0, 0), (4, 0, 0)]
        quath[] orientations = [(1, 0, 0, 0), (0.5, 0.5, 0.5, 0.5), (1, 0, 0, 0)]
        float3[] scales = [(1, 1, 1), (2, 2, 2), (1, 1, 1)]
        int64[] invisibleIds = []
        rel prototypes = [</Asset/Scatter/Protos/A>, </Asset/Scatter/Protos/B>]

        def Scope "Protos"
        {
            def Cube "A"
            {
                double size = 0.5
            }

            def Sphere "B"
            {
                double radius = 0.25
            }
        }
    }
}
"""

PAYLOAD = """\
#usda 1.0
(
    defaultPrim = "Heavy"
)

def Xform "Heavy"
{
    double3 xformOp:translate = (0, 0, 5)
    uniform token[] xformOpOrder = ["xformOp:translate"]
    def Points "Cloud"
    {
        point3f[] points = [(0, 0, 0), (1, 1, 1)]
        float[] widths = [0.1, 0.2] (
            interpolation = "vertex"
        )
    }
}
"""

SUBLAYER = """\
#usda 1.0
(
    timeCodesPerSecond = 30
)

over "World"
{
    double weight = 12.5
    double weight.timeSamples = {
        0: 1,
        10: 2,
    }

    def Xform "FromSub"
    {
        custom string note = "from the sublayer"
    }
}
"""

ROOT = """\
#usda 1.0
(
    customLayerData = {
        string pipeline = "tests"
        dictionary nested = {
            int version = 3
        }
    }
    defaultPrim = "World"
    doc = "the convert test scene"
    endTimeCode = 10
    startTimeCode = 0
    subLayers = [
        @./sub.usda@ (offset = 2; scale = 0.5)
    ]
    timeCodesPerSecond = 30
)

def Xform "World" (
    kind = "assembly"
    customData = {
        string owner = "tests"
    }
)
{
    double3 xformOp:translate.timeSamples = {
        0: (0, 0, 0),
        5: (1, 2, 3),
        10: (4, 5, 6),
    }
    float3 xformOp:rotateXYZ = (0, 45, 0)
    uniform token[] xformOpOrder = ["xformOp:translate", "xformOp:rotateXYZ"]

    def "Instance1" (
        instanceable = true
        prepend references = @./asset.usda@
    )
    {
    }

    def "Instance2" (
        instanceable = true
        prepend references = @./asset.usda@ (offset = 3)
    )
    {
        double3 xformOp:translate = (5, 0, 0)
        uniform token[] xformOpOrder = ["xformOp:translate"]
    }

    def "Loaded" (
        prepend payload = @./payload.usda@</Heavy>
    )
    {
    }

    class "_Base"
    {
        float baseValue = 7
        custom uniform token role = "base"
    }

    class "_Special"
    {
        float specialValue = 8
    }

    def Xform "Inheritor" (
        prepend inherits = </World/_Base>
        prepend specializes = </World/_Special>
    )
    {
        float specialValue = 9
        rel friend = </World/Instance1>
        custom rel many = [</World/Loaded>, </World/Inheritor>]
    }

    def Xform "Switch" (
        variants = {
            string look = "blue"
        }
        prepend variantSets = "look"
    )
    {
        float shared = 1
        variantSet "look" = {
            "blue" {
                color3f tint = (0, 0, 1)
                float shared = 2

                def Scope "OnlyBlue"
                {
                    int count = 3
                }
            }
            "red" (
                prepend references = @./asset.usda@
            ) {
                color3f tint = (1, 0, 0)
            }
        }
    }

    def "AllTypes" (
        prepend references = @./types.usda@</Types>
    )
    {
    }

    def Scope "Stays"
    {
        float blocked = None
        float partlyBlocked = 1
        float partlyBlocked.timeSamples = {
            1: 2,
            2: None,
        }
        frame4d frame = ( (1, 0, 0, 0), (0, 1, 0, 0), (0, 0, 1, 0), (0, 0, 0, 1) )
        pathExpression expr = "/World//"
        opaque nothing
        double path = 4
    }
}
"""


def _number(element: str, i: int) -> str:
    if element in ("double", "float", "half", "timecode"):
        return ("0.5", "-1.25", "3.75", "2")[i % 4]
    if element == "bool":
        return ("1", "0")[i % 2]
    return str((3, 7, 11, 1)[i % 4])


def _scalar_text(type_name: str, i: int) -> str:
    kind, element, width = _shape(Sdf.ValueTypeNames.Find(type_name))
    if kind == "asset":
        return f"@./file_{i}.png@"
    if kind == "string":
        return f'"text {i} \\"quoted\\""'
    if kind == "number":
        return _number(element, i)
    if kind == "matrix":
        n = int(width**0.5)
        rows = [
            "(" + ", ".join(_number(element, i + r * n + c) for c in range(n)) + ")"
            for r in range(n)
        ]
        return "( " + ", ".join(rows) + " )"
    return "(" + ", ".join(_number(element, i + k) for k in range(width)) + ")"


def holdable_types() -> list[str]:
    """Every USD type name the type table holds, roles included."""
    names = {
        str(v)
        for n in dir(Sdf.ValueTypeNames)
        if isinstance(v := getattr(Sdf.ValueTypeNames, n), Sdf.ValueTypeName)
    }
    return sorted(n for n in names if column_type(n)[0] is not None)


def column_name(type_name: str) -> str:
    return "t_" + type_name.replace("[]", "_array")


def types_text() -> str:
    """A prim with one attribute per holdable type (default and two time
    samples), and one prim per type for an array column of three rows."""
    lines = ["#usda 1.0", "", 'def Scope "Types"', "{"]
    for t in holdable_types():
        name = column_name(t)
        if t.endswith("[]"):
            base = t[:-2]
            value = "[" + ", ".join(_scalar_text(base, i) for i in range(3)) + "]"
            later = "[" + _scalar_text(base, 5) + "]"
        else:
            value, later = _scalar_text(t, 0), _scalar_text(t, 1)
        lines.append(f"    {t} {name} = {value}")
        lines.append(f"    {t} {name}.timeSamples = {{ 1: {value}, 2.5: {later} }}")
    lines += ['    def Scope "Empty"', "    {", "        string[] t_empty = []", "    }", "}"]
    return "\n".join(lines) + "\n"


def write_scene(folder: Path) -> Path:
    """The scene's files in ``folder``; returns the root layer."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (
        ("asset.usda", ASSET),
        ("payload.usda", PAYLOAD),
        ("sub.usda", SUBLAYER),
        ("root.usda", ROOT),
        ("types.usda", types_text()),
    ):
        (folder / name).write_text(text, encoding="utf-8")
    # The files asset values name (a package takes them in; nothing reads them).
    (folder / "textures").mkdir(exist_ok=True)
    for name in ("textures/red.png", "file_0.png", "file_1.png", "file_2.png", "file_5.png"):
        (folder / name).write_bytes(b"\x89PNG\r\n\x1a\n")
    return folder / "root.usda"
