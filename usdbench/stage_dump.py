"""A canonical dump of a composed stage, and the first differences between two.

``dump_stage(stage)`` walks every prim of the composed stage (inactive,
abstract and undefined ones, and the contents of instances as instance
proxies) and records what a reader of the stage can observe: the stage's
metadata, each prim's type, specifier, authored metadata (kind, instanceable,
variant selections, custom data, ...), its composition arcs, and each authored
property: type name, metadata, default value, every time sample, relationship
targets and attribute connections. Values become plain JSON-able Python
(lists, dicts, floats, ints, strings), so a dump can be written with
``json.dump`` and compared later.

What differs between two encodings of the same scene on purpose is left out:
layer identifiers and the asset paths of composition arcs. The converters
rewrite ``@asset.usda@`` to ``@asset.usdc@`` or to a converted root layer
beside the tables, and a prim's layer stack gains the layers holding the
tables. An arc is recorded by its type, the prim path it targets and the
*stem* of the layer it targets (``asset`` for ``asset.usda``, ``asset.usdc``
and ``pkg.usdz[asset.usdc]``), so a converted stage whose arcs target the
converted files of the same sources dumps the same.

``compare_dumps(a, b)`` names the first differences by prim and property path.
Floats compare exactly: bit for bit except that NaN equals NaN (a lossless
conversion keeps -0.0 and every last bit).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator

import numpy as np
from pxr import Gf, Sdf, Usd, Vt

__all__ = ["compare_dumps", "compare_stages", "dump_stage", "dump_texts"]

# Layer-level fields that name layers: the layer stack is an encoding detail
# (a converted root stacks the tables' layers), what it composes is compared.
_STAGE_FIELDS_SKIPPED = {"subLayers", "subLayerOffsets"}


# The item lists of an Sdf list op (SdfReferenceListOp, SdfPathListOp, ...).
LIST_OP_FIELDS = (
    "explicitItems",
    "addedItems",
    "prependedItems",
    "appendedItems",
    "deletedItems",
    "orderedItems",
)


def dump_stage(stage: Usd.Stage) -> dict:
    """The composed stage as a JSON-able dict: ``{"stage": metadata,
    "prims": {path: prim}}``, prims in traversal (namespace) order."""
    prims = {str(prim.GetPath()): _dump_prim(prim) for prim in _every_prim(stage)}
    return {"stage": _stage_metadata(stage), "prims": prims}


def dump_texts(stage: Usd.Stage) -> dict:
    """The dump as compact text, one JSON string per prim (``{"stage":
    metadata, "prims": {path: text}}``): a tenth of the dump's memory, for
    comparing one stage with several others (compare_stages)."""
    prims = {str(prim.GetPath()): _text(_dump_prim(prim)) for prim in _every_prim(stage)}
    return {"stage": _stage_metadata(stage), "prims": prims}


def compare_stages(a, b: Usd.Stage, limit: int = 20, names=("a", "b")) -> list[str]:
    """compare_dumps(dump_stage(a), dump_stage(b)) prim by prim, without either
    dump in memory (a large scene's dump takes ~1 KiB per attribute). ``a``
    is a stage or its dump_texts (computed once when it is compared with
    several stages)."""
    texts = a if isinstance(a, dict) else dump_texts(a)
    out: list[str] = []
    for where, message in _stage_differences(texts, b, names):
        out.append(f"{where}: {message}")
        if len(out) >= limit:
            break
    return out


def _stage_differences(texts: dict, b: Usd.Stage, names) -> Iterator[tuple[str, str]]:
    yield from _differences(texts["stage"], _stage_metadata(b), "<stage> metadata", names)
    seen = set()
    for prim in _every_prim(b):
        path = str(prim.GetPath())
        text = texts["prims"].get(path)
        if text is None:
            continue  # reported below, in b's order
        seen.add(path)
        dumped = _dump_prim(prim)
        if _text(dumped) != text:
            yield from _prim_differences(path, json.loads(text), dumped, names)
    for path in texts["prims"]:
        if path not in seen:
            yield path, f"prim only in {names[0]}"
    for prim in _every_prim(b):
        if str(prim.GetPath()) not in texts["prims"]:
            yield str(prim.GetPath()), f"prim only in {names[1]}"


def _every_prim(stage: Usd.Stage) -> Iterator[Usd.Prim]:
    predicate = Usd.TraverseInstanceProxies(Usd.PrimAllPrimsPredicate)
    for prim in Usd.PrimRange(stage.GetPseudoRoot(), predicate):
        if not prim.IsPseudoRoot():
            yield prim


def _stage_metadata(stage: Usd.Stage) -> dict:
    metadata = stage.GetPseudoRoot().GetAllAuthoredMetadata()
    return _sorted({k: _value(v) for k, v in metadata.items() if k not in _STAGE_FIELDS_SKIPPED})


def _dump_prim(prim: Usd.Prim) -> dict:
    metadata = prim.GetAllAuthoredMetadata()
    out = {
        "typeName": str(prim.GetTypeName()),
        "specifier": str(prim.GetSpecifier()).rsplit(".", 1)[-1],
        "active": prim.IsActive(),
        "metadata": _sorted(
            {k: _value(v) for k, v in metadata.items() if k not in ("typeName", "specifier")}
        ),
        "arcs": _arcs(prim),
        "variantSets": {
            name: {
                "variants": prim.GetVariantSet(name).GetVariantNames(),
                "selection": prim.GetVariantSet(name).GetVariantSelection(),
            }
            for name in prim.GetVariantSets().GetNames()
        },
        "properties": {},
    }
    for prop in prim.GetAuthoredProperties():
        out["properties"][prop.GetName()] = _dump_property(prop)
    return out


def _dump_property(prop: Usd.Property) -> dict:
    authored = prop.GetAllAuthoredMetadata()
    metadata = _sorted({k: _value(v) for k, v in authored.items()})
    if type(prop) is Usd.Relationship:
        return {
            "kind": "relationship",
            "metadata": metadata,
            "targets": [str(p) for p in prop.GetTargets()],
        }
    attr = prop
    times = attr.GetTimeSamples()
    return {
        "kind": "attribute",
        # The authored type name where there is one (asking the attribute
        # again costs as much as all its metadata).
        "typeName": authored.get("typeName") or str(attr.GetTypeName()),
        "metadata": metadata,
        "default": _value(attr.Get(_DEFAULT_TIME)),
        # Keyed by the time's repr: a difference is named by its time code.
        "timeSamples": {repr(float(t)): _value(attr.Get(t)) for t in times},
        "connections": [str(p) for p in attr.GetConnections()],
    }


def _arcs(prim: Usd.Prim) -> list:
    if prim.IsInstanceProxy():
        # An instance proxy has no prim index of its own; its prototype's
        # arcs are compared where the instance itself is.
        return []
    arcs = []
    for arc in Usd.PrimCompositionQuery(prim).GetCompositionArcs():
        node = arc.GetTargetNode()
        arcs.append(
            [
                str(arc.GetArcType()).rsplit("ArcType", 1)[-1],
                str(node.path),
                _layer_stem(node.layerStack.identifier.rootLayer.identifier),
                arc.IsImplicit(),
            ]
        )
    return arcs


def _layer_stem(identifier: str) -> str:
    """``asset`` for ``/x/asset.usda``, ``asset.usdc:SDF_FORMAT_ARGS:...`` and
    ``/x/pkg.usdz[inner/asset.usdc]`` (the innermost packaged file)."""
    path = Sdf.Layer.SplitIdentifier(identifier)[0]
    while path.endswith("]") and "[" in path:
        path = path[path.index("[") + 1 : -1]
    if path.startswith("anon:"):
        return "anon"
    return os.path.splitext(os.path.basename(path))[0]


def _sorted(d: dict) -> dict:
    return {k: d[k] for k in sorted(d)}


_DEFAULT_TIME = Usd.TimeCode.Default()
# Values that are plain Python already (checked by exact type: the common case
# at millions of values per scene).
_PLAIN = frozenset({bool, int, float, str, type(None)})
_ENUMS = frozenset({Sdf.Specifier, Sdf.Variability, Sdf.Permission})
_enum_text: dict = {}


def _value(v):
    """A USD value as plain Python, keeping what tells values apart: ints stay
    ints, floats floats, vectors and matrices nested lists, arrays lists."""
    if type(v) in _PLAIN:
        return v
    if type(v) in _ENUMS:  # exact types: isinstance on USD's types is slow
        text = _enum_text.get(v)
        if text is None:
            text = _enum_text[v] = str(v).rsplit(".", 1)[-1]
        return text
    if isinstance(v, bool | int | str | float):  # subclasses
        return v
    if isinstance(v, Sdf.AssetPathArray):  # module pxr.Sdf: not the Vt branch below
        return [_value(x) for x in v]
    if isinstance(v, Sdf.AssetPath):
        # The authored path: the resolved one depends on where the file is.
        return {"asset": v.path}
    if isinstance(v, Sdf.Path):
        return {"path": str(v)}
    if isinstance(v, dict):
        return _sorted({str(k): _value(x) for k, x in v.items()})
    if isinstance(v, Sdf.TimeCode):
        return {"timeCode": float(v)}
    if isinstance(v, (Gf.Quath, Gf.Quatf, Gf.Quatd)):
        return [float(v.GetReal()), *(float(x) for x in v.GetImaginary())]
    if _is_list_op(v):
        return {
            "explicit": v.isExplicit,
            **{field: [_value(x) for x in getattr(v, field)] for field in LIST_OP_FIELDS},
        }
    if isinstance(v, Sdf.Reference | Sdf.Payload):
        # Asset paths of arcs are rewritten by conversion (see the module doc).
        return {
            "arcTo": _layer_stem(v.assetPath) if v.assetPath else "",
            "primPath": str(v.primPath),
            "offset": [v.layerOffset.offset, v.layerOffset.scale],
        }
    if isinstance(v, Sdf.LayerOffset):
        return [v.offset, v.scale]
    if isinstance(v, Vt.StringArray | Vt.TokenArray):
        return list(v)
    if type(v).__module__ == "pxr.Vt" and hasattr(v, "__len__"):
        return _array(v)
    if isinstance(v, (list, tuple)):
        return [_value(x) for x in v]
    if type(v).__module__ == "pxr.Gf" and hasattr(v, "__len__"):
        # Vectors, matrices, ranges of Gf: nested lists of their numbers.
        return np.asarray(v).tolist()
    if type(v).__module__ == "pxr.Gf" and hasattr(v, "GetMin"):  # GfRange
        return [_value(v.GetMin()), _value(v.GetMax())]
    return {"repr": repr(v)}


def _array(v):
    if len(v) and isinstance(v[0], Sdf.AssetPath | Sdf.Path | Gf.Quath | Gf.Quatf | Gf.Quatd):
        return [_value(x) for x in v]
    try:
        a = np.asarray(v)
    except Exception:  # a Vt array numpy cannot view: element by element
        return [_value(x) for x in v]
    if a.dtype == np.float16:
        a = a.astype(np.float32)
    if a.dtype.kind in "biuf":
        return a.tolist()
    return [_value(x) for x in v]


def _is_list_op(v) -> bool:
    return type(v).__name__.endswith("ListOp") and hasattr(v, "isExplicit")


# -- comparison ------------------------------------------------------------------


def compare_dumps(a: dict, b: dict, limit: int = 20, names=("a", "b")) -> list[str]:
    """The first ``limit`` differences between two dumps, each naming where
    (``/World/Mesh.points timeSamples 24.0[3][1]``) and what; empty when the
    dumps are the same."""
    out: list[str] = []
    for where, message in _dump_differences(a, b, names):
        out.append(f"{where}: {message}")
        if len(out) >= limit:
            break
    return out


def _dump_differences(a: dict, b: dict, names) -> Iterator[tuple[str, str]]:
    yield from _differences(a.get("stage", {}), b.get("stage", {}), "<stage> metadata", names)
    prims_a, prims_b = a.get("prims", {}), b.get("prims", {})
    for path in _keys(prims_a, prims_b):
        if path not in prims_b:
            yield path, f"prim only in {names[0]}"
            continue
        if path not in prims_a:
            yield path, f"prim only in {names[1]}"
            continue
        yield from _prim_differences(path, prims_a[path], prims_b[path], names)


def _prim_differences(path: str, pa: dict, pb: dict, names) -> Iterator[tuple[str, str]]:
    if _text(pa) == _text(pb):
        return  # the common case, decided in C
    for field in _keys(pa, pb):
        if field != "properties":
            yield from _differences(pa.get(field), pb.get(field), f"{path} {field}", names)
    props_a, props_b = pa.get("properties", {}), pb.get("properties", {})
    for name in _keys(props_a, props_b):
        where = f"{path}.{name}"
        if name not in props_b:
            yield where, f"property only in {names[0]}"
        elif name not in props_a:
            yield where, f"property only in {names[1]}"
        else:
            yield from _differences(props_a[name], props_b[name], where, names)


def _differences(a, b, where: str, names) -> Iterator[tuple[str, str]]:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in _keys(a, b):
            sub = f"{where} {key}"
            if key not in b:
                yield sub, f"only in {names[0]}"
            elif key not in a:
                yield sub, f"only in {names[1]}"
            else:
                yield from _differences(a[key], b[key], sub, names)
        return
    if isinstance(a, list) and isinstance(b, list) and not _same(a, b):
        if len(a) != len(b):
            yield where, f"{len(a)} items in {names[0]}, {len(b)} in {names[1]}"
            return
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            yield from _differences(x, y, f"{where}[{i}]", names)
        return
    if not _same(a, b):
        yield where, f"{_short(a)} in {names[0]}, {_short(b)} in {names[1]}"


def _text(v) -> str:
    """The same text for the same dump, bit for bit: JSON writes floats by
    repr (-0.0 stays, NaN is NaN), ints as ints. Dicts in another key order
    give other text: then the detailed walk decides."""
    return json.dumps(v, separators=(",", ":"))


def _keys(a: dict, b: dict) -> list:
    return list(a) + [k for k in b if k not in a]


def _same(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        if math.isnan(a):
            return math.isnan(b)
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


def _short(v, width: int = 80) -> str:
    text = repr(v)
    return text if len(text) <= width else text[: width - 3] + "..."
