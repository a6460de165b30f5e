"""How often the memory gate, and asv's own compare, flag a change that is not there.

Input: several asv runs of code that does not differ (the same commit run
again, or commits that change nothing measured), each given as
RESULTS_DIR:COMMIT, e.g. copies of the results folder taken after each
``usdbench gate check A B --measure always``. Every ordered pair
of runs (a, b) is a comparison of unchanged code; the gate's calibration
comes from --calibration-runs other runs (--calibrations draws of them). For each
comparison it counts the figures each test calls worse, then adds 10% of
the figure to b's samples and counts what each test catches.

asv's test is the one `asv compare` / `asv continuous` apply: its private
``_is_result_better`` on the statistics ``compute_stats`` gives the samples,
imported from the installed asv (a measurement script, not the product).

    python scripts/gate_noise.py --machine NAME res1:A res1:B res2:A res2:B ...
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from usdbench.gate import REGRESSION, Rule, memory_samples, newest_result  # noqa: E402

# Figures this large hold real allocations; below, a figure is a few pages of
# allocator noise and 10% of it is less than a page.
LARGE = 2**20


def asv_worse(base: list[float], head: list[float], factor: float) -> bool:
    from asv.commands.compare import _is_result_better
    from asv_runner.statistics import compute_stats

    a, a_stats = compute_stats(base, 1)
    b, b_stats = compute_stats(head, 1)
    return _is_result_better(a, b, (a_stats, base), (b_stats, head), factor)


def load_runs(specs: list[str], machine: str) -> list[dict[str, list[float]]]:
    runs = []
    for spec in specs:
        folder, _, commit = spec.rpartition(":")
        result = newest_result(Path(folder), machine, commit)
        if result is None:
            raise SystemExit(f"no results for {commit} on {machine} in {folder}")
        runs.append(memory_samples(result))
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", metavar="RESULTS_DIR:COMMIT")
    parser.add_argument("--machine", required=True)
    parser.add_argument("--calibration-runs", type=int, default=3)
    parser.add_argument("--factor", type=float, nargs="+", default=[1.1, 1.05])
    parser.add_argument(
        "--calibrations", type=int, default=20, help="calibration sets drawn (seeded; 20)"
    )
    args = parser.parse_args(argv)
    runs = load_runs(args.runs, args.machine)
    keys = sorted(set.intersection(*(set(r) for r in runs)))
    large = {k for k in keys if statistics.median(runs[0][k]) >= LARGE}
    k = args.calibration_runs
    rule = Rule()

    def gate(cal):
        def worse(key, a, b):
            noise = 0.0
            if cal:
                pooled = [x for i in cal for x in runs[i][key]]
                noise = max(pooled) - min(pooled)
            return rule.verdict(a, b, noise)[0] == REGRESSION

        return worse

    tally: dict[str, dict] = {}
    choices = list(itertools.combinations(range(len(runs)), k))
    random.Random(1).shuffle(choices)
    for cal in choices[: args.calibrations]:
        rest = [i for i in range(len(runs)) if i not in cal]
        tests = {f"gate, calibrated on {k} runs": gate(cal), "gate, no calibration": gate(())}
        for factor in args.factor:
            tests[f"asv --factor {factor}"] = lambda key, a, b, f=factor: asv_worse(a, b, f)
        for i, j in itertools.permutations(rest, 2):
            for name, worse in tests.items():
                t = tally.setdefault(name, {"pairs": 0, "flagged": 0, "any": 0, "caught": {}})
                t["pairs"] += 1
                flagged = 0
                for key in keys:
                    a, b = runs[i][key], runs[j][key]
                    flagged += worse(key, a, b)
                    more = [v + 0.10 * abs(statistics.median(a)) for v in b]
                    t["caught"][key] = t["caught"].get(key, 0) + worse(key, a, more)
                t["flagged"] += flagged
                t["any"] += flagged > 0
    print(
        f"{len(runs)} runs of unchanged code, {len(keys)} memory figures ({len(large)} of "
        f"at least 1 MiB); every ordered pair of the runs left after drawing {k} for "
        f"calibration, {min(args.calibrations, len(choices))} draws"
    )
    print(
        "| test | comparisons | figures called worse per comparison | comparisons with any "
        "| +10% caught in >= 95% of comparisons: figures >= 1 MiB | smaller |"
    )
    print("|---|---|---|---|---|---|")
    for name, t in tally.items():
        sure = {key for key, c in t["caught"].items() if c >= 0.95 * t["pairs"]}
        print(
            f"| {name} | {t['pairs']} | {t['flagged'] / t['pairs']:.3f} "
            f"| {t['any'] / t['pairs']:.1%} | {len(sure & large)} of {len(large)} "
            f"| {len(sure - large)} of {len(keys) - len(large)} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
