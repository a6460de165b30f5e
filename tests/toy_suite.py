"""A toy asv suite whose figures are fixed functions of its parameters, so the
report tests can check values as well as presence.

`make_toy_project` builds it with the one builder of throwaway asv projects
(tests/asv_project.py): two commits run with the current interpreter (asv's
"existing" environment), the older for FileSize only, then `asv publish`.
The fixture `toy_asv_project` (tests/conftest.py) holds one per session.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.asv_project import AsvProject, Combination, PublishedSite, config_here

MACHINE = "testmachine"

# Deliberately not in the report's order: the report must sort them.
TOY_FORMATS = ["parquet-native-zstd-rg1000", "usda", "custom", "usdc"]
TOY_SCALES = [10, 100, 1000]
TOY_HIERARCHIES = ["flat", "deep"]
TOY_OPERATIONS = ["Load", "Traverse"]
# (operation or None for all, format, scale) -> what setup does
TOY_SKIPPED = {("usdc", 1000)}  # NotImplementedError in setup, in every class
TOY_FAILED = {("Load", "usda", 1000)}  # RuntimeError in setup

_TOY_BENCH = '''
"""Toy suite for the report tests: figures are fixed functions of the parameters."""

FORMATS = {formats!r}
SCALES = {scales!r}
HIERARCHIES = {hierarchies!r}
SKIPPED = {skipped!r}
FAILED = {failed!r}
MULTIPLIER = {multiplier}


def peak_bytes(fmt, scale):
    return (FORMATS.index(fmt) + 1) * scale * 1024 * MULTIPLIER


def delta_bytes(fmt, scale):
    # Negative for some: memory released by an operation is a real outcome.
    return (FORMATS.index(fmt) - 1) * scale * 512 * MULTIPLIER


def file_bytes(fmt, scale, hierarchy):
    return (FORMATS.index(fmt) + 1) * scale * (300 if hierarchy == "deep" else 200) * MULTIPLIER


class _Operation:
    params = (FORMATS, SCALES)
    param_names = ["format", "scale"]
    repeat = 3
    number = 1
    rounds = 1
    warmup_time = 0
    min_run_count = 1

    def setup(self, fmt, scale):
        if (fmt, scale) in SKIPPED:
            raise NotImplementedError("over the toy memory guard")
        if (type(self).__name__, fmt, scale) in FAILED:
            raise RuntimeError("toy failure")

    def track_peak_bytes(self, fmt, scale):
        return peak_bytes(fmt, scale)

    track_peak_bytes.unit = "bytes"

    def track_delta_bytes(self, fmt, scale):
        return delta_bytes(fmt, scale)

    track_delta_bytes.unit = "bytes"

    def time_operation(self, fmt, scale):
        sum(range(scale * 20))


class Load(_Operation):
    pass


class Traverse(_Operation):
    pass


class Overhead:
    """No parameters, no format: belongs in the table, not in a format chart."""

    repeat = 3
    number = 1
    warmup_time = 0

    def time_nothing(self):
        pass


class FileSize:
    params = (FORMATS, SCALES, HIERARCHIES)
    param_names = ["format", "scale", "hierarchy"]

    def setup(self, fmt, scale, hierarchy):
        if (fmt, scale) in SKIPPED:
            raise NotImplementedError("over the toy memory guard")

    def track_file_bytes(self, fmt, scale, hierarchy):
        return file_bytes(fmt, scale, hierarchy)

    track_file_bytes.unit = "bytes"
'''


def _peak(fmt, scale, multiplier):
    return (TOY_FORMATS.index(fmt) + 1) * scale * 1024 * multiplier


def _delta(fmt, scale, multiplier):
    return (TOY_FORMATS.index(fmt) - 1) * scale * 512 * multiplier


def _file(fmt, scale, hierarchy, multiplier):
    return (TOY_FORMATS.index(fmt) + 1) * scale * (300 if hierarchy == "deep" else 200) * multiplier


def toy_combinations(multiplier: int = 2, file_size_only: bool = False) -> list[Combination]:
    """What the toy suite measures, from its definition (not from asv's output)."""
    out = [] if file_size_only else [Combination("bench.Overhead.time_nothing", {}, "ok")]
    for fmt in TOY_FORMATS:
        for scale in TOY_SCALES:
            skipped = (fmt, scale) in TOY_SKIPPED
            for hierarchy in TOY_HIERARCHIES:
                out.append(
                    Combination(
                        "bench.FileSize.track_file_bytes",
                        {"format": fmt, "scale": str(scale), "hierarchy": hierarchy},
                        "skipped" if skipped else "ok",
                        None if skipped else _file(fmt, scale, hierarchy, multiplier),
                    )
                )
            if file_size_only:
                continue
            for op in TOY_OPERATIONS:
                status = (
                    "skipped" if skipped else "failed" if (op, fmt, scale) in TOY_FAILED else "ok"
                )
                params = {"format": fmt, "scale": str(scale)}
                figures = {
                    "track_peak_bytes": _peak(fmt, scale, multiplier),
                    "track_delta_bytes": _delta(fmt, scale, multiplier),
                    "time_operation": None,
                }
                for metric, value in figures.items():
                    out.append(
                        Combination(
                            f"bench.{op}.{metric}",
                            params,
                            status,
                            value if status == "ok" else None,
                        )
                    )
    return out


def _suite(multiplier: int) -> str:
    return textwrap.dedent(_TOY_BENCH).format(
        formats=TOY_FORMATS,
        scales=TOY_SCALES,
        hierarchies=TOY_HIERARCHIES,
        skipped=sorted(TOY_SKIPPED),
        failed=sorted(TOY_FAILED),
        multiplier=multiplier,
    )


def make_toy_project(root: Path) -> PublishedSite:
    """Two commits: the older measured for FileSize only (multiplier 1), the newer for all (2)."""
    # Benchmark processes forked from one that imported the suite: a new
    # interpreter per combination took 27 of the toy's 36 s here.
    config = config_here("toy", project_url="#", launch_method="forkserver")
    project = AsvProject.create(root, config, machine=MACHINE)
    for day, multiplier in ((1, 1), (2, 2)):
        suite = {"benchmarks/__init__.py": "", "benchmarks/bench.py": _suite(multiplier)}
        project.write_files(suite)
        commit = project.commit(f"toy {day}", date=f"2024-01-0{day}T12:00:00Z")
        only = ["--bench", "FileSize"] if multiplier == 1 else []
        # asv run exits 2 when a benchmark failed, as the toy's failing combination does.
        project.run_here(commit, *only, ok_codes=(0, 2))
    project.asv("publish")
    return PublishedSite(
        html_dir=root / "html",
        combinations=toy_combinations(multiplier=2),
        config_path=root / "asv.conf.json",
        commits=project.commits,
    )
