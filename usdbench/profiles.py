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
from usdbench.scenario import FAMILIES, HIERARCHIES, Scenario

ENV = "USDBENCH_PROFILE"
DEFAULT = "default"
# The asv parameters of every scenario benchmark, in the order of Profile.grid.
PARAM_NAMES = ("format", "scale", "hierarchy")
CHUNKS = ("module", "class")


@dataclass(frozen=True)
class FamilyGrid:
    """A scenario family's scales in a profile (flat hierarchy; the family's
    formats are the profile's ``family_formats``)."""

    family: str
    scales: tuple[int, ...]
    heavy_scales: tuple[int, ...]


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
    # Processes a cold memory figure below 1 MiB is taken in (asv's and new
    # ones, memtrack's fresh_samples): asv compares such figures by the
    # spread between processes rather than by their ratio alone.
    small_figure_processes: int = 1
    # How .ci/suite splits `asv run` so that each part is saved when it ends:
    # one run per benchmark module, or per class for a profile of hours.
    chunk_by: str = "module"
    # The families beside props (series, arrays, sparse): each benchmarked
    # over these formats at its own scales (benchmarks/<family>.py).
    families: tuple[FamilyGrid, ...] = ()
    family_formats: tuple[str, ...] = ()

    def __post_init__(self):
        for name in self.formats + self.family_formats:
            get_format(name)  # an unknown format is an error naming it
        for grid in self.families:
            if grid.family not in FAMILIES or grid.family == "props":
                raise UsdBenchError(
                    f"profile {self.name!r}: family {grid.family!r} is not one of "
                    f"{', '.join(FAMILIES[1:])}"
                )
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
        """Every props scenario the profile benchmarks, with its formats."""
        for hierarchy in self.hierarchies:
            for scale in sorted(set(self.scales) | set(self.heavy_scales)):
                yield Scenario(scale, hierarchy), list(self.formats)

    def family(self, family: str) -> FamilyGrid:
        for grid in self.families:
            if grid.family == family:
                return grid
        raise UsdBenchError(f"profile {self.name!r} has no family {family!r}")

    def family_grid(self, family: str, heavy: bool = False) -> list[list]:
        """asv params of a family's benchmarks, in the order of PARAM_NAMES."""
        grid = self.family(family)
        scales = grid.heavy_scales if heavy else grid.scales
        return [list(self.family_formats), list(scales), ["flat"]]

    def family_scenarios(self) -> Iterator[tuple[Scenario, list[str]]]:
        """Every scenario of the families beside props, with its formats."""
        for grid in self.families:
            for scale in sorted(set(grid.scales) | set(grid.heavy_scales)):
                yield Scenario(scale, "flat", family=grid.family), list(self.family_formats)


# The default run's families: ~330 asv processes beside props' ~750, the
# Python loader's loads the longest of them (measured here, one load:
# series 3k 1.7 s, arrays 300 ~1.9 s (1k: 6.3 s), sparse 10k 1.3 s).
DEFAULT_FAMILIES = (
    FamilyGrid("series", (1_000, 3_000), (1_000,)),
    FamilyGrid("arrays", (100, 300), (100,)),
    FamilyGrid("sparse", (1_000, 10_000), (1_000,)),
)

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
            families=(
                # Large enough that every load's memory figure is above the
                # allocator's noise (the warm-up's freed stages are reused).
                FamilyGrid("series", (100,), (100,)),
                FamilyGrid("arrays", (100,), (100,)),
                FamilyGrid("sparse", (1_000,), (1_000,)),
            ),
            family_formats=(
                "usda",
                "usdc",
                "usdz",
                "parquet-native-zstd-rg1000",
                "parquet-python-zstd-rg1000",
            ),
        ),
        Profile(
            "default",
            formats=(
                "usda",
                "usdc",
                "usdz",
                # The native reader and the Python loader with the smallest
                # files (zstd). Other compressions and row groups are in
                # `full`: each format costs the default run ~2 minutes.
                "parquet-native-zstd-rg1000",
                "parquet-python-zstd-rg1000",
            ),
            scales=(1_000, 10_000, 100_000),
            heavy_scales=(1_000, 10_000),
            hierarchies=("flat",),
            rounds=3,
            read_samples=3,
            small_figure_processes=3,
            # Two scales per family; the reads of every prim at the smaller.
            # Kept small so that the whole default run stays within 20 min.
            families=DEFAULT_FAMILIES,
            # usdc against both Parquet readers (usda and usdz in full): the
            # families add ~250 asv combinations to the default run's ~500.
            family_formats=(
                "usdc",
                "parquet-native-zstd-rg1000",
                "parquet-python-zstd-rg1000",
            ),
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
            small_figure_processes=3,
            chunk_by="class",
            families=(
                FamilyGrid("series", (1_000, 10_000, 100_000), (1_000, 10_000)),
                FamilyGrid("arrays", (1_000, 10_000), (1_000, 10_000)),
                FamilyGrid("sparse", (1_000, 10_000, 100_000), (1_000, 10_000, 100_000)),
            ),
            family_formats=(
                "usda",
                "usdc",
                "usdz",
                "parquet-native-none-rg1000",
                "parquet-native-snappy-rg1000",
                "parquet-native-zstd-rg1000",
                "parquet-native-zstd-rg10000",
                "parquet-python-zstd-rg1000",
            ),
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
