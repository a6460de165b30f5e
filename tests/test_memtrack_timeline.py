"""memtrack's timeline of a tracked block, against real allocations (no mocks)."""

from __future__ import annotations

import mmap
import os
import time
import warnings

import pytest

from memtrack import MemtrackWarning, PerformanceTracker, Timeline, _sampler

# The native helpers, the spike fixtures (a 300 MiB allocation inside one C
# call, requested by name) and the per-test heap trim of the tracker's tests.
from tests.test_memtrack import (  # noqa: F401
    MiB,
    _libc,
    _settled_process,
    _trimmed_heap,
    assert_near,
    c_alloc,
    gil_spike,
    linux_hwm,
    rss_now,
    run_python,
    spike_lib,
)

# A rise this large is a real allocation: the kernel's RSS counters lag by
# at most 32 pages per CPU (percpu counters), far below it.
RISE = 1 * MiB


def first_rise(tl: Timeline, after_s: float, level: int) -> float:
    """Time of the first sample after ``after_s`` with RSS above ``level`` + RISE."""
    for t, rss in zip(tl.t_s, tl.rss, strict=True):
        if t >= after_s and rss > level + RISE:
            return t
    raise AssertionError(f"RSS never rose above {level / MiB:.1f} MiB after {after_s:.4f} s")


def rss_before(tl: Timeline, t_s: float) -> int:
    """RSS of the last sample taken before ``t_s``."""
    return [rss for t, rss in zip(tl.t_s, tl.rss, strict=True) if t < t_s][-1]


def mark(tl: Timeline, label: str) -> float:
    return dict(tl.marks)[label]


def split_change(tl: Timeline, i: int) -> dict[str, int]:
    """Sample ``i`` minus the baseline sample, per column."""
    now, base = tl.sample(i), tl.sample(tl.baseline_index())
    return {k: now[k] - base[k] for k in ("rss", "anon", "file", "vm_size")}


@linux_hwm
def test_gil_held_spike_is_caught_with_its_start(request):
    spike = request.getfixturevalue("gil_spike")
    with PerformanceTracker(timeline=True) as t:
        t.probe("call")
        spike(300 * MiB, hold_s=0.05)
        t.probe("returned")
    tl = t.result.timeline
    assert tl is not None and tl.split_source == "status"
    call, returned = mark(tl, "call"), mark(tl, "returned")
    # The sampling process keeps reading while C code holds the GIL: the rise
    # and the 50 ms plateau are seen between the call and its return, when no
    # thread of this process could run (a thread's samples would all come
    # after). How soon after the call depends on the scheduler, not on memtrack.
    start = first_rise(tl, call, rss_before(tl, call))
    assert call <= start <= returned, f"spike seen {1000 * (start - call):.1f} ms after the call"
    during = [i for i, s in enumerate(tl.t_s) if call <= s <= returned]
    top = max(tl.rss[i] for i in during) - tl.rss[tl.baseline_index()]
    assert_near(top, 300 * MiB, rel=0.03, what="sampled spike")
    # Gone once the call returned; the exact peak is still the kernel's.
    assert tl.rss[-1] - tl.rss[tl.baseline_index()] < 10 * MiB
    assert_near(t.result.peak_bytes, 300 * MiB, what="exact peak")
    assert mark(tl, "start") == 0.0 and mark(tl, "end") >= returned


@linux_hwm
def test_sampled_at_one_millisecond_or_better():
    with PerformanceTracker(timeline=True) as t:
        p = c_alloc(50 * MiB)
        _libc.free(p)
        time.sleep(0.2)
    tl = t.result.timeline
    assert tl.interval_s == 0.001
    assert tl.median_interval_s() <= 0.0011, tl.median_interval_s()
    assert len(tl) >= 0.2 / 0.0011
    assert tl.t_s == sorted(tl.t_s)
    assert tl.t_s[0] <= 0 <= mark(tl, "end") <= tl.t_s[-1]


@linux_hwm
def test_anonymous_allocation_moves_the_anon_part():
    with PerformanceTracker(timeline=True) as t:
        p = c_alloc(200 * MiB)
    try:
        change = split_change(t.result.timeline, -1)
    finally:
        _libc.free(p)
    assert_near(change["anon"], 200 * MiB, rel=0.03, what="anon")
    assert abs(change["file"]) < 2 * MiB, change


@linux_hwm
def test_mapped_touched_file_moves_the_file_part(tmp_path):
    path = tmp_path / "mapped.bin"
    path.write_bytes(os.urandom(MiB) * 128)
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        with PerformanceTracker(timeline=True) as t:
            touched = sum(mm[i] for i in range(0, len(mm), mmap.PAGESIZE))
        change = split_change(t.result.timeline, -1)
    assert touched >= 0
    assert_near(change["file"], 128 * MiB, rel=0.03, what="file-backed")
    assert abs(change["anon"]) < 2 * MiB, change


