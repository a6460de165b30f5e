"""Command line: ``python -m usdbench generate --scale N --hierarchy H --out DIR``,
``python -m usdbench prepare --profile P`` and ``python -m usdbench plugin-path``."""

# Parsing and printing only: the work is the domain's (usdbench.cache,
# usdbench.prepare).

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from usdbench import profiles
from usdbench.errors import UsdBenchError
from usdbench.formats import FORMAT_NAMES
from usdbench.scenario import FAMILIES, HIERARCHIES


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
        "--family",
        choices=FAMILIES,
        default="props",
        help="scenario family: props (20 scalars), series (time samples), arrays, sparse",
    )
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
        f"so that `asv run` never waits for data. Profile: --profile, else ${profiles.ENV}.",
    )
    prep.add_argument(
        "--profile", choices=list(profiles.PROFILES), help=f"default: ${profiles.ENV}"
    )
    commands.add_parser(
        "plugin-path",
        help="print the folder of the native Parquet plugin, for PXR_PLUGINPATH_NAME",
        description="Print the folder holding the native Parquet file format's "
        "plugInfo.json: with PXR_PLUGINPATH_NAME=<it>, any USD process of this "
        "environment (usdview, your own tool) reads .parquet. Exits 1, saying why, "
        "where the plugin is not usable here.",
    )
    args = parser.parse_args(argv)
    if args.command == "plugin-path":
        return _plugin_path()
    try:
        if args.command == "prepare":
            _prepare(args.profile)
        else:
            _generate(args.scale, args.hierarchy, args.seed, args.formats, args.out, args.family)
    except UsdBenchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


def _prepare(profile_name: str | None) -> None:
    from usdbench.prepare import prepare

    profile = profiles.get(profile_name) if profile_name else profiles.from_environment()
    print(f"== profile: {profile.name}", flush=True)
    prepare(profile)


def _generate(
    scale: int,
    hierarchy: str,
    seed: int,
    formats: list[str],
    out: Path | None,
    family: str = "props",
):
    from usdbench.cache import materialize, scenario_dir
    from usdbench.prepare import print_progress
    from usdbench.scenario import Scenario

    scenario = Scenario(scale, hierarchy, seed, family=family)
    out = out or scenario_dir(scenario)
    start = time.perf_counter()
    files = materialize(scenario, formats, out, progress=print_progress)
    for name, f in files.items():
        print(f"{name:24s} {f.props.stat().st_size:>14,d} B  {f.root}")
    print(f"{scenario.key}: {len(files)} formats in {out} ({time.perf_counter() - start:.1f} s)")


def _plugin_path() -> int:
    from usdbench import native

    status = native.status()
    if not status.available:
        print(f"error: the native Parquet plugin is not usable: {status.reason}", file=sys.stderr)
        return 1
    print(status.directory)
    return 0
