"""The Parquet readers' comparison script (scripts/parquet_perf.py) on a small
scene, in real fresh processes: every reader reads the same values, and the
report says so and gives the targets' ratios."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The measurement scripts are run by path, not installed: import them the same way.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import parquet_perf  # noqa: E402


@pytest.mark.slow  # eleven fresh processes, each importing and warming up USD and Arrow
def test_every_reader_reads_the_same_values(tmp_path):
    result = parquet_perf.run(scale=300, repeat=1, directory=tmp_path)
    med = result["medians"]
    readers = ["usdc", "parquet-native", "parquet-python"]
    assert {med[f"{r}:all"]["values"] for r in readers} == {300 * 20}
    assert {med[f"{r}:one"]["values"] for r in readers} == {300}
    checksums = {med[f"{r}:{op}"]["checksum"] for r in readers for op in ("one", "all")}
    assert len(checksums) == 1 and checksums != {0}, checksums
    assert med["floor:load"]["values"] == 0 and "floor:all" not in med
    for m in med.values():
        assert m["peak_rss"] >= m["final_rss"] > 0 and m["seconds"] > 0, m
    text = parquet_perf.report(result)
    assert "same values read by usdc:all, parquet-native:all, parquet-python:all: True" in text
    assert "parquet-native:load / floor seconds" in text
