"""Deterministic mutations of valid Parquet property files, and the worker
that opens and reads each with the native plugin (test_parquet_fuzz.py runs
it in child processes, many mutations per child).

    python tests/parquet_fuzz.py SEED_DIR FIRST COUNT

writes ``begin N`` before and ``end N <verdict>`` after mutation N, flushed,
so a crash names the mutation that caused it; the verdict is ``ok`` (opened
and read), ``usd-error`` (USD's error, Tf.ErrorException) or
``other <exception>`` (anything else: a failure).
"""

from __future__ import annotations

import os
import random
import struct
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

KINDS = ("flip", "truncate", "zero", "footer", "page_header", "length", "magic")


def write_seeds(folder: Path) -> list[Path]:
    """The valid files mutations start from: flat and nested columns, nulls,
    dictionaries, several compressions and page versions, small pages in a
    large row group (ranges read), declared types and layer metadata."""
    folder.mkdir(parents=True, exist_ok=True)
    n = 64
    rng = np.random.default_rng(5)
    flat = pa.table(
        {
            "path": [f"/World/P_{i}" for i in range(n)],
            "cost": pa.array(rng.random(n), mask=rng.random(n) < 0.2),
            "count": pa.array(np.arange(n, dtype=np.int32)),
            "on": pa.array(rng.random(n) < 0.5),
            "name": pa.array([f"n{i % 7}" for i in range(n)]),
            "kind": pa.array([f"k{i % 3}" for i in range(n)]).dictionary_encode(),
        }
    )
    lists = pa.table(
        {
            "path": [f"/World/L_{i}" for i in range(n)],
            "samples": pa.array(
                [None if i % 5 == 0 else [float(i)] * (i % 4) for i in range(n)],
                pa.list_(pa.float64()),
            ),
            "color": pa.array(
                [None if i % 6 == 0 else [1.0, 0.5, float(i)] for i in range(n)],
                pa.list_(pa.float32(), 3),
            ),
            "points": pa.array(
                [[[float(i), 0.0, 1.0]] * (i % 3) for i in range(n)],
                pa.list_(pa.list_(pa.float32(), 3)),
            ),
        }
    )
    big_n = 3000
    big = pa.table(
        {
            "path": [f"/B/R_{i}" for i in range(big_n)],
            "x": pa.array(rng.random(big_n), mask=rng.random(big_n) < 0.1),
            "s": pa.array([f"value-{i}" for i in range(big_n)]),
            "b": pa.array(rng.random(big_n) < 0.5),
        }
    )
    matrix_type = pa.list_(pa.float64(), 16)
    typed = pa.table(
        {
            "path": [f"/T/P_{i}" for i in range(8)],
            "m": pa.array([[float(j) for j in range(16)]] * 8, matrix_type),
            "q": pa.array([[1.0, 0.0, 0.0, 0.0]] * 8, pa.list_(pa.float32(), 4)),
            "tok": pa.array(["a", "b"] * 4),
            "tc": pa.array([float(i) for i in range(8)]),
        }
    )
    declared = {"m": "matrix4d", "q": "quatf", "tok": "token", "tc": "timecode"}
    typed = typed.cast(
        pa.schema(
            [
                f.with_metadata({"usd:typeName": declared[f.name]}) if f.name in declared else f
                for f in typed.schema
            ],
            metadata={"usd:defaultPrim": "T", "usd:upAxis": "Z"},
        )
    )
    seeds = [
        (flat, "flat-none.parquet", {"row_group_size": 16, "compression": "none"}),
        (flat, "flat-snappy-v2.parquet", {"row_group_size": 32, "data_page_version": "2.0"}),
        (lists, "lists-zstd.parquet", {"row_group_size": 20, "compression": "zstd"}),
        (lists, "lists-plain.parquet", {"use_dictionary": False, "compression": "none"}),
        (
            big,
            "big-pages.parquet",
            {"data_page_size": 2048, "write_page_index": True, "compression": "snappy"},
        ),
        (big, "big-nostats.parquet", {"data_page_size": 4096, "write_statistics": False}),
        (typed, "typed.parquet", {"compression": "gzip"}),
    ]
    paths = []
    for table, name, options in seeds:
        path = folder / name
        pq.write_table(table, path, **options)
        paths.append(path)
    return paths


