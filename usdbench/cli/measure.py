"""usdbench measure: a user's own stage in every format."""

from __future__ import annotations

from pathlib import Path

from .options import add_formats, at_least

NAME = "measure"
HELP = "measure your own stage in usda, usdc, usdz and Parquet (both readers)"
DESCRIPTION = (
    "Convert STAGE's layers (root, sublayers, references, payloads) into usda, usdc, usdz "
    "and Parquet (read by the native plugin and by the Python loader; converted once, "
    "cached by the files' content), check that each composes to the same stage as STAGE "
    "(the first differences named by path), then measure each in fresh processes, the "
    "median of --runs: file sizes, load, every value at the default time and at one time "
    "code, every time sample, world bounds, Flatten; time and memory, as the asv suite "
    "measures USDBENCH_DATA stages. Prints a table and writes the suite's report page "
    "for this stage into --out. An asset path that does not resolve is listed and the "
    "stage is measured without it (exit status 2 at the end); a format that does not "
    "compose the same stage is not measured (exit status 1)."
)
EXAMPLES = """\
examples:
  usdbench measure shot.usda                  # report into ./usdbench-measure/shot
  usdbench measure asset.usdz --runs 5 --out /tmp/asset-report
  usdbench measure shot.usd --formats usdc parquet-native
"""


def add_arguments(parser) -> None:
    from usdbench.measure.files import USER_FORMATS
    from usdbench.measure.run import DEFAULT_RUNS

    parser.add_argument(
        "stage", metavar="STAGE", help="the stage's root layer (usda/usdc/usdz/usd)"
    )
    parser.add_argument(
        "--runs",
        type=at_least(1, "runs"),
        default=DEFAULT_RUNS,
        help=f"fresh processes per figure; the median is reported (default {DEFAULT_RUNS})",
    )
    add_formats(parser, USER_FORMATS, "measure")
    parser.add_argument(
        "--out", type=Path, help="report folder (default: ./usdbench-measure/<STAGE's name>)"
    )


def run(args) -> int:
    from usdbench.errors import UsdBenchError
    from usdbench.measure.run import measure_stage, text_table, write_output

    m = measure_stage(args.stage, runs=args.runs, formats=tuple(args.formats))
    out = args.out or Path("usdbench-measure") / Path(args.stage).stem
    page = write_output(m, out)
    print(text_table(m))
    for fmt in m.formats:
        for line in m.check[fmt]:
            print(f"{fmt}: differs from the source: {line}")
    print(f"report: {page}")
    if m.unresolved:
        raise UsdBenchError(
            f"{args.stage}: {len(m.unresolved)} asset path(s) do not resolve (measured "
            "without them): " + "; ".join(m.unresolved)
        )
    return 1 if any(m.check.values()) else 0
