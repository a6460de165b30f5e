"""Filling the cache with a profile's data before `asv run`, so that no
benchmark waits for generation (``python -m usdbench prepare``)."""

from __future__ import annotations

import itertools
import multiprocessing
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from usdbench import budget
from usdbench.cache import is_cached, materialize, scenario_dir
from usdbench.profiles import Profile


def prepare(profile: Profile, root: Path | None = None) -> None:
    """Generate into the cache (``root``, default $USDBENCH_CACHE) every
    scenario and format of ``profile`` that the memory guard lets a benchmark
    run here. What the guard skips is not generated: no benchmark would read
    it, and the largest files take the longest and the most memory to write
    (usdc at 1M prims). Should a later run find more memory, the benchmark's
    setup generates the file then, outside any measured region.

    Each scenario is written by a fresh child process, so what generation
    leaves resident returns to the system before the guard judges the next
    scenario; in-process, it made the guard skip formats that would have fit
    (docs/measurements.md, "The memory guard")."""
    spawn = multiprocessing.get_context("spawn")
    for scenario, formats in itertools.chain(profile.scenarios(), profile.family_scenarios()):
        wanted = []
        for name in formats:
            ok, why = budget.fits(name, scenario.scale, scenario.hierarchy, scenario.family)
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
            child.submit(materialize, scenario, wanted, directory, print_progress).result()
        print(f"{scenario.key}: ready ({time.perf_counter() - start:.1f} s)", flush=True)
    prepare_user_stages(root)


def prepare_user_stages(root: Path | None = None) -> None:
    """Convert the stages of USDBENCH_DATA into the cache (every format,
    checked against the source), each in a fresh child, as the scenarios."""
    from usdbench.measure.environment import data_stages

    spawn = multiprocessing.get_context("spawn")
    for stage in data_stages():
        start = time.perf_counter()
        with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as child:
            child.submit(_convert_user_stage, stage, root).result()
        print(f"{stage}: ready ({time.perf_counter() - start:.1f} s)", flush=True)


def _convert_user_stage(stage: str, root: Path | None) -> None:
    from usdbench.measure.files import ensure_user_files

    ensure_user_files(stage, root, print_progress)


def print_progress(message: str) -> None:
    """Generation progress on stderr (a top-level function: it goes to the child)."""
    print(f"  {message}", file=sys.stderr, flush=True)
