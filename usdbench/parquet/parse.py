"""Parsing a prepared table as USD layers: the rows in parts, each rendered to
a scratch file and parsed by USD in a worker thread while the next part
renders (the parse releases the GIL, so the parts parse in parallel)."""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor

from pxr import Sdf, Tf

from usdbench.errors import UsdBenchError
from usdbench.parquet import scratch
from usdbench.parquet.prepared import PreparedTable
from usdbench.parquet.render import write_part

# Tables smaller than this per extra part are parsed as one part: a thread
# and an extra sublayer cost more than they save.
_MIN_PART_ROWS = 10_000


def parse_parts(prep: PreparedTable, parts: int | None, name: str) -> list[Sdf.Layer]:
    """``prep`` as ``parts`` anonymous layers (default: one per core for large
    tables), tagged with ``name``. The table is dropped once rendered, before
    the parses end: it would add to the peak."""
    # A time-series table's prims weigh their samples: its parts are chosen by
    # sample rows, and split at prims.
    weight = len(prep.times) if prep.sample_offsets is not None else prep.num_rows
    if parts is None and weight > prep.num_rows:
        parts = min(os.cpu_count() or 1, max(1, weight // _MIN_PART_ROWS))
    bounds = _part_bounds(prep.num_rows, parts)
    source = prep.source
    name = re.sub(r"[^A-Za-z0-9._-]", "_", name)  # it goes into a layer identifier
    futures = []
    try:
        with ThreadPoolExecutor(max_workers=len(bounds)) as pool:
            for i, (lo, hi) in enumerate(bounds):
                path = scratch.write(lambda out, lo=lo, hi=hi: write_part(prep, lo, hi, out))
                # The tag names the source and must end in a USD extension, or
                # USD cannot reopen the layer by its identifier as a sublayer.
                tag = f"{name}.part{i + 1}of{len(bounds)}.usda"
                futures.append(pool.submit(_parse_file, path, tag, source))
            prep.release()
            return [f.result() for f in futures]
    except BaseException:
        futures.clear()  # drop the parsed parts with their futures
        prep.release()
        raise


def _part_bounds(n: int, parts: int | None) -> list[tuple[int, int]]:
    if parts is None:
        parts = min(os.cpu_count() or 1, max(1, n // _MIN_PART_ROWS))
    parts = max(1, min(int(parts), max(n, 1)))
    edges = [n * i // parts for i in range(parts + 1)]
    return list(zip(edges[:-1], edges[1:], strict=True))


def _parse_file(path: str, tag: str, source: str) -> Sdf.Layer:
    try:
        layer = Sdf.Layer.OpenAsAnonymous(path, False, tag)
    except Tf.ErrorException as error:
        raise UsdBenchError(
            f"USD could not parse the generated layer: {error}", file=source
        ) from None
    finally:
        os.unlink(path)
    if layer is None:
        raise UsdBenchError("USD could not parse the generated layer", file=source)
    return layer
