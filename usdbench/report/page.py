"""The report page: a Plotly figure per chart (its data as JSON in the page,
plotly.js copied next to it, so it opens as a plain file without network), a
table of every figure, a few lines of JS to sort it."""

from __future__ import annotations

import datetime
import filecmp
import json
import shutil
from html import escape
from importlib import resources
from importlib.metadata import version
from pathlib import Path

from usdbench.asv_results import protocol_text
from usdbench.errors import UsdBenchError

from .charts import BarChart, LineChart, Section, fmt_of, plan_sections
from .data import OK, ReportData, Row
from .extra_sections import growth_section, timeline_section
from .figures import Chart, figure_json
from .growth import GrowthChart
from .palette import format_colours, ordered_formats
from .timelines import TimelineSet, load_timeline_set
from .units import format_value

REPORT_SUBDIR = "formats"
# plotly.js as the plotly package ships it, copied next to the page once.
PLOTLY_JS = "plotly.min.js"

_CSS = """
body { font-family: system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif;
       margin: 0 auto; padding: 0 24px 48px; max-width: 1280px; color: #222; background: #fff; }
a { color: #1a5fb4; }
header nav { padding: 12px 0; font-size: 14px; }
h1 { margin: 8px 0 4px; font-size: 26px; }
h2 { margin-top: 36px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 0 0 6px; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; font-size: 14px; }
dl.meta dt { color: #666; }
dl.meta dd { margin: 0; font-family: ui-monospace, monospace; }
.toc { font-size: 14px; }
.charts { display: flex; flex-wrap: wrap; gap: 24px 32px; }
figure { margin: 0; max-width: 100%; }
.chart { min-height: 120px; }
.chart-scroll { overflow-x: auto; max-width: 100%; }
details { font-size: 13px; color: #555; margin-top: 4px; }
p.intro, p.note { font-size: 14px; color: #444; max-width: 900px; }
table { border-collapse: collapse; font-size: 13px; }
th, td { padding: 3px 10px; border-bottom: 1px solid #eee; text-align: left; white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
th { position: sticky; top: 0; background: #f6f6f6; }
th button { font: inherit; font-weight: 600; border: 0; background: none; cursor: pointer;
            padding: 0; color: #222; }
th[aria-sort="ascending"] button::after { content: " ▲"; }
th[aria-sort="descending"] button::after { content: " ▼"; }
tr[data-status="skipped"] td, tr[data-status="failed"] td { color: #888; }
td.status-failed { color: #b00 !important; }
td.superlinear { background: #fde3c8; color: #8a3b00; font-weight: 600; }
"""

_SORT_JS = """
(function () {
  var table = document.getElementById('figures');
  var tbody = table.tBodies[0];
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
    th.querySelector('button').addEventListener('click', function () {
      var asc = th.getAttribute('aria-sort') !== 'ascending';
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (h) {
        h.removeAttribute('aria-sort');
      });
      th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
      var col = th.cellIndex, numeric = th.dataset.type === 'num';
      function key(tr) {
        var cell = tr.cells[col];
        return cell.hasAttribute('data-sort') ? cell.getAttribute('data-sort') : cell.textContent;
      }
      var rows = Array.prototype.slice.call(tbody.rows);
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        // No figure (skipped, failed) sorts last either way.
        if (x === '' || y === '') { return (x === '') - (y === ''); }
        var d = numeric ? parseFloat(x) - parseFloat(y)
                        : x.localeCompare(y, undefined, {numeric: true});
        return asc ? d : -d;
      });
      rows.forEach(function (tr) { tbody.appendChild(tr); });
    });
  });
})();
"""


