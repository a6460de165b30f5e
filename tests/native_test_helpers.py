"""What the native Parquet plugin's tests and measurement scripts share: the
C++ test helpers (libusdParquetTestHelpers, built with the plugin into
build/native and never installed: reads from several C++ threads, which
Python threads cannot do), loaded through ctypes, and the check that the
plugin is usable."""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BUILD = Path(__file__).resolve().parents[1] / "build" / "native"
HELPERS = BUILD / "libusdParquetTestHelpers.so"
RESOLVER = BUILD / "libusdParquetTestResolver.so"

# Every helper writes JSON into the caller's buffer and returns its length.
_SIGNATURES = {
    "usdparquet_test_read_all": [ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p],
    "usdparquet_test_concurrent_reads": [ctypes.c_char_p, ctypes.c_int, ctypes.c_int],
}


def helpers(path: Path = HELPERS) -> ctypes.CDLL:
    """The helper library at ``path`` with its functions' signatures set."""
    assert path.exists(), f"{path} missing: run python parquet_plugin/build.py"
    library = ctypes.CDLL(str(path))
    for name, arguments in _SIGNATURES.items():
        function = getattr(library, name)
        function.restype = ctypes.c_size_t
        function.argtypes = [*arguments, ctypes.c_char_p, ctypes.c_size_t]
    return library


def call(function, *args, size: int = 1 << 16) -> dict:
    """Calls a helper with a buffer of ``size`` bytes; its JSON answer."""
    buffer = ctypes.create_string_buffer(size)
    function(*args, buffer, size)
    return json.loads(buffer.value.decode())


def layers_equal(a: str, b: str) -> int:
    """USD's own comparison of two open Parquet layers' data
    (SdfAbstractData::Equals, through the plugin's C API): 1 equal, 0 not,
    -1 if either layer is not open."""
    from usdbench import native

    # The copy USD loaded: dlopen of the same path gives the same library.
    plugin = ctypes.CDLL(str(native.plugin_dir() / native.LIBRARY))
    plugin.usdparquet_layers_equal.restype = ctypes.c_int
    plugin.usdparquet_layers_equal.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    return plugin.usdparquet_layers_equal(a.encode(), b.encode())


def require_plugin() -> None:
    """Skips when the plugin is deliberately off (USDBENCH_NATIVE=0); fails
    when a build that should be there is not usable."""
    import pytest

    from usdbench import native

    status = native.status()
    if not status.available and status.reason.startswith("disabled"):
        pytest.skip(status.reason)
    assert status.available, f"the native Parquet plugin is not usable: {status.reason}"
    assert native.available()


def run_child(code: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """Python ``code`` (dedented) in a fresh interpreter at the repository's
    root: a layer the plugin opened stays in USD's registry for the rest of a
    process, and an open that must fail is tried in one that never saw it."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
        cwd=REPO,
    )


def open_failure(source: Path, root: Path) -> dict:
    """Open ``source`` with ``Sdf.Layer.FindOrOpen`` and ``root`` (whose stack
    lists it) as a stage, in a fresh process: {"layer": opened?, "error": the
    Tf error's text, "stack": the stage's layer identifiers}."""
    run = run_child(
        f"""
        import json
        import usdbench
        from pxr import Sdf, Tf, Usd
        result = {{}}
        try:
            result["layer"] = Sdf.Layer.FindOrOpen({str(source)!r}) is not None
        except Tf.ErrorException as error:
            result["layer"], result["error"] = False, str(error)
        stage = Usd.Stage.Open({str(root)!r})
        result["stack"] = [l.identifier for l in stage.GetLayerStack()]
        print(json.dumps(result))
        """
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])
