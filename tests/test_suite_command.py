"""The README's main command, `.ci/suite`, run for real (quick profile) on a
copy of this repository: it benchmarks the commit one class at a time, merges
the results under a machine named for the profile, publishes, and resumes an
interrupted run without re-measuring, never measuring in the asv run that
builds the commit."""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.asv_project import REPO, AsvProject


def _bootstrapped_venv() -> Path:
    """The .venv .ci/bootstrap made for this checkout, which the copy reuses
    (a second venv would cost a minute of pip). Only reused when bootstrap
    marked it installed: otherwise bootstrap would pip-install into it. The
    mark's name comes from bootstrap's own `stamp=` line, evaluated."""
    bootstrap = (REPO / ".ci" / "bootstrap").read_text().splitlines()
    line = next(line for line in bootstrap if line.startswith("stamp="))
    stamp = subprocess.run(
        ["bash", "-c", f'{line}; echo "$stamp"'], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    venv = Path(sys.prefix)
    if not stamp or not (venv / Path(stamp).name).exists():
        pytest.skip(f"not run from the .venv of .ci/bootstrap ({venv}); .ci/run does that")
    return venv


def _result_file(project: AsvProject, commit: str) -> Path:
    machines = [p for p in (project.path / "results").iterdir() if p.is_dir()]
    files = [f for m in machines for f in m.glob(f"{commit[:8]}-*.json")]
    assert len(files) == 1, files
    # A quick run's figures are kept apart from the default profile's history,
    # under a machine that still describes the host.
    assert files[0].parent.name == f"{platform.node()}-quick", files[0]
    info = json.loads((files[0].parent / "machine.json").read_text())
    assert info["num_cpu"] == str(os.cpu_count()) and int(info["ram"]) > 0, info
    assert info["arch"] == platform.machine() and info["os"], info
    return files[0]


def _benchmark_names(project: AsvProject) -> set[str]:
    return {name for name, meta in project.benchmarks().items() if isinstance(meta, dict)}


def _started(result: dict) -> dict[str, int]:
    column = result["result_columns"].index("started_at")
    return {name: row[column] for name, row in result["results"].items()}


def _suite(project: AsvProject, *args: str) -> subprocess.CompletedProcess:
    env = dict(project.env)
    # What a user's shell would have: not the venv pytest runs in.
    env["PATH"] = os.pathsep.join(
        p for p in env["PATH"].split(os.pathsep) if not p.startswith(sys.prefix)
    )
    env.pop("VIRTUAL_ENV", None)
    run = subprocess.run(
        [str(project.path / ".ci" / "suite"), *args],
        cwd=project.path,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    return run


@pytest.mark.slow
def test_suite_runs_class_by_class_publishes_and_resumes(tmp_path):
    venv = _bootstrapped_venv()
    project = AsvProject.copy_of_repo(tmp_path / "repo", tmp_path / "cache")
    (project.path / ".venv").symlink_to(venv)
    commit = project.commits[-1]

    # Class by class is the full profile's default; modules are the others'.
    project.env["USDBENCH_CHUNKS"] = "class"
    run = _suite(project)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-6000:]
    # Built and installed by an asv run of its own: no measuring run builds,
    # so none hands asv's build variables to its benchmark processes.
    assert f"== asv: installing {commit[:8]} by an asv run of its own" in out
    assert f"Installing {commit[:8]}" not in out, out[-6000:]
    # One asv run per benchmark class, all merged into the commit's one result file.
    runs = [int(n) for n in re.findall(r"Running (\d+) total benchmarks", out)]
    benchmarks = _benchmark_names(project)
    classes = {".".join(name.split(".")[:2]) for name in benchmarks}
    assert len(runs) == len(classes) > 1, (runs, classes)
    result = json.loads(_result_file(project, commit).read_text())
    assert set(result["results"]) == benchmarks and sum(runs) == len(result["results"])
    # The site and the report it says it wrote.
    assert f"asv site:          {project.path}/html/index.html" in run.stdout
    index = json.loads((project.path / "html" / "index.json").read_text())
    assert "load.InitialLoad.track_peak_bytes" in index["benchmarks"]
    assert (project.path / "html" / "formats" / "index.html").stat().st_size > 0

    # An interrupted run: the traversal module's results never got saved.
    path = _result_file(project, commit)
    lost = {n for n in result["results"] if n.startswith("traversal.")}
    assert lost
    for key in ("results", "durations"):
        result[key] = {n: v for n, v in result[key].items() if n not in lost}
    path.write_text(json.dumps(result))
    before = _started(result)

    run = _suite(project, "--skip-existing-successful")
    assert run.returncode == 0, (run.stdout + run.stderr)[-6000:]
    after = json.loads(_result_file(project, commit).read_text())
    assert set(after["results"]) == benchmarks
    started = _started(after)
    # Kept results were not measured again; the lost ones were.
    assert {n: started[n] for n in before} == before
    assert all(started[n] is not None for n in lost)
