"""The report shows each memory figure's spread between asv runs beside it,
from the machine's gate calibration (real asv results of the toy project,
a calibration file as `usdbench gate calibrate` writes it)."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.test_report import _table
from usdbench.asv_results import write_protocol
from usdbench.gate import write_entries
from usdbench.report import load_report_data, render_page

MACHINE = "testmachine"  # the toy suite's
PEAK = "bench.Load.track_peak_bytes"
ONE = {"protocol": 1, "memory_figures_threads": 1, "arrow_pool": "mimalloc"}
# The toy's Load peak of usda at scale 10: (1 + 1) x 10 x 1024 x 2 bytes.
USDA_10 = 40960


@pytest.fixture
def toy_copy(toy_asv_project, tmp_path):
    """The toy project's results and a config pointing at them."""
    results = tmp_path / "results"
    shutil.copytree(toy_asv_project.config_path.parent / "results", results)
    config = tmp_path / "asv.conf.json"
    config.write_text(json.dumps({"results_dir": "results", "html_dir": "html"}))
    return config, results, toy_asv_project.commits[-1]


def calibrate(results, commit, protocol):
    entry = {"range": 6144, "median": USDA_10, "samples": 3, "commit": commit, "runs": 3,
             "rounds": 1, "run_medians": [USDA_10, USDA_10 + 4096, USDA_10 + 1024]}  # fmt: skip
    no_medians = {**entry, "range": 2048}
    del no_medians["run_medians"]
    write_entries(
        results, MACHINE,
        {f"{PEAK}('usda', 10)": entry, f"{PEAK}('usdc', 10)": no_medians},
        protocol,
    )  # fmt: skip


def test_spread_column_beside_each_calibrated_figure(toy_copy):
    config, results, commit = toy_copy
    write_protocol(results, MACHINE, commit, ONE)
    calibrate(results, commit, ONE)
    data = load_report_data(config)
    html = render_page(data)
    headers, table = _table(html)
    assert "between runs" in headers
    assert headers.index("between runs") == headers.index("IQR") + 1
    usda = table[(PEAK, (("format", "usda"), ("scale", "10")))]
    # max - min of the three runs' medians: 4 KiB, 10% of the figure.
    assert usda["value"] == "40.0 KiB"
    assert usda["between runs"] == "4.00 KiB (10.00%) over 3 runs"
    # Without the runs' medians: the whole range of the samples, said so.
    usdc = table[(PEAK, (("format", "usdc"), ("scale", "10")))]
    assert usdc["between runs"].startswith("2.00 KiB") and "runs' samples" in usdc["between runs"]
    # Figures the calibration does not have: an empty cell.
    other = table[(PEAK, (("format", "usda"), ("scale", "100")))]
    assert other["between runs"] == ""
    assert 'data-sort="0.1"' in html
    # The charts' hover says it too, and the page says where it comes from.
    assert "between runs: 4.00 KiB over 3 runs" in html
    assert "gate-noise.json.gz (3 asv runs of" in html
    assert "memory figures on 1 thread(s)" in html


def test_no_spread_from_a_calibration_under_another_protocol(toy_copy):
    config, results, commit = toy_copy
    write_protocol(results, MACHINE, commit, ONE)
    calibrate(results, commit, {**ONE, "memory_figures_threads": "default"})
    html = render_page(load_report_data(config))
    headers, _ = _table(html)
    assert "between runs" not in headers
    assert "measured under another memory protocol" in html
    assert "memory_figures_threads: &#x27;default&#x27; against 1" in html


def test_no_calibration_no_column_and_an_unreadable_protocol_is_a_note(toy_copy):
    config, results, commit = toy_copy
    data = load_report_data(config)
    assert data.spreads is None and data.protocol is None
    headers, _ = _table(render_page(data))
    assert "between runs" not in headers
    path = write_protocol(results, MACHINE, commit, ONE)
    path.write_bytes(b"not gzip")
    html = render_page(load_report_data(config))
    assert "Memory protocol not read" in html and path.name in html
