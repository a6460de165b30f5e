"""One layer split in two: the attribute values a Parquet table holds, taken
out of the layer, and what stays (the layer itself, edited in place into
the residual USD layer). Sdf specs only: no stage is composed.

What moves, per attribute spec outside variants: its default and its time
samples, when the type table holds its type and no value is a block. Its
time samples stay if any cannot move, and then its default stays with them:
the tables are stronger than the residual in the converted layer stack, so
a default in a table would hide the residual's samples."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from pxr import Sdf

from usdbench.convert.columns import column_type, value_bytes
from usdbench.parquet.schema import PATH_COLUMN, TIME_COLUMN

_BLOCKS = (
    (Sdf.ValueBlock, Sdf.AnimationBlock) if hasattr(Sdf, "AnimationBlock") else (Sdf.ValueBlock,)
)
# Attribute fields every spec has: a spec holding only these (at their
# fallback values) and a moved value is removed from the residual whole.
_PLAIN_FIELDS = frozenset(["typeName", "custom", "variability", "default", "timeSamples"])
_ARCS = {"references": "referenceList", "payload": "payloadList"}


@dataclass
class Column:
    """One column's values: the rows (prim or sample rows) holding them."""

    name: str
    type_name: str
    rows: list = field(default_factory=list)
    values: list = field(default_factory=list)


@dataclass
class Stayed:
    """Values left in USD, by reason: counts, bytes and a few examples."""

    values: Counter = field(default_factory=Counter)
    bytes: Counter = field(default_factory=Counter)
    examples: dict = field(default_factory=lambda: defaultdict(list))

    def add(self, reason: str, path, count: int, nbytes: int) -> None:
        self.values[reason] += count
        self.bytes[reason] += nbytes
        if len(self.examples[reason]) < 3:
            self.examples[reason].append(str(path))


@dataclass
class Split:
    """What ``split_layer`` found: the table values and the rest."""

    default_paths: list = field(default_factory=list)  # prim path per defaults row
    defaults: dict = field(default_factory=dict)  # (name, type) -> Column (rows: prim rows)
    sample_prims: list = field(default_factory=list)  # (prim path, sorted times)
    samples: dict = field(default_factory=dict)  # (name, type) -> Column (rows: (prim, time))
    stayed: Stayed = field(default_factory=Stayed)
    assets: list = field(default_factory=list)  # asset paths of sublayers and arcs
    asset_values: set = field(default_factory=set)  # paths asset-valued attributes name
    arc_prims: list = field(default_factory=list)  # prim specs (variants too) with asset arcs
    # Prims (outside variants) left with nothing of their own: ``over``, no
    # metadata, property or variant set (usdbench.convert.prune).
    bare: set = field(default_factory=set)
    counts: Counter = field(default_factory=Counter)  # what the residual holds


def _stay_reason(ctype_why: str, name: str) -> str | None:
    if ctype_why:
        return ctype_why
    if name in (PATH_COLUMN, TIME_COLUMN):
        return f"its name is the table's {name!r} column"
    return None


def split_layer(layer: Sdf.Layer) -> Split:
    """Take the holdable values out of ``layer`` (edited in place: it becomes
    the residual) and say where everything went."""
    split = Split()
    split.assets.extend(layer.subLayerPaths)
    walker = _Walker(layer, split)
    # One change block: edits without a notice each (the layer is private).
    with Sdf.ChangeBlock():
        for prim in layer.rootPrims:
            walker.prim(prim)
    return split


