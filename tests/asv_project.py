"""A throwaway copy of this repository with its own git history, on which the
tests run the real `asv` command (virtualenv environments, quick profile)."""

from __future__ import annotations

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


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


@dataclass
class AsvProject:
    path: Path
    env: dict
    commits: list[str] = field(default_factory=list)

    @classmethod
    def copy_of_repo(cls, path: Path, home: Path, cache: Path) -> AsvProject:
        """Copy the tracked and untracked-but-not-ignored files (what a clean
        clone would hold, plus work in progress) into a fresh git repo, with
        an empty results database."""
        listed = _git(REPO, "ls-files", "--cached", "--others", "--exclude-standard", "-z")
        for name in filter(None, listed.split("\0")):
            if name.startswith("results/") and name != "results/README.md":
                continue  # the reference machine's history: not this project's
            src = REPO / name
            if src.is_file():
                (path / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, path / name)
        _git(path, "init", "-q", "-b", "main")
        _git(path, "config", "user.email", "test@example.invalid")
        _git(path, "config", "user.name", "test")
        home.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        # asv keeps its machine file in ~: give it a home of its own, but keep
        # pip's download cache so environments build from cached wheels.
        env.update(
            HOME=str(home),
            PIP_CACHE_DIR=os.environ.get("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip")),
            USDBENCH_CACHE=str(cache),
            USDBENCH_PROFILE="quick",
        )
        project = cls(path, env)
        project.commit("first commit")
        project.asv("machine", "--yes", "--machine", MACHINE)
        return project

    def commit(self, message: str) -> str:
        _git(self.path, "add", "-A")
        _git(self.path, "commit", "-q", "--allow-empty", "-m", message)
        sha = _git(self.path, "rev-parse", "HEAD")
        self.commits.append(sha)
        return sha

    def asv(self, *args: str, check: bool = True, timeout: int = 1800):
        run = subprocess.run(
            [*ASV, *args],
            cwd=self.path,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and run.returncode != 0:
            raise AssertionError(
                f"asv {' '.join(args)} exited {run.returncode}\n"
                f"{run.stdout[-6000:]}\n{run.stderr[-4000:]}"
            )
        return run

    def results(self, commit: str) -> dict:
        """asv's result file of a commit on the test machine."""
        files = sorted((self.path / "results" / MACHINE).glob(f"{commit[:8]}-*.json"))
        assert files, f"no results for {commit[:8]}"
        return json.loads(files[0].read_text())

    def benchmarks(self) -> dict:
        return json.loads((self.path / "results" / "benchmarks.json").read_text())
