"""A user's stage in every format, converted once and cached by content.

Formats: usda, usdc and usdz (each layer saved again in that format, the
arcs' asset paths rewritten to the converted files, usdz as one package of
the usdc files), and Parquet (usdbench.convert: the values in tables, the
rest in a small USD layer beside them), read by the native plugin
(``parquet-native``) and by the Python loader (``parquet-python``), the same
files. Each converted layer keeps its source's stem and its place relative
to the root's folder (outside it: ``_external/<n>/``), so that the stage
dump (usdbench.stage_dump) compares arcs by the stem of the layer they
target.

The cache: ``<cache root>/user-v<USER_VERSION>/<stem>-<content hash>/``,
the hash over every layer file's bytes (usdbench.measure.source), built in a
temporary folder beside it and renamed into place when complete, with its
manifest (``manifest.json``: the files of each format, the prim count, the
compose check of each format against the source). Asset paths to other
files (textures) stay as authored.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pxr import Sdf, Usd, UsdUtils

from usdbench import cache
from usdbench.errors import UsdBenchError

from .source import Source, layer_asset_paths, read_source

# Bump when the converted files or the manifest change meaning.
USER_VERSION = "2"  # 2: the residual leaves out the bare prims the tables give
USD_FORMATS = ("usda", "usdc", "usdz")
PARQUET_FORMATS = ("parquet-native", "parquet-python")
USER_FORMATS = USD_FORMATS + PARQUET_FORMATS
MANIFEST = "manifest.json"
# How many differences per format the compose check keeps.
CHECK_LIMIT = 20

Progress = Callable[[str], None]


@dataclass(frozen=True)
class UserFiles:
    """One format of a user's stage: the root layer to open and its files."""

    format: str
    stage: str  # the source stage path, as given
    directory: Path  # the cache entry
    root: Path
    files: tuple[Path, ...]
    prims: int
    source_bytes: int

    @property
    def reader(self) -> str | None:
        return self.format.split("-", 1)[1] if self.format.startswith("parquet") else None

    @property
    def family(self) -> str:
        """The memory guard's unit (budget.PEAK_BYTES_PER_PRIM)."""
        return self.format

    def size(self) -> int:
        return sum(p.stat().st_size for p in self.files)

    def data_files(self) -> list[Path]:
        return list(self.files)


def user_dir(source: Source, root: Path | None = None) -> Path:
    return entry_dir(source.content_key(), root)


def entry_dir(key: str, root: Path | None = None) -> Path:
    return _base(root) / key


def _base(root: Path | None) -> Path:
    return (root or cache.cache_root()) / f"user-v{USER_VERSION}"


def ensure_user_files(
    stage: str | os.PathLike, root: Path | None = None, progress: Progress | None = None
) -> dict:
    """The manifest of the stage's cached conversion (``manifest["key"]``
    names its entry), converting (every format, the compose check) if the
    cache lacks it.

    Finding the entry reads every layer file (their content is its key)
    unless the files are those of the last lookup of this root, unchanged in
    size and modification time: then a benchmark's set-up neither parses
    nor hashes the scene (what it would leave on the heap is not the
    measured operation's)."""
    manifest = _located(Path(stage).expanduser().absolute(), root)
    if manifest is not None:
        return manifest
    source = read_source(stage)
    key = source.content_key()
    directory = entry_dir(key, root)
    manifest = _read_manifest(directory)
    if manifest is None:
        say = progress or (lambda message: None)
        directory.parent.mkdir(parents=True, exist_ok=True)
        with cache._locked(directory.parent / f".{directory.name}.lock"):
            manifest = _read_manifest(directory)
            if manifest is None:
                # Under the lock no other converter of this key is active: a
                # partial folder is a killed conversion's leftover.
                for stale in directory.parent.glob(f".{directory.name}.partial-*"):
                    shutil.rmtree(stale, ignore_errors=True)
                manifest = _convert_all(source, directory, say)
    _write_locator(source, key, root)
    return manifest


