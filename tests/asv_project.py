"""Throwaway asv projects on which the tests run the real `asv` command.

One builder for every such project: a fresh git repo in a temporary folder,
with its own HOME (asv keeps its machine file in ~) and a registered machine.
`AsvProject.copy_of_repo` fills it with this repository (virtualenv
environments, quick profile); `AsvProject.create` with a small suite of the
test's own, run in this interpreter (asv's "existing" environment).
"""

from __future__ import annotations

import ast
import itertools
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ASV = [sys.executable, "-m", "asv"]
MACHINE = "testbox"
# asv's own output, never committed: a later commit must not carry it.
_IGNORED = "results/\nhtml/\n.asv/\n"


def config_here(project: str, **extra) -> dict:
    """asv.conf.json of a suite run in this interpreter (asv's "existing"
    environment, see AsvProject.run_here), ``extra`` keys added."""
    return {
        "version": 1,
        "project": project,
        "repo": ".",
        "branches": ["main"],
        "environment_type": "existing",
        "benchmark_dir": "benchmarks",
        "results_dir": "results",
        "html_dir": "html",
        "env_dir": ".asv/env",
        **extra,
    }


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


@dataclass
class AsvProject:
    path: Path
    env: dict
    machine: str = MACHINE
    commits: list[str] = field(default_factory=list)

    @classmethod
    def create(
        cls,
        path: Path,
        config: dict | None = None,
        files: dict[str, str] | None = None,
        env: dict[str, str] | None = None,
        machine: str = MACHINE,
    ) -> AsvProject:
        """A git repo at ``path`` holding ``files`` (relative name -> text) and,
        if given, ``config`` as asv.conf.json; HOME is ``path``'s sibling
        "home", ``env`` is added to the environment. Nothing is committed."""
        path.mkdir(parents=True, exist_ok=True)
        home = path.parent / "home"
        home.mkdir(parents=True, exist_ok=True)
        full_env = dict(os.environ, HOME=str(home), GIT_CONFIG_NOSYSTEM="1")
        # asv's machine file goes to the new HOME; pip keeps its download
        # cache, so environments build from cached wheels.
        full_env["PIP_CACHE_DIR"] = os.environ.get(
            "PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip")
        )
        full_env.pop("ASV_ENV_DIR", None)
        full_env.update(env or {})
        project = cls(path, full_env, machine)
        files = dict(files or {})
        if not (path / ".gitignore").exists():
            files[".gitignore"] = _IGNORED
        if config is not None:
            files["asv.conf.json"] = json.dumps(config, indent=2)
        project.write_files(files)
        _git(path, "init", "-q", "-b", "main")
        _git(path, "config", "user.email", "test@example.invalid")
        _git(path, "config", "user.name", "test")
        project.asv("machine", "--yes", "--machine", machine)
        return project

    @classmethod
    def copy_of_repo(cls, path: Path, cache: Path) -> AsvProject:
        """This repository's tracked and untracked-but-not-ignored files (what
        a clean clone would hold, plus work in progress), with an empty results
        database, committed once; the quick profile, data cached in ``cache``."""
        listed = _git(REPO, "ls-files", "--cached", "--others", "--exclude-standard", "-z")
        path.mkdir(parents=True)
        for name in filter(None, listed.split("\0")):
            if name.startswith("results/") and name != "results/README.md":
                continue  # the reference machine's history: not this project's
            src = REPO / name
            if src.is_file():
                (path / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, path / name)
        env = {"USDBENCH_CACHE": str(cache), "USDBENCH_PROFILE": "quick"}
        project = cls.create(path, env=env)
        project.commit("first commit")
        return project

    def write_files(self, files: dict[str, str]) -> None:
        """Write files (relative name -> text) into the project."""
        for name, text in files.items():
            (self.path / name).parent.mkdir(parents=True, exist_ok=True)
            (self.path / name).write_text(text)

    def commit(self, message: str, date: str | None = None) -> str:
        """Commit everything; ``date`` (ISO 8601) fixes the commit's date,
        which asv records as the date of its results."""
        env = dict(self.env)
        if date is not None:
            env.update(GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
        for args in (["add", "-A"], ["commit", "-q", "--allow-empty", "-m", message]):
            subprocess.run(["git", *args], cwd=self.path, env=env, check=True, capture_output=True)
        sha = _git(self.path, "rev-parse", "HEAD")
        self.commits.append(sha)
        return sha

    def asv(self, *args: str, check: bool = True, ok_codes=(0,), timeout: int = 1800):
        run = subprocess.run(
            [*ASV, *args],
            cwd=self.path,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and run.returncode not in ok_codes:
            raise AssertionError(
                f"asv {' '.join(args)} exited {run.returncode}\n"
                f"{run.stdout[-6000:]}\n{run.stderr[-4000:]}"
            )
        return run

    def run_here(self, commit: str, *args: str, ok_codes=(0,)):
        """`asv run` of one commit in this interpreter (no environment to build)."""
        return self.asv(
            "run",
            "--set-commit-hash",
            commit,
            "-E",
            f"existing:{sys.executable}",
            "--machine",
            self.machine,
            "--show-stderr",
            *args,
            ok_codes=ok_codes,
        )

    def results(self, commit: str) -> dict:
        """asv's result file of a commit on the project's machine."""
        files = sorted((self.path / "results" / self.machine).glob(f"{commit[:8]}-*.json"))
        assert files, f"no results for {commit[:8]}"
        return json.loads(files[0].read_text())

    def benchmarks(self) -> dict:
        return json.loads((self.path / "results" / "benchmarks.json").read_text())


@dataclass(frozen=True)
class Combination:
    benchmark: str  # asv's name, e.g. "bench.Load.track_peak_bytes"
    params: dict  # param name -> value as the report displays it
    status: str | None  # "ok", "skipped", "failed"; None when not known in advance
    value: float | None = None  # the figure, where the test knows it


@dataclass(frozen=True)
class PublishedSite:
    """An asv site published from a project's results, and what it should show."""

    html_dir: Path
    combinations: list[Combination]
    config_path: Path
    commits: list[str]  # oldest first; the newest has every combination


def combinations_from_benchmarks_json(results_dir: Path) -> list[Combination]:
    """Every combination asv was asked to run, from results/benchmarks.json (status unknown).

    It reads asv's benchmark list, not the result files the report reads, so
    it can catch a row the report dropped.
    """

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
