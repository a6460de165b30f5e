"""Writers: the base scene, the property layer in every format (identical
content), and one root layer per format stacking the property layer over the
base. Every file appears atomically: written under a temporary name in the
same folder, then renamed, so a killed writer never leaves a usable file."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from pxr import Sdf

from usdbench.errors import UsdBenchError
from usdbench.formats import Format
from usdbench.parquet.render import table_to_usda


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary sibling of ``path`` (same suffix, so USD picks the
    same file format) that replaces ``path`` only if the block succeeds."""
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.partial{path.suffix}")
    try:
        yield tmp
        if not tmp.exists():
            raise UsdBenchError("writer produced no file", file=str(path))
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_text(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def with_usd_metadata(
    table: pa.Table,
    usd_types: Mapping[str, str] | None = None,
    layer_metadata: Mapping[str, object] | None = None,
) -> pa.Table:
    """``table`` with the Parquet metadata both readers follow
    (arrow_usd_types.json's ``metadata``): each column of ``usd_types``
    declares its USD type name (a role such as point3f or color3f[], or
    token, asset, timecode, matrix2d/3d/4d, quath/f/d) in its field metadata;
    ``layer_metadata`` (defaultPrim, upAxis, metersPerUnit, documentation)
    goes into the file's key-value metadata. The types are checked here."""
    from usdbench.parquet.type_table import FIELD_TYPE_KEY, LAYER_KEYS, column_type_name

    fields = []
    for field in table.schema:
        if usd_types and field.name in usd_types:
            metadata = dict(field.metadata or {})
            metadata[FIELD_TYPE_KEY.encode()] = usd_types[field.name].encode()
            field = field.with_metadata(metadata)
            type_name, why = column_type_name(field)
            if type_name is None:
                raise UsdBenchError(why, column=field.name)
        fields.append(field)
    unknown = set(usd_types or ()) - set(table.column_names)
    if unknown:
        raise UsdBenchError(f"usd_types names columns the table lacks: {sorted(unknown)}")
    metadata = dict(table.schema.metadata or {})
    for key, value in (layer_metadata or {}).items():
        name = f"usd:{key}"
        if name not in LAYER_KEYS:
            raise UsdBenchError(
                f"unknown layer metadata {key!r} (known: "
                f"{', '.join(k.removeprefix('usd:') for k in LAYER_KEYS)})"
            )
        metadata[name.encode()] = str(value).encode()
    return table.cast(pa.schema(fields, metadata=metadata))


# List columns of fixed-width numbers (list<float|double|int32|int64>, and
# lists of fixed_size_lists of them: points, indices, weights) are written
# uncompressed (and, like every list column, without a dictionary) in every
# Parquet format: the native reader then serves them from the mapped file
# with no decode (MappedLists), usdc's way. Measured at 10k prims of the
# arrays family (docs/measurements.md, 2026-12-06): every prim's arrays read
# and summed in 0.79-0.93x usdc's time against 1.7-2.5x with zstd; zstd on
# the int arrays alone (0.43 of their size; floats 0.91-0.94) read in 1.12x
# and a 1.53x peak (their decoded blocks held in the cache).
PLAIN_LIST_VALUES = (pa.float32(), pa.float64(), pa.int32(), pa.int64())


def plain_list_columns(schema: pa.Schema) -> list[str]:
    """The columns write_parquet writes uncompressed: lists of fixed-width
    numbers, or of fixed_size_lists of them."""
    names = []
    for field in schema:
        if not (pa.types.is_list(field.type) or pa.types.is_large_list(field.type)):
            continue
        item = field.type.value_type
        if pa.types.is_fixed_size_list(item):
            item = item.value_type
        if item in PLAIN_LIST_VALUES:
            names.append(field.name)
    return names


def _codecs(schema: pa.Schema, codec: str | None, plain: list[str]) -> dict[str, str]:
    """pyarrow's per-column codecs: ``codec`` for every Parquet leaf, "none"
    for the leaves of the ``plain`` columns (pyarrow names a column's codec
    by its leaf's path; a leaf left out would be uncompressed)."""
    import io

    buffer = io.BytesIO()
    pq.write_table(schema.empty_table(), buffer)
    leaves = pq.ParquetFile(pa.BufferReader(buffer.getvalue())).schema
    codecs = {}
    for i in range(len(leaves)):
        path = leaves.column(i).path
        codecs[path] = "none" if path.split(".")[0] in plain else (codec or "none")
    return codecs


def write_parquet(
    table: pa.Table,
    fmt: Format,
    path: Path,
    usd_types: Mapping[str, str] | None = None,
    layer_metadata: Mapping[str, object] | None = None,
    row_group_size: int | None = None,
    compression: str | Mapping[str, str] | None = None,
) -> None:
    """The property table as Parquet; ``usd_types`` and ``layer_metadata``
    as ``with_usd_metadata`` writes them; ``row_group_size`` (rows) overrides
    the format's (a scenario family sizes its own: Scenario.row_group_rows).
    The format's codec compresses every column but the lists of numbers
    (plain_list_columns: uncompressed); ``compression`` (one codec for all,
    or pyarrow's codec per leaf) replaces that choice."""
    if usd_types or layer_metadata:
        table = with_usd_metadata(table, usd_types, layer_metadata)
    # No dictionary for list columns: on arrays of measured values it makes
    # the file ~44% larger and the native read ~45% slower (measured, issue 23).
    lists = {
        f.name for f in table.schema if pa.types.is_list(f.type) or pa.types.is_large_list(f.type)
    }
    use_dictionary = [n for n in table.column_names if n not in lists] if lists else True
    if compression is None:
        plain = plain_list_columns(table.schema)
        compression = (
            _codecs(table.schema, fmt.compression, plain)
            if plain and fmt.compression not in (None, "none")
            else fmt.compression
        )
    with atomic_path(path) as tmp:
        pq.write_table(
            table,
            tmp,
            use_dictionary=use_dictionary,
            compression=compression,
            row_group_size=row_group_size or fmt.row_group_size,
            # Statistics let readers (ours included) skip row groups by path.
            write_statistics=True,
        )


def write_usda_props(table: pa.Table, path: Path) -> None:
    write_text(path, table_to_usda(table, source=str(path)))


def write_usdc_props(usda_path: Path, path: Path) -> None:
    """usdc with exactly the usda layer's content: USD's own parse and crate writer.

    A new usdc layer filled by TransferContent and saved writes the same bytes
    as ``Export`` of the parsed layer, with a lower peak, because the text
    layer is freed before the crate writer runs. USD's crate writer is most
    of the generation time of large scenarios (docs/measurements.md, "Data
    generation")."""
    source = Sdf.Layer.OpenAsAnonymous(str(usda_path))
    if source is None:
        raise UsdBenchError("USD could not open the usda property layer", file=str(usda_path))
    with atomic_path(path) as tmp:
        target = Sdf.Layer.CreateNew(str(tmp))
        if target is None:
            raise UsdBenchError("USD could not create the usdc property layer", file=str(tmp))
        target.TransferContent(source)
        del source
        if not target.Save():
            raise UsdBenchError("USD could not write the usdc property layer", file=str(path))


def write_usdz_props(usdc_path: Path, path: Path) -> None:
    """A usdz package holding the usdc layer (uncompressed, aligned: USD's writer)."""
    with atomic_path(path) as tmp:
        writer = Sdf.ZipFileWriter.CreateNew(str(tmp))
        writer.AddFile(str(usdc_path), usdc_path.name)
        if not writer.Save():
            raise UsdBenchError("USD could not write the usdz package", file=str(path))


def root_layer_text(props_filename: str, base_filename: str = "base.usda") -> str:
    """The root: the property layer (strongest) over the base scene."""
    return (
        "#usda 1.0\n(\n"
        '    defaultPrim = "World"\n'
        "    subLayers = [\n"
        f"        @./{props_filename}@,\n"
        f"        @./{base_filename}@\n"
        "    ]\n)\n"
    )
