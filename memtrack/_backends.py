"""Ways to obtain the peak resident memory of an interval, best first.

- "hwm": Linux kernel high-water mark, reset per interval. Catches spikes
  while C code holds the GIL or in other threads. Since Linux 6.2 the kernel
  records the mark, when memory is unmapped, from per-CPU counters it has
  not summed: a transient peak reads up to ~75 pages (0.3 MiB on 2 cores)
  low, by an amount that differs from run to run, while the current RSS it
  reports is exact. ``watch_peaks()`` adds a watching process that reads
  the exact RSS every few microseconds; the peak is then the higher of the
  two, exact for any rise held longer than a poll (docs/measurements.md).
  The reset has the opposite error: it sets the mark to those unsummed
  counters, up to ~30 pages per CPU above the exact RSS (after a
  malloc_trim, say), and the mark then reads that much for a block that
  allocates nothing. So the mark counts only once it has moved above
  where the reset left it; until then the peak is the exact RSS.
- "sampled": a separate process polls RSS at ~1 ms and keeps the maximum.
  Misses what rises and falls between two samples.
- "getrusage": ru_maxrss cannot be reset, so it only tells something when it
  rises above its value at the start of the interval; otherwise the peak is a
  lower bound (the highest RSS seen at the interval's ends and probes).
- "unavailable": zeros.

An interval is a `Mark`. The resettable sources (hwm, sampled) have one
process-wide maximum, so before any reset the current maximum is folded into
every active mark's running maximum: an inner or concurrent tracker cannot
erase an outer one's peak.
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass

from . import _procfs, _rss, _sampler

CHAIN = ("hwm", "sampled", "getrusage", "unavailable")


class BackendError(RuntimeError):
    """A measurement source failed; the tracker degrades to the next one."""


class Mark:
    """One measured interval: its starting RSS and the highest RSS seen so far."""

    __slots__ = ("baseline", "running_max", "maxrss_entry", "source", "breakdown")

    def __init__(self, baseline: int, maxrss_entry: int = 0):
        self.baseline = baseline
        self.running_max = baseline
        self.maxrss_entry = maxrss_entry
        self.source = None  # what the maximum belongs to (the sampler process, or None)
        self.breakdown = None  # anon/file/shmem at the start, if read on the way


@dataclass(frozen=True)
class Reading:
    peak_rss: int  # highest resident bytes since the mark began (absolute)
    rss: int  # resident bytes now
    exact: bool = True  # False: peak_rss is only a lower bound
    note: str = ""  # why it is not exact
    breakdown: dict | None = None  # anon/file/shmem now, if read on the way


class Backend:
    name = "?"

    def unavailable_reason(self) -> str | None:
        return None

    def begin(self) -> Mark:
        raise NotImplementedError

    def read(self, mark: Mark) -> Reading:
        raise NotImplementedError

    def end(self, mark: Mark) -> None:
        pass


class _ResettableBackend(Backend):
    """Shared logic of sources with one resettable process-wide maximum.

    The maximum belongs to a source: None for the kernel's, the sampling
    process for the sampled backend. Marks of a source that died and was
    replaced are not folded: their reads fail and degrade instead of
    reporting a wrong peak.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._marks: set[Mark] = set()

    def _source(self):
        """What the maximum belongs to now."""
        return None

    def _reset(self, source) -> tuple[int, int, dict | None]:
        """Reset the maximum; return (maximum before the reset, RSS now, split or None)."""
        raise NotImplementedError

    def _peek(self, source) -> tuple[int, int, dict | None]:
        """(maximum since the last reset, RSS now, split or None)."""
        raise NotImplementedError

    def _idle(self, source) -> None:
        """No mark is active any more."""

    def begin(self) -> Mark:
        with self._lock:
            source = self._source()
            before, now, breakdown = self._reset(source)
            for m in self._marks:
                if m.source is source and before > m.running_max:
                    m.running_max = before
            mark = Mark(now)
            mark.source = source
            mark.breakdown = breakdown
            self._marks.add(mark)
            return mark

    def read(self, mark: Mark) -> Reading:
        with self._lock:
            peak, now, breakdown = self._peek(mark.source)
            if peak > mark.running_max:
                mark.running_max = peak
            return Reading(mark.running_max, now, breakdown=breakdown)

    def end(self, mark: Mark) -> None:
        with self._lock:
            self._marks.discard(mark)
            if not self._marks:
                self._idle(mark.source)


