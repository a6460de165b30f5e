"""Memory timelines of the suite's operation (usdbench.timeline), recorded for real."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys

import pytest

from memtrack import Timeline
from tests.asv_project import REPO
from usdbench import profiles
from usdbench.errors import UsdBenchError
from usdbench.timeline.record import record_fresh, record_here
from usdbench.timeline.schema import (
    FAMILY_PHASES,
    OK,
    PHASES,
    SKIPPED,
    is_complete,
    read_timelines,
    timeline_path,
    write_timelines,
)

SCALE = 200


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("USDBENCH_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_one_format_in_a_fresh_process_has_its_phases_marked(cache):
    entry = record_fresh("usdc", SCALE, "flat")
    assert entry["status"] == OK, entry
    assert entry["values_read"] == SCALE * 20  # every property of every prim
    assert entry["exact"] and entry["method"] == "hwm"
    ends = entry["phase_ends_s"]
    assert len(ends) == len(PHASES) and ends == sorted(ends)
    assert 0 < entry["peak_bytes"] and abs(ends[-1] - entry["elapsed_s"]) < 1e-9
    tl = Timeline.from_dict(entry["timeline"])
    assert [label for label, _ in tl.marks] == ["start", *PHASES[:-1], "end"]
    assert tl.t_s[0] <= 0 and tl.t_s[-1] >= dict(tl.marks)["end"]
    assert tl.median_interval_s() <= 0.0011
    assert tl.split_source == "status" and tl.vm_size is not None


def test_a_combination_over_the_memory_guard_is_skipped_before_generating(cache):
    entry = record_here("usda", 10**12, "flat")
    assert entry["status"] == SKIPPED and "GiB" in entry["reason"]
    assert not list(cache.glob(f"**/*{10**12}*"))  # nothing generated for it


@pytest.mark.slow
def test_each_family_full_read_in_a_fresh_process_reads_every_value(cache):
    import numpy as np
    import pyarrow.compute as pc

    from usdbench.scenario import ARRAY_PROPERTIES, Scenario

    scale = 20
    for family in ("series", "arrays", "sparse"):
        table = Scenario(scale, "flat", family=family).property_table()
        entry = record_fresh("parquet-native-zstd-rg1000", scale, "flat", family=family)
        assert entry["status"] == OK, (family, entry)
        if family == "arrays":  # the sum of every element
            expected = sum(
                float(np.asarray(pc.list_flatten(table[n]).to_numpy()).sum(dtype=np.float64))
                for n in ARRAY_PROPERTIES
            )
            assert entry["values_read"] == pytest.approx(expected, rel=1e-9)
        else:  # every sample, every carried value
            names = [n for n in table.column_names if n not in ("path", "time")]
            assert entry["values_read"] == sum(
                table[n].length() - table[n].null_count for n in names
            )
        tl = Timeline.from_dict(entry["timeline"])
        assert [label for label, _ in tl.marks] == ["start", *FAMILY_PHASES[:-1], "end"]


def test_a_file_is_complete_only_with_every_family_format(tmp_path):
    path = tmp_path / "t.json.gz"
    ok, failed = {"status": OK}, {"status": "failed", "reason": "x"}
    family = {"operation": "o", "phases": [], "scale": 1, "hierarchy": "flat"}
    document = {"version": 1, "scale": 1, "formats": {"usdc": ok}}
    write_timelines(path, document | {"families": {"series": family | {"formats": {"usdc": ok}}}})
    assert is_complete(path, ["usdc"], {"series": ["usdc"]})
    assert not is_complete(path, ["usdc"], {"series": ["usdc", "usda"], "arrays": []})
    assert not is_complete(path, ["usdc"], {"arrays": ["usdc"]})
    write_timelines(
        path, document | {"families": {"series": family | {"formats": {"usdc": failed}}}}
    )
    assert not is_complete(path, ["usdc"], {"series": ["usdc"]})
    write_timelines(path, document)  # a file from before the families
    assert is_complete(path, ["usdc"]) and not is_complete(path, ["usdc"], {"series": ["usdc"]})
    write_timelines(path, document | {"families": {"series": {"scale": 1}}})
    with pytest.raises(UsdBenchError, match="t.json.gz"):
        read_timelines(path)


def test_bad_timelines_files_are_errors_naming_them(tmp_path):
    path = tmp_path / "t.json.gz"
    path.write_text("{not gzipped")
    with pytest.raises(UsdBenchError, match="t.json.gz"):
        read_timelines(path)
    path.write_bytes(gzip.compress(b"{not json"))
    with pytest.raises(UsdBenchError, match="t.json.gz"):
        read_timelines(path)
    path.write_bytes(gzip.compress(json.dumps({"version": 99, "formats": {}}).encode()))
    with pytest.raises(UsdBenchError, match="version 99"):
        read_timelines(path)


def _command(*args: str, cwd=REPO) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "usdbench", "timeline", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=900,
    )


def test_command_needs_a_machine(tmp_path):
    run = _command("--config", str(tmp_path / "asv.conf.json"))
    assert run.returncode == 2
    assert run.stderr.splitlines()[-1].endswith("the following arguments are required: --machine")


@pytest.mark.slow
def test_command_records_every_format_of_a_profile_once(cache, tmp_path):
    config = tmp_path / "asv.conf.json"
    config.write_text('{"version": 1, // a comment, as asv allows\n "results_dir": "res"}')
    commit = "0123456789abcdef0123456789abcdef01234567"
    args = ["--config", str(config), "--machine", "box", "--profile", "quick"]
    args += ["--scale", str(SCALE), "--commit", commit]
    run = _command(*args)
    assert run.returncode == 0, run.stderr[-3000:]
    path = timeline_path(tmp_path / "res", "box", commit)
    assert path == tmp_path / "res" / "box" / "timelines" / "01234567.json.gz"
    doc = read_timelines(path)
    quick = profiles.get("quick")
    assert list(doc["formats"]) == list(quick.formats)
    assert doc["scale"] == SCALE and doc["commit_hash"] == commit and doc["machine"] == "box"
    assert all(e["status"] == OK and e["timeline"] for e in doc["formats"].values())
    # A second run keeps the complete file; --force records again.
    before = path.stat().st_mtime_ns
    again = _command(*args)
    assert again.returncode == 0 and "already covers" in again.stdout
    assert path.stat().st_mtime_ns == before
    forced = _command(*args, "--force")
    assert forced.returncode == 0 and path.stat().st_mtime_ns != before
