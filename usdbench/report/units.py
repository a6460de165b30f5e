"""Human-readable figures: bytes in binary units, times in ns/µs/ms/s."""

from __future__ import annotations

import math

_BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB"]
_TIME_UNITS = [(1e-9, "ns"), (1e-6, "µs"), (1e-3, "ms"), (1.0, "s")]


def _three_digits(x: float) -> str:
    """Three significant digits, keeping trailing zeros (1.50, 15.0, 150)."""
    if x == 0:
        return "0"
    digits = max(0, 2 - int(math.floor(math.log10(abs(x)))))
    text = f"{x:.{digits}f}"
    # Rounding can carry into a new digit (999.6 -> "1000"): drop the decimals then.
    if len(text.lstrip("-").replace(".", "")) > 3 and "." in text:
        text = f"{x:.{max(0, digits - 1)}f}"
    return text


def byte_unit(n: float) -> tuple[str, float]:
    """The binary unit a figure of ``n`` bytes reads best in, and its size."""
    scale = 1.0
    for unit in _BYTE_UNITS:
        if abs(n) < scale * 1024 or unit == _BYTE_UNITS[-1]:
            return unit, scale
        scale *= 1024
    raise AssertionError("unreachable")


def time_unit(seconds: float) -> tuple[str, float]:
    """The unit a duration reads best in, and its size in seconds."""
    chosen = _TIME_UNITS[0]
    for size, unit in _TIME_UNITS:
        if abs(seconds) >= size:
            chosen = (size, unit)
    return chosen[1], chosen[0]


def format_bytes(n: float) -> str:
    """1536 -> '1.50 KiB'; whole bytes below 1 KiB -> '512 B'."""
    unit, scale = byte_unit(n)
    if unit == "B":
        text = f"{n:.0f}"
    else:
        text = _three_digits(n / scale)
    if abs(float(text)) >= 1024 and unit != _BYTE_UNITS[-1]:
        # 1048575 B is 1023.999 KiB: rounding says 1024, so it reads as 1.00 MiB.
        unit = _BYTE_UNITS[_BYTE_UNITS.index(unit) + 1]
        text = _three_digits(n / (scale * 1024))
    return f"{text} {unit}"


def format_seconds(seconds: float) -> str:
    """0.0123 -> '12.3 ms'."""
    if seconds == 0:
        return "0 s"
    unit, scale = time_unit(seconds)
    text = _three_digits(seconds / scale)
    if abs(float(text)) >= 1000 and unit != "s":
        # 0.9999 s rounds to 1000 ms: say 1.00 s.
        return format_seconds(math.copysign(scale * 1000, seconds))
    return f"{text} {unit}"


def format_value(value: float | None, unit: str) -> str:
    """A figure with its unit as a person reads it; asv's units are 'bytes' and 'seconds'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if unit == "bytes":
        return format_bytes(value)
    if unit == "seconds":
        return format_seconds(value)
    suffix = "" if unit in ("", "unit") else f" {unit}"
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{value:,.0f}{suffix}"
    return f"{value:.3g}{suffix}"


def exact_text(value: float, unit: str) -> str:
    """A figure in full, for a hover next to its rounded form: '12,884,901 B', '0.0123456 s'."""
    if unit == "bytes":
        return f"{value:,.0f} B"
    if unit == "seconds":
        return f"{value:.9g} s"
    return format_value(value, unit)


def count_text(v: float) -> str:
    """1000 -> '1k', 1000000 -> '1M', 250 -> '250'."""
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= size:
            return f"{v / size:g}{suffix}"
    return f"{v:g}"


def axis_unit(max_abs: float, unit: str) -> tuple[str, float]:
    """Unit label and divisor for a linear axis whose largest magnitude is ``max_abs``."""
    if unit == "bytes":
        return byte_unit(max_abs)
    if unit == "seconds":
        return time_unit(max_abs)
    return ("" if unit in ("", "unit") else unit), 1.0
