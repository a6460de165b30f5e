"""The scenario cache: instant second request, atomic files, kill safety, CLI."""

import dataclasses
import itertools
import os
import re
import signal
import subprocess
import sys
import time

import pyarrow.parquet as pq
import pytest

from usdbench import cache, profiles
from usdbench.formats import FORMAT_NAMES
from usdbench.prepare import prepare
from usdbench.scenario import GENERATOR_VERSION, Scenario


def _snapshot(directory):
    return {p.name: (p.stat().st_mtime_ns, p.stat().st_size) for p in directory.iterdir()}


def test_second_request_reuses_the_files(tmp_path, monkeypatch):
    monkeypatch.setenv("USDBENCH_CACHE", str(tmp_path))
    scenario = Scenario(200, "deep")
    first = cache.ensure(scenario, "usdz")
    assert first.directory == tmp_path / f"v{GENERATOR_VERSION}" / scenario.key
    before = _snapshot(first.directory)
    # A second request must not regenerate: no table is built, nothing rewritten.
    monkeypatch.setattr(Scenario, "property_table", lambda self: pytest.fail("regenerated"))
    again = cache.ensure(scenario, "usdz")
    assert again == first and _snapshot(first.directory) == before


def test_keys_separate_scenarios_and_options(tmp_path):
    a = cache.ensure(Scenario(100, "flat", seed=1), "parquet-python-zstd-rg100", root=tmp_path)
    b = cache.ensure(Scenario(100, "flat", seed=2), "parquet-python-zstd-rg100", root=tmp_path)
    c = cache.ensure(Scenario(100, "flat", seed=1), "parquet-python-zstd-rg1000", root=tmp_path)
    assert len({a.props, b.props, c.props}) == 3
    assert pq.read_table(a.props)["cost"] != pq.read_table(b.props)["cost"]


def test_unknown_format_is_an_error(tmp_path):
    from usdbench.errors import UsdBenchError

    with pytest.raises(UsdBenchError, match="unknown format 'parquet-lz4'"):
        cache.ensure(Scenario(10), "parquet-lz4", root=tmp_path)
    assert not any(tmp_path.rglob("*.parquet"))


def test_killed_generation_leaves_no_usable_file(tmp_path):
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "usdbench", "generate", "--scale", "300000", "--out", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, "generation ended before it could be killed"
            assert time.monotonic() < deadline
            # Frozen, the generator cannot publish the file between the look
            # and the kill, however late this process runs after the look.
            os.kill(proc.pid, signal.SIGSTOP)
            _, status = os.waitpid(proc.pid, os.WUNTRACED)
            assert os.WIFSTOPPED(status), "generation ended before it could be killed"
            if list(out.glob(".*.partial*")):  # a file is being written
                break
            os.kill(proc.pid, signal.SIGCONT)
            time.sleep(0.005)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    partial = list(out.glob(".*.partial*"))
    assert partial, "the kill should have caught a file mid-write"
    for p in partial:  # ".<stem>.<pid>.partial<suffix>" stands for "<stem><suffix>"
        target = out / (p.name[1:].split(".")[0] + p.suffix)
        assert not target.exists(), f"{target.name} was published while still partial"
    # The next generation cleans up and produces complete files.
    files = cache.materialize(Scenario(300000), ["parquet-python-zstd-rg10000"], out)
    assert pq.ParquetFile(files["parquet-python-zstd-rg10000"].props).metadata.num_rows == 300000
    assert not list(out.glob(".*.partial*"))


def test_cli_generates_every_format(tmp_path):
    out = tmp_path / "scene"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "usdbench",
            "generate",
            "--scale",
            "50",
            "--hierarchy",
            "deep",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    for fmt in FORMAT_NAMES:
        assert (out / f"root-{fmt}.usda").exists() and fmt in run.stdout
    assert {p.suffix for p in out.glob("props*")} == {".usda", ".usdc", ".usdz", ".parquet"}


