"""The format comparison report, built from a real asv results database (the toy project)."""

from __future__ import annotations

import ast
import filecmp
import gzip
import itertools
import json
import math
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import plotly
import pytest

from memtrack import Timeline
from tests.asv_project import REPO, combinations_from_benchmarks_json
from tests.toy_suite import TOY_FORMATS, toy_combinations
from usdbench.report import load_report_data, prepare_asv_site, render_page, write_report
from usdbench.report.asv_site import CDN_COPIES, LINK_ID
from usdbench.report.charts import plan_sections
from usdbench.report.data import OK, Row
from usdbench.report.extra_sections import growth_section
from usdbench.report.growth import SUPERLINEAR, fit_exponent, growth_fits
from usdbench.report.palette import KNOWN_FORMATS, format_colours, ordered_formats
from usdbench.report.timeline_charts import value_at
from usdbench.report.units import format_bytes, format_seconds, format_value
from usdbench.timeline import timeline_path

BYTES_TEXT = re.compile(r"^-?\d+(\.\d+)? (B|KiB|MiB|GiB|TiB)$")
TIME_TEXT = re.compile(r"^\d+(\.\d+)? (ns|µs|ms|s)$")


def _key(benchmark: str, params: dict) -> tuple:
    return benchmark, tuple(sorted(params.items()))


class _TableParser(HTMLParser):
    """Rows of the #figures table: attributes of each <tr> and the text of its cells."""

    def __init__(self):
        super().__init__()
        self.rows: list[tuple[dict, list[str]]] = []
        self.headers: list[str] = []
        self._in_table = self._in_cell = self._in_th = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id") == "figures":
            self._in_table = True
        elif self._in_table and tag == "tr" and "data-benchmark" in attrs:
            self.rows.append((attrs, []))
        elif self._in_table and tag == "td" and self.rows:
            self.rows[-1][1].append("")
            self._in_cell = True
        elif self._in_table and tag == "th":
            self.headers.append("")
            self._in_th = True

    def handle_endtag(self, tag):
        if tag == "table":
            self._in_table = False
        elif tag == "td":
            self._in_cell = False
        elif tag == "th":
            self._in_th = False

    def handle_data(self, data):
        if self._in_cell:
            self.rows[-1][1][-1] += data
        elif self._in_th:
            self.headers[-1] += data


def _table(html: str) -> tuple[list[str], dict[tuple, dict[str, str]]]:
    parser = _TableParser()
    parser.feed(html)
    table = {}
    for attrs, cells in parser.rows:
        key = _key(attrs["data-benchmark"], json.loads(attrs["data-params"]))
        assert key not in table, f"two rows for {key}"
        table[key] = dict(zip(parser.headers, cells, strict=True)) | {
            "_status": attrs["data-status"]
        }
    return parser.headers, table


def asv_figures(results_dir: Path, commit: str) -> dict[tuple, float | None]:
    """Every figure of a commit's asv result file, read here with json alone (not
    the report's reader): (benchmark, params) -> value, None where asv recorded
    none (failed), NaN where it was skipped."""
    (path,) = Path(results_dir).glob(f"*/{commit[:8]}-*.json")
    doc = json.loads(path.read_text())
    benchmarks = json.loads((Path(results_dir) / "benchmarks.json").read_text())
    columns = doc["result_columns"]
    figures = {}
    for name, entry in doc["results"].items():
        row = dict(zip(columns, entry, strict=False))
        names = benchmarks[name].get("param_names") or []
        combos = list(itertools.product(*row["params"])) or [()]
        values = row["result"] or [None] * len(combos)
        for combo, value in zip(combos, values, strict=True):
            params = {n: _shown(v) for n, v in zip(names, combo, strict=True)}
            figures[_key(name, params)] = value
    return figures


def _shown(value_repr: str) -> str:
    value = ast.literal_eval(value_repr)
    return str(value)


def charts(html: str) -> dict[str, dict]:
    """Each chart of the page by its div's id: its data- attributes and its Plotly figure."""
    divs = {
        m[1]: {"kind": m[2], "figure_id": m[3], "benchmarks": m[4].split()}
        for m in re.finditer(
            r'<div id="(chart-[^"]+)" class="chart" data-kind="([^"]+)" '
            r'data-figure="([^"]*)" data-benchmarks="([^"]*)"></div>',
            html,
        )
    }
    blocks = re.findall(
        r'<script type="application/json" class="chart-data" data-chart="([^"]+)">(.*?)</script>',
        html,
        re.S,
    )
    assert sorted(divs) == sorted(b for b, _ in blocks), "a chart without its data or div"
    for div_id, text in blocks:
        divs[div_id]["figure"] = json.loads(text)
    return divs


