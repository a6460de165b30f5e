"""usdbench convert: a USD layer (and every layer it reaches) to Parquet tables
plus a small residual USD layer, composing to the same stage."""

from __future__ import annotations

import json
import sys
from pathlib import Path

NAME = "convert"
HELP = "convert a USD layer and the layers it reaches to Parquet, losslessly"
DESCRIPTION = (
    "Convert IN (a usda, usdc, usdz or .usd layer) and every layer it reaches (sublayers, "
    "references, payloads) into OUTDIR, layer by layer: each layer's attribute values "
    "(defaults and time samples) go into Parquet tables, everything else (prims, "
    "composition arcs, variants, relationships, metadata, connections, values no table "
    "holds) into a small residual USD layer, and OUTDIR/<IN's name>.usda stacks them: open "
    "it where IN was opened and the composed stage is the same. Prints what went where. "
    "OUTDIR must not exist or be empty; on any error nothing is left behind (exit 2)."
)
EXAMPLES = """\
examples:
  usdbench convert shot.usda /tmp/shot-parquet
  usdbench convert asset.usdz /tmp/asset --json > report.json
  PXR_PLUGINPATH_NAME=$(usdbench plugin-path) usdview /tmp/shot-parquet/shot.usda
"""


def add_arguments(parser) -> None:
    parser.add_argument("input", metavar="IN", type=Path, help="the USD layer to convert")
    parser.add_argument("outdir", metavar="OUTDIR", type=Path, help="the folder to write")
    parser.add_argument(
        "--residual-format",
        choices=("usda", "usdc"),
        default="usda",
        help="format of the residual USD layers (default: usda)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the report as JSON instead of text"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")


def run(args) -> int:
    from usdbench.convert import convert

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    report = convert(
        args.input,
        args.outdir,
        residual_format=args.residual_format,
        progress=None if args.quiet or args.json else progress,
    )
    if args.json:
        json.dump(report.to_dict(), sys.stdout, indent=1)
        print()
    else:
        print(report.text())
    return 0
