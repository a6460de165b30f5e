"""The memory timelines of a commit (python -m usdbench.timeline), as the report shows them.

The file sits next to asv's results: <results_dir>/<machine>/timelines/<commit8>.json.
A commit without one simply has no timeline section.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from memtrack import Timeline
from usdbench.errors import UsdBenchError
from usdbench.timeline.schema import OK, read_timelines, timeline_path

from .palette import ordered_formats

SPLIT = ("anon", "file", "shmem")


@dataclass(frozen=True)
class FormatTimeline:
    format: str
    status: str  # ok, skipped, failed
    reason: str
    timeline: Timeline | None
    exact_peak_bytes: int | None  # the kernel's high-water mark, above the start
    elapsed_s: float | None
    phases: list[tuple[str, float]]  # (phase, where it ends on the timeline's clock, s)

    def above_start(self, column: str) -> list[int]:
        """A column of the timeline minus its value at the block's start."""
        values = getattr(self.timeline, column)
        base = values[self.timeline.baseline_index()]
        return [v - base for v in values]

    def split_at_peak(self) -> dict[str, int] | None:
        """anon / file / shmem above the start at the sample of highest RSS."""
        tl = self.timeline
        if tl.anon is None or tl.file is None:
            return None
        i, b = tl.peak_index(), tl.baseline_index()
        return {
            k: getattr(tl, k)[i] - getattr(tl, k)[b] for k in SPLIT if getattr(tl, k) is not None
        }


@dataclass(frozen=True)
class TimelineSet:
    path: Path
    operation: str
    scale: int
    hierarchy: str
    interval_s: float
    entries: list[FormatTimeline]  # in the report's format order
    # The full read of each scenario family beside props (the file's "families").
    families: dict[str, TimelineSet] = field(default_factory=dict)

    @property
    def measured(self) -> list[FormatTimeline]:
        return [e for e in self.entries if e.status == OK and e.timeline is not None]


def load_timeline_set(results_dir: Path, machine: str, commit_hash: str) -> TimelineSet | None:
    """The commit's timelines, None where none were recorded; UsdBenchError if unreadable."""
    path = timeline_path(results_dir, machine, commit_hash)
    if not path.is_file():
        return None
    try:
        doc = read_timelines(path)
        interval_s = float(doc.get("interval_s", 0.0))
        families = {
            name: _set(path, part, interval_s) for name, part in doc.get("families", {}).items()
        }
        return _set(path, doc, interval_s, families)
    except (UsdBenchError, KeyError, TypeError, ValueError) as err:
        raise UsdBenchError(f"{path}: {err}") from err


def _set(path: Path, part: dict, interval_s: float, families=None) -> TimelineSet:
    """The timelines of one operation: the document's own, or a family's."""
    phase_names = list(part.get("phases") or [])
    return TimelineSet(
        path=path,
        operation=str(part.get("operation", "")),
        scale=int(part["scale"]),
        hierarchy=str(part.get("hierarchy", "")),
        interval_s=interval_s,
        entries=[
            _entry(name, part["formats"][name], phase_names)
            for name in ordered_formats(part["formats"])
        ],
        families=families or {},
    )


def _entry(fmt: str, raw: dict, phase_names: list[str]) -> FormatTimeline:
    status = raw.get("status", "failed")
    timeline = None
    phases = []
    if status == OK and raw.get("timeline"):
        timeline = Timeline.from_dict(raw["timeline"])
        # The marks are where phases end; the block's end closes the last one.
        last = phase_names[-1] if phase_names else "end"
        phases = [(last if m == "end" else m, t) for m, t in timeline.marks if m != "start"]
    return FormatTimeline(
        format=fmt,
        status=status,
        reason=str(raw.get("reason", "")),
        timeline=timeline,
        exact_peak_bytes=raw.get("peak_bytes"),
        elapsed_s=raw.get("elapsed_s"),
        phases=phases,
    )
