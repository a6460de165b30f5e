"""The format comparison page: the suite's figures at one commit, format by format.

`python -m usdbench.report` writes <html_dir>/formats/index.html: bar charts of
file size and of memory per format and operation, lines of time against
scale, growth with scale, memory timelines, and a sortable table of every
figure. It reads asv's result files as JSON (usdbench.asv_results; asv itself
is a development tool, not imported). Charts are Plotly figures whose data
sits in the page, drawn by the plotly.js copied next to it, so the page needs
no network. Run it after `asv publish`, which empties html_dir; it also makes
that asv site work offline and links it to the page (asv_site).
"""

from __future__ import annotations

import os
from pathlib import Path

from .asv_site import prepare_asv_site
from .data import FAILED, OK, SKIPPED, ReportData, Row, load_report_data
from .page import REPORT_SUBDIR, render_page, write_report

__all__ = [
    "FAILED",
    "OK",
    "REPORT_SUBDIR",
    "SKIPPED",
    "ReportData",
    "Row",
    "build_report",
    "load_report_data",
    "prepare_asv_site",
    "render_page",
    "write_report",
]


def build_report(
    config_path: str | os.PathLike = "asv.conf.json",
    commit: str | None = None,
    machine: str | None = None,
    env: str | None = None,
    prepare_asv: bool = True,
) -> tuple[Path, ReportData]:
    """Write the report (and make the asv site offline-ready and linked); return its path."""
    data = load_report_data(config_path, commit=commit, machine=machine, env=env)
    path = write_report(data)
    if prepare_asv:
        prepare_asv_site(data.html_dir)
    return path, data
