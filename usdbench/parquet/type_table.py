"""The Arrow -> USD type table: which USD attribute type a property column's
Arrow type becomes. Built from ``usdbench/arrow_usd_types.json``, the one
table both Parquet readers (this loader and the native plugin) and the tests
follow; its ``rules`` say how the rows combine.

Its documentation, docs/parquet-types.md, is generated from the same file::

    python -m usdbench.parquet.type_table > docs/parquet-types.md
"""

from __future__ import annotations

import json
import re
import sys
from importlib import resources

import pyarrow as pa

TABLE_FILE = "arrow_usd_types.json"


def read_table_file() -> dict:
    """The type table as stored (``scalars``, ``vector_elements``,
    ``vector_sizes``, ``rules``)."""
    return json.loads(resources.files("usdbench").joinpath(TABLE_FILE).read_text("utf-8"))


def _by_arrow_type(rows: list[dict]) -> dict[pa.DataType, str]:
    mapping = {}
    for row in rows:
        try:
            arrow_type = pa.type_for_alias(row["arrow"])
        except ValueError:
            continue  # a type this pyarrow lacks (string_view before 16) is never read
        mapping[arrow_type] = row["usd"]
    return mapping


_TABLE = read_table_file()
SCALARS = _by_arrow_type(_TABLE["scalars"])
VECTOR_ELEMENTS = _by_arrow_type(_TABLE["vector_elements"])
VECTOR_SIZES = frozenset(_TABLE["vector_sizes"])


def usd_type_name(arrow_type: pa.DataType) -> str | None:
    """The USD value type name (``double``, ``float3``, ``int[]``...) an Arrow
    column type maps to, or None if the loader does not support it."""
    t = undictionary(arrow_type)
    if t in SCALARS:
        return SCALARS[t]
    if pa.types.is_fixed_size_list(t):
        element = VECTOR_ELEMENTS.get(t.value_type)
        return f"{element}{t.list_size}" if element and t.list_size in VECTOR_SIZES else None
    if is_list_type(t):
        inner = undictionary(t.value_type)
        if is_list_type(inner):
            return None  # USD has no arrays of arrays
        element = usd_type_name(inner)
        return f"{element}[]" if element else None
    return None


def supported() -> str:
    """The table in one line, for error messages."""
    sizes = "/".join(str(n) for n in sorted(VECTOR_SIZES))
    return (
        f"{', '.join(str(t) for t in SCALARS)}, dictionaries of them, "
        f"fixed_size_list of {sizes} {'/'.join(str(t) for t in VECTOR_ELEMENTS)}, "
        "lists of those"
    )


def undictionary(t: pa.DataType) -> pa.DataType:
    """A dictionary type's value type (a dictionary maps as its values)."""
    return t.value_type if pa.types.is_dictionary(t) else t


def is_list_type(t: pa.DataType) -> bool:
    return pa.types.is_list(t) or pa.types.is_large_list(t)


def is_string_type(t: pa.DataType) -> bool:
    return SCALARS.get(undictionary(t)) == "string"


# -- declared USD types (Arrow field metadata) ---------------------------------------

METADATA = _TABLE["metadata"]
FIELD_TYPE_KEY = METADATA["field_type_key"]
LAYER_KEYS = tuple(METADATA["layer_keys"])
# Declared types with no Arrow counterpart, by the Arrow element they read.
_STRING_TYPES = ("token", "asset")
_NUMBER_TYPES = ("timecode",)
_FIXED_TYPES = {"matrix2d": 4, "matrix3d": 9, "matrix4d": 16, "quath": 4, "quatf": 4, "quatd": 4}
SPECIAL_TYPES = frozenset([*_STRING_TYPES, *_NUMBER_TYPES, *_FIXED_TYPES])


def declared_type(field: pa.Field) -> str | None:
    """The USD type name a column's Arrow field metadata declares, if any."""
    metadata = field.metadata or {}
    value = metadata.get(FIELD_TYPE_KEY.encode())
    return value.decode("utf-8", "replace") if value is not None else None


def _is_number(t: pa.DataType) -> bool:
    t = undictionary(t)
    return pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t)


def _special_fits(base: str, t: pa.DataType) -> bool:
    if base in _STRING_TYPES:
        return SCALARS.get(undictionary(t)) == "string"
    if base in _NUMBER_TYPES:
        return _is_number(t)
    t = undictionary(t)
    return (
        pa.types.is_fixed_size_list(t)
        and t.list_size == _FIXED_TYPES[base]
        and _is_number(t.value_type)
    )


