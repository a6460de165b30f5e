"""``import usdbench`` registers the built plugin but does no build work: it
neither loads parquet_plugin/build.py nor reads (hashes) the plugin's sources.
Whether a checkout's build is stale is for build.py --if-stale and
``usdbench status`` to say."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SOURCES = REPO / "parquet_plugin"

# Records every file opened while usdbench is imported (the "open" audit event
# fires for open() and for reading module source), then reports them.
PROBE = """
import json, os, sys

opened = []

def hook(event, args):
    if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        opened.append(os.path.abspath(os.fsdecode(args[0])))

sys.addaudithook(hook)
import usdbench
from usdbench import native

print(json.dumps({
    "usdbench": usdbench.__file__,
    "registered": native.register().available,
    "reason": native.register().reason,
    "opened": opened,
    "build_module_loaded": "_usdparquet_build" in sys.modules,
}))
"""


def _import_usdbench() -> tuple[dict, str]:
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", PROBE],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(run.stdout), run.stderr


def _imported_modules(importtime: str) -> set[str]:
    return {
        line.rsplit("|", 1)[1].strip()
        for line in importtime.splitlines()
        if line.startswith("import time:") and "|" in line
    }


def test_import_usdbench_registers_the_plugin_without_build_work():
    probe, importtime = _import_usdbench()
    assert Path(probe["usdbench"]).is_relative_to(REPO)
    if not probe["registered"]:
        # Unbuilt, import stops before any source check: nothing to tell apart.
        pytest.fail(f"the plugin is not built here: {probe['reason']}")

    sources_opened = [p for p in probe["opened"] if Path(p).is_relative_to(SOURCES)]
    assert sources_opened == [], "import usdbench read the plugin's sources"
    assert not probe["build_module_loaded"]
    modules = _imported_modules(importtime)
    assert "usdbench.native" in modules  # the parse sees usdbench's own imports
    # Nothing usdbench imports needs hashlib; the build script's source hash does.
    assert not {"_usdparquet_build", "hashlib"} & modules
