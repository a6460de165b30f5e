"""What recording a memory timeline costs the operation it records.

The timelines' operation (usdbench.timeline.record: load + full traversal, cold, in
a fresh process) on each format of a profile, once with the timeline
recorded and once without, alternating, ``--repeat`` pairs; the medians of
time and exact peak in each mode and of their paired ratio:

    python scripts/timeline_overhead.py --profile default --repeat 5

Run it on an otherwise idle machine: the sampling process takes a slice of
a core, which is what this measures.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from usdbench import profiles  # noqa: E402
from usdbench.timeline.record import OK, record_fresh  # noqa: E402

MiB = 2**20


def measure(fmt: str, scale: int, hierarchy: str, repeat: int) -> dict[str, list[dict]]:
    runs: dict[str, list[dict]] = {"with": [], "without": []}
    for i in range(repeat):
        # Alternate which mode goes first: a drift of the machine hits both.
        order = (True, False) if i % 2 == 0 else (False, True)
        for timeline in order:
            entry = record_fresh(fmt, scale, hierarchy, timeline=timeline)
            if entry["status"] != OK:
                raise SystemExit(f"{fmt}: {entry['status']}: {entry.get('reason')}")
            runs["with" if timeline else "without"].append(entry)
    return runs


def summary(fmt: str, runs: dict[str, list[dict]]) -> str:
    w, wo = runs["with"], runs["without"]
    t_w = statistics.median(e["elapsed_s"] for e in w)
    t_wo = statistics.median(e["elapsed_s"] for e in wo)
    p_w = statistics.median(e["peak_bytes"] for e in w) / MiB
    p_wo = statistics.median(e["peak_bytes"] for e in wo) / MiB
    ratio = statistics.median(a["elapsed_s"] / b["elapsed_s"] for a, b in zip(w, wo, strict=True))
    interval = statistics.median(
        statistics.median(
            b - a for a, b in zip(e["timeline"]["t_us"], e["timeline"]["t_us"][1:], strict=False)
        )
        for e in w
    )
    return (
        f"| {fmt} | {t_wo:.3f} | {t_w:.3f} | {ratio:.3f} | {p_wo:.1f} | {p_w:.1f} "
        f"| {p_w - p_wo:+.1f} | {interval / 1000:.3f} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default=profiles.DEFAULT, choices=list(profiles.PROFILES))
    parser.add_argument("--scale", type=int, help="default: the profile's largest heavy scale")
    parser.add_argument("--repeat", type=int, default=5, help="pairs per format (default 5)")
    parser.add_argument("--formats", nargs="+", help="default: the profile's")
    args = parser.parse_args(argv)
    profile = profiles.get(args.profile)
    scale = args.scale or max(profile.heavy_scales)
    hierarchy = profile.hierarchies[0]
    print(f"{profile.name}: {scale:,} prims, {hierarchy}, {args.repeat} pairs per format")
    print(
        "| format | time without (s) | time with (s) | paired ratio | peak without (MiB) "
        "| peak with (MiB) | difference (MiB) | median interval (ms) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for fmt in args.formats or profile.formats:
        print(summary(fmt, measure(fmt, scale, hierarchy, args.repeat)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