def asv_points(figure: dict) -> list[tuple[dict, float | None, list]]:
    """(trace, plotted y, customdata) of every point of a chart of asv's figures."""
    return [
        (trace, y, point)
        for trace in figure["data"]
        for y, point in zip(trace["y"], trace["customdata"], strict=True)
    ]


def plotted_unit(pairs) -> float:
    """The one size (B, KiB, MiB...; s, ms...) a chart's (plotted, exact) values are in."""
    ratios = [exact / y for y, exact in pairs if y]
    sizes = [1024.0**k for k in range(5)] + [1e-9, 1e-6, 1e-3]
    (size,) = [s for s in sizes if all(abs(r / s - 1) < 1e-9 for r in ratios)]
    return size


def test_every_combination_has_one_row_with_its_status_and_figure(toy_asv_project):
    data = load_report_data(toy_asv_project.config_path)
    assert data.commit_hash == toy_asv_project.commits[-1]  # newest by default
    rows = {_key(r.benchmark, r.params_dict): r for r in data.rows}
    expected = toy_asv_project.combinations
    assert len(data.rows) == len(rows) == len(expected)
    for combo in expected:
        row = rows[_key(combo.benchmark, combo.params)]
        assert row.status == combo.status, combo
        if combo.value is not None:
            assert row.value == combo.value, combo
        if combo.status != "ok":
            assert row.value is None
        elif row.unit == "seconds":
            assert 0 < row.value < 1
    units = {r.benchmark: r.unit for r in data.rows}
    assert units["bench.Load.track_peak_bytes"] == "bytes"
    assert units["bench.Traverse.time_operation"] == "seconds"


def test_benchmark_list_helper_agrees_with_the_toy_definition(toy_asv_project):
    listed = combinations_from_benchmarks_json(toy_asv_project.config_path.parent / "results")
    assert sorted(_key(c.benchmark, c.params) for c in listed) == sorted(
        _key(c.benchmark, c.params) for c in toy_asv_project.combinations
    )


def test_older_commit_by_prefix_shows_its_own_figures(toy_asv_project):
    old = toy_asv_project.commits[0]
    data = load_report_data(toy_asv_project.config_path, commit=old[:6])
    assert data.commit_hash == old
    expected = toy_combinations(multiplier=1, file_size_only=True)
    got = {_key(r.benchmark, r.params_dict): (r.status, r.value) for r in data.rows}
    assert got == {_key(c.benchmark, c.params): (c.status, c.value) for c in expected}
    assert "bench.Load.track_peak_bytes" in data.not_run


def _cli(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "usdbench.report", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
    )


def _config_copy(project, tmp_path: Path, results_dir: Path | None = None) -> Path:
    """The toy's config writing into tmp_path/html, so the shared site stays untouched."""
    config = json.loads(project.config_path.read_text())
    config["results_dir"] = str(results_dir or project.config_path.parent / "results")
    config["html_dir"] = str(tmp_path / "html")
    path = tmp_path / "asv.conf.json"
    path.write_text(json.dumps(config))
    return path


def test_command_writes_the_report_for_a_chosen_commit(toy_asv_project, tmp_path):
    config = _config_copy(toy_asv_project, tmp_path)
    old = toy_asv_project.commits[0]
    proc = _cli(["--config", str(config), "--commit", old[:10], "--machine", "testmachine"])
    assert proc.returncode == 0, proc.stderr
    report = tmp_path / "html" / "formats" / "index.html"
    assert str(report) in proc.stdout
    html = report.read_text()
    assert f"USD format comparison at {old[:8]}" in html
    # FileSize usda (format 2 of 4), scale 1000, deep, old commit: 2 * 1000 * 300 B = 586 KiB.
    _, table = _table(html)
    row = table[
        _key(
            "bench.FileSize.track_file_bytes",
            {"format": "usda", "scale": "1000", "hierarchy": "deep"},
        )
    ]
    assert row["value"] == "586 KiB"


