"""Each memory figure's spread between asv runs, from the machine's gate
calibration (<results>/<machine>/gate-noise.json.gz, written by
``usdbench gate calibrate``; its file schema only, as usdbench/gate/noise.py
writes it): asv keeps one result file per commit, so the runs of one
commit are told apart there only.

The spread is max - min of the runs' medians of the figure (where the
calibration kept them), else the whole range of its samples. It is shown
only when the calibration's memory protocol is the commit's (or either is
unknown): figures under another protocol move differently.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from usdbench import gzjson
from usdbench.asv_results import protocol_differences
from usdbench.errors import UsdBenchError

NOISE_FILE = "gate-noise.json.gz"
NOISE_VERSION = 1


@dataclass(frozen=True)
class Spread:
    bytes: float  # max - min over the runs (of their medians, where kept)
    runs: int
    of_medians: bool  # False: the range of every sample of the runs


@dataclass(frozen=True)
class Spreads:
    by_key: dict[str, Spread]  # figure key (asv's "name(param, ...)") -> its spread
    source: str  # for the reader: where they come from
    note: str = ""  # why none is shown, where the file exists but does not apply


def load_spreads(results_dir: Path, machine: str, protocol: dict | None) -> Spreads | None:
    """The machine's calibration as spreads, or None where it has none.
    A calibration under another protocol than ``protocol`` (the commit's)
    gives no spreads and a note; an unreadable one, a note too (the rest of
    the report does not depend on it)."""
    path = Path(results_dir) / machine / NOISE_FILE
    if not path.exists():
        return None
    try:
        data = gzjson.read(path, "the gate's noise calibration")
        if not isinstance(data, dict) or data.get("version") != NOISE_VERSION:
            raise UsdBenchError("not a noise calibration of this version", file=path)
        figures = data.get("figures") or {}
        by_key = {key: _spread(entry) for key, entry in figures.items()}
    except (UsdBenchError, KeyError, TypeError, ValueError) as err:
        return Spreads({}, str(path), f"Between-run spread not shown: {err}")
    commits = sorted({str(e.get("commit", ""))[:8] for e in figures.values()} - {""})
    runs = max((s.runs for s in by_key.values()), default=0)
    source = f"{path} ({runs} asv runs of {', '.join(commits) or 'unknown commit'})"
    differ = protocol_differences(data.get("protocol"), protocol)
    if differ:
        note = (
            f"Between-run spread not shown: the calibration ({path}) was measured under "
            f"another memory protocol ({'; '.join(differ)})."
        )
        return Spreads({}, source, note)
    return Spreads(by_key, source)


def _spread(entry: dict) -> Spread:
    medians = entry.get("run_medians")
    if medians:
        return Spread(float(max(medians) - min(medians)), len(medians), True)
    return Spread(float(entry["range"]), int(entry.get("runs", 0)), False)
