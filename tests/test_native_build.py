"""Where the native Parquet plugin cannot be built or used, the reason is
recorded, reported, and the suite falls back to the Python loader with the
native combinations skipped, saying why."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from usdbench import native, workloads
from usdbench.stage import choose_parquet_reader

REPO = Path(__file__).resolve().parents[1]


def test_without_a_compiler_the_build_records_why_and_fails_nothing_else(tmp_path):
    tools = tmp_path / "bin"  # CMake and nm, no C++ compiler
    tools.mkdir()
    for tool in ("cmake", "nm"):
        if shutil.which(tool):
            (tools / tool).symlink_to(shutil.which(tool))
    env = {k: v for k, v in os.environ.items() if k != "CXX"}
    env["PATH"] = str(tools)
    assert shutil.which("g++", path=env["PATH"]) is None
    dest = tmp_path / "_native"
    run = subprocess.run(
        [sys.executable, "parquet_plugin/build.py", "--dest", str(dest)]
        + ["--build-dir", str(tmp_path / "build")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 3, run.stderr
    assert "no C++ compiler" in (dest / "unavailable.txt").read_text()
    assert not (dest / "libusdParquet.so").exists()


@pytest.fixture
def plugin_copy(tmp_path, monkeypatch) -> Path:
    """A copy of the built plugin folder that status() reads instead."""
    if not (native.PLUGIN_DIR / native.BUILD_INFO).exists():
        pytest.fail(f"the plugin is not built here: {native.status().reason}")
    copy = tmp_path / "_native"
    shutil.copytree(native.PLUGIN_DIR, copy)
    monkeypatch.setattr(native, "PLUGIN_DIR", copy)
    return copy


def test_status_says_why_not_built(plugin_copy):
    (plugin_copy / native.BUILD_INFO).unlink()
    (plugin_copy / native.UNAVAILABLE).write_text("no C++ compiler (apt-get install g++)\n")
    status = native.status()
    assert not status.available and status.reason == (
        "not built: no C++ compiler (apt-get install g++)"
    )


def test_status_refuses_a_build_for_another_usd_core(plugin_copy):
    info = json.loads((plugin_copy / native.BUILD_INFO).read_text())
    info["usd_core"] = "26.11"
    (plugin_copy / native.BUILD_INFO).write_text(json.dumps(info))
    status = native.status()
    assert not status.available
    assert "built for usd-core 26.11" in status.reason and "26.8" in status.reason


def _source_hash() -> str:
    spec = importlib.util.spec_from_file_location(
        "_build_under_test", REPO / "parquet_plugin/build.py"
    )
    build = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = build  # dataclasses look their module up
    try:
        spec.loader.exec_module(build)
        return build.source_hash()
    finally:
        del sys.modules[spec.name]


def test_only_status_on_request_checks_the_build_against_its_sources(plugin_copy):
    info = json.loads((plugin_copy / native.BUILD_INFO).read_text())
    info["source_hash"] = _source_hash()
    (plugin_copy / native.BUILD_INFO).write_text(json.dumps(info))
    assert native.status(check_sources=True).available

    info["source_hash"] = "0" * 16  # a build of other sources
    (plugin_copy / native.BUILD_INFO).write_text(json.dumps(info))
    stale = native.status(check_sources=True)
    assert not stale.available
    assert "sources changed since it was built" in stale.reason
    assert "parquet_plugin/build.py" in stale.reason
    # What import usdbench (register) asks: the build is usable, stale or not.
    assert native.status().available


def test_unavailable_plugin_skips_native_benchmarks_and_falls_back(monkeypatch):
    why = "not built: no C++ compiler"
    monkeypatch.setattr(native, "available", lambda: False)
    monkeypatch.setattr(native, "status", lambda **_: native.Status(False, why, native.PLUGIN_DIR))
    with pytest.raises(NotImplementedError, match="native Parquet plugin is not available.*"):
        workloads.prepare_benchmark("parquet-native-zstd-rg1000", 8, "flat")
    assert choose_parquet_reader() == "python"
    with pytest.raises(Exception, match="no C\\+\\+ compiler"):
        choose_parquet_reader("native")
