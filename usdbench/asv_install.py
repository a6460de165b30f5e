"""A commit built and installed into asv's environments by an asv run of its
own, before the runs that measure it.

asv 0.6 leaves the variables of its build (``ASV_BUILD_DIR``,
``ASV_BUILD_CACHE_DIR``) in the environment of every benchmark process of
the run that built the commit, and in no later run's. Any change in the
environment's size moves where the interpreter's first objects land, and
with them which pages an operation's first allocations touch: on one
commit, the usdz reads' deltas at 1k were 49.2 KiB in the building run and
28.7 KiB in every later one, and the native series load's peak at 3k moved
by 0.27 MiB (docs/measurements.md, "Protocol 7 between runs: the run that
builds"). `asv compare` flags such steps. Installed here first, every
measuring run of a commit starts its processes from the same environment.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from usdbench.asv_results import _read_json
from usdbench.errors import UsdBenchError

# A --bench pattern no benchmark name matches: asv sets up the environments,
# builds and installs the commit, then finds nothing to run (and exits 1).
NOTHING = "^$"


def installed_commits(env_dir: Path) -> dict[Path, str | None]:
    """The commit installed in each of asv's environments under ``env_dir``
    (asv's asv-install-status.json; None where it records none)."""
    out: dict[Path, str | None] = {}
    for status in sorted(env_dir.glob("*/asv-install-status.json")):
        try:
            out[status.parent] = json.loads(status.read_text()).get("commit_hash")
        except (OSError, ValueError, AttributeError):
            out[status.parent] = None
    return out


def install(config: Path, machine: str, commit: str) -> bool:
    """Build and install ``commit`` (a full hash, as asv records it) into
    asv's environments in an asv run that measures nothing; False where
    there is nothing to install (an "existing" environment: asv builds
    nothing there). Raises UsdBenchError with asv's output when no
    environment holds the commit afterwards (a failed build)."""
    conf = _read_json(config, comments=True)
    if not isinstance(conf, dict):
        raise UsdBenchError(f"cannot read asv config {config}: not a JSON object")
    if conf.get("environment_type") == "existing":
        return False
    # Always asked of asv, even when its status file names the commit: asv
    # also reinstalls when the config's build or install commands changed.
    cmd = [sys.executable, "-m", "asv", "run", "--config", str(config), "--machine", machine]
    cmd += ["--show-stderr", "--bench", NOTHING, f"{commit}^!"]
    print(f"== asv: installing {commit[:8]} by an asv run of its own", flush=True)
    run = subprocess.run(cmd, cwd=config.resolve().parent, capture_output=True, text=True)
    env_dir = config.resolve().parent / conf.get("env_dir", "env")
    if commit not in installed_commits(env_dir).values():
        tail = (run.stdout + run.stderr)[-3000:]
        raise UsdBenchError(
            f"asv did not install {commit[:8]} (asv run exited {run.returncode}):\n{tail}"
        )
    return True
