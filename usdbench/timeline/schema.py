"""The timelines file of a commit: where it goes, what it holds, reading and writing it.

``<results_dir>/<machine>/timelines/<commit8>.json.gz``, next to asv's results
of that machine (see results/README.md). Gzipped JSON: asv walks every folder
of results_dir and warns about any ``*.json`` without a machine.json beside
it. The document::

    {"version": 1, "operation": ..., "phases": [...], "profile": ..., "scale": N,
     "hierarchy": ..., "interval_s": ..., "recorded_at": ..., "commit_hash": ...,
     "machine": ..., "formats": {format: entry}}

where an entry has a ``status`` (ok, skipped by the memory guard, failed),
a ``reason`` unless ok, and when ok the figures of memtrack's tracker and its
``timeline`` (memtrack.Timeline.to_dict()).
"""

from __future__ import annotations

from pathlib import Path

from usdbench import gzjson
from usdbench.errors import UsdBenchError

VERSION = 1
OPERATION = "load + full traversal"
PHASES = ("open + compose", "first value", "traversal")
TIMELINES_DIR = "timelines"
INTERVAL_S = 0.001
OK, SKIPPED, FAILED = "ok", "skipped", "failed"


def timeline_path(results_dir: Path, machine: str, commit_hash: str) -> Path:
    return Path(results_dir) / machine / TIMELINES_DIR / f"{commit_hash[:8]}.json.gz"


def read_timelines(path: Path) -> dict:
    """A timelines document; UsdBenchError names the file if it is not one."""
    data = gzjson.read(path, "timelines")
    if not isinstance(data, dict) or data.get("version") != VERSION:
        found = data.get("version") if isinstance(data, dict) else None
        raise UsdBenchError(f"timelines version {found!r}, this reader knows {VERSION}", file=path)
    if not isinstance(data.get("formats"), dict):
        raise UsdBenchError("timelines without a 'formats' object", file=path)
    return data


def write_timelines(path: Path, document: dict) -> None:
    """Atomically: a reader never sees half a file."""
    gzjson.write(path, document)


def is_complete(path: Path, formats: list[str]) -> bool:
    """The file exists and every format in it was measured or skipped by the guard."""
    try:
        entries = read_timelines(path)["formats"]
    except UsdBenchError:
        return False
    return all(entries.get(f, {}).get("status") in (OK, SKIPPED) for f in formats)
