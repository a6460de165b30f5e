"""`usdbench measure`: a user's multi-layer stage (a root, a sublayer, a
referenced asset with a payload) converted into every format, each checked
to compose the same stage, measured, tabled and reported; bad input gives a
clear error naming the file, exit status 2 and nothing half-written."""

import json
import os
import re
from pathlib import Path

import pytest

from tests.test_stage_dump import _write_scene
from usdbench import budget, workloads
from usdbench.cli import main
from usdbench.measure.environment import data_stages
from usdbench.measure.files import (
    PARQUET_FORMATS,
    USD_FORMATS,
    USER_FORMATS,
    ensure_user_files,
    user_dir,
    user_files,
)
from usdbench.measure.source import read_source

slow = pytest.mark.slow


def _parquet_converter() -> bool:
    try:
        from usdbench.convert import convert  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("USDBENCH_CACHE", str(cache))
    return cache


@pytest.fixture
def scene(tmp_path):
    directory = tmp_path / "scene"
    directory.mkdir()
    return _write_scene(directory)


def _formats_checked():
    return USER_FORMATS if _parquet_converter() else USD_FORMATS


def test_every_format_composes_the_source_stage(scene, cache_dir):
    manifest = ensure_user_files(scene)
    source = read_source(scene)
    assert [Path(f).name for f in source.files] == [
        "root.usda",
        "sub.usda",
        "asset.usda",
        "payload.usda",
    ]
    for fmt in _formats_checked():
        assert manifest["check"][fmt] == [], (fmt, manifest["check"][fmt])
        files = user_files(str(scene), manifest, fmt)
        assert files.root.is_file() and files.size() > 0, fmt
        stage = workloads.load_user(files)
        # Every layer of the converted stage is a converted file, none the source's.
        used = [layer.realPath for layer in stage.GetUsedLayers() if layer.realPath]
        assert used and not any(str(scene.parent) in p for p in used), (fmt, used)
    names = {fmt: [Path(p).name for p in manifest["formats"][fmt]["files"]] for fmt in USD_FORMATS}
    assert names["usdc"] == ["root.usdc", "sub.usdc", "asset.usdc", "payload.usdc"]
    assert names["usdz"] == ["root.usdz"]
    assert manifest["prims"] > 0 and manifest["unresolved"] == []


def test_a_usdz_stage_converts_layer_by_layer(scene, cache_dir, tmp_path):
    from pxr import Sdf, UsdUtils

    package = tmp_path / "shot.usdz"
    assert UsdUtils.CreateNewUsdzPackage(Sdf.AssetPath(str(scene)), str(package))
    manifest = ensure_user_files(package)
    source = read_source(package)
    assert source.files == [package] and len(source.layers) == 4
    for fmt in _formats_checked():
        assert manifest["check"][fmt] == [], (fmt, manifest["check"][fmt])
    # The packaged layers, under the package's stem.
    assert manifest["formats"]["usda"]["files"][1:] == [
        "usda/shot/sub.usda",
        "usda/shot/asset.usda",
        "usda/shot/payload.usda",
    ]


@pytest.mark.skipif(_parquet_converter(), reason="the Parquet converter is here: checked above")
def test_without_the_parquet_converter_its_formats_say_why(scene, cache_dir):
    manifest = ensure_user_files(scene)
    for fmt in PARQUET_FORMATS:
        assert "converter is not available" in manifest["check"][fmt][0]


def test_a_format_that_composes_differently_is_named(scene, cache_dir):
    manifest = ensure_user_files(scene)
    from pxr import Usd

    from usdbench.stage_dump import compare_dumps, dump_stage

    files = user_files(str(scene), manifest, "usdc")
    stage = workloads.load_user(files)
    stage.GetPrimAtPath("/World/Thing").GetAttribute("weight").Set(2.0)
    diffs = compare_dumps(dump_stage(Usd.Stage.Open(str(scene))), dump_stage(stage))
    assert diffs == ["/World/Thing.weight default: 1.5 in a, 2.0 in b"]


def test_converted_files_are_cached_by_content(scene, cache_dir, monkeypatch):
    manifest = ensure_user_files(scene)
    source = read_source(scene)
    entry, key = user_dir(source), source.content_key()
    assert manifest["key"] == key
    stamp = (entry / "manifest.json").stat().st_mtime_ns
    # Unchanged files: found without parsing or hashing the scene.
    from usdbench.measure import files

    monkeypatch.setattr(files, "read_source", None)
    assert ensure_user_files(scene) == manifest
    assert (entry / "manifest.json").stat().st_mtime_ns == stamp
    monkeypatch.undo()
    monkeypatch.setenv("USDBENCH_CACHE", str(cache_dir))
    # A byte changed in a referenced layer: a new entry.
    asset = scene.parent / "asset.usda"
    asset.write_text(asset.read_text().replace("0.25", "0.5"))
    changed = read_source(scene)
    assert changed.content_key() != key
    assert ensure_user_files(scene)["key"] == changed.content_key()
    assert user_dir(changed).is_dir() and entry.is_dir()
    # The same content in another place: the same entry, not converted again.
    copy = cache_dir.parent / "copy"
    copy.mkdir()
    for layer in changed.files:
        (copy / layer.name).write_bytes(layer.read_bytes())
    assert ensure_user_files(copy / "root.usda")["key"] == changed.content_key()
    # Nothing partial left beside the entries.
    assert not [p for p in entry.parent.iterdir() if ".partial" in p.name]


