"""A converted layer back as one USD layer: the residual's specs with the
tables' values put back (defaults and time samples), the root's layer
metadata and sublayers. Save it in any format (``Export``).

What comes back is the source layer's content, except that arcs and
sublayers name the converted files (``asset.usda`` for ``asset.usdc``) and
an attribute whose whole spec was in a table is listed after the prim's
other properties (a prim's property order is not composed: USD sorts them).
The bare ``over`` prims the residual left out come back from the tables, in
their place among their siblings."""

from __future__ import annotations

from pathlib import Path

from pxr import Sdf

from usdbench.convert.layer import open_copy
from usdbench.errors import UsdBenchError


def _table_layer(path: Path) -> Sdf.Layer:
    """A table as a layer: the native reader where it is registered, else
    the Python loader (the same layer)."""
    from usdbench import native

    if native.status().available:
        return open_copy(str(path))
    from usdbench.parquet import load_layer

    return load_layer(path)


def restore_layer(root) -> Sdf.Layer:
    """The layer converted into ``root`` (OUTDIR/<stem>.usda), rebuilt from
    its residual layer and its tables as one anonymous layer."""
    root = Path(root)
    root_layer = open_copy(str(root))
    folder = root.parent
    own = [p for p in root_layer.subLayerPaths if _is_own(p, root)]
    residuals = [p for p in own if ".residual." in p]
    if len(residuals) > 1:
        raise UsdBenchError(
            "not a converted layer: more than one residual layer among its sublayers",
            file=str(root),
        )
    result = Sdf.Layer.CreateAnonymous(".usda")
    if residuals:  # none: everything was in the tables
        result.TransferContent(open_copy(str(folder / residuals[0])))
    for key in root_layer.pseudoRoot.ListInfoKeys():
        if key not in ("subLayers", "subLayerOffsets"):
            result.pseudoRoot.SetInfo(key, root_layer.pseudoRoot.GetInfo(key))
    offsets = list(root_layer.subLayerOffsets)
    rest = [(p, o) for p, o in zip(root_layer.subLayerPaths, offsets, strict=True) if p not in own]
    result.subLayerPaths = [p for p, _ in rest]
    for i, (_, offset) in enumerate(rest):
        result.subLayerOffsets[i] = offset
    # The weakest table first: the prims the residual left out come back in
    # the order the stage composes them (usdbench.convert.prune).
    for name in reversed(own):
        if name.endswith(".parquet"):
            _put_values(_table_layer(folder / name), result)
    return result


def _is_own(asset: str, root: Path) -> bool:
    """A sublayer the conversion of ``root`` wrote (its residual and tables)."""
    name = Path(asset).name
    return (
        Path(asset).parent == Path(".")
        and name.startswith(f"{root.stem}.")
        and (name.endswith(".parquet") or ".residual." in name)
    )


def _put_values(table: Sdf.Layer, result: Sdf.Layer) -> None:
    paths = []
    table.Traverse(Sdf.Path.absoluteRootPath, paths.append)
    for path in paths:
        if not path.IsPropertyPath():
            continue
        source = table.GetAttributeAtPath(path)
        target = result.GetAttributeAtPath(path)
        if target is None:
            prim = result.GetPrimAtPath(path.GetPrimPath()) or Sdf.CreatePrimInLayer(
                result, path.GetPrimPath()
            )
            target = Sdf.AttributeSpec(prim, path.name, source.typeName)
        if source.HasDefaultValue():
            target.default = source.default
        for t in table.ListTimeSamplesForPath(path):
            result.SetTimeSample(path, t, table.QueryTimeSample(path, t))
