"""Charts rendered to SVG text at build time: no JavaScript, no network to view them.

Every drawn figure is an element of class "mark" carrying data-benchmark,
data-params (JSON) and data-status, with a <title> tooltip giving its value,
so a reader can hover and a test can count what was drawn.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from html import escape

from .charts import AXIS_LABELS, BarChart, LineChart, fmt_of
from .data import OK, Row
from .palette import NO_FORMAT_COLOUR, ordered_formats
from .units import axis_unit, format_value

FONT = "system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif"
CHAR_W = 6.6  # rough width of one 11px character, for layout
PLOT_H = 230
TOP = 18
AXIS_COLOUR = "#555"
GRID_COLOUR = "#e3e3e3"
MISSING_COLOUR = "#888"


@dataclass
class Axis:
    lo: float
    hi: float
    log: bool
    ticks: list[tuple[float, str]]
    title: str = ""

    def frac(self, v: float) -> float:
        if self.log:
            v = max(v, self.lo)
            return (math.log10(v) - math.log10(self.lo)) / (
                math.log10(self.hi) - math.log10(self.lo)
            )
        return (v - self.lo) / (self.hi - self.lo)


def num(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _tick_text(v: float, unit: str) -> str:
    """Compact tick label: '10 KiB', '1 ms', '250 MiB'."""
    if v == 0:
        return "0"
    label, size = axis_unit(abs(v), unit)
    text = f"{v / size:.3g}"
    return f"{text} {label}".strip()


def _nice_step(span: float, count: int = 5) -> float:
    raw = span / count
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if m * mag >= raw:
            return m * mag
    return 10 * mag


def value_axis(values: list[float], unit: str) -> Axis:
    """Linear from zero, or logarithmic when positive figures span more than 100x."""
    if values and min(values) > 0 and max(values) / min(values) > 100:
        return log_axis(values, unit)
    return linear_axis(values, unit)


def log_axis(values: list[float], unit: str, title: str = "log scale") -> Axis:
    """Logarithmic over positive ``values``, ticks at round figures of the unit
    (1, 10, 100 KiB ...; 1, 2, 5, 10 ... where that gives fewer than three)."""
    base = 1024.0 if unit == "bytes" else 10.0
    # Bytes on a log axis tick at 1, 10, 100 KiB/MiB/...: readable labels.
    start = math.floor(math.log(min(values), base)) - 1
    stop = math.ceil(math.log(max(values), base)) + 1
    ticks: list[float] = []
    for multiples in ((1, 10, 100) if base > 10 else (1,), (1, 2, 5, 10, 20, 50, 100, 200, 500)):
        cands = {base**k * m for k in range(start, stop + 1) for m in multiples}
        if base > 10:  # below one byte (per prim, say), decimal fractions read better
            fractions = {10.0**-j * m for j in range(1, 7) for m in (1, 2, 5)}
            cands = {c for c in cands if c >= 1} | fractions
        cands = sorted(cands)
        lo = max(c for c in cands if c <= min(values))
        hi = min(c for c in cands if c >= max(values))
        ticks = [c for c in cands if lo <= c <= hi]
        if len(ticks) >= 3:
            break
    while len(ticks) > 8:
        ticks = ticks[::2]
    return Axis(lo, hi, True, [(t, _tick_text(t, unit)) for t in ticks], title)


def linear_axis(values: list[float], unit: str) -> Axis:
    """Linear, from zero (or below, for negative figures), at round steps."""
    lo = min([0.0, *values])
    hi = max([0.0, *values])
    if hi == lo:
        hi = lo + (1.0 if unit != "seconds" else 1e-3)
    label, size = axis_unit(max(abs(lo), abs(hi)), unit)
    step = _nice_step((hi - lo) / size)
    first = math.floor(lo / size / step)
    last = math.ceil(hi / size / step)
    top = max(abs(first), abs(last)) * step * size
    if axis_unit(top, unit)[1] != size:
        # Rounding up reached the next unit (0.96 s -> a 1000 ms tick): label in that unit.
        label, size = axis_unit(top, unit)
        step = _nice_step((hi - lo) / size)
        first = math.floor(lo / size / step)
        last = math.ceil(hi / size / step)
    ticks = []
    for i in range(first, last + 1):
        t = round(i * step, 10)
        ticks.append((t * size, f"{t:g} {label}".strip() if t else "0"))
    return Axis(first * step * size, last * step * size, False, ticks)


def count_text(v: float) -> str:
    """1000 -> '1k', 1000000 -> '1M', 250 -> '250'."""
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= size:
            return f"{v / size:g}{suffix}"
    return f"{v:g}"


def scale_axis(values: list[float], name: str) -> Axis:
    """X axis at the measured scales; logarithmic when they span 10x or more."""
    xs = sorted(set(values))
    title = AXIS_LABELS.get(name, name)
    if xs and xs[0] > 0 and xs[-1] / xs[0] >= 10:
        lo, hi = xs[0] / 10**0.15, xs[-1] * 10**0.15
        return Axis(lo, hi, True, [(x, count_text(x)) for x in xs], f"{title}, log scale")
    if len(xs) == 1:
        pad = abs(xs[0]) * 0.5 or 1.0
        return Axis(xs[0] - pad, xs[0] + pad, False, [(xs[0], count_text(xs[0]))], title)
    span = xs[-1] - xs[0]
    return Axis(
        xs[0] - span * 0.05, xs[-1] + span * 0.05, False, [(x, count_text(x)) for x in xs], title
    )


def mark_attrs(row: Row) -> str:
    params = escape(json.dumps(row.params_dict, sort_keys=True), quote=True)
    return (
        f'data-benchmark="{escape(row.benchmark, quote=True)}" data-params="{params}" '
        f'data-status="{row.status}"'
    )


def tooltip(row: Row) -> str:
    where = ", ".join(f"{n} {v}" for n, v in row.params)
    what = format_value(row.value, row.unit) if row.status == OK else row.status
    return escape(f"{row.operation} · {row.metric} · {where}: {what}")


def legend(x, y, formats, colours, missing, columns: int = 1, col_w: float = 0.0) -> str:
    """Swatches in ``columns`` columns (one, right of a chart; several, below it)."""
    entries = [(f, colours.get(f, NO_FORMAT_COLOUR)) for f in formats]
    if missing:
        entries.append((None, MISSING_COLOUR))
    rows = math.ceil(len(entries) / columns)
    parts = []
    for i, (fmt, colour) in enumerate(entries):
        xx = x + (i // rows) * col_w
        yy = y + (i % rows) * 16
        if fmt is None:
            parts.append(
                f'<text x="{num(xx + 1)}" y="{num(yy + 10)}" fill="{MISSING_COLOUR}">'
                "× skipped/failed</text>"
            )
            continue
        parts.append(
            f'<rect x="{num(xx)}" y="{num(yy)}" width="11" height="11" fill="{colour}"/>'
            f'<text x="{num(xx + 16)}" y="{num(yy + 9.5)}">{escape(fmt)}</text>'
        )
    return '<g class="legend">' + "".join(parts) + "</g>"


def legend_width(formats: list[str]) -> float:
    return 24 + max([len(f) for f in formats] + [16]) * CHAR_W


def svg_open(width: float, height: float, title: str, kind: str, marks: int) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-kind="{kind}" '
        f'data-marks="{marks}" width="{num(width)}" height="{num(height)}" '
        f'viewBox="0 0 {num(width)} {num(height)}" role="img" '
        f'font-family="{escape(FONT, quote=True)}" font-size="11">'
        f"<title>{escape(title)}</title>"
    )


def y_axis(axis: Axis, left: float, right: float, top: float) -> list[str]:
    out = []
    for value, label in axis.ticks:
        y = top + PLOT_H * (1 - axis.frac(value))
        out.append(
            f'<line x1="{num(left)}" x2="{num(right)}" y1="{num(y)}" y2="{num(y)}" '
            f'stroke="{GRID_COLOUR}"/>'
            f'<text x="{num(left - 6)}" y="{num(y + 4)}" text-anchor="end" '
            f'fill="{AXIS_COLOUR}">{escape(label)}</text>'
        )
    out.append(
        f'<line x1="{num(left)}" x2="{num(left)}" y1="{num(top)}" y2="{num(top + PLOT_H)}" '
        f'stroke="{AXIS_COLOUR}"/>'
    )
    if axis.title:
        out.append(
            f'<text x="{num(left)}" y="{num(top - 6)}" fill="{AXIS_COLOUR}" '
            f'font-style="italic">{escape(axis.title)}</text>'
        )
    return out


def x_axis_svg(axis: Axis, left: float, plot_w: float, y: float, title: str) -> list[str]:
    """A horizontal axis at ``y``: its line, ticks and labels, its title below."""
    out = [
        f'<line x1="{num(left)}" x2="{num(left + plot_w)}" y1="{num(y)}" y2="{num(y)}" '
        f'stroke="{AXIS_COLOUR}"/>'
    ]
    for value, label in axis.ticks:
        x = left + plot_w * axis.frac(value)
        out.append(
            f'<line x1="{num(x)}" x2="{num(x)}" y1="{num(y)}" y2="{num(y + 4)}" '
            f'stroke="{AXIS_COLOUR}"/><text x="{num(x)}" y="{num(y + 16)}" '
            f'text-anchor="middle" fill="{AXIS_COLOUR}">{escape(label)}</text>'
        )
    out.append(
        f'<text x="{num(left + plot_w / 2)}" y="{num(y + 34)}" text-anchor="middle" '
        f'fill="{AXIS_COLOUR}" font-style="italic">{escape(title)}</text>'
    )
    return out


def render_bar_chart(chart: BarChart, colours: dict[str, str]) -> str:
    rows = [r for _, group in chart.groups for r in group]
    formats = ordered_formats(fmt_of(r) for r in rows)
    slot = {f: i for i, f in enumerate(formats)}
    axis = value_axis([r.value for r in rows if r.status == OK], chart.unit)

    n_groups = len(chart.groups)
    bar_w = min(24.0, max(4.0, 680.0 / max(1, n_groups * len(formats))))
    gap = max(10.0, bar_w * 1.5)
    group_w = bar_w * len(formats)
    plot_w = n_groups * group_w + (n_groups + 1) * gap
    labels = [label for label, _ in chart.groups]
    rotate = max(len(t) for t in labels) * CHAR_W > group_w + gap
    left = 16 + max(len(label) for _, label in axis.ticks) * CHAR_W
    if rotate:
        # The first label, turned 35 degrees, reaches this far left of its group's centre.
        reach = len(labels[0]) * CHAR_W * math.cos(math.radians(35))
        left = max(left, reach - gap - group_w / 2 + 6)
    bottom = 14 + (max(len(t) for t in labels) * CHAR_W * 0.6 + 10 if rotate else 10)
    legend_x = left + plot_w + 18
    missing = any(r.status != OK for r in rows)
    width = legend_x + legend_width(formats)
    height = max(TOP + PLOT_H + bottom, TOP + 16 * (len(formats) + 1) + 8)
    base_y = TOP + PLOT_H * (1 - axis.frac(axis.lo if axis.log else max(axis.lo, 0.0)))

    marks = []
    for gi, (label, group) in enumerate(chart.groups):
        gx = left + gap + gi * (group_w + gap)
        for r in group:
            x = gx + slot[fmt_of(r)] * bar_w
            if r.status == OK:
                y = TOP + PLOT_H * (1 - axis.frac(r.value))
                y0, y1 = sorted((y, base_y))
                marks.append(
                    f'<rect class="mark" {mark_attrs(r)} x="{num(x)}" y="{num(y0)}" '
                    f'width="{num(max(bar_w - 1, 2))}" height="{num(max(y1 - y0, 1))}" '
                    f'fill="{colours.get(fmt_of(r), NO_FORMAT_COLOUR)}">'
                    f"<title>{tooltip(r)}</title></rect>"
                )
            else:
                marks.append(
                    f'<text class="mark missing" {mark_attrs(r)} x="{num(x + bar_w / 2)}" '
                    f'y="{num(base_y - 3)}" text-anchor="middle" fill="{MISSING_COLOUR}">×'
                    f"<title>{tooltip(r)}</title></text>"
                )
        cx = gx + group_w / 2
        ly = TOP + PLOT_H + 14
        if rotate:
            marks.append(
                f'<text x="{num(cx)}" y="{num(ly)}" text-anchor="end" '
                f'transform="rotate(-35 {num(cx)} {num(ly)})">{escape(label)}</text>'
            )
        else:
            marks.append(
                f'<text x="{num(cx)}" y="{num(ly)}" text-anchor="middle">{escape(label)}</text>'
            )

    out = [svg_open(width, height, chart.title, "bar", len(rows))]
    out += y_axis(axis, left, left + plot_w, TOP)
    out.append(
        f'<line x1="{num(left)}" x2="{num(left + plot_w)}" y1="{num(base_y)}" '
        f'y2="{num(base_y)}" stroke="{AXIS_COLOUR}"/>'
    )
    out += marks
    out.append(legend(legend_x, TOP, formats, colours, missing))
    out.append("</svg>")
    return "".join(out)


def render_line_chart(chart: LineChart, colours: dict[str, str]) -> str:
    rows = [r for series in chart.series.values() for r in series]
    formats = list(chart.series)
    xs = [float(r.param(chart.x_param)) for r in rows]
    x_axis = scale_axis(xs, chart.x_param)
    y_ax = value_axis([r.value for r in rows if r.status == OK], chart.unit)
    left = 16 + max(len(label) for _, label in y_ax.ticks) * CHAR_W
    plot_w = 430.0
    missing = any(r.status != OK for r in rows)
    # Legend below the plot, so two line charts fit side by side.
    col_w = legend_width(formats) - 8
    columns = max(1, int((plot_w + 10) // col_w))
    width = max(left + plot_w + 12, left + columns * col_w)
    legend_rows = math.ceil((len(formats) + missing) / columns)
    legend_y = TOP + PLOT_H + 48
    height = legend_y + legend_rows * 16 + 4
    base_y = TOP + PLOT_H

    def px(row: Row) -> float:
        return left + plot_w * x_axis.frac(float(row.param(chart.x_param)))

    out = [svg_open(width, height, chart.title, "line", len(rows))]
    out += y_axis(y_ax, left, left + plot_w, TOP)
    out += x_axis_svg(x_axis, left, plot_w, base_y, x_axis.title)
    for fmt, series in chart.series.items():
        colour = colours.get(fmt, NO_FORMAT_COLOUR)
        # A skipped point breaks the line rather than bridging the gap.
        segment: list[str] = []
        segments = [segment]
        for r in series:
            if r.status == OK:
                y = TOP + PLOT_H * (1 - y_ax.frac(r.value))
                segment.append(f"{num(px(r))},{num(y)}")
            else:
                segment = []
                segments.append(segment)
        for seg in segments:
            if len(seg) > 1:
                out.append(
                    f'<polyline class="line" data-format="{escape(fmt, quote=True)}" '
                    f'points="{" ".join(seg)}" fill="none" stroke="{colour}" stroke-width="2"/>'
                )
        for r in series:
            if r.status == OK:
                y = TOP + PLOT_H * (1 - y_ax.frac(r.value))
                out.append(
                    f'<circle class="mark" {mark_attrs(r)} cx="{num(px(r))}" cy="{num(y)}" '
                    f'r="3.5" fill="{colour}"><title>{tooltip(r)}</title></circle>'
                )
            else:
                out.append(
                    f'<text class="mark missing" {mark_attrs(r)} x="{num(px(r))}" '
                    f'y="{num(base_y - 3)}" text-anchor="middle" fill="{colour}">×'
                    f"<title>{tooltip(r)}</title></text>"
                )
    out.append(legend(left, legend_y, formats, colours, missing, columns, col_w))
    out.append("</svg>")
    return "".join(out)


def render_chart(chart, colours: dict[str, str]) -> str:
    if hasattr(chart, "render"):  # charts of their own module (growth, timelines)
        return chart.render(colours)
    if isinstance(chart, LineChart):
        return render_line_chart(chart, colours)
    return render_bar_chart(chart, colours)
