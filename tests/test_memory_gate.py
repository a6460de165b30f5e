"""The memory regression gate (usdbench gate), driven for real: the
suite's throwaway repository (quick profile, virtualenv environments), its
unchanged second commit, and a commit that allocates 10% more in one
format's load."""

from __future__ import annotations

import math
import statistics
import subprocess
import sys

import pytest

from usdbench.gate import Rule, calibrated_ranges, memory_samples, newest_result, read_noise

pytestmark = pytest.mark.slow

LOAD = "load.InitialLoad"
PEAK = f"{LOAD}.track_peak_bytes"


def gate(project, command: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "usdbench", "gate", command, *args, "--machine", project.machine],
        cwd=project.path,
        env=project.env,
        capture_output=True,
        text=True,
        timeout=3600,
    )


def quietest_load(project, commit: str) -> tuple[str, float]:
    """The format whose load figures would show 10% more most clearly above
    the gate's threshold (its calibrated noise included), and its load peak.
    At 1k prims that is no given: Parquet's 1.6 MiB load moves by more than
    10% between processes, and on a busy machine usdz's 15 MiB by 4 MiB."""
    results = project.path / "results"
    figures = memory_samples(newest_result(results, project.machine, commit), LOAD)
    noise = calibrated_ranges(read_noise(results, project.machine))
    margins: dict[str, float] = {}
    for key, values in figures.items():
        fmt = key.split("(", 1)[1].split(",")[0].strip("'")
        median = statistics.median(values)
        need = Rule().threshold(values, values, noise.get(key, 0.0))
        margins[fmt] = max(margins.get(fmt, -math.inf), 0.10 * median - need)
    fmt = max(margins, key=margins.get)
    assert margins[fmt] > 0, f"no format's load is quieter than 10% here: {margins}"
    peak = figures[next(k for k in figures if k.startswith(f"{PEAK}('{fmt}',"))]
    return fmt, statistics.median(peak)


def test_unchanged_commit_passes_three_times_and_ten_percent_more_fails(asv_project):
    project = asv_project
    base, same = project.commits[:2]  # the second commit changes nothing measured
    run = gate(project, "calibrate", base, "--bench", LOAD)
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    assert (project.path / "results" / project.machine / "gate-noise.json.gz").is_file()
    for attempt in range(3):
        # Both commits measured afresh each time: three independent verdicts.
        run = gate(project, "check", base, same, "--bench", LOAD, "--measure", "always")
        out = run.stdout + run.stderr
        assert run.returncode == 0, f"attempt {attempt + 1}:\n{out[-4000:]}"
        assert "memory gate: 0 regressions" in run.stdout, out[-4000:]

    fmt, peak = quietest_load(project, same)
    extra = int(0.10 * peak)
    workloads = project.path / "usdbench" / "workloads.py"
    original = workloads.read_text()
    workloads.write_text(
        original + "\n\n_HELD = []\n_load = load\n\n\ndef load(files, columns=None):\n"
        "    stage = _load(files, columns)\n"
        f"    if files.format.name == {fmt!r}:\n"
        f"        _HELD.append(b'x' * {extra})  # touched, and kept with the stage\n"
        "    return stage\n"
    )
    try:
        regressed = project.commit(f"{fmt}: 10% more memory in its load")
        run = gate(project, "check", same, regressed, "--bench", LOAD)
    finally:
        workloads.write_text(original)
        project.commit("restore")
    out = run.stdout + run.stderr
    assert run.returncode == 1, out[-4000:]
    # Named: the load benchmark of that format (its peak, delta or retained
    # figure: all three hold the extra bytes), and nothing else.
    flagged = [line for line in run.stdout.splitlines() if line.startswith("regression")]
    assert flagged, out
    assert all(line.startswith(f"regression  {LOAD}.") for line in flagged), flagged
    assert all(f"_bytes('{fmt}'," in line for line in flagged), flagged
