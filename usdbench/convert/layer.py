"""One layer converted: its values into Parquet tables, the rest into a
residual USD layer, and a root layer stacking them in its place.

The root, OUTDIR/<stem>.usda, holds the source's layer metadata (what a
stage reads from its root layer) and its sublayers::

    subLayers = [<stem>.series.parquet, <stem>.defaults.parquet,
                 <stem>.residual.usda, <the source's own sublayers, converted>]

The residual is the weakest of the three: USD takes an attribute's
variability and custom flag, and a prim's child order, from the weakest
spec that has them (the tables' specs are ``over`` prims with plain varying
attributes), and the residual has every spec's metadata. It leaves out the
bare ``over`` prims the tables give alone, where the child order stays the
same (usdbench.convert.prune); a residual left with no prim is not written
(nor listed). Time samples are stronger than defaults, as in one spec: the
series table comes first. The residual keeps the time codes per second, so
no scale applies to it; the tables have none, so the root gives them the
offset that undoes the scale USD would apply."""

from __future__ import annotations

import re
from pathlib import Path

from pxr import Sdf, Tf

from usdbench.convert.assets import OutputNames, anchor, relative_asset, rewrite_arcs
from usdbench.convert.files import copy_asset_files
from usdbench.convert.prune import prune_residual
from usdbench.convert.report import LayerReport
from usdbench.convert.split import split_layer
from usdbench.convert.tables import table_prims, write_defaults, write_series
from usdbench.errors import UsdBenchError

# Layer metadata the residual keeps (it times its own samples and arcs).
_RESIDUAL_KEEPS = ("timeCodesPerSecond", "framesPerSecond")
_SUBLAYER_FIELDS = ("subLayers", "subLayerOffsets")
# What Pcp assumes of a layer that says nothing of time codes per second.
_FALLBACK_TCPS = 24.0


def open_copy(identifier: str, referenced_by: str | None = None) -> Sdf.Layer:
    """A private, editable copy of the layer (never the registry's shared
    one); a parse failure is a UsdBenchError naming the file."""
    by = f" (referenced by {referenced_by})" if referenced_by else ""
    try:
        layer = Sdf.Layer.OpenAsAnonymous(identifier)
    except Tf.ErrorException as error:
        reason = _usd_message(error)
        raise UsdBenchError(
            f"USD could not read this layer{by}: {reason}", file=identifier
        ) from None
    if layer is None:
        raise UsdBenchError(f"USD could not read this layer{by}", file=identifier)
    return layer


def _usd_message(error: Exception) -> str:
    """USD's message without the C++ function and source line it came from."""
    text = " ".join(str(error).split())
    match = re.search(r"Error in '[^']*' at line \d+ in file \S+ : (.*)", text)
    return (match.group(1) if match else text).strip(" '")


def _tcps(layer: Sdf.Layer) -> float:
    if layer.HasTimeCodesPerSecond():
        return layer.timeCodesPerSecond
    if layer.HasFramesPerSecond():
        return layer.framesPerSecond
    return _FALLBACK_TCPS


def convert_layer(
    identifier: str,
    layer: Sdf.Layer,
    names: OutputNames,
    tmp: Path,
    outdir: Path,
    residual_format: str,
) -> tuple[LayerReport, list[str]]:
    """Convert ``layer`` (the open copy of ``identifier``) into ``tmp``
    (OUTDIR's stand-in); returns its report and the identifiers of the
    layers it reaches, which the caller converts next."""
    root_rel = names.root_of(identifier)
    folder = tmp / root_rel.parent
    folder.mkdir(parents=True, exist_ok=True)
    stem = root_rel.stem
    split = split_layer(layer)
    try:
        tables = write_series(split, folder, stem) + write_defaults(split, folder, stem)
    except UsdBenchError as error:
        raise UsdBenchError(error.reason, file=identifier, column=error.column) from None

    copied, missing = copy_asset_files(
        split.asset_values, identifier, root_rel.parent, tmp, names.taken
    )
    split.counts["files asset values name, copied beside it"] = copied
    split.counts["files asset values name that do not resolve (as in the source)"] = len(missing)

    mapping, reached = {}, []
    for asset in dict.fromkeys(split.assets):
        target = anchor(asset, identifier)
        mapping[asset] = relative_asset(names.root_of(target), root_rel.parent)
        reached.append(target)
    split.counts["composition arcs rewritten"] = rewrite_arcs(split.arc_prims, mapping)
    gone = prune_residual(layer, split.bare, table_prims(split))
    split.counts["prims"] -= gone
    split.counts["prims only in the tables"] = gone
    # Nothing left (no prim: its layer metadata is the root's): not written.
    has_residual = len(layer.rootPrims) > 0

    root = Sdf.Layer.CreateAnonymous(".usda")
    pseudo, source_pseudo = root.pseudoRoot, layer.pseudoRoot
    for key in source_pseudo.ListInfoKeys():
        if key not in _SUBLAYER_FIELDS:
            pseudo.SetInfo(key, source_pseudo.GetInfo(key))
    sublayers = [f"./{t.path.name}" for t in tables]
    residual_name = f"{stem}.residual.{residual_format}"
    own = [*sublayers, f"./{residual_name}"] if has_residual else sublayers
    source_offsets = list(layer.subLayerOffsets)
    root.subLayerPaths = own + [mapping[a] for a in layer.subLayerPaths]
    scale = _FALLBACK_TCPS / _tcps(layer)
    for i in range(len(sublayers)):
        if scale != 1.0:
            root.subLayerOffsets[i] = Sdf.LayerOffset(0.0, scale)
    for i, offset in enumerate(source_offsets):
        root.subLayerOffsets[len(own) + i] = offset

    for key in source_pseudo.ListInfoKeys():
        if key not in _RESIDUAL_KEEPS and key not in _SUBLAYER_FIELDS:
            source_pseudo.ClearInfo(key)
    layer.subLayerPaths = []
    residual_path = folder / residual_name
    if has_residual:
        _export(layer, residual_path)
    root_path = folder / f"{stem}.usda"
    _export(root, root_path)

    final = outdir / root_rel.parent
    for t in tables:
        t.path = final / t.path.name
    counts = {k: v for k, v in split.counts.items() if v}
    source_file = Path(identifier)
    report = LayerReport(
        source=identifier,
        root=final / root_path.name,
        residual=final / residual_name if has_residual else None,
        tables=tables,
        stayed_values=dict(split.stayed.values),
        stayed_bytes=dict(split.stayed.bytes),
        stayed_examples={k: list(v) for k, v in split.stayed.examples.items()},
        residual_counts=counts,
        source_bytes=source_file.stat().st_size if source_file.is_file() else None,
        residual_bytes=residual_path.stat().st_size if has_residual else 0,
        root_bytes=root_path.stat().st_size,
    )
    return report, reached


def _export(layer: Sdf.Layer, path: Path) -> None:
    try:
        ok = layer.Export(str(path))
    except Tf.ErrorException as error:
        raise UsdBenchError(f"USD could not write: {error}", file=str(path)) from None
    if not ok:
        raise UsdBenchError("USD could not write this layer", file=str(path))
