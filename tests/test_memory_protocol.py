"""The memory figures' protocol (benchmarks/protocol.py): USD on one worker thread
while a memory figure is measured, USD's default for the time figures; and
it hides nothing: 5% more held by an operation shows up at its size."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import protocol
from usdbench.fresh_process import run_script

REPO = Path(__file__).resolve().parents[1]


def _probe(args: list, env: dict | None = None, prefix: tuple = ()):
    """A fresh interpreter with the suite importable (python ``args``, run
    under ``prefix``): the JSON of the last line it prints."""
    import json

    run = subprocess.run(
        [*prefix, sys.executable, *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env or {**os.environ, "PYTHONPATH": str(REPO)},
        check=True,
    )
    return json.loads(run.stdout.strip().splitlines()[-1])


# One benchmark process, as asv runs it: the suite imported (before pxr: a
# USD that has run parallel work cannot lower its thread limit), its setup, one
# figure (the track_ method, or time_operation first when asked), and the USD
# work thread limit before and after. EXTRA bytes are touched by the
# operation before its load and held with the stage (so through its peak,
# whether that is transient or at its end).
CHILD = """
import json, sys
from benchmarks.load import InitialLoad  # first, as asv's forkserver imports the suite
from pxr import Work

fmt, scale, figure, extra = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])


class Heavier(InitialLoad):
    def measure(self, *params):
        threads["during"] = Work.GetConcurrencyLimit()
        held = b"x" * extra if extra else None  # held through the whole load
        return super().measure(*params), held



params = (fmt, scale, "flat")
threads = {}
bench = Heavier()
bench.setup(*params)
threads.update(after_setup=Work.GetConcurrencyLimit())
if figure == "time_operation":
    bench.time_operation(*params)
    value = None
else:
    value = getattr(bench, figure)(*params)["samples"][0]
threads["after"] = Work.GetConcurrencyLimit()
print(json.dumps({"value": value, "threads": threads,
                  "physical": Work.GetPhysicalConcurrencyLimit()}))
