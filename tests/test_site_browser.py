"""The published asv site and the format report, loaded in a real headless Chromium.

Pages come from a server bound to 127.0.0.1; every request elsewhere is
refused and fails the test, so the site must work without network.
Screenshots land in test-artifacts/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import http.server
import json
import math
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

# Chromium, against the published site of a real `asv run` of the suite.
pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip(
        "Debian's chromium is not installed (apt-get install chromium; .ci/run does it)",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

from memtrack import Timeline  # noqa: E402
from tests.asv_project import REPO  # noqa: E402
from tests.test_report import asv_figures, plotted_unit  # noqa: E402
from usdbench import profiles  # noqa: E402
from usdbench.report.units import format_value  # noqa: E402

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BYTE_AXIS_LABELS = {"bytes", "kilobytes", "megabytes", "gigabytes", "terabytes"}


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass


@contextlib.contextmanager
def serve(directory: Path):
    """A folder served on 127.0.0.1 (an unused port); yields its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def site_url(published_site):
    with serve(published_site.html_dir) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


class PageLog:
    """Console errors, uncaught exceptions, failed and off-machine requests of one page."""

    def __init__(self, page, base_url: str):
        self.errors: list[str] = []
        self.external: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        page.on("requestfailed", lambda r: self.errors.append(f"request failed: {r.url}"))
        page.on("response", lambda r: r.status >= 400 and self.errors.append(f"{r.status} {r.url}"))

        def route(r):
            if r.request.url.startswith(base_url) or r.request.url.startswith("data:"):
                r.continue_()
            else:
                self.external.append(r.request.url)
                r.abort()

        page.route("**/*", route)

    def assert_clean(self):
        assert not self.external, f"the page tried to reach the network: {self.external}"
        assert not self.errors, f"errors in the browser: {self.errors}"


@pytest.fixture
def page(browser, site_url):
    with page_on(browser, site_url) as page:
        yield page


@contextlib.contextmanager
def page_on(browser, base_url: str):
    """A fresh page whose requests outside ``base_url`` are refused and logged."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.log = PageLog(page, base_url)
    try:
        yield page
    finally:
        context.close()


def dominant_colour_share(browser, png: bytes) -> float:
    """Share of the pixels in the most common colour, decoded by Chromium itself."""
    import base64

    page = browser.new_page()
    try:
        return page.evaluate(
            """async (data) => {
                const img = new Image();
                img.src = 'data:image/png;base64,' + data;
                await img.decode();
                const canvas = document.createElement('canvas');
                canvas.width = img.width; canvas.height = img.height;
                const ctx = canvas.getContext('2d');
                ctx.drawImage(img, 0, 0);
                const px = ctx.getImageData(0, 0, img.width, img.height).data;
                const counts = new Map();
                for (let i = 0; i < px.length; i += 4) {
                    // 4 bits a channel: anti-aliasing does not split one colour into many.
                    const key = ((px[i] >> 4) << 8) | ((px[i + 1] >> 4) << 4) | (px[i + 2] >> 4);
                    counts.set(key, (counts.get(key) || 0) + 1);
                }
                return Math.max(...counts.values()) / (px.length / 4);
            }""",
            base64.b64encode(png).decode(),
        )
    finally:
        page.close()


def screenshot(browser, page, name: str, full_page: bool = False) -> None:
    """Save the page under test-artifacts/ and fail if it is (nearly) one colour."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    png = page.screenshot(path=str(path), full_page=full_page)
    share = dominant_colour_share(browser, png)
    # Measured here: the toy's asv index 0.98, the report 0.91, a page with one word 0.9999.
    assert share < 0.995, f"{path} looks blank: {share:.1%} of it is one colour"


def _benchmark_names(published_site) -> set[str]:
    return {c.benchmark for c in published_site.combinations}


def test_asv_index_lists_the_benchmarks(browser, page, site_url, published_site):
    page.goto(f"{site_url}/index.html")
    expected = _benchmark_names(published_site)
    page.wait_for_function(
        "n => document.querySelectorAll('a.benchmark-container').length >= n",
        arg=len(expected),
        timeout=30_000,
    )
    hrefs = page.eval_on_selector_all(
        "a.benchmark-container", "els => els.map(e => e.getAttribute('href'))"
    )
    assert {h.lstrip("#") for h in hrefs} >= expected
    # The navigation bar links to the format report.
    assert page.get_attribute("#usdbench-formats-link a", "href") == "formats/index.html"
    page.wait_for_timeout(500)  # let the summary thumbnails draw
    screenshot(browser, page, "asv-index.png")
    page.log.assert_clean()


