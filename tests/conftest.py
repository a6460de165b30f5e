"""Session fixtures shared by the asv suite and site tests."""

from __future__ import annotations

import subprocess
import sys

import pytest

# Helpers with asserts, imported here first: let pytest rewrite them.
pytest.register_assert_rewrite("tests.asv_project", "tests.conftest_site")

from tests.asv_project import AsvProject  # noqa: E402
from tests.conftest_site import PublishedSite, combinations_from_benchmarks_json  # noqa: E402


@pytest.fixture(scope="session")
def asv_project(tmp_path_factory):
    """This repository copied into a fresh git repo with two commits, both
    benchmarked by the real `asv run` (virtualenv, quick profile), published."""
    base = tmp_path_factory.mktemp("asv")
    project = AsvProject.copy_of_repo(base / "repo", base / "home", base / "cache")
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
    """The real suite's published asv site plus the format report (the browser
    tests run against this; test_report.py keeps its toy project for exact values)."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "usdbench.report",
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
