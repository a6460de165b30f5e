"""Build the native Parquet file format plugin with CMake.

    python parquet_plugin/build.py [--dest usdbench/_native] [--build-dir build/native]

Run by setup.py on every install (pip install, asv's per-commit build) and by
.ci/bootstrap when the sources change. It finds the inputs in the running
interpreter's environment: usd-core's libusd_ms, the pxr-*-dev header
packages of the same USD release, pyarrow's Arrow/Parquet C++ headers and
libraries, Python's headers, a C++ compiler and CMake. Into --dest it
writes libusdParquet.so, plugInfo.json (the folder is what PXR_PLUGINPATH_NAME
names) and build_info.json, which usdbench.native reads to check at run time
that the live usd-core and pyarrow are the ones the plugin was built for.

When an input is missing, ``Unavailable`` says which; setup.py then records
the reason instead of failing the install.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata as metadata
import json
import os
import platform
import shutil
import subprocess
import sys
import sysconfig
import time
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
TYPES_JSON = HERE.parent / "usdbench" / "arrow_usd_types.json"
# pxr-*-dev packages whose headers the plugin includes (sdf pulls the rest).
HEADER_PACKAGES = ("arch", "tf", "gf", "trace", "js", "ts", "vt", "work", "ar", "plug", "sdf")
HEADER_EXTRAS = ("pxr-boost-dev", "pxr-tbb-dev")
BUILD_INFO = "build_info.json"
UNAVAILABLE = "unavailable.txt"


class Unavailable(Exception):
    """The plugin cannot be built here; the message says why."""


@dataclass(frozen=True)
class Inputs:
    usd_version: str
    usd_library: str
    include_dirs: list[str]
    arrow_include: str
    arrow_library: str
    parquet_library: str
    arrow_so_version: str
    pyarrow_version: str
    python_include: str
    cmake: str
    compiler: str
    purelib: str


def source_hash() -> str:
    """A digest of everything the plugin is built from (stale-build check)."""
    digest = hashlib.sha256()
    files = sorted(p for p in HERE.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    for path in [*files, TYPES_JSON]:
        digest.update(str(path.relative_to(HERE.parent)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _include_dirs(dist_name: str) -> list[str]:
    dist = metadata.distribution(dist_name)
    tops = {
        Path(*f.parts[: f.parts.index("include") + 1])
        for f in dist.files or []
        if "include" in f.parts[:-1]
    }
    return sorted(str(dist.locate_file(t)) for t in tops)


def _headers(usd_version: str) -> list[str]:
    dirs: list[str] = []
    for name in [f"pxr-{p}-dev" for p in HEADER_PACKAGES] + list(HEADER_EXTRAS):
        version = _version(name)
        if version is None:
            raise Unavailable(
                f"the USD C++ headers are not installed ({name}; they are build "
                f"requirements: pip install {name}=={usd_version})"
            )
        if name != "pxr-tbb-dev" and version != usd_version:
            raise Unavailable(
                f"{name} is {version} but usd-core is {usd_version}: the plugin needs "
                "the headers of the same USD release (they exist for 26.8, 25.8, 25.5.1)"
            )
        dirs += _include_dirs(name)
    return dirs


def find_inputs() -> Inputs:
    if sys.platform != "linux":
        raise Unavailable(f"the plugin is built on Linux only (this is {sys.platform})")
    usd_version = _version("usd-core")
    if usd_version is None:
        raise Unavailable("usd-core is not installed")
    libs = Path(metadata.distribution("usd-core").locate_file("usd_core.libs"))
    usd_libraries = sorted(libs.glob("libusd_ms-*.so"))
    if not usd_libraries:
        raise Unavailable(f"usd-core {usd_version} has no libusd_ms-*.so in {libs}")
    include_dirs = _headers(usd_version)
    try:
        import pyarrow
    except ImportError:
        raise Unavailable("pyarrow is not installed") from None
    so_version = str(pyarrow.cpp_build_info.so_version)
    arrow_dir = Path(pyarrow.get_library_dirs()[0])
    arrow, parquet = (arrow_dir / f"lib{n}.so.{so_version}" for n in ("arrow", "parquet"))
    for lib in (arrow, parquet):
        if not lib.exists():
            raise Unavailable(f"pyarrow {pyarrow.__version__} has no {lib.name} in {arrow_dir}")
    python_include = sysconfig.get_paths()["include"]
    if not (Path(python_include) / "Python.h").exists():
        raise Unavailable(f"Python's headers are missing (no Python.h in {python_include})")
    cmake = shutil.which("cmake")
    if cmake is None:
        raise Unavailable("CMake is not installed (apt-get install cmake, or pip install cmake)")
    compiler = os.environ.get("CXX") or shutil.which("g++") or shutil.which("c++")
    if compiler is None:
        raise Unavailable("no C++ compiler (apt-get install g++)")
    return Inputs(
        usd_version=usd_version,
        usd_library=str(usd_libraries[0]),
        include_dirs=include_dirs,
        arrow_include=pyarrow.get_include(),
        arrow_library=str(arrow),
        parquet_library=str(parquet),
        arrow_so_version=so_version,
        pyarrow_version=pyarrow.__version__,
        python_include=python_include,
        cmake=cmake,
        compiler=compiler,
        purelib=sysconfig.get_paths()["purelib"],
    )


def _rpath(inputs: Inputs) -> str:
    # Installed from a wheel the plugin sits in site-packages/usdbench/_native,
    # two levels below pyarrow; an editable install keeps it in the source
    # tree, so also name the environment's own site-packages (absolute).
    # Inside Python, usdbench imports pyarrow first anyway; these let other
    # USD processes (usdcat) load the plugin too.
    entries = ["$ORIGIN/../../pyarrow", "$ORIGIN/../../usd_core.libs"]
    entries += [str(Path(inputs.purelib) / d) for d in ("pyarrow", "usd_core.libs")]
    return ";".join(entries)


def _run(cmd: list[str], log) -> None:
    print("+", " ".join(cmd), file=log, flush=True)
    result = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        raise subprocess.CalledProcessError(result.returncode, cmd)


def _symbols(library: Path, *flags: str) -> set[str]:
    out = subprocess.run(
        ["nm", "-D", *flags, str(library)], capture_output=True, text=True, check=True
    ).stdout
    # "U name" (undefined) or "<address> T name"; weak references ("w")
    # may stay unresolved.
    return {
        line.split()[-1]
        for line in out.splitlines()
        if line.strip() and line.split()[-2] not in ("w", "v")
    }


def _check_symbols(plugin: Path, inputs: Inputs) -> None:
    """Fail the build, not the first load, on a symbol nothing provides: every
    unversioned undefined symbol must come from usd-core or Arrow, except
    Python's (the interpreter's). A TBB symbol would bind to usd-core's
    classic TBB while the headers are oneTBB's: refused too."""
    if shutil.which("nm") is None:
        return  # binutils come with the compiler; without nm, trust the linker
    undefined = {s for s in _symbols(plugin, "--undefined-only") if "@" not in s}
    defined: set[str] = set()
    for library in (inputs.usd_library, inputs.arrow_library, inputs.parquet_library):
        defined |= {s.split("@")[0] for s in _symbols(Path(library), "--defined-only")}
    missing = sorted(s for s in undefined if s not in defined and not s.startswith(("Py", "_Py")))
    tbb = sorted(s for s in undefined if "tbb" in s)
    if missing or tbb:
        raise Unavailable(
            "the plugin references symbols usd-core and Arrow do not provide: "
            + ", ".join((tbb + missing)[:10])
        )