_PLOT_JS = """
(function () {
  var blocks = document.querySelectorAll('script.chart-data');
  if (!window.Plotly) {
    Array.prototype.forEach.call(blocks, function (block) {
      document.getElementById(block.dataset.chart).textContent =
        'Chart not drawn: plotly.min.js, which belongs next to this page, did not load.';
    });
    return;
  }
  var config = {displaylogo: false, modeBarButtonsToRemove: ['select2d', 'lasso2d']};
  // One chart at a time after the page is shown, so its text is readable at once.
  var i = 0;
  function next() {
    if (i >= blocks.length) { document.body.setAttribute('data-charts-drawn', 'true'); return; }
    var block = blocks[i++];
    var div = document.getElementById(block.dataset.chart);
    var figure = JSON.parse(block.textContent);
    Plotly.newPlot(div, figure.data, figure.layout, config).then(function () {
      div.setAttribute('data-rendered', 'true');
    }, function (err) {
      div.setAttribute('data-rendered', 'error');
      console.error(div.id + ': ' + err);
    }).then(function () { setTimeout(next, 0); });
  }
  setTimeout(next, 0);
})();
"""


def _date(ms: int | None) -> str:
    if not ms:
        return "unknown"
    moment = datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _row_attrs(row: Row) -> str:
    params = escape(json.dumps(row.params_dict, sort_keys=True), quote=True)
    return (
        f'data-benchmark="{escape(row.benchmark, quote=True)}" data-params="{params}" '
        f'data-status="{row.status}"'
    )


def _missing_details(rows: list[Row]) -> str:
    missing = [r for r in rows if r.status != OK]
    if not missing:
        return ""
    counts = {}
    for r in missing:
        counts[r.status] = counts.get(r.status, 0) + 1
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    items = "".join(
        f"<li>{escape(r.operation)} · {escape(', '.join(f'{n} {v}' for n, v in r.params))}: "
        f"{r.status}</li>"
        for r in missing
    )
    return f"<details><summary>{summary}</summary><ul>{items}</ul></details>"


def _benchmarks(chart: Chart) -> list[str]:
    """The asv benchmarks a chart draws; none for the timelines (not asv's figures)."""
    if isinstance(chart, (BarChart, LineChart, GrowthChart)):
        return list(dict.fromkeys(r.benchmark for r in chart.rows))
    return []


def _chart_html(chart: Chart, colours: dict[str, str]) -> str:
    div_id = f"chart-{chart.id}"
    missing = _missing_details(chart.rows) if isinstance(chart, (BarChart, LineChart)) else ""
    benchmarks = escape(" ".join(_benchmarks(chart)), quote=True)
    return (
        f'<figure id="figure-{chart.id}" class="chart-figure">'
        f"<figcaption><h3>{escape(chart.title)}</h3></figcaption>"
        f'<div class="chart-scroll"><div id="{div_id}" class="chart" data-kind="{chart.kind}" '
        f'data-figure="{chart.id}" data-benchmarks="{benchmarks}"></div></div>'
        f'<script type="application/json" class="chart-data" data-chart="{div_id}">'
        f"{figure_json(chart, colours)}</script>{missing}</figure>"
    )


def _section_html(section: Section, colours: dict[str, str]) -> str:
    figures = "".join(_chart_html(chart, colours) for chart in section.charts)
    return (
        f'<section id="{section.id}"><h2>{escape(section.title)}</h2>'
        f'<p class="intro">{escape(section.intro)}</p>'
        f'<div class="charts">{figures}</div>{section.extra_html}</section>'
    )


def _numeric_column(rows: list[Row], name: str) -> bool:
    try:
        for r in rows:
            v = r.param(name)
            if v is not None:
                float(v)
    except ValueError:
        return False
    return True


