"""The noise each memory figure shows over several asv runs of one commit.

A figure also moves between asv runs, not only between the processes of one
run: it can sit at one level in every process of one run and at another,
megabytes away, in every process of the next (docs/measurements.md, "The
memory gate"). Comparing two runs on their own samples then cries wolf.
``calibrate`` runs asv several times on one commit and keeps, per figure,
the whole range its samples took: the gate's rule never calls a change
below it a regression.

Stored as <results_dir>/<machine>/gate-noise.json.gz (gzipped: asv warns of
any *.json in its results folder without a machine.json beside it), next
to the results it was measured with; committed with them for the reference
machine.
"""

from __future__ import annotations

import datetime
import statistics
from pathlib import Path

from usdbench import gzjson
from usdbench.errors import UsdBenchError

from .figures import memory_samples, newest_result

VERSION = 1
FILENAME = "gate-noise.json.gz"


def noise_path(results_dir: Path, machine: str) -> Path:
    return Path(results_dir) / machine / FILENAME


def read_noise(results_dir: Path, machine: str) -> dict | None:
    """The machine's calibration, or None where there is none; UsdBenchError if unreadable."""
    path = noise_path(results_dir, machine)
    if not path.exists():
        return None
    data = gzjson.read(path, "the noise calibration")
    if not isinstance(data, dict) or data.get("version") != VERSION:
        raise UsdBenchError("not a noise calibration of this version", file=path)
    return data


def record_noise(results_dir: Path, machine: str, commit: str, runs: int, rounds: int,
                 only: str | None = None) -> Path:  # fmt: skip
    """Write the commit's memory samples' ranges into the machine's
    calibration (figures calibrated before and not now are kept)."""
    result = newest_result(results_dir, machine, commit)
    figures = memory_samples(result, only)
    if not figures:
        raise UsdBenchError(f"no memory figures of {commit!r} on machine {machine!r} to calibrate")
    data = read_noise(results_dir, machine) or {"version": VERSION, "figures": {}}
    for key, values in figures.items():
        data["figures"][key] = {
            "range": max(values) - min(values),
            "median": statistics.median(values),
            "samples": len(values),
            "commit": result.commit_hash,
            "runs": runs,
            "rounds": rounds,
        }
    data["recorded_at"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    path = noise_path(results_dir, machine)
    gzjson.write(path, data, indent=1)
    return path


def calibrated_ranges(data: dict | None) -> dict[str, float]:
    """figure_key -> the range it took in calibration (empty without one)."""
    if not data:
        return {}
    return {key: float(entry["range"]) for key, entry in data.get("figures", {}).items()}
