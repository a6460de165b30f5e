"""Plotly figures of the report's charts: one builder per kind of chart.

Values are plotted in the unit the chart's largest figure reads best in (MiB,
ms, ...), so Plotly's own ticks stay right when a reader zooms; every point
carries its exact figure in ``customdata`` (first item, or the item itself
for the long timeline series) and a hover text giving both.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable

import plotly.graph_objects as go
import plotly.io

from .charts import AXIS_LABELS, SCALE, BarChart, LineChart, fmt_of
from .data import OK, Row
from .growth import GrowthChart, scale_of
from .palette import NO_FORMAT_COLOUR, ordered_formats
from .timeline_charts import COLUMN_LABELS, SPLIT_LABELS, SplitChart, TimelineChart, value_at
from .timelines import SPLIT
from .units import axis_unit, count_text, exact_text, format_seconds, format_value

FONT = "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif"
AXIS_COLOUR = "#555"
GRID_COLOUR = "#e3e3e3"
HEIGHT = 380
# Two line charts side by side in the page's 1280 px.
LINE_WIDTH = 590
# Where each phase ends on a timeline: a circle, a square, then triangles.
PHASE_SYMBOLS = ("circle", "square", "triangle-up")
PHASE_TEXT = ("●", "■", "▲")
# The split's parts: the format's colour, fainter and hatched for memory the
# kernel can drop and re-read (file-backed) or that other processes share.
SPLIT_OPACITY = {"anon": 1.0, "file": 0.5, "shmem": 0.25}
SPLIT_PATTERN = {"anon": "", "file": "/", "shmem": "."}


def chart_unit(values: list[float], unit: str) -> tuple[str, float]:
    """The unit label and size the chart's values are plotted in."""
    return axis_unit(max((abs(v) for v in values), default=0.0), unit)


def wide_span(values: list[float], ratio: float) -> bool:
    """Positive figures spanning more than ``ratio`` times: a log axis reads them."""
    return bool(values) and min(values) > 0 and max(values) / min(values) > ratio


def _axis(title: str, log: bool = False, **extra) -> dict:
    return {
        "title": {"text": title + (", log scale" if log else ""), "font": {"size": 11}},
        "type": "log" if log else "linear",
        "showline": True,
        "linecolor": AXIS_COLOUR,
        "gridcolor": GRID_COLOUR,
        "zerolinecolor": AXIS_COLOUR,
        "ticks": "outside",
        "tickcolor": AXIS_COLOUR,
        "automargin": True,  # long category labels, turned, get the room they need
        **extra,
    }


def _value_axis(title: str, values: list[float], log: bool) -> dict:
    """Plotted values (positive, for a log axis). Log ticks are at 1, 10, 100...,
    or at 1, 2, 5, 10... where the figures span three decades or less: Plotly's
    own label 2 and 5 with a bare digit, which reads as a wrong value."""
    if not log:
        return _axis(title)
    lo, hi = math.floor(math.log10(min(values))), math.ceil(math.log10(max(values)))
    steps = (1,) if hi - lo > 3 else (1, 2, 5)
    ticks = [m * 10.0**k for k in range(lo - 1, hi + 2) for m in steps]
    return _axis(title, True, tickvals=ticks, ticktext=[f"{t:.12g}" for t in ticks])


def _scale_axis(scales: list[float], name: str) -> dict:
    """The prim count: labelled at the measured scales (1k, 10k...), log when they span 10x."""
    ticks = sorted(set(scales))
    return _axis(
        AXIS_LABELS.get(name, name),
        wide_span(ticks, 9.99),
        tickvals=ticks,
        ticktext=[count_text(t) for t in ticks],
    )


def _layout(width: float, height: float, x: dict, y: dict, **extra) -> dict:
    return {
        "width": round(width),
        "height": round(height),
        "margin": {"l": 70, "r": 10, "t": 30, "b": 60},
        "font": {"family": FONT, "size": 11, "color": "#222"},
        "plot_bgcolor": "#fff",
        "paper_bgcolor": "#fff",
        "hovermode": "closest",
        "xaxis": x,
        "yaxis": y,
        "legend": {"title": {"text": "format (click to hide)"}, "font": {"size": 11}},
        **extra,
    }


def _point(row: Row) -> list:
    """What a point of asv's figures carries: exact figure, status, benchmark, parameters."""
    return [row.value, row.status, row.benchmark, json.dumps(row.params_dict, sort_keys=True)]


def _hover(row: Row) -> str:
    where = ", ".join(f"{n} {v}" for n, v in row.params)
    if row.status != OK:
        return f"{row.operation} · {row.metric} · {where}: {row.status}"
    text = (
        f"{row.operation} · {row.metric}<br>{where}<br>"
        f"<b>{format_value(row.value, row.unit)}</b> ({exact_text(row.value, row.unit)})"
    )
    if row.spread is not None:
        text += f"<br>between runs: {format_value(row.spread.bytes, 'bytes')}"
        text += f" over {row.spread.runs} runs"
    return text


