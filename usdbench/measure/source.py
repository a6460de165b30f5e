"""A user's stage as given: its layer files (root, sublayers, references,
payloads, at any depth), the asset paths that do not resolve, and a key of
their content (what the cache of its converted files is keyed by).

Bad input raises UsdBenchError naming the file: a missing or unreadable
stage, a layer that fails to parse. An asset path that does not resolve is
not an error here: it is listed (``Source.unresolved``), as USD itself
composes the stage without it, and the caller decides.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from pxr import Sdf, Tf, UsdUtils

from usdbench.errors import UsdBenchError

USD_EXTENSIONS = ("usd", "usda", "usdc", "usdz")


@dataclass(frozen=True)
class Unresolved:
    asset_path: str  # as authored
    layer: str  # the file that names it

    def __str__(self) -> str:
        return f"@{self.asset_path}@ in {self.layer}"


@dataclass
class Source:
    root: Path  # the stage's root layer file, absolute
    layers: list[str]  # identifiers of every layer reached, the root first
    files: list[Path]  # the files on disk holding them (a usdz once)
    unresolved: list[Unresolved] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.root.stem

    def content_key(self, version: str = "") -> str:
        """A hash of every file's bytes and its place relative to the root's
        folder: the same scene copied elsewhere has the same key, a changed
        byte anywhere a new one."""
        digest = hashlib.sha256(version.encode())
        for path in sorted(self.files, key=lambda p: self._relative(p)):
            digest.update(self._relative(path).encode() + b"\0")
            with open(path, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
            digest.update(b"\0")
        return f"{self.name}-{digest.hexdigest()[:16]}"

    def total_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.files)

    def _relative(self, path: Path) -> str:
        return os.path.relpath(path, self.root.parent)


def read_source(stage_path: str | os.PathLike) -> Source:
    """The stage's layers, opened one by one (an error names the failing file)."""
    root = Path(stage_path).expanduser().absolute()
    _check_file(root, "stage")
    layers: list[str] = []
    files: list[Path] = []
    unresolved: list[Unresolved] = []
    pending = [str(root)]
    seen: set[str] = set()
    while pending:
        identifier = pending.pop(0)
        if identifier in seen:
            continue
        seen.add(identifier)
        layer = _open_layer(identifier)
        layers.append(layer.identifier)
        file = Path(_outer_file(layer.realPath or identifier))
        if file not in files:
            files.append(file)
        for asset in layer_asset_paths(layer):
            resolved = Sdf.ComputeAssetPathRelativeToLayer(layer, asset)
            if not _exists(resolved):
                unresolved.append(Unresolved(asset, _display(layer)))
            elif _is_layer(resolved):
                pending.append(resolved)
    return Source(root, layers, files, unresolved)


def _check_file(path: Path, what: str) -> None:
    if not path.exists():
        raise UsdBenchError(f"no such {what} file", file=path)
    if not path.is_file():
        raise UsdBenchError(f"the {what} is not a file", file=path)
    if not os.access(path, os.R_OK):
        raise UsdBenchError(f"the {what} file is not readable (permissions)", file=path)
    if path.suffix.lstrip(".").lower() not in USD_EXTENSIONS:
        raise UsdBenchError(
            f"not a USD layer: expected a file ending in .{', .'.join(USD_EXTENSIONS)}", file=path
        )


def _open_layer(identifier: str) -> Sdf.Layer:
    outer = _outer_file(identifier)
    if not os.access(outer, os.R_OK):
        raise UsdBenchError("the layer file is not readable (permissions)", file=outer)
    try:
        layer = Sdf.Layer.Find(identifier)
        if layer is not None:
            layer.Reload()  # open in this process: the file may have changed since
        else:
            layer = Sdf.Layer.FindOrOpen(identifier)
    except Tf.ErrorException as error:
        raise UsdBenchError(
            f"USD cannot read the layer: {_usd_reason(error)}", file=identifier
        ) from None
    if layer is None:
        raise UsdBenchError("USD cannot read the layer", file=identifier)
    return layer


def _usd_reason(error: Exception) -> str:
    """USD's own words ("Error in 'F' at line N in file G : 'why'" -> why)."""
    text = " ".join(line.strip() for line in str(error).strip().splitlines() if line.strip())
    match = re.search(r" : '(.*)'$", text)
    return (match.group(1).strip() if match else text)[-400:] or type(error).__name__


def layer_asset_paths(layer: Sdf.Layer) -> list[str]:
    """The layer's composition asset paths (sublayers, references, payloads)
    as authored, in the order they appear."""
    sublayers, references, payloads = UsdUtils.ExtractExternalReferences(layer.identifier)
    return list(dict.fromkeys([*sublayers, *references, *payloads]))


def _outer_file(identifier: str) -> str:
    """The file on disk of a layer identifier ("pkg.usdz[a.usdc]" -> "pkg.usdz")."""
    path = Sdf.Layer.SplitIdentifier(identifier)[0]
    return path.split("[", 1)[0] if path.endswith("]") else path


def _exists(resolved: str) -> bool:
    if not resolved:
        return False
    outer = _outer_file(resolved)
    if not os.path.isfile(outer):
        return False
    if outer != Sdf.Layer.SplitIdentifier(resolved)[0]:  # inside a package
        try:
            return Sdf.Layer.FindOrOpen(resolved) is not None
        except Tf.ErrorException:
            return False
    return True


def _is_layer(resolved: str) -> bool:
    path = Sdf.Layer.SplitIdentifier(resolved)[0].rstrip("]")
    return path.rsplit(".", 1)[-1].lower() in USD_EXTENSIONS


def _display(layer: Sdf.Layer) -> str:
    return layer.realPath or layer.identifier
