"""Standalone sampling process: polls another process's resident memory at ~1 ms.

Run as `python _sampler_process.py PID [INTERVAL_S]`. It is a separate process,
not a thread, because a thread of the measured process cannot run while C code
holds the GIL and would miss exactly the spikes that matter. It imports nothing
from memtrack so that it starts fast and stays independent. INTERVAL_S 0
makes it the hwm backend's peak watcher: it reads without pausing, at an
ordinary priority (see _backends.py).

Protocol on stdin/stdout, one line each:
  start  -> "ok RSS" or "err REASON"
  "r"    -> "MAX RSS": the highest RSS since the previous reset, and RSS now;
            then MAX := RSS now and sampling runs
  "q"    -> "MAX RSS": the same without resetting (a fresh sample is included)
  "i"    -> no reply: stop sampling until the next "r" (saves a core's time)
  "t [INTERVAL_S]"
         -> "ok SPLIT" or "err REASON": start recording a timeline, sampling
            every INTERVAL_S (default: the start interval) until "s"; SPLIT
            names what the split columns come from (status, statm or none)
  "s"    -> "n COUNT" then COUNT records of 6 little-endian int64: time
            (CLOCK_MONOTONIC, ns), RSS, anonymous, file-backed, shared
            memory, virtual size (bytes; -1 where unknown); recording stops
  EOF    -> exit (also when the measured process dies)
"""

import array
import os
import signal
import sys
import threading
import time

# Keys of /proc/PID/status, located with bytes.find (a few us; see _procfs.py).
_STATUS_KEYS = (b"\nVmRSS:", b"\nRssAnon:", b"\nRssFile:", b"\nRssShmem:", b"\nVmSize:")


def _rss_reader(pid):
    """A function returning the resident bytes of `pid`: procfs, else psutil."""
    try:
        fd = os.open(f"/proc/{pid}/statm", os.O_RDONLY)
        page = os.sysconf("SC_PAGE_SIZE")

        def read_statm():
            return int(os.pread(fd, 128, 0).split()[1]) * page

        read_statm()
        return read_statm
    except (OSError, ValueError, IndexError, AttributeError):
        pass
    try:
        import psutil
    except ImportError:
        raise RuntimeError("neither /proc/PID/statm nor psutil is available") from None
    proc = psutil.Process(pid)
    return lambda: proc.memory_info().rss


def _status_reader(pid):
    """(rss, anon, file, shmem, vm_size) of `pid` from /proc/PID/status, or None."""
    try:
        fd = os.open(f"/proc/{pid}/status", os.O_RDONLY)
    except OSError:
        return None

    def read_status():
        data = os.pread(fd, 8192, 0)
        out = []
        for key in _STATUS_KEYS:
            start = data.find(key)
            if start < 0:
                raise ValueError(f"no {key.decode().strip()} in /proc/{pid}/status")
            start += len(key)
            out.append(int(data[start : data.index(b"kB", start)]) * 1024)
        return out

    try:
        read_status()
    except (OSError, ValueError):
        os.close(fd)
        return None
    return read_status


def _statm_reader(pid):
    """The same from /proc/PID/statm (before Linux 4.5: no anon/file split in
    status). Its "shared" column is file-backed plus shared memory."""
    try:
        fd = os.open(f"/proc/{pid}/statm", os.O_RDONLY)
        page = os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, AttributeError):
        return None

    def read_statm():
        size, resident, shared = (int(v) * page for v in os.pread(fd, 128, 0).split()[:3])
        return [resident, resident - shared, shared, -1, size]

    try:
        read_statm()
    except (OSError, ValueError):
        return None
    return read_statm


def _split_reader(pid):
    """(what the split comes from, a function returning the five figures)."""
    for name, make in (("status", _status_reader), ("statm", _statm_reader)):
        reader = make(pid)
        if reader is not None:
            return name, reader
    read_rss = _rss_reader(pid)
    return "none", lambda: [read_rss(), -1, -1, -1, -1]


