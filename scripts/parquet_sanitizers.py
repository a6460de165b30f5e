"""The native Parquet plugin under AddressSanitizer and UBSan.

    python scripts/parquet_sanitizers.py [--build-dir /tmp/usdparquet-asan] [--mutations 2000]

Builds the plugin and its test helpers with ``-fsanitize=address,undefined``
into ``--build-dir`` (build.py then refuses to install it: the sanitizers'
symbols are undefined until their runtimes are preloaded, which is the
point), then runs, in a child with libasan and libubsan preloaded, the
plugin registered by PXR_PLUGINPATH_NAME and usdbench's own plugin off
(USDBENCH_NATIVE=0): eight C++ threads reading four layers (three of one
file with a damaged block, one with null list elements, one of arrays in
uncompressed PLAIN pages, read from the mapped file) under a 64 KiB
budget, mixing HasSpec, ListFields, propertyChildren and time samples;
stage muting and unmuting; ExportToString; and ``--mutations`` fuzz
mutations (tests/parquet_fuzz.py, blocks of 1,024 rows so ranges of row
groups are read). Any sanitizer report stops the child (halt_on_error) and
fails this script. A measurement script, not part of the installed packages.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FLAGS = "-fsanitize=address,undefined -fno-omit-frame-pointer -g -O1"

CHILD = r"""
import ctypes, os, sys
from pathlib import Path
sys.path.insert(0, {tests!r})
import pyarrow as pa, pyarrow.parquet as pq, numpy as np
from pxr import Sdf, Usd, Tf
assert Sdf.FileFormat.FindByExtension("parquet") is not None, "no sanitizer build registered"
from usdbench.scenario import Scenario
from test_native_pipelines import _damage_one_block
import parquet_fuzz
from native_test_helpers import call, helpers
folder = Path({work!r})
table = Scenario(3000, "deep").property_table()
source = folder / "props.parquet"
pq.write_table(table, source, row_group_size=250, compression="zstd")
_damage_one_block(source, 3, 2)
n = 2000
lists = pa.table({{"path": [f"/L/P_{{i}}" for i in range(n)],
    "v": pa.array([None if i % 5 == 0 else ([1.0, None] if i % 97 == 0 else [float(i)] * (i % 4))
                   for i in range(n)], pa.list_(pa.float64())),
    "c": pa.array([None if i % 6 == 0 else [1.0, 0.5, float(i)] for i in range(n)],
                  pa.list_(pa.float32(), 3)),
    "x": pa.array(np.arange(n, dtype="f8"), mask=np.arange(n) % 3 == 0)}})
lsrc = folder / "lists.parquet"
pq.write_table(lists, lsrc, data_page_size=1024)
# Arrays served from the mapped file (uncompressed PLAIN pages), V1 and V2
# pages, flat and fixed_size_list points, pages of one row.
import test_native_mapped_arrays as mapped
asrc = folder / "arrays-plain.parquet"
pq.write_table(mapped._table(120, 300), asrc, row_group_size=32, data_page_size=2048,
               compression="none", use_dictionary=False)
for layout in ("flat", "fixed_size_list"):
    for version in ("1.0", "2.0"):
        f = folder / f"arrays-{{layout}}-{{version}}.parquet"
        pq.write_table(mapped._table(80, 200, layout), f, row_group_size=16,
                       data_page_version=version, compression="none", use_dictionary=False)
        layer = mapped._check_every_value(f, 80)
        held = layer.GetAttributeAtPath("/World/Prim_7.weights").default
        del layer
        assert np.array_equal(np.asarray(held), mapped._pyarrow_rows(f, "weights")["/World/Prim_7"])
print("mapped arrays: ok", flush=True)
prefix = table["path"][0].as_py().rsplit("/", 1)[0]
ids = [str(source), f"{{source}}:SDF_FORMAT_ARGS:columns=cost,weight,supplier_id",
       f"{{source}}:SDF_FORMAT_ARGS:pathPrefix={{prefix}}", str(lsrc), str(asrc)]
build = Path({build!r})
plugin = ctypes.CDLL(str(build / "libusdParquet.so"))
plugin.usdparquet_set_cache_budget.argtypes = [ctypes.c_uint64]
plugin.usdparquet_set_cache_budget(64 * 1024)
reads = helpers(build / "libusdParquetTestHelpers.so").usdparquet_test_concurrent_reads
result = call(reads, ";".join(ids).encode(), 8, 2)
print("concurrent reads:", result, flush=True)
assert result["mismatches"] == 0, result
root = folder / "root.usda"
root.write_text("#usda 1.0\n(\n    subLayers = [@./props.parquet@]\n)\n")
stage = Usd.Stage.Open(str(root))
identifier = Sdf.Layer.Find(str(source)).identifier
stage.MuteLayer(identifier)
stage.UnmuteLayer(identifier)
try:
    Sdf.Layer.FindOrOpen(str(lsrc)).ExportToString()
except Tf.ErrorException:
    pass
print("muting, export: ok", flush=True)
parquet_fuzz.write_seeds(folder / "seeds")
os.environ["USDPARQUET_BLOCK_ROWS"] = "1024"
code = parquet_fuzz.run(folder / "seeds", 0, {mutations})
print("fuzz:", "ok" if code == 0 else f"exit {{code}}", flush=True)
sys.exit(code)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build-dir", type=Path, default=Path("/tmp/usdparquet-asan"))
    parser.add_argument("--mutations", type=int, default=2000)
    args = parser.parse_args()
    env = {**os.environ, "CXXFLAGS": FLAGS, "LDFLAGS": "-fsanitize=address,undefined"}
    subprocess.run(
        [
            sys.executable,
            str(REPO / "parquet_plugin" / "build.py"),
            "--build-dir",
            str(args.build_dir),
            "--dest",
            str(args.build_dir / "not-installed"),
        ],
        env=env,
        check=False,  # build.py refuses the sanitizer build at its symbol check
    )
    if not (args.build_dir / "libusdParquet.so").exists():
        sys.exit("the sanitizer build failed")
    runtimes = [
        subprocess.run(
            ["gcc", f"-print-file-name={name}"], capture_output=True, text=True, check=True
        ).stdout.strip()
        for name in ("libasan.so", "libubsan.so")
    ]
    work = args.build_dir / "run"
    work.mkdir(exist_ok=True)
    child_env = {
        **os.environ,
        "LD_PRELOAD": " ".join(runtimes),
        "ASAN_OPTIONS": "detect_leaks=0:halt_on_error=1",
        "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
        "USDBENCH_NATIVE": "0",
        "PXR_PLUGINPATH_NAME": str(args.build_dir),
        "PYTHONPATH": str(REPO),
    }
    code = CHILD.format(
        tests=str(REPO / "tests"),
        work=str(work),
        build=str(args.build_dir),
        mutations=args.mutations,
    )
    run = subprocess.run(
        [sys.executable, "-c", code], env=child_env, capture_output=True, text=True
    )
    print(
        "\n".join(
            line for line in run.stdout.splitlines() if not line.startswith(("begin ", "end "))
        )
    )
    reports = [
        line
        for line in run.stderr.splitlines()
        if "AddressSanitizer" in line or "runtime error" in line
    ]
    print("\n".join(reports[:20]) or "no sanitizer report")
    if run.returncode != 0:
        print(run.stderr[-3000:])
    return run.returncode


if __name__ == "__main__":
    sys.exit(main())
