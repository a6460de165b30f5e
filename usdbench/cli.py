"""Command line: ``python -m usdbench generate --scale N --hierarchy H --out DIR``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from usdbench import budget, profiles
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
    prep.add_argument(
        "--profile", choices=list(profiles.PROFILES), help="default: $USDBENCH_PROFILE"
    )
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

    from usdbench.errors import UsdBenchError

    if profile_name:
        os.environ[profiles.ENV] = profile_name
    try:
        prepare(profiles.current())
    except UsdBenchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


def prepare(profile: dict, root: Path | None = None) -> None:
    """Generate into the cache (``root``, default $USDBENCH_CACHE) every
    scenario and format of ``profile`` that the memory guard lets a benchmark
    run here. What the guard skips is not generated: no benchmark would read
    it, and the largest files take the longest and the most memory to write
    (usdc at 1M prims: ~8 min, 15 GB). Should a later run find more memory, the
    benchmark's setup generates the file then, outside any measured region.

    Each scenario is written by a fresh child process, so what generation
    leaves resident (~350 MiB at 20k flat prims) returns to the system before
    the guard judges the next scenario. In-process, the guard saw 13.9 GiB
    available after the 1M flat scene on a fresh 23 GiB VM and skipped every
    1M deep format, which the benchmarks then generated in their setup."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from usdbench.cache import is_cached, materialize, scenario_dir

    spawn = multiprocessing.get_context("spawn")
    for scenario, formats in profiles.scenarios(profile):
        wanted = []
        for name in formats:
            ok, why = budget.fits(name, scenario.scale, scenario.hierarchy)
            if ok:
                wanted.append(name)
            else:
                print(f"{scenario.key}: {name} skipped: {why}", flush=True)
        if not wanted:
            continue
        directory = scenario_dir(scenario, root)
        if is_cached(scenario, wanted, directory):
            # No child: its start-up (~0.6 s) only to find the files there.
            print(f"{scenario.key}: cached", flush=True)
            continue
        start = time.perf_counter()
        with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as child:
            child.submit(materialize, scenario, wanted, directory, _progress).result()
        print(f"{scenario.key}: ready ({time.perf_counter() - start:.1f} s)", flush=True)


def _progress(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)
