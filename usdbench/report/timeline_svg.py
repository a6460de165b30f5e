"""Charts of the memory timelines: memory against time (a line per format, the
phase ends marked), and each format's memory at its peak split into anonymous,
file-backed and shared parts. SVG drawn at build time, as in svg.py."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from html import escape

from .palette import NO_FORMAT_COLOUR
from .svg import (
    AXIS_COLOUR,
    CHAR_W,
    PLOT_H,
    TOP,
    legend,
    legend_width,
    linear_axis,
    num,
    svg_open,
    x_axis_svg,
    y_axis,
)
from .timelines import SPLIT, FormatTimeline, TimelineSet
from .units import format_bytes, format_seconds

PLOT_W = 700.0
# Points kept per line: the lowest and highest sample of each of this many
# time buckets, so a spike one sample wide is still drawn.
BUCKETS = 700
# The split's parts: the format's colour, fainter for memory the kernel can
# drop and re-read (file-backed) or that other processes share.
SPLIT_OPACITY = {"anon": 1.0, "file": 0.45, "shmem": 0.18}
SPLIT_LABELS = {"anon": "anonymous", "file": "file-backed", "shmem": "shared (shmem)"}
COLUMN_LABELS = {"rss": "resident memory (RSS)", "vm_size": "virtual size (VmSize)"}


@dataclass
class TimelineChart:
    id: str
    title: str
    column: str  # "rss" or "vm_size"
    entries: list[FormatTimeline]
    kind: str = "timeline"

    def render(self, colours: dict[str, str]) -> str:
        return render_timeline_chart(self, colours)


@dataclass
class SplitChart:
    id: str
    title: str
    entries: list[FormatTimeline]
    kind: str = "split"

    def render(self, colours: dict[str, str]) -> str:
        return render_split_chart(self, colours)


def timeline_charts(timelines: TimelineSet) -> list:
    measured = timelines.measured
    if not measured:
        return []
    charts = [
        TimelineChart(
            "timeline-rss", "Resident memory against time, above its start", "rss", measured
        )
    ]
    if all(e.split_at_peak() is not None for e in measured):
        charts.append(
            SplitChart("timeline-split", "At the peak: anonymous and file-backed", measured)
        )
    if all(e.timeline.vm_size is not None for e in measured):
        charts.append(
            TimelineChart(
                "timeline-vm-size", "Virtual size against time, above its start", "vm_size",
                measured,
            )
        )  # fmt: skip
    return charts


def decimate(ts: list[float], vs: list[int], buckets: int = BUCKETS) -> list[tuple[float, int]]:
    """At most ~2 points a bucket: each bucket's lowest and highest, in time order."""
    if len(ts) <= 2 * buckets:
        return list(zip(ts, vs, strict=True))
    t0, span = ts[0], (ts[-1] - ts[0]) or 1.0
    kept: dict[int, list[int]] = {}
    for i, t in enumerate(ts):
        b = min(buckets - 1, int((t - t0) / span * buckets))
        lo_hi = kept.get(b)
        if lo_hi is None:
            kept[b] = [i, i]
        else:
            if vs[i] < vs[lo_hi[0]]:
                lo_hi[0] = i
            if vs[i] > vs[lo_hi[1]]:
                lo_hi[1] = i
    keep = sorted({i for pair in kept.values() for i in pair} | {0, len(ts) - 1})
    return [(ts[i], vs[i]) for i in keep]


def _value_at(ts: list[float], vs: list[int], t: float) -> int:
    """The value of the last sample at or before ``t`` (the first, before any)."""
    lo, hi = 0, len(ts)
    while lo < hi:
        mid = (lo + hi) // 2
        if ts[mid] <= t:
            lo = mid + 1
        else:
            hi = mid
    return vs[max(0, lo - 1)]


def _attrs(fmt: str, **params) -> str:
    data = escape(json.dumps({"format": fmt, **params}, sort_keys=True), quote=True)
    return f'data-format="{escape(fmt, quote=True)}" data-params="{data}" data-status="ok"'


_SHAPE_TEXT = ("●", "■", "▲")


