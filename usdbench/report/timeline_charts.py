"""Which charts the timelines give: memory against time (a line per format,
the phase ends marked), each format's memory at its peak split into
anonymous, file-backed and shared parts, and the virtual size against time."""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from .timelines import FormatTimeline, TimelineSet

SPLIT_LABELS = {"anon": "anonymous", "file": "file-backed", "shmem": "shared (shmem)"}
COLUMN_LABELS = {"rss": "resident memory (RSS)", "vm_size": "virtual size (VmSize)"}


@dataclass
class TimelineChart:
    id: str
    title: str
    column: str  # "rss" or "vm_size"
    entries: list[FormatTimeline]
    kind: str = "timeline"


@dataclass
class SplitChart:
    id: str
    title: str
    entries: list[FormatTimeline]
    kind: str = "split"


def timeline_charts(
    timelines: TimelineSet, id_prefix: str = ""
) -> list[TimelineChart | SplitChart]:
    """The charts of one operation's timelines; ``id_prefix`` keeps a
    family's chart ids apart from the props scenario's."""
    measured = timelines.measured
    if not measured:
        return []
    charts: list[TimelineChart | SplitChart] = [
        TimelineChart(
            f"{id_prefix}timeline-rss",
            "Resident memory against time, above its start",
            "rss",
            measured,
        )
    ]
    if all(e.split_at_peak() is not None for e in measured):
        charts.append(
            SplitChart(
                f"{id_prefix}timeline-split", "At the peak: anonymous and file-backed", measured
            )
        )
    if all(e.timeline.vm_size is not None for e in measured):
        charts.append(
            TimelineChart(
                f"{id_prefix}timeline-vm-size",
                "Virtual size against time, above its start",
                "vm_size",
                measured,
            )
        )  # fmt: skip
    return charts


def value_at(ts: list[float], vs: list[int], t: float) -> int:
    """The value of the last sample at or before ``t`` (the first, before any);
    ``ts`` is sorted, as a timeline's clock is."""
    return vs[max(0, bisect.bisect_right(ts, t) - 1)]
