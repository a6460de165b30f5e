"""The protocol of the benchmark processes' memory figures, and what it was.

Memory figures are measured with USD's work and Arrow's CPU pool limited
to one thread; time figures keep USD's and Arrow's default (every core).
Part of the suite (benchmarks/), not of the package: asv takes benchmark
code from the working tree for every commit it measures, so old commits
are measured under the same protocol. Why: USD composes a stage on its
worker threads (WorkParallelForN and friends over TBB), and Arrow decodes
the Python loader's columns on its CPU pool. Which thread allocates what,
and in which of glibc's per-thread arenas or mimalloc's thread heaps,
depends on how the threads were scheduled, and so does how fragmented the
heap gets and its resident peak: with the default threads a figure moved
by up to ~17% between processes of one commit, on one thread by 1% at most,
and no allocator setting came close (docs/measurements.md, "Memory
repeatability between runs (issue 25)", has the experiment).

One thread changes what a memory figure means only by the scheduling-
dependent part: the same operation, the same allocations, made in one order.
What the operation really holds is all still counted (tests/
test_memory_protocol.py adds 5% to an operation and finds it at its size).

Since protocol 2 a memory figure's process also fixes glibc's mmap
threshold (``MMAP_THRESHOLD``, its default value without its dynamic
rise), for the same reason: where a large block comes from must not
depend on the process's history. Since protocol 3 pyarrow (the Python
loader's reads) allocates from the system allocator rather than Arrow's
mimalloc pool while memory figures are measured: mimalloc hands freed pages
back some milliseconds after a free, so whether a read's temporaries were
still resident at its peak depended on timing (up to 17% between runs).
Since protocol 4 the delta is read after freed native memory is handed back (glibc's
malloc_trim and Arrow's pool release, no garbage collection): a read's
delta at 1k sat at two levels 0.3 MiB apart between runs (2.3%) while its
retained figure held within 0.2%, i.e. what varied was freed memory glibc
had not yet returned, not memory the operation held. Since protocol 5
every benchmark process starts with Arrow's default pool the system
allocator (``ARROW_POOL``; benchmarks/arrow_start.py sets it when the
package is imported, before pyarrow), for Arrow's C++ too: the native
plugin's small decode buffers and what Arrow's readers allocate inside C++
still came from mimalloc, whose reserved segments left a level of a few
MiB under those figures that depended on the process. Arrow reads the
choice once, when it starts, so the time figures run on it as well. And a
memory figure's process maps its libraries' read-only pages before it
measures (``map_library_code``): which library pages an operation mapped
depended on the page cache and the libraries' addresses, not on the
operation (docs/measurements.md, "Protocol 5"). The record also says
whether the processes ran at fixed addresses (``address_space``): .ci/suite
and .ci/memory_gate run asv under ``setarch -R`` where the system allows it.
Since protocol 6 a peak is the higher of the kernel's high-water mark and
the exact resident memory read without pause by a watching process
(``memtrack.watch_peaks``, ``PEAK``): since Linux 6.2 the kernel records
its mark from per-CPU counters it has not summed, so a transient peak read
up to ~0.3 MiB low, differently in every process (a series load's peak at
3k prims moved by 0.9 MiB between processes, now 0.1). And a memory
figure's data files are in the page cache when it is measured
(``cache_data_files``; its setup empties the cache for the time figures):
how many pages of a mapped file a read maps depended on which of them the
drive's read-ahead had brought in by then. Since protocol 7 the record says
whether Python's string hashes were fixed (``hash_seed``: .ci/suite and
.ci/memory_gate run asv with ``PYTHONHASHSEED=0``): the seed orders sets and
dicts, and with them what a process allocates in which order and how its
heap fragments; every benchmark process of an asv run forks from one server
with one seed, so the Python loader's peaks at 100 prims moved by up to 0.8
MiB between runs and 0.2 with the seed fixed (docs/measurements.md, the
eighth session). A process cannot change its own seed: like the address
layout, it is the runner's to fix and the record's to say. Since
protocol 8 the kernel's mark counts only once it has moved above where
its reset left it (memtrack, 6848c08): the reset sets it from the same
unsummed counters, up to ~30 pages per CPU above the exact RSS after
pages freed just before, and a warm read that allocates nothing read 40
to 120 KiB as its peak in some processes (docs/measurements.md, the
eleventh session). The record's ``peak`` names the memtrack the measured
commit has (``peak_method``).

How: every benchmark's ``setup`` runs on one thread (``on_one_thread``) and
leaves the libraries' defaults behind; a memory figure's method
(``memory_figures`` wraps the ``track_*_bytes`` methods memtrack adds)
limits the threads again before it measures, for the rest of its process
(a setup it re-runs for another sample then keeps the limit). A time
figure's process times the operation on the default threads: the limit is
lifted in setup, because USD's SetConcurrencyLimit itself takes 0.4 to 30
ms, which must not land in a timed region.

``USDBENCH_MEMORY_THREADS`` overrides the limit (an integer; 0 or "default":
USD's own), to measure what the threads change (scripts/
memory_repeatability.py). ``settings()`` reports what is in force.

``record()`` is what a memory figure was measured under, kept beside asv's
results (``python -m benchmarks.protocol`` prints it; usdbench.asv_results
stores it per machine and commit): ``PROTOCOL`` numbers the protocol
(bump it when what the memory figures measure changes; 0 was USD's and
Arrow's default threads, before this module), the thread limits, Arrow's
memory pool and the allocator variables in force. Figures under different
records do not compare: the gate refuses them, the report says so.
"""