def test_unknown_commit_is_an_error_naming_it(toy_asv_project, tmp_path):
    config = _config_copy(toy_asv_project, tmp_path)
    proc = _cli(["--config", str(config), "--commit", "deadbeef"])
    assert proc.returncode == 2
    assert "'deadbeef'" in proc.stderr
    assert toy_asv_project.commits[-1][:8] in proc.stderr  # lists what is there
    assert not (tmp_path / "html").exists()


def test_unknown_machine_and_missing_results_are_errors(toy_asv_project, tmp_path):
    config = _config_copy(toy_asv_project, tmp_path)
    proc = _cli(["--config", str(config), "--machine", "nosuchbox"])
    assert proc.returncode == 2
    assert "'nosuchbox'" in proc.stderr and "testmachine" in proc.stderr

    empty = tmp_path / "empty-results"
    empty.mkdir()
    config = _config_copy(toy_asv_project, tmp_path, results_dir=empty)
    proc = _cli(["--config", str(config)])
    assert proc.returncode == 2
    assert "no asv results" in proc.stderr and str(empty) in proc.stderr

    proc = _cli(["--config", str(tmp_path / "missing.json")])
    assert proc.returncode == 2 and "missing.json" in proc.stderr


def test_table_has_a_row_per_combination_with_human_units(toy_asv_project, tmp_path):
    data = load_report_data(toy_asv_project.config_path)
    html = write_report(data, html_dir=tmp_path).read_text()
    headers, table = _table(html)
    assert headers[:5] == ["operation", "metric", "format", "scale", "hierarchy"]
    assert {"value", "unit", "status"} <= set(headers)
    assert len(table) == len(toy_asv_project.combinations)
    for combo in toy_asv_project.combinations:
        row = table[_key(combo.benchmark, combo.params)]
        assert row["_status"] == row["status"] == combo.status
        if combo.status != "ok":
            assert row["value"] == combo.status  # shown, not left out
        elif row["unit"] == "bytes":
            assert BYTES_TEXT.match(row["value"]), row
        else:
            assert row["unit"] == "seconds" and TIME_TEXT.match(row["value"]), row

    def value(benchmark, **params):
        return table[_key(benchmark, {k: str(v) for k, v in params.items()})]["value"]

    # Worked by hand from the toy's definitions (multiplier 2 at the newest commit).
    # custom is format 3 of 4: peak = 3 * 1000 * 1024 * 2 = 6144000 B = 5.86 MiB.
    assert value("bench.Load.track_peak_bytes", format="custom", scale=1000) == "5.86 MiB"
    # parquet is format 1: delta = (0 - 1) * 100 * 512 * 2 = -102400 B = -100 KiB.
    assert value(
        "bench.Traverse.track_delta_bytes", format="parquet-native-zstd-rg1000", scale=100
    ) == ("-100 KiB")
    # usda is format 2: file = 2 * 10 * 200 * 2 = 8000 B = 7.81 KiB.
    assert value("bench.FileSize.track_file_bytes", format="usda", scale=10, hierarchy="flat") == (
        "7.81 KiB"
    )
    assert value("bench.Load.time_operation", format="usda", scale=1000) == "failed"
    assert value("bench.Traverse.time_operation", format="usdc", scale=1000) == "skipped"
    assert TIME_TEXT.match(value("bench.Overhead.time_nothing"))
    assert 'href="../index.html"' in html  # back to the asv site