ENV_WATCH = "MEMTRACK_WATCH_PEAKS"
_watch: bool | None = None  # watch_peaks(); None: $MEMTRACK_WATCH_PEAKS decides


def watch_peaks(enabled: bool = True) -> None:
    """Refine the hwm backend's peaks with a watching process (see above),
    for every tracker of this process from now on. It polls only while a
    tracker is active and costs most of a core then; a watcher that cannot
    start or dies leaves the kernel's mark alone, and the method says so."""
    global _watch
    _watch = bool(enabled)


def watching_peaks() -> bool:
    """Whether the hwm backend's peaks are watched (watch_peaks(), else the
    environment variable MEMTRACK_WATCH_PEAKS=1)."""
    if _watch is not None:
        return _watch
    return os.environ.get(ENV_WATCH, "").strip().lower() in ("1", "true", "yes", "on")


class HwmBackend(_ResettableBackend):
    name = "hwm"
    _refused: str | None = None  # why the kernel refused a reset: final
    _usable_in_pid: int | None = None  # the process where the check passed
    watcher_note: str | None = None  # why the last mark's peak was not watched
    _watched_by: _sampler.Sampler | None = None  # the watcher reset with the last mark
    _floor: tuple[int, int] | None = None  # (pid, VmHWM right after the last reset)

    def unavailable_reason(self) -> str | None:
        if self._refused is not None:
            return self._refused
        if self._usable_in_pid == os.getpid():
            return None
        if not sys.platform.startswith("linux"):
            return f"not Linux ({sys.platform})"
        reason = _procfs.hwm_unsupported_reason()
        if reason is None:
            self._usable_in_pid = os.getpid()
        return reason

    def _watcher(self) -> _sampler.Sampler | None:
        """The peak watcher, started if need be, if peaks are watched."""
        if not watching_peaks():
            return None
        try:
            return _sampler.shared_sampler("watcher")
        except _sampler.SamplerError as exc:
            self.watcher_note = f"peak not watched: {exc}"
            return None

    def prepare(self) -> None:
        """Start the peak watcher (if peaks are watched) before a tracker
        reads its baseline: starting a process costs the measured one some
        memory, which must not land inside the block."""
        self._watcher()

    def _ask_watcher(self, reset: bool) -> int:
        """The watcher's maximum since its last reset (0 without one)."""
        if reset:
            self._watched_by = self._watcher()
        w = self._watched_by
        if w is None:
            return 0
        try:
            peak, _ = w.reset() if reset else w.query()
        except _sampler.SamplerError as exc:
            _sampler.discard_shared_sampler(w)
            self._watched_by = None
            self.watcher_note = f"peak watcher failed: {exc}"
            return 0
        if reset:
            self.watcher_note = None
        return peak

    def _kernel_peak(self, status: dict[str, int]) -> int:
        """The kernel's mark, where it has moved since the last reset; else
        the RSS now (what the reset set it to says nothing: see above)."""
        floor = self._floor
        if floor is not None and floor[0] == os.getpid() and status["hwm"] <= floor[1]:
            return status["rss"]
        return status["hwm"]

    def _reset(self, source) -> tuple[int, int, dict | None]:
        # Read, then reset: whatever RSS rises in between (microseconds, other
        # threads only) is the one thing this cannot see. The watcher's
        # maximum is part of the process-wide maximum: reset with the mark.
        watched = self._ask_watcher(reset=True)
        try:
            status = _procfs.read_status()
            _procfs.reset_hwm()
        except OSError as exc:
            self._refused = f"high-water-mark reset refused ({exc})"
            raise BackendError(self._refused) from exc
        before = max(self._kernel_peak(status), watched)
        # Where the reset left the mark (VmHWM is the higher of it and the
        # exact RSS): a mark that stays there has seen nothing.
        try:
            self._floor = (os.getpid(), _procfs.read_status()["hwm"])
        except OSError:
            self._floor = None
        return before, status["rss"], _procfs.rss_split(status)

    def _peek(self, source) -> tuple[int, int, dict | None]:
        watched = self._ask_watcher(reset=False)
        try:
            status = _procfs.read_status()
        except OSError as exc:
            raise BackendError(f"/proc/self/status unreadable ({exc})") from exc
        return max(self._kernel_peak(status), watched), status["rss"], _procfs.rss_split(status)

    def _idle(self, source) -> None:
        w, self._watched_by = self._watched_by, None
        if w is not None:
            w.idle()

    def method_note(self) -> str | None:
        """What the peaks of the marks just read were taken with, beyond the mark."""
        if not watching_peaks():
            return None
        return self.watcher_note or "peak watched"


