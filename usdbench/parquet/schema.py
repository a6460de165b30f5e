"""Checks of a property table's schema and paths, before any data is read.

The schema (the convention of the public C++ Parquet plugin): one row per
prim, a ``path`` column of absolute prim paths and one column per property,
named as the attribute, whose Arrow type gives the USD type (type_table).
"""

from __future__ import annotations

from collections import Counter

import pyarrow as pa
from pxr import Sdf

from usdbench.errors import UsdBenchError
from usdbench.parquet.type_table import column_type_name, is_string_type

PATH_COLUMN = "path"
# A table with this column is a time-series table: one row per (prim, time),
# its properties become time samples at that time code.
TIME_COLUMN = "time"
# Absolute prim paths of ASCII identifiers: checked in one vectorised pass;
# only rows that miss it (bad input, or UTF-8 names) are checked one by one.
SIMPLE_PRIM_PATH = r"^(/[A-Za-z_][A-Za-z0-9_]*)+$"


def property_names(schema: pa.Schema, columns, source: str) -> list[str]:
    """The property columns to load, checked (names, types) against the schema."""
    counts = Counter(schema.names)
    for name, count in counts.items():
        if count > 1:
            raise UsdBenchError(f"{count} columns have this name", file=source, column=name)
    if PATH_COLUMN not in counts:
        raise UsdBenchError(
            "no 'path' column: a property table needs one row per prim with its path",
            file=source,
            column=PATH_COLUMN,
        )
    if columns is None:
        # pandas stores a non-default index as extra columns: they are not properties.
        index = (schema.pandas_metadata or {}).get("index_columns", [])
        skip = {PATH_COLUMN, TIME_COLUMN, *(i for i in index if isinstance(i, str))}
        names = [n for n in schema.names if n not in skip]
    else:
        if isinstance(columns, str):
            raise UsdBenchError(f"columns must be a list of names, not the string {columns!r}")
        names = list(dict.fromkeys(c for c in columns if c not in (PATH_COLUMN, TIME_COLUMN)))
        for name in names:
            if name not in counts:
                raise UsdBenchError("no such column in the file", file=source, column=name)
    _check_path_type(schema.field(PATH_COLUMN).type, source)
    if TIME_COLUMN in counts:
        _check_time_type(schema.field(TIME_COLUMN).type, source)
    for name in names:
        _check_property(schema.field(name), source)
    return names


def checked_table(table: pa.Table, source: str) -> pa.Table:
    """An in-memory property table, checked like a Parquet file's schema:
    the ``path`` column, then its property columns."""
    if not isinstance(table, pa.Table):
        raise UsdBenchError(f"expected a pyarrow Table, got {type(table).__name__}", file=source)
    names = property_names(table.schema, None, source)
    return table.select([*key_columns(table.schema), *names])


def key_columns(schema: pa.Schema) -> list[str]:
    """``path``, and ``time`` in a time-series table."""
    return [PATH_COLUMN, TIME_COLUMN] if TIME_COLUMN in schema.names else [PATH_COLUMN]


def checked_prefix(path_prefix, source: str) -> str | None:
    """The prefix as a string, None for 'everything'."""
    if path_prefix is None:
        return None
    prefix = str(path_prefix)
    if prefix == "/":
        return None
    problem = path_problem(prefix)
    if problem:
        raise UsdBenchError(f"path_prefix: {problem}", file=source)
    return prefix


def path_problem(path) -> str | None:
    """Why ``path`` is not an absolute prim path, or None if it is one."""
    if path is None:
        return "null path"
    if path == "":
        return "empty path"
    valid = Sdf.Path.IsValidPathString(path)
    ok, why = valid if isinstance(valid, tuple) else (valid, "")
    if not ok:
        why = f" ({why.strip()})" if why.strip() else ""
        return f"{path!r} is not a valid USD path{why}"
    sdf_path = Sdf.Path(path)
    if not sdf_path.IsAbsolutePath():
        return f"{path!r} is a relative path; expected an absolute prim path like /World/Prim"
    if sdf_path.ContainsPrimVariantSelection():
        return f"{path!r} contains a variant selection; expected a plain prim path"
    if sdf_path.IsPropertyPath():
        return f"{path!r} is a property path; expected a prim path"
    if sdf_path == Sdf.Path.absoluteRootPath:
        return "'/' is the pseudo-root, which cannot carry properties"
    if not sdf_path.IsPrimPath():
        return f"{path!r} is not a prim path"
    if str(sdf_path) != path:
        return f"{path!r} is not in canonical form (USD reads it as {sdf_path})"
    return None


def _check_path_type(t: pa.DataType, source: str) -> None:
    if not is_string_type(t):
        raise UsdBenchError(
            f"the path column must hold strings, not Arrow type {t}",
            file=source,
            column=PATH_COLUMN,
        )


def _check_time_type(t: pa.DataType, source: str) -> None:
    t = t.value_type if pa.types.is_dictionary(t) else t
    if not (pa.types.is_floating(t) or pa.types.is_integer(t)):
        raise UsdBenchError(
            f"the time column must hold numbers (USD time codes), not Arrow type {t}",
            file=source,
            column=TIME_COLUMN,
        )


def _check_property(field: pa.Field, source: str) -> None:
    name = field.name
    if not Sdf.Path.IsValidNamespacedIdentifier(name):
        raise UsdBenchError(
            "not a valid USD property name (letters, digits and _, not starting with a "
            "digit; namespaces separated by ':')",
            file=source,
            column=name,
        )
    type_name, why = column_type_name(field)
    if type_name is None:
        raise UsdBenchError(why, file=source, column=name)