def _memory_benchmark(published_site) -> str:
    index = json.loads((published_site.html_dir / "index.json").read_text())
    names = sorted(
        name
        for name, bench in index["benchmarks"].items()
        if bench["type"] == "track" and bench.get("unit") == "bytes" and name.count(".") >= 2
    )
    assert names, "the published site has no track_ benchmark in bytes"
    peak = [n for n in names if "peak" in n]
    return (peak or names)[0]


def test_asv_memory_benchmark_graph_has_byte_units(browser, page, site_url, published_site):
    name = _memory_benchmark(published_site)
    page.goto(f"{site_url}/index.html#{name}")
    page.wait_for_function(
        "() => window.$ && $('#main-graph').data('plot') !== undefined", timeout=30_000
    )
    graph = page.evaluate(
        """() => {
            const plot = $('#main-graph').data('plot');
            const canvas = document.querySelector('#main-graph canvas.flot-base');
            const ctx = canvas.getContext('2d');
            const px = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
            let inked = 0;
            for (let i = 3; i < px.length; i += 4) { if (px[i] > 0) inked++; }
            return {
                axisLabel: plot.getOptions().yaxes[0].axisLabel,
                series: plot.getData().filter(s => s.data.length > 0).length,
                ticks: document.querySelectorAll(
                    '#main-graph .flot-y-axis .flot-tick-label').length,
                inked: inked,
            };
        }"""
    )
    # asv writes the unit as the y axis label (bytes, kilobytes, ...) and scales the ticks.
    assert graph["axisLabel"] in BYTE_AXIS_LABELS, graph
    assert graph["series"] > 0 and graph["ticks"] >= 2, graph
    assert graph["inked"] > 1000, graph
    screenshot(browser, page, "asv-memory-graph.png")
    page.log.assert_clean()


def _report_rows(page) -> list[dict]:
    return page.eval_on_selector_all(
        "#figures tbody tr",
        """trs => trs.map(tr => ({
            benchmark: tr.dataset.benchmark,
            params: JSON.parse(tr.dataset.params),
            status: tr.dataset.status,
            value: tr.querySelector('td.value').dataset.sort,
            text: tr.querySelector('td.value').textContent,
        }))""",
    )


def _key(benchmark: str, params: dict) -> tuple:
    return benchmark, tuple(sorted(params.items()))


_CHARTS_JS = """() => Array.from(document.querySelectorAll('div.chart')).map(div => {
    const box = div.getBoundingClientRect();
    return {
        id: div.id, kind: div.dataset.kind, rendered: div.dataset.rendered,
        plotly: div.classList.contains('js-plotly-plot'),
        width: box.width, height: box.height,
        benchmarks: div.dataset.benchmarks.split(' ').filter(Boolean),
        // Plotly's drawn traces: SVG groups, and WebGL canvases for the long series.
        drawn: div.querySelectorAll('.cartesianlayer .trace').length,
        gl: div.querySelectorAll('canvas.gl-canvas-context').length,
        xaxis: div._fullLayout.xaxis.type, yaxis: div._fullLayout.yaxis.type,
        traces: (div.data || []).map(t => ({
            name: t.name, type: t.type, legendgroup: t.legendgroup || null,
            x: Array.from(t.x), y: Array.from(t.y), customdata: t.customdata,
        })),
    };
})"""


def wait_for_charts(page) -> None:
    page.wait_for_function("() => document.body.dataset.chartsDrawn === 'true'", timeout=60_000)


def browser_charts(page) -> list[dict]:
    wait_for_charts(page)
    return page.evaluate(_CHARTS_JS)


