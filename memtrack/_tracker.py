"""PerformanceTracker: peak and delta of resident memory, and time, of a block."""

from __future__ import annotations

import os
import threading
import time
import warnings
from dataclasses import dataclass, field

from . import _backends, _procfs, _rss, _sampler, _timeline
from ._backends import CHAIN, Mark, Reading
from ._release import release_memory
from ._timeline import Timeline

ENV_BACKEND = "MEMTRACK_BACKEND"


class MemtrackWarning(RuntimeWarning):
    """The measurement is degraded (fallback backend) or unavailable."""


_warned: set[str] = set()
_warned_lock = threading.Lock()


def _warn_once(message: str) -> None:
    with _warned_lock:
        if message in _warned:
            return
        _warned.add(message)
    warnings.warn(message, MemtrackWarning, stacklevel=4)


@dataclass(frozen=True)
class Probe:
    """An intermediate point of a tracked block (see PerformanceTracker.probe)."""

    label: str
    elapsed_s: float  # since the block started, probe overhead excluded
    interval_s: float  # since the previous probe (or the start)
    current_bytes: int  # RSS now minus the block's baseline
    delta_bytes: int  # RSS now minus RSS at the previous probe (or the baseline)
    peak_bytes: int  # highest RSS within the interval minus the block's baseline (>= 0)
    interval_peak_bytes: int  # highest RSS within the interval minus RSS at its start (>= 0)


@dataclass(frozen=True)
class TrackerResult:
    """What a tracked block used. Bytes are resident memory (RSS)."""

    peak_bytes: int  # highest RSS during the block minus baseline, never below 0
    current_bytes: int  # RSS at exit minus baseline (after handing freed memory back with
    # release_before_delta=True); negative if memory was freed
    baseline_bytes: int  # RSS at entry
    elapsed_s: float  # wall time of the block, probe overhead excluded
    method: str  # backend name, with why it fell back or is a lower bound
    backend: str  # the bare backend name: hwm, sampled, getrusage, unavailable
    exact: bool  # False: peak_bytes is a lower bound (or unavailable)
    breakdown: dict[str, int] | None  # Linux: anon / file / shmem deltas of RSS
    retained_bytes: int | None  # retained=True: RSS after release_memory() minus baseline
    probes: list[Probe] = field(default_factory=list)
    failed: bool = False  # the block raised (the figures cover it up to the exception)
    timeline: Timeline | None = None  # timeline=True: memory over the block, sampled


def _requested_backend(backend: str | None) -> str:
    if backend is not None:
        if backend not in CHAIN:
            raise ValueError(f"unknown memtrack backend {backend!r}; expected one of {CHAIN}")
        return backend
    env = os.environ.get(ENV_BACKEND, "").strip()
    if env:
        if env in CHAIN:
            return env
        _warn_once(f"memtrack: ignoring {ENV_BACKEND}={env!r}; expected one of {CHAIN}")
    return CHAIN[0]


_current_rss = None


def _read_current_rss() -> int | None:
    global _current_rss
    if _current_rss is None:
        _current_rss = _rss.current_rss_reader() or (lambda: None)
    try:
        return _current_rss()
    except Exception:
        return None


