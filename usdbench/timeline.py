"""Memory timelines: one cold operation per format, recorded in a fresh process.

The operation is the full traversal (open + compose, then every property of
every prim) in three phases, marked by memtrack probes: "open + compose"
(``workloads.load``), "first value" (``workloads.read_one`` on the middle
prim) and "traversal" (``workloads.read_traversal`` of all properties). Each
format runs in a new interpreter after the benchmarks' own set-up
(``workloads.prepare_benchmark``: memory guard, cached files, warm-up, files
dropped from the page cache), inside a memtrack tracker with a timeline: RSS,
its anon / file / shmem split and the virtual size, sampled from outside at
1 ms, and the exact peak from the kernel's high-water mark.

    python -m usdbench.timeline --machine NAME   # the profile's formats, this commit

writes ``<results_dir>/<machine>/timelines/<commit8>.json.gz`` (see
results/README.md), next to asv's results of that machine; a file that
already covers every format is kept (``--force`` records again). Gzipped
JSON: asv walks every folder of results_dir and warns about any ``*.json``
without a machine.json beside it.
"""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import sys
from pathlib import Path

from usdbench import gzjson, profiles
from usdbench.errors import UsdBenchError

VERSION = 1
OPERATION = "load + full traversal"
PHASES = ("open + compose", "first value", "traversal")
TIMELINES_DIR = "timelines"
INTERVAL_S = 0.001
CHILD_TIMEOUT_S = 3600
OK, SKIPPED, FAILED = "ok", "skipped", "failed"