def test_the_memory_guard_skips_a_stage_too_large(scene, cache_dir, monkeypatch):
    monkeypatch.setattr(budget, "available_bytes", lambda: 1024)
    with pytest.raises(NotImplementedError, match=r"usdc of .*root\.usda \(\d+ prims\) expects"):
        workloads.prepare_user_benchmark("usdc", str(scene))


def test_data_stages_reads_the_environment():
    sep = os.pathsep
    env = {"USDBENCH_DATA": f" a.usda{sep}{sep}b.usdc{sep}a.usda "}
    assert data_stages(env) == ["a.usda", "b.usdc"]
    assert data_stages({}) == []


# -- bad input ----------------------------------------------------------------------


def _bad(capsys, tmp_path, stage, *extra):
    out = tmp_path / "out"
    code = main(["measure", str(stage), "--out", str(out), "--runs", "1", *extra])
    err = capsys.readouterr().err
    assert code == 2, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("usdbench measure: error: "), err
    assert not out.exists(), "partial output"
    return last


def _no_partial_cache(cache_dir):
    if cache_dir.exists():
        leftovers = [p for p in cache_dir.rglob("*") if ".partial" in p.name]
        assert not leftovers, leftovers


def test_a_missing_stage(capsys, tmp_path, cache_dir):
    missing = tmp_path / "nowhere" / "shot.usda"
    last = _bad(capsys, tmp_path, missing)
    assert f"file {missing}" in last and "no such stage file" in last


def test_an_unreadable_stage(capsys, tmp_path, cache_dir, scene):
    if os.geteuid() == 0:
        # Root reads any file: a link to a file whose first byte reads EIO.
        unreadable = tmp_path / "unreadable.usda"
        unreadable.symlink_to("/proc/self/mem")
        last = _bad(capsys, tmp_path, unreadable)
        assert str(unreadable) in last and "cannot read" in last, last
        return
    scene.chmod(0)
    try:
        last = _bad(capsys, tmp_path, scene)
    finally:
        scene.chmod(0o644)
    assert str(scene) in last and "not readable" in last


def test_a_directory_or_another_file_type(capsys, tmp_path, cache_dir):
    last = _bad(capsys, tmp_path, tmp_path)
    assert str(tmp_path) in last and "not a file" in last
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    assert "not a USD layer" in _bad(capsys, tmp_path, text)


def test_a_root_that_fails_to_parse(capsys, tmp_path, cache_dir):
    broken = tmp_path / "broken.usda"
    broken.write_text('#usda 1.0\ndef Xform "A" {\n  double x = \n')
    last = _bad(capsys, tmp_path, broken)
    assert f"file {broken}" in last and "USD cannot read the layer" in last
    _no_partial_cache(cache_dir)


def test_a_sublayer_that_fails_to_parse_is_named(capsys, tmp_path, cache_dir, scene):
    sub = scene.parent / "sub.usda"
    sub.write_text('#usda 1.0\nover "World" {{{\n')
    last = _bad(capsys, tmp_path, scene)
    assert f"file {sub}" in last, last
    _no_partial_cache(cache_dir)


@slow  # measures (a dozen fresh processes)
def test_an_unresolved_asset_is_listed_and_the_rest_measured(capsys, tmp_path, cache_dir, scene):
    root = scene.read_text().replace("@./asset.usda@", "@./missing_asset.usda@")
    scene.write_text(root)
    out = tmp_path / "out"
    code = main(["measure", str(scene), "--out", str(out), "--runs", "1", "--formats", "usdc"])
    captured = capsys.readouterr()
    assert code == 2
    last = captured.err.strip().splitlines()[-1]
    assert "@./missing_asset.usda@ in " + str(scene) in last, last
    assert "unresolved asset path" in captured.err
    # Measured where it could: the report and the table are complete.
    assert (out / "formats" / "index.html").is_file()
    assert re.search(r"^usdc\s+root\.usdc", captured.out, re.M), captured.out


# -- the whole command -----------------------------------------------------------------