def _table_html(data: ReportData) -> str:
    names = data.param_names
    numeric = {n: n != "format" and _numeric_column(data.rows, n) for n in names}
    # The format column sorts in the report's fixed format order, not alphabetically.
    formats = ordered_formats(r.param("format") for r in data.rows if r.param("format"))
    format_rank = {f: i for i, f in enumerate(formats)}
    head = [("operation", "text"), ("metric", "text")]
    head += [(n, "num" if numeric[n] or n == "format" else "text") for n in names]
    head += [("value", "num"), ("unit", "text"), ("exact", "num"), ("IQR", "text")]
    if spreads := any(r.spread for r in data.rows):
        head += [("between runs", "num")]
    head += [("status", "text")]
    th = "".join(
        f'<th scope="col" data-type="{kind}"><button type="button">{escape(label)}</button></th>'
        for label, kind in head
    )
    body = []
    for r in data.rows:
        cells = [f"<td>{escape(r.operation)}</td>", f"<td>{escape(r.metric)}</td>"]
        for n in names:
            v = r.param(n)
            if v is None:
                cells.append('<td data-sort=""></td>')
            elif n == "format":
                cells.append(f'<td data-sort="{format_rank[v]}">{escape(v)}</td>')
            elif numeric[n]:
                cells.append(f'<td class="num" data-sort="{escape(v)}">{escape(v)}</td>')
            else:
                cells.append(f"<td>{escape(v)}</td>")
        if r.status == OK:
            exact = f"{r.value:.0f}" if r.unit == "bytes" else f"{r.value:.6g}"
            iqr = ""
            if r.q25 is not None and r.q75 is not None and r.q25 != r.q75:
                iqr = f"{format_value(r.q25, r.unit)} – {format_value(r.q75, r.unit)}"
            cells.append(
                f'<td class="num value" data-sort="{r.value!r}">'
                f"{escape(format_value(r.value, r.unit))}</td>"
            )
            cells.append(f"<td>{escape(r.unit)}</td>")
            cells.append(f'<td class="num" data-sort="{r.value!r}">{exact}</td>')
            cells.append(f"<td>{escape(iqr)}</td>")
        else:
            cells.append(f'<td class="num value" data-sort="">{r.status}</td>')
            cells.append(f"<td>{escape(r.unit)}</td>")
            cells.append('<td class="num" data-sort=""></td><td></td>')
        if spreads:
            cells.append(_spread_cell(r))
        cells.append(f'<td class="status status-{r.status}">{r.status}</td>')
        body.append(f"<tr {_row_attrs(r)}>{''.join(cells)}</tr>")
    return (
        '<section id="table"><h2>All figures</h2>'
        f'<p class="intro">One row per benchmark and parameter combination at this commit '
        f"({len(data.rows)} rows). Click a column header to sort; skipped and failed "
        "combinations stay last. Sorting is stable: sort by value, then by metric, to rank "
        "the formats within each metric.</p>"
        f'<div class="chart-scroll"><table id="figures"><thead><tr>{th}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div></section>"
    )


def spread_text(row: Row) -> str:
    """'0.42 MiB (0.3%) over 3 runs': the figure's between-run spread."""
    s = row.spread
    if s is None:
        return ""
    share = f" ({s.bytes / abs(row.value):.2%})" if row.value else ""
    what = "runs" if s.of_medians else "runs' samples"
    return f"{format_value(s.bytes, 'bytes')}{share} over {s.runs} {what}"


def _spread_cell(row: Row) -> str:
    if row.spread is None or not row.value:
        return '<td class="num spread" data-sort=""></td>'
    share = row.spread.bytes / abs(row.value)
    return f'<td class="num spread" data-sort="{share!r}">{escape(spread_text(row))}</td>'


def _meta_html(data: ReportData) -> str:
    info = data.machine_info
    machine = data.machine
    extra = ", ".join(
        str(info[k]) for k in ("cpu", "num_cpu", "ram", "os") if info.get(k) not in (None, "")
    )
    if extra:
        machine += f" ({extra})"
    items = [
        ("commit", data.commit_hash),
        ("commit date", _date(data.date_ms)),
        ("machine", machine),
        ("environment", data.env_name),
        ("memory protocol", protocol_text(data.protocol)),
        ("results file", str(data.results_file)),
        ("generated", _date(int(datetime.datetime.now(datetime.timezone.utc).timestamp() * 1000))),
    ]
    return (
        '<dl class="meta">'
        + "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in items)
        + "</dl>"
    )