def test_cli_rejects_bad_scale_without_traceback(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "usdbench", "generate", "--scale", "0", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2
    assert "scale must be at least 1" in run.stderr and "Traceback" not in run.stderr
    assert list(tmp_path.iterdir()) == []


def test_cli_help():
    run = subprocess.run(
        [sys.executable, "-m", "usdbench", "generate", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--scale" in run.stdout and "--hierarchy" in run.stdout and "--out" in run.stdout


def _profile(formats, scales, heavy_scales, hierarchies, families=()):
    return dataclasses.replace(
        profiles.get("quick"),
        name="test",
        formats=tuple(formats),
        scales=tuple(scales),
        heavy_scales=tuple(heavy_scales),
        hierarchies=tuple(hierarchies),
        families=tuple(families),
    )


def test_prepare_generates_only_what_the_memory_guard_lets_run(tmp_path, capsys):
    from usdbench import budget

    # A scale whose expected Parquet peak exceeds all the memory available.
    huge = int(budget.available_bytes() / budget.PEAK_BYTES_PER_PRIM["parquet-python"]) + 1
    profile = _profile(["usda", "parquet-python-zstd-rg1000"], [20, huge], [20], ["flat"])
    prepare(profile, root=tmp_path)
    out = capsys.readouterr().out
    small = cache.scenario_dir(Scenario(20, "flat"), tmp_path)
    assert {p.name for p in small.glob("root-*.usda")} == {
        "root-usda.usda",
        "root-parquet-python-zstd-rg1000.usda",
    }
    assert f"flat-{huge}-seed0: usda skipped:" in out
    assert f"flat-{huge}-seed0: parquet-python-zstd-rg1000 skipped:" in out
    assert "GiB available" in out
    assert not cache.scenario_dir(Scenario(huge, "flat"), tmp_path).exists()


@pytest.mark.slow  # 20k prims in three formats, in a child process: ~10 s
def test_prepare_returns_generation_memory_before_judging_the_next_scenario(tmp_path):
    import psutil

    # Generated in this process, 20k flat prims in these formats leave ~350 MiB
    # resident after materialize returns (measured), which the guard would then
    # count as taken. prepare writes each scenario in a child process, so this
    # process keeps none of it.
    profile = _profile(["usda", "usdc", "parquet-python-zstd-rg1000"], [20_000], [20_000], ["flat"])
    me = psutil.Process()
    before = me.memory_info().rss
    prepare(profile, root=tmp_path)
    grown = me.memory_info().rss - before
    written = cache.scenario_dir(Scenario(20_000, "flat"), tmp_path)
    assert (written / "props.usdc").stat().st_size > 0
    assert (written / "props-zstd-rg1000.parquet").stat().st_size > 0
    assert grown < 64 * 2**20, f"prepare kept {grown / 2**20:.0f} MiB"


def test_prepare_finds_a_cached_scenario_without_rewriting_it(tmp_path, capsys):
    profile = _profile(["usdz", "parquet-python-zstd-rg1000"], [20], [20], ["deep"])
    prepare(profile, root=tmp_path)
    assert "deep-20-seed0: ready" in capsys.readouterr().out
    written = cache.scenario_dir(Scenario(20, "deep"), tmp_path)
    before = _snapshot(written)
    prepare(profile, root=tmp_path)
    assert capsys.readouterr().out == "deep-20-seed0: cached\n"
    assert _snapshot(written) == before


def test_prepare_writes_the_families_with_their_formats(tmp_path, capsys):
    grid = profiles.FamilyGrid("sparse", (30,), (30,))
    profile = _profile(["usdc"], [20], [20], ["flat"], families=[grid])
    profile = dataclasses.replace(profile, family_formats=("usda", "parquet-native-zstd-rg100"))
    prepare(profile, root=tmp_path)
    out = capsys.readouterr().out
    assert "flat-20-seed0: ready" in out and "sparse-flat-30-seed0: ready" in out
    sparse = cache.scenario_dir(Scenario(30, "flat", family="sparse"), tmp_path)
    assert {p.name for p in sparse.glob("props*")} == {"props.usda", "props-zstd-rg100.parquet"}
    assert {p.name for p in cache.scenario_dir(Scenario(20), tmp_path).glob("props*")} == {
        "props.usda",  # usdc is written from it
        "props.usdc",
    }


def test_prepare_rejects_an_unknown_profile_by_name():
    run = subprocess.run(
        [sys.executable, "-m", "usdbench", "prepare", "--profile", "fast"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2
    assert "'fast'" in run.stderr and "quick" in run.stderr and "Traceback" not in run.stderr


def test_prepare_rejects_an_unknown_profile_from_the_environment():
    run = subprocess.run(
        [sys.executable, "-m", "usdbench", "prepare"],
        capture_output=True,
        text=True,
        env={**os.environ, "USDBENCH_PROFILE": "fast"},
    )
    assert run.returncode == 2
    assert "USDBENCH_PROFILE='fast'" in run.stderr and "quick" in run.stderr
    assert "Traceback" not in run.stderr


def test_prepare_profile_option_wins_over_the_environment(tmp_path):
    """--profile is passed to the domain as it is, whatever USDBENCH_PROFILE says."""
    run = subprocess.run(
        [sys.executable, "-m", "usdbench", "prepare", "--profile", "quick"],
        capture_output=True,
        text=True,
        env={**os.environ, "USDBENCH_PROFILE": "full", "USDBENCH_CACHE": str(tmp_path)},
    )
    assert run.returncode == 0, run.stderr[-3000:]
    quick = profiles.get("quick")
    assert run.stdout.startswith("== profile: quick\n")
    written = {p.name for p in (tmp_path / f"v{GENERATOR_VERSION}").iterdir()}
    every = itertools.chain(quick.scenarios(), quick.family_scenarios())
    assert written == {scenario.key for scenario, _ in every}
    assert {
        "series-flat-100-seed0-rows-frame",
        "arrays-flat-100-seed0-rows-scene-lists-plain",
    } <= written


def test_cli_generates_a_family(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "usdbench", "generate", "--scale", "4", "--family", "sparse"]
        + ["--formats", "usda", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "sparse-flat-4-seed0: 1 formats" in run.stdout
    text = (tmp_path / "props.usda").read_text()
    lines = re.findall(r"^(?:double|int|bool|string) [dibs]\d{3} = ", text, re.M)
    assert 0 < len(lines) < 4 * 200 * 0.2  # ~5% of 4 x 200 cells
    assert "temperature" not in text
