"""Client side of the sampling process (see _sampler_process.py).

One sampler process per measured process, started lazily on first use, shared
by every tracker of the process, and shut down at exit. A sampler inherited
across os.fork() samples the parent, so the child starts its own.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import threading

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_sampler_process.py")
START_TIMEOUT_S = 20.0


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
        # interpreter could hang: guard it with a timer that kills the child.
        timer = None
        if timeout is not None:
            timer = threading.Timer(timeout, self._proc.kill)
            timer.daemon = True
            timer.start()
        try:
            line = self._proc.stdout.readline()
        finally:
            if timer is not None:
                timer.cancel()
        if not line:
            raise SamplerError(f"sampling process {self._proc.pid} exited")
        return line.strip()

    def _ask(self, cmd: bytes) -> tuple[int, int]:
        if self.owner_pid != os.getpid():
            # Inherited across fork: its pipes are the parent's, and it samples the parent.
            raise SamplerError("the sampling process belongs to the parent process (fork)")
        with self._lock:
            try:
                self._proc.stdin.write(cmd)
                line = self._readline()
            except (OSError, ValueError) as exc:
                raise SamplerError(f"sampling process {self._proc.pid}: {exc}") from exc
        peak, rss = line.split()
        return int(peak), int(rss)

    def reset(self) -> tuple[int, int]:
        """(highest RSS since the previous reset, RSS now); then start a new maximum."""
        return self._ask(b"r\n")

    def query(self) -> tuple[int, int]:
        """(highest RSS since the last reset, RSS now), a fresh sample included."""
        return self._ask(b"q\n")

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


_shared: Sampler | None = None
_shared_lock = threading.Lock()


def shared_sampler() -> Sampler:
    """The process's sampler, started on first use (or after a fork, or a crash)."""
    global _shared
    with _shared_lock:
        s = _shared
        if s is None or s.owner_pid != os.getpid() or not s.alive():
            if s is not None and s.owner_pid == os.getpid():
                s.close()
            _shared = s = Sampler(os.getpid())
        return s


def discard_shared_sampler(sampler: Sampler) -> None:
    """Forget a sampler that failed so the next use starts a fresh one."""
    global _shared
    with _shared_lock:
        if _shared is sampler:
            _shared = None
    if sampler.owner_pid == os.getpid():
        try:
            sampler.close()
        except Exception:
            pass


@atexit.register
def _shutdown() -> None:
    global _shared
    s, _shared = _shared, None
    if s is not None and s.owner_pid == os.getpid():
        s.close()
