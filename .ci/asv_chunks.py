"""Print the --bench patterns .ci/suite runs `asv run` with, one per line:
one per benchmark module, or one per class (or top-level benchmark
function). By the profile's ``chunk_by`` ($USDBENCH_PROFILE; classes for a
profile of hours); USDBENCH_CHUNKS=module|class overrides.

The names are the ones asv discovers: asv_runner's own discovery, run on
the benchmark folder (as `asv run` does in its environment).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path


def chunks(names: list[str], modules: set[str], by: str) -> list[str]:
    """The patterns, in discovery order. ``names`` are asv benchmark names
    ("module.Class.method" or "module.function"); ``modules`` the benchmark
    modules' dotted names relative to the benchmark folder."""
    patterns = []
    for name in names:
        module = max((m for m in modules if name.startswith(m + ".")), key=len)
        if by == "module":
            pattern = f"^{re.escape(module)}\\."
        else:
            # asv matches a parametrized top-level function as "name(param, ...)".
            first = name[len(module) + 1 :].split(".")[0]
            pattern = f"^{re.escape(module)}\\.{re.escape(first)}(\\.|\\(|$)"
        if pattern not in patterns:
            patterns.append(pattern)
    return patterns


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--benchmarks", type=Path, default=Path("benchmarks"))
    args = parser.parse_args(argv)

    from asv_runner.discovery import disc_benchmarks

    from usdbench import profiles

    by = os.environ.get("USDBENCH_CHUNKS") or profiles.from_environment().chunk_by
    if by not in profiles.CHUNKS:
        sys.exit(f"asv_chunks: USDBENCH_CHUNKS={by!r}: expected one of {profiles.CHUNKS}")
    root = args.benchmarks.resolve()
    sys.path.insert(0, str(root.parent))  # asv imports the folder as a package
    names = [b.name for b in disc_benchmarks(str(root))]
    package = root.name + "."
    modules = {m[len(package) :] for m in sys.modules if m.startswith(package)}
    print("\n".join(chunks(names, modules, by)))


if __name__ == "__main__":
    main()
