"""Standalone sampling process: polls another process's resident memory at ~1 ms.

Run as `python _sampler_process.py PID [INTERVAL_S]`. It is a separate process,
not a thread, because a thread of the measured process cannot run while C code
holds the GIL and would miss exactly the spikes that matter. It imports nothing
from memtrack so that it starts fast and stays independent.

Protocol on stdin/stdout, one line each:
  start  -> "ok RSS" or "err REASON"
  "r"    -> "MAX RSS": the highest RSS since the previous reset, and RSS now;
            then MAX := RSS now and sampling runs
  "q"    -> "MAX RSS": the same without resetting (a fresh sample is included)
  "i"    -> no reply: stop sampling until the next "r" (saves a core's time)
  EOF    -> exit (also when the measured process dies)
"""

import os
import signal
import sys
import threading
import time


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


def main(argv):
    pid = int(argv[1])
    interval = float(argv[2]) if len(argv) > 2 else 0.001
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

    lock = threading.Lock()
    state = {"max": rss}
    active = threading.Event()

    def sample():
        value = read_rss()
        if value > state["max"]:
            state["max"] = value
        return value

    def poll():
        while True:
            active.wait()
            with lock:
                try:
                    sample()
                except Exception:
                    os._exit(0)  # the measured process is gone
            time.sleep(interval)

    threading.Thread(target=poll, daemon=True).start()

    for line in sys.stdin.buffer:
        cmd = line[:1]
        if cmd == b"i":
            active.clear()
            continue
        with lock:
            now = sample()
            reply = f"{state['max']} {now}\n".encode()
            if cmd == b"r":
                state["max"] = now
                active.set()
        out.write(reply)
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
