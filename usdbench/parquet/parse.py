"""Parsing a prepared table as USD layers: the rows in parts, all rendered to
scratch files first, the table freed, then the parts parsed by USD in worker
threads (the parse releases the GIL, so the parts parse in parallel), at
most USD's concurrency limit of them at once.

Why render everything first: with a part parsing while the next one
renders, whether the table was already freed when a parse allocated
depended on the threads' scheduling, and so did the loader's peak. Freed
first, the peak is the larger of the
table with its rendering and the parses, in every process. Why USD's
limit: the parse is USD's work; where it is 1 (the suite's memory
figures, benchmarks/protocol.py) the parts parse one after the other in one
order, as the rest of USD's work then does."""

from __future__ import annotations

import contextlib
import os
import re
from concurrent.futures import ThreadPoolExecutor

import pyarrow as pa
from pxr import Sdf, Tf, Work

from usdbench.errors import UsdBenchError
from usdbench.parquet import scratch
from usdbench.parquet.prepared import PreparedTable
from usdbench.parquet.render import write_part

# Tables smaller than this per extra part are parsed as one part: a thread
# and an extra sublayer cost more than they save.
_MIN_PART_ROWS = 10_000


def parse_parts(prep: PreparedTable, parts: int | None, name: str) -> list[Sdf.Layer]:
    """``prep`` as ``parts`` anonymous layers (default: one per core for large
    tables), tagged with ``name``. The table is dropped once every part is
    rendered, before any parse starts: it would add to the peak."""
    # A time-series table's prims weigh their samples: its parts are chosen by
    # sample rows, and split at prims.
    weight = len(prep.times) if prep.sample_offsets is not None else prep.num_rows
    if parts is None and weight > prep.num_rows:
        parts = min(os.cpu_count() or 1, max(1, weight // _MIN_PART_ROWS))
    bounds = _part_bounds(prep.num_rows, parts)
    source = prep.source
    name = re.sub(r"[^A-Za-z0-9._-]", "_", name)  # it goes into a layer identifier
    paths: list[str] = []
    futures = []
    try:
        for lo, hi in bounds:
            paths.append(scratch.write(lambda out, lo=lo, hi=hi: write_part(prep, lo, hi, out)))
        _release(prep)
        # The tag names the source and must end in a USD extension, or USD
        # cannot reopen the layer by its identifier as a sublayer.
        tags = [f"{name}.part{i + 1}of{len(paths)}.usda" for i in range(len(paths))]
        workers = max(1, min(len(paths), Work.GetConcurrencyLimit()))
        if workers == 1:
            # On this thread: a worker thread would gain nothing, and its
            # allocations would land in another malloc arena.
            return [_parse_file(path, tag, source) for path, tag in zip(paths, tags, strict=True)]
        pool = ThreadPoolExecutor(max_workers=workers)
        try:
            for path, tag in zip(paths, tags, strict=True):
                futures.append(pool.submit(_parse_file, path, tag, source))
            return [f.result() for f in futures]
        finally:
            # On an error, parts not yet parsing are not parsed.
            pool.shutdown(cancel_futures=True)
    except BaseException:
        futures.clear()  # drop the parsed parts with their futures
        prep.release()
        for path in paths:  # a part never parsed still has its scratch file
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        raise


def _release(prep: PreparedTable) -> None:
    """Drop the table, and hand the pages Arrow's memory pool freed back to
    the OS now. Its default allocator (mimalloc) purges freed pages only
    some milliseconds after a free and only when Arrow allocates or frees
    again, which the parses do not: without this the table's pages stayed
    resident through them, or not, as the timing fell."""
    prep.release()
    pa.default_memory_pool().release_unused()


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
