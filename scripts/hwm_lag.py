"""How far below a transient peak the kernel's high-water mark reads, and
what memtrack's peak watcher reads.

Each trial maps N fresh anonymous pages (N random, 100 to 400), touches
them, reads the exact resident memory (``VmRSS``), unmaps them and reads
``VmHWM``: the difference is what the kernel lost. Since Linux 6.2 the
mark is recorded at the unmap from per-CPU counters the kernel has not
summed (``VmRSS`` and ``statm`` are summed exactly). Then the same blocks
inside a memtrack tracker, with and without ``memtrack.watch_peaks()``.

    python scripts/hwm_lag.py [--trials 2000] [--pin] [--hold-us 20]
"""

from __future__ import annotations

import argparse
import ctypes
import mmap
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import memtrack  # noqa: E402

PAGE = mmap.PAGESIZE


def _status() -> tuple[int, int]:
    """(VmRSS, VmHWM) in pages."""
    rss = hwm = None
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) * 1024 // PAGE
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1]) * 1024 // PAGE
    return rss, hwm


def _touch(pages: int) -> mmap.mmap:
    m = mmap.mmap(-1, pages * PAGE)
    view = ctypes.c_char.from_buffer(m)
    ctypes.memset(ctypes.addressof(view), 1, pages * PAGE)
    del view
    return m


def kernel_lag(trials: int, rng: random.Random) -> list[int]:
    """VmHWM after the unmap minus the exact RSS before it, in pages."""
    out = []
    for _ in range(trials):
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        m = _touch(rng.randint(100, 400))
        exact, _ = _status()
        m.close()
        _, hwm = _status()
        out.append(hwm - exact)
    return out


def tracker_error(trials: int, rng: random.Random, watch: bool, hold_s: float) -> list[int]:
    """memtrack's peak minus the block's size, in pages."""
    memtrack.watch_peaks(watch)
    out = []
    for _ in range(trials):
        pages = rng.randint(100, 400)
        with memtrack.PerformanceTracker() as t:
            m = _touch(pages)
            if hold_s:
                time.sleep(hold_s)
            m.close()
        out.append(t.result.peak_bytes // PAGE - pages)
    return out


def _line(label: str, values: list[int]) -> str:
    exact = sum(v == 0 for v in values)
    return (
        f"{label:34} min {min(values):4} median {statistics.median(values):6.1f} "
        f"max {max(values):4} pages; exact in {exact} of {len(values)}"
    )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=2000)
    ap.add_argument("--pin", action="store_true", help="run on CPU 0 only")
    ap.add_argument("--hold-us", type=int, default=0, help="hold each block this long")
    args = ap.parse_args(argv)
    if not sys.platform.startswith("linux"):
        print("Linux only (/proc/self/clear_refs)", file=sys.stderr)
        return 2
    if args.pin:
        os.sched_setaffinity(0, {0})
    rng = random.Random(6)
    pinned = ", pinned to CPU 0" if args.pin else ""
    held = f"blocks held {args.hold_us} us"
    print(f"Linux {os.uname().release}, {os.cpu_count()} CPUs{pinned}, {held}")
    print(_line("kernel mark - exact peak", kernel_lag(args.trials, rng)))
    few = max(1, args.trials // 10)
    hold = args.hold_us / 1e6
    print(_line("memtrack peak - block", tracker_error(few, rng, False, hold)))
    print(_line("memtrack peak, watched - block", tracker_error(few, rng, True, hold)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
