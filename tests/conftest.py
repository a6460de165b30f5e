"""Session fixtures: the throwaway asv projects (this repository's suite, the
toy suite), the published site of the suite, and the memtrack tests' check
for the kernel high-water mark."""

from __future__ import annotations

import subprocess
import sys
import warnings

import pytest

# Helpers with asserts, imported here first: let pytest rewrite them.
pytest.register_assert_rewrite("tests.asv_project", "tests.toy_suite")

from memtrack import MemtrackWarning, PerformanceTracker  # noqa: E402
from tests.asv_project import (  # noqa: E402
    AsvProject,
    PublishedSite,
    combinations_from_benchmarks_json,
)
from tests.toy_suite import make_toy_project  # noqa: E402


@pytest.fixture(scope="session")
def hwm_backend() -> None:
    """Skips the test unless memtrack's exact backend, the Linux kernel
    high-water mark, works here (a tracker asked for it says what it used)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MemtrackWarning)
        with PerformanceTracker(backend="hwm") as probe:
            pass
    if probe.result.backend != "hwm":
        pytest.skip(f"needs the Linux kernel high-water-mark reset: {probe.result.method}")


@pytest.fixture(scope="session")
def asv_project(tmp_path_factory) -> AsvProject:
    """This repository copied into a fresh git repo with two commits, both
    benchmarked by the real `asv run` (virtualenv, quick profile), published."""
    base = tmp_path_factory.mktemp("asv")
    project = AsvProject.copy_of_repo(base / "repo", base / "cache")
    (project.path / "NOTES.txt").write_text("a second commit that changes nothing measured\n")
    project.commit("second commit")
    hashes = base / "commits.txt"
    hashes.write_text("\n".join(project.commits) + "\n")
    run = project.asv("run", "--show-stderr", f"HASHFILE:{hashes}", check=False)
    project.run_output = run.stdout + run.stderr
    assert run.returncode == 0, project.run_output[-8000:]
    project.asv("publish")
    return project


@pytest.fixture(scope="session")
def published_site(asv_project) -> PublishedSite:
    """The suite's published asv site plus the format report, written the way
    a person does (the browser tests run against this)."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "usdbench",
            "report",
            "--config",
            str(asv_project.path / "asv.conf.json"),
            "--commit",
            asv_project.commits[1],
        ],
        cwd=asv_project.path,
        env=asv_project.env,
        check=True,
        capture_output=True,
        text=True,
    )
    return PublishedSite(
        html_dir=asv_project.path / "html",
        combinations=combinations_from_benchmarks_json(asv_project.path / "results"),
        config_path=asv_project.path / "asv.conf.json",
        commits=list(asv_project.commits[:2]),
    )


@pytest.fixture(scope="session")
def toy_asv_project(tmp_path_factory) -> PublishedSite:
    """The toy suite's two measured commits and its published site (tests/toy_suite.py)."""
    return make_toy_project(tmp_path_factory.mktemp("toy-asv") / "project")
