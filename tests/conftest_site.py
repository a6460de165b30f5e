"""The `published_site` fixture: a real asv results database and published site.

For now it comes from a throwaway toy asv project (a git repo in tmp with a
tiny benchmark suite, run with the current interpreter through asv's
"existing" environment), then `asv publish`, then `python -m usdbench.report`.
The toy's figures are fixed functions of its parameters, so the tests can
check values as well as presence. Import it into a test module with
`pytest_plugins = ["tests.conftest_site"]` (a conftest.py fixture of the same
name overrides it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
MACHINE = "testmachine"

# Deliberately not in the report's order: the report must sort them.
TOY_FORMATS = ["parquet-zstd-rg1000", "usda", "custom", "usdc"]
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


@dataclass(frozen=True)
class Combination:
    benchmark: str  # asv's name, e.g. "bench.Load.track_peak_bytes"
    params: dict  # param name -> value as the report displays it
    status: str | None  # "ok", "skipped", "failed"; None when not known in advance
    value: float | None = None  # the figure, where the test knows it


@dataclass(frozen=True)
class PublishedSite:
    html_dir: Path
    combinations: list[Combination]
    config_path: Path
    commits: list[str]  # oldest first; the newest has every combination


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


def combinations_from_benchmarks_json(results_dir: Path) -> list[Combination]:
    """Every combination asv was asked to run, from results/benchmarks.json (status unknown).

    For a published_site built from the real suite: it reads asv's benchmark
    list, not the results files the report reads, so it can catch a dropped row.
    """
    import ast
    import itertools

    def shown(value_repr: str) -> str:
        try:
            value = ast.literal_eval(value_repr)
        except (ValueError, SyntaxError):
            return value_repr
        return str(value) if isinstance(value, (str, int, float, bool)) else value_repr

    data = json.loads((Path(results_dir) / "benchmarks.json").read_text())
    out = []
    for name, bench in sorted(data.items()):
        if not isinstance(bench, dict):
            continue
        names = bench.get("param_names") or []
        for combo in itertools.product(*(bench.get("params") or [])):
            params = {n: shown(v) for n, v in zip(names, combo, strict=True)}
            out.append(Combination(name, params, status=None))
    return out


def _run(cmd: list[str], cwd: Path, env: dict, ok_codes=(0,)) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    if proc.returncode not in ok_codes:
        output = f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        raise AssertionError(f"{' '.join(cmd)} exited {proc.returncode}\n{output}")
    return proc.stdout


def _write_suite(root: Path, multiplier: int) -> None:
    (root / "benchmarks" / "bench.py").write_text(
        textwrap.dedent(_TOY_BENCH).format(
            formats=TOY_FORMATS,
            scales=TOY_SCALES,
            hierarchies=TOY_HIERARCHIES,
            skipped=sorted(TOY_SKIPPED),
            failed=sorted(TOY_FAILED),
            multiplier=multiplier,
        )
    )


def make_toy_asv_project(root: Path) -> PublishedSite:
    """Two commits: the older measured for FileSize only (multiplier 1), the newer for all (2)."""
    root.mkdir(parents=True, exist_ok=True)
    home = root / "home"  # asv machine writes ~/.asv-machine.json: keep it out of the real home
    home.mkdir()
    env = dict(os.environ, HOME=str(home), GIT_CONFIG_NOSYSTEM="1")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.pop("ASV_ENV_DIR", None)
    git_env = dict(env, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.invalid")
    git_env.update(GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.invalid")

    (root / "benchmarks").mkdir()
    (root / "benchmarks" / "__init__.py").write_text("")
    (root / ".gitignore").write_text("results/\nhtml/\n.asv/\nhome/\n")
    config = {
        "version": 1,
        "project": "toy",
        "project_url": "#",
        "repo": ".",
        "branches": ["main"],
        "environment_type": "existing",
        "benchmark_dir": "benchmarks",
        "results_dir": "results",
        "html_dir": "html",
        "env_dir": ".asv/env",
    }
    (root / "asv.conf.json").write_text(json.dumps(config, indent=2))
    _run(["git", "init", "-q", "-b", "main"], root, git_env)

    asv = [sys.executable, "-m", "asv"]
    _run([*asv, "machine", "--yes", "--machine", MACHINE], root, env)
    commits = []
    for day, multiplier in ((1, 1), (2, 2)):
        _write_suite(root, multiplier)
        dated = dict(git_env, GIT_AUTHOR_DATE=f"2024-01-0{day}T12:00:00Z")
        dated["GIT_COMMITTER_DATE"] = dated["GIT_AUTHOR_DATE"]
        _run(["git", "add", "-A"], root, dated)
        _run(["git", "commit", "-q", "-m", f"toy {day}"], root, dated)
        commit = _run(["git", "rev-parse", "HEAD"], root, dated).strip()
        commits.append(commit)
        run = [*asv, "run", "--set-commit-hash", commit, "-E", f"existing:{sys.executable}"]
        run += ["--machine", MACHINE, "--show-stderr"]
        if multiplier == 1:
            run += ["--bench", "FileSize"]
        # asv run exits 2 when a benchmark failed, as the toy's failing combination does.
        _run(run, root, env, ok_codes=(0, 2))
    _run([*asv, "publish"], root, env)
    return PublishedSite(
        html_dir=root / "html",
        combinations=toy_combinations(multiplier=2),
        config_path=root / "asv.conf.json",
        commits=commits,
    )


def publish_report(site: PublishedSite) -> None:
    """Run the report command the way a person does."""
    _run(
        [sys.executable, "-m", "usdbench.report", "--config", str(site.config_path)],
        REPO_ROOT,
        dict(os.environ),
    )


@pytest.fixture(scope="session")
def toy_asv_project(tmp_path_factory) -> PublishedSite:
    return make_toy_asv_project(tmp_path_factory.mktemp("toy-asv") / "project")


@pytest.fixture(scope="session")
def published_site(toy_asv_project) -> PublishedSite:
    """The published asv site plus the format report, and every expected combination."""
    publish_report(toy_asv_project)
    return toy_asv_project