from __future__ import annotations

import errno
import functools
import os
import re
import sys
import warnings

import memtrack

# Arrow's default pool from the start of every benchmark process (protocol 5).
from .arrow_start import ARROW_POOL, ARROW_POOL_VARIABLE

ENV = "USDBENCH_MEMORY_THREADS"
# The memory protocol's number: 1 = USD's work and Arrow's CPU pool on
# MEMORY_THREADS thread(s) while a memory figure is measured; 2 = and
# glibc's mmap threshold fixed at MMAP_THRESHOLD; 3 = and pyarrow's memory
# pool the system allocator (PYARROW_POOL); 4 = and the delta read after
# freed native memory is handed back (DELTA_AFTER); 5 = and Arrow's default
# pool (C++ included) the system allocator from process start (ARROW_POOL),
# and the libraries' read-only pages mapped before measuring (LIBRARY_CODE);
# 6 = and a peak watched by a process reading the exact RSS (PEAK), and the
# data files in the page cache when a memory figure is measured (DATA_FILES);
# 7 = and the record says whether Python's string hashes were fixed
# (hash_seed), which .ci/suite and .ci/memory_gate do; 8 = and the kernel's
# mark counted only once it moves above where its reset left it (PEAK).
PROTOCOL = 8
# Environment variables that change what an allocation costs in resident
# memory (glibc's malloc, mimalloc, Arrow's pool choice, USD's threads).
ALLOCATOR_VARIABLES = (
    "MALLOC_",
    "MIMALLOC_",
    "ARROW_DEFAULT_MEMORY_POOL",
    "PXR_WORK",
    "GLIBC_TUNABLES",
)
# USD worker threads while memory figures are measured.
MEMORY_THREADS = 1
# glibc's mmap threshold while memory figures are measured (its default,
# 128 KiB, but fixed): glibc raises the threshold whenever an mmapped block
# is freed, so whether a later large block is mmapped (and unmapped on
# free) or carved from the heap (and kept) depended on the process's
# history, and the native reader's series peaks moved by up to 24% between
# processes on one thread. Fixed, a block of this size or more that no free
# heap chunk already holds is mmapped and unmapped when freed, in every
# process.
MMAP_THRESHOLD = 128 * 1024
_M_MMAP_THRESHOLD = -3  # mallopt's parameter (malloc.h)
# pyarrow's memory pool while memory figures are measured: glibc's malloc,
# whose large blocks the fixed threshold maps and unmaps at once.
PYARROW_POOL = "system"
# What runs between the end of a measured operation and the reading of its
# delta (memtrack's release_before_delta): freed heap returned to the OS.
DELTA_AFTER = "malloc_trim"
# What happens to the shared libraries' pages before a memory figure is
# measured (map_library_code).
LIBRARY_CODE = "mapped before measuring"
# Where a memory figure's peak comes from (memtrack's hwm backend, watched).
PEAK = (
    "kernel high-water mark, where it moved above its reset, and a process watching the exact RSS"
)
# ... and what memtrack before 6848c08 took it from: its reset's mark counted
# too, up to ~30 pages per CPU above the exact RSS (peak_method()).
PEAK_BEFORE_8 = "kernel high-water mark and a process watching the exact RSS"
# Where a memory figure's data files are when it is measured (cache_data_files).
DATA_FILES = "in the page cache"
# personality(2)'s flag that turns address-space randomisation off (setarch -R).
_ADDR_NO_RANDOMIZE = 0x0040000


