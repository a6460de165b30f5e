"""Samples of the memory figures, from asv itself: one ``asv run`` per commit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from usdbench.errors import UsdBenchError

from .figures import bench_pattern, memory_samples, newest_result


def fewest_samples(results_dir: Path, machine: str, commit: str, only: str | None) -> int:
    """The fewest samples any measured memory figure of the commit has (0: none measured)."""
    figures = memory_samples(newest_result(results_dir, machine, commit), only)
    return min((len(v) for v in figures.values()), default=0)


def measure(
    config: Path, machine: str, commit: str, rounds: int, only: str | None, append: bool = False
) -> None:
    """asv run of the memory figures on one commit, ``rounds`` fresh processes
    each, samples kept; they replace the commit's samples of those figures,
    or join them with ``append``."""
    cmd = [sys.executable, "-m", "asv", "run", "--config", str(config), "--machine", machine]
    cmd += ["--record-samples", "-a", f"rounds={rounds}", "--show-stderr"]
    if append:
        cmd.append("--append-samples")
    cmd += ["--bench", bench_pattern(only), f"{commit}^!"]
    print(f"== gate: measuring {commit[:8]} ({rounds} processes per figure)", flush=True)
    run = subprocess.run(cmd, cwd=config.resolve().parent, capture_output=True, text=True)
    # asv exits 2 when a benchmark failed: that figure shows as missing.
    if run.returncode not in (0, 2):
        tail = (run.stdout + run.stderr)[-3000:]
        raise UsdBenchError(f"asv run on {commit[:8]} exited {run.returncode}:\n{tail}")
