"""`.ci/asv_chunks.py`: the parts `.ci/suite` runs `asv run` in come from asv's
own discovery of the suite and from the profile; every benchmark is in
exactly one part."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / ".ci" / "asv_chunks.py"
_spec = importlib.util.spec_from_file_location("asv_chunks", SCRIPT)
asv_chunks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(asv_chunks)


def _run(profile: str, chunks: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "USDBENCH_PROFILE": profile}
    env.pop("USDBENCH_CHUNKS", None)
    if chunks is not None:
        env["USDBENCH_CHUNKS"] = chunks
    return subprocess.run(
        [sys.executable, str(SCRIPT)], cwd=REPO, env=env, capture_output=True, text=True
    )


def _discovered(profile: str) -> list[str]:
    """The benchmark names asv_runner discovers, in a process of their own."""
    probe = (
        "import json\n"
        "from asv_runner.discovery import disc_benchmarks\n"
        "print(json.dumps([b.name for b in disc_benchmarks('benchmarks')]))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPO,
        env={**os.environ, "USDBENCH_PROFILE": profile},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(run.stdout.splitlines()[-1])


@pytest.mark.parametrize(
    "profile,chunks,parts",
    [("quick", None, 1), ("full", None, 2), ("quick", "class", 2), ("full", "module", 1)],
)
def test_every_benchmark_is_in_exactly_one_part(profile, chunks, parts):
    """parts: how many leading components of a name make its part (module
    or module.Class)."""
    run = _run(profile, chunks)
    assert run.returncode == 0, run.stderr[-3000:]
    patterns = run.stdout.split()
    names = _discovered(profile)
    assert len(names) > 20
    for name in names:
        hits = [p for p in patterns if re.search(p, name)]
        assert len(hits) == 1, (name, hits)
    assert len(patterns) == len({".".join(n.split(".")[:parts]) for n in names})


def test_an_unknown_chunking_is_refused():
    run = _run("quick", "function")
    assert run.returncode != 0 and "USDBENCH_CHUNKS='function'" in run.stderr


def test_top_level_functions_and_nested_modules():
    names = ["mod.track_a", "mod.Klass.time_b", "pkg.sub.Klass.time_c", "pkg.sub.track_d"]
    modules = {"mod", "pkg", "pkg.sub"}
    assert asv_chunks.chunks(names, modules, "module") == [r"^mod\.", r"^pkg\.sub\."]
    by_class = asv_chunks.chunks(names, modules, "class")
    assert by_class == [
        r"^mod\.track_a(\.|\(|$)",
        r"^mod\.Klass(\.|\(|$)",
        r"^pkg\.sub\.Klass(\.|\(|$)",
        r"^pkg\.sub\.track_d(\.|\(|$)",
    ]
    # asv names a parametrized top-level function "name(params)".
    assert re.search(by_class[0], "mod.track_a(1, 2)")
    assert not re.search(by_class[0], "mod.track_ab")