def memory_threads(environ=None) -> int | None:
    """The USD work thread limit of memory figures: an integer, or None for
    USD's default (``USDBENCH_MEMORY_THREADS`` = 0 or "default")."""
    value = (os.environ if environ is None else environ).get(ENV, "").strip()
    if not value:
        return MEMORY_THREADS
    if value == "default":
        return None
    try:
        n = int(value)
    except ValueError:
        raise ValueError(f"{ENV}={value!r}: expected an integer >= 0 or 'default'") from None
    if n < 0:
        raise ValueError(f"{ENV}={value!r}: expected an integer >= 0 or 'default'")
    return n or None


_depth = 0  # nesting of on_one_thread (a subclass's setup calls its base's)
_memory_mode = False  # a memory figure is being measured in this process
_default_limit: int | None = None  # USD's limit before the first change
_default_arrow: int | None = None  # Arrow's CPU pool size before the first change


def _work():
    from pxr import Work

    return Work


def for_memory_figures() -> int:
    """A memory figure is measured in this process: limit USD's work and
    Arrow's CPU thread pool (the Python loader decodes columns on it) to
    the memory figures' thread count, for the rest of the process (a setup
    run again keeps it); returns USD's limit now in force."""
    global _memory_mode
    if not _memory_mode:
        _check_arrow_pool()
    _memory_mode = True
    _fix_mmap_threshold()
    _python_arrow_pool()
    map_library_code()
    memtrack.watch_peaks(True)
    return _limit()


_MADV_POPULATE_READ = 22  # Linux 5.14 (asm-generic/mman-common.h)
# A shared object's file name (libx.so, libx.so.1.2), not a data file whose
# path merely contains ".so" (a folder "scenes.sorted/").
_SHARED_OBJECT = re.compile(r"[^/]\.so(\.[0-9.]+)?$")


def map_library_code(maps_path: str = "/proc/self/maps") -> int | None:
    """Map every read-only page of the shared libraries loaded in this
    process (their code and constants) before a memory figure is measured;
    returns the bytes asked for, None where the platform cannot.

    A library page the measured operation executes first is otherwise mapped
    during the measurement and counted, and how many are mapped for the same
    code (the kernel maps up to 16 cached pages around each fault) depends
    on the page cache and the libraries' addresses: a loader's figure moved
    by 0.9 MiB of Arrow's and numpy's code between asv runs. Code is not
    memory the operation holds; its data still counts, mapped data files
    (usdc's, the native reader's) included: only shared objects are mapped
    here, and only their read-only parts (writable ones would be copied)."""
    import ctypes

    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        madvise = libc.madvise
    except (OSError, AttributeError):
        return None
    madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    total = 0
    with open(maps_path) as maps:
        for line in maps:
            fields = line.split()
            perms = fields[1] if len(fields) >= 6 else ""
            if not perms.startswith("r") or "w" in perms or not _SHARED_OBJECT.search(fields[5]):
                continue  # not a library's readable, read-only part (guards: ---p)
            start, end = (int(x, 16) for x in fields[0].split("-"))
            # EINVAL on a kernel without MADV_POPULATE_READ: nothing mapped.
            if madvise(start, end - start, _MADV_POPULATE_READ) != 0:
                if ctypes.get_errno() == errno.EINVAL:
                    return None
                continue
            total += end - start
    return total


def _check_arrow_pool() -> None:
    """Warn when Arrow did not start on the protocol's pool although the
    environment asked for none other (pyarrow imported before benchmarks/)."""
    import pyarrow

    wanted = os.environ.get(ARROW_POOL_VARIABLE, "").strip() or ARROW_POOL
    found = pyarrow.default_memory_pool().backend_name
    if wanted == ARROW_POOL and found != ARROW_POOL:
        warnings.warn(
            f"benchmarks.protocol: Arrow's default memory pool is {found}, not "
            f"{ARROW_POOL}: pyarrow was imported before the benchmarks package set "
            f"{ARROW_POOL_VARIABLE}; the memory figures of Arrow's readers then hold "
            f"{found}'s reserve",
            RuntimeWarning,
            stacklevel=3,
        )


