"""``open_stage``: a USD stage whose layer stack may list ``.parquet`` sublayers,
read by either Parquet reader.

``parquet_reader="native"``: USD opens them itself through the C++ file format
plugin (usdbench.native), lazily; column projection and the path prefix
become its file format arguments. ``"python"``: the Python loader
(usdbench.parquet) loads them, at any depth of the layer stack, into
anonymous layers that take their place. The default is the native reader
where it is available (built for this usd-core), else the loader.

How the Python loader's rewrite stays private: a layer whose sublayers must
change (the root, or a nested layer that lists Parquet) is not edited in
place -- it is shared through USD's layer registry with every other stage of
the process. It is reopened as a private instance: the same file with a
unique file-format argument (``root.usda:SDF_FORMAT_ARGS:usdbench_instance=N``),
which USD keeps as a separate layer that still resolves relative paths
against its file. Private instances may not be saved (the anonymous ids must
never reach disk). The native reader's projection uses the same rewrite, with
the Parquet entries pointing at ``props.parquet:SDF_FORMAT_ARGS:columns=...``.

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

from pxr import Ar, Pcp, Sdf, Tf, Usd, Work

from usdbench import native
from usdbench.errors import UsdBenchError
from usdbench.formats import PARQUET_READERS
from usdbench.parquet import load_layer, load_layers

PARQUET_EXTENSION = "parquet"
KEEPALIVE_ATTRIBUTE = "usdbench_layers"
_INSTANCE_ARGUMENT = "usdbench_instance"
_instances = itertools.count(1)


def native_parquet_plugin() -> bool:
    """True when USD itself has a file format for ``.parquet`` (the native
    plugin, or another one found through PXR_PLUGINPATH_NAME)."""
    return Sdf.FileFormat.FindByExtension(PARQUET_EXTENSION) is not None


def choose_parquet_reader(requested: str | None = None) -> str:
    """The Parquet reader open_stage uses: ``requested``, checked, or by
    default the native one where it is available."""
    if requested is None:
        return "native" if native.available() else "python"
    if requested not in PARQUET_READERS:
        raise UsdBenchError(
            f"unknown Parquet reader {requested!r}: expected one of {', '.join(PARQUET_READERS)}"
        )
    if requested == "native" and not native.available():
        raise UsdBenchError(f"the native Parquet reader is not available: {native.status().reason}")
    return requested


def open_stage(
    root_layer, parquet_columns=None, parquet_path_prefix=None, parquet_reader=None
) -> Usd.Stage:
    """Open and compose the stage of ``root_layer`` (a path or an Sdf.Layer).

    ``.parquet`` sublayers anywhere in the layer stack (relative paths resolve
    against the layer listing them) are read by ``parquet_reader``
    ("native", "python"; default: native where available), keeping only
    ``parquet_columns`` and the prims under ``parquet_path_prefix``; their
    opinions sit exactly where the file was listed. A stack without Parquet
    is opened by USD exactly as ``Usd.Stage.Open`` would. Bad input raises
    UsdBenchError naming the file, row or column; nothing is left behind.
    """
    reader = choose_parquet_reader(parquet_reader)
    if not isinstance(root_layer, Sdf.Layer) and _is_parquet(os.fspath(root_layer)):
        path = os.fspath(root_layer)
        if reader == "native":
            layer = _open_native(path, _native_arguments(parquet_columns, parquet_path_prefix))
        else:
            layer = load_layer(path, parquet_columns, parquet_path_prefix)
        return _keep(_open_stage(layer), [layer])
    root = _root(root_layer)
    has_options = parquet_columns is not None or parquet_path_prefix not in (None, "", "/")
    if reader == "native" and not has_options:
        # USD opens the Parquet layers itself. Opening the stack first (the
        # stage then finds it open) turns a bad Parquet file, which USD would
        # leave out with a warning, into an error.
        _cache, stack = _layer_stack(root)
        _raise_for_unopened_parquet(stack)
        return _open_stage(root)
    if not any(_is_parquet(e.resolved) for e in _entries(root)):
        # Let USD open the stack as it always does (same threads, same order),
        # and only look for Parquet deeper down in the layers it opened.
        _cache, stack = _layer_stack(root)  # the cache holds the layers open
        if not any(_is_parquet(e.resolved) for layer in stack for e in _entries(layer)):
            return _open_stage(root)
    with _Rewriter(reader, parquet_columns, parquet_path_prefix) as rewriter:
        private = rewriter.rewrite(root)
        stage = _open_stage(private or root)
        kept = rewriter.kept
    return _keep(stage, kept)


def _native_arguments(columns, prefix) -> dict[str, str]:
    """open_stage's options as the native format's file format arguments."""
    arguments = {}
    if columns is not None:
        if isinstance(columns, str):
            raise UsdBenchError(f"columns must be a list of names, not the string {columns!r}")
        names = [str(c) for c in columns]
        if any("," in n or "&" in n for n in names):
            raise UsdBenchError(f"a column name cannot hold ',' or '&' here: {names}")
        arguments["columns"] = ",".join(names)
    if prefix not in (None, "", "/"):
        arguments["pathPrefix"] = str(prefix)
    return arguments


def _open_native(file: str, arguments: dict[str, str]) -> Sdf.Layer:
    """The Parquet file as a native layer; its errors as UsdBenchError."""
    try:
        layer = Sdf.Layer.FindOrOpen(file, arguments)
    except Tf.ErrorException as error:
        raise UsdBenchError(_plugin_message(error), file=file) from None
    if layer is None:
        raise UsdBenchError("USD could not open the Parquet file", file=file)
    return layer


def _plugin_message(error) -> str:
    """The plugin's own words out of USD's error text ("Error in ... : 'file
    F, row R: why'")."""
    text = str(error).strip()
    start = text.find("'file ")
    return text[start + 1 : -1] if start >= 0 and text.endswith("'") else text


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


def _raise_for_unopened_parquet(stack: list[Sdf.Layer]) -> None:
    """A Parquet sublayer listed in the stack but not in it failed to open:
    open it again to raise the native reader's own error."""
    opened = {layer.identifier for layer in stack}
    for layer in stack:
        for entry in _entries(layer):
            if _is_parquet(entry.resolved) and entry.resolved not in opened:
                path, arguments = Sdf.Layer.SplitIdentifier(entry.resolved)
                _open_native(_file_path(path), dict(arguments))


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
    """Replaces Parquet sublayers, layer by layer, in private instances: by
    the Python loader's anonymous layers, or by the native layer opened with
    the options as file format arguments. Other sublayers open in background
    threads meanwhile (the parse of Parquet text and USD's layer reads release
    the GIL), as many as USD's own concurrency limit allows: at a limit of
    one (the memory figures' protocol, or a user's PXR_WORK_THREAD_LIMIT=1)
    they open on this thread, before the Parquet loads."""

    reader: str
    columns: object
    prefix: object
    kept: list = field(default_factory=list)  # what the stage must keep alive
    opened: list = field(default_factory=list)  # held only until the stage is open
    _done: dict = field(default_factory=dict)
    _parquet: dict = field(default_factory=dict)  # file -> its parts' identifiers

    def __enter__(self) -> _Rewriter:
        if Work.GetConcurrencyLimit() > 1:
            self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="usdbench-open")
        else:
            # A thread parsing a sublayer while this one loads Parquet would
            # interleave their allocations as the scheduler falls: the Python
            # loader's peak at 100 prims moved by ~1 MiB between processes
            # (docs/measurements.md, the eighth session).
            self._pool = _OnThisThread()
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
                    self._parquet[file] = self._replacement(file)
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

    def _replacement(self, file: str) -> list[str]:
        """The identifiers that take a Parquet file's place in subLayerPaths."""
        if self.reader == "native":
            layers = [_open_native(file, _native_arguments(self.columns, self.prefix))]
        else:
            layers = load_layers(file, self.columns, self.prefix)
        self.kept.extend(layers)
        return [layer.identifier for layer in layers]

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


class _OnThisThread:
    """The part of ThreadPoolExecutor the rewriter uses, running each task
    on the calling thread when it is submitted."""

    def submit(self, fn, *args) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args))
        except BaseException as error:  # noqa: BLE001 - raised by result(), as from a pool
            future.set_exception(error)
        return future

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        pass


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