def build(dest: Path, build_dir: Path, jobs: int | None = None, log=None) -> dict:
    """Build and install the plugin into ``dest``; returns its build info.
    Raises Unavailable (nothing to build with) or CalledProcessError."""
    inputs = find_inputs()
    log = log or sys.stderr
    dest, build_dir = dest.resolve(), build_dir.resolve()
    build_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    _run(
        [
            inputs.cmake,
            "-S",
            str(HERE),
            "-B",
            str(build_dir),
            "-DCMAKE_BUILD_TYPE=Release",
            f"-DCMAKE_CXX_COMPILER={inputs.compiler}",
            f"-DCMAKE_INSTALL_PREFIX={dest}",
            f"-DUSD_LIBRARY={inputs.usd_library}",
            f"-DPXR_INCLUDE_DIRS={';'.join(inputs.include_dirs)}",
            f"-DARROW_INCLUDE_DIR={inputs.arrow_include}",
            f"-DARROW_LIBRARY={inputs.arrow_library}",
            f"-DPARQUET_LIBRARY={inputs.parquet_library}",
            f"-DPYTHON_INCLUDE_DIR={inputs.python_include}",
            f"-DTYPES_JSON={TYPES_JSON}",
            f"-DPLUGIN_RPATH={_rpath(inputs)}",
        ],
        log,
    )
    jobs = jobs or os.cpu_count() or 1
    _run([inputs.cmake, "--build", str(build_dir), "--parallel", str(jobs)], log)
    _check_symbols(build_dir / "libusdParquet.so", inputs)
    dest.mkdir(parents=True, exist_ok=True)
    (dest / UNAVAILABLE).unlink(missing_ok=True)
    _run([inputs.cmake, "--install", str(build_dir)], log)
    info = {
        "usd_core": inputs.usd_version,
        "usd_library": Path(inputs.usd_library).name,
        "pyarrow": inputs.pyarrow_version,
        "arrow_so_version": inputs.arrow_so_version,
        "python": platform.python_version(),
        "source_hash": source_hash(),
        "built": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "seconds": round(time.perf_counter() - start, 1),
        "inputs": asdict(inputs),
    }
    (dest / BUILD_INFO).write_text(json.dumps(info, indent=2) + "\n")
    return info


def record_unavailable(dest: Path, reason: str) -> None:
    """Leave the reason where usdbench.native reports it, and no stale plugin."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("libusdParquet.so", "plugInfo.json", BUILD_INFO):
        (dest / name).unlink(missing_ok=True)
    (dest / UNAVAILABLE).write_text(reason.strip() + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    root = HERE.parent
    parser.add_argument("--dest", type=Path, default=root / "usdbench" / "_native")
    parser.add_argument("--build-dir", type=Path, default=root / "build" / "native")
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument(
        "--if-stale",
        action="store_true",
        help="do nothing when --dest holds a build of the current sources",
    )
    args = parser.parse_args(argv)
    if args.if_stale:
        try:
            info = json.loads((args.dest / BUILD_INFO).read_text())
            if info.get("source_hash") == source_hash():
                return 0
        except (OSError, ValueError):
            pass
    try:
        info = build(args.dest, args.build_dir, args.jobs)
    except Unavailable as why:
        record_unavailable(args.dest, str(why))
        print(f"usdParquet plugin not built: {why}", file=sys.stderr)
        return 3
    except subprocess.CalledProcessError as error:
        record_unavailable(args.dest, f"the build failed: {error}")
        print(f"usdParquet plugin build failed: {error}", file=sys.stderr)
        return 1
    print(f"usdParquet plugin built into {args.dest} in {info['seconds']} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
