"""Commits named on the command line, resolved by git in the asv config's repository."""

from __future__ import annotations

import subprocess
from pathlib import Path

from usdbench.errors import UsdBenchError


def resolve(repo: Path, rev: str, what: str) -> str:
    """The full hash of ``rev`` (a hash, a prefix, HEAD, a branch) in ``repo``;
    UsdBenchError naming ``what`` (the argument) and the repository if git cannot."""
    try:
        run = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"],
            cwd=repo,
            capture_output=True,
            text=True,
        )
    except OSError as err:
        raise UsdBenchError(f"{what} {rev!r}: cannot run git in {repo}: {err}") from err
    if run.returncode != 0:
        why = run.stderr.strip().splitlines()[-1:] or ["no such commit"]
        raise UsdBenchError(f"{what} {rev!r}: {why[0]} (git, in {repo})")
    return run.stdout.strip()
