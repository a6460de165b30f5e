"""The report's sections beyond asv's figures at one commit: memory over time
(the commit's timelines) and growth with scale (fits over asv's figures)."""

from __future__ import annotations

from html import escape

from .charts import Section
from .data import Row
from .growth import SUPERLINEAR, growth_charts, growth_fits, growth_table_html
from .timeline_charts import timeline_charts
from .timelines import TimelineSet
from .units import format_bytes, format_seconds


def growth_section(rows: list[Row]) -> Section | None:
    fits = growth_fits(rows)
    if not fits:
        return None
    flagged = sum(f.superlinear for f in fits)
    return Section(
        "growth",
        "Growth with scale",
        "How each figure grows with the number of prims, format by format: the exponent k of "
        "figure ∝ prims^k, fitted by least squares on log-log axes over the measured scales "
        f"(1 is linear, below 1 a fixed cost dominates). k above {SUPERLINEAR} is marked "
        f"superlinear ({flagged} of {len(fits)} here). The charts show each figure per prim "
        "against the prim count, log-log: a flat line is linear growth, a rising one "
        "superlinear. Figures near zero (reads that allocate a page or two) give exponents "
        "of noise.",
        charts=growth_charts(fits),
        extra_html=growth_table_html(fits),
    )


def timeline_section(timelines: TimelineSet | None, family: str = "") -> Section | None:
    """The timelines of the props scenario's operation, or with ``family``
    those of that family's full read (its section's id and title carry the
    family's name, as its other sections do)."""
    if timelines is None:
        return None
    interval = format_seconds(timelines.interval_s) if timelines.interval_s else "?"
    prefix = f"{family}-" if family else ""
    return Section(
        f"{prefix}timelines",
        f"{family.capitalize()} family: memory over time" if family else "Memory over time",
        f"One cold {timelines.operation} per format at {timelines.scale:,} prims "
        f"({timelines.hierarchy}), each in a fresh process after the benchmarks' set-up "
        "(warm-up, files dropped from the page cache). Memory is sampled every "
        f"{interval} from another process (a C call holding the GIL does not stop it), "
        "above its value at the start; dots mark where each phase ends, ◆ the exact peak "
        "(the kernel's high-water mark, which no sampling can miss). File-backed memory "
        "(mapped files: usdc, usdz) can be dropped and re-read by the kernel, anonymous "
        "memory (heap) cannot. Virtual size is the address space reserved, touched or not.",
        charts=timeline_charts(timelines, prefix),
        extra_html=_timeline_table(timelines, prefix),
    )


def _timeline_table(timelines: TimelineSet, id_prefix: str = "") -> str:
    head = (
        "format",
        "status",
        "time",
        "exact peak",
        "highest sample",
        "anon at peak",
        "file at peak",
        "virtual size, most",
        "samples",
        "median interval",
    )
    rows = []
    for e in timelines.entries:
        cells = [escape(e.format), escape(e.status if not e.reason else f"{e.status}: {e.reason}")]
        if e.timeline is None:
            cells += [""] * (len(head) - 2)
        else:
            tl = e.timeline
            rss = e.above_start("rss")
            split = e.split_at_peak() or {}
            vm = max(e.above_start("vm_size")) if tl.vm_size is not None else None
            cells += [
                format_seconds(e.elapsed_s) if e.elapsed_s is not None else "",
                format_bytes(e.exact_peak_bytes) if e.exact_peak_bytes is not None else "",
                format_bytes(rss[tl.peak_index()]),
                format_bytes(split["anon"]) if "anon" in split else "",
                format_bytes(split["file"]) if "file" in split else "",
                format_bytes(vm) if vm is not None else "",
                f"{len(tl):,}",
                format_seconds(tl.median_interval_s()),
            ]
        rows.append(
            f'<tr data-format="{escape(e.format, quote=True)}" data-status="{escape(e.status)}">'
            + "".join(f"<td>{c}</td>" for c in cells)
            + "</tr>"
        )
    return (
        f'<div class="chart-scroll"><table id="{id_prefix}timeline-table"><thead><tr>'
        + "".join(f"<th>{h}</th>" for h in head)
        + f"</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
        + f'<p class="note">From {escape(str(timelines.path))}.</p>'
    )