def test_report_charts_carry_asv_figures(browser, page, site_url, published_site):
    page.goto(f"{site_url}/formats/index.html")
    charts = browser_charts(page)
    # The quick profile measures one scale a benchmark: no growth to fit.
    assert {c["kind"] for c in charts} >= {"bar", "line"}
    commit = published_site.commits[1]
    figures = asv_figures(published_site.config_path.parent / "results", commit)
    drawn = set()
    for chart in charts:
        assert chart["plotly"] and chart["rendered"] == "true", chart["id"]
        assert chart["width"] > 300 and chart["height"] > 200, chart["id"]
        if chart["kind"] not in ("bar", "line", "growth"):
            continue  # the timelines: not asv's figures (test_report_draws_the_timelines...)
        assert chart["drawn"] == len(chart["traces"]) > 0, chart["id"]  # a drawn trace each
        per_prim = chart["kind"] == "growth"
        pairs = []
        for trace in chart["traces"]:
            for y, (value, status, benchmark, params) in zip(
                trace["y"], trace["customdata"], strict=True
            ):
                params = json.loads(params)
                key = _key(benchmark, params)
                assert benchmark in chart["benchmarks"] and params["format"] == trace["name"]
                asv_value = figures[key]
                if status == "ok":
                    assert value == asv_value, key  # asv's figure, exactly
                    pairs.append((y, value / (float(params["scale"]) if per_prim else 1.0)))
                else:
                    assert value is None and y is None, key
                    assert asv_value is None or math.isnan(asv_value), key
                if not per_prim:
                    drawn.add(key)
        size = plotted_unit(pairs)  # one unit a chart, each bar or point at its figure
        for y, exact in pairs:
            assert y * size == pytest.approx(exact, rel=1e-9), chart["id"]
        if per_prim:
            assert chart["xaxis"] == chart["yaxis"] == "log", chart["id"]
    # Every figure of a benchmark with a format parameter is in a bar or line chart.
    with_format = {k for k in figures if any(n == "format" for n, _ in k[1])}
    assert drawn == with_format
    screenshot(browser, page, "format-report.png", full_page=True)
    page.log.assert_clean()


def test_report_zooms_and_hovers_with_exact_figures(browser, page, site_url):
    page.goto(f"{site_url}/formats/index.html")
    charts = browser_charts(page)
    line = next(c for c in charts if c["kind"] == "line")
    # Zoom: drag a box over the plot, as a reader does.
    page.locator(f"#{line['id']}").scroll_into_view_if_needed()
    box = page.locator(f"#{line['id']} .nsewdrag").bounding_box()
    before = page.evaluate("id => document.getElementById(id)._fullLayout.xaxis.range", line["id"])
    page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.8, steps=8)
    page.mouse.up()
    page.wait_for_function(
        "([id, r]) => { const a = document.getElementById(id)._fullLayout.xaxis.range;"
        " return a[0] !== r[0] || a[1] !== r[1]; }",
        arg=[line["id"], before],
    )
    after = page.evaluate("id => document.getElementById(id)._fullLayout.xaxis.range", line["id"])
    assert before[0] < after[0] < after[1] < before[1], (before, after)  # zoomed in
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(f"#figure-{line['id'][len('chart-') :]}").screenshot(
        path=str(ARTIFACTS / "report-zoomed.png")
    )

    # Hover: the mouse over a bar shows its figure, rounded and exact.
    bar = next(c for c in charts if c["kind"] == "bar" and "bytes" in c["benchmarks"][0])
    page.evaluate(
        """id => { const gd = document.getElementById(id);
                   gd.on('plotly_hover', e => { window.hovered = e.points[0].customdata; }); }""",
        bar["id"],
    )
    page.locator(f"#{bar['id']}").scroll_into_view_if_needed()
    bars = page.locator(f"#{bar['id']} .barlayer .point path")
    tallest = min((bars.nth(i).bounding_box() for i in range(bars.count())), key=lambda b: b["y"])
    plot = page.locator(f"#{bar['id']} .nsewdrag").bounding_box()
    # Just under the bar's top (on a log axis its foot lies far below the plot).
    x, y = tallest["x"] + tallest["width"] / 2, max(tallest["y"], plot["y"]) + 4
    page.mouse.move(x - 20, y + 20)
    page.mouse.move(x, y, steps=4)
    page.wait_for_function("() => window.hovered !== undefined")
    hovered = page.evaluate("() => window.hovered")
    text = page.locator(f"#{bar['id']} .hoverlayer .hovertext").first.text_content()
    value = hovered[0]
    assert f"({value:,.0f} B)" in text, text  # exact
    assert format_value(value, "bytes") in text, text  # and as a person reads it
    screenshot(browser, page, "report-hover.png")
    page.log.assert_clean()


