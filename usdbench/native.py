"""The native Parquet file format: the C++ plugin of parquet_plugin/, built at
install into usdbench/_native/ (libusdParquet.so, plugInfo.json,
build_info.json).

``register()`` (run by ``import usdbench``) makes every USD call of this
process read ``.parquet`` natively (``Usd.Stage.Open``, ``Sdf.Layer.FindOrOpen``,
``Sdf.FileFormat.FindByExtension("parquet")``), when the plugin was built and
matches the live usd-core and pyarrow; otherwise ``status()`` says why not and
usdbench falls back to its Python loader. Whether a source checkout's plugin
is older than its sources is the build's question (``parquet_plugin/build.py
--if-stale``) and ``status(check_sources=True)``'s (``usdbench status``), not
every importer's: ``register()`` does not ask it. Any other USD process gets the
plugin through ``PXR_PLUGINPATH_NAME=<plugin_dir()>`` (``python -m usdbench
plugin-path`` prints it). ``cache_stats()`` and ``layer_stats()`` read the
plugin's figures (blocks decoded, bytes held, evictions).

Nothing here imports pxr or pyarrow unless asked to: the check reads files
and package metadata only.
"""

from __future__ import annotations

import ctypes
import importlib.metadata
import importlib.util
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

PLUGIN_DIR = Path(__file__).resolve().parent / "_native"
LIBRARY = "libusdParquet.so"
BUILD_INFO = "build_info.json"
UNAVAILABLE = "unavailable.txt"
# USDBENCH_NATIVE=0: never register the plugin (measure or test the fallback).
ENV_SWITCH = "USDBENCH_NATIVE"
PLUGIN_PATH_ENV = "PXR_PLUGINPATH_NAME"
# The plugin's own setting: its block cache budget in MiB (default 256).
CACHE_BUDGET_ENV = "USDPARQUET_CACHE_MB"
_SOURCES = PLUGIN_DIR.parent.parent / "parquet_plugin"


@dataclass(frozen=True)
class Status:
    """Whether this process can use the native plugin, and if not, why."""

    available: bool
    reason: str  # why not ("" when available)
    directory: Path
    info: dict = field(default_factory=dict)  # build_info.json


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _arrow_library(so_version: str) -> Path | None:
    spec = importlib.util.find_spec("pyarrow")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / f"libarrow.so.{so_version}"


