"""memtrack: process-level memory tracking (peak, delta, retained), native allocations included.

    from memtrack import PerformanceTracker
    with PerformanceTracker() as tracker:
        data = [0] * 1_000_000
    print(tracker.result.peak_bytes / 2**20)

It measures resident memory (RSS) of the whole process, so it sees what C and
C++ libraries allocate, unlike tracemalloc. It imports neither USD nor pyarrow,
and psutil only where it is needed and present.

The public API is what this module exports, plus `memtrack.asv.track_memory`
(the helper that turns an operation into asv `track_` benchmarks). The
modules named with a leading underscore are private.
"""

from ._backends import CHAIN as BACKENDS
from ._backends import watch_peaks, watching_peaks
from ._release import release_memory
from ._timeline import Timeline
from ._tracker import MemtrackWarning, PerformanceTracker, Probe, TrackerResult

__all__ = [
    "BACKENDS",
    "MemtrackWarning",
    "PerformanceTracker",
    "Probe",
    "Timeline",
    "TrackerResult",
    "release_memory",
    "watch_peaks",
    "watching_peaks",
]