def _notes_html(data: ReportData) -> str:
    notes = []
    if data.other_envs:
        notes.append(
            "Other environments measured at this commit (not shown; pick one with --env): "
            + ", ".join(data.other_envs)
        )
    if data.not_run:
        notes.append("Benchmarks without results at this commit: " + ", ".join(data.not_run))
    skipped = sum(r.status == "skipped" for r in data.rows)
    failed = sum(r.status == "failed" for r in data.rows)
    notes.append(
        f"{len(data.rows)} combinations: {len(data.rows) - skipped - failed} measured, "
        f"{skipped} skipped (e.g. over the memory guard), {failed} failed. Bytes are binary "
        "(1 KiB = 1024 B); times are asv's medians. Hover a bar or point for its figure; "
        "drag to zoom (double-click to zoom out), click a format in a legend to hide it. "
        "Benchmarks without a format parameter appear in the table only."
    )
    if data.protocol_error:
        notes.append(f"Memory protocol not read: {data.protocol_error}")
    if data.spreads is not None and data.spreads.note:
        notes.append(data.spreads.note)
    elif data.spreads is not None:
        notes.append(
            "Between runs (table column, and in each memory bar's hover): how far the "
            "figure moved between separate asv runs of one commit on this machine (max - min "
            "of the runs' medians, from the gate's calibration: "
            f"{data.spreads.source}). A difference between formats or commits smaller than "
            "it is not a real one."
        )
    notes.append(f"Charts drawn by Plotly {version('plotly')} ({PLOTLY_JS}, next to this page).")
    return "".join(f'<p class="note">{escape(n)}</p>' for n in notes)


def _timelines(data: ReportData) -> tuple[TimelineSet | None, str]:
    """The commit's timelines, and a note if its file could not be read (the
    rest of the report does not depend on it)."""
    try:
        return load_timeline_set(data.results_dir, data.machine, data.commit_hash), ""
    except UsdBenchError as err:
        return None, f"Timelines not shown: {err}"


def _with_family_timelines(sections: list, timelines: TimelineSet | None) -> list:
    """Each family's timelines section after that family's last section (or
    after all of them, for a family without asv figures)."""
    for family, part in (timelines.families if timelines else {}).items():
        section = timeline_section(part, family)
        ours = [i for i, s in enumerate(sections) if s.id.startswith(f"{family}-")]
        sections.insert(ours[-1] + 1 if ours else len(sections), section)
    return sections


def render_page(data: ReportData) -> str:
    timelines, timelines_note = _timelines(data)
    sections = _with_family_timelines(plan_sections(data.rows), timelines)
    sections += [s for s in (growth_section(data.rows), timeline_section(timelines)) if s]
    formats = [fmt_of(r) for r in data.rows]
    for part in [timelines, *timelines.families.values()] if timelines else []:
        formats += [e.format for e in part.entries]
    colours = format_colours(formats)
    toc = " · ".join(
        [f'<a href="#{s.id}">{escape(s.title)}</a>' for s in sections]
        + ['<a href="#table">All figures</a>']
    )
    body = "".join(_section_html(s, colours) for s in sections)
    note = f'<p class="note">{escape(timelines_note)}</p>' if timelines_note else ""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'
        f"<title>USD format comparison · {data.commit_hash[:8]}</title>"
        f"<style>{_CSS}</style></head><body>"
        '<header><nav><a id="asv-link" href="../index.html">← asv site: every benchmark '
        "across commits</a></nav>"
        f"<h1>USD format comparison at {data.commit_hash[:8]}</h1>"
        f"{_meta_html(data)}{_notes_html(data)}{note}"
        f'<p class="toc">{toc}</p></header>'
        f"<main>{body}{_table_html(data)}</main>"
        f'<script>{_SORT_JS}</script><script src="{PLOTLY_JS}"></script>'
        f"<script>{_PLOT_JS}</script></body></html>\n"
    )


def write_report(data: ReportData, html_dir: Path | None = None) -> Path:
    """Write <html_dir>/formats/index.html and return its path."""
    out_dir = Path(html_dir or data.html_dir) / REPORT_SUBDIR
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "index.html"
    path.write_text(render_page(data), encoding="utf-8")
    _copy_plotly_js(out_dir / PLOTLY_JS)
    return path


def _copy_plotly_js(target: Path) -> None:
    with resources.as_file(resources.files("plotly") / "package_data" / PLOTLY_JS) as source:
        if not (target.is_file() and filecmp.cmp(source, target, shallow=False)):
            shutil.copyfile(source, target)
