"""The noise each memory figure shows over several asv runs of one commit.

A figure also moves between asv runs, not only between the processes of one
run: it can sit at one level in every process of one run and at another,
megabytes away, in every process of the next (docs/measurements.md, "The
memory gate"). Comparing two runs on their own samples then cries wolf.
``calibrate`` runs asv several times on one commit and keeps, per figure,
the whole range its samples took and each run's median: the gate's rule
never calls a change below that range, or below the bound the runs'
medians give on two further runs (rule.between_runs_bound), a regression.

Stored as <results_dir>/<machine>/gate-noise.json.gz (gzipped: asv warns of
any *.json in its results folder without a machine.json beside it), next
to the results it was measured with; committed with them for the reference
machine. Per figure: the whole range of its samples, their median and, per
run, the run's median ("run_medians": the report shows their spread);
with the memory protocol the runs were measured under ("protocol").

The runs are either made by ``calibrate`` (asv run N times, samples
appended) or runs already made: copies of a machine's results folder,
one per asv run of one commit (``calibrate --from-runs``), e.g. of the
default profile's suite, which takes too long to run again for this.
"""

from __future__ import annotations

import datetime
import statistics
from dataclasses import dataclass
from pathlib import Path

from usdbench import gzjson
from usdbench.asv_results import NOT_RESULTS, ResultFile, protocol_differences
from usdbench.errors import UsdBenchError

from .figures import memory_samples, newest_result
from .rule import between_runs_bound

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
                 only: str | None = None, run_medians: dict[str, list[float]] | None = None,
                 protocol: dict | None = None) -> Path:  # fmt: skip
    """Write the commit's memory samples' ranges into the machine's
    calibration (figures calibrated before and not now are kept);
    ``run_medians``: figure -> each run's median, where known."""
    result = newest_result(results_dir, machine, commit)
    figures = memory_samples(result, only)
    if not figures:
        raise UsdBenchError(f"no memory figures of {commit!r} on machine {machine!r} to calibrate")
    entries = {}
    for key, values in figures.items():
        entries[key] = _entry(values, result.commit_hash, runs, rounds)
        if run_medians and run_medians.get(key):
            entries[key]["run_medians"] = run_medians[key]
    return write_entries(results_dir, machine, entries, protocol)


def _entry(values: list[float], commit: str, runs: int, rounds: int) -> dict:
    return {
        "range": max(values) - min(values),
        "median": statistics.median(values),
        "samples": len(values),
        "commit": commit,
        "runs": runs,
        "rounds": rounds,
    }


def write_entries(results_dir: Path, machine: str, entries: dict[str, dict],
                  protocol: dict | None, sources: list[str] | None = None) -> Path:  # fmt: skip
    """Merge figure entries into the machine's calibration: figures of an
    earlier calibration under the same protocol are kept, under another
    protocol dropped (their noise says nothing of this one)."""
    data = read_noise(results_dir, machine)
    if data is None or protocol_differences(data.get("protocol"), protocol):
        data = {"version": VERSION, "figures": {}}
    data["figures"].update(entries)
    data["protocol"] = protocol
    if sources:
        data["from_runs"] = sources
    data["recorded_at"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    path = noise_path(results_dir, machine)
    gzjson.write(path, data, indent=1)
    return path


@dataclass(frozen=True)
class Run:
    """One asv run of a commit: a copy of the machine's results folder."""

    directory: Path
    result: ResultFile


def read_run(directory: Path, commit: str | None = None) -> Run:
    """The result file of one run's folder: of ``commit``, else of the
    commit measured last there; UsdBenchError naming the folder or the file
    that is wrong."""
    directory = Path(directory)
    if not directory.is_dir():
        raise UsdBenchError(f"run folder {directory} does not exist")
    paths = sorted(p for p in directory.glob("*.json") if p.name not in NOT_RESULTS)
    results = [ResultFile.read(p) for p in paths]  # a corrupt one: an error naming it
    if commit:
        results = [r for r in results if r.commit_hash.startswith(commit.strip().lower())]
    elif results:
        # A copy of a machine's folder holds its history too: the run is the
        # commit measured last.
        newest = max(results, key=_measured_at)
        results = [r for r in results if r.commit_hash == newest.commit_hash]
    hashes = sorted({r.commit_hash[:8] for r in results})
    if not results:
        wanted = f" of commit {commit!r}" if commit else ""
        raise UsdBenchError(f"no asv result file{wanted} in run folder {directory}")
    if len(hashes) > 1:
        raise UsdBenchError(
            f"run folder {directory} holds results of several commits ({', '.join(hashes)}): "
            "name one with COMMIT"
        )
    if len(results) > 1:
        envs = ", ".join(r.path.name for r in results)
        raise UsdBenchError(f"run folder {directory} holds several environments: {envs}")
    return Run(directory, results[0])


def _measured_at(result: ResultFile) -> int:
    return max((result.column(n, "started_at") or 0 for n in result.rows), default=0)


def read_runs(directories: list[Path], commit: str | None = None,
              machine: str | None = None) -> list[Run]:  # fmt: skip
    """Each folder's run; UsdBenchError unless they are of one commit,
    machine and environment (naming the folder that differs)."""
    runs = [read_run(d, commit) for d in directories]
    first = runs[0].result
    for what, get in (
        ("commit", lambda r: r.commit_hash),
        ("machine", lambda r: r.machine),
        ("environment", lambda r: r.env_name),
    ):
        for run in runs[1:]:
            if get(run.result) != get(first):
                raise UsdBenchError(
                    f"runs of different {what}s: {get(first)!r} in {first.path}, "
                    f"{get(run.result)!r} in {run.result.path}"
                )
    if machine and first.machine != machine:
        raise UsdBenchError(f"the runs are of machine {first.machine!r}, not {machine!r}")
    return runs


def noise_from_runs(runs: list[Run], only: str | None = None) -> dict[str, dict]:
    """figure_key -> calibration entry, over every sample of every run; a
    figure measured in fewer than two runs has no between-run noise and is
    left out."""
    per_run = [memory_samples(run.result, only) for run in runs]
    commit = runs[0].result.commit_hash
    entries = {}
    for key in sorted(set().union(*per_run)):
        mine = [figures[key] for figures in per_run if key in figures]
        if len(mine) < 2:
            continue
        entry = _entry([v for values in mine for v in values], commit, len(mine),
                       max(len(values) for values in mine))  # fmt: skip
        entry["run_medians"] = [statistics.median(values) for values in mine]
        entries[key] = entry
    return entries


def allowance(runs: list[list[float]]) -> float:
    """What a calibration from these runs' samples (one list per run)
    allows for: the range they took, or the bound their medians give on two
    further runs (rule.between_runs_bound), whichever is larger."""
    values = [v for run in runs for v in run]
    return _allowance(max(values) - min(values), [statistics.median(r) for r in runs])


def _allowance(value_range: float, run_medians: list[float]) -> float:
    return max(float(value_range), between_runs_bound(run_medians))


def calibrated_noise(data: dict | None) -> dict[str, float]:
    """figure_key -> the change between runs the calibration allows for
    (empty without one): ``allowance`` of what it recorded."""
    if not data:
        return {}
    return {
        key: _allowance(entry["range"], entry.get("run_medians") or [])
        for key, entry in data.get("figures", {}).items()
    }