@slow  # ~65 fresh processes
def test_measure_tables_and_reports_every_format(capsys, tmp_path, cache_dir, scene):
    out = tmp_path / "report"
    code = main(["measure", str(scene), "--out", str(out), "--runs", "1"])
    captured = capsys.readouterr()
    formats = _formats_checked()
    assert code == (0 if formats == USER_FORMATS else 1), captured.err[-3000:]
    table = captured.out
    rows = {line.split()[0]: line for line in table.splitlines() if line.split()}
    assert re.search(r"root\.usdc, sub\.usdc, asset\.usdc", rows["usdc"]), table
    if "parquet-native" in formats:
        assert ".parquet" in rows["parquet-native"] and ".parquet" in rows["parquet-python"]
    for fmt in formats:
        assert "failed" not in rows[fmt] and "skipped" not in rows[fmt], rows[fmt]
    assert "[1/" in captured.err  # progress
    figures = json.loads((out / "figures.json").read_text())
    measured = [f for f in figures["figures"] if f["format"] in formats]
    assert {f["format"] for f in measured} == set(formats)
    assert len(measured) == len(formats) * (1 + 6 * 3 + 1)  # size; time, peak, delta; retained
    for f in measured:
        assert f["failed"] is None and f["skipped"] is None, f
        if f["benchmark"].endswith(("time_operation", "track_file_bytes")):
            assert f["median"] > 0, f
        if f["benchmark"] == "user_data.UserLoad.track_peak_bytes":
            assert f["median"] > 0, f
    assert Path(figures["files"]["usdc"][0]).name == "root.usdc"
    page = (out / "formats" / "index.html").read_text()
    assert f"Stage {scene}: Sizes" in page and f"Stage {scene}: Memory by operation" in page
    assert "user_data.UserFlatten.time_operation" in page
    assert (out / "table.txt").read_text().strip() in table


def test_report_gives_each_stage_its_own_sections():
    from usdbench.measure.run import Figure, Measurement, report_rows, text_table
    from usdbench.report.charts import plan_sections
    from usdbench.report.data import Row

    def measured(stage):
        figures = [
            Figure("UserFileSize", "track_file_bytes", f, [1000.0 + i])
            for i, f in enumerate(("usdc", "parquet-native"))
        ]
        figures += [
            Figure("UserLoad", m, f, [0.5, 0.7, 0.6])
            for m in ("time_operation", "track_peak_bytes")
            for f in ("usdc", "parquet-native")
        ]
        figures += [
            Figure("UserFlatten", "track_peak_bytes", f, [2048.0])
            for f in ("usdc", "parquet-native")
        ]
        return Measurement(
            stage,
            "k-0123",
            3,
            ["usdc", "parquet-native"],
            {
                "usdc": ["/c/root.usdc"],
                "parquet-native": ["/c/root.usda", "/c/root.defaults.parquet"],
            },
            {"usdc": [], "parquet-native": []},
            [],
            figures,
            10,
        )

    suite_row = Row(
        "load.InitialLoad.track_peak_bytes",
        "InitialLoad",
        "track_peak_bytes",
        "track",
        "bytes",
        (("format", "usdc"), ("scale", "1000")),
        5.0,
        "ok",
    )
    rows = [suite_row, *report_rows(measured("/a/shot.usda")), *report_rows(measured("/b/x.usdz"))]
    titles = [s.title for s in plan_sections(rows)]
    assert "Stage /a/shot.usda: Sizes" in titles and "Stage /b/x.usdz: Sizes" in titles
    assert "Stage /a/shot.usda: Memory by operation" in titles
    sections = {s.title: s for s in plan_sections(rows)}
    for title, section in sections.items():
        stages = {r.param("stage") for chart in section.charts for r in chart.rows}
        assert len(stages) == 1, (title, stages)  # never two stages, nor the suite's, in one chart
    load = next(
        r
        for r in report_rows(measured("/a/shot.usda"))
        if r.metric == "time_operation" and r.param("format") == "usdc"
    )
    assert load.benchmark == "user_data.UserLoad.time_operation" and load.value == 0.6
    assert (load.q25, load.q75) == pytest.approx((0.55, 0.65))
    table = text_table(measured("/a/shot.usda"))
    assert re.search(r"^usdc\s+root\.usdc\s+1000 B\s+600 ms / ", table, re.M), table
    assert re.search(r"^parquet-native\s+root\.usda, root\.defaults\.parquet", table, re.M), table


def test_a_killed_conversions_leftovers_are_removed(scene, cache_dir):
    entry = user_dir(read_source(scene))
    leftover = entry.parent / f".{entry.name}.partial-killed"
    (leftover / "usda").mkdir(parents=True)
    ensure_user_files(scene)
    assert (entry / "manifest.json").is_file() and not leftover.exists()


def test_prepare_converts_the_data_stages_into_the_cache(scene, cache_dir, monkeypatch, capsys):
    from usdbench.prepare import prepare_user_stages

    monkeypatch.setenv("USDBENCH_DATA", str(scene))
    prepare_user_stages(cache_dir)
    assert f"{scene}: ready" in capsys.readouterr().out
    entry = user_dir(read_source(scene), cache_dir)
    assert json.loads((entry / "manifest.json").read_text())["check"]["usdc"] == []


def test_a_time_figure_is_taken_with_the_garbage_collector_off_as_asv_does():
    import gc

    from usdbench.measure.child import _timed

    class Bench:
        def time_operation(self, *params):
            self.seen = (gc.isenabled(), params)

    bench = Bench()
    assert gc.isenabled()
    assert _timed(bench, ["usdc", "x.usda"]) >= 0
    assert bench.seen == (False, ("usdc", "x.usda")) and gc.isenabled()