def _wake_on_time(realtime=True):
    """Best effort, for a 1 ms grid on a busy machine: a fine timer slack
    (Linux lets a sleeping thread oversleep by 50 us by default) and, where
    permitted (root, CAP_SYS_NICE), a higher priority than the measured
    process, so that the scheduler runs this one when it wakes."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(29, 1, 0, 0, 0)  # PR_SET_TIMERSLACK, 1 ns
    except (OSError, AttributeError):
        pass
    if not realtime:
        return
    try:
        # Real-time round robin at the lowest priority: a waking sampler
        # preempts ordinary work at once. It sleeps between samples (~3% of a
        # core at 1 ms), and the kernel caps real-time tasks at 95% anyway.
        os.sched_setscheduler(0, os.SCHED_RR, os.sched_param(1))
    except (OSError, AttributeError):
        try:
            os.nice(-5)
        except (OSError, AttributeError):
            pass


def main(argv):
    pid = int(argv[1])
    interval = float(argv[2]) if len(argv) > 2 else 0.001
    watch = interval <= 0
    # Ctrl-C goes to the whole process group; the measured process decides.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    out = sys.stdout.buffer
    try:
        read_rss = _rss_reader(pid)
        rss = read_rss()
    except Exception as exc:  # report any reason; the parent degrades
        out.write(f"err {type(exc).__name__}: {exc}\n".encode())
        out.flush()
        return 1
    out.write(f"ok {rss}\n".encode())
    out.flush()
    # Not at a real-time priority for the watcher: polling without pause so
    # would take a core from everything else on the machine. Its commands
    # wait for the polling thread to let go of the interpreter: at most
    # 0.1 ms rather than the default 5.
    _wake_on_time(realtime=not watch)
    if watch:
        sys.setswitchinterval(1e-4)

    lock = threading.Lock()
    # tracking: a tracker wants the maximum; record: the timeline's samples
    # (None while not recording); split: its reader, made on first use.
    state = {"max": rss, "tracking": False, "record": None, "split": None, "every": interval}
    active = threading.Event()

    def sample():
        record = state["record"]
        if record is None:
            value = read_rss()
        else:
            t = time.monotonic_ns()
            figures = state["split"][1]()
            record.append(t)
            record.extend(figures)
            value = figures[0]
        if value > state["max"]:
            state["max"] = value
        return value

    def poll():
        due = time.monotonic()
        while True:
            if not active.is_set():
                active.wait()
                due = time.monotonic()
            with lock:
                try:
                    sample()
                except Exception:
                    os._exit(0)  # the measured process is gone
                every = state["every"]
            if every <= 0:
                # The watcher reads without pausing; sleep(0) only hands the
                # interpreter to a command waiting for it.
                time.sleep(0)
                continue
            # A fixed grid rather than a fixed pause: the read's own time does
            # not stretch the interval. A late wake-up skips, never bunches.
            due += every
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                due = time.monotonic()

    threading.Thread(target=poll, daemon=True).start()

    def set_active():
        if state["tracking"] or state["record"] is not None:
            active.set()
        else:
            active.clear()

    for line in sys.stdin.buffer:
        cmd = line[:1]
        if cmd == b"i":
            with lock:
                state["tracking"] = False
                set_active()
            continue
        if cmd == b"t":
            with lock:
                reply = _start_recording(state, pid, line, interval)
                if reply.startswith(b"ok"):
                    sample()  # the first record is taken before the reply
                set_active()
            out.write(reply)
            out.flush()
            continue
        if cmd == b"s":
            with lock:
                if state["record"] is not None:
                    sample()  # and the last one after the request
                record = state["record"] or array.array("q")
                state["record"] = None
                state["every"] = interval
                set_active()
            if sys.byteorder != "little":
                record.byteswap()
            out.write(f"n {len(record) // 6}\n".encode())
            out.write(record.tobytes())
            out.flush()
            continue
        with lock:
            now = sample()
            reply = f"{state['max']} {now}\n".encode()
            if cmd == b"r":
                state["max"] = now
                state["tracking"] = True
                set_active()
        out.write(reply)
        out.flush()
    return 0


def _start_recording(state, pid, line, default_interval):
    """Handle "t [INTERVAL_S]"; the reply line."""
    if state["record"] is not None:
        return b"err a timeline is already recording\n"
    try:
        fields = line.split()
        every = float(fields[1]) if len(fields) > 1 else default_interval
        if not every > 0:
            raise ValueError(f"interval {every} is not positive")
        if state["split"] is None:
            state["split"] = _split_reader(pid)
    except Exception as exc:
        return f"err {type(exc).__name__}: {exc}\n".encode()
    state["every"] = every
    state["record"] = array.array("q")
    return f"ok {state['split'][0]}\n".encode()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
