"""Which charts the report draws, decided from the rows alone (no benchmark names hard-coded).

The props scenario's figures come first; each other scenario family (its
benchmarks are in an asv module named after it: series.*, arrays.*,
sparse.*) gets the same sections of its own.

Each chart here is a spec (what it shows); figures.py turns each kind into a Plotly figure.

- Figures in bytes are bar charts, one bar per format. A metric that several
  operations (classes) report is memory by operation (peak/delta/retained
  bytes of each): grouped by operation, one chart per value of the other
  parameters (scale, hierarchy). A metric of a single class is a size (the
  file size): grouped by those values.
- Benchmarks without a "format" parameter are left to the table.
- Figures in seconds are lines against the "scale" parameter, one line per
  format, one chart per benchmark and value of the other parameters; without a
  scale parameter they fall back to bars.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .data import Row, param_sort_key
from .palette import ordered_formats

FORMAT = "format"
SCALE = "scale"
# The suite's scale is the number of prims in the scene.
AXIS_LABELS = {SCALE: "scale (prims)"}
_METRIC_ORDER = ["peak", "delta", "retained"]


@dataclass
class BarChart:
    id: str
    title: str
    unit: str
    groups: list[tuple[str, list[Row]]]  # (group label, its rows)
    note: str = ""
    kind: str = "bar"

    @property
    def rows(self) -> list[Row]:
        return [r for _, group in self.groups for r in group]


@dataclass
class LineChart:
    id: str
    title: str
    unit: str
    x_param: str
    series: dict[str, list[Row]]  # format -> rows, in scale order
    note: str = ""
    kind: str = "line"

    @property
    def rows(self) -> list[Row]:
        return [r for series in self.series.values() for r in series]


@dataclass
class Section:
    id: str
    title: str
    intro: str
    charts: list = field(default_factory=list)
    extra_html: str = ""  # after the charts (a table of figures), already escaped


def fmt_of(row: Row) -> str:
    return row.param(FORMAT, "(all)")


def metric_label(metric: str) -> str:
    """'track_peak_bytes' -> 'peak bytes'."""
    name = re.sub(r"^(track|time|peakmem|mem|timeraw)_", "", metric)
    return name.replace("_", " ")


def _combo(row: Row, exclude: set[str]) -> tuple[tuple[str, str], ...]:
    return tuple((n, v) for n, v in row.params if n not in exclude)


def _combo_key(combo):
    return [param_sort_key(n, v) for n, v in combo]


def combo_label(combo) -> str:
    return ", ".join(f"{n} {v}" for n, v in combo) or "all"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _by_format(rows: list[Row]) -> list[Row]:
    order = {f: i for i, f in enumerate(ordered_formats(fmt_of(r) for r in rows))}
    return sorted(rows, key=lambda r: order[fmt_of(r)])


def metric_sort_key(metric: str):
    label = metric_label(metric)
    for i, word in enumerate(_METRIC_ORDER):
        if label.startswith(word):
            return (i, label)
    return (len(_METRIC_ORDER), label)


def _operations(rows: list[Row]) -> list[str]:
    """The operations (classes) that report these rows, in order of appearance."""
    return list(dict.fromkeys(r.operation for r in rows))


def _bar_charts_for_metric(metric: str, rows: list[Row], unit: str) -> list[BarChart]:
    operations = _operations(rows)
    other = {FORMAT}
    label = metric_label(metric)
    charts = []
    if len(operations) == 1:
        groups: dict = {}
        for r in rows:
            groups.setdefault(_combo(r, other), []).append(r)
        ordered = sorted(groups, key=_combo_key)
        charts.append(
            BarChart(
                id=_slug(f"{operations[0]}-{metric}"),
                title=f"{label.capitalize()} — {operations[0]}",
                unit=unit,
                groups=[(combo_label(c), _by_format(groups[c])) for c in ordered],
            )
        )
        return charts
    by_combo: dict = {}
    for r in rows:
        by_combo.setdefault(_combo(r, other), []).append(r)
    for combo in sorted(by_combo, key=_combo_key):
        per_op: dict = {}
        for r in by_combo[combo]:
            per_op.setdefault(r.operation, []).append(r)
        charts.append(
            BarChart(
                id=_slug(f"{metric}-{combo_label(combo)}"),
                title=f"{label.capitalize()} by operation — {combo_label(combo)}",
                unit=unit,
                groups=[(op, _by_format(per_op[op])) for op in operations if op in per_op],
            )
        )
    return charts


def _time_charts(benchmark: str, rows: list[Row]) -> list:
    names = {n for r in rows for n, _ in r.params}
    first = rows[0]
    title_base = f"{first.operation} — {first.metric}"
    if SCALE not in names:
        groups: dict = {}
        for r in rows:
            groups.setdefault(_combo(r, {FORMAT}), []).append(r)
        ordered = sorted(groups, key=_combo_key)
        return [
            BarChart(
                id=_slug(benchmark),
                title=title_base,
                unit=first.unit,
                groups=[(combo_label(c), _by_format(groups[c])) for c in ordered],
            )
        ]
    by_combo: dict = {}
    for r in rows:
        by_combo.setdefault(_combo(r, {FORMAT, SCALE}), []).append(r)
    charts = []
    for combo in sorted(by_combo, key=_combo_key):
        series: dict[str, list[Row]] = {}
        for r in by_combo[combo]:
            series.setdefault(fmt_of(r), []).append(r)
        ordered = {
            f: sorted(series[f], key=lambda r: float(r.param(SCALE)))
            for f in ordered_formats(series)
        }
        suffix = f" ({combo_label(combo)})" if combo else ""
        charts.append(
            LineChart(
                id=_slug(f"{benchmark}-{combo_label(combo)}"),
                title=title_base + suffix,
                unit=first.unit,
                x_param=SCALE,
                series=ordered,
            )
        )
    return charts


def _numeric_scale(rows: list[Row]) -> bool:
    try:
        for r in rows:
            if r.param(SCALE) is not None:
                float(r.param(SCALE))
    except ValueError:
        return False
    return True


def _plan(rows: list[Row], id_prefix: str = "", title_prefix: str = "") -> list[Section]:
    sizes = Section(
        id_prefix + "sizes",
        title_prefix + "Sizes",
        "Figures in bytes that a single benchmark reports, such as the bytes on disk "
        "of each scenario's file, by format and option.",
    )
    memory = Section(
        id_prefix + "memory",
        title_prefix + "Memory by operation",
        "Figures in bytes that several operations report: the memory benchmarks (peak "
        "above the starting point, delta kept after the operation, ...), one bar per format.",
    )
    times = Section(
        id_prefix + "time",
        title_prefix + "Time against scale",
        "Median time of each timed benchmark against the scene's scale, one line per format.",
    )
    other = Section(
        id_prefix + "other",
        title_prefix + "Other figures",
        "Figures in other units, one bar per format.",
    )

    by_metric: dict[tuple[str, str], list[Row]] = {}
    by_benchmark: dict[str, list[Row]] = {}
    for r in rows:
        if r.param(FORMAT) is None:
            continue  # not a format comparison (e.g. the tracker's own overhead): table only
        if r.unit == "seconds":
            by_benchmark.setdefault(r.benchmark, []).append(r)
        else:
            by_metric.setdefault((r.unit, r.metric), []).append(r)

    for unit, metric in sorted(by_metric, key=lambda k: (k[0], metric_sort_key(k[1]))):
        metric_rows = by_metric[(unit, metric)]
        charts = _bar_charts_for_metric(metric, metric_rows, unit)
        if unit != "bytes":
            other.charts += charts
        elif len(_operations(metric_rows)) > 1:
            memory.charts += charts
        else:
            sizes.charts += charts

    for benchmark, bench_rows in by_benchmark.items():
        if _numeric_scale(bench_rows):
            times.charts += _time_charts(benchmark, bench_rows)
        else:
            other.charts += _bar_charts_for_metric(bench_rows[0].metric, bench_rows, "seconds")

    return [s for s in (sizes, memory, times, other) if s.charts]


def _family(row: Row, families: tuple[str, ...]) -> str | None:
    """The scenario family a benchmark measures: the suite keeps each family
    but the first (props) in an asv module named after it."""
    module = row.benchmark.split(".", 1)[0]
    return module if module in families[1:] else None


def plan_sections(rows: list[Row]) -> list[Section]:
    """The props scenario's sections, then the same sections for each other
    scenario family (series, arrays, sparse), then for each user stage
    (benchmarks/user_data.py), so that families and stages never share a chart."""
    from usdbench.scenario import FAMILIES

    families: dict[str, list[Row]] = {}
    props = []
    stages: dict[str, list[Row]] = {}  # a user's stages (USDBENCH_DATA, `usdbench measure`)
    for r in rows:
        family = _family(r, FAMILIES)
        if r.benchmark.startswith("user_data."):
            stages.setdefault(r.param("stage", ""), []).append(r)
        elif family is None:
            props.append(r)
        else:
            families.setdefault(family, []).append(r)
    sections = _plan(props)
    for family in sorted(families, key=FAMILIES.index):
        sections += _plan(families[family], f"{family}-", f"{family.capitalize()} family: ")
    for i, stage in enumerate(stages, 1):
        sections += _plan(stages[stage], f"stage{i}-", f"Stage {stage}: ")
    # Chart ids must be unique within the page.
    seen: set[str] = set()
    for section in sections:
        for chart in section.charts:
            base, n = chart.id, 2
            while chart.id in seen:
                chart.id, n = f"{base}-{n}", n + 1
            seen.add(chart.id)
    return sections