"""


def benchmark_process(tmp_path, fmt, scale, figure, extra=0) -> dict:
    """A fresh interpreter running CHILD (the environment is this process's)."""
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    return run_script(script, fmt, str(scale), figure, str(extra))


def test_memory_threads_setting():
    assert protocol.memory_threads({}) == 1
    assert protocol.memory_threads({protocol.ENV: "2"}) == 2
    assert protocol.memory_threads({protocol.ENV: "0"}) is None
    assert protocol.memory_threads({protocol.ENV: "default"}) is None
    for bad in ("-1", "two"):
        with pytest.raises(ValueError, match=protocol.ENV):
            protocol.memory_threads({protocol.ENV: bad})


def test_settings_report_what_is_in_force(monkeypatch):
    import pyarrow  # noqa: F401
    from pxr import Work  # noqa: F401

    monkeypatch.delenv(protocol.ENV, raising=False)
    monkeypatch.setenv("MALLOC_ARENA_MAX", "2")
    found = protocol.settings()
    assert found["memory_figures_threads"] == 1
    assert found["MALLOC_ARENA_MAX"] == "2"
    assert found["arrow_pool"] in ("mimalloc", "jemalloc", "system")
    assert isinstance(found["usd_threads_now"], int)


_POOL_PROBE = """
import json
import pyarrow
from benchmarks import protocol
before = pyarrow.default_memory_pool().backend_name
protocol.for_memory_figures()
table = pyarrow.table({"x": list(range(100_000))})  # allocated from pyarrow's pool
print(json.dumps([before, pyarrow.default_memory_pool().backend_name,
                  pyarrow.system_memory_pool().bytes_allocated() >= 800_000,
                  protocol.record()["pyarrow_pool_memory_figures"]]))
"""


def test_memory_figures_allocate_pyarrow_from_the_system_pool():
    found = _probe(["-c", _POOL_PROBE], env=_without_arrow_pool(PYTHONPATH=str(REPO)))
    before, during, counted, recorded = found
    assert before != "system", "Arrow's default pool is already the system one: nothing tested"
    assert during == "system" and recorded == "system"
    assert counted, "the table's 800 KB were not allocated from the system pool"


def _without_arrow_pool(**extra) -> dict:
    """This environment without a pool choice (importing benchmarks/ in the
    test process may have set one), plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    return {**env, **extra}


def test_start_arrow_pool_chooses_the_system_pool_before_pyarrow_starts():
    from benchmarks.arrow_start import start_arrow_pool

    environ = {}
    assert start_arrow_pool(environ, modules={}) == "system"
    assert environ == {"ARROW_DEFAULT_MEMORY_POOL": "system"}
    # An experiment's own choice is kept (and recorded with its figures).
    environ = {"ARROW_DEFAULT_MEMORY_POOL": "mimalloc"}
    assert start_arrow_pool(environ, modules={}) == "mimalloc"
    assert environ == {"ARROW_DEFAULT_MEMORY_POOL": "mimalloc"}
    # Too late once pyarrow has started: nothing set, None says so.
    environ = {}
    assert start_arrow_pool(environ, modules={"pyarrow": object()}) is None
    assert environ == {}


# A benchmark process as asv starts one: the suite imported first, then a
# native Parquet stage loaded (the plugin's Arrow is the process's Arrow).
_START_PROBE = """
import json, sys, warnings
if sys.argv[1] == "pyarrow-first":
    import pyarrow
import benchmarks.load
import pyarrow
from benchmarks import protocol
recorded = protocol.record()["arrow_pool"]  # Arrow's own default, as started
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    protocol.for_memory_figures()
print(json.dumps([pyarrow.default_memory_pool().backend_name,
                  [str(w.message) for w in caught], recorded]))
"""


@pytest.mark.parametrize(
    "order, chosen, expected, warns",
    [
        ("suite-first", None, "system", False),
        ("suite-first", "mimalloc", "mimalloc", False),
        ("pyarrow-first", None, "mimalloc", True),
    ],
)
def test_benchmark_processes_start_arrow_on_the_protocol_pool(order, chosen, expected, warns):
    env = _without_arrow_pool(PYTHONPATH=str(REPO))
    if chosen:
        env["ARROW_DEFAULT_MEMORY_POOL"] = chosen
    # pyarrow's pool is the system one while measuring in every case; Arrow's
    # own default (C++, the native plugin's) is what the record read first.
    pool, warnings_seen, recorded = _probe(["-c", _START_PROBE, order], env=env)
    assert pool == "system"
    assert recorded == expected
    said = [w for w in warnings_seen if "Arrow's default memory pool is" in w]
    assert bool(said) == warns, warnings_seen
    if warns:
        assert "imported before" in said[0] and expected in said[0]


# Library code executed for the first time after the memory figures'
# protocol is in force: numpy's linear algebra and FFT (their libraries
# loaded before). RssFile grows by what the kernel maps for that code.
_CODE_PROBE = """
import json, sys
import benchmarks
from benchmarks import protocol
import numpy as np
import numpy.fft, numpy.linalg, numpy.random  # loaded (not run) before the protocol
def rss_file():
    for line in open("/proc/self/status"):
        if line.startswith("RssFile:"):
            return int(line.split()[1]) * 1024
if sys.argv[1] == "protocol":
    protocol.for_memory_figures()
before = rss_file()
a = np.random.default_rng(0).random((64, 64))
np.linalg.svd(a), np.fft.fft(a), np.linalg.inv(a)
print(json.dumps(rss_file() - before))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="madvise, /proc")
def test_memory_figures_map_library_code_before_measuring():
    def grown(mode):
        return _probe(["-c", _CODE_PROBE, mode])

    if protocol.map_library_code() is None:
        pytest.skip("no MADV_POPULATE_READ here (Linux 5.14)")
    # Without the protocol the first run of that code maps pages of numpy's
    # and OpenBLAS's libraries into the process (counted as resident); under
    # it they were mapped before, so nothing of the libraries is added.
    assert grown("plain") >= 64 * 1024
    assert grown("protocol") == 0


_WATCH_PROBE = """
import json, memtrack
from benchmarks import protocol
before = memtrack.watching_peaks()
protocol.for_memory_figures()
with memtrack.PerformanceTracker() as t:
    pass
print(json.dumps([before, memtrack.watching_peaks(), t.result.method, protocol.record()["peak"]]))
"""


def test_memory_figures_watch_their_peaks(hwm_backend):
    # Protocol 6: the kernel's high-water mark alone read transient peaks up
    # to ~0.3 MiB low, by a different amount in every process.
    env = {k: v for k, v in os.environ.items() if k != "MEMTRACK_WATCH_PEAKS"}
    before, after, method, peak = _probe(["-c", _WATCH_PROBE], {**env, "PYTHONPATH": str(REPO)})
    assert (before, after) == (False, True)
    assert method == "hwm (peak watched)"
    assert peak == protocol.PEAK and "watching" in peak


def test_the_record_names_the_peak_method_of_the_measured_commits_memtrack(monkeypatch):
    # benchmarks/ are the working tree's, memtrack the measured commit's: one
    # from before protocol 8 counts its reset's mark, and its record says so.
    from memtrack import _backends

    assert protocol.record()["peak"] == protocol.PEAK
    monkeypatch.delattr(_backends.HwmBackend, "_kernel_peak")
    assert protocol.record()["peak"] == protocol.PEAK_BEFORE_8 != protocol.PEAK


def test_map_library_code_maps_read_only_parts_of_shared_objects_only(tmp_path, monkeypatch):
    maps = tmp_path / "maps"
    maps.write_text(
        "7f0000000000-7f0000001000 r--p 00000000 08:01 1 /usr/lib/libx.so.1\n"
        "7f0000001000-7f0000002000 r-xp 00001000 08:01 1 /usr/lib/libx.so.1\n"
        "7f0000002000-7f0000003000 rw-p 00002000 08:01 1 /usr/lib/libx.so.1\n"
        "7f0000003000-7f0000004000 ---p 00003000 08:01 1 /usr/lib/libx.so.1\n"
        "7f0000004000-7f0000006000 r--s 00000000 08:01 2 /data/props.usdc\n"
        "7f0000008000-7f0000009000 r--p 00000000 08:01 3 /data/scenes.sorted/props.usdc\n"
        "7f0000009000-7f000000a000 r-xp 00000000 08:01 4 /lib/ld-linux-x86-64.so.2\n"
        "7f0000006000-7f0000007000 rw-p 00000000 00:00 0 \n"
    )
    calls = []

    class FakeMadvise:
        argtypes = None

        def __call__(self, start, length, advice):
            calls.append((start, length, advice))
            return 0

    class FakeLibc:
        madvise = FakeMadvise()

    import ctypes

    monkeypatch.setattr(ctypes, "CDLL", lambda *args, **kwargs: FakeLibc())
    asked = protocol.map_library_code(str(maps))
    if not sys.platform.startswith("linux"):
        assert asked is None
        return
    # The libraries' constants and code; not their writable data, not a guard
    # page, not a mapped data file (its folder's name holding ".so" or not),
    # not anonymous memory.
    assert calls == [
        (0x7F0000000000, 0x1000, 22),
        (0x7F0000001000, 0x1000, 22),
        (0x7F0000009000, 0x1000, 22),
    ]
    assert asked == 0x3000


