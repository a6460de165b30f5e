"""The loader comparison script (scripts/loader_perf.py) on a small scene, in
real fresh processes: both formats read the same values, and the report
says so."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The measurement scripts are run by path, not installed: import them the same way.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import loader_perf  # noqa: E402


@pytest.mark.slow  # four fresh processes, each importing and warming up USD and Arrow
def test_both_formats_read_the_same_values(tmp_path):
    result = loader_perf.run(scale=300, repeat=1, directory=tmp_path)
    med = result["medians"]
    assert med["a_usdc_all"]["values"] == med["b_parquet_all"]["values"] == 300 * 20
    assert med["c_usdc_one"]["values"] == med["c_parquet_one"]["values"] == 300
    checksums = {m["checksum"] for m in med.values()}
    assert len(checksums) == 1 and checksums != {0}, checksums
    for m in med.values():
        assert m["peak_rss"] >= m["final_rss"] > 0 and m["seconds"] > 0, m
    text = loader_perf.report(result)
    assert "same values read b_parquet_all vs a_usdc_all: True" in text
    assert "same values read c_parquet_one vs c_usdc_one: True" in text
