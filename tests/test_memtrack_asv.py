"""memtrack.asv.track_memory: the generated methods, called directly and through real asv."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from memtrack.asv import track_memory
from tests.asv_project import REPO, AsvProject, config_here
from tests.test_memtrack import run_python

MiB = 2**20

# The fixture (tests/conftest.py) skips where the kernel high-water mark is unusable.
linux_hwm = pytest.mark.usefixtures("hwm_backend")


def assert_near(value: int, expected: int, rel: float = 0.05, what: str = "") -> None:
    assert abs(value - expected) <= rel * expected, (
        f"{what}: {value / MiB:.1f} MiB, expected {expected / MiB:.1f} MiB +-{rel:.0%}"
    )


# One operation with three distinct answers: a 96 MiB transient spike (peak),
# 48 MiB held by a reference cycle that only gc frees (delta, not retained),
# and a 32 MiB result kept by the caller (delta and retained).
BENCH_SOURCE = """
class Payload:
    def __init__(self, nbytes):
        self.data = bytearray(nbytes)


@track_memory(retained=True)
class ThreeFigures:
    params = ([1, 2], ["x"])
    param_names = ["scale", "label"]

    def setup(self, scale, label):
        self.step = scale * 16 * 2**20  # the peak is 6 steps, delta 5, retained 2
        self.seen = []

    def measure(self, scale, label):
        self.seen.append((scale, label))
        spike = bytearray(6 * self.step)
        del spike
        cycle = Payload(3 * self.step)
        cycle.self = cycle
        del cycle
        return Payload(2 * self.step)
