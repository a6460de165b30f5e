"""USD attribute values as Arrow columns: which Arrow type (and declared
``usd:typeName``) holds a USD type, by the project's type table, and the
values of one column as an Arrow array.

A USD type is holdable when the type table reads the column back as exactly
that type (``column_type_name``), so the table decides, never a list kept
here: what it cannot hold stays in USD."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from pxr import Sdf

from usdbench.parquet.type_table import FIELD_TYPE_KEY, column_type_name

_NUMBERS = {
    "double": pa.float64(),
    "float": pa.float32(),
    "half": pa.float16(),
    "int": pa.int32(),
    "int64": pa.int64(),
    "uchar": pa.uint8(),
    "uint": pa.uint32(),
    "uint64": pa.uint64(),
    "bool": pa.bool_(),
    "timecode": pa.float64(),
}
_STRINGS = ("string", "token", "asset")
# GfVec element suffix -> number type name.
_VEC_ELEMENT = {"d": "double", "f": "float", "h": "half", "i": "int"}
_MATRIX_SIZE = {"GfMatrix2d": 2, "GfMatrix3d": 3, "GfMatrix4d": 4}
_QUAT_ELEMENT = {"GfQuath": "half", "GfQuatf": "float", "GfQuatd": "double"}
# Bytes of one number of each kind, for the report's byte counts.
NUMBER_BYTES = {"double": 8, "float": 4, "half": 2, "int": 4, "int64": 8, "uchar": 1}
NUMBER_BYTES |= {"uint": 4, "uint64": 8, "bool": 1, "timecode": 8}


@dataclass(frozen=True)
class ColumnType:
    """How one USD type is held: its Arrow type, the ``usd:typeName`` declared
    (None when the Arrow type alone reads back as the USD type), and the
    shape of one value: ``kind`` (number, string, asset, vector, matrix,
    quat), ``width`` (numbers per element) and whether it is an array."""

    type_name: str
    arrow: pa.DataType
    declared: str | None
    kind: str
    element: str  # the number type name of the elements ("" for strings)
    width: int
    is_array: bool

    def field(self, name: str, arrow: pa.DataType | None = None) -> pa.Field:
        """The column's field (``arrow``: the array's own type, a large_list
        where a column's arrays pass 2**31 elements)."""
        metadata = {FIELD_TYPE_KEY: self.declared} if self.declared else None
        return pa.field(name, arrow or self.arrow, metadata=metadata)


def _shape(value_type: Sdf.ValueTypeName) -> tuple[str, str, int] | None:
    """(kind, element, width) of a scalar USD type, or None."""
    base = str(value_type.scalarType)
    cpp = value_type.scalarType.type.typeName
    if base in _STRINGS:
        return ("asset" if base == "asset" else "string"), "", 1
    if cpp in _MATRIX_SIZE:
        n = _MATRIX_SIZE[cpp]
        return "matrix", "double", n * n
    if cpp in _QUAT_ELEMENT:
        return "quat", _QUAT_ELEMENT[cpp], 4
    if cpp.startswith("GfVec") and len(cpp) == 7 and cpp[6] in _VEC_ELEMENT:
        return "vector", _VEC_ELEMENT[cpp[6]], int(cpp[5])
    for name in _NUMBERS:
        if Sdf.ValueTypeNames.Find(name).type == value_type.scalarType.type:
            return "number", name, 1
    return None


@functools.cache
def column_type(type_name: str) -> tuple[ColumnType | None, str]:
    """How a table holds values of USD type ``type_name``, or (None, why not)."""
    value_type = Sdf.ValueTypeNames.Find(type_name)
    if not value_type:
        return None, f"{type_name!r} is not a USD value type"
    shape = _shape(value_type)
    if shape is None:
        return None, f"no Parquet column type holds {type_name} values"
    kind, element, width = shape
    if kind in ("string", "asset"):
        scalar = pa.string()
    elif kind == "number":
        scalar = _NUMBERS[element]
    elif kind == "vector" and value_type.isArray:
        scalar = _NUMBERS[element]  # point3f[] as a flat list<float> of 3n (issue 23)
    else:
        scalar = pa.list_(_NUMBERS[element], width)
    arrow = pa.list_(scalar) if value_type.isArray else scalar
    for declared in (None, type_name):
        candidate = ColumnType(
            type_name, arrow, declared, kind, element, width, bool(value_type.isArray)
        )
        read_as, _ = column_type_name(candidate.field("x"))
        if read_as == type_name:
            return candidate, ""
    return None, f"the type table reads no Arrow column back as {type_name}"


def value_bytes(type_name: str, value) -> int:
    """The bytes of one value's data (numbers by their size, text by its UTF-8
    length): the report's measure of what moved and what stayed."""
    value_type = Sdf.ValueTypeNames.Find(type_name)
    shape = _shape(value_type) if value_type else None
    if shape is None or value is None:
        return 0
    kind, element, width = shape
    if kind in ("string", "asset"):
        items = value if value_type.isArray else (value,)
        return sum(len(_text(kind, v).encode()) for v in items)
    count = len(value) if value_type.isArray else 1
    return count * width * NUMBER_BYTES[element]


def _text(kind: str, value) -> str:
    return value.path if kind == "asset" else str(value)


def _numbers(ctype: ColumnType, values: list) -> np.ndarray:
    """Every number of ``values`` (scalars or arrays of ctype) flattened, in
    the element's precision; quaternions as real, i, j, k."""
    dtype = _NUMBERS[ctype.element].to_pandas_dtype()
    if ctype.is_array:
        parts = [np.asarray(v).reshape(len(v), ctype.width) for v in values]
        flat = np.concatenate(parts) if parts else np.empty((0, ctype.width))
    elif ctype.kind == "quat":
        flat = np.array([(q.GetReal(), *q.GetImaginary()) for q in values], dtype=np.float64)
    elif ctype.kind in ("vector", "matrix"):
        flat = np.array([np.asarray(v, dtype=np.float64).reshape(-1) for v in values])
    else:
        flat = np.array([float(v) for v in values]) if ctype.element == "timecode" else None
        if flat is None:
            return np.array(values, dtype=dtype)
    if ctype.is_array and ctype.kind == "quat":
        flat = np.roll(flat, 1, axis=1)  # GfQuat's memory holds i, j, k, real
    return np.ascontiguousarray(flat, dtype=dtype).reshape(-1)


def to_arrow(ctype: ColumnType, values: list) -> pa.Array:
    """The Arrow array of ``values`` (each a USD value of ctype, none missing)."""
    if ctype.kind in ("string", "asset"):
        if not ctype.is_array:
            return pa.array([_text(ctype.kind, v) for v in values], pa.string())
        flat = [_text(ctype.kind, s) for v in values for s in v]
        items = pa.array(flat, pa.string())
    else:
        items = pa.array(_numbers(ctype, values))
        if ctype.kind != "number" and not (ctype.kind == "vector" and ctype.is_array):
            items = pa.FixedSizeListArray.from_arrays(items, ctype.width)
        if not ctype.is_array:
            return items
    per_item = ctype.width if ctype.kind == "vector" else 1
    lengths = np.fromiter((len(v) * per_item for v in values), np.int64, len(values))
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    if offsets[-1] >= 2**31:
        return pa.LargeListArray.from_arrays(pa.array(offsets), items)
    return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), items)