def test_charts_carry_asv_figures_with_one_colour_per_format(toy_asv_project):
    data = load_report_data(toy_asv_project.config_path)
    figures = asv_figures(toy_asv_project.config_path.parent / "results", data.commit_hash)
    found = charts(render_page(data))
    assert {c["kind"] for c in found.values()} == {"bar", "line", "growth"}
    drawn: dict[tuple, str] = {}
    colours: dict[str, set[str]] = {}
    for div_id, chart in found.items():
        figure = chart["figure"]
        points = asv_points(figure)
        assert any(y is not None for _, y, _ in points), f"{div_id} draws nothing"
        per_prim = chart["kind"] == "growth"
        size = plotted_unit(
            (y, p[0] / (float(json.loads(p[3])["scale"]) if per_prim else 1.0))
            for _, y, p in points
            if y is not None
        )
        names = [t["name"] for t in figure["data"]]
        assert names == ordered_formats(names), div_id  # the legend in the fixed order
        for trace, y, (value, status, benchmark, params) in points:
            key = _key(benchmark, json.loads(params))
            assert benchmark in chart["benchmarks"], (div_id, benchmark)
            assert json.loads(params)["format"] == trace["name"]
            if status == "ok":
                # The figure is asv's, exactly; the bar or point is drawn at it
                # (per prim on the growth charts).
                assert value == figures[key], key
                per = float(json.loads(params)["scale"]) if chart["kind"] == "growth" else 1.0
                assert y * size == pytest.approx(value / per, rel=1e-12), key
            else:
                assert y is None and value is None, key
                assert figures[key] is None or math.isnan(figures[key]), key
            if chart["kind"] != "growth":
                drawn[key] = status
            colour = trace.get("marker", {}).get("color") or trace["line"]["color"]
            colours.setdefault(trace["name"], set()).add(colour)
    # Every format combination is in some chart, measured or marked skipped/failed;
    # a benchmark without a format parameter is left to the table.
    for combo in toy_asv_project.combinations:
        status = combo.status if "format" in combo.params else None
        assert drawn.get(_key(combo.benchmark, combo.params)) == status, combo
    assert all(len(c) == 1 for c in colours.values()), colours
    assert len({next(iter(c)) for c in colours.values()}) == len(colours)
    assert colours["usda"] == {format_colours(["usda"])["usda"]}


def test_axes_are_logarithmic_where_figures_span_decades(toy_asv_project):
    found = charts(render_page(load_report_data(toy_asv_project.config_path)))
    for div_id, chart in found.items():
        layout = chart["figure"]["layout"]
        xs = [x for t in chart["figure"]["data"] for x in t["x"]]
        if chart["kind"] == "growth":
            assert layout["xaxis"]["type"] == layout["yaxis"]["type"] == "log", div_id
        elif chart["kind"] == "line":
            # The toy's scales are 10, 100 and 1000 prims.
            assert sorted(set(xs)) == [10.0, 100.0, 1000.0]
            assert layout["xaxis"]["type"] == "log", div_id
        else:
            assert layout["xaxis"]["type"] == "category", div_id


def test_hover_gives_the_rounded_and_the_exact_figure(toy_asv_project):
    found = charts(render_page(load_report_data(toy_asv_project.config_path)))
    peak = found["chart-track-peak-bytes-scale-1000"]
    assert "bench.Load.track_peak_bytes" in peak["benchmarks"]
    (custom,) = [t for t in peak["figure"]["data"] if t["name"] == "custom"]
    i = next(i for i, p in enumerate(custom["customdata"]) if "Load.track_peak" in p[2])
    # custom is format 3 of 4: peak = 3 * 1000 * 1024 * 2 = 6144000 B.
    assert custom["customdata"][i][0] == 6144000
    assert "<b>5.86 MiB</b> (6,144,000 B)" in custom["hovertext"][i]


def test_report_folder_has_plotly_js_and_no_network_reference(toy_asv_project, tmp_path):
    data = load_report_data(toy_asv_project.config_path)
    html = write_report(data, html_dir=tmp_path).read_text()
    js = tmp_path / "formats" / "plotly.min.js"
    shipped = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    assert filecmp.cmp(js, shipped, shallow=False)
    assert html.count('<script src="plotly.min.js"></script>') == 1
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    before = js.stat().st_mtime_ns
    write_report(data, html_dir=tmp_path)
    assert js.stat().st_mtime_ns == before  # copied once, not at every write


