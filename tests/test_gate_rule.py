"""The memory gate's rule and its inputs, on asv result files of the toy suite."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import subprocess
import sys

import pytest

from tests.asv_project import REPO
from usdbench.asv_results import (
    protocol_differences,
    protocol_path,
    protocol_text,
    read_protocol,
    write_protocol,
)
from usdbench.errors import UsdBenchError
from usdbench.gate import (
    FLOOR,
    IMPROVEMENT,
    MISSING,
    REGRESSION,
    UNCHANGED,
    Rule,
    bench_pattern,
    calibrated_noise,
    compare,
    noise_path,
    read_noise,
    record_noise,
)
from usdbench.gate.noise import read_run

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


def test_between_runs_bound_widens_the_range_of_few_runs():
    from usdbench.gate.rule import between_runs_bound

    assert between_runs_bound([]) == between_runs_bound([5.0]) == 0.0
    assert between_runs_bound([3.0, 3.0, 3.0]) == 0.0
    three = between_runs_bound([0.0, 1.0, 2.0]) / 2
    five = between_runs_bound([0.0, 1.0, 2.0, 1.0, 0.5]) / 2
    assert three == pytest.approx(2.15, abs=0.01) and five == pytest.approx(1.57, abs=0.01)
    # More runs, a tighter factor on their range, never below 1.
    factors = [between_runs_bound([0.0] * (m - 1) + [1.0]) for m in range(2, 15)]
    assert factors == sorted(factors, reverse=True) and min(factors) > 1.0
    # Calibrated with it, a figure 1.5x its three-run range apart is unchanged.
    rule = Rule()
    a, b = [10 * MiB], [10 * MiB + 1.5 * MiB]
    assert rule.verdict(a, b, 1 * MiB)[0] == REGRESSION
    assert rule.verdict(a, b, between_runs_bound([9 * MiB, 9.5 * MiB, 10 * MiB]))[0] == UNCHANGED


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
    # --bench narrowed to one parameter combination, as asv's --bench matches it.
    one = compare(results, MACHINE, new, new, only="Load.*'usda', 10\\)")
    assert {f.key for f in one} == {
        "bench.Load.track_peak_bytes('usda', 10)",
        "bench.Load.track_delta_bytes('usda', 10)",
    }


def test_noise_calibration_is_recorded_merged_and_read(toy_asv_project, tmp_path):
    results = tmp_path / "results"
    shutil.copytree(toy_asv_project.config_path.parent / "results", results)
    new = toy_asv_project.commits[-1]
    assert read_noise(results, MACHINE) is None
    path = record_noise(results, MACHINE, new, runs=2, rounds=1, only="Load")
    assert path == noise_path(results, MACHINE) and path.name.endswith(".json.gz")
    ranges = calibrated_noise(read_noise(results, MACHINE))
    assert ranges and all(k.startswith("bench.Load.") for k in ranges)
    assert set(ranges.values()) == {0.0}  # one sample per figure in the toy
    record_noise(results, MACHINE, new, runs=2, rounds=1, only="Traverse")
    merged = calibrated_noise(read_noise(results, MACHINE))
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


# -- calibration from asv runs already made, and the recorded protocol ----------
# A suite whose memory figures move between asv runs by a known step: each
# run's figure is BASE + STEP x $RUN_INDEX (asv hands its environment to
# the benchmark processes), every process of one run alike.
RUNS_SUITE = """
import os

BASE = 10 * 2**20
STEP = 4096