def _colour(colours: dict[str, str], fmt: str) -> str:
    return colours.get(fmt, NO_FORMAT_COLOUR)


HOVER = "%{hovertext}<extra></extra>"


def bar_figure(chart: BarChart, colours: dict[str, str]) -> go.Figure:
    """Bars per group (scale, operation...), one trace per format."""
    rows = chart.rows
    measured = [r.value for r in rows if r.status == OK]
    label, size = chart_unit(measured, chart.unit)
    formats = ordered_formats(fmt_of(r) for r in rows)
    fig = go.Figure()
    for fmt in formats:
        points = [(g, r) for g, group in chart.groups for r in group if fmt_of(r) == fmt]
        fig.add_bar(
            name=fmt,
            x=[g for g, _ in points],
            y=[r.value / size if r.status == OK else None for _, r in points],
            customdata=[_point(r) for _, r in points],
            hovertext=[_hover(r) for _, r in points],
            hovertemplate=HOVER,
            marker_color=_colour(colours, fmt),
        )
    n_bars = len(chart.groups) * len(formats)
    width = min(1240, max(520, 300 + 14 * n_bars))
    fig.update_layout(
        _layout(
            width,
            HEIGHT + 40,
            _axis("", type="category"),
            _value_axis(label, [v / size for v in measured], wide_span(measured, 100)),
            barmode="group",
        )
    )
    return fig


def line_figure(chart: LineChart, colours: dict[str, str]) -> go.Figure:
    """A line per format against the scale; a skipped point breaks its line."""
    rows = chart.rows
    measured = [r.value for r in rows if r.status == OK]
    label, size = chart_unit(measured, chart.unit)
    xs = [float(r.param(chart.x_param)) for r in rows]
    fig = go.Figure()
    for fmt, series in chart.series.items():
        fig.add_scatter(
            name=fmt,
            mode="lines+markers",
            x=[float(r.param(chart.x_param)) for r in series],
            y=[r.value / size if r.status == OK else None for r in series],
            customdata=[_point(r) for r in series],
            hovertext=[_hover(r) for r in series],
            hovertemplate=HOVER,
            line={"color": _colour(colours, fmt), "width": 2},
            marker={"size": 7},
        )
    fig.update_layout(
        _layout(
            LINE_WIDTH,
            HEIGHT,
            _scale_axis(xs, chart.x_param),
            _value_axis(label, [v / size for v in measured], wide_span(measured, 100)),
        )
    )
    return fig


def growth_figure(chart: GrowthChart, colours: dict[str, str]) -> go.Figure:
    """Each format's figure per prim against the prim count, log-log."""
    per_prim = [r.value / scale_of(r) for fit in chart.fits for r in fit.rows]
    label, size = chart_unit(per_prim, chart.unit)
    fig = go.Figure()
    for fit in chart.fits:
        texts = []
        for r in fit.rows:
            scale = scale_of(r)
            texts.append(
                f"{fit.format}, {count_text(scale)} prims<br>"
                f"<b>{format_value(r.value / scale, chart.unit)} per prim</b> "
                f"({exact_text(r.value / scale, chart.unit)})<br>"
                f"total {format_value(r.value, chart.unit)} ({exact_text(r.value, chart.unit)})"
                f"<br>exponent {fit.exponent:.3f}"
            )
        fig.add_scatter(
            name=fit.format,
            mode="lines+markers",
            x=[scale_of(r) for r in fit.rows],
            y=[r.value / scale_of(r) / size for r in fit.rows],
            customdata=[_point(r) for r in fit.rows],
            hovertext=texts,
            hovertemplate=HOVER,
            line={"color": _colour(colours, fit.format), "width": 2},
            marker={"size": 7},
        )
    fig.update_layout(
        _layout(
            LINE_WIDTH,
            HEIGHT,
            _scale_axis([scale_of(r) for fit in chart.fits for r in fit.rows], SCALE),
            _value_axis(f"{label} per prim", [v / size for v in per_prim], True),
        )
    )
    return fig