def test_report_as_a_file_renders_every_chart_offline(browser, published_site):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)
    attempted: list[str] = []
    context.route(re.compile(r"^https?://"), lambda r: (attempted.append(r.request.url), r.abort()))
    page = context.new_page()
    errors: list[str] = []
    page.on("request", lambda r: r.url.startswith(("http:", "https:")) and attempted.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    try:
        report = published_site.html_dir / "formats" / "index.html"
        page.goto(report.as_uri())
        charts = browser_charts(page)
        blocks = page.eval_on_selector_all("script.chart-data", "els => els.length")
        assert len(charts) == blocks >= 3
        for chart in charts:
            assert chart["plotly"] and chart["rendered"] == "true", chart["id"]
            assert chart["drawn"] > 0, chart["id"]
        assert not attempted, f"the page tried to reach the network: {attempted}"
        assert not errors, errors
        screenshot(browser, page, "format-report-file-offline.png")
    finally:
        context.close()


def test_report_table_has_every_combination(page, site_url, published_site):
    page.goto(f"{site_url}/formats/index.html")
    rows = {_key(r["benchmark"], r["params"]): r for r in _report_rows(page)}
    for combo in published_site.combinations:
        row = rows.get(_key(combo.benchmark, combo.params))
        assert row is not None, f"no row for {combo}"
        if combo.status is not None:
            assert row["status"] == combo.status, combo
        if row["status"] != "ok":
            assert row["text"] == row["status"]
    assert len(rows) == len(published_site.combinations)
    page.log.assert_clean()


def _values(page) -> list[float | None]:
    return [float(r["value"]) if r["value"] else None for r in _report_rows(page)]


def test_report_table_sorts_by_a_column(browser, page, site_url):
    page.goto(f"{site_url}/formats/index.html")
    before = _values(page)
    header = page.locator("#figures thead th", has_text="value")
    header.locator("button").click()
    ascending = _values(page)
    assert ascending != before, "clicking 'value' did not reorder the table"
    numbers = [v for v in ascending if v is not None]
    assert numbers == sorted(numbers)
    assert ascending[len(numbers) :] == [None] * (len(ascending) - len(numbers))  # skipped last
    assert header.get_attribute("aria-sort") == "ascending"

    header.locator("button").click()
    descending = [v for v in _values(page) if v is not None]
    assert descending == sorted(numbers, reverse=True)
    assert header.get_attribute("aria-sort") == "descending"

    page.locator("#table").scroll_into_view_if_needed()
    screenshot(browser, page, "format-report-table-sorted.png")
    page.log.assert_clean()


def _report_copy(project_config: Path, root: Path) -> Path:
    """An asv config writing into ``root``/html, reading a copy of the
    project's results (so the shared session projects stay as they are)."""
    results = root / "results"
    shutil.copytree(project_config.parent / "results", results)
    config = root / "asv.conf.json"
    config.write_text(json.dumps({"version": 1, "results_dir": str(results), "html_dir": "html"}))
    return config


def _run(args: list[str], env: dict) -> None:
    run = subprocess.run(
        [sys.executable, "-m", *args], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]


@pytest.fixture(scope="module")
def timelines_site(asv_project, tmp_path_factory) -> Path:
    """The suite's quick run with memory timelines recorded for real for its
    second commit (every quick format, 1k prims), and the report of it."""
    root = tmp_path_factory.mktemp("timelines-site")
    config = _report_copy(asv_project.path / "asv.conf.json", root)
    commit = asv_project.commits[1]
    env = dict(asv_project.env)
    _run(["usdbench.timeline", "--config", str(config), "--machine", asv_project.machine,
          "--profile", "quick", "--commit", commit], env)  # fmt: skip
    _run(["usdbench.report", "--config", str(config), "--commit", commit, "--leave-asv-site"], env)
    return root / "html"


@pytest.fixture(scope="module")
def growth_site(toy_asv_project, tmp_path_factory) -> Path:
    """The toy suite's report: three scales a figure, so every figure has a growth fit."""
    root = tmp_path_factory.mktemp("growth-site")
    config = _report_copy(toy_asv_project.config_path, root)
    _run(["usdbench.report", "--config", str(config), "--leave-asv-site"], dict(os.environ))
    return root / "html"


def test_report_draws_the_timelines_and_the_split(browser, timelines_site):
    quick = profiles.get("quick").formats
    (path,) = (timelines_site.parent / "results").glob("*/timelines/*.json.gz")
    document = json.loads(gzip.decompress(path.read_bytes()))
    with serve(timelines_site) as url, page_on(browser, url) as page:
        page.goto(f"{url}/formats/index.html")
        charts = {c["id"]: c for c in browser_charts(page)}
        # Resident memory and virtual size against time, one split at the peak.
        for div_id, column in (
            ("chart-timeline-rss", "rss"),
            ("chart-timeline-vm-size", "vm_size"),
        ):
            chart = charts[div_id]
            assert chart["rendered"] == "true" and chart["gl"] >= 1, div_id
            lines = {t["name"]: t for t in chart["traces"] if t["type"] == "scattergl"}
            assert sorted(lines) == sorted(quick), div_id
            for fmt, line in lines.items():
                # Every sample the file holds, above the value at the block's start.
                tl = Timeline.from_dict(document["formats"][fmt]["timeline"])
                values = getattr(tl, column)
                above = [v - values[tl.baseline_index()] for v in values]
                assert line["x"] == pytest.approx(list(tl.t_s), abs=1e-12), fmt
                assert line["customdata"] == above, fmt
            marks = [t for t in chart["traces"] if t["type"] == "scatter"]
            assert sorted(t["name"] for t in marks) == sorted(quick)
            for t in marks:
                assert len(t["customdata"]) == 3 + (column == "rss"), t["name"]  # phases, peak
                assert t["legendgroup"] == t["name"]  # hidden with its line
        split = charts["chart-timeline-split"]
        assert sorted({t["name"] for t in split["traces"]}) == sorted(quick)
        assert split["drawn"] == len(split["traces"])
        rows = page.eval_on_selector_all("#timeline-table tbody tr", "trs => trs.length")
        assert rows == len(quick)

        # Hover over the RSS chart: a sample's exact bytes under the mouse.
        page.locator("#chart-timeline-rss").scroll_into_view_if_needed()
        x, y = page.evaluate(
            """() => {
                const gd = document.getElementById('chart-timeline-rss');
                gd.on('plotly_hover', e => { window.hovered = e.points[0]; });
                const line = gd.data[0], i = Math.floor(line.x.length / 2);
                const box = gd.querySelector('.nsewdrag').getBoundingClientRect();
                const {xaxis, yaxis} = gd._fullLayout;
                return [box.left + xaxis.l2p(line.x[i]), box.top + yaxis.l2p(line.y[i])];
            }"""
        )
        page.mouse.move(x - 20, y - 20)
        page.mouse.move(x, y, steps=5)
        page.wait_for_function("() => window.hovered !== undefined")
        text = page.locator("#chart-timeline-rss .hoverlayer .hovertext").first.text_content()
        assert re.search(r"\([\d,-]+ B\)", text), text
        ARTIFACTS.mkdir(exist_ok=True)
        page.locator("#figure-timeline-rss").screenshot(path=str(ARTIFACTS / "timeline-rss.png"))
        page.locator("#figure-timeline-split").screenshot(
            path=str(ARTIFACTS / "timeline-split.png")
        )
        page.locator("#timelines").scroll_into_view_if_needed()
        screenshot(browser, page, "report-timelines.png")
        page.log.assert_clean()


def test_report_draws_growth_with_scale(browser, growth_site):
    with serve(growth_site) as url, page_on(browser, url) as page:
        page.goto(f"{url}/formats/index.html")
        charts = [c for c in browser_charts(page) if c["kind"] == "growth"]
        assert charts, "no growth chart"
        for chart in charts:
            assert chart["rendered"] == "true" and chart["drawn"] == len(chart["traces"]) >= 1
            assert chart["xaxis"] == chart["yaxis"] == "log", chart["id"]
            assert max(len(t["x"]) for t in chart["traces"]) >= 2, chart["id"]
        exponents = page.eval_on_selector_all(
            "#growth-table td.exponent[data-exponent]",
            "tds => tds.map(td => td.dataset.exponent).filter(Boolean).map(Number)",
        )
        assert exponents and all(e == e for e in exponents)  # numbers, no NaN
        page.locator("#growth").scroll_into_view_if_needed()
        ARTIFACTS.mkdir(exist_ok=True)
        page.locator("#growth").screenshot(path=str(ARTIFACTS / "report-growth.png"))
        screenshot(browser, page, "report-growth-view.png")
        page.log.assert_clean()
