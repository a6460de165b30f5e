"""Memory regression gate: two commits, the memory figures of a profile, asv's samples.

    usdbench gate calibrate BASE --machine NAME     # once: the noise of each figure
    usdbench gate check BASE HEAD --machine NAME    # exit 1 on a regression

The memory figures are the ones memtrack's asv helper adds (peak, delta and
retained bytes of each operation), for every parameter combination. ``check``
runs ``asv run --record-samples -a rounds=5`` (memory figures only) on a
commit with fewer than 5 samples of them, then applies rule.py to each
figure; ``calibrate`` runs asv 5 times on one commit (or reads runs already
made, ``--from-runs``) and records how far each figure moves between runs
(noise.py). Each asv run's memory protocol (benchmarks/protocol.py) is
recorded beside the results; ``check`` refuses two commits measured under
different ones.

Why not asv's own test (``asv continuous`` / ``asv compare``): it flags a
figure whose ratio exceeds --factor and, with more than one sample a side,
whose 99% intervals do not overlap (Mann-Whitney U only from 6 samples a
side). Memory figures have no noise proportional to their size: a figure of
a few pages (a read on a loaded stage: 0 to 200 KiB) moves by whole pages
between runs, and a large one can sit in one of two modes 2 MiB apart for a
whole run, with tight intervals on each side; a factor loose enough for
them misses a 10% rise of a large figure. docs/memory-gate.md has the rule
and why; docs/measurements.md, "The memory gate", the measurements
(scripts/gate_noise.py).
"""

from .compare import Figure, check_protocols, compare, report
from .figures import bench_pattern, figure_key, memory_samples, newest_result, samples
from .measure import fewest_samples, measure, record_protocol, suite_protocol
from .noise import (
    Run,
    calibrated_noise,
    noise_from_runs,
    noise_path,
    read_noise,
    read_runs,
    record_noise,
    write_entries,
)
from .rule import FLOOR, IMPROVEMENT, MISSING, REGRESSION, REL, SPREAD, UNCHANGED, Rule

__all__ = [
    "FLOOR",
    "IMPROVEMENT",
    "MISSING",
    "REGRESSION",
    "REL",
    "SPREAD",
    "UNCHANGED",
    "Figure",
    "Rule",
    "Run",
    "bench_pattern",
    "calibrated_noise",
    "check_protocols",
    "compare",
    "fewest_samples",
    "figure_key",
    "measure",
    "memory_samples",
    "newest_result",
    "noise_from_runs",
    "noise_path",
    "read_noise",
    "read_runs",
    "record_noise",
    "record_protocol",
    "report",
    "samples",
    "suite_protocol",
    "write_entries",
]