def test_the_report_reads_asv_files_without_importing_asv(toy_asv_project, tmp_path):
    # asv is a development tool; the installed report must not need it.
    code = (
        "import sys\n"
        "sys.modules['asv'] = None  # any import of asv fails\n"
        "from usdbench.report import load_report_data, write_report\n"
        f"data = load_report_data({str(toy_asv_project.config_path)!r})\n"
        f"write_report(data, html_dir={str(tmp_path)!r})\n"
        "print(len(data.rows))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert run.returncode == 0, run.stderr[-3000:]
    assert int(run.stdout) == len(toy_asv_project.combinations)
    assert (tmp_path / "formats" / "index.html").stat().st_size > 0


def _bytes_rows(operation: str, metric: str) -> list[Row]:
    return [
        Row(f"bench.{operation}.{metric}", operation, metric, "track", "bytes",
            (("format", fmt),), 1024.0, OK)
        for fmt in ("usda", "usdc")
    ]  # fmt: skip


def test_sections_follow_the_data_not_the_benchmark_names():
    # A bytes figure several operations report is memory by operation, even
    # with "file" in its name; one that a single benchmark reports is a size.
    peak = "track_file_peak_bytes"
    rows = _bytes_rows("Load", peak) + _bytes_rows("Read", peak)
    rows += _bytes_rows("Disk", "track_bytes")
    sections = {s.id: s for s in plan_sections(rows)}
    assert set(sections) == {"memory", "sizes"}
    (memory,) = sections["memory"].charts
    assert [label for label, _ in memory.groups] == ["Load", "Read"]
    (size,) = sections["sizes"].charts
    assert {r.operation for _, group in size.groups for r in group} == {"Disk"}


def _family_rows(module: str, operation: str) -> list[Row]:
    return [
        Row(f"{module}.{operation}.track_peak_bytes", operation, "track_peak_bytes", "track",
            "bytes", (("format", fmt),), 2048.0, OK)
        for fmt in ("usdc", "parquet-native-zstd-rg1000")
    ]  # fmt: skip


def test_each_scenario_family_has_sections_of_its_own():
    props = _bytes_rows("Load", "track_peak_bytes") + _bytes_rows("Read", "track_peak_bytes")
    series = _family_rows("series", "SeriesLoad") + _family_rows("series", "SeriesFrame")
    sparse = _family_rows("sparse", "SparseLoad") + _family_rows("sparse", "SparseAuthored")
    sections = plan_sections(sparse + props + series)
    assert [s.id for s in sections] == ["memory", "series-memory", "sparse-memory"]
    by_id = {s.id: s for s in sections}
    assert by_id["series-memory"].title == "Series family: Memory by operation"
    operations = {
        sid: {r.operation for chart in by_id[sid].charts for r in chart.rows} for sid in by_id
    }
    assert operations == {
        "memory": {"Load", "Read"},
        "series-memory": {"SeriesLoad", "SeriesFrame"},
        "sparse-memory": {"SparseLoad", "SparseAuthored"},
    }
    ids = [chart.id for s in sections for chart in s.charts]
    assert len(ids) == len(set(ids))


def test_asv_site_is_made_offline_and_links_to_the_report(toy_asv_project):
    html_dir = toy_asv_project.html_dir
    assert prepare_asv_site(html_dir)
    assert prepare_asv_site(html_dir)  # twice: still one link
    index = (html_dir / "index.html").read_text()
    assert index.count(LINK_ID) == 1
    assert 'href="formats/index.html"' in index
    assert not re.search(r'<script[^>]+src="https?://', index)
    assert not re.search(r'<link[^>]+stylesheet[^>]+href="https?://', index)
    for name in CDN_COPIES.values():
        assert (html_dir / "vendor" / name).is_file()
        assert f'vendor/{name}"' in index
    # Byte-identical copies keep the CDN's integrity hash; rebuilt ones lose it.
    jquery_tag = re.search(r"<script[^>]+vendor/jquery-3.3.1.min.js[^>]*>", index).group(0)
    assert "integrity=" in jquery_tag
    flot_tag = re.search(r"<script[^>]+vendor/jquery.flot-0.8.3.js[^>]*>", index).group(0)
    assert "integrity=" not in flot_tag


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "0 B"),
        (1023, "1023 B"),
        (1024, "1.00 KiB"),
        (1536, "1.50 KiB"),
        (1048575, "1.00 MiB"),
        (1.5 * 2**20, "1.50 MiB"),
        (250 * 2**20, "250 MiB"),
        (3 * 2**30, "3.00 GiB"),
        (-10240, "-10.0 KiB"),
    ],
)
def test_format_bytes(n, text):
    assert format_bytes(n) == text


@pytest.mark.parametrize(
    ("s", "text"),
    [(0.0123, "12.3 ms"), (2.5, "2.50 s"), (4.2e-5, "42.0 µs"), (0.99996, "1.00 s"), (0, "0 s")],
)
def test_format_seconds(s, text):
    assert format_seconds(s) == text


