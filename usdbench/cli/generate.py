"""usdbench generate: one scenario in every format, into a folder."""

from __future__ import annotations

import time
from pathlib import Path

from .options import add_formats, at_least

NAME = "generate"
HELP = "write one scenario in every format into a folder"
DESCRIPTION = (
    "Write a scenario (--scale prims in a --hierarchy, from --seed, of a --family): the "
    "base scene, the "
    "property layer in every format and one root layer per format (root-<format>.usda) "
    "into --out. Files already there are kept; each new file appears atomically. Prints "
    "progress, then each format's file and size."
)
EXAMPLES = """\
examples:
  usdbench generate --scale 10000 --out /tmp/scene
  usdbench generate --scale 1000 --hierarchy deep --formats usdc parquet-native-zstd-rg1000
  usdbench generate --scale 1000 --family series --out /tmp/series
"""


def add_arguments(parser) -> None:
    from usdbench.formats import FORMAT_NAMES
    from usdbench.scenario import FAMILIES, HIERARCHIES

    parser.add_argument(
        "--scale", type=at_least(1, "scale"), required=True, help="number of prims (>= 1)"
    )
    parser.add_argument("--hierarchy", choices=HIERARCHIES, default="flat", help="default: flat")
    parser.add_argument("--seed", type=int, default=0, help="of the random values (default 0)")
    parser.add_argument(
        "--family",
        choices=FAMILIES,
        default="props",
        help="scenario family: props (20 scalars, the default), series (time samples), "
        "arrays, sparse",
    )
    add_formats(parser, FORMAT_NAMES, "write")
    parser.add_argument(
        "--out", type=Path, help="target folder (default: the scenario's folder in the cache)"
    )


def run(args) -> int:
    from usdbench.cache import materialize, scenario_dir
    from usdbench.prepare import print_progress
    from usdbench.scenario import Scenario

    scenario = Scenario(args.scale, args.hierarchy, args.seed, family=args.family)
    out = args.out or scenario_dir(scenario)
    start = time.perf_counter()
    files = materialize(scenario, args.formats, out, progress=print_progress)
    for name, f in files.items():
        print(f"{name:24s} {f.props.stat().st_size:>14,d} B  {f.root}")
    print(f"{scenario.key}: {len(files)} formats in {out} ({time.perf_counter() - start:.1f} s)")
    return 0
