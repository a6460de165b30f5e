"""When a memory figure got worse: a threshold on medians above the figure's own noise.

With a = BASE's samples of one figure (one benchmark and parameter
combination, each sample from a fresh process) and b = HEAD's:

    change    = median(b) - median(a)
    threshold = max(REL x |median(a)|, FLOOR, SPREAD x max(range(a), range(b)), calibrated)

``calibrated`` is what the figure did over several asv runs of one commit
(noise.py): the whole range its samples took, or more where few runs were
seen (``between_runs_bound``): memory figures also move between asv runs,
by a page-aligned step or an allocator's arena, which the samples of one
run cannot show. A regression is change > threshold, an improvement
change < -threshold.
"""

from __future__ import annotations

import math
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
# d2(m): the expected range of m normal samples, in standard deviations.
_D2 = {2: 1.128, 3: 1.693, 4: 2.059, 5: 2.326, 6: 2.534, 7: 2.704, 8: 2.847, 9: 2.970, 10: 3.078}
_Z99 = 2.576  # two-sided 99%
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


def between_runs_bound(run_medians: list[float]) -> float:
    """How far apart two further runs' medians of an unchanged figure may
    fall (99%), from the medians of m calibration runs: z x sqrt(2) x sigma,
    sigma estimated as their range / d2(m). The range of m runs alone
    understates what the next runs do: judged on calibrations from three
    runs, the runs outside them fell beyond the range in 8 of 10 pairs
    (docs/measurements.md, "Protocol 4"). 2.15x the range for 3 runs,
    1.57x for 5; 0 with fewer than 2."""
    m = len(run_medians)
    if m < 2:
        return 0.0
    d2 = _D2.get(m, _D2[max(_D2)])  # beyond 10 runs: 10's, the larger bound
    return _Z99 * math.sqrt(2) / d2 * (max(run_medians) - min(run_medians))