def test_format_value_other_units_and_missing():
    assert format_value(None, "bytes") == ""
    assert format_value(math.nan, "seconds") == ""
    assert format_value(12345.0, "prims") == "12,345 prims"
    assert format_value(0.125, "ratio") == "0.125 ratio"
    assert format_value(3.0, "unit") == "3"


def test_format_order_and_colours_are_fixed():
    given = [
        "parquet-native-zstd-rg100",
        "zz",
        "usdz",
        "usda",
        "parquet-native-none-rg10000",
        "aa",
        "usdc",
    ]
    assert ordered_formats(given) == [
        "usda",
        "usdc",
        "usdz",
        "parquet-native-none-rg10000",
        "parquet-native-zstd-rg100",
        "aa",
        "zz",
    ]
    assert KNOWN_FORMATS[3:6] == [
        "parquet-native-none-rg100",
        "parquet-native-none-rg1000",
        "parquet-native-none-rg10000",
    ]
    colours = format_colours(KNOWN_FORMATS + ["aa", "zz"])
    assert len(set(colours.values())) == len(colours)
    # A format's colour does not depend on which other formats a chart has.
    assert format_colours(["usdc"])["usdc"] == colours["usdc"]
    assert format_colours(["parquet-native-snappy-rg1000", "usda"]) == {
        "usda": colours["usda"],
        "parquet-native-snappy-rg1000": colours["parquet-native-snappy-rg1000"],
    }


def _growth_table(html: str) -> dict[tuple[str, str], str]:
    """(benchmark, format) -> the text of its cell in the growth table."""
    table = re.search(r'<table id="growth-table">.*?</table>', html, re.S).group(0)
    cells = {}
    for row in re.finditer(r'<tr data-benchmark="([^"]+)">(.*?)</tr>', table, re.S):
        for cell in re.finditer(r'<td class="[^"]*" data-format="([^"]+)"([^>]*)>([^<]*)<', row[2]):
            title = re.search(r'title="([^"]*)"', cell[2])
            text = cell[3] if cell[3] != "–" else f"– {title[1]}"
            cells[(row[1], cell[1])] = text
    return cells


def test_growth_of_a_linear_figure_is_one(toy_asv_project):
    # The toy's peak is (format index + 1) * scale * 2 KiB: linear in the scale.
    html = render_page(load_report_data(toy_asv_project.config_path))
    exponents = _growth_table(html)
    peak = {f: k for (b, f), k in exponents.items() if b == "bench.Load.track_peak_bytes"}
    assert set(peak) == set(TOY_FORMATS)
    # usda failed and usdc was skipped at 1000: theirs are fitted on 10 and 100.
    for fmt, k in peak.items():
        assert abs(float(k) - 1.0) <= 0.05, (fmt, k)
    # The growth chart of the peak draws a point per measured figure, none for the rest.
    (chart,) = [
        c for c in charts(html).values()
        if c["kind"] == "growth" and c["benchmarks"] == ["bench.Load.track_peak_bytes"]
    ]  # fmt: skip
    assert "<h3>Load — peak bytes per prim</h3>" in html
    by_format = {t["name"]: t["x"] for t in chart["figure"]["data"]}
    assert by_format["usda"] == [10.0, 100.0]  # failed at 1000
    assert by_format["custom"] == [10.0, 100.0, 1000.0]
    # A negative figure (the toy's delta of format 1) has no exponent: said, not invented.
    delta = {f: k for (b, f), k in exponents.items() if b == "bench.Load.track_delta_bytes"}
    assert delta["parquet-native-zstd-rg1000"] == "– a figure at or below zero"


def test_fitted_exponent_of_synthetic_series():
    scales = [1_000, 10_000, 100_000, 1_000_000]
    wobble = [1.03, 0.97, 1.02, 0.99]  # a few percent of noise, as measured figures have
    linear = [5e3 * s * w for s, w in zip(scales, wobble, strict=True)]
    assert abs(fit_exponent(scales, linear) - 1.0) <= 0.05
    assert abs(fit_exponent(scales, [2.0 * s**1.3 for s in scales]) - 1.3) < 1e-9
    assert abs(fit_exponent(scales, [7.0] * 4)) < 1e-9  # a fixed cost does not grow
    assert fit_exponent([1_000], [1.0]) is None
    assert fit_exponent([1_000, 10_000], [1.0, 0.0]) is None


