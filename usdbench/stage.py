"""``open_stage``: a USD stage whose layer stack may list ``.parquet`` sublayers.

usd-core has no Parquet file format (and cannot build one), so ``.parquet``
sublayers, at any depth of the layer stack, are loaded by the Python loader
(usdbench.parquet) into anonymous layers that take their place. Where a native
Parquet file-format plugin is registered with USD, USD opens them itself.

How the rewrite stays private: a layer whose sublayers must change (the root,
or a nested layer that lists Parquet) is not edited in place -- it is shared
through USD's layer registry with every other stage of the process. It is
reopened as a private instance: the same file with a unique file-format
argument (``root.usda:SDF_FORMAT_ARGS:usdbench_instance=N``), which USD keeps
as a separate layer that still resolves relative paths against its file.
Private instances may not be saved (the anonymous ids must never reach disk).

Lifetime: anonymous layers die with their last reference, and a stage only
holds its layers while its layer stack is computed (a recomposition re-finds
them by identifier). So the stage object returned carries strong references
to the private and anonymous layers in the attribute ``usdbench_layers``:
they live exactly as long as that Python stage object. Known limit: a stage
kept alive only from C++ (a Usd.StageCache) after its Python object is gone
keeps working until something recomposes its layer stack.
"""

from __future__ import annotations

import itertools
import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from pxr import Ar, Pcp, Sdf, Tf, Usd

from usdbench.errors import UsdBenchError
from usdbench.parquet import load_layer, load_layers

PARQUET_EXTENSION = "parquet"
KEEPALIVE_ATTRIBUTE = "usdbench_layers"
_INSTANCE_ARGUMENT = "usdbench_instance"
_instances = itertools.count(1)


def native_parquet_plugin() -> bool:
    """True when USD itself has a file format for ``.parquet`` (a plugin found
    through PXR_PLUGINPATH_NAME); open_stage then leaves those files to USD."""
    return Sdf.FileFormat.FindByExtension(PARQUET_EXTENSION) is not None


def open_stage(root_layer, parquet_columns=None, parquet_path_prefix=None) -> Usd.Stage:
    """Open and compose the stage of ``root_layer`` (a path or an Sdf.Layer).

    ``.parquet`` sublayers anywhere in the layer stack (relative paths resolve
    against the layer listing them) are loaded with the Python loader, keeping
    only ``parquet_columns`` and the prims under ``parquet_path_prefix``; their
    opinions sit exactly where the file was listed. With a native Parquet
    plugin, USD opens them and these two options are not applied. A stack
    without Parquet is opened by USD exactly as ``Usd.Stage.Open`` would.
    Bad input raises UsdBenchError; nothing is left behind.
    """
    if native_parquet_plugin():
        return _open_stage(_root(root_layer))
    if not isinstance(root_layer, Sdf.Layer) and _is_parquet(os.fspath(root_layer)):
        layer = load_layer(os.fspath(root_layer), parquet_columns, parquet_path_prefix)
        return _keep(_open_stage(layer), [layer])
    root = _root(root_layer)
    if not any(_is_parquet(e.resolved) for e in _entries(root)):
        # Let USD open the stack as it always does (same threads, same order),
        # and only look for Parquet deeper down in the layers it opened.
        _cache, stack = _layer_stack(root)  # the cache holds the layers open
        if not any(_is_parquet(e.resolved) for layer in stack for e in _entries(layer)):
            return _open_stage(root)
    with _Rewriter(parquet_columns, parquet_path_prefix) as rewriter:
        private = rewriter.rewrite(root)
        stage = _open_stage(private or root)
        kept = rewriter.kept
    return _keep(stage, kept)


# -- the layer stack -------------------------------------------------------------


@dataclass
class _Entry:
    written: str  # as listed in subLayerPaths
    offset: Sdf.LayerOffset
    resolved: str  # identifier anchored to the listing layer


def _entries(layer: Sdf.Layer) -> list[_Entry]:
    offsets = list(layer.subLayerOffsets)
    return [
        _Entry(path, offsets[i], Sdf.ComputeAssetPathRelativeToLayer(layer, path))
        for i, path in enumerate(layer.subLayerPaths)
    ]


def _is_parquet(identifier: str) -> bool:
    path, _ = Sdf.Layer.SplitIdentifier(identifier)
    return path.lower().endswith(
        "." + PARQUET_EXTENSION
    ) and not Sdf.Layer.IsAnonymousLayerIdentifier(path)


def _file_path(identifier: str) -> str:
    """A Parquet identifier as a file the loader can read."""
    path, _ = Sdf.Layer.SplitIdentifier(identifier)
    resolved = str(Ar.GetResolver().Resolve(path))
    return resolved or path


def _root(root_layer) -> Sdf.Layer:
    if isinstance(root_layer, Sdf.Layer):
        return root_layer
    identifier = os.fspath(root_layer)
    layer = _find_or_open(identifier)
    if layer is None:
        raise UsdBenchError("USD cannot open this root layer", file=identifier)
    return layer


