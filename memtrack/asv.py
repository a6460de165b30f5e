"""asv helper: a class decorator turning one `measure` operation into memory `track_` benchmarks.

    from memtrack.asv import track_memory

    @track_memory(retained=True)
    class InitialLoad:
        params = ([...], [...])
        param_names = ["format", "scale"]

        def setup(self, *params): ...    # preparation and warm-up, not measured
        def measure(self, *params): ...  # the one operation measured

asv runs each `track_` method once, in a fresh process, right after `setup`
(`rounds` applies to `time_` benchmarks only). Each method returns its
measurements as samples, so asv records their median and a confidence interval.
A decorator rather than a base class: asv collects every public class of a
benchmark module, imported ones included, so a base class would itself be
collected; this function is marked `skip_benchmark` for the same reason
(asv also collects module-level functions named `track_*`).
"""

from __future__ import annotations

import inspect
import statistics

from . import _fresh
from ._tracker import PerformanceTracker, TrackerResult, _warn_once

__all__ = ["MEMORY_METRICS", "track_memory"]


def _measure_once(bench, params) -> TrackerResult:
    # retained=True for all three figures: memory is released before the
    # baseline in every case, so peak, delta and retained share one baseline
    # protocol. The return value of measure() stays referenced until the
    # tracker has taken its exit and retained readings.
    release = getattr(bench, "memtrack_release_before_delta", False)
    with PerformanceTracker(retained=True, release_before_delta=release) as tracker:
        value = bench.measure(*params)
    del value
    return tracker.result


def _samples(bench, params, name: str, method: str) -> dict | None:
    """The figure ``name`` of ``measure`` taken ``samples`` times (see
    track_memory), and in ``fresh_samples`` - 1 more processes when small."""
    values = []
    for i in range(getattr(bench, "memtrack_samples", 1)):
        if i:
            bench.setup(*params)  # a fresh starting point, as asv's own setup gave
        result = _measure_once(bench, params)
        if result.backend == "unavailable":
            # None makes asv record "failed" rather than a misleading zero.
            return None
        values.append(getattr(result, name))
    values += _fresh_samples(bench, params, method, values)
    # A distribution rather than a bare number: asv stores its median and a
    # 99% confidence interval, and `asv compare` / `asv continuous` flag a
    # change only when the intervals are apart, so page-sized allocator noise
    # on a small figure is not reported as a regression.
    return {"samples": values, "number": 1}


def _fresh_samples(bench, params, method: str, values: list) -> list:
    """Samples of ``method`` from fresh processes, if the class asks for them
    and the figure is small (see track_memory's fresh_samples)."""
    wanted = getattr(bench, "memtrack_fresh_samples", 1) - 1
    below = getattr(bench, "memtrack_fresh_below", None)
    if wanted < 1 or _fresh.in_child():
        return []
    if below is not None and abs(statistics.median(values)) >= below:
        return []
    more = []
    for _ in range(wanted):
        try:
            more += _fresh.measure(bench, method, params)
        except _fresh.FreshSampleError as exc:
            # The samples already taken stand; asv gets those.
            _warn_once(f"memtrack: no fresh-process sample: {exc}")
            break
    return more


def track_peak_bytes(self, *params):
    """Peak: highest resident memory (RSS, native allocations included) during
    measure() minus RSS just before it, in bytes."""
    return _samples(self, params, "peak_bytes", "track_peak_bytes")


def track_delta_bytes(self, *params):
    """Delta: RSS right after measure(), its return value still referenced,
    minus RSS just before it, in bytes (negative if measure() freed memory).
    With @track_memory(release_before_delta=True), freed native memory is
    handed back first (malloc_trim, Arrow's pool; no gc.collect)."""
    return _samples(self, params, "current_bytes", "track_delta_bytes")


def track_retained_bytes(self, *params):
    """Retained: like delta, but after gc.collect(), glibc malloc_trim(0) and
    Arrow's pool release_unused(), with measure()'s return value still
    referenced: what the result keeps resident, in bytes."""
    return _samples(self, params, "retained_bytes", "track_retained_bytes")


_GENERATED = {
    "track_peak_bytes": track_peak_bytes,
    "track_delta_bytes": track_delta_bytes,
    "track_retained_bytes": track_retained_bytes,
}
# The names of the figures track_memory adds: what a memory gate compares.
MEMORY_METRICS = tuple(_GENERATED)
for _fn in _GENERATED.values():
    _fn.unit = "bytes"  # asv formats the values with k/M/G prefixes


def track_memory(
    cls=None,
    *,
    retained: bool = False,
    samples: int = 1,
    release_before_delta: bool = False,
    fresh_samples: int = 1,
    fresh_below: int | None = None,
):
    """Class decorator adding track_peak_bytes, track_delta_bytes (and with
    retained=True track_retained_bytes), each with unit "bytes", measuring the
    class's `measure(self, *params)`. Usable as @track_memory or @track_memory(...).

    samples: how many measurements each method takes in its process; before
    each one after the first, `setup(*params)` runs again. asv records the
    median and a confidence interval. Worth it for small figures on state
    that setup can rebuild; an operation that must be cold (first in a fresh
    process) keeps the default of 1.

    release_before_delta: hand freed native memory back (malloc_trim,
    Arrow's pool release; no garbage collection) before the delta is read,
    so that it does not depend on what the allocator happened to keep.

    fresh_samples: for an operation that must be cold, the number of
    processes a figure is taken in: asv's own, and fresh_samples - 1 new
    interpreters that import the class's module, run its setup and the
    same method (memtrack/_fresh.py). asv records their median and a
    confidence interval, so `asv compare` judges a step against the spread
    between processes. Only for a figure whose absolute value is below
    ``fresh_below`` bytes (None: every figure): page-sized noise matters on
    small figures, and a process of a large scene costs its setup again.
    """
    for label, value in (("samples", samples), ("fresh_samples", fresh_samples)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"@track_memory: {label} must be an integer >= 1, got {value!r}")
    if fresh_below is not None and (isinstance(fresh_below, bool) or not fresh_below > 0):
        raise ValueError(
            "@track_memory: fresh_below must be a positive number of bytes or None, "
            f"got {fresh_below!r}"
        )

    def decorate(klass):
        if not inspect.isclass(klass):
            raise TypeError(f"@track_memory decorates a class, not {klass!r}")
        if not callable(getattr(klass, "measure", None)):
            raise TypeError(
                f"@track_memory: class {klass.__qualname__} has no measure(self, *params) "
                "method; define the one operation to measure as measure()"
            )
        names = ["track_peak_bytes", "track_delta_bytes"]
        if retained:
            names.append("track_retained_bytes")
        clash = [n for n in names if n in vars(klass)]
        if clash:
            raise TypeError(
                f"@track_memory: class {klass.__qualname__} already defines {', '.join(clash)}"
            )
        for name in names:
            setattr(klass, name, _GENERATED[name])
        klass.memtrack_samples = samples
        klass.memtrack_fresh_samples = fresh_samples
        klass.memtrack_fresh_below = fresh_below
        klass.memtrack_release_before_delta = bool(release_before_delta)
        return klass

    if cls is None:
        return decorate
    return decorate(cls)


# asv collects module-level functions named track_*; this one is not a benchmark.
track_memory.skip_benchmark = True