def test_superlinear_growth_is_marked():
    def rows(fmt, k):
        return [
            Row("bench.Save.track_peak_bytes", "Save", "track_peak_bytes", "track", "bytes",
                (("format", fmt), ("scale", str(s))), float(s**k), OK)
            for s in (1_000, 10_000, 100_000)
        ]  # fmt: skip

    fits = {f.format: f for f in growth_fits(rows("usda", 1.0) + rows("usdc", 1.25))}
    assert not fits["usda"].superlinear and fits["usdc"].superlinear
    assert SUPERLINEAR == 1.1
    data_rows = rows("usda", 1.0) + rows("usdc", 1.25)
    html = growth_section(data_rows).extra_html
    assert html.count("superlinear") == 1
    assert re.search(r'class="num exponent superlinear" data-format="usdc"', html)


MiB = 2**20


def _timeline(anon_mib: float, file_mib: float, vm_mib: float) -> dict:
    """A synthetic 100 ms timeline rising linearly to its split, phases at 40 and 60 ms."""
    t = [i / 1000 for i in range(-2, 101)]
    ramp = [max(0.0, min(1.0, x / 0.08)) for x in t]
    base = 100 * MiB
    anon = [int(base + r * anon_mib * MiB) // 1024 * 1024 for r in ramp]
    file = [int(base / 2 + r * file_mib * MiB) // 1024 * 1024 for r in ramp]
    shmem = [0] * len(t)
    return Timeline(
        t_s=t,
        rss=[a + f for a, f in zip(anon, file, strict=True)],
        anon=anon,
        file=file,
        shmem=shmem,
        vm_size=[int(4 * base + r * vm_mib * MiB) // 1024 * 1024 for r in ramp],
        marks=[("start", 0.0), ("open + compose", 0.04), ("first value", 0.06), ("end", 0.1)],
    ).to_dict()


def _with_timelines(project, tmp_path: Path, document) -> Path:
    """A copy of the toy's results with a timelines file for its newest commit."""
    results = tmp_path / "results"
    shutil.copytree(project.config_path.parent / "results", results)
    path = timeline_path(results, "testmachine", project.commits[-1])
    path.parent.mkdir(parents=True)
    text = document if isinstance(document, str) else json.dumps(document)
    path.write_bytes(gzip.compress(text.encode()))
    return _config_copy(project, tmp_path, results_dir=results)


def test_timeline_charts_draw_each_format_with_its_phases_and_split(toy_asv_project, tmp_path):
    entry = {"status": "ok", "elapsed_s": 0.1, "phase_ends_s": [0.04, 0.06, 0.1]}
    document = {
        "version": 1,
        "operation": "load + full traversal",
        "phases": ["open + compose", "first value", "traversal"],
        "scale": 1000,
        "hierarchy": "flat",
        "interval_s": 0.001,
        "formats": {
            "usdc": entry | {"peak_bytes": 31 * MiB, "timeline": _timeline(10, 20, 300)},
            "usda": entry | {"peak_bytes": 41 * MiB, "timeline": _timeline(40, 0, 8)},
            "custom": {"status": "skipped", "reason": "over the toy guard"},
        },
    }
    config = _with_timelines(toy_asv_project, tmp_path, document)
    html = render_page(load_report_data(config))
    found = charts(html)
    # Resident memory, then virtual size; one split chart.
    assert [k for k, c in found.items() if c["kind"] in ("timeline", "split")] == [
        "chart-timeline-rss",
        "chart-timeline-split",
        "chart-timeline-vm-size",
    ]
    for column, div_id in (("rss", "chart-timeline-rss"), ("vm_size", "chart-timeline-vm-size")):
        traces = found[div_id]["figure"]["data"]
        lines = {t["name"]: t for t in traces if t["type"] == "scattergl"}
        assert set(lines) == {"usda", "usdc"}  # the skipped format is in the table only
        for fmt, line in lines.items():
            # Every sample, at full resolution, above the value at the block's start.
            tl = Timeline.from_dict(document["formats"][fmt]["timeline"])
            column_values = getattr(tl, column)
            above = [v - column_values[tl.baseline_index()] for v in column_values]
            assert line["x"] == list(tl.t_s)
            assert line["customdata"] == above
            pairs = zip(line["y"], above, strict=True)
            size = plotted_unit(pairs)
            assert [y * size for y in line["y"]] == pytest.approx(above, rel=1e-12)
        marks = {
            t["name"]: [phase for phase, _ in t["customdata"]]
            for t in traces
            if t["type"] == "scatter"
        }
        phases = ["open + compose", "first value", "traversal"]
        extra = ["exact peak"] if column == "rss" else []
        assert marks == {"usda": phases + extra, "usdc": phases + extra}
        assert all(t["legendgroup"] == t["name"] for t in traces)  # its legend entry hides all
    peaks = {
        t["name"]: t["customdata"][-1][1]
        for t in found["chart-timeline-rss"]["figure"]["data"]
        if t["type"] == "scatter"
    }
    assert peaks == {"usda": 41 * MiB, "usdc": 31 * MiB}
    parts = {
        (t["name"], part): value
        for t in found["chart-timeline-split"]["figure"]["data"]
        for part, value in t["customdata"]
    }
    # usdc: 10 MiB anon under 20 MiB file-backed; usda: 40 MiB anon, nothing file-backed.
    assert parts == {
        ("usda", "anon"): 40 * MiB,
        ("usda", "file"): 0,
        ("usda", "shmem"): 0,
        ("usdc", "anon"): 10 * MiB,
        ("usdc", "file"): 20 * MiB,
        ("usdc", "shmem"): 0,
    }
    table = re.search(r'<table id="timeline-table">.*?</table>', html, re.S).group(0)
    assert "over the toy guard" in table and "31.0 MiB" in table


def test_value_at_takes_the_last_sample_at_or_before():
    ts, vs = [0.0, 0.1, 0.2, 0.3], [5, 6, 7, 8]
    assert [value_at(ts, vs, t) for t in (-1.0, 0.0, 0.15, 0.2, 9.0)] == [5, 5, 6, 7, 8]


def test_each_family_timeline_gets_a_section_of_its_own(toy_asv_project, tmp_path):
    entry = {"status": "ok", "elapsed_s": 0.1, "phase_ends_s": [0.04, 0.06, 0.1]}
    phases = ["open + compose", "first value", "full read"]
    family = {
        "operation": "load + every sample of every prim",
        "phases": phases,
        "scale": 100,
        "hierarchy": "flat",
        "formats": {
            "usdc": entry | {"peak_bytes": 7 * MiB, "timeline": _timeline(3, 4, 9)},
            "usda": {"status": "failed", "reason": "a crash"},
        },
    }
    document = {
        "version": 1,
        "operation": "load + full traversal",
        "phases": ["open + compose", "first value", "traversal"],
        "scale": 1000,
        "hierarchy": "flat",
        "interval_s": 0.001,
        "formats": {"usdc": entry | {"peak_bytes": 31 * MiB, "timeline": _timeline(10, 20, 3)}},
        "families": {"series": family},
    }
    config = _with_timelines(toy_asv_project, tmp_path, document)
    html = render_page(load_report_data(config))
    found = charts(html)
    assert {
        "chart-timeline-rss",
        "chart-series-timeline-rss",
        "chart-series-timeline-split",
    } <= set(found)
    lines = [
        t for t in found["chart-series-timeline-rss"]["figure"]["data"] if t["type"] == "scatter"
    ]
    assert [t["name"] for t in lines] == ["usdc"]
    assert [phase for phase, _ in lines[0]["customdata"]] == phases + ["exact peak"]
    assert lines[0]["customdata"][-1][1] == 7 * MiB
    # The family's section (its table too) comes before the props timelines.
    assert html.index('id="series-timelines"') < html.index('id="timelines"')
    assert "load + every sample of every prim per format at 100 prims" in html
    table = re.search(r'<table id="series-timeline-table">.*?</table>', html, re.S).group(0)
    assert "a crash" in table and "7.00 MiB" in table


def test_an_unreadable_timelines_file_leaves_the_rest_of_the_report(toy_asv_project, tmp_path):
    config = _with_timelines(toy_asv_project, tmp_path, "{broken")
    html = render_page(load_report_data(config))
    assert "Timelines not shown" in html and 'id="timelines"' not in html
    assert 'id="growth"' in html