@linux_hwm
def test_virtual_size_counts_an_untouched_reservation():
    with PerformanceTracker(timeline=True) as t:
        with mmap.mmap(-1, 1024 * MiB) as reserved:  # anonymous, never touched
            t.probe("mapped")
            # One sample while it is mapped, whenever the sampler's next turn
            # would come: a query makes the recording sampler take it now.
            _sampler.shared_sampler().query()
            assert len(reserved)
    tl = t.result.timeline
    i = max(i for i, s in enumerate(tl.t_s) if s <= mark(tl, "mapped"))
    while tl.t_s[i] < mark(tl, "mapped"):
        i += 1  # the first sample after the mapping
    change = split_change(tl, i)
    assert_near(change["vm_size"], 1024 * MiB, rel=0.02, what="virtual size")
    assert change["rss"] < 4 * MiB, change


def test_one_timeline_at_a_time_a_nested_one_gets_none():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with PerformanceTracker(timeline=True) as outer:
            with PerformanceTracker(timeline=True) as inner:
                pass
    assert inner.result.timeline is None
    assert outer.result.timeline is not None and len(outer.result.timeline) >= 2
    messages = [str(w.message) for w in caught if issubclass(w.category, MemtrackWarning)]
    assert any("already recording" in m for m in messages), messages
    # The recording ended with the outer block: the next one records again.
    with PerformanceTracker(timeline=True) as again:
        pass
    assert again.result.timeline is not None


def test_timeline_with_the_sampled_backend_shares_its_process():
    # In a fresh interpreter: in this one, memory that earlier tests dropped
    # (a cycle the collector reaches, a layer USD frees on a worker thread)
    # can be handed back inside the second block and hide its 32 MiB (seen
    # once in CI after 780 tests: 0.0 MiB).
    got = run_python(
        """
        import json
        from memtrack import PerformanceTracker
        MiB = 2**20
        with PerformanceTracker(backend="sampled", timeline=True) as t:
            x = bytearray(64 * MiB)
            del x
        # The sampler went back to tracking only; a later block still measures.
        with PerformanceTracker(backend="sampled") as t2:
            y = bytearray(32 * MiB)
        print(json.dumps({
            "backends": [t.result.backend, t2.result.backend],
            "peaks": [t.result.peak_bytes, t2.result.peak_bytes],
            "samples": len(t.result.timeline),
            "second_timeline": t2.result.timeline is None,
        }))
        """
    )
    assert got["backends"] == ["sampled", "sampled"]
    assert_near(got["peaks"][0], 64 * MiB, rel=0.05, what="sampled peak")
    assert got["samples"] >= 2
    assert got["second_timeline"]
    assert_near(got["peaks"][1], 32 * MiB, rel=0.05, what="after a timeline")


def test_no_timeline_unless_asked():
    with PerformanceTracker() as t:
        pass
    assert t.result.timeline is None


def test_round_trip_and_bad_input():
    with PerformanceTracker(timeline=True) as t:
        t.probe("half")
    tl = t.result.timeline
    back = Timeline.from_dict(tl.to_dict())
    assert len(back) == len(tl)
    assert [label for label, _ in back.marks] == ["start", "half", "end"]
    assert back.rss == [v // 1024 * 1024 for v in tl.rss]
    assert all(abs(a - b) < 1e-6 for a, b in zip(back.t_s, tl.t_s, strict=True))
    data = tl.to_dict()
    data["rss_kib"] = data["rss_kib"][:-1]
    with pytest.raises(ValueError, match="columns of lengths"):
        Timeline.from_dict(data)
    with pytest.raises(ValueError, match="not a memtrack timeline.*t_us"):
        Timeline.from_dict({"marks": []})
    with pytest.raises(ValueError, match="timeline_interval_s must be positive"):
        PerformanceTracker(timeline=True, timeline_interval_s=0)


@linux_hwm
def test_recording_starts_after_the_release_of_retained():
    # retained=True collects garbage and trims the heap before the baseline;
    # with a million live containers the collection alone takes tens of ms.
    # The timeline's first sample must come after it: its RSS is the trimmed
    # baseline, not the ~100 MiB of freed heap resident before the release.
    live = [[] for _ in range(1_000_000)]
    junk = [bytearray(1000) for _ in range(100_000)]
    del junk  # freed heap that only malloc_trim hands back
    before_release = rss_now()
    with PerformanceTracker(timeline=True, retained=True) as t:
        pass
    tl = t.result.timeline
    baseline = t.result.baseline_bytes
    assert before_release - baseline > 50 * MiB, "nothing for the release to hand back"
    assert abs(tl.rss[0] - baseline) < MiB, (tl.rss[0], baseline)
    assert tl.t_s[0] <= 0, tl.t_s[:3]
    assert len(live) == 1_000_000
