"""The tracker comparison script (scripts/tracker_comparison.py), on its two
cheap workloads, in real fresh processes.

It asserts the claims the comparison table makes: tracemalloc does not see
native memory, RSS before/after and a sampling thread miss a GIL-held spike,
memtrack sees both.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

# The measurement scripts are run by path, not installed: import them the same way.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import tracker_comparison as tc  # noqa: E402

MiB = 2**20

pytestmark = [
    pytest.mark.slow,  # fresh processes per method and workload: the script's evaluation
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux-only comparison"),
    pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler `cc` for the spike"),
]


def _peak(report, workload, method):
    return tc._median(r["figure"] for r in report["raw"][workload][method])


def test_comparison_on_native_workloads(tmp_path):
    methods = ["none", "memtrack", "tracemalloc", "rss", "thread"]
    report = tc.compare(1, ["w1", "w2"], methods, tmp_path, log=lambda _: None)

    assert abs(_peak(report, "w1", "memtrack") - 200 * MiB) < 4 * MiB
    assert abs(_peak(report, "w1", "rss") - 200 * MiB) < 4 * MiB
    assert _peak(report, "w1", "tracemalloc") < 1 * MiB
    assert abs(_peak(report, "w2", "memtrack") - 300 * MiB) < 6 * MiB
    assert _peak(report, "w2", "rss") < 10 * MiB
    assert _peak(report, "w2", "thread") < 10 * MiB, "a thread cannot sample while the GIL is held"

    text = tc.tables(report)
    assert "| memtrack (kernel HWM) | 200 | 300 |" in text
    assert "| workload alone |" in text
