"""Benchmark profiles: which formats, scales and hierarchies the asv suite
covers, and how many fresh-process samples a cold timing takes.

Code receives a Profile explicitly. Only at the edges is one chosen by name:
``python -m usdbench prepare --profile``, and asv's benchmark processes, which
learn it from the environment variable USDBENCH_PROFILE (``from_environment``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from usdbench.errors import UsdBenchError
from usdbench.formats import FORMAT_NAMES, get_format
from usdbench.scenario import HIERARCHIES, Scenario

ENV = "USDBENCH_PROFILE"
DEFAULT = "default"
# The asv parameters of every scenario benchmark, in the order of Profile.grid.
PARAM_NAMES = ("format", "scale", "hierarchy")
CHUNKS = ("module", "class")


@dataclass(frozen=True)
class Profile:
    name: str
    formats: tuple[str, ...]
    scales: tuple[int, ...]
    # Scales of the heavy benchmarks (every prim read, or a stage loaded for
    # each of several samples).
    heavy_scales: tuple[int, ...]
    hierarchies: tuple[str, ...]
    rounds: int  # fresh processes (one sample each) per cold timing
    read_samples: int  # memory samples per process of a read on a loaded stage
    # How .ci/suite splits `asv run` so that each part is saved when it ends:
    # one run per benchmark module, or per class for a profile of hours.
    chunk_by: str = "module"

    def __post_init__(self):
        for name in self.formats:
            get_format(name)  # an unknown format is an error naming it
        unknown = set(self.hierarchies) - set(HIERARCHIES)
        if unknown or self.chunk_by not in CHUNKS:
            raise UsdBenchError(
                f"profile {self.name!r}: hierarchies must be among {HIERARCHIES} and "
                f"chunk_by one of {CHUNKS}"
            )

    def grid(self, heavy: bool = False) -> list[list]:
        """asv params, in the order of PARAM_NAMES."""
        scales = self.heavy_scales if heavy else self.scales
        return [list(self.formats), list(scales), list(self.hierarchies)]

    def scenarios(self) -> Iterator[tuple[Scenario, list[str]]]:
        """Every scenario the profile benchmarks, with its formats."""
        for hierarchy in self.hierarchies:
            for scale in sorted(set(self.scales) | set(self.heavy_scales)):
                yield Scenario(scale, hierarchy), list(self.formats)


PROFILES = {
    p.name: p
    for p in (
        # A smoke run for CI: every benchmark once, on the smallest scene. Reads
        # on a loaded stage still take 3 memory samples (a few seconds at 1k
        # prims): one sample of them is page noise (0 to ~100 KiB) that
        # `asv continuous` would report as a change.
        Profile(
            "quick",
            formats=(
                "usda",
                "usdc",
                "usdz",
                "parquet-native-zstd-rg1000",
                "parquet-python-zstd-rg1000",
            ),
            scales=(1_000,),
            heavy_scales=(1_000,),
            hierarchies=("flat",),
            rounds=1,
            read_samples=3,
        ),
        Profile(
            "default",
            formats=(
                "usda",
                "usdc",
                "usdz",
                # The native reader with pyarrow's default compression and
                # the smallest files; the Python loader with the smallest.
                "parquet-native-snappy-rg1000",
                "parquet-native-zstd-rg1000",
                "parquet-python-zstd-rg1000",
            ),
            scales=(1_000, 10_000, 100_000),
            heavy_scales=(1_000, 10_000),
            hierarchies=("flat",),
            rounds=3,
            read_samples=3,
        ),
        Profile(
            "full",
            # Every native variant; the Python loader reads whole tables, so
            # the row group size changes little for it: rows of 1,000 only.
            formats=tuple(
                f
                for f in FORMAT_NAMES
                if not f.startswith("parquet-python") or f.endswith("-rg1000")
            ),
            scales=(1_000, 10_000, 100_000, 1_000_000),
            # Heavy benchmarks stop at 100k: at 1M every sample loads a stage for
            # about a minute (docs/measurements.md), and they take ~100 samples
            # per combination.
            heavy_scales=(1_000, 10_000, 100_000),
            hierarchies=("flat", "deep"),
            rounds=3,
            read_samples=3,
            chunk_by="class",
        ),
    )
}


def get(name: str) -> Profile:
    if name not in PROFILES:
        raise UsdBenchError(f"unknown profile {name!r}: {_choices()}")
    return PROFILES[name]


def from_environment(environ: Mapping[str, str] | None = None) -> Profile:
    """The profile $USDBENCH_PROFILE names; unset or empty: the default."""
    name = (os.environ if environ is None else environ).get(ENV) or DEFAULT
    if name not in PROFILES:
        raise UsdBenchError(f"{ENV}={name!r}: {_choices()}")
    return PROFILES[name]


def _choices() -> str:
    return f"expected one of {', '.join(PROFILES)}"