class Load:
    params = (["usda", "usdc"], [10, 100])
    param_names = ["format", "scale"]

    def track_peak_bytes(self, fmt, scale):
        return BASE * (1 + scale // 10) + STEP * int(os.environ.get("RUN_INDEX", "0"))

    track_peak_bytes.unit = "bytes"


class FileSize:
    params = (["usda", "usdc"],)
    param_names = ["format"]

    def track_file_bytes(self, fmt):
        return 1000

    track_file_bytes.unit = "bytes"
"""
STEP = 4096
RUNS_MACHINE = "runsbox"
PROTOCOL_ONE = {"protocol": 1, "memory_figures_threads": 1, "arrow_pool": "mimalloc"}


@pytest.fixture(scope="module")
def asv_runs(tmp_path_factory):
    """Three real asv runs of one commit (copies of results/<machine>/ after
    each, as a person running the suite three times makes them), one of a
    second commit, and the project they were made in."""
    from tests.asv_project import AsvProject, config_here

    root = tmp_path_factory.mktemp("asv-runs")
    project = AsvProject.create(
        root / "project",
        config_here("runs"),
        {"benchmarks/__init__.py": "", "benchmarks/bench.py": RUNS_SUITE},
        machine=RUNS_MACHINE,
    )
    first = project.commit("first")
    machine_dir = project.path / "results" / RUNS_MACHINE
    runs = []
    for index in range(3):
        project.env["RUN_INDEX"] = str(index)
        for old in machine_dir.glob(f"{first[:8]}-*.json"):
            old.unlink()  # a fresh result file per run, as each suite run writes
        project.run_here(first, "--record-samples")
        runs.append(root / f"run{index + 1}")
        shutil.copytree(machine_dir, runs[-1])
    (project.path / "NOTES").write_text("second\n")
    second = project.commit("second")
    project.env["RUN_INDEX"] = "0"
    project.run_here(second, "--record-samples")
    other = root / "other-commit"
    shutil.copytree(machine_dir, other)
    for old in other.glob(f"{first[:8]}-*.json"):
        old.unlink()
    project.runs, project.other_commit_run = runs, other
    return project


def _gate(project, *args):
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "usdbench",
            "gate",
            *args,
            "--config",
            str(project.path / "asv.conf.json"),
        ],  # fmt: skip
        cwd=REPO,
        capture_output=True,
        text=True,
    )


def test_calibrate_from_runs_keeps_each_runs_median(asv_runs, tmp_path):
    project = asv_runs
    run = _gate(project, "calibrate", "--from-runs", *map(str, project.runs))
    assert run.returncode == 0, run.stderr
    results = project.path / "results"
    noise = read_noise(results, RUNS_MACHINE)
    assert str(noise_path(results, RUNS_MACHINE)) in run.stdout
    figures = noise["figures"]
    # The memory figures (4 combinations), not the file sizes.
    assert sorted(figures) == sorted(
        f"bench.Load.track_peak_bytes('{f}', {s})" for f in ("usda", "usdc") for s in (10, 100)
    )
    for key, entry in figures.items():
        base = 10 * MiB * (2 if ", 10)" in key else 11)
        assert entry["run_medians"] == [base, base + STEP, base + 2 * STEP], key
        assert entry["range"] == 2 * STEP and entry["runs"] == 3
        assert entry["commit"] == project.commits[0]
    assert noise["from_runs"] == [str(r) for r in project.runs]
    # Three runs' medians 2 steps apart: two further runs may fall 2.15x that
    # apart (rule.between_runs_bound), more than the range the three took.
    allowed = calibrated_noise(noise)
    assert set(allowed) == set(figures)
    assert all(v == pytest.approx(2.576 * 2**0.5 / 1.693 * 2 * STEP) for v in allowed.values())


def test_calibrate_from_runs_refuses_bad_input(asv_runs, tmp_path):
    project = asv_runs
    run1, run2 = map(str, project.runs[:2])

    def refused(*args, naming: str):
        run = _gate(project, "calibrate", "--from-runs", *args)
        assert run.returncode == 2, run.stdout + run.stderr
        last = run.stderr.strip().splitlines()[-1]
        assert last.startswith("usdbench gate calibrate: error: "), last
        assert naming in last, last
        return last

    refused(run1, str(tmp_path / "nowhere"), naming=str(tmp_path / "nowhere"))
    other = project.other_commit_run
    msg = refused(run1, str(other), naming="runs of different commits")
    assert str(other) in msg
    # Another machine's run: its result file says so.
    moved = tmp_path / "moved"
    shutil.copytree(project.runs[1], moved)
    (result,) = [p for p in moved.glob("*.json") if p.name != "machine.json"]
    data = json.loads(result.read_text())
    data["params"]["machine"] = "elsewhere"
    result.write_text(json.dumps(data))
    msg = refused(run1, str(moved), naming="runs of different machines")
    assert str(result) in msg and "'elsewhere'" in msg
    # A corrupt result file: named.
    broken = tmp_path / "broken"
    shutil.copytree(project.runs[1], broken)
    (result,) = [p for p in broken.glob("*.json") if p.name != "machine.json"]
    result.write_text(result.read_text()[:200])
    refused(run1, str(broken), naming=str(result))
    # An empty folder, and one run only.
    (tmp_path / "empty").mkdir()
    refused(run1, str(tmp_path / "empty"), naming=str(tmp_path / "empty"))
    refused(run1, naming="two or more")
    # A copy of the whole machine folder (its history too): the commit
    # measured last, unless COMMIT names another.
    history = project.path / "results" / RUNS_MACHINE
    assert read_run(history).result.commit_hash == project.commits[1]
    assert read_run(history, project.commits[0][:7]).result.commit_hash == project.commits[0]
    # A commit none of the runs has.
    run = _gate(project, "calibrate", "deadbeef", "--from-runs", run1, run2)
    assert run.returncode == 2 and "'deadbeef'" in run.stderr


def test_calibrate_from_runs_keeps_the_runs_protocol(asv_runs, tmp_path):
    project = asv_runs
    runs = []
    for i, src in enumerate(project.runs[:2]):
        runs.append(tmp_path / f"run{i}")
        shutil.copytree(src, runs[-1])
        write_protocol(runs[-1].parent, runs[-1].name, project.commits[0], PROTOCOL_ONE)
    results = tmp_path / "results"
    shutil.copytree(project.path / "results", results)
    config = tmp_path / "asv.conf.json"
    config.write_text(json.dumps({"results_dir": str(results)}))

    def calibrate(*dirs):
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "usdbench",
                "gate",
                "calibrate",
                "--config",
                str(config),
                "--from-runs",
                *map(str, dirs),
            ],  # fmt: skip
            cwd=REPO,
            capture_output=True,
            text=True,
        )

    run = calibrate(*runs)
    assert run.returncode == 0, run.stderr
    protocol = read_noise(results, RUNS_MACHINE)["protocol"]
    assert {k: protocol[k] for k in PROTOCOL_ONE} == PROTOCOL_ONE
    # Runs under different protocols are not one calibration.
    write_protocol(
        runs[1].parent, runs[1].name, project.commits[0], {**PROTOCOL_ONE, "protocol": 2}
    )
    run = calibrate(*runs)
    assert run.returncode == 2 and "different memory protocols" in run.stderr
    assert str(runs[1]) in run.stderr


def test_protocol_record_is_written_read_and_compared(tmp_path):
    commit = "1697dc9f" + "0" * 32
    assert read_protocol(tmp_path, "box", commit) is None
    path = write_protocol(tmp_path, "box", commit, PROTOCOL_ONE)
    assert path == protocol_path(tmp_path, "box", commit)
    assert path.parent.name == "protocol" and path.name == "1697dc9f.json.gz"
    record = read_protocol(tmp_path, "box", commit)
    assert {k: record[k] for k in PROTOCOL_ONE} == PROTOCOL_ONE and record["recorded_at"]
    assert protocol_differences(record, dict(PROTOCOL_ONE)) == []
    assert protocol_differences(record, None) == []  # unknown: no verdict
    other = {**PROTOCOL_ONE, "memory_figures_threads": "default"}
    assert protocol_differences(record, other) == ["memory_figures_threads: 1 against 'default'"]
    assert "1 thread" in protocol_text(record) and "default threads" in protocol_text(other)
    four = {**PROTOCOL_ONE, "protocol": 4, "delta_after": "malloc_trim"}
    assert "delta read after malloc_trim" in protocol_text(four)
    assert "delta read after" not in protocol_text(record)
    five = {**four, "protocol": 5, "library_code": "mapped before measuring"}
    assert "library code mapped before measuring" in protocol_text(five)
    assert protocol_differences(four, five)  # protocol 4 counted code pages
    six = {
        **five,
        "protocol": 6,
        "peak": "kernel high-water mark and a watcher",
        "data_files": "in the page cache",
    }
    assert "peak from the kernel high-water mark and a watcher" in protocol_text(six)
    assert "data files in the page cache" in protocol_text(six)
    assert "peak from" not in protocol_text(five)
    assert "peak: None against 'kernel high-water mark and a watcher'" in protocol_differences(
        five, six
    )  # protocol 5's peaks read low by the kernel's unsummed counters
    seven = {**six, "protocol": 7, "address_space": "fixed", "hash_seed": "0"}
    assert "addresses fixed, hash seed 0" in protocol_text(seven)
    assert "hash seed random" in protocol_text({**seven, "hash_seed": "random"})
    assert "hash_seed: '0' against 'random'" in protocol_differences(
        seven, {**seven, "hash_seed": "random"}
    )  # a run's seed orders its allocations: runs of other seeds do not compare
    assert protocol_differences(record, four)  # protocol 1's deltas do not compare
    # A second run of the commit under another protocol: the figures mix both.
    write_protocol(tmp_path, "box", commit, other)
    mixed = read_protocol(tmp_path, "box", commit)
    assert mixed["earlier"] and protocol_differences(mixed, other)
    # Every figure measured again under one: the earlier one is forgotten.
    write_protocol(tmp_path, "box", commit, other, replace=True)
    assert "earlier" not in read_protocol(tmp_path, "box", commit)
    path.write_bytes(gzip.compress(b"{}"))
    with pytest.raises(UsdBenchError, match="1697dc9f.json.gz"):
        read_protocol(tmp_path, "box", commit)


def test_the_suites_protocol_record():
    from benchmarks import protocol

    record = protocol.record({})
    assert record["protocol"] == protocol.PROTOCOL >= 1
    assert record["memory_figures_threads"] == protocol.MEMORY_THREADS
    assert record["environment"] == {}
    env = {"MALLOC_ARENA_MAX": "2", protocol.ENV: "default", "HOME": "/x"}
    other = protocol.record(env)
    assert other["environment"] == {"MALLOC_ARENA_MAX": "2"}
    assert other["memory_figures_threads"] == "default"
    assert protocol_differences(record, other)


def test_check_refuses_commits_measured_under_different_protocols(asv_runs, tmp_path):
    project = asv_runs
    results = tmp_path / "results"
    shutil.copytree(project.path / "results", results)
    noise_path(results, RUNS_MACHINE).unlink(missing_ok=True)
    config = tmp_path / "asv.conf.json"
    config.write_text(json.dumps({"results_dir": str(results)}))
    first, second = project.commits[:2]

    def check(*extra):
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "usdbench",
                "gate",
                "check",
                first,
                second,
                "--machine",
                RUNS_MACHINE,
                "--measure",
                "never",
                "--config",
                str(config),
                *extra,
            ],  # fmt: skip
            cwd=REPO,
            capture_output=True,
            text=True,
        )

    run = check()
    assert run.returncode == 0, run.stderr
    assert "no memory protocol recorded" in run.stderr
    write_protocol(results, RUNS_MACHINE, first, PROTOCOL_ONE)
    write_protocol(results, RUNS_MACHINE, second, PROTOCOL_ONE)
    run = check()
    assert run.returncode == 0 and "protocol" not in run.stderr, run.stderr
    write_protocol(results, RUNS_MACHINE, second, {**PROTOCOL_ONE, "arrow_pool": "system"})
    run = check()
    assert run.returncode == 2, run.stdout + run.stderr
    last = run.stderr.strip().splitlines()[-1]
    assert "different memory protocols" in last and "arrow_pool" in last
    assert str(protocol_path(results, RUNS_MACHINE, second)) in last
    run = check("--any-protocol")
    assert run.returncode == 0 and "different memory protocols" in run.stderr


def test_protocol_command_records_the_suites_protocol(asv_runs):
    project = asv_runs
    first = project.commits[0]
    results = project.path / "results"
    # The protocol module and the Arrow pool it starts (protocol 5).
    modules = ("protocol.py", "arrow_start.py")
    try:
        run = _gate(project, "protocol", first[:8], "--machine", RUNS_MACHINE)
        assert run.returncode == 2 and "records no memory protocol" in run.stderr
        for name in modules:
            shutil.copy(REPO / "benchmarks" / name, project.path / "benchmarks" / name)
        run = _gate(project, "protocol", first[:8], "--machine", RUNS_MACHINE)
        assert run.returncode == 0, run.stderr
        record = read_protocol(results, RUNS_MACHINE, first)
        assert record["protocol"] >= 1 and record["memory_figures_threads"] == 1
        assert "memory figures on 1 thread(s)" in run.stdout
        run = _gate(project, "protocol", "HEAD~5", "--machine", RUNS_MACHINE)
        assert run.returncode == 2 and "'HEAD~5'" in run.stderr
    finally:
        for name in modules:
            (project.path / "benchmarks" / name).unlink(missing_ok=True)
        protocol_path(results, RUNS_MACHINE, first).unlink(missing_ok=True)


def test_repeatability_script_judges_asv_runs(asv_runs, tmp_path):
    """scripts/memory_repeatability.py --asv-runs: the issue's targets,
    asv compare and the gate on every two runs of one commit."""
    project = asv_runs
    script = [sys.executable, str(REPO / "scripts" / "memory_repeatability.py"), "--asv-runs"]
    bench_json = ["--benchmarks-json", str(project.path / "results" / "benchmarks.json")]

    def judge(*dirs, options=()):
        return subprocess.run(
            [*script, *map(str, dirs), *bench_json, *options],
            cwd=REPO,
            capture_output=True,
            text=True,
        )

    run = judge(*project.runs)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "3 asv runs of" in run.stdout and "4 memory figures" in run.stdout
    assert "miss:" not in run.stdout
    assert run.stdout.count(": 0\n") == 3  # asv compare: no figure flagged in 3 pairs
    # A run whose usda figure at scale 10 is 5% higher: a miss, flagged by both.
    moved = tmp_path / "moved"
    shutil.copytree(project.runs[2], moved)
    (result,) = [p for p in moved.glob("*.json") if p.name != "machine.json"]
    data = json.loads(result.read_text())
    columns = data["result_columns"]
    row = data["results"]["bench.Load.track_peak_bytes"]
    value = row[columns.index("result")][0] * 1.05  # ('usda', 10) comes first
    row[columns.index("result")][0] = value
    if len(row) > columns.index("samples") and row[columns.index("samples")]:
        row[columns.index("samples")][0] = [value]  # a track_ value asv kept samples of
    result.write_text(json.dumps(data))
    run = judge(project.runs[0], moved)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "miss: bench.Load.track_peak_bytes('usda', 10)" in run.stdout
    assert "+ bench.Load.track_peak_bytes('usda', 10)" in run.stdout
    assert "regression bench.Load.track_peak_bytes('usda', 10)" in run.stdout
    # Out of sample: calibrated on the first two runs, the third judged against
    # each of them; unchanged, nothing is called; moved, the figure in both.
    run = judge(*project.runs, options=("--calibrate-on", "2"))
    assert "the gate calibrated on the first 2 runs" in run.stdout, run.stdout + run.stderr
    assert "0 of 2 comparisons with a figure called" in run.stdout, run.stdout
    run = judge(project.runs[0], project.runs[1], moved, options=("--calibrate-on", "2"))
    out_of_sample = run.stdout.split("the gate calibrated on the first 2 runs")[1]
    assert "2 of 2 comparisons with a figure called" in out_of_sample, run.stdout
    assert out_of_sample.count("regression bench.Load.track_peak_bytes('usda', 10)") == 2
    # With a committed calibration (as `gate calibrate --from-runs` writes one,
    # here from runs 1 and 2): every two runs judged as `gate check` judges.
    from usdbench import gzjson
    from usdbench.gate.noise import noise_from_runs, read_runs

    noise = tmp_path / "gate-noise.json.gz"
    gzjson.write(noise, {"figures": noise_from_runs(read_runs(project.runs[:2]))})
    run = judge(*project.runs, options=("--noise", str(noise)))
    calibrated = run.stdout.split(f"the gate with the calibration {noise}, every two runs:")[1]
    assert calibrated.count(": 0 called") == 3, run.stdout + run.stderr
    run = judge(project.runs[0], project.runs[1], moved, options=("--noise", str(noise)))
    calibrated = run.stdout.split("every two runs:")[1]
    assert calibrated.count(": 0 called") == 1, run.stdout  # runs 1 and 2
    assert calibrated.count("regression bench.Load.track_peak_bytes('usda', 10)") == 2