def column_type_name(field: pa.Field) -> tuple[str | None, str]:
    """The USD type name a column reads as (its declared usd:typeName, else
    the table's mapping), or (None, why not)."""
    from pxr import Sdf

    mapped = usd_type_name(field.type)
    declared = declared_type(field)
    if declared is None:
        if mapped is None:
            return None, f"unsupported Arrow type {field.type} (supported: {supported()})"
        return mapped, ""
    name = Sdf.ValueTypeNames.Find(declared)
    if not name or str(name) != declared:
        return None, f"{FIELD_TYPE_KEY} {declared!r} is not a USD attribute type name"
    base = declared[:-2] if name.isArray else declared
    if base in SPECIAL_TYPES:
        t = undictionary(field.type)
        if name.isArray:
            fits = is_list_type(t) and _special_fits(base, t.value_type)
        else:
            fits = _special_fits(base, t)
        if fits:
            return declared, ""
        return None, (
            f"{FIELD_TYPE_KEY} {declared!r} does not fit Arrow type {field.type} (token and "
            "asset read strings, timecode numbers, matrixNd fixed_size_list<number>[N*N], "
            "quath/f/d fixed_size_list<number>[4], arrays lists of those)"
        )
    natural = Sdf.ValueTypeNames.Find(mapped) if mapped else None
    if natural and natural.type == name.type:
        return declared, ""
    if flat_vector_size(field) is not None:
        return declared, ""
    hint = f" (which reads as {mapped}; a declared type may only give it a role)" if natural else ""
    return None, f"{FIELD_TYPE_KEY} {declared!r} does not fit Arrow type {field.type}{hint}"


# Vector elements by GfVec's suffix, as the type table's element names.
_VEC_ELEMENTS = {"d": "double", "f": "float", "h": "half", "i": "int"}


def flat_vector_size(field: pa.Field) -> int | None:
    """k when the column is a flat ``list<number>`` whose declared type is an
    array of k-vectors of that number (``point3f[]`` over ``list<float>``:
    3 n values per row, read as n points); None otherwise."""
    from pxr import Sdf

    declared = declared_type(field)
    t = undictionary(field.type)
    if declared is None or not is_list_type(t):
        return None
    name = Sdf.ValueTypeNames.Find(declared)
    if not name or not name.isArray:
        return None
    match = re.fullmatch(r"GfVec([234])([dfhi])", name.scalarType.type.typeName)
    if match is None:
        return None
    if SCALARS.get(undictionary(t.value_type)) != _VEC_ELEMENTS[match.group(2)]:
        return None
    return int(match.group(1))


# Arrow's type expressions (dictionary<T>, fixed_size_list<E>[n]) go in code
# spans: a bare <T> reads as an HTML tag in markdown.
_ARROW_EXPRESSION = re.compile(r"(\b\w+<[^>]+>(?:\[\w+\])?)")
DOC_COMMAND = "python -m usdbench.parquet.type_table > docs/parquet-types.md"


def markdown_table(table: dict | None = None) -> str:
    """The type table as markdown: a row per scalar Arrow type, its USD type
    and, for a vector element, the vector types of each size."""
    table = read_table_file() if table is None else table
    elements = {row["arrow"]: row["usd"] for row in table["vector_elements"]}
    sizes = table["vector_sizes"]
    lines = [
        "| Arrow type | USD type | as the element `E` of `fixed_size_list<E>[n]`, "
        f"n = {', '.join(str(n) for n in sizes)} |",
        "|---|---|---|",
    ]
    for row in table["scalars"]:
        element = elements.get(row["arrow"])
        vectors = [f"`{element}{n}`" for n in sizes] if element else []
        cells = [f"`{row['arrow']}`", f"`{row['usd']}`", ", ".join(vectors)]
        lines.append("| " + " | ".join(cells).rstrip() + " |")
    return "\n".join(lines) + "\n"


def markdown_rules(table: dict | None = None) -> str:
    """The table's rules, how its rows combine, as a markdown list."""
    table = read_table_file() if table is None else table
    spans = [_ARROW_EXPRESSION.sub(r"`\g<1>`", rule) for rule in table["rules"]]
    return "".join(f"- {rule}\n" for rule in spans)


def markdown_document(table: dict | None = None) -> str:
    """docs/parquet-types.md: the table and the rules that combine its rows."""
    table = read_table_file() if table is None else table
    source = f"usdbench/{TABLE_FILE}"
    return (
        "# Parquet column types\n\n"
        f"<!-- Generated from {source}; regenerate with: {DOC_COMMAND} -->\n\n"
        "A property column's Arrow type (Arrow's own name, as `str()` of a pyarrow\n"
        "type gives it) becomes the USD attribute type below, in both Parquet readers\n"
        "(the native plugin and the Python loader). This page is generated from\n"
        f"[`{source}`](../{source}); edit that file, then run\n"
        f"`{DOC_COMMAND}`.\n\n"
        f"{markdown_table(table)}\n"
        "How the rows combine:\n\n"
        f"{markdown_rules(table)}\n"
        f"{markdown_metadata(table)}"
    )


def markdown_metadata(table: dict | None = None) -> str:
    """The optional Parquet metadata (declared USD types, layer metadata) as markdown."""
    table = read_table_file() if table is None else table
    meta = table["metadata"]
    key = meta["field_type_key"]
    lines = [
        "## Declared USD types and layer metadata\n",
        f"{meta['about']} A column's Arrow field metadata `{key}` declares its USD type:\n",
        f"| `{key}` | Arrow type |",
        "|---|---|",
    ]
    for row in meta["declared_types"]:
        arrow = _ARROW_EXPRESSION.sub(r"`\g<1>`", row["arrow"])
        lines.append(f"| {row['usd']} | {arrow} |")
    lines += ["", "The file's key-value metadata gives the layer's metadata:", ""]
    lines += ["| key | layer metadata |", "|---|---|"]
    lines += [f"| `{k}` | {v} |" for k, v in meta["layer_keys"].items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(markdown_document())
