"""The memory gate's rule and its inputs, on asv result files of the toy suite."""

from __future__ import annotations

import gzip
import re
import shutil
import subprocess
import sys

import pytest

from tests.asv_project import REPO
from usdbench.errors import UsdBenchError
from usdbench.gate import (
    FLOOR,
    IMPROVEMENT,
    MISSING,
    REGRESSION,
    UNCHANGED,
    Rule,
    bench_pattern,
    calibrated_ranges,
    compare,
    noise_path,
    read_noise,
    record_noise,
)

MiB = 2**20
KiB = 1024
MACHINE = "testmachine"  # the toy suite's


@pytest.mark.parametrize(
    ("base", "head", "verdict"),
    [
        # A large figure, tight across processes: 10% more is a regression.
        ([100 * MiB, 100.2 * MiB, 99.9 * MiB], [110 * MiB, 110.1 * MiB, 109.8 * MiB], REGRESSION),
        ([100 * MiB, 100.2 * MiB, 99.9 * MiB], [90 * MiB, 90.1 * MiB, 89.9 * MiB], IMPROVEMENT),
        # The same 10% on a figure that moves 15% between processes is noise.
        ([100 * MiB, 115 * MiB, 104 * MiB], [110 * MiB, 116 * MiB, 101 * MiB], UNCHANGED),
        # Below 3%: not a regression, however tight; 5% more is one.
        ([100 * MiB] * 3, [102.5 * MiB] * 3, UNCHANGED),
        ([100 * MiB] * 3, [105 * MiB] * 3, REGRESSION),
        # A read of a few pages doubling: below the floor.
        ([8 * KiB, 12 * KiB, 8 * KiB], [40 * KiB, 44 * KiB, 40 * KiB], UNCHANGED),
    ],
)
def test_rule(base, head, verdict):
    assert Rule().verdict(base, head)[0] == verdict


def test_threshold_is_the_largest_of_share_floor_noise_and_calibration():
    rule = Rule(rel=0.05, floor=FLOOR, spread=2.0)
    assert rule.threshold([100 * MiB] * 3, [100 * MiB] * 3) == 5 * MiB
    assert rule.threshold([KiB] * 3, [KiB] * 3) == FLOOR
    assert rule.threshold([100 * MiB, 104 * MiB], [100 * MiB] * 2) == 8 * MiB
    assert rule.threshold([100 * MiB] * 3, [100 * MiB] * 3, calibrated=9 * MiB) == 9 * MiB
    # Two runs of one commit, each tight, 2 MiB apart (seen: a Parquet traversal's
    # delta): a regression on their own samples, noise once calibration saw both.
    a, b = [3.7 * MiB] * 5, [5.6 * MiB] * 5
    assert Rule().verdict(a, b)[0] == REGRESSION
    assert Rule().verdict(a, b, calibrated=2.0 * MiB)[0] == UNCHANGED


def test_pattern_selects_memtrack_figures_only():
    pattern = re.compile(bench_pattern())
    assert pattern.search("load.InitialLoad.track_peak_bytes")
    assert pattern.search("access.OnePropertyOnePrimWarm.track_delta_bytes")
    assert pattern.search("traversal.FullTraversal.track_retained_bytes")
    assert not pattern.search("files.FileSize.track_file_bytes")
    assert not pattern.search("load.InitialLoad.time_operation")
    # asv matches a parameterised benchmark with its parameters.
    assert pattern.search("load.InitialLoad.track_peak_bytes('usda', 1000, 'flat')")
    assert not pattern.search("load.InitialLoad.time_operation('usda', 1000, 'flat')")
    narrowed = re.compile(bench_pattern("InitialLoad"))
    assert narrowed.search("load.InitialLoad.track_peak_bytes")
    assert not narrowed.search("traversal.FullTraversal.track_peak_bytes")


def test_toy_results_compare_figure_by_figure(toy_asv_project):
    # The toy suite's track_peak_bytes / track_delta_bytes are memtrack's names;
    # its older commit measured FileSize only: its memory figures are missing there.
    results = toy_asv_project.config_path.parent / "results"
    old, new = toy_asv_project.commits
    missing = compare(results, MACHINE, old, new)
    assert missing and {f.verdict for f in missing} == {MISSING}
    assert all(f.base is None and f.head for f in missing)
    # Load and Traverse, peak and delta: every measured format and scale.
    assert {f.key.split("(")[0] for f in missing} == {
        f"bench.{op}.track_{m}_bytes" for op in ("Load", "Traverse") for m in ("peak", "delta")
    }
    assert "bench.Load.track_peak_bytes('usda', 10)" in {f.key for f in missing}
    same = compare(results, MACHINE, new, new)
    assert same and {f.verdict for f in same} == {UNCHANGED}
    assert all(f.change == 0 for f in same)


def test_noise_calibration_is_recorded_merged_and_read(toy_asv_project, tmp_path):
    results = tmp_path / "results"
    shutil.copytree(toy_asv_project.config_path.parent / "results", results)
    new = toy_asv_project.commits[-1]
    assert read_noise(results, MACHINE) is None
    path = record_noise(results, MACHINE, new, runs=2, rounds=1, only="Load")
    assert path == noise_path(results, MACHINE) and path.name.endswith(".json.gz")
    ranges = calibrated_ranges(read_noise(results, MACHINE))
    assert ranges and all(k.startswith("bench.Load.") for k in ranges)
    assert set(ranges.values()) == {0.0}  # one sample per figure in the toy
    record_noise(results, MACHINE, new, runs=2, rounds=1, only="Traverse")
    merged = calibrated_ranges(read_noise(results, MACHINE))
    assert set(ranges) < set(merged) and any(k.startswith("bench.Traverse.") for k in merged)
    path.write_bytes(gzip.compress(b"[]"))
    with pytest.raises(UsdBenchError, match="gate-noise.json.gz"):
        read_noise(results, MACHINE)


def test_command_errors_name_the_problem(toy_asv_project):
    config = str(toy_asv_project.config_path)

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "usdbench", "gate", *args, "--config", config],
            cwd=REPO,
            capture_output=True,
            text=True,
        )

    new = toy_asv_project.commits[-1]
    missing = run("check", "deadbeef", new, "--machine", MACHINE, "--measure", "never")
    assert missing.returncode == 2
    assert missing.stderr.splitlines()[-1].startswith("usdbench gate check: error: ")
    assert "'deadbeef'" in missing.stderr.splitlines()[-1]
    one = run("check", "a", "b", "--machine", MACHINE, "--rounds", "1")
    assert one.returncode == 2
    assert "argument --rounds: rounds must be at least 2" in one.stderr.splitlines()[-1]
    runs = run("calibrate", "a", "--machine", MACHINE, "--runs", "1")
    assert runs.returncode == 2
    assert "argument --runs: runs must be at least 2" in runs.stderr.splitlines()[-1]
    same = run("check", new, new, "--machine", MACHINE, "--measure", "never")
    assert same.returncode == 0 and "memory gate: 0 regressions" in same.stdout
    assert "no noise calibration" in same.stderr