"""


def test_refuses_a_class_without_measure():
    with pytest.raises(TypeError, match=r"NoMeasure has no measure\(self, \*params\) method"):

        @track_memory
        class NoMeasure:
            def setup(self):
                pass


def test_refuses_a_non_class_and_existing_methods():
    with pytest.raises(TypeError, match="decorates a class"):
        track_memory(lambda: None)
    with pytest.raises(TypeError, match="already defines track_peak_bytes"):

        @track_memory()
        class Clash:
            def measure(self):
                pass

            def track_peak_bytes(self):
                return 0


def test_generated_methods_units_and_docs():
    @track_memory
    class Plain:
        def measure(self):
            pass

    @track_memory(retained=True)
    class WithRetained(Plain):  # measure inherited from a base works too
        pass

    assert not hasattr(Plain, "track_retained_bytes")
    for cls, names in (
        (Plain, ["track_delta_bytes", "track_peak_bytes"]),
        (WithRetained, ["track_delta_bytes", "track_peak_bytes", "track_retained_bytes"]),
    ):
        assert sorted(n for n in dir(cls) if n.startswith("track_")) == names
        for n in names:
            assert getattr(cls, n).unit == "bytes"
    assert "highest resident memory" in Plain.track_peak_bytes.__doc__
    assert "still referenced" in Plain.track_delta_bytes.__doc__
    assert "malloc_trim" in WithRetained.track_retained_bytes.__doc__
    # asv would collect a module-level function named track_* imported into a
    # benchmark module; the decorator is marked as not a benchmark.
    assert track_memory.skip_benchmark is True


# asv runs each track_ method in a fresh process; so do these tests. In the
# test process, threads left by earlier tests (USD's deferred layer
# destruction, Arrow's pools) can touch memory while a figure is measured:
# under load their work moves into the measured block (seen: delta +6.7 MiB).
FRESH_PRELUDE = f"""
import gc, json, weakref
from memtrack.asv import track_memory
ns = {{"track_memory": track_memory}}
exec({BENCH_SOURCE!r}, ns)
"""


def _in_fresh_process(code: str) -> dict:
    return run_python(FRESH_PRELUDE + textwrap.dedent(code))


@linux_hwm
@pytest.mark.parametrize(
    "name, steps",
    [("track_peak_bytes", 6), ("track_delta_bytes", 5), ("track_retained_bytes", 2)],
)
def test_figures_when_called_as_asv_does(name, steps):
    out = _in_fresh_process(
        f"""
        bench = ns["ThreeFigures"]()
        bench.setup(1, "x")
        results = []
        original = bench.measure

        def measure(*params):
            value = original(*params)
            results.append(weakref.ref(value))
            return value

        bench.measure = measure
        got = bench.{name}(1, "x")
        gc.collect()
        dropped = results[0]() is None
        print(json.dumps({{"got": got, "seen": bench.seen, "dropped": dropped}}))
        """
    )
    got = out["got"]
    assert got["number"] == 1 and len(got["samples"]) == 1, got
    assert_near(got["samples"][0], steps * 16 * MiB, what=name)
    assert out["seen"] == [[1, "x"]], "measure must run exactly once with the params"
    assert out["dropped"], "measure()'s return value was not dropped afterwards"


@linux_hwm
def test_samples_rerun_setup_before_each_measurement():
    out = _in_fresh_process(
        """
        sampled = track_memory(samples=3)(type("Sampled", (ns["ThreeFigures"],), {}))
        bench = sampled()
        setups = []
        original_setup = bench.setup

        def setup(*params):
            setups.append(params)
            original_setup(*params)

        bench.setup = setup
        bench.setup(2, "x")  # what asv does before calling the method
        got = bench.track_peak_bytes(2, "x")
        print(json.dumps({"got": got, "setups": setups, "seen": bench.seen}))
        """
    )
    assert out["setups"] == [[2, "x"]] * 3, "setup must run again before samples 2 and 3"
    assert out["seen"] == [[2, "x"]], "each setup starts a fresh list: one measure after it"
    got = out["got"]
    assert got["number"] == 1 and len(got["samples"]) == 3
    for value in got["samples"]:
        assert_near(value, 6 * 32 * MiB, what="peak sample")


def test_samples_must_be_a_positive_integer():
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="samples must be an integer >= 1"):
            track_memory(samples=bad)


@pytest.mark.slow  # a real asv run; the generated methods are also called directly above
@pytest.mark.skipif(shutil.which("git") is None, reason="asv needs git")
def test_real_asv_discovers_and_runs_the_generated_benchmarks(tmp_path):
    # asv imports only the benchmarks package from the project; memtrack comes
    # from this checkout.
    header = f"import sys\nsys.path.insert(0, {str(REPO)!r})\n"
    header += "from memtrack.asv import track_memory\n"
    config = config_here("memtrack-asv-test")
    files = {
        "benchmarks/__init__.py": "",
        "benchmarks/bench_three.py": header + BENCH_SOURCE,
        "benchmarks/bench_fresh.py": header + FRESH_IN_ASV,
    }
    asv = AsvProject.create(tmp_path / "proj", config, files)
    commit = asv.commit("init")
    asv.run_here(commit, "--quick")

    listed = asv.benchmarks()
    names = sorted(k for k in listed if k != "version" and not k.startswith("bench_fresh"))
    assert names == [
        "bench_three.ThreeFigures.track_delta_bytes",
        "bench_three.ThreeFigures.track_peak_bytes",
        "bench_three.ThreeFigures.track_retained_bytes",
    ], "asv collected something else (e.g. the imported track_memory function)"
    assert all(listed[n]["unit"] == "bytes" for n in names)

    results = asv.results(commit)["results"]
    unit = 16 * MiB
    for name, per_unit in (("peak", 6), ("delta", 5), ("retained", 2)):
        values, params = results[f"bench_three.ThreeFigures.track_{name}_bytes"][:2]
        assert params == [["1", "2"], ["'x'"]]
        for scale, value in zip((1, 2), values, strict=True):
            assert_near(value, per_unit * scale * unit, what=f"asv {name} at scale {scale}")

    # A small cold figure taken in three processes under asv (its benchmark
    # package is imported by asv_runner's own finder, not from sys.path):
    # asv stores the median of three samples and their interval.
    columns = asv.results(commit)["result_columns"]
    row = results["bench_fresh.Fresh.track_delta_bytes"]
    assert row[columns.index("stats_repeat")] == [3], row
    assert_near(row[0][0], 4 * MiB, what="asv fresh delta")


FRESH_IN_ASV = """
@track_memory(fresh_samples=3, fresh_below=64 * 2**20)
class Fresh:
    def measure(self):
        return bytearray(4 * 2**20)