def record_here(format_name: str, scale: int, hierarchy: str, timeline: bool = True) -> dict:
    """The operation on one format in this process (meant to be a fresh one).
    timeline=False measures the same without recording (for its overhead)."""
    from memtrack import PerformanceTracker
    from usdbench import workloads

    try:
        files = workloads.prepare_benchmark(format_name, scale, hierarchy)
    except NotImplementedError as skipped:  # the memory guard
        return {"status": SKIPPED, "reason": str(skipped)}
    middle = workloads.middle_prim(files.scenario)
    phase_open, phase_first, _ = PHASES
    with PerformanceTracker(retained=True, timeline=timeline, timeline_interval_s=INTERVAL_S) as t:
        stage = workloads.load(files)
        t.probe(phase_open)
        workloads.read_one(stage, middle)
        t.probe(phase_first)
        values = workloads.read_traversal(stage, workloads.PROPERTIES)
    result = t.result
    del stage
    return {
        "status": OK,
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


def record_fresh(format_name: str, scale: int, hierarchy: str, timeline: bool = True) -> dict:
    """record_here in a new interpreter; a crash or bad output is a FAILED entry."""
    cmd = [sys.executable, "-m", "usdbench.timeline", "--one", format_name]
    cmd += ["--scale", str(scale), "--hierarchy", hierarchy]
    if not timeline:
        cmd.append("--no-timeline")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return {"status": FAILED, "reason": f"no result within {CHILD_TIMEOUT_S} s"}
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = proc.stderr.strip().splitlines()[-3:]
        return {"status": FAILED, "reason": f"exit {proc.returncode}: " + " | ".join(tail)}
    try:
        return json.loads(lines[-1])
    except ValueError:
        return {"status": FAILED, "reason": f"unreadable result: {lines[-1][:200]}"}


def record_profile(
    profile: profiles.Profile,
    scale: int | None = None,
    hierarchy: str | None = None,
    formats: list[str] | None = None,
    progress=print,
) -> dict:
    """Every format of ``profile`` (by default at its largest heavy scale and
    first hierarchy), each in a fresh process; the timelines document."""
    scale = scale or max(profile.heavy_scales)
    hierarchy = hierarchy or profile.hierarchies[0]
    entries = {}
    for name in formats or profile.formats:
        entry = record_fresh(name, scale, hierarchy)
        entries[name] = entry
        if entry["status"] == OK:
            progress(
                f"{name}: {entry['elapsed_s']:.2f} s, peak {entry['peak_bytes'] / 2**20:.1f} MiB, "
                f"{len((entry['timeline'] or {}).get('t_us', []))} samples"
            )
        else:
            progress(f"{name}: {entry['status']}: {entry.get('reason', '')}")
    return {
        "version": VERSION,
        "operation": OPERATION,
        "phases": list(PHASES),
        "profile": profile.name,
        "scale": scale,
        "hierarchy": hierarchy,
        "interval_s": INTERVAL_S,
        "recorded_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "formats": entries,
    }


def timeline_path(results_dir: Path, machine: str, commit_hash: str) -> Path:
    return Path(results_dir) / machine / TIMELINES_DIR / f"{commit_hash[:8]}.json.gz"


def read_timelines(path: Path) -> dict:
    """A timelines document; UsdBenchError names the file if it is not one."""
    data = gzjson.read(path, "timelines")
    if not isinstance(data, dict) or data.get("version") != VERSION:
        found = data.get("version") if isinstance(data, dict) else None
        raise UsdBenchError(f"timelines version {found!r}, this reader knows {VERSION}", file=path)
    if not isinstance(data.get("formats"), dict):
        raise UsdBenchError("timelines without a 'formats' object", file=path)
    return data


def write_timelines(path: Path, document: dict) -> None:
    """Atomically: a reader never sees half a file."""
    gzjson.write(path, document)


def is_complete(path: Path, formats: list[str]) -> bool:
    """The file exists and every format in it was measured or skipped by the guard."""
    try:
        entries = read_timelines(path)["formats"]
    except UsdBenchError:
        return False
    return all(entries.get(f, {}).get("status") in (OK, SKIPPED) for f in formats)


def _head_commit(repo: Path) -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError) as err:
        raise UsdBenchError(f"cannot tell the commit of {repo}: {err}") from err


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m usdbench.timeline", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--machine", help="asv machine name: where the file goes (required)")
    parser.add_argument("--config", default="asv.conf.json", help="asv config (results_dir)")
    parser.add_argument(
        "--profile", choices=list(profiles.PROFILES), help=f"default: ${profiles.ENV}"
    )
    parser.add_argument("--scale", type=int, help="default: the profile's largest heavy scale")
    parser.add_argument("--hierarchy", help="default: the profile's first")
    parser.add_argument("--commit", help="commit the file is named after (default: HEAD)")
    parser.add_argument("--force", action="store_true", help="record even if the file is complete")
    parser.add_argument("--one", metavar="FORMAT", help=argparse.SUPPRESS)  # the child's side
    parser.add_argument("--no-timeline", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        if args.one:
            if args.scale is None or args.hierarchy is None:
                parser.error("--one needs --scale and --hierarchy")
            entry = record_here(args.one, args.scale, args.hierarchy, not args.no_timeline)
            print(json.dumps(entry, separators=(",", ":")))
            return 0
        if not args.machine:
            parser.error("--machine is required (the asv machine whose results these join)")
        return _record_command(args)
    except UsdBenchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def _record_command(args) -> int:
    from usdbench.asv_results import read_config

    profile = profiles.get(args.profile) if args.profile else profiles.from_environment()
    config = Path(args.config)
    results_dir, _ = read_config(config)
    commit = args.commit or _head_commit(config.resolve().parent)
    path = timeline_path(results_dir, args.machine, commit)
    if not args.force and is_complete(path, list(profile.formats)):
        print(f"timelines: {path} already covers every format (--force records again)")
        return 0
    print(f"== timelines ({OPERATION}), profile {profile.name}: {path}", flush=True)
    document = record_profile(profile, args.scale, args.hierarchy, progress=_flush_print)
    document.update(commit_hash=commit, machine=args.machine)
    write_timelines(path, document)
    failed = [f for f, e in document["formats"].items() if e["status"] == FAILED]
    note = f" ({len(failed)} failed: {', '.join(failed)})" if failed else ""
    print(f"timelines: {path}{note}")
    return 1 if failed else 0


def _flush_print(text: str) -> None:
    print(text, flush=True)


if __name__ == "__main__":
    sys.exit(main())
