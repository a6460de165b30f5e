"""memtrack's own cost: the time an empty tracked block, and one with a probe, adds.

Target on Linux (kernel high-water-mark backend): under 1 ms per block.
"""

import memtrack


class TrackerOverhead:
    """Wall time of entering and leaving a PerformanceTracker around nothing."""

    def setup(self):
        # First use selects and checks the backend once per process.
        with memtrack.PerformanceTracker():
            pass

    def time_empty_block(self):
        with memtrack.PerformanceTracker():
            pass

    def time_block_with_one_probe(self):
        with memtrack.PerformanceTracker() as tracker:
            tracker.probe("probe")
