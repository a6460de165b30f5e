"""Timeline of a tracked block: resident memory sampled from outside the process.

The shared sampling process (_sampler_process.py) records every sample while
a timeline is on: time, RSS, its anonymous / file-backed / shared split and
the virtual size, read from /proc/PID/status at ~1 ms. Being another process,
it keeps sampling while C code holds the GIL. Times are CLOCK_MONOTONIC, the
clock the tracker reads its marks (start, probes, end) with, so both line up.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field

from . import _sampler

KiB = 1024
# Columns of a record from the sampler, after its time.
_COLUMNS = ("rss", "anon", "file", "shmem", "vm_size")


@dataclass(frozen=True)
class Timeline:
    """Memory of the process over a tracked block, one entry per sample.

    Bytes are absolute (not above a baseline); a split column is None where
    the system does not give it. ``split_source`` says where the split comes
    from: "status" (/proc/PID/status), "statm" (its file column then includes
    shared memory, and shmem is None) or "none".
    """

    t_s: list[float]  # sample times, seconds since the block started (< 0: before it)
    rss: list[int]
    anon: list[int] | None
    file: list[int] | None
    shmem: list[int] | None
    vm_size: list[int] | None
    # ("start", 0.0), then (probe label, its time), then ("end", the block's end).
    # Raw times on the sampler's clock: unlike Probe.elapsed_s they include
    # the probes' own cost.
    marks: list[tuple[str, float]] = field(default_factory=list)
    interval_s: float = 0.001  # the sampling interval asked for
    split_source: str = "status"

    def __len__(self) -> int:
        return len(self.t_s)

    def sample(self, i: int) -> dict[str, float | int | None]:
        """Sample ``i`` as a dict: t_s, rss, anon, file, shmem, vm_size."""
        out: dict[str, float | int | None] = {"t_s": self.t_s[i]}
        for name in _COLUMNS:
            column = getattr(self, name)
            out[name] = None if column is None else column[i]
        return out

    def baseline_index(self) -> int:
        """The last sample taken at or before the block's start (else the first)."""
        before = [i for i, t in enumerate(self.t_s) if t <= 0]
        return before[-1] if before else 0

    def peak_index(self) -> int:
        """The sample with the highest RSS (the first, on a tie)."""
        return max(range(len(self.rss)), key=self.rss.__getitem__)

    def intervals_s(self) -> list[float]:
        """Time between consecutive samples."""
        return [b - a for a, b in zip(self.t_s, self.t_s[1:], strict=False)]

    def median_interval_s(self) -> float:
        gaps = self.intervals_s()
        return statistics.median(gaps) if gaps else float("nan")

    def to_dict(self) -> dict:
        """Compact JSON-ready form: times in whole microseconds, bytes in KiB
        (the kernel's own unit in status)."""
        out = {
            "interval_s": self.interval_s,
            "split_source": self.split_source,
            "marks": [[label, round(t, 6)] for label, t in self.marks],
            "t_us": [round(t * 1e6) for t in self.t_s],
        }
        for name in _COLUMNS:
            column = getattr(self, name)
            out[f"{name}_kib"] = None if column is None else [v // KiB for v in column]
        return out

    @classmethod
    def from_dict(cls, data: dict) -> Timeline:
        """The inverse of to_dict; a ValueError names what is missing or inconsistent."""
        try:
            t_s = [t / 1e6 for t in data["t_us"]]
            columns = {}
            for name in _COLUMNS:
                values = data[f"{name}_kib"]
                columns[name] = None if values is None else [v * KiB for v in values]
            marks = [(str(label), float(t)) for label, t in data["marks"]]
            timeline = cls(
                t_s=t_s,
                marks=marks,
                interval_s=float(data["interval_s"]),
                split_source=str(data["split_source"]),
                **columns,
            )
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"not a memtrack timeline: {type(err).__name__}: {err}") from err
        lengths = {len(c) for c in [t_s, *columns.values()] if c is not None}
        if len(lengths) > 1:
            raise ValueError(f"not a memtrack timeline: columns of lengths {sorted(lengths)}")
        if columns["rss"] is None or not t_s:
            raise ValueError("not a memtrack timeline: no samples")
        return timeline


class Recorder:
    """One timeline being recorded by the shared sampling process."""

    def __init__(self, interval_s: float):
        if not interval_s > 0:
            raise ValueError(f"timeline interval must be positive, got {interval_s!r}")
        self.interval_s = interval_s
        self._sampler = _sampler.shared_sampler()
        self.split_source = self._sampler.record_start(interval_s)

    def stop(self, start_ns: int, marks_ns: list[tuple[str, int]]) -> Timeline:
        """Stop recording; times relative to ``start_ns`` (time.monotonic_ns)."""
        raw = self._sampler.record_stop()
        n = _sampler.RECORD_FIELDS
        columns: dict[str, list[int] | None] = {}
        for k, name in enumerate(_COLUMNS, start=1):
            values = list(raw[k::n])
            columns[name] = None if values and values[0] < 0 else values
        return Timeline(
            t_s=[(t - start_ns) / 1e9 for t in raw[0::n]],
            marks=[(label, (t - start_ns) / 1e9) for label, t in marks_ns],
            interval_s=self.interval_s,
            split_source=self.split_source,
            **columns,
        )


def now_ns() -> int:
    """The clock of the marks: the sampler stamps its records with the same one."""
    return time.monotonic_ns()