def _phase_marker(k: int, x: float, y: float, colour: str, attrs: str, what: str) -> str:
    """Phase k's end: a circle, a square, then triangles (the key says which is which)."""
    common = f'class="mark phase" {attrs} fill="{colour}" stroke="#fff" stroke-width="1"'
    title = f"<title>{escape(what)}</title>"
    if k == 0:
        return f'<circle {common} cx="{num(x)}" cy="{num(y)}" r="4.5">{title}</circle>'
    if k == 1:
        return (
            f'<rect {common} x="{num(x - 4)}" y="{num(y - 4)}" width="8" height="8">{title}</rect>'
        )
    return f'<path {common} d="M{num(x)},{num(y - 5.5)} l5,9 l-10,0 z">{title}</path>'


def render_timeline_chart(chart: TimelineChart, colours: dict[str, str]) -> str:
    series = {}
    for e in chart.entries:
        ts = [t for t in e.timeline.t_s]
        series[e.format] = (ts, e.above_start(chart.column))
    end = max(max(ts) for ts, _ in series.values())
    x_axis = linear_axis([0.0, end], "seconds")
    values = [v for _, vs in series.values() for v in vs]
    if chart.column == "rss":
        values += [e.exact_peak_bytes for e in chart.entries if e.exact_peak_bytes is not None]
    y_ax = linear_axis(values, "bytes")
    formats = [e.format for e in chart.entries]
    left = 16 + max(len(label) for _, label in y_ax.ticks) * CHAR_W
    col_w = legend_width(formats) - 8
    columns = max(1, int((PLOT_W + 10) // col_w))
    width = max(left + PLOT_W + 12, left + columns * col_w)
    legend_y = TOP + PLOT_H + 48
    key_y = legend_y + math.ceil(len(formats) / columns) * 16 + 4
    height = key_y + 18
    base_y = TOP + PLOT_H * (1 - y_ax.frac(0.0))

    def px(t: float) -> float:
        return left + PLOT_W * x_axis.frac(min(max(t, x_axis.lo), x_axis.hi))

    def py(v: float) -> float:
        return TOP + PLOT_H * (1 - y_ax.frac(v))

    marks = sum(len(e.phases) for e in chart.entries)
    out = [svg_open(width, height, chart.title, "timeline", marks)]
    out += y_axis(y_ax, left, left + PLOT_W, TOP)
    out.append(
        f'<line x1="{num(left)}" x2="{num(left + PLOT_W)}" y1="{num(base_y)}" y2="{num(base_y)}" '
        f'stroke="{AXIS_COLOUR}"/>'
    )
    out += x_axis_svg(x_axis, left, PLOT_W, TOP + PLOT_H, "time since the operation started")
    for e in chart.entries:
        colour = colours.get(e.format, NO_FORMAT_COLOUR)
        ts, vs = series[e.format]
        points = " ".join(f"{num(px(t))},{num(py(v))}" for t, v in decimate(ts, vs))
        out.append(
            f'<polyline class="line" data-format="{escape(e.format, quote=True)}" '
            f'points="{points}" fill="none" stroke="{colour}" stroke-width="1.6"/>'
        )
        for k, (phase, t) in enumerate(e.phases):
            v = _value_at(ts, vs, t)
            what = (
                f"{e.format}: {phase} ends at {format_seconds(t)}, "
                f"{COLUMN_LABELS[chart.column]} {format_bytes(v)} above the start"
            )
            out.append(_phase_marker(k, px(t), py(v), colour, _attrs(e.format, phase=phase), what))
        if chart.column == "rss" and e.exact_peak_bytes is not None:
            i = e.timeline.peak_index()
            x, y = px(ts[i]), py(e.exact_peak_bytes)
            what = (
                f"{e.format}: exact peak {format_bytes(e.exact_peak_bytes)} (kernel high-water "
                f"mark); highest sample {format_bytes(vs[i])} at {format_seconds(ts[i])}"
            )
            out.append(
                f'<path class="peak" {_attrs(e.format)} d="M{num(x)},{num(y - 5)} '
                f'l5,5 l-5,5 l-5,-5 z" fill="{colour}" stroke="#fff" stroke-width="1">'
                f"<title>{escape(what)}</title></path>"
            )
    out.append(legend(left, legend_y, formats, colours, False, columns, col_w))
    phases = max((e.phases for e in chart.entries), key=len)
    key = " · ".join(f"{_SHAPE_TEXT[min(k, 2)]} {p}" for k, (p, _) in enumerate(phases))
    key = f"where each phase ends: {key}"
    if chart.column == "rss":
        key += " · ◆ exact peak (kernel high-water mark)"
    out.append(
        f'<text x="{num(left)}" y="{num(key_y + 10)}" fill="{AXIS_COLOUR}">{escape(key)}</text>'
    )
    out.append("</svg>")
    return "".join(out)


def render_split_chart(chart: SplitChart, colours: dict[str, str]) -> str:
    splits = {e.format: e.split_at_peak() for e in chart.entries}
    tops = [sum(v for v in s.values() if v > 0) for s in splits.values()]
    bottoms = [sum(v for v in s.values() if v < 0) for s in splits.values()]
    y_ax = linear_axis(tops + bottoms, "bytes")
    formats = [e.format for e in chart.entries]
    bar_w, gap = 34.0, 22.0
    plot_w = len(formats) * (bar_w + gap) + gap
    labels_h = max(len(f) for f in formats) * CHAR_W * 0.6 + 14
    left = 16 + max(len(label) for _, label in y_ax.ticks) * CHAR_W
    legend_x = left + plot_w + 18
    width = legend_x + max(legend_width(formats), 150)
    key_y = TOP + 16 * len(formats) + 12
    height = max(TOP + PLOT_H + labels_h + 10, key_y + 16 * len(SPLIT) + 8)
    zero_y = TOP + PLOT_H * (1 - y_ax.frac(0.0))

    def py(v: float) -> float:
        return TOP + PLOT_H * (1 - y_ax.frac(v))

    out = [svg_open(width, height, chart.title, "split", len(formats) * len(SPLIT))]
    out += y_axis(y_ax, left, left + plot_w, TOP)
    for k, e in enumerate(chart.entries):
        colour = colours.get(e.format, NO_FORMAT_COLOUR)
        x = left + gap + k * (bar_w + gap)
        up = down = 0.0
        for part in SPLIT:
            v = splits[e.format].get(part)
            if v is None:
                continue
            lo, hi = (up, up + v) if v >= 0 else (down + v, down)
            if v >= 0:
                up += v
            else:
                down += v
            y0, y1 = sorted((py(hi), py(lo)))
            what = f"{e.format} at the peak: {SPLIT_LABELS[part]} {format_bytes(v)} above the start"
            out.append(
                f'<rect class="mark split" {_attrs(e.format, part=part)} x="{num(x)}" '
                f'y="{num(y0)}" width="{num(bar_w)}" height="{num(max(y1 - y0, 0.5))}" '
                f'fill="{colour}" fill-opacity="{SPLIT_OPACITY[part]}" stroke="{colour}" '
                f'stroke-width="0.8"><title>{escape(what)}</title></rect>'
            )
        cx, ly = x + bar_w / 2, TOP + PLOT_H + 12
        out.append(
            f'<text x="{num(cx)}" y="{num(ly)}" text-anchor="end" '
            f'transform="rotate(-35 {num(cx)} {num(ly)})">{escape(e.format)}</text>'
        )
    out.append(
        f'<line x1="{num(left)}" x2="{num(left + plot_w)}" y1="{num(zero_y)}" y2="{num(zero_y)}" '
        f'stroke="{AXIS_COLOUR}"/>'
    )
    out.append(legend(legend_x, TOP, formats, colours, False))
    for i, part in enumerate(SPLIT):
        y = key_y + i * 16
        out.append(
            f'<rect x="{num(legend_x)}" y="{num(y)}" width="11" height="11" fill="{AXIS_COLOUR}" '
            f'fill-opacity="{SPLIT_OPACITY[part]}" stroke="{AXIS_COLOUR}" stroke-width="0.8"/>'
            f'<text x="{num(legend_x + 16)}" y="{num(y + 9.5)}">{SPLIT_LABELS[part]}</text>'
        )
    out.append("</svg>")
    return "".join(out)
