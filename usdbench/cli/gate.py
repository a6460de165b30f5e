"""usdbench gate {check,calibrate}: the memory regression gate on asv's samples."""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from .commits import resolve
from .options import HelpFormatter, add_config, at_least, regex

NAME = "gate"
HELP = "memory regression gate: compare two commits' memory figures (check), calibrate noise"
DESCRIPTION = (
    "The memory regression gate on asv's samples of the memory figures (peak, delta and "
    "retained bytes of each operation, every parameter combination). `check` compares two "
    "commits and exits 1 if a figure got worse, running asv first on a commit with too few "
    "samples; `calibrate` measures, once per machine, how far each figure moves between "
    "asv runs, which `check` then allows for. A figure got worse when its median rose "
    "by more than the largest of --rel, --floor, --spread and its calibrated noise "
    "(usdbench/gate/rule.py)."
)
EXAMPLES = """\
examples:
  usdbench gate calibrate BASE --machine box       # once per machine
  usdbench gate calibrate --from-runs run1 run2 run3   # from asv runs already made
  usdbench gate check BASE HEAD --machine box      # exit 1 on a regression
  usdbench gate check BASE HEAD --machine box --measure never --verbose
  usdbench gate protocol HEAD --machine box        # record the memory protocol of a run
"""
# Samples (fresh processes) per figure and commit, and asv runs of a
# calibration: scripts/gate_noise.py measured what these need (docs).
ROUNDS = 5
RUNS = 5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from usdbench.gate.rule import FLOOR, REL, SPREAD

    commands = parser.add_subparsers(dest="gate_command", required=True, metavar="<gate command>")
    check = commands.add_parser(
        "check",
        help="compare two commits; exit 1 if a memory figure got worse",
        description="Compare two commits on the memory figures asv recorded: exit 0 if none "
        "got worse, 1 if one did, 2 on bad input. A commit with fewer than --rounds samples "
        "of a figure is measured first (asv run --record-samples, memory figures only).",
        epilog="example:\n  usdbench gate check 1a2b3c4d HEAD --machine box\n",
        formatter_class=HelpFormatter,
    )
    check.set_defaults(run=_check, prog=check.prog, parser=check)
    check.add_argument("base", help="the reference commit (hash or prefix)")
    check.add_argument("head", help="the commit under test (hash or prefix)")
    _common(check)
    check.add_argument(
        "--any-protocol",
        action="store_true",
        help="compare commits whose memory figures were measured under different protocols "
        "(refused by default: their difference would be the protocol's)",
    )
    check.add_argument(
        "--measure",
        choices=("missing", "always", "never"),
        default="missing",
        help="run asv on a commit with fewer than --rounds samples per figure (missing, the "
        "default), on both commits (always), or compare what is recorded (never)",
    )
    check.add_argument(
        "--rel",
        type=float,
        default=REL,
        help=f"a change below this fraction of BASE's median is noise (default {REL})",
    )
    check.add_argument(
        "--floor",
        type=float,
        default=FLOOR,
        help=f"a change below this many bytes is noise (default {FLOOR})",
    )
    check.add_argument(
        "--spread",
        type=float,
        default=SPREAD,
        help="a change below this many times a figure's range across processes is noise "
        f"(default {SPREAD})",
    )
    check.add_argument("--verbose", action="store_true", help="list every figure")
    cal = commands.add_parser(
        "calibrate",
        help="measure each memory figure's noise over several asv runs of one commit",
        description="Run asv --runs times on one commit (memory figures, --rounds processes "
        "each) and record each figure's range in <results>/<machine>/gate-noise.json.gz. "
        "With --from-runs, read asv runs already made instead: each DIR a copy of one "
        "run's results/<machine>/ folder (its result file, made with --record-samples), "
        "all of one commit, machine and environment.",
        epilog="examples:\n  usdbench gate calibrate 1a2b3c4d --machine box\n"
        "  usdbench gate calibrate --from-runs runs/run1 runs/run2 runs/run3\n",
        formatter_class=HelpFormatter,
    )
    cal.set_defaults(run=_calibrate, prog=cal.prog, parser=cal)
    cal.add_argument(
        "commit",
        nargs="?",
        help="the commit to measure (hash, prefix or anything asv takes); with --from-runs, "
        "the runs' commit where a folder holds several",
    )
    _common(cal, machine_required=False)
    cal.add_argument(
        "--from-runs",
        nargs="+",
        type=Path,
        metavar="DIR",
        help="calibrate from these asv runs (copies of results/<machine>/, one per run) "
        "instead of running asv",
    )
    cal.add_argument(
        "--runs",
        type=at_least(2, "runs", "the noise between runs is what it measures"),
        default=RUNS,
        help=f"asv runs of the commit (default {RUNS}, at least 2)",
    )
    _add_protocol(commands)


