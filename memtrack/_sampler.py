"""Client side of the sampling process (see _sampler_process.py).

One sampler process per measured process, started lazily on first use, shared
by every tracker of the process, and shut down at exit. A sampler inherited
across os.fork() samples the parent, so the child starts its own.
"""

from __future__ import annotations

import array
import atexit
import os
import select
import subprocess
import sys
import threading

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_sampler_process.py")
START_TIMEOUT_S = 20.0
# Fields of one timeline record (see _sampler_process.py, command "s").
RECORD_FIELDS = 6
# How often the hwm backend's peak watcher reads the resident memory: without
# pause (a read of /proc/PID/statm takes a few microseconds), because the
# native reader's decode buffers live for tens of microseconds; with a 20 us
# pause (~50 us a poll) a 0.2 MiB peak still went unseen now and then
# (see _backends.HwmBackend).
WATCH_INTERVAL_S = 0.0


class SamplerError(RuntimeError):
    """The sampling process could not start or stopped answering."""


class Sampler:
    """A running sampling process polling `pid`'s resident memory."""

    def __init__(self, pid: int, interval_s: float = 0.001):
        if not sys.executable:
            raise SamplerError("sys.executable is empty: cannot start a sampling process")
        self.owner_pid = os.getpid()
        self._lock = threading.Lock()
        try:
            self._proc = subprocess.Popen(
                [sys.executable, SCRIPT, str(pid), repr(interval_s)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                bufsize=0,
                close_fds=True,
            )
        except OSError as exc:
            raise SamplerError(f"cannot start {sys.executable} {SCRIPT}: {exc}") from exc
        line = self._readline(START_TIMEOUT_S)
        if not line.startswith(b"ok "):
            self.close()
            raise SamplerError(f"sampling process failed to start: {line.decode(errors='replace')}")

    @property
    def pid(self) -> int:
        return self._proc.pid

    def _readline(self, timeout: float | None = None) -> bytes:
        # A plain readline; the timeout only matters at start, where a broken
        # interpreter could hang. Waited for with select, not a timer thread:
        # such a thread ended some time after the start, in the measured
        # process's first milliseconds, and freed its objects amid the
        # operation's allocations as the scheduler fell (the Python loader's
        # peaks moved; seen in a malloc trace).
        if timeout is not None:
            ready, _, _ = select.select([self._proc.stdout], [], [], timeout)
            if not ready:
                self._proc.kill()
                self.close()  # reaped, its pipes closed
                raise SamplerError(
                    f"sampling process {self._proc.pid} did not answer within {timeout} s"
                )
        line = self._proc.stdout.readline()
        if not line:
            raise SamplerError(f"sampling process {self._proc.pid} exited")
        return line.strip()

    def _ask(self, cmd: bytes) -> tuple[int, int]:
        peak, rss = self._command(cmd).split()
        return int(peak), int(rss)

    def reset(self) -> tuple[int, int]:
        """(highest RSS since the previous reset, RSS now); then start a new maximum."""
        return self._ask(b"r\n")

    def query(self) -> tuple[int, int]:
        """(highest RSS since the last reset, RSS now), a fresh sample included."""
        return self._ask(b"q\n")

    def record_start(self, interval_s: float | None = None) -> str:
        """Start recording a timeline (every sample kept); returns what the
        anon/file/shmem split comes from: "status", "statm" or "none"."""
        cmd = b"t\n" if interval_s is None else f"t {interval_s!r}\n".encode()
        line = self._command(cmd)
        if not line.startswith(b"ok "):
            raise SamplerError(f"cannot record a timeline: {line.decode(errors='replace')}")
        return line[3:].decode()

    def record_stop(self) -> array.array:
        """Stop recording; the samples, 6 int64 each: time (CLOCK_MONOTONIC ns),
        RSS, anon, file, shmem, virtual size (bytes, -1 where unknown)."""
        with self._lock:
            try:
                self._check_owner()
                self._proc.stdin.write(b"s\n")
                header = self._readline()
                if not header.startswith(b"n "):
                    raise SamplerError(f"unexpected reply {header!r}")
                data = self._read_exactly(int(header[2:]) * RECORD_FIELDS * 8)
            except (OSError, ValueError) as exc:
                raise SamplerError(f"sampling process {self._proc.pid}: {exc}") from exc
        samples = array.array("q")
        samples.frombytes(data)
        if sys.byteorder != "little":
            samples.byteswap()
        return samples

    def _read_exactly(self, n: int) -> bytes:
        chunks, left = [], n
        while left:
            chunk = self._proc.stdout.read(left)
            if not chunk:
                raise SamplerError(f"sampling process {self._proc.pid} exited mid-reply")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def _check_owner(self) -> None:
        if self.owner_pid != os.getpid():
            # Inherited across fork: its pipes are the parent's, and it samples the parent.
            raise SamplerError("the sampling process belongs to the parent process (fork)")

    def _command(self, cmd: bytes) -> bytes:
        """Send one command, return its one-line reply."""
        with self._lock:
            self._check_owner()
            try:
                self._proc.stdin.write(cmd)
                return self._readline()
            except (OSError, ValueError) as exc:
                raise SamplerError(f"sampling process {self._proc.pid}: {exc}") from exc

    def idle(self) -> None:
        """Stop polling until the next reset (no tracker is active)."""
        if self.owner_pid != os.getpid():
            return
        with self._lock:
            try:
                self._proc.stdin.write(b"i\n")
            except (OSError, ValueError):
                pass

    def alive(self) -> bool:
        return self._proc.poll() is None

    def close(self) -> None:
        try:
            self._proc.stdin.close()
        except OSError:
            pass
        try:
            self._proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._proc.stdout.close()


# The process's samplers, by kind: "sampler" (the sampled backend's and the
# timelines', every 1 ms) and "watcher" (the hwm backend's peak watcher).
_KINDS = {"sampler": 0.001, "watcher": WATCH_INTERVAL_S}
_shared: dict[str, Sampler] = {}
_shared_lock = threading.Lock()


def shared_sampler(kind: str = "sampler") -> Sampler:
    """The process's sampler of that kind, started on first use (or after a
    fork, or a crash)."""
    interval_s = _KINDS[kind]
    with _shared_lock:
        s = _shared.get(kind)
        if s is None or s.owner_pid != os.getpid() or not s.alive():
            if s is not None and s.owner_pid == os.getpid():
                s.close()
            _shared[kind] = s = Sampler(os.getpid(), interval_s)
        return s


def existing_sampler(kind: str = "sampler") -> Sampler | None:
    """The process's running sampler of that kind, without starting one."""
    with _shared_lock:
        s = _shared.get(kind)
    if s is None or s.owner_pid != os.getpid() or not s.alive():
        return None
    return s


def discard_shared_sampler(sampler: Sampler) -> None:
    """Forget a sampler that failed so the next use starts a fresh one."""
    with _shared_lock:
        for kind, s in list(_shared.items()):
            if s is sampler:
                del _shared[kind]
    if sampler.owner_pid == os.getpid():
        try:
            sampler.close()
        except Exception:
            pass


@atexit.register
def _shutdown() -> None:
    with _shared_lock:
        samplers = list(_shared.values())
        _shared.clear()
    for s in samplers:
        if s.owner_pid == os.getpid():
            s.close()