def _page_offsets(data: bytes) -> list[int]:
    """Where the column chunks' pages start (from the intact footer)."""
    try:
        import io

        metadata = pq.ParquetFile(io.BytesIO(data)).metadata
    except Exception:
        return []
    offsets = []
    for g in range(metadata.num_row_groups):
        group = metadata.row_group(g)
        for c in range(group.num_columns):
            chunk = group.column(c)
            offsets.append(chunk.data_page_offset)
            if chunk.dictionary_page_offset:
                offsets.append(chunk.dictionary_page_offset)
    return offsets


def mutate(data: bytes, seed: int, pages: list[int]) -> tuple[str, bytes]:
    """Mutation ``seed`` of a valid file's bytes: (kind, mutated bytes)."""
    r = random.Random(seed)
    kind = KINDS[seed % len(KINDS)]
    out = bytearray(data)
    size = len(out)
    footer_length = struct.unpack("<I", data[-8:-4])[0] if size >= 8 else 0
    footer_start = max(4, size - 8 - footer_length)
    if kind == "flip":
        for _ in range(r.randint(1, 8)):
            i = r.randrange(size)
            out[i] ^= 1 << r.randrange(8)
    elif kind == "truncate":
        out = out[: r.randrange(size)]
    elif kind == "zero":
        start = r.randrange(size)
        end = min(size, start + r.randint(1, 256))
        out[start:end] = bytes(end - start)
    elif kind == "footer":
        for _ in range(r.randint(1, 6)):
            i = r.randrange(footer_start, max(footer_start + 1, size - 8))
            out[i] = r.randrange(256)
    elif kind == "page_header":
        start = r.choice(pages) if pages else 4
        for _ in range(r.randint(1, 4)):
            i = min(size - 1, start + r.randrange(24))
            out[i] = r.randrange(256)
    elif kind == "length":
        value = r.choice([0, 1, footer_length + 1, footer_length - 1, 2**31 - 1, size, 2**32 - 1])
        out[-8:-4] = struct.pack("<I", value % 2**32)
    else:  # magic
        i = r.choice([0, 1, 2, 3, size - 4, size - 3, size - 2, size - 1])
        out[i] = r.randrange(256)
    return kind, bytes(out)


def _read_everything(layer) -> int:
    """Every spec, field and value of the layer, as USD's tools would ask."""
    count = 0
    paths = []
    layer.Traverse("/", paths.append)
    for path in paths:
        spec = layer.GetObjectAtPath(path)
        if spec is None:
            continue
        count += 1
        if path.IsPropertyPath():
            _ = spec.default
            _ = spec.typeName
            layer.ListTimeSamplesForPath(path)
        else:
            _ = list(spec.properties.keys()) if hasattr(spec, "properties") else None
    _ = layer.defaultPrim
    return count


def run(seed_dir: Path, first: int, count: int) -> int:
    os.environ.setdefault("USDPARQUET_BLOCK_ROWS", "1024")  # ranges of the big files
    from pxr import Sdf, Tf

    from usdbench import native

    # The project's plugin, or (USDBENCH_NATIVE=0) one PXR_PLUGINPATH_NAME
    # names, such as a sanitizer build.
    if not native.available() and Sdf.FileFormat.FindByExtension("parquet") is None:
        print(f"the native plugin is not available: {native.status().reason}", flush=True)
        return 2

    seeds = sorted(seed_dir.glob("*.parquet"))
    originals = [p.read_bytes() for p in seeds]
    pages = [_page_offsets(d) for d in originals]
    scratch = Path(tempfile.mkdtemp(prefix="pqfuzz-"))
    others = 0
    for n in range(first, first + count):
        k = n % len(seeds)
        kind, data = mutate(originals[k], n, pages[k])
        path = scratch / f"m{n}.parquet"
        path.write_bytes(data)
        print(f"begin {n} {seeds[k].name} {kind}", flush=True)
        verdict = "ok"
        try:
            layer = Sdf.Layer.FindOrOpen(str(path))
            if layer is not None:
                _read_everything(layer)
                del layer
        except Tf.ErrorException:
            verdict = "usd-error"
        except Exception as error:  # noqa: BLE001  (the failure being looked for)
            verdict = f"other {type(error).__name__}: {str(error)[:200]!r}"
            others += 1
        path.unlink()
        print(f"end {n} {verdict}", flush=True)
    scratch.rmdir()
    return 1 if others else 0


if __name__ == "__main__":
    sys.exit(run(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])))
