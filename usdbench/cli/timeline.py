"""usdbench timeline: record the memory timelines of a commit next to asv's results."""

from __future__ import annotations

import re
from pathlib import Path

from .commits import resolve
from .options import add_config, add_profile, at_least, chosen_profile

NAME = "timeline"
HELP = "record memory over time of one cold load + full read per format and family"
DESCRIPTION = (
    "Record, for every format of a profile, memory over time (RSS and its anon / file / "
    "shmem split, sampled at 1 ms; the exact peak from the kernel) of one cold operation: "
    "open + compose, the first value, then every property of every prim; then the same for "
    "each scenario family of the profile (series, arrays, sparse: one full read each, at "
    "the family's largest heavy scale, over the profile's family formats). Each format runs "
    "in a fresh process after the benchmarks' own set-up. The file goes next to asv's "
    "results: <results_dir>/<machine>/timelines/<commit8>.json.gz, which `usdbench report` "
    "shows. A file that already covers every format is kept (--force records again). "
    "Prints each format as it ends; exits 1 if a format failed (the file is written)."
)
EXAMPLES = """\
examples:
  usdbench timeline --machine box                 # this checkout's HEAD, $USDBENCH_PROFILE
  usdbench timeline --machine box --profile quick --scale 200 --force
"""
_FULL_HASH = re.compile(r"[0-9a-f]{40}")


def add_arguments(parser) -> None:
    parser.add_argument(
        "--machine", required=True, help="asv machine name: whose results the file joins"
    )
    from usdbench.scenario import HIERARCHIES

    add_config(parser)
    add_profile(parser)
    parser.add_argument(
        "--scale",
        type=at_least(1, "scale"),
        help="prims of the props scenario (default: the profile's largest heavy scale; "
        "each family is recorded at its own)",
    )
    parser.add_argument(
        "--hierarchy", choices=HIERARCHIES, help="default: the profile's first hierarchy"
    )
    parser.add_argument(
        "--commit",
        help="commit the file is named after: a full hash, or anything git resolves in the "
        "config's repository (default: its HEAD)",
    )
    parser.add_argument("--force", action="store_true", help="record even if the file is complete")


def run(args) -> int:
    from usdbench.asv_results import read_config
    from usdbench.timeline.record import record_profile
    from usdbench.timeline.schema import (
        FAILED,
        OPERATION,
        is_complete,
        timeline_path,
        write_timelines,
    )

    profile = chosen_profile(args)
    config = Path(args.config)
    results_dir, _ = read_config(config)
    commit = _commit(config.resolve().parent, args.commit)
    path = timeline_path(results_dir, args.machine, commit)
    families = {grid.family: list(profile.family_formats) for grid in profile.families}
    if not args.force and is_complete(path, list(profile.formats), families):
        print(f"timelines: {path} already covers every format (--force records again)")
        return 0
    print(f"== timelines ({OPERATION}), profile {profile.name}: {path}", flush=True)
    document = record_profile(profile, args.scale, args.hierarchy, progress=_flush_print)
    document.update(commit_hash=commit, machine=args.machine)
    write_timelines(path, document)
    failed = [f for f, e in document["formats"].items() if e["status"] == FAILED]
    failed += [
        f"{family} {f}"
        for family, part in document["families"].items()
        for f, e in part["formats"].items()
        if e["status"] == FAILED
    ]
    note = f" ({len(failed)} failed: {', '.join(failed)})" if failed else ""
    print(f"timelines: {path}{note}")
    return 1 if failed else 0


def _commit(repo: Path, commit: str | None) -> str:
    """The full hash of ``commit`` (HEAD by default) in ``repo``; a full hash as it is."""
    if commit and _FULL_HASH.fullmatch(commit.lower()):
        return commit.lower()
    return (
        resolve(repo, commit, "--commit")
        if commit
        else resolve(repo, "HEAD", "the default --commit")
    )


def _flush_print(text: str) -> None:
    print(text, flush=True)
