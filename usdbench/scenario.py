"""Deterministic scenarios: a base scene of ``scale`` prims and the property
table (one row per prim, 20 properties) that every format stores identically.

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

    def __post_init__(self) -> None:
        if isinstance(self.scale, bool) or not isinstance(self.scale, (int, np.integer)):
            raise UsdBenchError(f"scenario scale must be an integer, got {self.scale!r}")
        if self.scale <= 0:
            raise UsdBenchError(f"scenario scale must be at least 1, got {self.scale}")
        if self.hierarchy not in HIERARCHIES:
            raise UsdBenchError(
                f"unknown hierarchy {self.hierarchy!r}: expected one of {', '.join(HIERARCHIES)}"
            )

    @property
    def key(self) -> str:
        """Stable name of this scenario in caches and file names."""
        return f"{self.hierarchy}-{self.scale}-seed{self.seed}"

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
