"""usdbench asv-install: build and install a commit into asv's environments
in an asv run of its own, before the runs that measure it."""

from __future__ import annotations

from pathlib import Path

from .commits import resolve
from .options import add_config

NAME = "asv-install"
HELP = "build and install a commit into asv's environments, measuring nothing"
DESCRIPTION = (
    "Build and install COMMIT into asv's environments in an `asv run` that runs no "
    "benchmark. asv leaves its build's variables in the environment of the benchmark "
    "processes of the run that built the commit, and of no later run; the environment's "
    "size moves figures of a few pages (docs/measurements.md). Installed first, every "
    "run that measures the commit starts its processes alike. .ci/suite and the gate do "
    "this; do it before your own `asv run` of a commit you mean to compare. Nothing to do "
    'for an already installed commit or asv\'s "existing" environment.'
)
EXAMPLES = """\
example:
  usdbench asv-install HEAD --machine box
  asv run --machine box --record-samples HEAD^!
"""


def add_arguments(parser) -> None:
    parser.add_argument("commit", nargs="?", default="HEAD", help="default HEAD")
    parser.add_argument("--machine", required=True, help="asv machine name")
    add_config(parser)


def run(args) -> int:
    from usdbench.asv_install import install
    from usdbench.asv_results import read_config

    config = Path(args.config)
    read_config(config)  # a missing or unreadable config named before git runs
    commit = resolve(config.resolve().parent, args.commit, "commit")
    installed = install(config, args.machine, commit)
    where = "in asv's environments" if installed else "nothing to install (existing environment)"
    print(f"{commit[:8]}: {where}")
    return 0
