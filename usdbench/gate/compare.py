"""Two commits' memory figures side by side, each with the rule's verdict."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

from usdbench.asv_results import (
    protocol_differences,
    protocol_path,
    read_benchmarks,
    read_protocol,
)
from usdbench.errors import UsdBenchError

from .figures import memory_samples, newest_result
from .rule import IMPROVEMENT, MISSING, REGRESSION, UNCHANGED, Rule


@dataclass(frozen=True)
class Figure:
    key: str  # asv's name of the combination, e.g. "load.InitialLoad.track_peak_bytes('usda', ...)"
    base: list[float] | None
    head: list[float] | None
    verdict: str
    change: float | None = None
    threshold: float | None = None
    calibrated: float | None = None  # the range calibration saw, where it has the figure


def compare(
    results_dir: Path,
    machine: str,
    base: str,
    head: str,
    rule: Rule | None = None,
    only: str | None = None,
    calibrated: dict[str, float] | None = None,
) -> list[Figure]:
    """Every memory figure of the two commits (``only``: of benchmarks matching
    it), with its verdict; a figure measured at one commit only is MISSING."""
    found = {c: newest_result(results_dir, machine, c) for c in (base, head)}
    for commit, result in found.items():
        if result is None:
            raise UsdBenchError(
                f"no asv results for commit {commit!r} on machine {machine!r} in {results_dir}"
            )
    read_benchmarks(results_dir)  # a results folder asv wrote, or a clear error
    a_all, b_all = (memory_samples(found[c], only) for c in (base, head))
    rule = rule or Rule()
    calibrated = calibrated or {}
    figures = []
    for key in sorted(set(a_all) | set(b_all)):
        a, b = a_all.get(key), b_all.get(key)
        if not a or not b:
            figures.append(Figure(key, a, b, MISSING))
            continue
        noise = calibrated.get(key)
        verdict, change, threshold = rule.verdict(a, b, noise or 0.0)
        figures.append(Figure(key, a, b, verdict, change, threshold, noise))
    if not figures:
        raise UsdBenchError(f"no memory figures at {base!r} or {head!r} on machine {machine!r}")
    return figures


def check_protocols(
    results_dir: Path, machine: str, base: str, head: str, noise: dict | None, strict: bool = True
) -> tuple[list[str], bool]:
    """(warnings, whether the calibration applies). UsdBenchError when the
    two commits' memory figures were measured under different protocols:
    their difference is the protocol's, not the commit's."""
    found = {c: newest_result(results_dir, machine, c) for c in (base, head)}
    hashes = {c: r.commit_hash for c, r in found.items() if r is not None}
    records = {c: read_protocol(results_dir, machine, h) for c, h in hashes.items()}
    warnings = []
    if len(hashes) == 2:
        differ = protocol_differences(records[base], records[head])
        if differ:
            files = ", ".join(str(protocol_path(results_dir, machine, h)) for h in hashes.values())
            text = (
                f"{base!r} and {head!r} were measured under different memory protocols "
                f"({'; '.join(differ)}; {files})"
            )
            if strict:
                raise UsdBenchError(
                    f"{text}: measure both under one (`--measure always`), or pass "
                    "--any-protocol to compare anyway"
                )
            warnings.append(text)
    for commit, record in records.items():
        if record is None:
            warnings.append(
                f"no memory protocol recorded for {commit!r} "
                f"({protocol_path(results_dir, machine, hashes[commit])}): figures taken "
                "under another protocol would not be told apart"
            )
    calibrated = True
    if noise is not None:
        ours = next((r for r in records.values() if r is not None), None)
        differ = protocol_differences(noise.get("protocol"), ours)
        if differ:
            calibrated = False
            warnings.append(
                "the noise calibration was measured under another memory protocol "
                f"({'; '.join(differ)}): not used"
            )
        elif noise.get("protocol") is None:
            warnings.append("the noise calibration records no memory protocol")
    return warnings, calibrated


def report(figures: list[Figure], verbose: bool = False) -> str:
    """The figures that moved (every one with verbose), then a summary line."""
    lines = []
    for f in figures:
        if f.verdict == UNCHANGED and not verbose:
            continue
        if f.verdict == MISSING:
            lines.append(f"{f.verdict:11s} {f.key}: measured at one commit only")
            continue
        base = statistics.median(f.base) / 2**20
        change = f.change / 2**20
        lines.append(
            f"{f.verdict:11s} {f.key}: {base:.2f} MiB {change:+.2f} MiB "
            f"(threshold {f.threshold / 2**20:.2f} MiB; samples {len(f.base)} and {len(f.head)})"
        )
    counts = {v: sum(f.verdict == v for f in figures) for v in (REGRESSION, IMPROVEMENT, MISSING)}
    lines.append(
        f"memory gate: {counts[REGRESSION]} regressions, {counts[IMPROVEMENT]} improvements, "
        f"{counts[MISSING]} missing, of {len(figures)} figures"
    )
    return "\n".join(lines)
