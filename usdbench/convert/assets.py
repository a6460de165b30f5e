"""The layers a layer reaches (sublayers, references, payloads): their
identifiers, where each converted layer goes in OUTDIR, and the arcs of a
residual layer rewritten to the converted files.

A converted layer keeps its source's stem (``asset.usdc`` becomes
``asset.usda``), so arcs still name the asset they did; it sits where the
source sat relative to the root layer's folder (outside it:
``_external/<n>/``; inside a usdz package: the package's stem as a folder,
except for the converted package itself, whose members sit beside it)."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from pxr import Ar, Sdf

from usdbench.stage_dump import LIST_OP_FIELDS as _LIST_FIELDS


def anchor(asset: str, layer_identifier: str) -> str:
    """``asset`` as authored in the layer ``layer_identifier``, made absolute
    (package-relative paths anchored inside their package, as Sdf does)."""
    if not asset or os.path.isabs(asset) or asset.startswith("@"):
        return asset
    if Ar.IsPackageRelativePath(layer_identifier):
        package, inner = Ar.SplitPackageRelativePathInner(layer_identifier)
        anchored = Ar.GetResolver().CreateIdentifier(asset, Ar.ResolvedPath(inner))
        return Ar.JoinPackageRelativePath(package, anchored)
    if Path(layer_identifier).suffix == ".usdz":
        root = package_root(layer_identifier)
        anchored = Ar.GetResolver().CreateIdentifier(asset, Ar.ResolvedPath(root))
        return Ar.JoinPackageRelativePath(layer_identifier, anchored)
    return Ar.GetResolver().CreateIdentifier(asset, Ar.ResolvedPath(layer_identifier))


def package_root(package: str) -> str:
    """The first file of a usdz package: its root layer."""
    names = Sdf.ZipFile.Open(package).GetFileNames()
    return names[0] if names else ""


def resolves(identifier: str) -> bool:
    return bool(Ar.GetResolver().Resolve(identifier))


class OutputNames:
    """Where each source layer's converted files go, relative to OUTDIR."""

    def __init__(self, source: str):
        self.base = Path(source).resolve().parent
        self.source = source
        self.by_identifier: dict[str, PurePosixPath] = {}
        self.taken: set[str] = set()
        self._external = 0

    def root_of(self, identifier: str) -> PurePosixPath:
        """OUTDIR-relative path of the converted root layer of ``identifier``."""
        known = self.by_identifier.get(identifier)
        if known is not None:
            return known
        folder, stem = self._place(identifier)
        candidate = folder / f"{stem}.usda"
        n = 2
        while any(str(candidate.with_suffix(s)) in self.taken for s in self._suffixes()):
            candidate = folder / f"_{n}" / f"{stem}.usda"
            n += 1
        for suffix in self._suffixes():
            self.taken.add(str(candidate.with_suffix(suffix)))
        self.by_identifier[identifier] = candidate
        return candidate

    @staticmethod
    def _suffixes() -> tuple[str, ...]:
        # The root and the files named after it: residual and tables.
        return (".usda", ".residual.usda", ".residual.usdc", ".defaults.parquet", ".series.parquet")

    def _place(self, identifier: str) -> tuple[PurePosixPath, str]:
        if Ar.IsPackageRelativePath(identifier):
            package, inner = Ar.SplitPackageRelativePathOuter(identifier)
            inner_path = PurePosixPath(inner.replace("[", "/").replace("]", ""))
            if os.path.realpath(package) == os.path.realpath(self.source):
                folder = PurePosixPath(".")
            else:
                package_folder, package_stem = self._place(package)
                folder = package_folder / package_stem
            return folder / inner_path.parent, inner_path.stem
        path = Path(identifier).resolve()
        try:
            relative = path.relative_to(self.base)
            folder = PurePosixPath(relative.parent.as_posix())
        except ValueError:
            self._external += 1
            folder = PurePosixPath("_external") / str(self._external)
        return folder, path.stem


def relative_asset(target: PurePosixPath, from_folder: PurePosixPath) -> str:
    """An asset path naming ``target`` from a layer in ``from_folder`` (both OUTDIR-relative)."""
    rel = os.path.relpath(str(target), str(from_folder))
    return rel if rel.startswith("..") else f"./{rel}"


def rewrite_arcs(prims: list, mapping: dict[str, str]) -> int:
    """Rewrite the asset paths of the references and payloads of ``prims``
    (authored paths -> new paths, per ``mapping``); returns arcs rewritten."""
    count = 0
    for prim in prims:
        for list_name, make in (("referenceList", _reference), ("payloadList", _payload)):
            list_op = getattr(prim, list_name)
            for name in _LIST_FIELDS:
                items = list(getattr(list_op, name))
                if not any(i.assetPath in mapping for i in items):
                    continue
                new = [
                    make(i, mapping[i.assetPath]) if i.assetPath in mapping else i for i in items
                ]
                count += sum(1 for i in items if i.assetPath in mapping)
                setattr(list_op, name, new)
    return count


def _reference(ref: Sdf.Reference, asset: str) -> Sdf.Reference:
    return Sdf.Reference(asset, ref.primPath, ref.layerOffset, ref.customData)


def _payload(payload: Sdf.Payload, asset: str) -> Sdf.Payload:
    return Sdf.Payload(asset, payload.primPath, payload.layerOffset)
