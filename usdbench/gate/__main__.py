"""python -m usdbench.gate {check,calibrate} ... (see usdbench/gate/__init__.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from usdbench.asv_results import read_config
from usdbench.errors import UsdBenchError

from . import (
    FLOOR,
    REGRESSION,
    REL,
    SPREAD,
    Rule,
    calibrated_ranges,
    compare,
    fewest_samples,
    measure,
    noise_path,
    read_noise,
    record_noise,
    report,
)

ROUNDS = 5  # samples (fresh processes) per figure and commit: see scripts/gate_noise.py
RUNS = 5  # asv runs of calibration: 3 missed a step between runs (README)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--machine", required=True, help="asv machine name")
    parser.add_argument("--config", default="asv.conf.json", help="asv config")
    parser.add_argument("--bench", help="only figures whose benchmark matches this regex")
    parser.add_argument(
        "--rounds", type=int, default=ROUNDS, help=f"samples per figure and run ({ROUNDS})"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m usdbench.gate",
        description="Memory regression gate on asv's samples (usdbench/gate/__init__.py).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser(
        "check",
        help="compare two commits; exit 1 if a memory figure got worse",
        description="Compare two commits on the memory figures asv recorded; exit 1 if one "
        "got worse, 2 on bad input.",
    )
    check.add_argument("base", help="the reference commit")
    check.add_argument("head", help="the commit under test")
    _common(check)
    check.add_argument(
        "--measure",
        choices=("missing", "always", "never"),
        default="missing",
        help="run asv on a commit with fewer than --rounds samples per figure (missing, the "
        "default), on both commits (always), or compare what is recorded (never)",
    )
    check.add_argument("--rel", type=float, default=REL, help=f"default {REL}")
    check.add_argument("--floor", type=float, default=FLOOR, help=f"bytes, default {FLOOR}")
    check.add_argument("--spread", type=float, default=SPREAD, help=f"default {SPREAD}")
    check.add_argument("--verbose", action="store_true", help="list every figure")
    cal = commands.add_parser(
        "calibrate",
        help="measure each memory figure's noise over several asv runs of one commit",
        description="Run asv --runs times on one commit (memory figures, --rounds processes "
        "each) and record each figure's range in <results>/<machine>/gate-noise.json.gz.",
    )
    cal.add_argument("commit")
    _common(cal)
    cal.add_argument("--runs", type=int, default=RUNS, help=f"asv runs ({RUNS})")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.rounds < 2:
        parser.error("--rounds must be at least 2: one sample says nothing of the noise")
    if args.command == "calibrate" and args.runs < 2:
        parser.error("--runs must be at least 2: the noise between runs is what it measures")
    try:
        config = Path(args.config)
        results_dir, _ = read_config(config)
        if args.command == "calibrate":
            return _calibrate(args, config, results_dir)
        return _check(args, config, results_dir)
    except UsdBenchError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


def _calibrate(args, config: Path, results_dir: Path) -> int:
    for run in range(args.runs):
        measure(config, args.machine, args.commit, args.rounds, args.bench, append=run > 0)
    path = record_noise(results_dir, args.machine, args.commit, args.runs, args.rounds, args.bench)
    print(f"noise of {args.commit[:8]} ({args.runs} runs x {args.rounds} processes): {path}")
    return 0


def _check(args, config: Path, results_dir: Path) -> int:
    for commit in (args.base, args.head):
        have = fewest_samples(results_dir, args.machine, commit, args.bench)
        if args.measure == "always" or (args.measure == "missing" and have < args.rounds):
            measure(config, args.machine, commit, args.rounds, args.bench)
    noise = read_noise(results_dir, args.machine)
    if noise is None:
        print(
            f"warning: no noise calibration at {noise_path(results_dir, args.machine)}: the "
            "noise between asv runs is not accounted for and the gate may cry wolf; run "
            "`python -m usdbench.gate calibrate BASE --machine ...` once",
            file=sys.stderr,
        )
    rule = Rule(args.rel, args.floor, args.spread)
    figures = compare(
        results_dir, args.machine, args.base, args.head, rule, args.bench, calibrated_ranges(noise)
    )
    print(report(figures, args.verbose))
    return 1 if any(f.verdict == REGRESSION for f in figures) else 0


if __name__ == "__main__":
    sys.exit(main())
