"""The loader's entry points: a Parquet file read (read), checked and sorted
(prepared), rendered and parsed in parts (parse)."""

from __future__ import annotations

import os
from collections.abc import Sequence

from pxr import Sdf

from usdbench.parquet.parse import parse_parts
from usdbench.parquet.prepared import PreparedTable
from usdbench.parquet.read import read_table


def load_layer(path, columns: Sequence[str] | None = None, path_prefix=None) -> Sdf.Layer:
    """The Parquet file at ``path`` as one anonymous layer of ``over`` prims.

    ``columns``: load only these properties (Parquet column projection; the
    ``path`` column is always read). ``path_prefix``: load only the prims at or
    under this prim path; row groups whose ``path`` statistics exclude it are
    not read. Bad input raises UsdBenchError naming the file, row or column.
    """
    return load_layers(path, columns, path_prefix, parts=1)[0]


def load_layers(
    path, columns: Sequence[str] | None = None, path_prefix=None, parts: int | None = None
) -> list[Sdf.Layer]:
    """Like ``load_layer``, but as ``parts`` anonymous layers (contiguous runs of
    rows in path order, parsed in parallel threads; default: one per core for
    large tables). Stacked as sublayers in any order they compose to exactly
    the content of ``load_layer``: no property is in two parts."""
    source = os.fspath(path)
    # Only the PreparedTable holds the table: parse_parts frees it once rendered.
    prepared = PreparedTable(*read_table(source, columns, path_prefix), source)
    return parse_parts(prepared, parts, os.path.basename(source))