def _python_arrow_pool() -> None:
    """pyarrow's default pool (what pyarrow's reads allocate from; Arrow's
    C++ default, which the native plugin uses, is another setting) set to
    PYARROW_POOL."""
    import pyarrow

    pyarrow.set_memory_pool(getattr(pyarrow, f"{PYARROW_POOL}_memory_pool")())


def _fix_mmap_threshold() -> bool:
    """mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) where the C library is
    glibc (also ends its dynamic threshold); False elsewhere."""
    import ctypes
    import ctypes.util

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))


def _limit() -> int:
    global _default_limit, _default_arrow
    import pyarrow

    Work = _work()
    if _default_limit is None:
        _default_limit = Work.GetConcurrencyLimit()
        _default_arrow = pyarrow.cpu_count()
    limit = memory_threads()
    if limit is not None:
        Work.SetConcurrencyLimit(limit)
        pyarrow.set_cpu_count(limit)
        if Work.GetConcurrencyLimit() != limit:
            # USD's TBB ran parallel work before the first limit (e.g. pxr
            # imported before usdbench, whose plugin registration then runs
            # on TBB): its arena keeps its size.
            warnings.warn(
                f"benchmarks.protocol: USD's thread limit stays at "
                f"{Work.GetConcurrencyLimit()}, not {limit}: parallel USD work ran "
                "before it was set; import usdbench before pxr",
                RuntimeWarning,
                stacklevel=2,
            )
    return Work.GetConcurrencyLimit()


def restore_default() -> int:
    """USD's and Arrow's own thread counts again (as they were before
    for_memory_figures), except in a memory figure's process; returns USD's
    limit."""
    Work = _work()
    if _default_limit is not None and not _memory_mode:
        import pyarrow

        Work.SetConcurrencyLimit(_default_limit)
        pyarrow.set_cpu_count(_default_arrow)
    return Work.GetConcurrencyLimit()


def on_one_thread(setup):
    """Decorate a benchmark's ``setup``: it runs under the memory figures'
    limit and leaves USD's default limit behind (re-entrant: only the
    outermost call restores). So no parallel USD work has run in a benchmark
    process before its measurement, whichever figure it measures: a memory
    figure's process then sets the limit again (``for_memory_figures``) and
    measures on one thread; a time figure's process times the operation on
    USD's default threads."""

    @functools.wraps(setup)
    def wrapper(*args, **kwargs):
        global _depth
        _depth += 1
        try:
            if _depth == 1:
                _limit()
            result = setup(*args, **kwargs)
            if _depth == 1 and _memory_mode and args:
                # Run again before another sample of a memory figure: its
                # files back in the page cache, as before the first.
                cache_data_files(args[0])
            return result
        finally:
            _depth -= 1
            if _depth == 0:
                restore_default()

    wrapper.on_one_thread = True
    return wrapper


# A cold figure below this is taken in the profile's small_figure_processes.
SMALL_FIGURE = 2**20


def memory_figures(cls=None, **options):
    """memtrack's @track_memory (same options), each memory figure measured
    under the protocol: the thread limit set before it measures. A cold
    operation's (no in-process ``samples``) figure below SMALL_FIGURE is
    taken in the profile's ``small_figure_processes`` fresh processes: which
    pages a few first allocations take differs between processes, and asv
    judges a single value by its ratio alone (65 against 90 KiB: flagged)."""
    from memtrack.asv import MEMORY_METRICS, track_memory
    from usdbench import profiles

    options.setdefault("release_before_delta", True)
    if "samples" not in options:
        options.setdefault("fresh_samples", profiles.from_environment().small_figure_processes)
        options.setdefault("fresh_below", SMALL_FIGURE)

    def decorate(klass):
        klass = track_memory(**options)(klass)
        for name in MEMORY_METRICS:
            method = vars(klass).get(name)
            if method is not None:
                setattr(klass, name, _limited(method))
        return klass

    return decorate if cls is None else decorate(cls)


def _limited(method):
    @functools.wraps(method)  # keeps its unit ("bytes") and docstring
    def wrapper(self, *params):
        before_memory_figure(self)
        return method(self, *params)

    return wrapper


def before_memory_figure(bench) -> int:
    """What a memory figure's process does after asv's setup and before it
    measures: the benchmark's data files read into the page cache, then
    ``for_memory_figures``; returns USD's thread limit in force."""
    cache_data_files(bench)
    return for_memory_figures()


