"""Growth with scale: how each figure grows with the prim count, format by format.

For every figure measured at two or more scales (a "scale" parameter), the
exponent k of ``figure ∝ prims^k`` is fitted by least squares on log-log
axes: 1 is linear, below 1 sublinear (a fixed cost dominates), above
SUPERLINEAR (1.1) superlinear, marked. The charts show the figure per prim
against the prim count on log-log axes (a flat line is linear growth; its
slope is k - 1), one line per format.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from html import escape

from .charts import FORMAT, SCALE, combo_label, fmt_of, metric_label, metric_sort_key
from .data import OK, Row, param_sort_key
from .palette import ordered_formats
from .units import count_text

SUPERLINEAR = 1.1
UNITS = ("bytes", "seconds")


def fit_exponent(scales: list[float], values: list[float]) -> float | None:
    """k of values ∝ scales^k, least squares in log-log; None without two
    distinct scales or with a value that is not positive."""
    if len(scales) != len(values) or len(set(scales)) < 2:
        return None
    if min(values) <= 0 or min(scales) <= 0:
        return None
    slope, _ = statistics.linear_regression(
        [math.log(s) for s in scales], [math.log(v) for v in values]
    )
    return slope


@dataclass
class Fit:
    benchmark: str
    operation: str
    metric: str
    unit: str
    combo: tuple[tuple[str, str], ...]  # the parameters other than format and scale
    format: str
    rows: list[Row]  # by scale, measured ones only
    exponent: float | None
    not_fitted: str = ""  # why there is no exponent

    @property
    def superlinear(self) -> bool:
        return self.exponent is not None and self.exponent > SUPERLINEAR


@dataclass
class GrowthChart:
    id: str
    title: str
    unit: str
    fits: list[Fit]  # one per format, in the report's order
    kind: str = "growth"
    rows: list[Row] = field(default_factory=list)


def scale_of(row: Row) -> float | None:
    try:
        return float(row.param(SCALE))
    except (TypeError, ValueError):
        return None


def growth_fits(rows: list[Row]) -> list[Fit]:
    """A fit per figure, other parameters and format, wherever a figure in
    bytes or seconds was measured at two scales or more."""
    groups: dict[tuple, list[Row]] = {}
    for r in rows:
        if r.unit not in UNITS or r.param(FORMAT) is None or scale_of(r) is None:
            continue
        combo = tuple((n, v) for n, v in r.params if n not in (FORMAT, SCALE))
        groups.setdefault((r.benchmark, combo, fmt_of(r)), []).append(r)
    fits = []
    for (benchmark, combo, fmt), group in groups.items():
        measured = sorted((r for r in group if r.status == OK), key=scale_of)
        if len({scale_of(r) for r in group}) < 2:
            continue  # one scale: nothing grows
        scales = [scale_of(r) for r in measured]
        values = [r.value for r in measured]
        exponent = fit_exponent(scales, values)
        why = ""
        if exponent is None:
            why = (
                "fewer than two scales measured"
                if len(set(scales)) < 2
                else "a figure at or below zero"
            )
        first = group[0]
        fits.append(
            Fit(benchmark, first.operation, first.metric, first.unit, combo, fmt, measured,
                exponent, why)
        )  # fmt: skip
    fits.sort(key=_fit_key)
    return fits


def _fit_key(fit: Fit):
    return (
        fit.operation,
        fit.metric,
        [param_sort_key(n, v) for n, v in fit.combo],
        param_sort_key(FORMAT, fit.format),
    )


def figure_label(fit: Fit) -> str:
    """'peak bytes', 'file bytes', ...; 'time' for the timed operation."""
    return "time" if fit.unit == "seconds" else metric_label(fit.metric)


def _charted(fits: list[Fit]) -> list[Fit]:
    """The figures drawn (the table has them all): every time, and of the
    figures in bytes each operation's first (peak before delta and retained;
    the file size, where it is the only one)."""
    first: dict[str, str] = {}
    for fit in fits:
        if fit.unit == "bytes":
            current = first.get(fit.operation)
            if current is None or metric_sort_key(fit.metric) < metric_sort_key(current):
                first[fit.operation] = fit.metric
    return [f for f in fits if f.unit == "seconds" or first.get(f.operation) == f.metric]


def growth_charts(fits: list[Fit]) -> list[GrowthChart]:
    """One chart per drawn figure and other parameters, with a fitted format."""
    charts: dict[tuple, GrowthChart] = {}
    several = len({fit.combo for fit in fits}) > 1
    for fit in _charted(fits):
        if fit.exponent is None:
            continue
        key = (fit.benchmark, fit.combo)
        if key not in charts:
            suffix = f" ({combo_label(fit.combo)})" if several and fit.combo else ""
            title = f"{fit.operation} — {figure_label(fit)} per prim{suffix}"
            slug = "".join(c if c.isalnum() else "-" for c in f"growth-{fit.benchmark}{suffix}")
            charts[key] = GrowthChart(slug.lower().strip("-"), title, fit.unit, [])
        charts[key].fits.append(fit)
        charts[key].rows.extend(fit.rows)
    return list(charts.values())


def growth_table_html(fits: list[Fit]) -> str:
    """The fitted exponents: a row per figure (and other parameters), a column
    per format; superlinear ones marked."""
    formats = ordered_formats(f.format for f in fits)
    by_figure: dict[tuple, dict[str, Fit]] = {}
    for fit in fits:
        by_figure.setdefault((fit.operation, fit.metric, fit.combo, fit.benchmark), {})[
            fit.format
        ] = fit
    body = []
    for (operation, _, combo, benchmark), row in by_figure.items():
        cells = []
        for fmt in formats:
            fit = row.get(fmt)
            attrs = f'data-format="{escape(fmt, quote=True)}"'
            if fit is None:
                cells.append(f'<td class="num exponent" {attrs}></td>')
                continue
            scales = sorted({scale_of(r) for r in fit.rows})
            span = f"{len(scales)} scales, {count_text(scales[0])}–{count_text(scales[-1])}"
            if fit.exponent is None:
                cells.append(
                    f'<td class="num exponent" {attrs} data-exponent="" '
                    f'title="{escape(fit.not_fitted, quote=True)}">–</td>'
                )
                continue
            flag = " superlinear" if fit.superlinear else ""
            cells.append(
                f'<td class="num exponent{flag}" {attrs} data-exponent="{fit.exponent!r}" '
                f'title="{escape(span, quote=True)}">{fit.exponent:.2f}</td>'
            )
        body.append(
            f'<tr data-benchmark="{escape(benchmark, quote=True)}">'
            f"<td>{escape(operation)}</td><td>{escape(figure_label(next(iter(row.values()))))}</td>"
            f"<td>{escape(combo_label(combo) if combo else '')}</td>{''.join(cells)}</tr>"
        )
    head = "".join(f"<th>{escape(h)}</th>" for h in ("operation", "figure", "other", *formats))
    return (
        '<p class="note">Fitted exponent k per figure and format (hover a cell for the scales '
        f"it was fitted on; – where it could not be); above {SUPERLINEAR} marked.</p>"
        '<div class="chart-scroll"><table id="growth-table"><thead><tr>'
        f"{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )
