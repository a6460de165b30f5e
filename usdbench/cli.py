"""Command line: ``python -m usdbench generate --scale N --hierarchy H --out DIR``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from usdbench.formats import FORMAT_NAMES
from usdbench.scenario import HIERARCHIES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m usdbench", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    gen = commands.add_parser(
        "generate",
        help="write a scenario in every format into a folder",
        description="Write the base scene, the property layer in every format and one "
        "root layer per format (root-<format>.usda) into --out. Files already "
        "there are kept; each new file appears atomically.",
    )
    gen.add_argument("--scale", type=int, required=True, help="number of prims (>= 1)")
    gen.add_argument("--hierarchy", choices=HIERARCHIES, default="flat")
    gen.add_argument("--seed", type=int, default=0)
    gen.add_argument(
        "--formats",
        nargs="+",
        choices=FORMAT_NAMES,
        default=list(FORMAT_NAMES),
        metavar="FORMAT",
        help=f"formats to write (default: all of {', '.join(FORMAT_NAMES)})",
    )
    gen.add_argument("--out", type=Path, help="target folder (default: the cache, $USDBENCH_CACHE)")
    prep = commands.add_parser(
        "prepare",
        help="generate into the cache every scenario a benchmark profile needs",
        description="Generate (once; cached) every scenario and format of a profile, "
        "so that `asv run` never waits for data. Profile: --profile, else $USDBENCH_PROFILE.",
    )
    prep.add_argument("--profile", help="quick, default or full")
    args = parser.parse_args(argv)
    if args.command == "prepare":
        return _prepare(args.profile)

    from usdbench.cache import materialize, scenario_dir
    from usdbench.errors import UsdBenchError
    from usdbench.scenario import Scenario

    try:
        scenario = Scenario(args.scale, args.hierarchy, args.seed)
        out = args.out or scenario_dir(scenario)
        start = time.perf_counter()
        files = materialize(scenario, args.formats, out, progress=_progress)
    except UsdBenchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for name, f in files.items():
        print(f"{name:24s} {f.props.stat().st_size:>14,d} B  {f.root}")
    print(f"{scenario.key}: {len(files)} formats in {out} ({time.perf_counter() - start:.1f} s)")
    return 0


def _prepare(profile_name: str | None) -> int:
    import os

    from usdbench import profiles
    from usdbench.cache import materialize, scenario_dir
    from usdbench.errors import UsdBenchError

    if profile_name:
        os.environ[profiles.ENV] = profile_name
    try:
        profile = profiles.current()
        for scenario, formats in profiles.scenarios(profile):
            start = time.perf_counter()
            materialize(scenario, formats, scenario_dir(scenario), progress=_progress)
            print(f"{scenario.key}: ready ({time.perf_counter() - start:.1f} s)", flush=True)
    except UsdBenchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


def _progress(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)