class SampledBackend(_ResettableBackend):
    name = "sampled"
    _start_error: str | None = None  # why the sampler could not start ...
    _start_pid: int | None = None  # ... in this process

    def unavailable_reason(self) -> str | None:
        # A sampler that cannot start at all will not start next time either;
        # one that died is restarted by shared_sampler().
        if self._start_error is not None and self._start_pid == os.getpid():
            return self._start_error
        try:
            _sampler.shared_sampler()
        except _sampler.SamplerError as exc:
            self._start_error, self._start_pid = str(exc), os.getpid()
            return self._start_error
        return None

    def _source(self) -> _sampler.Sampler:
        try:
            return _sampler.shared_sampler()
        except _sampler.SamplerError as exc:
            raise BackendError(str(exc)) from exc

    def _ask(self, s: _sampler.Sampler, reset: bool) -> tuple[int, int, None]:
        try:
            peak, now = s.reset() if reset else s.query()
        except _sampler.SamplerError as exc:
            _sampler.discard_shared_sampler(s)
            raise BackendError(str(exc)) from exc
        return peak, now, None

    def _reset(self, source: _sampler.Sampler) -> tuple[int, int, None]:
        return self._ask(source, reset=True)

    def _peek(self, source: _sampler.Sampler) -> tuple[int, int, None]:
        return self._ask(source, reset=False)

    def _idle(self, source: _sampler.Sampler) -> None:
        source.idle()


def maxrss_bytes() -> int:
    """ru_maxrss of this process in bytes (macOS reports bytes, others KiB)."""
    import resource

    value = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return value if sys.platform == "darwin" else value * 1024


class GetrusageBackend(Backend):
    name = "getrusage"

    def __init__(self) -> None:
        self._reader = None
        self._reason: str | None = None
        self._checked = False

    def unavailable_reason(self) -> str | None:
        if not self._checked:
            self._checked = True
            try:
                maxrss_bytes()
            except (ImportError, OSError) as exc:
                self._reason = f"resource.getrusage unavailable ({exc})"
            else:
                self._reader = _rss.current_rss_reader()
                if self._reader is None:
                    self._reason = "no way to read the current RSS"
        return self._reason

    def _rss(self) -> int:
        try:
            return self._reader()
        except Exception as exc:
            raise BackendError(f"current RSS unreadable ({exc})") from exc

    def begin(self) -> Mark:
        return Mark(self._rss(), maxrss_bytes())

    def begin_from(self, baseline: int) -> Mark:
        """A mark starting now whose baseline another source already measured."""
        return Mark(baseline, maxrss_bytes())

    def read(self, mark: Mark) -> Reading:
        now = self._rss()
        if now > mark.running_max:
            mark.running_max = now
        maxrss = maxrss_bytes()
        if maxrss > mark.maxrss_entry:
            # The process's all-time maximum was reached inside the interval.
            return Reading(max(maxrss, mark.running_max), now)
        return Reading(
            mark.running_max,
            now,
            exact=False,
            note="lower bound: ru_maxrss did not rise above its value at entry",
        )


class UnavailableBackend(Backend):
    name = "unavailable"

    def begin(self) -> Mark:
        return Mark(0)

    def read(self, mark: Mark) -> Reading:
        return Reading(0, 0, exact=False)


_instances: dict[str, Backend] = {}
_instances_lock = threading.Lock()
_CLASSES = {
    "hwm": HwmBackend,
    "sampled": SampledBackend,
    "getrusage": GetrusageBackend,
    "unavailable": UnavailableBackend,
}


def get_backend(name: str) -> Backend:
    """The process-wide instance of a backend (its marks must be shared)."""
    with _instances_lock:
        backend = _instances.get(name)
        if backend is None:
            backend = _instances[name] = _CLASSES[name]()
        return backend
