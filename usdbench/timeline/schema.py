"""The timelines file of a commit: where it goes, what it holds, reading and writing it.

``<results_dir>/<machine>/timelines/<commit8>.json.gz``, next to asv's results
of that machine (see results/README.md). Gzipped JSON: asv walks every folder
of results_dir and warns about any ``*.json`` without a machine.json beside
it. The document::

    {"version": 1, "operation": ..., "phases": [...], "profile": ..., "scale": N,
     "hierarchy": ..., "interval_s": ..., "recorded_at": ..., "commit_hash": ...,
     "machine": ..., "formats": {format: entry}}

and, for each scenario family beside props that the profile carries,
``"families": {family: {"operation": ..., "phases": [...], "scale": N,
"hierarchy": ..., "formats": {format: entry}}}`` (one full read of the
family at its largest heavy scale in the profile; absent in older files),
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
# The full read of each family beside props, in three phases like OPERATION's.
FAMILY_OPERATIONS = {
    "series": "load + every sample of every prim",
    "arrays": "load + every prim's arrays summed",
    "sparse": "load + every column of every prim",
}
FAMILY_PHASES = ("open + compose", "first value", "full read")
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
    families = data.get("families", {})
    if not isinstance(families, dict) or not all(
        isinstance(f, dict) and isinstance(f.get("formats"), dict) for f in families.values()
    ):
        raise UsdBenchError("timelines' 'families' holds no formats per family", file=path)
    return data


def write_timelines(path: Path, document: dict) -> None:
    """Atomically: a reader never sees half a file."""
    gzjson.write(path, document)


def is_complete(
    path: Path, formats: list[str], families: dict[str, list[str]] | None = None
) -> bool:
    """The file exists and every format in it (and every family's format of
    ``families``) was measured or skipped by the guard."""
    try:
        document = read_timelines(path)
    except UsdBenchError:
        return False
    wanted = [(document["formats"], formats)] + [
        (document.get("families", {}).get(family, {}).get("formats", {}), names)
        for family, names in (families or {}).items()
    ]
    done = (OK, SKIPPED)
    return all(entries.get(f, {}).get("status") in done for entries, names in wanted for f in names)