def _stale(info: dict) -> bool:
    """True when this is a source checkout whose plugin sources changed since
    the build (an editable install): the plugin would not be this code. Loads
    build.py and hashes every source file, so only ``status`` asks, on request."""
    if not (_SOURCES / "build.py").exists():
        return False
    spec = importlib.util.spec_from_file_location("_usdparquet_build", _SOURCES / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return info.get("source_hash") != module.source_hash()


def status(*, check_sources: bool = False) -> Status:
    """Whether the plugin is built and matches this environment (no import of
    pxr or pyarrow). ``check_sources``: in a source checkout, also whether
    the plugin was built from the current sources (hashes them)."""

    def no(reason: str, info: dict | None = None) -> Status:
        return Status(False, reason, PLUGIN_DIR, info or {})

    if os.environ.get(ENV_SWITCH, "").strip() == "0":
        return no(f"disabled by {ENV_SWITCH}=0")
    reason_file = PLUGIN_DIR / UNAVAILABLE
    if reason_file.exists():
        return no(f"not built: {reason_file.read_text().strip()}")
    try:
        info = json.loads((PLUGIN_DIR / BUILD_INFO).read_text())
    except (OSError, ValueError):
        return no(
            f"not built (no {BUILD_INFO} in {PLUGIN_DIR}): reinstall the package, "
            "or run python parquet_plugin/build.py in a source checkout"
        )
    for name in (LIBRARY, "plugInfo.json"):
        if not (PLUGIN_DIR / name).exists():
            return no(f"incomplete build: {PLUGIN_DIR / name} is missing", info)
    usd = _version("usd-core")
    if usd != info.get("usd_core"):
        return no(
            f"built for usd-core {info.get('usd_core')}, this environment has usd-core "
            f"{usd}: a C++ plugin only loads into the usd-core it was built against",
            info,
        )
    arrow = _arrow_library(str(info.get("arrow_so_version")))
    if arrow is None or not arrow.exists():
        return no(
            f"built for pyarrow {info.get('pyarrow')} (libarrow.so."
            f"{info.get('arrow_so_version')}), which this environment lacks",
            info,
        )
    if check_sources and _stale(info):
        return no(
            "the plugin's sources changed since it was built: run "
            "python parquet_plugin/build.py (or .ci/bootstrap)",
            info,
        )
    return Status(True, "", PLUGIN_DIR, info)


_registered: Status | None = None


def register() -> Status:
    """Make this process's USD read ``.parquet`` with the plugin, if it can.
    Idempotent. Before pxr is imported this only sets PXR_PLUGINPATH_NAME
    (cheap, and inherited by child processes); after, it registers with
    USD's plugin registry directly. Does not check the build against its
    sources (that is build.py --if-stale's and status(check_sources=True)'s)."""
    global _registered
    if _registered is not None:
        return _registered
    result = status()
    if result.available:
        directory = str(result.directory)
        paths = [p for p in os.environ.get(PLUGIN_PATH_ENV, "").split(os.pathsep) if p]
        if directory not in paths:
            os.environ[PLUGIN_PATH_ENV] = os.pathsep.join([directory, *paths])
        if any(name == "pxr" or name.startswith("pxr.") for name in sys.modules):
            from pxr import Plug

            Plug.Registry().RegisterPlugins(directory)
    _registered = result
    return result


def available() -> bool:
    """True when USD in this process reads ``.parquet`` with the plugin."""
    if not register().available:
        return False
    from pxr import Sdf

    return Sdf.FileFormat.FindByExtension("parquet") is not None


def plugin_dir() -> Path:
    return PLUGIN_DIR


_lib = None


def _library() -> ctypes.CDLL:
    """The plugin library as loaded by USD (loading it through USD first, so
    ctypes gets the same copy)."""
    global _lib
    if _lib is None:
        if not available():
            raise RuntimeError(f"the native Parquet plugin is not available: {status().reason}")
        lib = ctypes.CDLL(str(PLUGIN_DIR / LIBRARY))
        lib.usdparquet_stats_json.restype = ctypes.c_size_t
        lib.usdparquet_stats_json.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t]
        lib.usdparquet_set_cache_budget.argtypes = [ctypes.c_uint64]
        lib.usdparquet_set_cache_budget.restype = None
        lib.usdparquet_reset_cache_counters.restype = None
        _lib = lib
    return _lib


def _stats(identifier: str | None) -> dict | None:
    lib = _library()
    key = identifier.encode() if identifier is not None else None
    size = lib.usdparquet_stats_json(key, None, 0)
    if size == 0:
        return None
    buffer = ctypes.create_string_buffer(size + 1)
    lib.usdparquet_stats_json(key, buffer, size + 1)
    return json.loads(buffer.value.decode())


def cache_stats() -> dict:
    """The process's block cache: budget_bytes, bytes_held, peak_bytes_held,
    blocks_held, blocks_decoded, hits, evictions; and the arrays handed out:
    zero_copy_arrays_made / _live (VtArrays over a block's bytes: Arrow's
    buffers or the mapped file), unaligned_array_copies (arrays of the
    mapped file copied once because their values were not aligned);
    page_pool_mapped_bytes / page_pool_maps (decode buffers of 64 KiB or
    more, each an anonymous map of its own, unmapped when freed: the cached
    blocks' values and any decode under way)."""
    return _stats(None)


def layer_stats(layer) -> dict | None:
    """One open Parquet layer's figures (rows, prims, row_groups,
    path_blocks_read, and per column its types, blocks_decoded, and
    blocks_mapped / bytes_mapped: blocks served from the mapped file with no
    decode, docs/native-parquet.md "Arrays without a copy"); ``layer``
    is an Sdf.Layer or its identifier. None if no such layer is open."""
    identifier = layer if isinstance(layer, str) else layer.identifier
    return _stats(identifier)


def set_cache_budget(nbytes: int) -> None:
    """Set the block cache's budget (bytes) for this process; the environment
    variable USDPARQUET_CACHE_MB sets it at start."""
    if nbytes < 0:
        raise ValueError(f"a cache budget is a number of bytes >= 0, not {nbytes}")
    _library().usdparquet_set_cache_budget(int(nbytes))


def reset_cache_counters() -> None:
    _library().usdparquet_reset_cache_counters()
