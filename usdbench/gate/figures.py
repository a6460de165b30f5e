"""The memory figures of a commit, as asv recorded them: samples per benchmark
and parameter combination, read from the result files (no asv import)."""

from __future__ import annotations

import re
from pathlib import Path

from memtrack.asv import MEMORY_METRICS
from usdbench.asv_results import ResultFile, commit_results, figure_key, result_files


def bench_pattern(only: str | None = None) -> str:
    """asv's --bench regex for the memory figures (those matching ``only``,
    too: asv ORs several --bench, so both go in one pattern)."""
    metrics = "|".join(re.escape(m) for m in MEMORY_METRICS)
    narrow = f"(?=.*(?:{only}))" if only else ""
    # asv matches a parameterised benchmark as "name(param, ...)".
    return f"^{narrow}.*\\.(?:{metrics})(?:\\(|$)"


def newest_result(results_dir: Path, machine: str, commit: str) -> ResultFile | None:
    """The commit's newest result file on the machine (a prefix will do)."""
    found = commit_results(result_files(results_dir, machine), commit)
    return max(found, key=ResultFile.newest_first_key) if found else None


def samples(result: ResultFile | None, name: str) -> dict[tuple, list[float] | None]:
    """Parameter combination (asv's repr strings) -> its samples; the median
    alone where asv kept no samples, None where it failed or was skipped."""
    if result is None or name not in result.rows:
        return {}
    values = result.per_combination(name, "result")
    kept = result.per_combination(name, "samples")
    out = {}
    for combo, value, sample in zip(result.combinations(name), values, kept, strict=True):
        if value is None or value != value:  # failed (None) or skipped (NaN)
            out[combo] = None
        else:
            out[combo] = [float(s) for s in sample] if sample else [float(value)]
    return out


def memory_samples(result: ResultFile | None, only: str | None = None) -> dict[str, list[float]]:
    """figure_key -> samples, for every measured memory figure of a result file."""
    pattern = re.compile(bench_pattern(only))
    out = {}
    for name in sorted(result.rows if result else {}):
        for combo, values in samples(result, name).items():
            # Matched as asv matches --bench: with the combination's parameters.
            key = figure_key(name, combo)
            if values and pattern.search(key):
                out[key] = values
    return out
