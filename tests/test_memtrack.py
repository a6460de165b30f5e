"""memtrack against real allocations and the real kernel counters (no mocks)."""

from __future__ import annotations

import ctypes
import json
import mmap
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
import types
import warnings
from pathlib import Path

import pytest

from memtrack import MemtrackWarning, PerformanceTracker, _tracker, release_memory

MiB = 2**20
REPO = Path(__file__).resolve().parents[1]
SPIKE_SOURCE = Path(__file__).with_name("memtrack_spike.c")

# The fixture (tests/conftest.py) skips where the kernel high-water mark is unusable.
linux_hwm = pytest.mark.usefixtures("hwm_backend")


def rss_now() -> int:
    """Resident bytes of this process, as the tracker reads them at entry."""
    with PerformanceTracker() as t:
        pass
    return t.result.baseline_bytes


@pytest.fixture(scope="module", autouse=True)
def _settled_process():
    """USD frees a dropped layer's data on a worker thread, a second or so
    later (seen: RSS 635 -> 610 MiB during the next test's tracked block).
    Earlier test modules of this process drop stages, the tests here do not:
    once per module, wait until RSS stops moving; bounded, a busy process
    still runs."""
    deadline = time.monotonic() + 5.0
    last = -1
    while True:
        release_memory()
        now = rss_now()
        if abs(now - last) < MiB or time.monotonic() > deadline:
            return
        last = now
        time.sleep(0.3)


@pytest.fixture(autouse=True)
def _trimmed_heap(_settled_process):
    """RSS rises only when the allocator takes pages it does not hold yet.
    Earlier tests in this process (USD stages, Arrow tables, the tests here)
    leave freed but still resident heap that glibc would hand out again unseen
    (seen here: the snippet below gave 0 MiB after test_formats_identical).
    Trimming first gives every test the clean heap of a fresh process."""
    release_memory()


def assert_near(value: int, expected: int, rel: float = 0.02, what: str = "") -> None:
    assert abs(value - expected) <= rel * expected, (
        f"{what}: {value / MiB:.1f} MiB, expected {expected / MiB:.1f} MiB +-{rel:.0%}"
    )


# -- native allocation helpers ----------------------------------------------


@pytest.fixture(scope="module")
def spike_lib(tmp_path_factory) -> Path:
    cc = shutil.which("cc")
    if cc is None:
        pytest.skip("no C compiler `cc` on PATH: cannot build the GIL-holding spike helper")
    lib = tmp_path_factory.mktemp("spike") / "libmemtrack_spike.so"
    subprocess.run([cc, "-O1", "-shared", "-fPIC", "-o", str(lib), str(SPIKE_SOURCE)], check=True)
    return lib


def _spike_fn(dll):
    fn = dll.memtrack_spike
    fn.argtypes = [ctypes.c_size_t, ctypes.c_uint]
    fn.restype = ctypes.c_int

    def spike(nbytes: int, hold_s: float = 0.0) -> None:
        assert fn(nbytes, int(hold_s * 1e6)) == 0, "the spike helper's malloc failed"

    return spike


@pytest.fixture(scope="module")
def gil_spike(spike_lib):
    """Allocate, touch and free in one C call with the GIL held (ctypes.PyDLL)."""
    return _spike_fn(ctypes.PyDLL(str(spike_lib)))


@pytest.fixture(scope="module")
def free_spike(spike_lib):
    """The same C call with the GIL released (ctypes.CDLL)."""
    return _spike_fn(ctypes.CDLL(str(spike_lib)))


_libc = ctypes.CDLL(None)
_libc.malloc.argtypes = [ctypes.c_size_t]
_libc.malloc.restype = ctypes.c_void_p
_libc.free.argtypes = [ctypes.c_void_p]


def c_alloc(nbytes: int) -> int:
    """malloc + memset: native memory that tracemalloc never sees."""
    p = _libc.malloc(nbytes)
    assert p, "malloc failed"
    ctypes.memset(p, 1, nbytes)
    return p


