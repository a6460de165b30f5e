"""More samples of a cold memory figure, each from a fresh interpreter.

asv measures a ``track_`` method once per run, in one process, so
`asv compare` has a single value and judges it by the ratio alone. For a
figure of a few pages, which pages an operation's first allocations take
differs from process to process, and a 25 KiB step on a 65 KiB figure is
"38% worse". A child started here does what asv's process did (imports
the benchmark's module, its top-level package found in the same folder as
asv_runner finds it, runs the module's and the class's ``setup`` with
the same parameters, calls the same method) and prints the samples it
took; asv then stores their median and a confidence interval, and compares
by them. The child inherits the environment, the module path and the
working directory, and with them every setting the parent ran under.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

# Set in a child: it measures only its own process (no children of its own).
ENV_CHILD = "MEMTRACK_FRESH_CHILD"
_MARK = "MEMTRACK_FRESH_SAMPLES "
TIMEOUT_S = 1800
STDERR_TAIL = 800  # characters of a failed child's stderr in the error

_CHILD = """
import importlib, importlib.machinery, json, sys
module, qualname, method = sys.argv[1], sys.argv[2], sys.argv[3]
params = json.loads(sys.argv[4])
top, root = sys.argv[6], sys.argv[7]


class OnlyTheBenchmarks:
    # The benchmarks' top-level package from its folder, and nothing else
    # from there (asv_runner imports it so): the project's own packages
    # beside it come from the environment, as in asv's process.
    def find_spec(self, fullname, path=None, target=None):
        if fullname != top:
            return None
        return importlib.machinery.PathFinder().find_spec(fullname, [root], target)


sys.meta_path.insert(0, OnlyTheBenchmarks())
mod = importlib.import_module(module)
cls = mod
for part in qualname.split("."):
    cls = getattr(cls, part)
bench = cls()
# What asv_runner runs before a method: the module's setup, then the class's.
for setup in (getattr(mod, "setup", None), getattr(bench, "setup", None)):
    if callable(setup):
        setup(*params)
out = getattr(bench, method)(*params)
samples = out["samples"] if isinstance(out, dict) else ([] if out is None else [out])
print(sys.argv[5] + json.dumps(samples), flush=True)
"""


class FreshSampleError(RuntimeError):
    """A child could not take its samples; the message says why."""


def in_child() -> bool:
    return os.environ.get(ENV_CHILD) == "1"


def measure(bench, method: str, params: tuple) -> list:
    """The samples ``bench.<method>(*params)`` returns in a new interpreter
    that set the benchmark up as asv does. Raises FreshSampleError."""
    cls = type(bench)
    if "<locals>" in cls.__qualname__:
        raise FreshSampleError(f"{cls.__qualname__} is not importable by name")
    try:
        encoded = json.dumps(list(params))
    except (TypeError, ValueError) as exc:
        raise FreshSampleError(f"parameters {params!r} are not JSON: {exc}") from None
    if json.loads(encoded) != list(params):
        raise FreshSampleError(f"parameters {params!r} do not survive JSON")
    top = cls.__module__.split(".")[0]
    location = getattr(sys.modules.get(top), "__file__", None)
    if not location:
        raise FreshSampleError(f"cannot tell where module {top!r} was imported from")
    # The folder holding the top-level module or package.
    root = os.path.dirname(location)
    if os.path.basename(location).startswith("__init__."):
        root = os.path.dirname(root)
    env = dict(os.environ)
    env[ENV_CHILD] = "1"
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    argv = [sys.executable, "-c", _CHILD, cls.__module__, cls.__qualname__, method, encoded]
    argv += [_MARK, top, root]
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise FreshSampleError(f"child for {cls.__qualname__}.{method}: {exc}") from None
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(_MARK) and proc.returncode == 0:
            samples = json.loads(line[len(_MARK) :])
            if all(isinstance(v, (int, float)) for v in samples):
                return samples
            break
    tail = proc.stderr.strip()[-STDERR_TAIL:]
    raise FreshSampleError(
        f"child for {cls.__qualname__}.{method}{params!r} exited {proc.returncode} "
        f"without samples: {tail}"
    )
