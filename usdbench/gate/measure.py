"""Samples of the memory figures, from asv itself: one ``asv run`` per commit,
its memory protocol recorded beside the results."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

from usdbench.asv_install import install
from usdbench.asv_results import read_config, write_protocol
from usdbench.errors import UsdBenchError

from .figures import bench_pattern, memory_samples, newest_result


def fewest_samples(results_dir: Path, machine: str, commit: str, only: str | None) -> int:
    """The fewest samples any measured memory figure of the commit has (0: none measured)."""
    figures = memory_samples(newest_result(results_dir, machine, commit), only)
    return min((len(v) for v in figures.values()), default=0)


def measure(
    config: Path, machine: str, commit: str, rounds: int, only: str | None, append: bool = False
) -> None:
    """asv run of the memory figures on one commit (a full hash), ``rounds`` fresh processes
    each, samples kept; they replace the commit's samples of those figures,
    or join them with ``append``. The commit is installed by a run of its
    own first (usdbench.asv_install: the building run's processes differ)."""
    install(config, machine, commit)
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
    # Every memory figure measured anew: the commit's earlier protocol is gone.
    record_protocol(config, machine, commit, replace=not append and not only)


def suite_protocol(config: Path) -> dict | None:
    """The memory protocol the suite beside ``config`` measures under in
    this environment (asv takes the benchmarks from that working tree and
    hands them this environment): its benchmarks/protocol.py's record(),
    run in a fresh interpreter; None, with a warning, for a suite without one."""
    root = config.resolve().parent
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks.protocol"], cwd=root, env=env,
        capture_output=True, text=True,
    )  # fmt: skip
    try:
        record = json.loads(run.stdout.strip().splitlines()[-1]) if run.returncode == 0 else None
    except (ValueError, IndexError):
        record = None
    if not isinstance(record, dict) or "protocol" not in record:
        warnings.warn(
            f"the suite in {root} records no memory protocol "
            f"(python -m benchmarks.protocol: {(run.stderr or run.stdout)[-300:]!r})",
            stacklevel=2,
        )
        return None
    return record


def record_protocol(config: Path, machine: str, commit: str, replace: bool = False) -> Path | None:
    """Write the suite's protocol beside the commit's results on the machine."""
    from .figures import newest_result

    results_dir, _ = read_config(config)
    result = newest_result(results_dir, machine, commit)
    record = suite_protocol(config)
    if result is None or record is None:
        return None
    return write_protocol(results_dir, machine, result.commit_hash, record, replace)
