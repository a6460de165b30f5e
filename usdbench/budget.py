"""Expected resident memory of a workload, so a benchmark can skip a
combination that would not fit instead of taking the machine down.

The expected peak is bytes per prim x prims, by format family: the peak RSS
of load + reading all 20 properties of every prim (the heaviest workload),
measured at 100k flat prims in fresh processes and rounded up: by ~10-20%,
more for the native Parquet reader (docs/measurements.md, "The memory
guard", has the measurements and their dates). A combination fits when
that is at most HEADROOM of the memory available now.
"""

from __future__ import annotations

from usdbench.formats import get_format

# Peak bytes per prim of the heaviest workload, by property-layer format family
# (usdz holds the same usdc layer). usd-core 26.8, see docs/measurements.md.
# usdc/usdz are the measured ~14,300-14,500 without rounding up: rounded, the
# 1M flat usdc scenario (a real ~14.3 GiB peak, which these 23 GiB machines
# hold) would be skipped by HEADROOM and the full profile would lose it.
PEAK_BYTES_PER_PRIM = {
    "usda": 7_000,
    "usdc": 14_500,
    "usdz": 14_500,
    "parquet-python": 8_000,
    "parquet-native": 4_000,
}
# The scenario families beside props, per prim against props' 20 values: not
# measured yet, generous guesses (series: 100 samples x 5 properties; arrays:
# ~32 KB of values per prim; sparse: ~10 values, but 200 columns' specs in text).
FAMILY_FACTOR = {"props": 1.0, "series": 12.0, "arrays": 12.0, "sparse": 2.0}
# A deep hierarchy adds ~11% intermediate prims and longer paths.
DEEP_FACTOR = 1.3
# Fraction of the available memory a single benchmark may expect to use.
HEADROOM = 0.6


def expected_peak_bytes(
    format_name: str, scale: int, hierarchy: str = "flat", family: str = "props"
) -> int:
    fmt = get_format(format_name)
    factor = (DEEP_FACTOR if hierarchy == "deep" else 1.0) * FAMILY_FACTOR[family]
    return int(PEAK_BYTES_PER_PRIM[fmt.family] * scale * factor)


def available_bytes() -> int | None:
    """Memory the system can still hand out, or None where unknown."""
    try:
        import psutil
    except ImportError:
        psutil = None
    if psutil is not None:
        return int(psutil.virtual_memory().available)
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def fits(
    format_name: str, scale: int, hierarchy: str = "flat", family: str = "props"
) -> tuple[bool, str]:
    """Whether the combination is expected to fit, and a reason to show if not."""
    label = "" if family == "props" else f" ({family})"
    return fits_bytes(
        expected_peak_bytes(format_name, scale, hierarchy, family),
        f"{format_name} at {scale} {hierarchy} prims{label}",
    )


def fits_bytes(need: int, what: str) -> tuple[bool, str]:
    """Whether ``need`` bytes of peak fit now, and a reason naming ``what`` if not."""
    have = available_bytes()
    if have is None or need <= have * HEADROOM:
        return True, ""
    return False, (
        f"{what} expects ~{need / 2**30:.1f} GiB peak, "
        f"more than {HEADROOM:.0%} of the {have / 2**30:.1f} GiB available"
    )


# A user's stage (USDBENCH_DATA, `usdbench measure`): its prims cost what the
# suite's cost, and its values (arrays of meshes, time samples) what they
# take as usda text, at most, once read.
def expected_user_peak_bytes(family: str, prims: int, usda_bytes: int) -> int:
    return int(PEAK_BYTES_PER_PRIM[family] * prims + usda_bytes)
