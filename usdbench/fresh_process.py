"""Run a measurement in a new Python interpreter and read the result it prints.

A measurement of one operation runs in its own process, so that nothing an
earlier one imported, cached or left on the heap counts. The parent starts
``python -m module args`` (``run_module``) or ``python script args``
(``run_script``); the child does the work and prints its result as one JSON
object on its last line of output (``print_result``). A child that fails,
prints no JSON or outlives its timeout raises ChildFailed, whose message ends
with the end of the child's stderr.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from usdbench.errors import UsdBenchError

TIMEOUT_S = 3600
STDERR_LINES = 5  # of a failed child's stderr, in the error
# The folder holding this usdbench package: first on the child's module path,
# so that the child measures the same code as its parent (a checkout, a copy
# in an asv environment), whatever is installed.
_CODE_ROOT = Path(__file__).resolve().parents[1]


class ChildFailed(UsdBenchError):
    """The child exited non-zero, timed out or printed no JSON object last."""


def run_module(module: str, *args: str, timeout: float = TIMEOUT_S) -> dict:
    """``python -m module *args`` in a new interpreter; the JSON object it printed last."""
    return _run(["-m", module, *args], f"python -m {module}", timeout)


def run_script(script: str | os.PathLike, *args: str, timeout: float = TIMEOUT_S) -> dict:
    """``python script *args`` in a new interpreter; the JSON object it printed last."""
    return _run([os.fspath(script), *args], Path(script).name, timeout)


def print_result(result: dict) -> None:
    """The child's side: its result, as the last line of its output."""
    print(json.dumps(result, separators=(",", ":")), flush=True)


def _run(argv: list[str], what: str, timeout: float) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_CODE_ROOT), env.get("PYTHONPATH")]))
    what = " ".join([what, *argv[2 if argv[0] == "-m" else 1 :]])
    try:
        proc = subprocess.run(
            [sys.executable, *argv],
            stdin=subprocess.DEVNULL,  # a measurement never waits for input
            capture_output=True,
            text=True,
            env=env,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as err:
        raise ChildFailed(f"{what}: no result within {timeout:g} s{_tail(err.stderr)}") from err
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0:
        raise ChildFailed(f"{what}: exit status {proc.returncode}{_tail(proc.stderr)}")
    try:
        result = json.loads(lines[-1]) if lines else None
    except ValueError:
        result = None
    if not isinstance(result, dict):
        last = lines[-1][:200] if lines else "nothing"
        raise ChildFailed(f"{what}: printed {last!r} last, not a JSON object{_tail(proc.stderr)}")
    return result


def _tail(stderr: str | bytes | None) -> str:
    if isinstance(stderr, bytes):
        stderr = stderr.decode(errors="replace")
    lines = (stderr or "").strip().splitlines()[-STDERR_LINES:]
    return ": " + " | ".join(lines) if lines else ""
