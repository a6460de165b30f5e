"""Deterministic scenarios: a base scene of ``scale`` prims and the property
table that every format stores identically, in one of four families:

- ``props`` (the original): one row per prim, 20 scalar properties as defaults.
- ``series``: P prims x SERIES_SAMPLES time codes x 5 properties (doubles, an
  int, a bool) varying with time; a time-series table (``path``, ``time``, one
  column per property, one row per (prim, time)); a null is no sample.
- ``arrays``: P prims with ``points`` (point3f[], ARRAY_POINTS points),
  ``indices`` (int[], 3 x ARRAY_POINTS) and ``weights`` (double[],
  ARRAY_POINTS): each >= 2,048 bytes, so usdc keeps them zero-copy.
- ``sparse``: P prims x SPARSE_COLUMNS columns of mixed types, each prim
  carrying ~5% of them (column i with probability 0.1 (i + 0.5) / C); nulls
  for the rest (no opinion).

property_table gives every family's rows by path (then time); the Parquet
writer puts them in the family's PARQUET_ROW_ORDER first (parquet_table):
series frame-major, arrays in the scene's prim order, props and sparse by
path (measured: docs/measurements.md).

Everything here is vectorised (numpy / pyarrow compute): the 1M-prim scenario
must generate in seconds, and the same seed gives the same bytes everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from usdbench.errors import UsdBenchError

# Bumped whenever generated content changes: it is part of every cache key.
GENERATOR_VERSION = 1

FAMILIES = ("props", "series", "arrays", "sparse")
# series: samples per prim (time codes 0 .. T-1) and the properties.
SERIES_SAMPLES = 100
SERIES_TYPES: dict[str, pa.DataType] = {
    "temperature": pa.float64(),
    "pressure": pa.float64(),
    "velocity": pa.float64(),
    "count": pa.int32(),
    "is_active": pa.bool_(),
}
SERIES_PROPERTIES = tuple(SERIES_TYPES)
TIME_COLUMN = "time"
# arrays: elements per prim (points: float3 each; indices: 3 per point).
ARRAY_POINTS = 1_000
ARRAY_PROPERTIES = ("points", "indices", "weights")
ARRAY_USD_TYPES = {"points": "point3f[]", "indices": "int[]", "weights": "double[]"}
# Parquet row groups of the arrays family hold about this many bytes of values
# (the format's row count applies to the scalar families).
ARRAY_ROW_GROUP_BYTES = 8 * 2**20
# sparse: columns, typed double, int, bool, string in turn.
SPARSE_COLUMNS = 200
_SPARSE_KINDS = (("d", pa.float64()), ("i", pa.int32()), ("b", pa.bool_()), ("s", pa.string()))
SPARSE_TYPES: dict[str, pa.DataType] = {
    f"{_SPARSE_KINDS[i % 4][0]}{i:03d}": _SPARSE_KINDS[i % 4][1] for i in range(SPARSE_COLUMNS)
}
SPARSE_PROPERTIES = tuple(SPARSE_TYPES)
# A rare column (carried by ~1% of the prims), read on every prim by a workload.
SPARSE_RARE = SPARSE_PROPERTIES[SPARSE_COLUMNS // 10]

# Row orders a family's Parquet table can be written in: by path (then time),
# frame-major (by time, then path: usdc packs samples so), or the base scene's
# prim order (then time), the order a traversal visits the prims in.
PARQUET_ROW_ORDERS = ("path", "frame", "scene")
# The order the suite's Parquet writer uses per family (chosen by measurement:
# docs/measurements.md, "Scenario families: the Parquet row order"): series
# frame-major (a frame decodes its own rows only), arrays in scene order (a
# traversal then decodes each block once; by path it cycled through the cache).
PARQUET_ROW_ORDER = {"props": "path", "series": "frame", "arrays": "scene", "sparse": "path"}

SCALES = (1_000, 10_000, 100_000, 1_000_000)
HIERARCHIES = ("flat", "deep")

# Deep hierarchy: /World/Zone_a/Level_b/Room_c/Component_d, FANOUT children per
# level below the zones; zones grow with the scale.
DEEP_FANOUT = 10

DOUBLE_PROPERTIES = (
    "cost",
    "carbon_A1",
    "carbon_A2",
    "carbon_A3",
    "carbon_A4",
    "carbon_A5",
    "weight",
    "temperature",
    "pressure",
    "velocity_x",
    "velocity_y",
    "velocity_z",
    "stress",
    "strain",
    "efficiency",
)
PROPERTY_TYPES: dict[str, pa.DataType] = {
    **{name: pa.float64() for name in DOUBLE_PROPERTIES},
    "lifespan": pa.int32(),
    "is_active": pa.bool_(),
    "supplier_id": pa.string(),
    "material_code": pa.string(),
    "install_date": pa.string(),
}
PROPERTIES = tuple(PROPERTY_TYPES)
# The "six properties" workloads read these: several types, cheap and string.
SIX_PROPERTIES = ("cost", "carbon_A1", "weight", "temperature", "is_active", "supplier_id")

# Value ranges (low, high) of the double properties; realistic magnitudes so
# the text forms have typical lengths.
_DOUBLE_RANGES = {
    "cost": (10.0, 10_000.0),
    "weight": (0.1, 5_000.0),
    "temperature": (-40.0, 120.0),
    "pressure": (90.0, 110.0),
    "stress": (0.0, 400.0),
    "strain": (0.0, 0.01),
    "efficiency": (0.0, 1.0),
}
# Material codes include characters every text writer must escape.
MATERIAL_CODES = (
    "MAT-STEEL-S355",
    "MAT-ALU-6061",
    "Concrete C30/37",
    'Timber "GL24h"',
    "Glass\\Float 8mm",
    "Béton C25",
    "MAT-COPPER",
    "MAT-PVC",
)
# The base scene's own (weaker) opinion on every prim: the property layer must win.
BASE_COST = -1.0


@dataclass(frozen=True)
class Scenario:
    """A scene of ``scale`` property-carrying prims in a ``hierarchy``."""

    scale: int
    hierarchy: str = "flat"
    seed: int = 0
    family: str = "props"

    def __post_init__(self) -> None:
        if isinstance(self.scale, bool) or not isinstance(self.scale, (int, np.integer)):
            raise UsdBenchError(f"scenario scale must be an integer, got {self.scale!r}")
        if self.scale <= 0:
            raise UsdBenchError(f"scenario scale must be at least 1, got {self.scale}")
        if self.hierarchy not in HIERARCHIES:
            raise UsdBenchError(
                f"unknown hierarchy {self.hierarchy!r}: expected one of {', '.join(HIERARCHIES)}"
            )
        if self.family not in FAMILIES:
            raise UsdBenchError(
                f"unknown family {self.family!r}: expected one of {', '.join(FAMILIES)}"
            )

    @property
    def key(self) -> str:
        """Stable name of this scenario in caches and file names (the props
        family keeps its original key, so its cached files stay valid; a
        family whose Parquet rows are not by path names its row order, so
        files of another order are never taken for its; arrays name their
        uncompressed list pages)."""
        key = f"{self.hierarchy}-{self.scale}-seed{self.seed}"
        if self.family == "props":
            return key
        order = PARQUET_ROW_ORDER[self.family]
        key = f"{self.family}-{key}" + ("" if order == "path" else f"-rows-{order}")
        # Array columns written uncompressed (writers.plain_list_columns):
        # files of compressed arrays are never taken for these.
        return key + ("-lists-plain" if self.family == "arrays" else "")

    @property
    def properties(self) -> tuple[str, ...]:
        """The property names of this scenario's family."""
        return {
            "props": PROPERTIES,
            "series": SERIES_PROPERTIES,
            "arrays": ARRAY_PROPERTIES,
            "sparse": SPARSE_PROPERTIES,
        }[self.family]

    def row_group_rows(self, rows: int) -> int:
        """Rows per Parquet row group for a format's option of ``rows``:
        props and sparse take it as is; series counts it in prims (each
        SERIES_SAMPLES rows); arrays size their groups by bytes
        (ARRAY_ROW_GROUP_BYTES), not rows."""
        if self.family == "series":
            return rows * SERIES_SAMPLES
        if self.family == "arrays":
            row_bytes = ARRAY_POINTS * (12 + 3 * 4 + 8)
            return max(1, ARRAY_ROW_GROUP_BYTES // row_bytes)
        return rows

    # -- prim paths -------------------------------------------------------

    def prim_paths(self) -> pa.Array:
        """Paths of the property-carrying prims, in creation (index) order."""
        index = np.arange(self.scale, dtype=np.int64)
        if self.hierarchy == "flat":
            return _join("/World/Prim_", index)
        digits = _deep_digits(index)
        return pc.binary_join_element_wise(
            _join("/World/Zone_", digits[0]),
            _join("Level_", digits[1]),
            _join("Room_", digits[2]),
            _join("Component_", digits[3]),
            "/",
        )

    def sorted_prim_paths(self) -> pa.Array:
        """The same paths in byte order: the row order of every property table."""
        paths = self.prim_paths()
        return paths.take(pc.sort_indices(paths))

    # -- property table ---------------------------------------------------

    def property_table(self) -> pa.Table:
        """The family's table (see the module's doc), sorted by path."""
        if self.family == "series":
            return self._series_table()
        if self.family == "arrays":
            return self._arrays_table()
        if self.family == "sparse":
            return self._sparse_table()
        return self._props_table()

    def parquet_table(self, table: pa.Table, order: str | None = None) -> pa.Table:
        """``table`` (property_table's, by path) in the Parquet writer's row
        order: ``order``, by default the family's PARQUET_ROW_ORDER."""
        order = order or PARQUET_ROW_ORDER[self.family]
        if order not in PARQUET_ROW_ORDERS:
            raise UsdBenchError(
                f"unknown row order {order!r}: expected one of {', '.join(PARQUET_ROW_ORDERS)}"
            )
        series = TIME_COLUMN in table.column_names
        if order == "path":
            return table
        if order == "frame":
            if not series:
                raise UsdBenchError(f"row order 'frame' needs a time column ({self.family} family)")
            keys = [(TIME_COLUMN, "ascending"), ("path", "ascending")]
            return table.take(pc.sort_indices(table, keys))
        # The prim's index in the scene (prim_paths' order) as the sort key.
        scene = pc.index_in(table["path"], value_set=self.prim_paths())
        keyed = pa.table({"scene": scene, **({TIME_COLUMN: table[TIME_COLUMN]} if series else {})})
        keys = [("scene", "ascending")] + ([(TIME_COLUMN, "ascending")] if series else [])
        return table.take(pc.sort_indices(keyed, keys))

    def _rng(self) -> np.random.Generator:
        salt = FAMILIES.index(self.family)
        seed = [self.seed, GENERATOR_VERSION, self.scale] + ([salt] if salt else [])
        return np.random.default_rng(seed)

    def _sorted(self, table: pa.Table) -> pa.Table:
        return table.take(pc.sort_indices(table["path"]))

    def _series_table(self) -> pa.Table:
        """One row per (prim, time), by path then time. Each prim's values
        follow a smooth curve (its phase and level random), so the values
        change at every sample; ``count`` and ``is_active`` step."""
        rng = self._rng()
        n, t = self.scale, SERIES_SAMPLES
        paths = self._sorted(pa.table({"path": self.prim_paths()}))["path"].combine_chunks()
        times = np.tile(np.arange(t, dtype=np.float64), n)
        level = np.repeat(rng.uniform(-40.0, 120.0, n), t)
        phase = np.repeat(rng.uniform(0.0, 2 * np.pi, n), t)
        wave = np.sin(times / 7.0 + phase)
        noise = rng.normal(0.0, 0.5, n * t)
        columns = {
            "path": paths.take(pa.array(np.repeat(np.arange(n), t))),
            TIME_COLUMN: pa.array(times),
            "temperature": pa.array(level + 10.0 * wave + noise),
            "pressure": pa.array(100.0 + 5.0 * np.cos(times / 11.0 + phase) + noise / 10),
            "velocity": pa.array(wave * np.repeat(rng.uniform(0.1, 30.0, n), t)),
            "count": pa.array(
                (times // 10).astype(np.int32)
                + np.repeat(rng.integers(0, 1000, n, dtype=np.int32), t)
            ),
            "is_active": pa.array(wave > -0.5),
        }
        schema = pa.schema(
            [("path", pa.string()), (TIME_COLUMN, pa.float64())] + list(SERIES_TYPES.items())
        )
        return pa.table(columns).cast(schema)

    def _arrays_table(self) -> pa.Table:
        """points (a flat list<float> of 3 x ARRAY_POINTS values declared
        point3f[]: read ~7% faster by the native reader than
        list<fixed_size_list<float>[3]> at 10k prims, same size), indices
        (int[]) and weights (double[]), per prim."""
        rng = self._rng()
        n, k = self.scale, ARRAY_POINTS
        points = rng.uniform(-100.0, 100.0, n * k * 3).astype(np.float32)
        indices = rng.integers(0, k, n * k * 3, dtype=np.int32)
        weights = rng.uniform(0.0, 1.0, n * k)

        def lists(values, per_row, item=None):
            offsets = pa.array(np.arange(0, n * per_row + 1, per_row, dtype=np.int32))
            return pa.ListArray.from_arrays(offsets, values if item is None else item)

        table = pa.table(
            {
                "path": self.prim_paths(),
                "points": lists(pa.array(points), 3 * k),
                "indices": lists(pa.array(indices), 3 * k),
                "weights": lists(pa.array(weights), k),
            }
        )
        from usdbench.writers import with_usd_metadata

        return with_usd_metadata(self._sorted(table), {"points": ARRAY_USD_TYPES["points"]})

    def _sparse_table(self) -> pa.Table:
        """SPARSE_COLUMNS columns, column i carried by each prim with
        probability 0.1 (i + 0.5) / C (5% on average); the rest null."""
        rng = self._rng()
        n, c = self.scale, SPARSE_COLUMNS
        columns: dict[str, pa.Array] = {"path": self.prim_paths()}
        for i, (name, kind) in enumerate(SPARSE_TYPES.items()):
            absent = rng.random(n) >= 0.1 * (i + 0.5) / c
            if kind == pa.float64():
                values = pa.array(rng.uniform(-1000.0, 1000.0, n), mask=absent)
            elif kind == pa.int32():
                values = pa.array(rng.integers(-50_000, 50_000, n, dtype=np.int32), mask=absent)
            elif kind == pa.bool_():
                values = pa.array(rng.random(n) < 0.5, mask=absent)
            else:
                text = _join(f"V{i}-", rng.integers(0, 100_000, n))
                values = pc.if_else(pa.array(absent), pa.scalar(None, pa.string()), text)
            columns[name] = values
        return self._sorted(pa.table(columns))

    def _props_table(self) -> pa.Table:
        """``path`` plus the 20 properties, one row per prim, sorted by path.

        Values depend only on the seed and the prim's index, so a prim keeps
        its values whatever the row order.
        """
        rng = np.random.default_rng([self.seed, GENERATOR_VERSION, self.scale])
        n = self.scale
        columns: dict[str, pa.Array] = {"path": self.prim_paths()}
        for name in DOUBLE_PROPERTIES:
            low, high = _DOUBLE_RANGES.get(name, (-10.0, 10.0) if "velocity" in name else (0, 500))
            columns[name] = pa.array(rng.uniform(low, high, n))
        columns["lifespan"] = pa.array(rng.integers(1, 101, n, dtype=np.int32))
        columns["is_active"] = pa.array(rng.random(n) < 0.8)
        columns["supplier_id"] = _join("SUP-", rng.integers(0, 1000, n), width=5)
        codes = pa.array(MATERIAL_CODES, pa.string())
        columns["material_code"] = codes.take(pa.array(rng.integers(0, len(MATERIAL_CODES), n)))
        days = np.datetime64("2000-01-01") + rng.integers(0, 9000, n).astype("timedelta64[D]")
        columns["install_date"] = pa.array(days.astype(str))
        table = pa.table(columns)
        table = table.cast(pa.schema([("path", pa.string())] + list(PROPERTY_TYPES.items())))
        return table.take(pc.sort_indices(table["path"]))

    # -- base scene -------------------------------------------------------

    def base_layer_text(self) -> str:
        """usda text of the base scene: ``def Xform`` prims, each with the weak
        opinion ``double cost = BASE_COST``."""
        head = '#usda 1.0\n(\n    defaultPrim = "World"\n)\n\ndef Xform "World"\n{\n'
        if self.hierarchy == "flat":
            names = _join('    def Xform "Prim_', np.arange(self.scale, dtype=np.int64))
            closing = '"' + _leaf_block("    ")
            return head + concat(pc.binary_join_element_wise(names, closing, "")) + "}\n"
        return head + _deep_base_body(self.scale) + "}\n"


def concat(strings: pa.Array) -> str:
    """All values of a string array as one str, straight from its data buffer."""
    strings = strings.combine_chunks() if isinstance(strings, pa.ChunkedArray) else strings
    if len(strings) == 0:
        return ""
    offsets = np.frombuffer(strings.buffers()[1], np.int32, len(strings) + 1, strings.offset * 4)
    data = strings.buffers()[2]
    return data.to_pybytes()[offsets[0] : offsets[-1]].decode("utf-8")


def _leaf_block(indent: str) -> str:
    return f"\n{indent}{{\n{indent}    double cost = {BASE_COST:g}\n{indent}}}\n"


def _join(prefix: str, numbers, width: int = 0) -> pa.Array:
    text = pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string())
    if width:
        text = pc.utf8_lpad(text, width, "0")
    return pc.binary_join_element_wise(prefix, text, "")


def _deep_digits(index: np.ndarray) -> list[np.ndarray]:
    f = DEEP_FANOUT
    return [index // f**3, (index // f**2) % f, (index // f) % f, index % f]


def _deep_base_body(scale: int) -> str:
    """Nested Zone/Level/Room blocks around the Component leaves. One Python
    step per Room (a tenth of the prims), the leaves vectorised per Room."""
    f = DEEP_FANOUT
    parts: list[str] = []
    components = [
        f'                def Xform "Component_{d}"' + _leaf_block("                ")
        for d in range(f)
    ]
    for start in range(0, scale, f):
        a, b, c, _ = (int(x) for x in _deep_digits(np.array(start)))
        if start % f**3 == 0:
            if start:
                parts.append("        }\n    }\n")
            parts.append(f'    def Xform "Zone_{a}"\n    {{\n')
        if start % f**2 == 0:
            if start % f**3:
                parts.append("        }\n")
            parts.append(f'        def Xform "Level_{b}"\n        {{\n')
        parts.append(f'            def Xform "Room_{c}"\n            {{\n')
        parts.extend(components[: min(f, scale - start)])
        parts.append("            }\n")
    parts.append("        }\n    }\n")
    return "".join(parts)