# Where glibc puts a 256 KiB block after a 1 MiB mmapped block was freed:
# mmapped under a fixed threshold, from the heap once the dynamic threshold
# has risen above it. glibc marks an mmapped chunk in its size field, the
# word before the block (IS_MMAPPED, 0x2); the block's offset in its page
# would not tell (a heap block may sit 16 bytes into a page too).
_MMAP_PROBE = """
import ctypes, json, sys
from benchmarks import protocol
if sys.argv[1] == "fixed":
    assert protocol._fix_mmap_threshold()
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
# A 16 MiB block mapped and freed raises glibc's dynamic threshold to 16 MiB.
# The blocks are 4 MiB: no free heap chunk left by the interpreter's start
# is that large, so where they come from is the threshold's choice (a
# 256 KiB block could fit in one, whatever the threshold).
libc.free(libc.malloc(16 << 20))
blocks = [libc.malloc(4 << 20) for _ in range(8)]
print(json.dumps([bool(ctypes.c_size_t.from_address(b - 8).value & 0x2) for b in blocks]))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_memory_figures_fix_glibcs_mmap_threshold():

    fixed = _probe(["-c", _MMAP_PROBE, "fixed"])
    dynamic = _probe(["-c", _MMAP_PROBE, "dynamic"])
    assert all(fixed), "a 4 MiB block came from the heap under the fixed threshold"
    assert not any(dynamic), "the probe cannot tell the thresholds apart"
    assert protocol.record()["malloc_mmap_threshold"] == protocol.MMAP_THRESHOLD


@pytest.mark.slow
def test_memory_figures_use_one_usd_thread_and_times_keep_usds_default(tmp_path, monkeypatch):
    monkeypatch.delenv(protocol.ENV, raising=False)
    fmt, scale = "parquet-native-zstd-rg1000", 1_000
    mem = benchmark_process(tmp_path, fmt, scale, "track_peak_bytes")
    assert mem["threads"]["after_setup"] == mem["physical"], mem
    assert mem["threads"]["after"] == 1, mem
    assert mem["threads"]["during"] == 1, mem
    timed = benchmark_process(tmp_path, fmt, scale, "time_operation")
    assert timed["threads"]["during"] == timed["physical"], timed
    monkeypatch.setenv(protocol.ENV, "default")
    default = benchmark_process(tmp_path, fmt, scale, "track_peak_bytes")
    assert default["threads"]["during"] == default["physical"], default


def test_memory_figures_read_the_delta_after_freed_memory_is_handed_back():
    """Protocol 4: the benchmarks' delta figures hand freed native memory back
    before reading (memtrack's release_before_delta), and the record says so."""
    from benchmarks.load import InitialLoad
    from benchmarks.traversal import FullTraversal

    for klass in (InitialLoad, FullTraversal):
        assert klass.memtrack_release_before_delta is True, klass
    assert protocol.record()["delta_after"] == protocol.DELTA_AFTER == "malloc_trim"

    @protocol.memory_figures(release_before_delta=False)
    class Untrimmed:
        def measure(self):
            return None

    assert Untrimmed.memtrack_release_before_delta is False


@pytest.mark.slow
@pytest.mark.parametrize(
    "figure", ["track_peak_bytes", "track_delta_bytes", "track_retained_bytes"]
)
def test_five_percent_more_in_a_load_shows_at_its_size(tmp_path, monkeypatch, figure):
    """The native reader's load at 100k prims (~147 MiB), three processes
    as is and three holding 5% more: the figure rises by the extra bytes
    (within 0.5 MiB), and the plain processes agree far closer than that."""
    monkeypatch.delenv(protocol.ENV, raising=False)
    fmt, scale = "parquet-native-zstd-rg1000", 100_000
    plain = [benchmark_process(tmp_path, fmt, scale, figure)["value"] for _ in range(3)]
    extra = int(0.05 * statistics.median(plain))
    heavier = [benchmark_process(tmp_path, fmt, scale, figure, extra)["value"] for _ in range(3)]
    mib = 2**20
    assert max(plain) - min(plain) < 0.01 * statistics.median(plain), plain
    rise = statistics.median(heavier) - statistics.median(plain)
    assert abs(rise - extra) < 0.5 * mib, (
        f"{figure}: rose by {rise / mib:.2f} MiB for {extra / mib:.2f} MiB held "
        f"(plain {plain}, heavier {heavier})"
    )
    assert min(heavier) > max(plain) + 0.8 * extra, (plain, heavier)


def test_address_space_is_read_from_the_process_and_the_kernel(tmp_path):
    personality, randomize = tmp_path / "personality", tmp_path / "randomize"

    def found(flags, setting):
        personality.write_text(f"{flags:08x}\n")
        randomize.write_text(f"{setting}\n")
        return protocol.address_space(str(personality), str(randomize))

    assert found(0, 2) == "randomised"
    assert found(0x0040000, 2) == "fixed"  # setarch -R
    assert found(0, 0) == "fixed"  # the kernel's own setting
    assert protocol.address_space(str(tmp_path / "none"), str(randomize)) == "unknown"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="setarch, /proc")
