"""The formats a property layer is stored in, with their options and file names.

A Parquet format also names its reader, because that is what people who keep
data in Parquet choose between: ``parquet-native-...`` is read by the C++
file format plugin (usdbench.native, USD opens the file itself, lazily),
``parquet-python-...`` by the Python loader (usdbench.parquet, the table
rendered to usda text and parsed). Both read the same file.
"""

from __future__ import annotations

from dataclasses import dataclass

from usdbench.errors import UsdBenchError

PARQUET_COMPRESSIONS = ("none", "snappy", "zstd")
PARQUET_ROW_GROUP_SIZES = (100, 1_000, 10_000)
PARQUET_READERS = ("native", "python")


@dataclass(frozen=True)
class Format:
    name: str
    extension: str
    compression: str | None = None
    row_group_size: int | None = None
    reader: str | None = None  # Parquet: "native" (C++ plugin) or "python" (loader)

    @property
    def is_parquet(self) -> bool:
        return self.extension == "parquet"

    @property
    def family(self) -> str:
        """What reads the property layer: usda, usdc, usdz, parquet-native or
        parquet-python (the memory guard's unit)."""
        return f"parquet-{self.reader}" if self.is_parquet else self.extension

    @property
    def props_filename(self) -> str:
        # One file per storage option, whichever reader reads it.
        if self.is_parquet:
            return f"props-{self.compression}-rg{self.row_group_size}.parquet"
        return f"props.{self.extension}"

    @property
    def root_filename(self) -> str:
        return f"root-{self.name}.usda"


def _all_formats() -> dict[str, Format]:
    formats = [Format(ext, ext) for ext in ("usda", "usdc", "usdz")]
    formats += [
        Format(f"parquet-{reader}-{c}-rg{rg}", "parquet", c, rg, reader)
        for reader in PARQUET_READERS
        for c in PARQUET_COMPRESSIONS
        for rg in PARQUET_ROW_GROUP_SIZES
    ]
    return {f.name: f for f in formats}


# Stable order used everywhere (benchmark params, reports): USD formats, then
# Parquet by reader, compression, then row-group size.
FORMATS = _all_formats()
FORMAT_NAMES = tuple(FORMATS)


def get_format(name: str) -> Format:
    try:
        return FORMATS[name]
    except KeyError:
        raise UsdBenchError(
            f"unknown format {name!r}: expected one of {', '.join(FORMAT_NAMES)}"
        ) from None