class PerformanceTracker:
    """Context manager measuring resident memory (peak, delta, retained) and time.

    backend: None chooses the best available (or $MEMTRACK_BACKEND), else one of
    "hwm", "sampled", "getrusage", "unavailable"; an unusable backend falls back
    to the next one and `result.method` says why. With retained=True, memory is
    released (gc, malloc_trim, Arrow pool) before the baseline and after the
    block, and `result.retained_bytes` is what stays resident above baseline
    while the block's objects are still referenced.

    With timeline=True, a sampling process records RSS, its anon / file /
    shmem split and the virtual size every ``timeline_interval_s`` through
    the block, from outside (a GIL-holding C call does not stop it), into
    `result.timeline`, with the start, each probe and the end marked. The
    peak figures still come from the backend (exact with hwm). One timeline
    records at a time per process; a nested request gets None and a warning.

    The tracker itself never raises while measuring; exceptions of the block
    propagate unchanged, and `result` still covers the block up to them.

    With release_before_delta=True, freed native memory is handed back
    (malloc_trim, Arrow's pool; no garbage collection) after the peak is
    read and before the delta is: the delta is then what the block holds
    at its end, not also what the allocator had not yet returned (which
    depends on how the heap happened to be laid out).
    """

    def __init__(
        self,
        backend: str | None = None,
        retained: bool = False,
        timeline: bool = False,
        timeline_interval_s: float = 0.001,
        release_before_delta: bool = False,
    ):
        self._requested = _requested_backend(backend)
        self.retained = retained
        self.release_before_delta = release_before_delta
        if timeline and not timeline_interval_s > 0:
            raise ValueError(f"timeline_interval_s must be positive, got {timeline_interval_s!r}")
        self.timeline = timeline
        self.timeline_interval_s = timeline_interval_s
        self.result: TrackerResult | None = None
        self._active = False

    # -- entry --------------------------------------------------------------
    def __enter__(self) -> PerformanceTracker:
        if self._active:
            raise RuntimeError("this PerformanceTracker is already active; use one per block")
        self._active = True
        self.result = None
        self._probes: list[Probe] = []
        self._overhead = 0.0
        self._notes: list[str] = []
        self._interval: Mark | None = None
        self._fallback: Mark | None = None
        self._mark = None
        self._recorder = None
        self._marks_ns: list[tuple[str, int]] = []
        try:
            self._start()
        except Exception as exc:  # never let measurement break the caller
            if self._mark is not None:
                try:
                    self._backend.end(self._mark)
                except Exception:
                    pass
            self._to_unavailable(f"tracker error at entry: {type(exc).__name__}: {exc}")
        self._last_rss = self._baseline
        self._last_t = 0.0
        # After the release of retained=True and the baseline: the recording's
        # first sample (taken before it answers) is the block's starting point.
        if self.timeline:
            self._recorder = self._start_timeline()
        self._t0_ns = _timeline.now_ns()
        self._t0 = time.perf_counter()
        return self

    def _start_timeline(self) -> _timeline.Recorder | None:
        try:
            return _timeline.Recorder(self.timeline_interval_s)
        except _sampler.SamplerError as exc:
            _warn_once(f"memtrack: no timeline: {exc}")
            return None

    def _stop_timeline(self, end_ns: int) -> Timeline | None:
        recorder, self._recorder = self._recorder, None
        if recorder is None:
            return None
        marks = [("start", self._t0_ns), *self._marks_ns, ("end", end_ns)]
        try:
            return recorder.stop(self._t0_ns, marks)
        except _sampler.SamplerError as exc:
            _warn_once(f"memtrack: timeline lost: {exc}")
            return None

    def _start(self) -> None:
        if self._requested == "hwm":
            _backends.get_backend("hwm").prepare()
        if self.retained:
            release_memory()
        for name in CHAIN[CHAIN.index(self._requested) :]:
            backend = _backends.get_backend(name)
            reason = backend.unavailable_reason()
            if reason is None:
                try:
                    mark = backend.begin()
                except Exception as exc:
                    reason = f"{type(exc).__name__}: {exc}"
                else:
                    break
            self._notes.append(f"{name} unavailable: {reason}")
        self._backend, self._mark = backend, mark
        self._baseline = mark.baseline
        self._breakdown0 = mark.breakdown
        if self._breakdown0 is None:
            self._breakdown0 = _procfs.read_rss_split()
        if self._notes:
            _warn_once(f"memtrack: using {backend.name}; " + "; ".join(self._notes))
        if backend.name == "unavailable":
            _warn_once("memtrack: no memory measurement available here; figures are zeros")
        elif backend.name == "sampled":
            # A second source to degrade to if the sampling process dies
            # mid-block (one getrusage call). Not for hwm: where procfs fails
            # mid-block, getrusage's current RSS (procfs too) fails as well,
            # and getrusage right after a procfs read took up to ~100 us here.
            ru = _backends.get_backend("getrusage")
            if ru.unavailable_reason() is None:
                try:
                    self._fallback = ru.begin_from(self._baseline)
                except Exception:
                    self._fallback = None

    def _to_unavailable(self, note: str) -> None:
        self._notes.append(note)
        _warn_once(f"memtrack: {note}; figures are zeros")
        self._backend = _backends.get_backend("unavailable")
        self._mark = self._backend.begin()
        self._baseline = 0
        self._breakdown0 = None

    def _degrade(self, exc: Exception) -> None:
        """The backend failed mid-block: end its marks, continue with getrusage or nothing."""
        failed = self._backend
        note = f"{failed.name} failed: {type(exc).__name__}: {exc}"
        for m in (self._mark, self._interval):
            if m is not None:
                try:
                    failed.end(m)
                except Exception:
                    pass
        self._interval = None
        if self._fallback is not None:
            self._notes.append(note)
            _warn_once(f"memtrack: {note}; continuing with getrusage")
            self._backend = _backends.get_backend("getrusage")
            self._mark, self._fallback = self._fallback, None
        else:
            self._to_unavailable(note)

    def _read(self, mark: Mark | None) -> Reading:
        try:
            return self._backend.read(mark if mark is not None else self._mark)
        except Exception as exc:
            self._degrade(exc)
        try:
            return self._backend.read(self._mark)
        except Exception as exc:
            self._to_unavailable(f"{self._backend.name} failed: {type(exc).__name__}: {exc}")
            return self._backend.read(self._mark)

    # -- probes -------------------------------------------------------------
    def probe(self, label: str) -> Probe | None:
        """Record an intermediate point; its own cost is excluded from the times."""
        t_in = time.perf_counter()
        if not self._active:
            return None
        if self._recorder is not None:
            self._marks_ns.append((label, _timeline.now_ns()))
        elapsed = t_in - self._t0 - self._overhead
        try:
            interval = self._interval
            reading = self._read(interval)
            if interval is not None and self._interval is interval:
                self._backend.end(interval)
                start = interval.baseline
            else:  # first interval, or the backend just degraded
                start = self._last_rss
            # The next interval gets its own mark (with hwm: a folded reset).
            self._interval = self._backend.begin()
            if self._backend.name == "unavailable":
                reading = Reading(self._baseline, self._last_rss, exact=False)
            probe = Probe(
                label=label,
                elapsed_s=elapsed,
                interval_s=elapsed - self._last_t,
                current_bytes=reading.rss - self._baseline,
                delta_bytes=reading.rss - self._last_rss,
                peak_bytes=max(0, reading.peak_rss - self._baseline),
                interval_peak_bytes=max(0, reading.peak_rss - start),
            )
            self._last_rss, self._last_t = reading.rss, elapsed
        except Exception as exc:
            _warn_once(f"memtrack: probe failed: {type(exc).__name__}: {exc}")
            probe = Probe(label, elapsed, elapsed - self._last_t, 0, 0, 0, 0)
        self._probes.append(probe)
        self._overhead += time.perf_counter() - t_in
        return probe

    # -- exit ---------------------------------------------------------------
    def __exit__(self, exc_type, exc, tb) -> bool:
        elapsed = time.perf_counter() - self._t0 - self._overhead
        end_ns = _timeline.now_ns()
        try:
            self.result = self._finish(elapsed, end_ns, failed=exc_type is not None)
        except Exception as err:  # never mask the block's own exception
            _warn_once(f"memtrack: tracker error at exit: {type(err).__name__}: {err}")
            self.result = TrackerResult(
                peak_bytes=0,
                current_bytes=0,
                baseline_bytes=0,
                elapsed_s=elapsed,
                method=f"unavailable (tracker error at exit: {err})",
                backend="unavailable",
                exact=False,
                breakdown=None,
                retained_bytes=None,
                probes=list(self._probes),
                failed=exc_type is not None,
                timeline=self._stop_timeline(end_ns),
            )
        finally:
            self._active = False
        return False

    def _finish(self, elapsed: float, end_ns: int, failed: bool) -> TrackerResult:
        reading = self._read(None)
        # Stopped before the release of the retained figure: the timeline is the block's.
        timeline = self._stop_timeline(end_ns)
        breakdown1 = reading.breakdown
        if breakdown1 is None and self._breakdown0 is not None:
            breakdown1 = _procfs.read_rss_split()
        for m in (self._interval, self._mark):
            if m is not None:
                try:
                    self._backend.end(m)
                except Exception:
                    pass
        self._interval = None
        name = self._backend.name
        if name == "unavailable":
            peak = current = baseline = 0
        else:
            baseline = self._baseline
            peak = max(0, reading.peak_rss - baseline)
            current = reading.rss - baseline
            if self.release_before_delta:
                release_memory(collect=False)
                now = _read_current_rss()
                if now is not None:
                    current = now - baseline
        retained = None
        if self.retained and name != "unavailable":
            release_memory()
            now = _read_current_rss()
            retained = None if now is None else now - baseline
        breakdown = None
        if name != "unavailable" and self._breakdown0 is not None and breakdown1 is not None:
            breakdown = {k: breakdown1[k] - self._breakdown0[k] for k in self._breakdown0}
        notes = list(self._notes)
        if not reading.exact and reading.note:
            notes.append(reading.note)
        if name == "hwm":
            note = self._backend.method_note()  # whether a watcher refined the peak
            if note:
                notes.append(note)
        method = f"{name} ({'; '.join(notes)})" if notes else name
        return TrackerResult(
            peak_bytes=peak,
            current_bytes=current,
            baseline_bytes=baseline,
            elapsed_s=elapsed,
            method=method,
            backend=name,
            exact=reading.exact and name != "unavailable",
            breakdown=breakdown,
            retained_bytes=retained,
            probes=list(self._probes),
            failed=failed,
            timeline=timeline,
        )