def run_python(code: str, env: dict | None = None) -> dict:
    """Run code in a fresh interpreter (memtrack importable); parse its last stdout line."""
    full_env = dict(os.environ, PYTHONPATH=str(REPO), **(env or {}))
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


# -- the kernel high-water-mark backend ---------------------------------------


@linux_hwm
def test_kept_native_allocation_200mib():
    with PerformanceTracker() as t:
        p = c_alloc(200 * MiB)
    try:
        r = t.result
        assert r.method == "hwm" and r.exact
        assert_near(r.current_bytes, 200 * MiB, what="current")
        assert_near(r.peak_bytes, 200 * MiB, what="peak")
        assert r.baseline_bytes > 0
        assert_near(r.breakdown["anon"], 200 * MiB, what="anonymous share")
    finally:
        _libc.free(p)


@linux_hwm
def test_gil_held_spike_300mib(gil_spike):
    # Prove the GIL really is held: a Python thread stamping the time in a
    # loop must stall for the whole C call.
    stamps: list[float] = []
    stop = threading.Event()

    def stamp():
        while not stop.is_set():
            stamps.append(time.perf_counter())

    th = threading.Thread(target=stamp)
    th.start()
    time.sleep(0.02)
    try:
        with PerformanceTracker() as t:
            c0 = time.perf_counter()
            gil_spike(300 * MiB, hold_s=0.05)
            call_s = time.perf_counter() - c0
    finally:
        stop.set()
        th.join()
    gap = max(b - a for a, b in zip(stamps, stamps[1:], strict=False))
    # (call_s also includes a GIL hand-over of up to 5 ms after the call)
    assert gap >= 0.8 * call_s, f"GIL not held: longest stall {gap:.3f} s, call {call_s:.3f} s"

    r = t.result
    assert_near(r.peak_bytes, 300 * MiB, what="peak")
    assert abs(r.current_bytes) < 4 * MiB, r.current_bytes
    assert r.elapsed_s >= 0.05


@linux_hwm
def test_spike_in_another_thread_is_caught(gil_spike):
    with PerformanceTracker() as t:
        th = threading.Thread(target=gil_spike, args=(300 * MiB,))
        th.start()
        th.join()
    assert_near(t.result.peak_bytes, 300 * MiB, what="peak")
    assert abs(t.result.current_bytes) < 4 * MiB


README_SNIPPET = """
from memtrack import PerformanceTracker
with PerformanceTracker() as tracker:
    data = [0] * 1_000_000      # ~8 MB
print(tracker.result.peak_bytes / 2**20, tracker.result.current_bytes / 2**20)
"""