def _find_or_open(identifier: str) -> Sdf.Layer | None:
    try:
        return Sdf.Layer.FindOrOpen(identifier)
    except Tf.ErrorException:
        return None


def _layer_stack(root: Sdf.Layer) -> tuple[Pcp.Cache, list[Sdf.Layer]]:
    """Every layer of the root's layer stack, opened by USD's own code (Pcp),
    as Usd.Stage.Open would: the stage then finds them already open. The
    layers are weak handles: they stay open while the returned cache lives."""
    identifier = Pcp.LayerStackIdentifier(root)
    cache = Pcp.Cache(identifier, fileFormatTarget="usd", usd=True)
    stack, _errors = cache.ComputeLayerStack(identifier)
    return cache, list(stack.layers)


def _open_stage(root: Sdf.Layer) -> Usd.Stage:
    try:
        stage = Usd.Stage.Open(root)
    except Tf.ErrorException as error:
        raise UsdBenchError(f"USD cannot open the stage: {error}", file=root.identifier) from None
    if stage is None:
        raise UsdBenchError("USD cannot open the stage", file=root.identifier)
    return stage


def _keep(stage: Usd.Stage, layers: list[Sdf.Layer]) -> Usd.Stage:
    setattr(stage, KEEPALIVE_ATTRIBUTE, tuple(layers))
    return stage


# -- the rewrite ---------------------------------------------------------------


@dataclass
class _Rewriter:
    """Replaces Parquet sublayers by anonymous layers, layer by layer, in
    private instances; other sublayers open in background threads meanwhile
    (the parse of Parquet text and USD's layer reads release the GIL)."""

    columns: object
    prefix: object
    kept: list = field(default_factory=list)  # what the stage must keep alive
    opened: list = field(default_factory=list)  # held only until the stage is open
    _done: dict = field(default_factory=dict)
    _parquet: dict = field(default_factory=dict)  # file -> its parts' identifiers

    def __enter__(self) -> _Rewriter:
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="usdbench-open")
        return self

    def __exit__(self, *exc) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self.opened.clear()
        if exc[0] is not None:
            self.kept.clear()

    def rewrite(self, layer: Sdf.Layer, stack: tuple = ()) -> Sdf.Layer | None:
        """A private instance of ``layer`` whose sublayers have no Parquet left,
        or None if its part of the stack has no Parquet at all."""
        if layer.identifier in self._done:
            return self._done[layer.identifier]
        entries = _entries(layer)
        # Start opening the other sublayers first, so that they overlap the loads.
        opening: dict[int, Future] = {
            i: self._pool.submit(_find_or_open, e.resolved)
            for i, e in enumerate(entries)
            if not _is_parquet(e.resolved) and e.resolved not in stack
        }
        replaced: dict[int, list[str]] = {}
        for i, entry in enumerate(entries):
            if _is_parquet(entry.resolved):
                file = _file_path(entry.resolved)
                if file not in self._parquet:  # a file listed twice loads once
                    parts = load_layers(file, self.columns, self.prefix)
                    self.kept.extend(parts)
                    self._parquet[file] = [part.identifier for part in parts]
                replaced[i] = self._parquet[file]
        for i, future in opening.items():
            sublayer = future.result()
            if sublayer is None:
                continue  # USD reports the missing layer as it always does
            self.opened.append(sublayer)  # opened once here, found again by the stage
            private = self.rewrite(sublayer, (*stack, layer.identifier))
            if private is not None:
                replaced[i] = [private.identifier]
        result = self._private(layer, entries, replaced) if replaced else None
        self._done[layer.identifier] = result
        return result

    def _private(self, layer: Sdf.Layer, entries: list[_Entry], replaced) -> Sdf.Layer:
        private = _private_instance(layer)
        paths, offsets = [], []
        for i, entry in enumerate(entries):
            # Resolved identifiers: the private copy may anchor differently (anonymous).
            for identifier in replaced.get(i, [entry.resolved]):
                paths.append(identifier)
                offsets.append(entry.offset)
        private.subLayerPaths = paths
        for i, offset in enumerate(offsets):
            if offset != Sdf.LayerOffset():
                private.subLayerOffsets[i] = offset
        private.SetPermissionToSave(False)
        self.kept.append(private)
        return private


def _private_instance(layer: Sdf.Layer) -> Sdf.Layer:
    """A copy of ``layer`` that no other stage shares (see the module doc)."""
    if layer.anonymous:
        copy = Sdf.Layer.CreateAnonymous("usdbench-root.usda")
        copy.TransferContent(layer)
        return copy
    path, arguments = Sdf.Layer.SplitIdentifier(layer.identifier)
    arguments = dict(arguments)
    arguments[_INSTANCE_ARGUMENT] = str(next(_instances))
    private = Sdf.Layer.FindOrOpen(path, arguments)
    if private is None:
        raise UsdBenchError("USD cannot reopen this layer", file=layer.identifier)
    if layer.dirty:  # unsaved edits live only in memory: carry them over
        private.TransferContent(layer)
    return private
