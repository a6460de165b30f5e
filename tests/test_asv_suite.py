"""The asv suite driven by the real asv command (virtualenv environments)."""

from __future__ import annotations

import ast
import json
import math
import os
import re
import subprocess
import sys

import pytest

from tests.asv_project import ASV, MACHINE, REPO

# The tests that take the `asv_project` fixture share one real `asv run` of
# this repository's suite on two commits (virtualenv environments): minutes.
slow = pytest.mark.slow

FAMILIES = ("series", "arrays", "sparse")
RELEASE_SLACK = 256 * 1024  # bytes

OPERATIONS = [
    "load.InitialLoad",
    "access.OnePropertyOnePrimCold",
    "access.OnePropertyOnePrimWarm",
    "access.OnePropertyRandomPrims",
    "access.OnePropertyPathOrder",
    "access.SixPropertiesOnePrim",
    "traversal.OnePropertyAllPrims",
    "traversal.SixPropertiesAllPrims",
    "traversal.ShuffledAccess",
    "traversal.FullTraversal",
]


def test_asv_check_reports_no_problems():
    run = subprocess.run(
        [*ASV, "check", "-E", f"existing:{sys.executable}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "USDBENCH_PROFILE": "quick"},
    )
    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    assert "No problems found" in out and "Traceback" not in out, out


def test_importing_the_suite_runs_nothing_of_usd_or_arrow():
    """asv forks every benchmark process from a server that imported the suite
    (asv.conf.json "launch_method": "forkserver"). A sample is cold only if
    that import opened no layer and allocated nothing in Arrow: a forked child
    would inherit them. Imported as asv's server does, in a fresh interpreter."""
    probe = (
        "import json\n"
        "from asv_runner.discovery import disc_benchmarks\n"
        "names = [b.name for b in disc_benchmarks('benchmarks')]\n"
        "import pyarrow\n"
        "from pxr import Sdf\n"
        "print(json.dumps({'benchmarks': len(names),\n"
        "    'layers': [l.identifier for l in Sdf.Layer.GetLoadedLayers()],\n"
        "    'arrow_bytes': pyarrow.total_allocated_bytes()}))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "USDBENCH_PROFILE": "full"},
    )
    assert run.returncode == 0, run.stderr[-3000:]
    found = json.loads(run.stdout.splitlines()[-1])
    assert found["benchmarks"] >= 3 * len(OPERATIONS), found
    assert found["layers"] == [], f"layers opened at import: {found['layers']}"
    assert found["arrow_bytes"] == 0, f"Arrow memory allocated at import: {found}"


@slow
def test_every_benchmark_is_discovered(asv_project):
    names = set(asv_project.benchmarks())
    for op in OPERATIONS:
        for method in ("track_peak_bytes", "track_delta_bytes", "time_operation"):
            assert f"{op}.{method}" in names, f"{op}.{method} not discovered"
    assert "files.FileSize.track_file_bytes" in names
    retained = {n for n in names if n.endswith("track_retained_bytes")}
    assert "load.InitialLoad.track_retained_bytes" in retained
    assert "traversal.FullTraversal.track_retained_bytes" in retained
    # Shared bases and the decorator itself are not benchmarks.
    assert not [n for n in names if "_ScenarioBenchmark" in n or "track_memory" in n]
    meta = asv_project.benchmarks()["load.InitialLoad.track_peak_bytes"]
    assert meta["unit"] == "bytes" and meta["param_names"] == ["format", "scale", "hierarchy"]


def _track_results(project, commit):
    """{benchmark name: list of values} for every bytes track_ benchmark."""
    data = project.results(commit)
    columns = data["result_columns"]
    benchmarks = project.benchmarks()
    out = {}
    for name, row in data["results"].items():
        meta = benchmarks[name]
        if meta["type"] == "track" and meta.get("unit") == "bytes":
            out[name] = row[columns.index("result")]
    return out


# Reads on a stage loaded in setup: usda and the Python loader's Parquet are
# fully in memory after the load, so reading 1-1,000 values allocates less
# than a page and 0 is their true resident figure. usdc and native Parquet
# read values lazily from the file, so their first reads may hold memory; a
# re-read (Warm) holds none in any format.
READS_ON_A_LOADED_STAGE = (
    "access.OnePropertyOnePrimWarm",
    "access.OnePropertyRandomPrims",
    "access.OnePropertyPathOrder",
    "access.SixPropertiesOnePrim",
)


def _by_format(project, name, values):
    meta = project.benchmarks()[name]
    assert meta["param_names"][0] == "format"
    # asv stores a parameterised result as the cartesian product, first param slowest.
    per_format = len(values) // len(meta["params"][0])
    return {
        ast.literal_eval(fmt): values[i * per_format : (i + 1) * per_format]
        for i, fmt in enumerate(meta["params"][0])
    }


@slow
def test_both_commits_recorded_with_positive_byte_figures(asv_project):
    for commit in asv_project.commits:
        tracks = _track_results(asv_project, commit)
        assert len(tracks) >= 2 * len(OPERATIONS) + 1
        for name, values in tracks.items():
            where = f"{commit[:8]} {name}: {values}"
            assert values and all(
                isinstance(v, (int, float)) and not math.isnan(v) for v in values
            ), where
            if name.endswith("track_retained_bytes") and name.split(".")[0] in FAMILIES:
                # A family's read of a few values at the quick scale (100 prims)
                # keeps next to nothing, and the release before the figure can
                # hand back a little heap freed before the operation began:
                # a retained figure a few pages below zero is what happened.
                assert all(v > -RELEASE_SLACK for v in values), where
            elif not name.startswith(READS_ON_A_LOADED_STAGE):
                assert all(v > 0 for v in values), where
            elif name.endswith("track_peak_bytes"):
                assert all(v >= 0 for v in values), where
                if "Warm" not in name:
                    assert all(v > 0 for v in _by_format(asv_project, name, values)["usdc"]), where


@slow
def test_asv_compare_shows_byte_units(asv_project):
    a, b = asv_project.commits
    # --machine: a results database may also hold a reference machine's history.
    machine = ("--machine", MACHINE)
    out = asv_project.asv("compare", *machine, "--only-changed", "--factor", "1.0001", a, b).stdout
    out += asv_project.asv("compare", *machine, a, b).stdout
    rows = [line for line in out.splitlines() if "track_peak_bytes" in line]
    assert rows, out[-3000:]
    # asv formats bytes with decimal prefixes and, where it has a confidence
    # interval, its half-width: "12.3M", "845k", "10.9±0.1M". Resident memory
    # moves by 4 KiB pages, so a figure is either 0 or at least "4.1k". A
    # median of 0 keeps its interval in plain bytes: "0±0", "0±1000", "0±20000".
    figure = re.compile(r"^(0|\d+(\.\d+)?(±[\d.]+)?[kMG])$|^0±\d+$")
    cells = [cell.strip() for row in rows for cell in row.split("|")[2:4]]
    assert len(cells) == 2 * len(rows)
    bad = [cell for cell in cells if not figure.match(cell)]
    assert not bad, (bad[:5], rows[:5])
    assert any(cell.endswith("M") for cell in cells), "no figure in megabytes"


@slow
def test_publish_holds_track_benchmarks_for_both_commits(asv_project):
    import json

    html = asv_project.path / "html"
    index = json.loads((html / "index.json").read_text())
    assert "load.InitialLoad.track_peak_bytes" in index["benchmarks"]
    graphs = list((html / "graphs").rglob("load.InitialLoad.track_peak_bytes.json"))
    assert graphs
    revisions = {
        index["revision_to_hash"][str(rev)] for rev, *_ in json.loads(graphs[0].read_text())
    }
    assert set(asv_project.commits) <= revisions


@slow
@pytest.mark.parametrize("regress", [True, False])
def test_continuous_flags_an_extra_64_mib_held_by_parquet_loading(asv_project, regress):
    project = asv_project
    stage_py = project.path / "usdbench" / "stage.py"
    original = stage_py.read_text()
    if regress:
        # The regression: every Parquet-backed stage holds 64 MiB more (touched).
        stage_py.write_text(
            original + "\n\n_HELD = []\n_open = open_stage\n\n\ndef open_stage(root_layer, **kw):\n"
            "    if 'parquet' in str(root_layer):\n"
            "        _HELD.append(b'x' * (64 << 20))\n"
            "    return _open(root_layer, **kw)\n"
        )
    else:
        stage_py.write_text(original + "\n# a change that holds nothing more\n")
    try:
        project.commit("regression" if regress else "harmless change")
        run = project.asv(
            "continuous",
            "--factor",
            "1.5",
            "--bench",
            r"InitialLoad\.track_delta_bytes",
            "HEAD~1",
            "HEAD",
            check=False,
        )
    finally:
        stage_py.write_text(original)
        project.commit("restore")
    out = run.stdout + run.stderr
    flagged = _flagged_changes(out)
    if regress:
        assert run.returncode == 1, out[-4000:]
        assert "parquet-python-zstd-rg1000" in out and "InitialLoad.track_delta_bytes" in out
        assert any(after - before > 60 * 2**20 for before, after, _ in flagged), out[-4000:]
    else:
        # asv's ratio test may call a megabyte of allocator noise in a small
        # figure worse (measured: the native load's 1.5 MiB delta at 1k prims
        # was 3.6 MiB in one run; the memory gate exists for this, see
        # tests/test_memory_gate.py). Nothing like the 64 MiB may be flagged.
        big = [row for before, after, row in flagged if abs(after - before) > 8 * 2**20]
        assert run.returncode in (0, 1) and not big, out[-4000:]


_ASV_BYTES = re.compile(r"^([\d.]+)(?:±[\d.]+)?([kMG]?)$")


def _asv_bytes(cell: str) -> float:
    """asv's figure ("1.53±0M", "845k", "0") in bytes (its prefixes are decimal)."""
    match = _ASV_BYTES.match(cell.strip())
    assert match, f"not an asv figure: {cell!r}"
    return float(match[1]) * {"": 1, "k": 1e3, "M": 1e6, "G": 1e9}[match[2]]


def _flagged_changes(out: str) -> list[tuple[float, float, str]]:
    """(before, after, row) of each figure asv continuous marked worse ("+")."""
    rows = [line for line in out.splitlines() if re.match(r"^\|\s*\+\s*\|", line)]
    return [(_asv_bytes(row.split("|")[2]), _asv_bytes(row.split("|")[3]), row) for row in rows]