def user_files(stage: str, manifest: dict, fmt: str, root: Path | None = None):
    """The UserFiles of one format from a manifest (None: that format failed
    to convert; its reason is in the manifest)."""
    entry = manifest["formats"].get(_stored_as(fmt))
    if entry is None or entry.get("error"):
        return None
    directory = entry_dir(manifest["key"], root)
    return UserFiles(
        fmt,
        stage,
        directory,
        directory / entry["root"],
        tuple(directory / f for f in entry["files"]),
        manifest["prims"],
        manifest["source_bytes"],
    )


def _locator(stage_root: Path, root: Path | None) -> Path:
    digest = hashlib.sha256(str(stage_root).encode()).hexdigest()[:24]
    return _base(root) / "by-path" / f"{digest}.json"


def _stats(paths) -> list:
    out = []
    for path in paths:
        st = os.stat(path)
        out.append([str(path), st.st_size, st.st_mtime_ns])
    return out


def _located(stage_root: Path, root: Path | None) -> dict | None:
    try:
        found = json.loads(_locator(stage_root, root).read_text())
        if found["root"] != str(stage_root):
            return None
        if _stats(p for p, _, _ in found["files"]) != found["files"]:
            return None  # a file changed (or is gone): its content decides again
        return _read_manifest(entry_dir(found["key"], root))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_locator(source: Source, key: str, root: Path | None) -> None:
    path = _locator(source.root, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"root": str(source.root), "key": key, "files": _stats(source.files)}
    temp = path.with_name(f".{path.name}.{os.getpid()}")
    temp.write_text(json.dumps(doc))
    os.replace(temp, path)


def _stored_as(fmt: str) -> str:
    if fmt not in USER_FORMATS:
        raise UsdBenchError(f"unknown format {fmt!r}: expected one of {', '.join(USER_FORMATS)}")
    return "parquet" if fmt.startswith("parquet") else fmt


def _read_manifest(directory: Path) -> dict | None:
    path = directory / MANIFEST
    if not path.is_file():
        return None
    try:
        manifest = json.loads(path.read_text())
    except ValueError:
        return None  # damaged: converted again
    manifest["key"] = directory.name
    return manifest


def _convert_all(source: Source, directory: Path, say: Progress) -> dict:
    temp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.partial-", dir=directory.parent))
    try:
        formats: dict[str, dict] = {}
        mapping = _target_names(source)
        for fmt in ("usda", "usdc"):
            with _step(say, f"{source.name}: {fmt}"):
                formats[fmt] = _save_layers(source, mapping, temp, fmt)
        with _step(say, f"{source.name}: usdz"):
            formats["usdz"] = _package(temp, formats["usdc"])
        with _step(say, f"{source.name}: parquet"):
            formats["parquet"] = _parquet(source, temp)
        manifest = {
            "key": directory.name,
            "source": str(source.root),
            "source_bytes": source.total_bytes(),
            "prims": _count_prims(source),
            "unresolved": [str(u) for u in source.unresolved],
            "formats": formats,
        }
        with _step(say, f"{source.name}: compose check"):
            manifest["check"] = _compose_check(source, temp, formats)
        (temp / MANIFEST).write_text(json.dumps(manifest, indent=1))
        os.replace(temp, directory)
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    return manifest


class _step:
    def __init__(self, say: Progress, what: str):
        self.say, self.what = say, what

    def __enter__(self):
        self.start = time.perf_counter()
        self.say(f"{self.what} ...")

    def __exit__(self, *exc):
        if exc[0] is None:
            self.say(f"{self.what} done in {time.perf_counter() - self.start:.1f} s")


def _target_names(source: Source) -> dict[str, str]:
    """Each layer's path in a converted tree, without extension: its place
    relative to the root's folder, a packaged layer under its package's
    stem, a layer outside the root's folder under _external/<n>/."""
    names: dict[str, str] = {}
    base = source.root.parent
    external: dict[str, int] = {}
    for identifier in source.layers:
        path = Sdf.Layer.SplitIdentifier(identifier)[0]
        inner = ""
        if path.endswith("]") and "[" in path:
            path, inner = path[:-1].split("[", 1)
        rel = os.path.relpath(path, base)
        if rel.startswith(".."):
            folder = external.setdefault(os.path.dirname(path), len(external) + 1)
            rel = os.path.join("_external", str(folder), os.path.basename(path))
        stem = os.path.splitext(rel)[0]
        if inner:
            stem = os.path.join(stem, os.path.splitext(inner)[0])
        names[_key(identifier)] = stem
    return names