def test_the_record_says_whether_asvs_processes_run_at_fixed_addresses():
    import platform
    import shutil

    def recorded(*prefix):
        return _probe(["-m", "benchmarks.protocol"], prefix=prefix)["address_space"]

    fixed = ["setarch", platform.machine(), "-R"]
    allowed = shutil.which("setarch") and subprocess.run([*fixed, "true"]).returncode == 0
    if not allowed:
        pytest.skip("setarch -R is not allowed here")
    assert recorded(*fixed) == "fixed"
    if Path("/proc/sys/kernel/randomize_va_space").read_text().strip() != "0":
        assert recorded() == "randomised"


def test_the_record_says_whether_python_s_hashes_were_fixed():
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("PYTHONHASHSEED", None)
    assert _probe(["-m", "benchmarks.protocol"], env=env)["hash_seed"] == "random"
    assert (
        _probe(["-m", "benchmarks.protocol"], env={**env, "PYTHONHASHSEED": "0"})["hash_seed"]
        == "0"
    )
    assert protocol.hash_seed({"PYTHONHASHSEED": "random"}) == "random"
    assert protocol.hash_seed({"PYTHONHASHSEED": " 42 "}) == "42"


def _cached_pages(path) -> int:
    """How many of the file's pages are in the OS page cache (mincore)."""
    import ctypes
    import mmap

    size = os.path.getsize(path)
    vec = ctypes.create_string_buffer((size + mmap.PAGESIZE - 1) // mmap.PAGESIZE)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p]
    with open(path, "rb") as f:
        # A private mapping: writable for ctypes, the file's pages until written.
        m = mmap.mmap(f.fileno(), size, access=mmap.ACCESS_COPY)
        view = ctypes.c_char.from_buffer(m)
        try:
            if libc.mincore(ctypes.addressof(view), size, vec) != 0:
                raise OSError(ctypes.get_errno(), "mincore")
        finally:
            del view
            m.close()
    return sum(b & 1 for b in vec.raw)


@pytest.mark.skipif(not hasattr(os, "posix_fadvise"), reason="no posix_fadvise")
def test_memory_figures_read_their_data_files_into_the_page_cache(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from usdbench import workloads

    paths = [tmp_path / "a.usdc", tmp_path / "b.parquet"]
    for i, path in enumerate(paths):
        path.write_bytes(os.urandom((3 + i) * 2**20))
    bench = SimpleNamespace(files=SimpleNamespace(data_files=lambda: paths))
    # What setup does for the cold time figures.
    assert workloads.drop_page_cache(paths)
    if max(_cached_pages(p) for p in paths) > 16:
        pytest.skip("this file system keeps dropped pages cached (tmpfs)")
    assert protocol.cache_data_files(bench) == 7 * 2**20
    for path in paths:
        assert _cached_pages(path) == os.path.getsize(path) // 4096, path
    assert protocol.cache_data_files(SimpleNamespace()) is None  # names no files

    # A setup run again for another sample of a memory figure empties the
    # cache again; under the protocol its files are read back in.
    @protocol.on_one_thread
    def setup(self):
        workloads.drop_page_cache(paths)

    monkeypatch.setattr(protocol, "_memory_mode", False)
    setup(bench)
    assert max(_cached_pages(p) for p in paths) <= 16
    monkeypatch.setattr(protocol, "_memory_mode", True)
    setup(bench)
    assert all(_cached_pages(p) == os.path.getsize(p) // 4096 for p in paths)
