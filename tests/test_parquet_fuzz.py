"""The native Parquet reader against damaged files: deterministic mutations
(bit flips, truncations, zeroed ranges, damaged footers, page headers,
footer lengths, magic) of valid files, each opened and read in full in a
child process (many per child). No crash, no hang, no exception other than
USD's own error. A failure names the mutation (its seed) to replay with
``python tests/parquet_fuzz.py SEED_DIR N 1``.

The fast loop reads the first 1,000 mutations; the slow test (CI) reads
10,000, or USDBENCH_FUZZ_MUTATIONS of them (the same sequence: a larger run
is a superset)."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import parquet_fuzz  # noqa: E402

from tests.native_test_helpers import require_plugin  # noqa: E402

BATCH = 1_000  # mutations per child process
WORKERS = 2


@pytest.fixture(scope="module", autouse=True)
def plugin():
    require_plugin()


def _batch(seed_dir: Path, first: int, count: int) -> list[str]:
    """Runs one child; the problems it met (empty: none)."""
    command = [sys.executable, str(HERE / "parquet_fuzz.py"), str(seed_dir), str(first), str(count)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE.parent), *sys.path])}
    try:
        run = subprocess.run(
            command, capture_output=True, text=True, timeout=60 + count * 0.5, env=env
        )
    except subprocess.TimeoutExpired as expired:
        out = expired.stdout or ""
        out = out.decode() if isinstance(out, bytes) else out
        begun = [line for line in out.splitlines() if line.startswith("begin")]
        last = begun[-1] if begun else f"begin {first}"
        return [f"hang: mutation {last.split()[1]} ({last}) did not finish"]
    problems = []
    open_mutation = None
    for line in run.stdout.splitlines():
        if line.startswith("begin "):
            open_mutation = line
        elif line.startswith("end "):
            open_mutation = None
            if " other " in line:
                problems.append(f"mutation {line.split()[1]}: {line}")
    if run.returncode == 2:
        return [run.stdout.strip()]
    if run.returncode not in (0, 1) or open_mutation is not None:
        where = open_mutation or f"after mutation {first + count - 1}"
        problems.append(
            f"crash (exit {run.returncode}) in {where}; stderr tail: {run.stderr[-800:]}"
        )
    ends = [line for line in run.stdout.splitlines() if line.startswith("end ")]
    if not problems and len(ends) != count:
        problems.append(f"batch {first}: {len(ends)} of {count} mutations ran: {run.stdout[-300:]}")
    if not problems and not any(line.endswith(" ok") for line in ends):
        problems.append(f"batch {first}: no mutated file opened at all (is the reader there?)")
    return problems


def _fuzz(tmp_path: Path, mutations: int) -> None:
    seed_dir = tmp_path / "seeds"
    seeds = parquet_fuzz.write_seeds(seed_dir)
    assert len(seeds) >= 5
    batches = [(first, min(BATCH, mutations - first)) for first in range(0, mutations, BATCH)]
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        results = list(pool.map(lambda b: _batch(seed_dir, *b), batches))
    problems = [p for result in results for p in result]
    assert not problems, "\n".join(problems[:20])


def test_mutations_are_deterministic_and_of_every_kind(tmp_path):
    seeds = parquet_fuzz.write_seeds(tmp_path)
    data = seeds[0].read_bytes()
    pages = parquet_fuzz._page_offsets(data)
    assert pages
    kinds = set()
    for n in range(50):
        kind, a = parquet_fuzz.mutate(data, n, pages)
        _, b = parquet_fuzz.mutate(data, n, pages)
        assert a == b and a != data or kind in ("zero", "footer", "page_header")
        kinds.add(kind)
    assert kinds == set(parquet_fuzz.KINDS)


def test_damaged_files_give_usds_error_never_a_crash(tmp_path):
    # A prefix of the slow test's sequence: the fast loop must stay short
    # with every core busy.
    _fuzz(tmp_path, 1_000)


@pytest.mark.slow
def test_ten_thousand_damaged_files(tmp_path):
    _fuzz(tmp_path, int(os.environ.get("USDBENCH_FUZZ_MUTATIONS", "10000")))