def _key(identifier: str) -> str:
    path, _ = Sdf.Layer.SplitIdentifier(identifier)
    return os.path.normpath(path) if "[" not in path else path


def _save_layers(source: Source, mapping: dict[str, str], out: Path, fmt: str) -> dict:
    files = []
    for identifier in source.layers:
        layer = Sdf.Layer.FindOrOpen(identifier)
        target = out / fmt / f"{mapping[_key(identifier)]}.{fmt}"
        target.parent.mkdir(parents=True, exist_ok=True)
        files.append(target)
        if not layer_asset_paths(layer):
            # Nothing to rewrite (a leaf: often the largest, a mesh or a
            # cache): exported straight, without a copy in memory.
            if not layer.Export(str(target)):
                raise UsdBenchError(f"USD could not save the {fmt} copy", file=target)
            continue
        copy = Sdf.Layer.CreateNew(str(target))
        copy.TransferContent(layer)

        def rewrite(asset: str, layer=layer, target=target) -> str:
            if not asset:
                return asset
            resolved = Sdf.ComputeAssetPathRelativeToLayer(layer, asset)
            stem = mapping.get(_key(resolved)) if resolved else None
            if stem is None:
                return asset  # not a layer of the stage (a texture): as authored
            return "./" + os.path.relpath(out / fmt / f"{stem}.{fmt}", target.parent)

        UsdUtils.ModifyAssetPaths(copy, rewrite)
        if not copy.Save():
            raise UsdBenchError(f"USD could not save the {fmt} copy", file=target)
    return {"root": _rel(files[0], out), "files": [_rel(f, out) for f in files]}


def _package(out: Path, usdc: dict) -> dict:
    root = out / usdc["root"]
    target = out / "usdz" / (root.stem + ".usdz")
    target.parent.mkdir(parents=True, exist_ok=True)
    if not UsdUtils.CreateNewUsdzPackage(Sdf.AssetPath(str(root)), str(target)):
        raise UsdBenchError("USD could not write the usdz package", file=target)
    return {"root": _rel(target, out), "files": [_rel(target, out)]}


def _parquet(source: Source, out: Path) -> dict:
    """The Parquet conversion (usdbench.convert); a failure is kept as the
    format's error, and the USD formats are still measured."""
    try:
        from usdbench.convert import convert
    except ImportError as err:
        return {"error": f"the Parquet converter is not available here ({err})"}
    target = out / "parquet"
    try:
        report = convert(source.root, target)
    except UsdBenchError as err:
        return {"error": str(err)}
    files = sorted(p for p in target.rglob("*") if p.is_file())
    return {
        "root": _rel(Path(report.root), out),
        "files": [_rel(f, out) for f in files],
        "report": report.to_dict() if hasattr(report, "to_dict") else None,
    }


def _rel(path: Path, out: Path) -> str:
    return os.path.relpath(path, out)


def _count_prims(source: Source) -> int:
    stage = Usd.Stage.Open(str(source.root))
    return sum(1 for _ in stage.TraverseAll())


def _compose_check(source: Source, out: Path, formats: dict) -> dict:
    """Each format's composed stage against the source's: the first
    differences of their canonical dumps ([] when the same)."""
    from usdbench.stage import open_stage
    from usdbench.stage_dump import compare_stages, dump_texts

    want = dump_texts(Usd.Stage.Open(str(source.root)))  # once, for every format
    check = {}
    for fmt in USER_FORMATS:
        entry = formats[_stored_as(fmt)]
        if entry.get("error"):
            check[fmt] = [f"not converted: {entry['error']}"]
            continue
        reader = fmt.split("-", 1)[1] if fmt.startswith("parquet") else None
        try:
            stage = open_stage(str(out / entry["root"]), parquet_reader=reader)
        except UsdBenchError as err:
            check[fmt] = [f"does not open: {err}"]
            continue
        check[fmt] = compare_stages(want, stage, CHECK_LIMIT, ("source", fmt))
        del stage  # one converted stage open at a time
    return check
