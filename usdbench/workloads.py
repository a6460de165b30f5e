"""The operations the benchmarks measure, as plain functions over scenario files
and stages, and the one set-up call before them (``prepare_benchmark``).
Nothing measured generates data: the set-up gets the files from the cache
first, so generation never lands inside a timed or tracked region."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from pxr import Sdf, Usd

from usdbench import budget, native
from usdbench.cache import ScenarioFiles, ensure
from usdbench.formats import get_format
from usdbench.scenario import (
    ARRAY_PROPERTIES,
    PROPERTIES,
    SERIES_PROPERTIES,
    SERIES_SAMPLES,
    SIX_PROPERTIES,
    SPARSE_RARE,
    Scenario,
)
from usdbench.stage import open_stage

ONE_PROPERTY = "temperature"
# How many prims the "random prim" and "path order" workloads visit.
SAMPLE_PRIMS = 1_000

__all__ = [
    "ARRAY_PROPERTIES",
    "ONE_PROPERTY",
    "SERIES_PROPERTIES",
    "SPARSE_RARE",
    "arrays_every_prim",
    "arrays_one_prim",
    "flatten",
    "series_between",
    "series_frame",
    "series_full",
    "series_history",
    "sparse_authored",
    "PROPERTIES",
    "SIX_PROPERTIES",
    "drop_page_cache",
    "file_size",
    "load",
    "load_user",
    "middle_prim",
    "path_order_sample",
    "prepare_benchmark",
    "prepare_user_benchmark",
    "random_sample",
    "read_many",
    "read_one",
    "read_every_sample",
    "read_every_value",
    "read_traversal",
    "shuffled_paths",
    "user_time_code",
    "warm_up",
    "world_bounds",
]


# A tiny scenario every benchmark process loads once in every format family
# before measuring (see warm_up).
WARM_UP_SCENARIO = Scenario(8, "flat")
WARM_UP_FORMATS = (
    "usda",
    "usdc",
    "usdz",
    "parquet-native-zstd-rg1000",
    "parquet-python-zstd-rg1000",
)


def warm_up(format_name: str | None = None, family: str = "props") -> None:
    """Pay the one-time costs of the libraries so that they land in no
    measurement: USD's plugin registry, file formats and schema registry, and
    on the Parquet path pyarrow's reader, compute kernels and memory pool
    (the first Parquet load of a process holds tens of MiB more than the next
    one, library pages and Arrow's start-up, not the file).
    Loads a tiny cached scenario in every format family, whole and projected;
    for a scenario family other than props, also a tiny scenario of that
    family in ``format_name`` (see _warm_up_family)."""
    import pyarrow.parquet  # noqa: F401

    for ext in ("usda", "usdc", "usdz"):
        Sdf.FileFormat.FindByExtension(ext)
    for name in WARM_UP_FORMATS:
        if name.startswith("parquet-native") and not native.available():
            continue
        files = ensure(WARM_UP_SCENARIO, name)
        read_traversal(load(files), PROPERTIES)
        read_traversal(load(files, columns=[ONE_PROPERTY]), [ONE_PROPERTY])
    if family != "props" and format_name is not None:
        _warm_up_family(format_name, family)


def _warm_up_family(format_name: str, family: str) -> None:
    """The reads a family's operations make that the props scenario does
    not (time samples, arrays and their sums, sparse columns, Flatten), run
    once on a tiny scenario of that family: their first-use costs (USD's
    value types and caches, numpy's and Arrow's kernels) land in no figure,
    as warm_up's do for props. (Their library pages are mapped by
    benchmarks/protocol.py's map_library_code before a memory figure.)"""
    scenario = Scenario(WARM_UP_SCENARIO.scale, WARM_UP_SCENARIO.hierarchy, family=family)
    files = ensure(scenario, format_name)
    stage = load(files)
    read_every_value(stage)
    read_every_sample(stage)
    arrays_every_prim(stage)
    sparse_authored(stage)
    flatten(stage)
    names = list(scenario.properties[:1])
    read_traversal(load(files, columns=names), names)


def prepare_benchmark(
    format_name: str, scale: int, hierarchy: str, family: str = "props"
) -> ScenarioFiles:
    """A benchmark's set-up: the memory guard, the cached files, the warm-up,
    and the files dropped from the OS page cache (a cold read comes from
    disk). A combination the guard expects not to fit raises
    NotImplementedError(why), which asv shows as skipped, before anything is
    generated."""
    if get_format(format_name).reader == "native" and not native.available():
        raise NotImplementedError(
            f"{format_name}: the native Parquet plugin is not available here "
            f"({native.status().reason}); the Python loader's formats still run"
        )
    ok, why = budget.fits(format_name, scale, hierarchy, family)
    if not ok:
        raise NotImplementedError(why)
    files = ensure(Scenario(scale, hierarchy, family=family), format_name)
    warm_up(format_name, family)
    drop_page_cache(files.data_files())
    return files


def drop_page_cache(paths: Iterable[Path]) -> bool:
    """Evict files from the OS page cache so the next read comes from disk.
    False where the platform cannot (the caller should then say "warm OS cache")."""
    if not hasattr(os, "posix_fadvise"):
        return False
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            # Dirty pages are not dropped: flush freshly generated files first.
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
    return True


def file_size(files: ScenarioFiles) -> int:
    """Bytes on disk of the property layer (the part the formats differ in)."""
    return files.props.stat().st_size


def load(files: ScenarioFiles, columns: Sequence[str] | None = None) -> Usd.Stage:
    """Open and compose the scenario's root layer with the format's reader.
    ``columns`` projects the Python loader's Parquet layers: it builds every
    spec at load, so a reader of a few properties would ask for them. The
    lazy readers ignore it (usdc, usdz, native Parquet decode only what is
    read), as a user of them would."""
    fmt = files.format
    if fmt.reader == "python":
        return open_stage(str(files.root), parquet_columns=columns, parquet_reader="python")
    return open_stage(str(files.root), parquet_reader=fmt.reader)


def middle_prim(scenario: Scenario) -> str:
    return scenario.sorted_prim_paths()[scenario.scale // 2].as_py()


def random_sample(scenario: Scenario, count: int = SAMPLE_PRIMS, seed: int = 1) -> list[str]:
    """``count`` distinct prims chosen at random (seeded)."""
    paths = scenario.prim_paths()
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(paths), size=min(count, len(paths)), replace=False)
    return paths.take(picks).to_pylist()


def path_order_sample(scenario: Scenario, count: int = SAMPLE_PRIMS) -> list[str]:
    """``count`` consecutive prims in path order, from the middle of the scene."""
    paths = scenario.sorted_prim_paths()
    count = min(count, len(paths))
    start = (len(paths) - count) // 2
    return paths.slice(start, count).to_pylist()


def shuffled_paths(scenario: Scenario, seed: int = 2) -> list[str]:
    """Every prim, in a seeded random order."""
    paths = scenario.prim_paths()
    return paths.take(np.random.default_rng(seed).permutation(len(paths))).to_pylist()


def read_one(stage: Usd.Stage, path: str, name: str = ONE_PROPERTY):
    return stage.GetPrimAtPath(path).GetAttribute(name).Get()


def read_many(stage: Usd.Stage, paths: Iterable[str], names: Sequence[str]) -> int:
    """Read ``names`` on each prim of ``paths``; returns how many values were found."""
    found = 0
    for path in paths:
        prim = stage.GetPrimAtPath(path)
        for name in names:
            if prim.GetAttribute(name).Get() is not None:
                found += 1
    return found


def read_traversal(stage: Usd.Stage, names: Sequence[str]) -> int:
    """Traverse every prim and read ``names`` where present; returns the count."""
    found = 0
    for prim in stage.Traverse():
        for name in names:
            attr = prim.GetAttribute(name)
            if attr and attr.Get() is not None:
                found += 1
    return found


# -- scenario families (series, arrays, sparse) --------------------------------------
# A time code between two samples, and the one "frame" a dashboard reads.
SERIES_FRAME = float(SERIES_SAMPLES // 2)
SERIES_BETWEEN = SERIES_FRAME + 0.5


def series_frame(stage: Usd.Stage, time: float = SERIES_FRAME) -> int:
    """Every property of every prim at one time code; returns the values found."""
    found = 0
    for prim in stage.Traverse():
        for name in SERIES_PROPERTIES:
            attr = prim.GetAttribute(name)
            if attr and attr.Get(time) is not None:
                found += 1
    return found


def series_history(stage: Usd.Stage, path: str, name: str = ONE_PROPERTY) -> list:
    """Every sample of one property of one prim (a chart of its history)."""
    attr = stage.GetPrimAtPath(path).GetAttribute(name)
    return [attr.Get(t) for t in attr.GetTimeSamples()]


def series_between(stage: Usd.Stage, name: str = ONE_PROPERTY) -> float:
    """``name`` on every prim at a time between two samples (USD interpolates
    doubles linearly); returns their sum."""
    total = 0.0
    for prim in stage.Traverse():
        attr = prim.GetAttribute(name)
        if attr:
            value = attr.Get(SERIES_BETWEEN)
            if value is not None:
                total += value
    return total


def series_full(stage: Usd.Stage) -> int:
    """Every sample of every property of every prim; returns the sample count."""
    found = 0
    for prim in stage.Traverse():
        for name in SERIES_PROPERTIES:
            attr = prim.GetAttribute(name)
            if attr:
                for t in attr.GetTimeSamples():
                    attr.Get(t)
                    found += 1
    return found


def array_sums(prim: Usd.Prim) -> float:
    """The sum of every element of the prim's arrays (each touched once)."""
    total = 0.0
    for name in ARRAY_PROPERTIES:
        attr = prim.GetAttribute(name)
        if attr:
            value = attr.Get()
            if value is not None:
                total += float(np.asarray(value).sum(dtype=np.float64))
    return total


def arrays_one_prim(stage: Usd.Stage, path: str) -> float:
    return array_sums(stage.GetPrimAtPath(path))


def arrays_every_prim(stage: Usd.Stage) -> float:
    """Every prim's arrays, read and summed."""
    return sum(array_sums(prim) for prim in stage.Traverse())


def sparse_authored(stage: Usd.Stage) -> int:
    """GetAuthoredAttributes of every prim (existence only, no value read);
    returns how many there are."""
    return sum(len(prim.GetAuthoredAttributes()) for prim in stage.Traverse())


def flatten(stage: Usd.Stage) -> Sdf.Layer:
    """The composed stage flattened to one layer: every value read and copied
    inside USD's C++, with no Python step per value."""
    return stage.Flatten()


# -- a user's stage (USDBENCH_DATA, `usdbench measure`): every value, whatever the names --


def read_every_value(stage: Usd.Stage, time: float | None = None) -> int:
    """Every attribute of every prim read at ``time`` (the default time unless
    given); returns how many values were found."""
    time = Usd.TimeCode.Default() if time is None else time
    found = 0
    for prim in stage.Traverse():
        for attr in prim.GetAttributes():
            if attr.Get(time) is not None:
                found += 1
    return found


def read_every_sample(stage: Usd.Stage) -> int:
    """Every time sample of every attribute of every prim; returns the count."""
    found = 0
    for prim in stage.Traverse():
        for attr in prim.GetAttributes():
            for t in attr.GetTimeSamples():
                attr.Get(t)
                found += 1
    return found


def world_bounds(stage: Usd.Stage, time: float | None = None):
    """World-space bounds of the whole scene (UsdGeom.BBoxCache over the
    pseudo-root, the default purpose), as USD computes them for framing."""
    from pxr import UsdGeom

    time = Usd.TimeCode.Default() if time is None else time
    cache = UsdGeom.BBoxCache(time, [UsdGeom.Tokens.default_])
    return cache.ComputeWorldBound(stage.GetPseudoRoot())


def prepare_user_benchmark(format_name: str, stage: str):
    """A user stage benchmark's set-up (USDBENCH_DATA, `usdbench measure`):
    the stage's converted files from the cache (converted and checked once),
    the memory guard, the warm-up and the files dropped from the OS page
    cache, as prepare_benchmark does for a scenario. Raises
    NotImplementedError(why) where the combination cannot be measured here:
    the guard expects it not to fit, the native plugin is missing, or the
    format failed to convert or to compose the same stage as the source."""
    from usdbench.measure.files import ensure_user_files, user_files

    if format_name == "parquet-native" and not native.available():
        raise NotImplementedError(
            f"{format_name}: the native Parquet plugin is not available here "
            f"({native.status().reason}); the Python loader's formats still run"
        )
    manifest = ensure_user_files(stage)
    ok, why = budget.fits_bytes(
        budget.expected_user_peak_bytes(format_name, manifest["prims"], manifest["source_bytes"]),
        f"{format_name} of {stage} ({manifest['prims']:,} prims)",
    )
    if not ok:
        raise NotImplementedError(why)
    differences = manifest["check"].get(format_name)
    if differences:
        raise NotImplementedError(
            f"{format_name} of {stage} does not compose the source's stage: {differences[0]}"
        )
    files = user_files(stage, manifest, format_name)
    warm_up()
    drop_page_cache(files.data_files())
    return files


def load_user(files) -> Usd.Stage:
    """Open and compose a user stage's converted root with its format's reader."""
    return open_stage(str(files.root), parquet_reader=files.reader)


def user_time_code(stage: Usd.Stage) -> float:
    """The one time code a user stage's values are read at: the middle of its
    authored time range, else its first time sample found, else 0."""
    if stage.HasAuthoredTimeCodeRange():
        return (stage.GetStartTimeCode() + stage.GetEndTimeCode()) / 2
    for prim in stage.Traverse():
        for attr in prim.GetAttributes():
            times = attr.GetTimeSamples()
            if times:
                return float(times[0])
    return 0.0