def _add_protocol(commands) -> None:
    proto = commands.add_parser(
        "protocol",
        help="record (or show) the memory protocol of a commit's results",
        description="Record the memory protocol the suite measures under (python -m "
        "benchmarks.protocol, in this environment) beside the commit's results on the "
        "machine: <results>/<machine>/protocol/<commit8>.json.gz. For runs the gate did not "
        "make (e.g. .ci/suite's); `gate check` refuses commits recorded under different "
        "protocols. --show prints the recorded one.",
        epilog="example:\n  usdbench gate protocol HEAD --machine box\n",
        formatter_class=HelpFormatter,
    )
    proto.set_defaults(run=_protocol, prog=proto.prog, parser=proto)
    proto.add_argument("commit", nargs="?", default="HEAD", help="default HEAD")
    proto.add_argument("--machine", required=True, help="asv machine name")
    add_config(proto)
    proto.add_argument("--show", action="store_true", help="print the record, write nothing")


def _protocol(args) -> int:
    from usdbench.asv_results import protocol_path, protocol_text, read_config, read_protocol
    from usdbench.errors import UsdBenchError
    from usdbench.gate import newest_result, record_protocol

    config = Path(args.config)
    results_dir, _ = read_config(config)
    commit = resolve(config.resolve().parent, args.commit, "commit")
    if newest_result(results_dir, args.machine, commit) is None:
        raise UsdBenchError(
            f"no asv results for commit {commit[:8]} on machine {args.machine!r} in {results_dir}"
        )
    if not args.show and record_protocol(config, args.machine, commit) is None:
        raise UsdBenchError(f"the suite beside {config} records no memory protocol")
    record = read_protocol(results_dir, args.machine, commit)
    print(f"{protocol_path(results_dir, args.machine, commit)}: {protocol_text(record)}")
    return 0


def _common(parser: argparse.ArgumentParser, machine_required: bool = True) -> None:
    parser.add_argument(
        "--machine",
        required=machine_required,
        help="asv machine name" + ("" if machine_required else " (with --from-runs: the runs')"),
    )
    add_config(parser)
    parser.add_argument("--bench", type=regex, help="only figures whose benchmark matches this")
    parser.add_argument(
        "--rounds",
        type=at_least(2, "rounds", "one sample says nothing of the noise"),
        default=ROUNDS,
        help=f"samples (fresh processes) per figure and run (default {ROUNDS}, at least 2)",
    )


def run(args) -> int:  # never reached: each gate command sets its own
    raise AssertionError("gate needs a command")