"""


# A class asking for fresh-process samples of its small figures. The child
# imports this module by name, as asv's process did.
FRESH_SOURCE = """
import os
from memtrack.asv import track_memory


@track_memory(fresh_samples=3, fresh_below=8 * 2**20)
class Small:
    params = ([1, 16],)
    param_names = ["mib"]

    def setup(self, mib):
        if os.environ.get("FAIL_IN_CHILD") and os.environ.get("MEMTRACK_FRESH_CHILD"):
            raise RuntimeError("setup refused in the child")

    def measure(self, mib):
        with open(os.environ["PID_LOG"], "a") as log:
            log.write(f"{os.getpid()}\\n")
        return bytearray(mib * 2**20)
"""

FRESH_CALL = """
import importlib.machinery, json, os, sys, warnings


class SuiteOnly:
    # How asv_runner imports a suite: its package found in one folder by a
    # finder of its own, the folder not on sys.path.
    def find_spec(self, fullname, path=None, target=None):
        if fullname == "suite_pkg":
            return importlib.machinery.PathFinder().find_spec(fullname, [sys.argv[1]], target)


sys.meta_path.insert(0, SuiteOnly())
from suite_pkg.fresh_bench import Small
bench = Small()
mib = int(sys.argv[2])
bench.setup(mib)  # what asv does before calling the method
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    got = bench.track_delta_bytes(mib)
print(json.dumps({"got": got, "pid": os.getpid(), "warnings": [str(w.message) for w in caught]}))
"""


def _fresh_call(tmp_path, mib: int, **env) -> tuple[dict, list[int]]:
    (tmp_path / "suite_pkg").mkdir(exist_ok=True)
    (tmp_path / "suite_pkg" / "__init__.py").write_text("")
    (tmp_path / "suite_pkg" / "fresh_bench.py").write_text(FRESH_SOURCE)
    log = tmp_path / f"pids-{mib}-{len(env)}.txt"
    proc = subprocess.run(
        [sys.executable, "-c", FRESH_CALL, str(tmp_path), str(mib)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO), "PID_LOG": str(log), **env},
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return out, [int(line) for line in log.read_text().split()]


@linux_hwm
def test_fresh_samples_of_a_small_figure_come_from_new_processes(tmp_path):
    out, pids = _fresh_call(tmp_path, 1)
    samples = out["got"]["samples"]
    assert out["got"]["number"] == 1 and len(samples) == 3, out
    for value in samples:
        assert_near(value, 1 * MiB, what="delta sample")
    # asv's process measured once, two new interpreters once each.
    assert len(pids) == 3 and len(set(pids)) == 3 and pids[0] == out["pid"], pids
    assert not out["warnings"]


@linux_hwm
def test_a_figure_above_fresh_below_is_taken_once(tmp_path):
    out, pids = _fresh_call(tmp_path, 16)
    assert len(out["got"]["samples"]) == 1 and pids == [out["pid"]], (out, pids)
    assert_near(out["got"]["samples"][0], 16 * MiB, what="delta")


@linux_hwm
def test_a_failing_child_keeps_the_samples_taken(tmp_path):
    out, pids = _fresh_call(tmp_path, 1, FAIL_IN_CHILD="1")
    assert len(out["got"]["samples"]) == 1 and pids == [out["pid"]], (out, pids)
    assert_near(out["got"]["samples"][0], 1 * MiB, what="delta")
    (warning,) = out["warnings"]
    assert "no fresh-process sample" in warning and "setup refused in the child" in warning


def test_fresh_options_are_checked():
    for bad in (0, 1.5, True):
        with pytest.raises(ValueError, match="fresh_samples must be an integer >= 1"):
            track_memory(fresh_samples=bad)
    for bad in (0, -5, True):
        with pytest.raises(ValueError, match="fresh_below must be a positive number"):
            track_memory(fresh_below=bad)