class _Walker:
    def __init__(self, layer: Sdf.Layer, split: Split):
        self.layer, self.split = layer, split
        self.default_rows: dict[str, int] = {}

    def prim(self, prim: Sdf.PrimSpec, in_variant: bool = False) -> None:
        split = self.split
        split.counts["prims"] += 1
        keys = prim.ListInfoKeys()
        for key, list_name in _ARCS.items():
            if key in keys:
                split.arc_prims.append(prim)
                for item in getattr(prim, list_name).GetAddedOrExplicitItems():
                    if item.assetPath:
                        split.assets.append(item.assetPath)
        for variant_set in prim.variantSets.values():
            split.counts["variant sets"] += 1
            for variant in variant_set.variants.values():
                self.prim(variant.primSpec, in_variant=True)
        moved = []
        path = prim.path.pathString
        for attr in prim.attributes:
            if self.attribute(path, attr, in_variant):
                moved.append(attr)
        for attr in moved:
            prim.RemoveProperty(attr)
        relationships = len(prim.relationships)
        split.counts["relationships"] += relationships
        if (
            not in_variant
            and not set(keys) - {"specifier"}
            and prim.specifier == Sdf.SpecifierOver
            and not prim.variantSets
            and not prim.properties
        ):
            split.bare.add(path)
        for child in prim.nameChildren:
            self.prim(child, in_variant)

    def attribute(self, path: str, attr: Sdf.AttributeSpec, in_variant: bool) -> bool:
        """Move what can move; True if the spec is left with nothing worth keeping."""
        keys = attr.ListInfoKeys()
        has_default = "default" in keys
        has_samples = "timeSamples" in keys
        if not (has_default or has_samples):
            self.split.counts["attribute specs kept for their metadata"] += 1
            return False
        type_name = str(attr.typeName)
        default = attr.default if has_default else None
        samples = attr.GetInfo("timeSamples") if has_samples else {}
        if type_name in ("asset", "asset[]"):
            self._asset_values([default, *samples.values()])
        if in_variant:
            reason = "inside a variant (a table has no variant)"
        elif "spline" in keys:
            reason = "the attribute has a spline"
        else:
            _, why = column_type(type_name)
            reason = _stay_reason(why, attr.name)
        move_samples = has_samples and reason is None
        if move_samples and any(isinstance(v, _BLOCKS) for v in samples.values()):
            move_samples = False
            self._stay("a time sample is blocked (a table's null is no sample)", attr, samples)
        elif has_samples and reason is not None:
            self._stay(reason, attr, samples, type_name)
        move_default = has_default and reason is None
        if move_default and has_samples and not move_samples:
            move_default = False
            reason = "its time samples stay in USD (a table's default would hide them)"
        if move_default and (default is None or isinstance(default, _BLOCKS)):
            move_default = False
            reason = "a blocked default (a table's null is no opinion)"
        if has_default and not move_default:
            self._stay(reason, attr, {None: default}, type_name)
        if not (move_default or move_samples):
            self.split.counts["attribute specs kept with their values"] += 1
            return False
        key = (attr.name, type_name)
        if move_default:
            row = self.default_rows.get(path)
            if row is None:
                row = self.default_rows[path] = len(self.split.default_paths)
                self.split.default_paths.append(path)
            column = self.split.defaults.get(key) or self.split.defaults.setdefault(
                key, Column(*key)
            )
            column.rows.append(row)
            column.values.append(default)
        if move_samples:
            self._move_samples(path, key, samples)
        plain = (
            (move_default or not has_default)
            and (move_samples or not has_samples)
            and not (set(keys) - _PLAIN_FIELDS)
            and not attr.custom
            and attr.variability == Sdf.VariabilityVarying
        )
        if plain:
            return True  # removed whole by the caller: no need to clear it first
        self.split.counts["attribute specs kept for their metadata"] += 1
        if move_default:
            attr.ClearDefaultValue()
        if move_samples:
            attr.ClearInfo("timeSamples")
        return False

    def _asset_values(self, values: list) -> None:
        for value in values:
            if isinstance(value, Sdf.AssetPath):
                value = [value]
            elif not isinstance(value, Sdf.AssetPathArray):
                continue  # None or a block
            self.split.asset_values.update(a.path for a in value if a.path)

    def _move_samples(self, path: str, key, samples: dict) -> None:
        prims = self.split.sample_prims
        if not prims or prims[-1][0] != path:
            prims.append((path, set()))
        times = prims[-1][1]
        column = self.split.samples.get(key) or self.split.samples.setdefault(key, Column(*key))
        row = len(prims) - 1
        for time, value in samples.items():
            times.add(time)
            column.rows.append((row, time))
            column.values.append(value)

    def _stay(self, reason: str, attr, values: dict, type_name: str = "") -> None:
        type_name = type_name or str(attr.typeName)
        nbytes = sum(value_bytes(type_name, v) for v in values.values())
        self.split.stayed.add(reason, attr.path, len(values), nbytes)