def _calibrate(args) -> int:
    from usdbench.asv_results import read_config, read_protocol
    from usdbench.errors import UsdBenchError
    from usdbench.gate import measure, memory_samples, newest_result, record_noise, suite_protocol

    config = Path(args.config)
    results_dir, _ = read_config(config)
    if args.from_runs:
        return _calibrate_from_runs(args, results_dir, config)
    if args.commit is None or args.machine is None:
        raise UsdBenchError("calibrate needs COMMIT and --machine (or --from-runs DIR ...)")
    commit = resolve(config.resolve().parent, args.commit, "commit")  # before asv is run on it
    run_medians: dict[str, list[float]] = {}
    for run_index in range(args.runs):
        measure(config, args.machine, commit, args.rounds, args.bench, append=run_index > 0)
        # asv appends each run's samples: the last --rounds are this run's.
        result = newest_result(results_dir, args.machine, args.commit)
        for key, values in memory_samples(result, args.bench).items():
            run_medians.setdefault(key, []).append(statistics.median(values[-args.rounds :]))
    result = newest_result(results_dir, args.machine, args.commit)
    protocol = read_protocol(results_dir, args.machine, result.commit_hash) if result else None
    path = record_noise(
        results_dir, args.machine, args.commit, args.runs, args.rounds, args.bench,
        run_medians, protocol or suite_protocol(config),
    )  # fmt: skip
    print(f"noise of {args.commit[:8]} ({args.runs} runs x {args.rounds} processes): {path}")
    return 0


def _calibrate_from_runs(args, results_dir: Path, config: Path) -> int:
    from usdbench.asv_results import protocol_differences, read_protocol
    from usdbench.errors import UsdBenchError
    from usdbench.gate import noise_from_runs, read_runs, suite_protocol, write_entries

    runs = read_runs(args.from_runs, args.commit, args.machine)
    first = runs[0].result
    machine, commit = first.machine, first.commit_hash
    # A run folder is a copy of results/<machine>/: its record is protocol/<commit8>.json.gz.
    protocols = [read_protocol(run.directory.parent, run.directory.name, commit) for run in runs]
    recorded = [p for p in protocols if p is not None]
    for run, record in zip(runs, protocols, strict=True):
        if recorded and protocol_differences(recorded[0], record):
            raise UsdBenchError(
                f"the runs were measured under different memory protocols: {run.directory} "
                f"({'; '.join(protocol_differences(recorded[0], record))})"
            )
    protocol = recorded[0] if recorded else None
    if protocol is None:
        protocol = suite_protocol(config)
        if protocol is not None:
            protocol["assumed"] = True
            print(
                "warning: the runs carry no memory protocol record: recording this tree's "
                "(benchmarks/protocol.py) as theirs",
                file=sys.stderr,
            )
    entries = noise_from_runs(runs, args.bench)
    if not entries:
        raise UsdBenchError(
            f"no memory figure measured in two or more of the runs ({len(runs)} folders)"
        )
    sources = [str(run.directory) for run in runs]
    path = write_entries(results_dir, machine, entries, protocol, sources)
    print(
        f"noise of {commit[:8]} on {machine} from {len(runs)} runs "
        f"({len(entries)} memory figures): {path}"
    )
    return 0


def _check(args) -> int:
    from usdbench.asv_results import read_config
    from usdbench.gate import (
        REGRESSION,
        Rule,
        calibrated_noise,
        check_protocols,
        compare,
        fewest_samples,
        measure,
        noise_path,
        read_noise,
        report,
    )

    config = Path(args.config)
    results_dir, _ = read_config(config)
    for what, commit in (("base", args.base), ("head", args.head)):
        have = fewest_samples(results_dir, args.machine, commit, args.bench)
        if args.measure == "always" or (args.measure == "missing" and have < args.rounds):
            full = resolve(config.resolve().parent, commit, what)  # before asv is run on it
            measure(config, args.machine, full, args.rounds, args.bench)
    noise = read_noise(results_dir, args.machine)
    warnings, use_noise = check_protocols(
        results_dir, args.machine, args.base, args.head, noise, strict=not args.any_protocol
    )
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if not use_noise:
        noise = None
    elif noise is None:
        print(
            f"warning: no noise calibration at {noise_path(results_dir, args.machine)}: the "
            "noise between asv runs is not accounted for and the gate may cry wolf; run "
            "`usdbench gate calibrate BASE --machine ...` once",
            file=sys.stderr,
        )
    rule = Rule(args.rel, args.floor, args.spread)
    figures = compare(
        results_dir, args.machine, args.base, args.head, rule, args.bench, calibrated_noise(noise)
    )
    print(report(figures, args.verbose))
    return 1 if any(f.verdict == REGRESSION for f in figures) else 0
