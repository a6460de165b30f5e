"""Run a measurement in a fresh Python process and read the JSON it prints.

The measurement scripts here time and track one operation per process, so
that nothing an earlier one loaded, cached or left on the heap counts. The
parent runs the script itself again in child mode (``run_fresh``); the child
prints its result as one JSON line last (``print_result``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_fresh(script: str | os.PathLike, *args: str, timeout: float = 3600) -> dict:
    """``python script *args`` in a new interpreter, with this checkout first
    on its module path; returns the JSON object of the last line it printed.
    A failing child raises RuntimeError with the end of its stderr."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    proc = subprocess.run(
        [sys.executable, os.fspath(script), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )
    if proc.returncode != 0:
        what = " ".join([Path(script).name, *args])
        raise RuntimeError(f"{what} failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def print_result(result: dict) -> None:
    """The child's side: its result, as the last line of its output."""
    print(json.dumps(result))