def cache_data_files(bench) -> int | None:
    """Read the benchmark's data files (``bench.files.data_files()``) into
    the OS page cache, which its setup emptied for the cold time figures;
    the bytes read, None when it names none.

    A lazy reader maps its file and reads a value by faulting its pages in,
    and the kernel maps the cached pages around each fault with it: how
    many depended on which neighbours the drive's read-ahead had brought in
    by then, so a native arrays read's mapped file pages took 0.45 to 0.62
    MiB between processes (1.78 to 1.95 MiB in all). With the whole file
    cached they take the same every time. Read through one reused buffer,
    which is freed before the measurement's baseline."""
    data_files = getattr(getattr(bench, "files", None), "data_files", None)
    if not callable(data_files):
        return None
    total = 0
    buffer = bytearray(1 << 20)
    for path in data_files():
        with open(path, "rb", buffering=0) as f:
            while n := f.readinto(buffer):
                total += n
    return total


def settings() -> dict:
    """What this process's measurements run under: the memory figures'
    thread limit, USD's and Arrow's current ones, Arrow's memory pool and
    the allocator variables of the environment."""
    out = {
        "memory_figures_threads": memory_threads() or "default",
        "usd_threads_now": None,
        "arrow_threads_now": None,
        "arrow_pool": None,
    }
    if "pxr" in sys.modules:
        from pxr import Work

        out["usd_threads_now"] = Work.GetConcurrencyLimit()
    if "pyarrow" in sys.modules:
        pa = sys.modules["pyarrow"]
        out["arrow_threads_now"] = pa.cpu_count()
        out["arrow_pool"] = pa.default_memory_pool().backend_name
    out.update(allocator_environment())
    return out


def address_space(
    personality_path="/proc/self/personality", randomize_path="/proc/sys/kernel/randomize_va_space"
) -> str:
    """Whether this process (and so the benchmark processes started the same
    way: the flag is inherited) runs at fixed addresses: "fixed" without
    address-space randomisation (``setarch -R``, as .ci/suite runs asv, or
    the kernel's setting), "randomised" with it, "unknown" off Linux. A file
    mapped at another address in every run is faulted in other windows of
    16 pages, so a read of a few pages of it moved by 20 to 50 KiB between
    asv runs (docs/measurements.md, "Protocol 5")."""
    try:
        with open(personality_path) as f:
            personality = int(f.read().strip(), 16)
        with open(randomize_path) as f:
            randomize = int(f.read().strip())
    except (OSError, ValueError):
        return "unknown"
    return "fixed" if personality & _ADDR_NO_RANDOMIZE or randomize == 0 else "randomised"


def hash_seed(environ=None) -> str:
    """Python's string hash seed of the benchmark processes started with this
    environment (they inherit it): the seed, or "random"."""
    value = (os.environ if environ is None else environ).get("PYTHONHASHSEED", "").strip()
    return value if value and value != "random" else "random"


def allocator_environment(environ=None) -> dict[str, str]:
    """The allocator and thread variables set in the environment."""
    environ = os.environ if environ is None else environ
    return {k: environ[k] for k in sorted(environ) if k.startswith(ALLOCATOR_VARIABLES)}


def peak_method() -> str:
    """Where this process's memtrack takes a peak from: benchmarks/ are the
    working tree's whatever commit asv measures, memtrack is the commit's."""
    from memtrack import _backends

    return PEAK if hasattr(_backends.HwmBackend, "_kernel_peak") else PEAK_BEFORE_8


def record(environ=None) -> dict:
    """The memory protocol in force for a benchmark process started with
    this environment: what makes its memory figures comparable to others."""
    import pyarrow

    threads = memory_threads(environ)
    return {
        "protocol": PROTOCOL,
        "memory_figures_threads": threads or "default",
        "arrow_threads_memory_figures": threads or "default",
        "time_figures_threads": "default",
        "malloc_mmap_threshold": MMAP_THRESHOLD,
        "arrow_pool": pyarrow.default_memory_pool().backend_name,
        "pyarrow_pool_memory_figures": PYARROW_POOL,
        "delta_after": DELTA_AFTER,
        "library_code": LIBRARY_CODE,
        "peak": peak_method(),
        "data_files": DATA_FILES,
        "address_space": address_space(),
        "hash_seed": hash_seed(environ),
        "environment": allocator_environment(environ),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(record(), sort_keys=True))
