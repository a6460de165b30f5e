"""Recording the memory timelines: one cold operation per format, each in a fresh process.

The props scenario's operation is the full traversal (open + compose, then every property of
every prim) in three phases, marked by memtrack probes: "open + compose"
(``workloads.load``), "first value" (``workloads.read_one`` on the middle
prim) and "traversal" (``workloads.read_traversal`` of all properties). Each
format runs in a new interpreter (``python -m usdbench.timeline.record``,
usdbench.fresh_process) after the benchmarks' own set-up
(``workloads.prepare_benchmark``: memory guard, cached files, warm-up, files
dropped from the page cache), inside a memtrack tracker with a timeline: RSS,
its anon / file / shmem split and the virtual size, sampled from outside at
1 ms, and the exact peak from the kernel's high-water mark.

Each scenario family beside props gets one full read in the same three
phases (FAMILY_PHASES): the load, the first value (the middle prim's
values), then the family's full read (FAMILY_OPERATIONS: every sample
of every prim, every prim's arrays summed, every column of every prim).
"""

from __future__ import annotations

import argparse
import datetime
import sys

from usdbench import fresh_process, profiles

from . import schema

CHILD_TIMEOUT_S = 3600


def _reads(family: str):
    """(the first value's read on the middle prim, the full read) of a family."""
    from usdbench import workloads as w
    from usdbench.scenario import SPARSE_PROPERTIES

    if family == "series":
        return w.series_history, w.series_full
    if family == "arrays":
        return w.arrays_one_prim, w.arrays_every_prim
    if family == "sparse":
        return (
            lambda stage, path: w.read_many(stage, [path], SPARSE_PROPERTIES),
            lambda stage: w.read_traversal(stage, SPARSE_PROPERTIES),
        )
    return w.read_one, lambda stage: w.read_traversal(stage, w.PROPERTIES)


def record_here(
    format_name: str, scale: int, hierarchy: str, timeline: bool = True, family: str = "props"
) -> dict:
    """The operation on one format in this process (meant to be a fresh one):
    the props scenario's full traversal, or a family's full read.
    timeline=False measures the same without recording (for its overhead)."""
    from memtrack import PerformanceTracker
    from usdbench import workloads

    try:
        files = workloads.prepare_benchmark(format_name, scale, hierarchy, family)
    except NotImplementedError as skipped:  # the memory guard
        return {"status": schema.SKIPPED, "reason": str(skipped)}
    middle = workloads.middle_prim(files.scenario)
    read_first, read_all = _reads(family)
    phase_open, phase_first, _ = schema.PHASES
    interval = schema.INTERVAL_S
    with PerformanceTracker(retained=True, timeline=timeline, timeline_interval_s=interval) as t:
        stage = workloads.load(files)
        t.probe(phase_open)
        read_first(stage, middle)
        t.probe(phase_first)
        values = read_all(stage)
    result = t.result
    del stage
    return {
        "status": schema.OK,
        "values_read": values,
        "elapsed_s": result.elapsed_s,
        "peak_bytes": result.peak_bytes,
        "current_bytes": result.current_bytes,
        "retained_bytes": result.retained_bytes,
        "baseline_bytes": result.baseline_bytes,
        "exact": result.exact,
        "method": result.method,
        # Where each phase ends (probe overhead excluded), seconds since the start.
        "phase_ends_s": [p.elapsed_s for p in result.probes] + [result.elapsed_s],
        "timeline": None if result.timeline is None else result.timeline.to_dict(),
    }


def record_fresh(
    format_name: str, scale: int, hierarchy: str, timeline: bool = True, family: str = "props"
) -> dict:
    """record_here in a new interpreter; a crash, timeout or bad output is a FAILED entry."""
    args = [format_name, "--scale", str(scale), "--hierarchy", hierarchy, "--family", family]
    if not timeline:
        args.append("--no-timeline")
    try:
        return fresh_process.run_module(__name__, *args, timeout=CHILD_TIMEOUT_S)
    except fresh_process.ChildFailed as failed:
        return {"status": schema.FAILED, "reason": str(failed)}


def record_profile(
    profile: profiles.Profile,
    scale: int | None = None,
    hierarchy: str | None = None,
    formats: list[str] | None = None,
    progress=print,
) -> dict:
    """Every format of ``profile`` (by default at its largest heavy scale and
    first hierarchy), each in a fresh process, then each family of the
    profile (its formats, at its largest heavy scale, flat); the timelines
    document. ``formats`` restricts both."""
    scale = scale or max(profile.heavy_scales)
    hierarchy = hierarchy or profile.hierarchies[0]
    entries = _record_formats(formats or profile.formats, scale, hierarchy, "props", progress)
    families = {}
    for grid in profile.families:
        names = [f for f in profile.family_formats if not formats or f in formats]
        family_scale = max(grid.heavy_scales)
        families[grid.family] = {
            "operation": schema.FAMILY_OPERATIONS[grid.family],
            "phases": list(schema.FAMILY_PHASES),
            "scale": family_scale,
            "hierarchy": "flat",
            "formats": _record_formats(names, family_scale, "flat", grid.family, progress),
        }
    return {
        "version": schema.VERSION,
        "operation": schema.OPERATION,
        "phases": list(schema.PHASES),
        "profile": profile.name,
        "scale": scale,
        "hierarchy": hierarchy,
        "interval_s": schema.INTERVAL_S,
        "recorded_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "formats": entries,
        "families": families,
    }


def _record_formats(names, scale: int, hierarchy: str, family: str, progress) -> dict:
    entries = {}
    for name in names:
        entry = record_fresh(name, scale, hierarchy, family=family)
        entries[name] = entry
        what = name if family == "props" else f"{family} {name}"
        if entry["status"] == schema.OK:
            progress(
                f"{what}: {entry['elapsed_s']:.2f} s, peak {entry['peak_bytes'] / 2**20:.1f} MiB, "
                f"{len((entry['timeline'] or {}).get('t_us', []))} samples"
            )
        else:
            progress(f"{what}: {entry['status']}: {entry.get('reason', '')}")
    return entries


def _child(argv: list[str] | None = None) -> int:
    """The fresh process's side: record_here, its entry printed as the last line."""
    parser = argparse.ArgumentParser(prog=f"python -m {__spec__.name}")
    parser.add_argument("format")
    parser.add_argument("--scale", type=int, required=True)
    parser.add_argument("--hierarchy", required=True)
    parser.add_argument("--family", default="props")
    parser.add_argument("--no-timeline", action="store_true")
    args = parser.parse_args(argv)
    fresh_process.print_result(
        record_here(args.format, args.scale, args.hierarchy, not args.no_timeline, args.family)
    )
    return 0


if __name__ == "__main__":
    sys.exit(_child())
