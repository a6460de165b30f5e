"""Stable order and colour of the storage formats, the same in every chart."""

from __future__ import annotations

from collections.abc import Iterable

from usdbench.formats import FORMAT_NAMES

# The suite's own order: usda, usdc, usdz, then Parquet by reader, compression, row group.
KNOWN_FORMATS = list(FORMAT_NAMES)

# One hue per family, darker for larger Parquet row groups; the Python
# loader's Parquet in lighter, cooler tones than the native reader's. A
# format missing here gets a spare colour.
_KNOWN_COLOURS = {
    "usda": "#d62728",
    "usdc": "#1f77b4",
    "usdz": "#9467bd",
    "parquet-native-none-rg100": "#a1d99b",
    "parquet-native-none-rg1000": "#41ab5d",
    "parquet-native-none-rg10000": "#006d2c",
    "parquet-native-snappy-rg100": "#fdae6b",
    "parquet-native-snappy-rg1000": "#f16913",
    "parquet-native-snappy-rg10000": "#a63603",
    "parquet-native-zstd-rg100": "#bdbdbd",
    "parquet-native-zstd-rg1000": "#737373",
    "parquet-native-zstd-rg10000": "#252525",
    "parquet-python-none-rg1000": "#9ecae1",
    "parquet-python-none-rg10000": "#4292c6",
    "parquet-python-snappy-rg1000": "#c994c7",
    "parquet-python-snappy-rg10000": "#ce1256",
    "parquet-python-zstd-rg1000": "#17a589",
    "parquet-python-zstd-rg10000": "#8c6d31",
}
# For formats the suite may add later; handed out in their sorted order.
_SPARE_COLOURS = ["#17becf", "#e377c2", "#bcbd22", "#8c564b", "#7b4173", "#3182bd", "#e6550d"]
# Benchmarks without a format parameter are drawn as one series of this colour.
NO_FORMAT_COLOUR = "#4a6fa5"


def format_sort_key(fmt: str) -> tuple[int, str]:
    """Known formats in their fixed order, then the others alphabetically."""
    try:
        return (KNOWN_FORMATS.index(fmt), "")
    except ValueError:
        return (len(KNOWN_FORMATS), fmt)


def ordered_formats(formats: Iterable[str]) -> list[str]:
    return sorted(set(formats), key=format_sort_key)


def format_colours(formats: Iterable[str]) -> dict[str, str]:
    """A colour for each format: fixed for known ones, stable within one report for others."""
    colours = {}
    spare = 0
    for fmt in ordered_formats(formats):
        if fmt in _KNOWN_COLOURS:
            colours[fmt] = _KNOWN_COLOURS[fmt]
        else:
            colours[fmt] = _SPARE_COLOURS[spare % len(_SPARE_COLOURS)]
            spare += 1
    return colours