def timeline_figure(chart: TimelineChart, colours: dict[str, str]) -> go.Figure:
    """Every sample of each format (WebGL), its phase ends and exact peak marked."""
    series = {e.format: (list(e.timeline.t_s), e.above_start(chart.column)) for e in chart.entries}
    values = [v for _, vs in series.values() for v in vs]
    if chart.column == "rss":
        values += [e.exact_peak_bytes for e in chart.entries if e.exact_peak_bytes is not None]
    label, size = chart_unit(values, "bytes")
    what = COLUMN_LABELS[chart.column]
    fig = go.Figure()
    for e in chart.entries:
        colour = _colour(colours, e.format)
        ts, vs = series[e.format]
        fig.add_scattergl(
            name=e.format,
            legendgroup=e.format,
            mode="lines",
            x=ts,
            y=[v / size for v in vs],
            customdata=vs,
            hovertemplate=(
                f"{e.format} at %{{x:.4f}} s<br>{what}: <b>%{{y:.3f}} {label}</b> "
                "(%{customdata:,} B) above the start<extra></extra>"
            ),
            line={"color": colour, "width": 1.6},
        )
        marks = [
            (phase, t, value_at(ts, vs, t), PHASE_SYMBOLS[min(k, 2)])
            for k, (phase, t) in enumerate(e.phases)
        ]
        if chart.column == "rss" and e.exact_peak_bytes is not None:
            marks.append(("exact peak", ts[e.timeline.peak_index()], e.exact_peak_bytes, "diamond"))
        fig.add_scatter(
            name=e.format,
            legendgroup=e.format,
            showlegend=False,
            mode="markers",
            x=[t for _, t, _, _ in marks],
            y=[v / size for _, _, v, _ in marks],
            customdata=[[phase, v] for phase, _, v, _ in marks],
            hovertext=[_mark_text(e.format, phase, t, v, what) for phase, t, v, _ in marks],
            hovertemplate=HOVER,
            marker={
                "color": colour,
                "size": 10,
                "symbol": [s for *_, s in marks],
                "line": {"color": "#fff", "width": 1},
            },
        )
    phases = max((e.phases for e in chart.entries), key=len)
    key = " · ".join(f"{PHASE_TEXT[min(k, 2)]} {p}" for k, (p, _) in enumerate(phases))
    key = f"where each phase ends: {key}"
    if chart.column == "rss":
        key += " · ◆ exact peak (kernel high-water mark)"
    fig.update_layout(
        _layout(
            1000,
            HEIGHT + 60,
            _axis("time since the operation started (s)"),
            _axis(f"{label} above the start"),
            margin={"l": 70, "r": 10, "t": 30, "b": 90},
            annotations=[_key_annotation(key)],
        )
    )
    return fig


def _mark_text(fmt: str, phase: str, t: float, value: int, what: str) -> str:
    if phase == "exact peak":
        head = f"{fmt}: exact peak (kernel high-water mark) near {format_seconds(t)}"
    else:
        head = f"{fmt}: {phase} ends at {format_seconds(t)}"
    return f"{head}<br>{what}: <b>{format_value(value, 'bytes')}</b> ({exact_text(value, 'bytes')})"


def _key_annotation(text: str) -> dict:
    return {
        "text": text,
        "xref": "paper",
        "yref": "paper",
        "x": 0,
        "y": -0.2,
        "xanchor": "left",
        "yanchor": "top",
        "showarrow": False,
        "font": {"color": AXIS_COLOUR},
    }


def split_figure(chart: SplitChart, colours: dict[str, str]) -> go.Figure:
    """Each format's memory at its peak, stacked by part."""
    splits = {e.format: e.split_at_peak() for e in chart.entries}
    label, size = chart_unit([v for s in splits.values() for v in s.values()], "bytes")
    fig = go.Figure()
    for fmt, split in splits.items():
        parts = [p for p in SPLIT if p in split]
        for i, part in enumerate(parts):
            v = split[part]
            fig.add_bar(
                name=fmt,
                legendgroup=fmt,
                showlegend=i == 0,
                x=[fmt],
                y=[v / size],
                customdata=[[part, v]],
                hovertext=[
                    f"{fmt} at the peak<br>{SPLIT_LABELS[part]}: "
                    f"<b>{format_value(v, 'bytes')}</b> ({exact_text(v, 'bytes')}) above the start"
                ],
                hovertemplate=HOVER,
                marker={
                    "color": _colour(colours, fmt),
                    "opacity": SPLIT_OPACITY[part],
                    "pattern": {"shape": SPLIT_PATTERN[part], "fgcolor": "#fff"},
                    "line": {"color": _colour(colours, fmt), "width": 1},
                },
            )
    key = " · ".join(
        f"{SPLIT_LABELS[p]} {'solid' if not SPLIT_PATTERN[p] else 'hatched ' + SPLIT_PATTERN[p]}"
        for p in SPLIT
    )
    fig.update_layout(
        _layout(
            max(560, 300 + 60 * len(splits)),
            HEIGHT + 80,
            _axis("", type="category"),
            _axis(f"{label} above the start"),
            barmode="relative",
            margin={"l": 70, "r": 10, "t": 30, "b": 150},
            annotations=[{**_key_annotation(key), "y": -0.45}],
        )
    )
    return fig


Chart = BarChart | LineChart | GrowthChart | TimelineChart | SplitChart
BUILDERS: dict[type, Callable[[Chart, dict[str, str]], go.Figure]] = {
    BarChart: bar_figure,
    LineChart: line_figure,
    GrowthChart: growth_figure,
    TimelineChart: timeline_figure,
    SplitChart: split_figure,
}


def figure_json(chart: Chart, colours: dict[str, str]) -> str:
    """The chart's figure as JSON that can sit inside a <script> element."""
    text = plotly.io.to_json(BUILDERS[type(chart)](chart, colours), pretty=False)
    return text.replace("<", "\\u003c")  # no "</script>" inside the element