@linux_hwm
def test_readme_snippet_list_of_a_million_zeros():
    # As a user runs it: a fresh interpreter.
    run = subprocess.run(
        [sys.executable, "-c", README_SNIPPET], cwd=REPO, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    peak, current = map(float, run.stdout.split())
    assert 7 <= peak <= 9, run.stdout
    assert 7 <= current <= 9, run.stdout


@linux_hwm
@pytest.mark.parametrize(("first", "nested"), [(300, 100), (100, 300)])
def test_nested_trackers_each_keep_their_peak(spike_lib, first, nested):
    # Without folding the HWM into the outer scope before the inner reset, the
    # outer's earlier spike would be lost; without the reset, the inner would
    # see it; a later tracker sees neither. In a fresh interpreter: the outer
    # block's RSS is the whole process's, and a long-lived test process's
    # other memory once rose 7.8 MiB inside it (CI, stop 32).
    out = run_python(
        f"""
        import ctypes, json
        from memtrack import PerformanceTracker
        fn = ctypes.PyDLL({str(spike_lib)!r}).memtrack_spike
        fn.argtypes = [ctypes.c_size_t, ctypes.c_uint]
        with PerformanceTracker() as outer:
            assert fn({first} * 2**20, 0) == 0
            with PerformanceTracker() as inner:
                assert fn({nested} * 2**20, 0) == 0
            with PerformanceTracker() as after:
                pass
        print(json.dumps({{name: [t.result.backend, t.result.peak_bytes, t.result.current_bytes]
                          for name, t in (("outer", outer), ("inner", inner), ("after", after))}}))
        """
    )
    assert {backend for backend, _, _ in out.values()} == {"hwm"}
    delta = f" (its delta {out['outer'][2] / MiB:.1f} MiB)"
    assert_near(out["outer"][1], max(first, nested) * MiB, what="outer peak" + delta)
    assert_near(out["inner"][1], nested * MiB, what="inner peak")
    assert out["after"][1] < 4 * MiB


@linux_hwm
@pytest.mark.parametrize("watch", [False, True], ids=["kernel-mark", "watched"])
def test_a_reset_mark_above_the_exact_rss_is_no_peak(watch):
    # Since Linux 6.2 the reset sets the mark from per-CPU counters it has
    # not summed. Pages freed just before, fewer than a counter's batch,
    # leave it above the exact RSS, and an empty block read that much as its
    # peak (40 to 120 KiB on the suite's warm reads). Frees of 1 to 63
    # pages after a large unmap, pinned to one CPU, reproduce it: the raw
    # kernel mark is printed beside the tracker's figures. Each block then
    # holds 48 pages: its peak is still counted.
    out = run_python(
        f"""
        import ctypes, json, mmap, os
        import memtrack
        from memtrack import PerformanceTracker, _procfs
        memtrack.watch_peaks({watch})
        PAGE = mmap.PAGESIZE
        os.sched_setaffinity(0, {{min(os.sched_getaffinity(0))}})
        libc = ctypes.CDLL(None)
        libc.mmap.restype = ctypes.c_void_p
        libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int,
                              ctypes.c_int, ctypes.c_int, ctypes.c_long]
        libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
        libc.memset.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t]

        def touched(pages):
            p = libc.mmap(None, pages * PAGE, 3, 0x22, -1, 0)  # private, anonymous
            assert p not in (None, ctypes.c_void_p(-1).value)
            libc.memset(p, 1, pages * PAGE)
            return p

        def freed_before(big, n):
            small, large = touched(n), touched(big)
            libc.munmap(large, big * PAGE)
            libc.munmap(small, n * PAGE)

        raw, empty, held = [], [], []
        for big in (64, 100, 128, 200):
            for n in range(1, 64):
                freed_before(big, n)
                before = _procfs.read_status()["rss"]
                _procfs.reset_hwm()
                raw.append((_procfs.read_status()["hwm"] - before) // PAGE)
                freed_before(big, n)
                with PerformanceTracker() as t:
                    pass
                empty.append(t.result.peak_bytes // PAGE)
                freed_before(big, n)
                with PerformanceTracker() as t:
                    p = touched(48)
                held.append(t.result.peak_bytes // PAGE)
                libc.munmap(p, 48 * PAGE)
        print(json.dumps({{"raw": max(raw), "empty": empty, "held": held}}))
        """
    )
    assert max(out["empty"]) <= 2, (
        f"empty blocks read up to {max(out['empty'])} pages "
        f"(the raw kernel mark after a reset: up to {out['raw']} pages above the RSS)"
    )
    assert 48 <= min(out["held"]) and max(out["held"]) <= 48 + 2, out["held"]


@linux_hwm
def test_concurrent_resets_from_another_thread_keep_the_peak(free_spike):
    # One thread holds a 300 MiB spike (GIL released) while another opens and
    # closes trackers as fast as it can, each resetting the process-wide HWM.
    stop = threading.Event()
    resets = 0

    def churn():
        nonlocal resets
        while not stop.is_set():
            with PerformanceTracker():
                pass
            resets += 1

    th = threading.Thread(target=churn)
    th.start()
    try:
        with PerformanceTracker() as t:
            free_spike(300 * MiB, hold_s=0.1)
            time.sleep(0.02)  # let the churn reset after the spike was freed
    finally:
        stop.set()
        th.join()
    assert resets > 10, "the other thread did not run concurrently"
    assert_near(t.result.peak_bytes, 300 * MiB, what="peak under concurrent resets")


@linux_hwm
def test_fork_child_does_not_reset_the_parent(gil_spike):
    # Kept-open /proc/self descriptors would point at the parent after fork:
    # a child's tracker must reset its own HWM, not the parent's.
    with PerformanceTracker() as t:
        gil_spike(200 * MiB)
        pid = os.fork()
        if pid == 0:  # child
            code = 1
            try:
                with PerformanceTracker() as c:
                    pass
                code = 0 if c.result.method == "hwm" else 2
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert_near(t.result.peak_bytes, 200 * MiB, what="parent peak after the child's tracker")


@linux_hwm
def test_probes_split_the_block(gil_spike):
    with PerformanceTracker() as t:
        kept = c_alloc(50 * MiB)
        a = t.probe("allocated")
        gil_spike(100 * MiB)
        b = t.probe("spiked")
        c = t.probe("idle")
    try:
        assert [p.label for p in t.result.probes] == ["allocated", "spiked", "idle"]
        assert_near(a.current_bytes, 50 * MiB, what="a.current")
        assert_near(a.interval_peak_bytes, 50 * MiB, what="a.interval_peak")
        assert_near(b.interval_peak_bytes, 100 * MiB, what="b.interval_peak")
        assert_near(b.peak_bytes, 150 * MiB, what="b.peak above baseline")
        assert abs(b.delta_bytes) < 2 * MiB
        assert c.interval_peak_bytes < 2 * MiB, "the spike leaked into the next interval"
        assert_near(t.result.peak_bytes, 150 * MiB, what="block peak")
        assert a.elapsed_s <= b.elapsed_s <= c.elapsed_s <= t.result.elapsed_s
        assert b.interval_s == pytest.approx(b.elapsed_s - a.elapsed_s)
    finally:
        _libc.free(kept)


@linux_hwm
def test_probe_overhead_is_excluded_from_times(monkeypatch):
    # A clock that moves only when told: each probe's reading costs 1 s, the
    # block's own work 1 ms a step. Wall-clock figures would move with the
    # scheduler (a preemption between two probes is the block's time).
    clock = types.SimpleNamespace(now=100.0)
    monkeypatch.setattr(_tracker, "time", types.SimpleNamespace(perf_counter=lambda: clock.now))
    read = PerformanceTracker._read

    def slow_read(self, mark):
        clock.now += 1.0
        return read(self, mark)

    monkeypatch.setattr(PerformanceTracker, "_read", slow_read)
    with PerformanceTracker() as t:
        for i in range(3):
            clock.now += 0.001
            t.probe(str(i))
        clock.now += 0.001
    assert [p.elapsed_s for p in t.result.probes] == pytest.approx([0.001, 0.002, 0.003])
    assert [p.interval_s for p in t.result.probes] == pytest.approx([0.001] * 3)
    # The exit's own reading comes after the block's end: not counted either.
    assert t.result.elapsed_s == pytest.approx(0.004)


@linux_hwm
def test_failing_block_reraises_and_keeps_partial_result():
    t = PerformanceTracker()
    with pytest.raises(KeyError, match="boom"):
        with t:
            p = c_alloc(100 * MiB)
            raise KeyError("boom")
    try:
        assert t.result is not None and t.result.failed
        assert_near(t.result.peak_bytes, 100 * MiB, what="partial peak")
    finally:
        _libc.free(p)


@linux_hwm
def test_breakdown_separates_file_backed_memory(tmp_path):
    path = tmp_path / "mapped.bin"
    path.write_bytes(os.urandom(1 * MiB) * 64)
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        with PerformanceTracker() as t:
            touched = mm[:: mmap.PAGESIZE]  # read one byte of every page
        bd = t.result.breakdown
        del touched
    assert_near(bd["file"], 64 * MiB, rel=0.05, what="file-backed")
    assert abs(bd["anon"]) < 4 * MiB, bd


@linux_hwm
@pytest.mark.skipif(not os.path.isdir("/dev/shm"), reason="no /dev/shm (tmpfs)")
def test_breakdown_separates_shared_memory():
    from multiprocessing import shared_memory

    shm = shared_memory.SharedMemory(create=True, size=32 * MiB)
    try:
        with PerformanceTracker() as t:
            shm.buf[:] = b"\1" * (32 * MiB)
        assert_near(t.result.breakdown["shmem"], 32 * MiB, rel=0.05, what="shmem")
    finally:
        shm.close()
        shm.unlink()


@linux_hwm
def test_retained_after_release():
    # A reference cycle holding 64 MiB is only freed by gc.collect(); the
    # returned 32 MiB stays referenced and is retained.
    class Node:
        pass

    with PerformanceTracker(retained=True) as t:
        garbage = Node()
        garbage.self = garbage
        garbage.payload = bytearray(64 * MiB)
        del garbage
        kept = bytearray(32 * MiB)
    r = t.result
    assert_near(r.current_bytes, 96 * MiB, rel=0.05, what="delta with the cycle alive")
    assert_near(r.retained_bytes, 32 * MiB, rel=0.05, what="retained")
    del kept


@linux_hwm
@pytest.mark.parametrize("release", [False, True])
def test_release_before_delta_leaves_out_freed_heap_only(release):
    # 48 MiB of 1 KiB blocks freed under a block allocated after them: glibc
    # keeps the freed heap resident (only its top is trimmed by itself). The
    # delta counts it unless freed memory is handed back first; the 16 MiB
    # still held counts either way, and the peak is read before the release.
    with PerformanceTracker(release_before_delta=release) as t:
        blocks = [bytes(1024) for _ in range(48 * 1024)]
        fence = [bytes(1024) for _ in range(64)]
        del blocks
        # Its own mapping: malloc could carve it from the freed heap.
        held = mmap.mmap(-1, 16 * MiB)
        held.write(b"\1" * (16 * MiB))
    r = t.result
    assert r.peak_bytes >= 60 * MiB, r
    if release:
        assert_near(r.current_bytes, 16 * MiB, rel=0.15, what="delta after release")
    else:
        assert r.current_bytes >= 50 * MiB, r
    held.close()
    del fence


def test_retained_is_none_unless_asked():
    with PerformanceTracker() as t:
        pass
    assert t.result.retained_bytes is None


# -- forced fallbacks ---------------------------------------------------------


def test_sampled_backend_catches_a_gil_held_spike(gil_spike):
    with PerformanceTracker(backend="sampled") as t:
        gil_spike(300 * MiB, hold_s=0.05)
    assert t.result.method == "sampled", t.result.method
    assert_near(t.result.peak_bytes, 300 * MiB, what="sampled peak")
    assert abs(t.result.current_bytes) < 4 * MiB


def test_sampled_backend_nested_and_probes(gil_spike):
    with PerformanceTracker(backend="sampled") as outer:
        gil_spike(200 * MiB, hold_s=0.05)
        with PerformanceTracker(backend="sampled") as inner:
            gil_spike(100 * MiB, hold_s=0.05)
            p = inner.probe("after")
    assert_near(outer.result.peak_bytes, 200 * MiB, what="outer peak")
    assert_near(inner.result.peak_bytes, 100 * MiB, what="inner peak")
    assert_near(p.interval_peak_bytes, 100 * MiB, what="probe interval peak")


def test_sampler_death_degrades_with_one_warning():
    # Private on purpose: killing the sampling process mid-block needs its
    # handle, which the public API does not hand out.
    from memtrack import _sampler as sampler

    with PerformanceTracker(backend="sampled"):
        pass
    dead = sampler.shared_sampler()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with PerformanceTracker(backend="sampled") as t:
            p = c_alloc(100 * MiB)
            os.kill(dead.pid, signal.SIGKILL)
            dead._proc.wait(timeout=10)
    try:
        r = t.result
        assert r.backend == "getrusage" and "sampled failed" in r.method, r.method
        assert_near(r.current_bytes, 100 * MiB, what="current after degrading")
        ours = [w for w in caught if issubclass(w.category, MemtrackWarning)]
        assert len(ours) == 1, [str(w.message) for w in ours]
    finally:
        _libc.free(p)
    # The next tracker starts a fresh sampler.
    with PerformanceTracker(backend="sampled") as t2:
        pass
    assert t2.result.method == "sampled"
    assert sampler.shared_sampler().pid != dead.pid


@linux_hwm
def test_getrusage_backend_rise_and_lower_bound(gil_spike):
    # ru_maxrss cannot be reset through getrusage; bring it down to the current
    # RSS first (the kernel HWM reset of an hwm tracker also resets it) so a
    # rise is visible.
    with PerformanceTracker(backend="hwm"):
        pass
    with PerformanceTracker(backend="getrusage") as t:
        gil_spike(300 * MiB)
    assert t.result.method == "getrusage" and t.result.exact, t.result.method
    assert_near(t.result.peak_bytes, 300 * MiB, what="getrusage peak")

    # A smaller spike does not raise ru_maxrss: the figure is flagged, not invented.
    with PerformanceTracker(backend="getrusage") as t:
        gil_spike(100 * MiB)
    assert not t.result.exact
    assert "lower bound" in t.result.method
    assert t.result.peak_bytes < 10 * MiB


def test_unavailable_backend_zeros_and_one_warning():
    out = run_python(
        """
        import json, warnings
        from memtrack import MemtrackWarning, PerformanceTracker
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            results = []
            for _ in range(3):
                with PerformanceTracker(backend="unavailable", retained=True) as t:
                    x = bytearray(20 * 2**20)
                    t.probe("p")
                results.append(t.result)
        r = results[-1]
        print(json.dumps({
            "n_warnings": sum(issubclass(w.category, MemtrackWarning) for w in caught),
            "figures": [r.peak_bytes, r.current_bytes, r.baseline_bytes, r.probes[0].peak_bytes],
            "retained": r.retained_bytes, "method": r.method, "elapsed": r.elapsed_s,
        }))
        """
    )
    assert out["n_warnings"] == 1
    assert out["figures"] == [0, 0, 0, 0]
    assert out["retained"] is None
    assert out["method"] == "unavailable"
    assert out["elapsed"] > 0


@pytest.mark.parametrize("forced", ["sampled", "getrusage", "unavailable"])
def test_env_var_forces_the_backend(forced):
    out = run_python(
        """
        import json, warnings
        warnings.simplefilter("ignore")
        from memtrack import PerformanceTracker
        with PerformanceTracker() as t:
            x = bytearray(300 * 2**20)
        print(json.dumps({"backend": t.result.backend, "peak": t.result.peak_bytes}))
        """,
        env={"MEMTRACK_BACKEND": forced},
    )
    assert out["backend"] == forced
    if forced != "unavailable":
        assert_near(out["peak"], 300 * MiB, what=f"{forced} peak in a fresh process")


def test_unknown_backend_name_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown memtrack backend 'hwn'"):
        PerformanceTracker(backend="hwn")


@linux_hwm
def test_psutil_optional_and_no_usd_or_arrow_import():
    out = run_python(
        """
        import json, sys
        sys.modules["psutil"] = None  # make `import psutil` fail
        import memtrack, memtrack.asv
        results = {}
        for backend in ("hwm", "sampled", "getrusage"):
            with memtrack.PerformanceTracker(backend=backend, retained=True) as t:
                x = bytearray(50 * 2**20)
            results[backend] = [t.result.backend, t.result.current_bytes]
            del x
        loaded = [m for m in ("pxr", "pyarrow", "numpy") if m in sys.modules]
        print(json.dumps({"results": results, "loaded": loaded}))
        """
    )
    assert out["loaded"] == []
    for backend, (used, current) in out["results"].items():
        assert used == backend
        assert_near(current, 50 * MiB, rel=0.05, what=f"{backend} without psutil")
