"""The memory guard: combinations that would not fit are skipped before any work."""

import pytest

from usdbench import budget, workloads
from usdbench.scenario import Scenario


def test_expected_peak_grows_with_scale_hierarchy_and_format():
    small = budget.expected_peak_bytes("parquet-python-zstd-rg1000", 1_000)
    assert budget.expected_peak_bytes("parquet-python-zstd-rg1000", 10_000) == 10 * small
    assert budget.expected_peak_bytes("parquet-python-zstd-rg1000", 1_000, "deep") > small
    # Every Parquet variant is one family; usdc holds twice usda's memory (measured).
    assert budget.expected_peak_bytes("parquet-python-none-rg100", 1_000) == small
    assert budget.expected_peak_bytes("usdc", 1_000) > budget.expected_peak_bytes("usda", 1_000)


def test_fits_compares_with_the_memory_available():
    have = budget.available_bytes()
    assert have and have > 0
    ok, why = budget.fits("usda", 1_000)
    assert ok and why == ""
    huge = int(have / budget.PEAK_BYTES_PER_PRIM["usda"]) + 1
    ok, why = budget.fits("usda", huge)
    assert not ok
    assert "usda" in why and str(huge) in why and "GiB available" in why


def test_benchmark_setup_skips_before_generating_anything(tmp_path, monkeypatch):
    monkeypatch.setenv("USDBENCH_CACHE", str(tmp_path))
    from benchmarks.common import _ScenarioBenchmark

    huge = int(budget.available_bytes() / budget.PEAK_BYTES_PER_PRIM["parquet-python"]) + 1
    with pytest.raises(NotImplementedError, match="expects ~.* GiB peak"):
        _ScenarioBenchmark().setup("parquet-python-zstd-rg1000", huge, "flat")
    assert list(tmp_path.iterdir()) == [], "nothing may be generated for a skipped combination"


def test_prepare_benchmark_gives_the_cached_files_of_a_combination_that_fits(tmp_path, monkeypatch):
    monkeypatch.setenv("USDBENCH_CACHE", str(tmp_path))
    files = workloads.prepare_benchmark("parquet-python-zstd-rg1000", 30, "deep")
    assert files.scenario == Scenario(30, "deep")
    assert files.format.name == "parquet-python-zstd-rg1000"
    assert all(p.is_file() and p.is_relative_to(tmp_path) for p in files.data_files())
