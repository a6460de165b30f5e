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

REL = 0.05  # changes below 5% of the figure are not regressions
FLOOR = 256 * 1024  # nor below 64 pages: allocator and page-table noise
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
