"""Benchmark profiles, chosen with the environment variable USDBENCH_PROFILE:
which formats, scales and hierarchies the asv suite covers, and how many
fresh-process samples a cold timing takes."""

from __future__ import annotations

import os
from collections.abc import Iterator

from usdbench.errors import UsdBenchError
from usdbench.formats import FORMAT_NAMES
from usdbench.scenario import Scenario

ENV = "USDBENCH_PROFILE"
DEFAULT = "default"

PROFILES = {
    # A smoke run for CI: every benchmark once, on the smallest scene. Reads
    # on a loaded stage still take 3 memory samples (a few seconds at 1k
    # prims): one sample of them is page noise (0 to ~100 KiB) that
    # `asv continuous` would report as a change.
    "quick": {
        "formats": ["usda", "usdc", "usdz", "parquet-zstd-rg1000"],
        "scales": [1_000],
        "heavy_scales": [1_000],
        "hierarchies": ["flat"],
        "rounds": 1,
        "read_samples": 3,
    },
    "default": {
        "formats": [
            "usda",
            "usdc",
            "usdz",
            "parquet-none-rg1000",
            "parquet-snappy-rg1000",
            "parquet-zstd-rg1000",
        ],
        "scales": [1_000, 10_000, 100_000],
        "heavy_scales": [1_000, 10_000],
        "hierarchies": ["flat"],
        "rounds": 3,
        "read_samples": 3,
    },
    "full": {
        "formats": list(FORMAT_NAMES),
        "scales": [1_000, 10_000, 100_000, 1_000_000],
        # Heavy benchmarks stop at 100k: at 1M every sample loads a stage for
        # 40-95 s (measured), and they take ~100 samples per combination.
        "heavy_scales": [1_000, 10_000, 100_000],
        "hierarchies": ["flat", "deep"],
        "rounds": 3,
        "read_samples": 3,
    },
}


def current() -> dict:
    name = os.environ.get(ENV, DEFAULT)
    try:
        return PROFILES[name]
    except KeyError:
        raise UsdBenchError(f"{ENV}={name!r}: expected one of {', '.join(PROFILES)}") from None


def scenarios(profile: dict) -> Iterator[tuple[Scenario, list[str]]]:
    """Every scenario the profile benchmarks, with its formats."""
    for hierarchy in profile["hierarchies"]:
        for scale in sorted(set(profile["scales"]) | set(profile["heavy_scales"])):
            yield Scenario(scale, hierarchy), list(profile["formats"])
