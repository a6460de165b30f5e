"""When a memory figure got worse: a threshold on medians above the figure's own noise.

With a = BASE's samples of one figure (one benchmark and parameter
combination, each sample from a fresh process) and b = HEAD's:

    change    = median(b) - median(a)
    threshold = max(REL x |median(a)|, FLOOR, SPREAD x max(range(a), range(b)), calibrated)

``calibrated`` is the whole range the figure took over several asv runs of
one commit (noise.py): memory figures also move between asv runs, by a
page-aligned step or an allocator's arena, which the samples of one run
cannot show. A regression is change > threshold, an improvement
change < -threshold.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

# Changes below 3% of the figure are not regressions: with the memory
# protocol (benchmarks/protocol.py) a figure repeats within 0.3% between runs at
# 10k-100k prims, and a 5% rise must be caught.
REL = 0.03
# Nor below 16 pages: page-table and allocator noise (the native reader's
# 1.5 MiB load at 1k prims moves by ~30 KiB; 5% of it is 75 KiB).
FLOOR = 64 * 1024
SPREAD = 1.5  # nor below 1.5x what the figure does across processes of one run
REGRESSION, IMPROVEMENT, UNCHANGED, MISSING = "regression", "improvement", "unchanged", "missing"


@dataclass(frozen=True)
class Rule:
    rel: float = REL
    floor: float = FLOOR
    spread: float = SPREAD

    def threshold(self, a: list[float], b: list[float], calibrated: float = 0.0) -> float:
        own = max(max(a) - min(a), max(b) - min(b))
        return max(self.rel * abs(statistics.median(a)), self.floor, self.spread * own, calibrated)

    def verdict(
        self, a: list[float], b: list[float], calibrated: float = 0.0
    ) -> tuple[str, float, float]:
        """(verdict, change of the median, threshold)."""
        change = statistics.median(b) - statistics.median(a)
        threshold = self.threshold(a, b, calibrated)
        if change > threshold:
            return REGRESSION, change, threshold
        if change < -threshold:
            return IMPROVEMENT, change, threshold
        return UNCHANGED, change, threshold
