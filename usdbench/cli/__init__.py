"""The ``usdbench`` command line (also ``python -m usdbench``).

One module per command, each with its parser (``add_arguments``) and its
work (``run``), registered in COMMANDS. Parsing and printing only: the work
is the domain's. Only the command being run gets its arguments (and imports
what they need: profiles, scenarios), so that ``usdbench --help`` and a
mistyped command answer at once.

Errors: argparse reports a bad argument (usage, then one line naming it,
exit 2); a UsdBenchError from the work becomes one line, ``usdbench
<command>: error: <message>``, exit 2. Exit 1 is kept for a check that says
no (EPILOG).
"""

from __future__ import annotations

import argparse
import sys

from usdbench.errors import UsdBenchError

from . import (
    asv_install,
    convert,
    gate,
    generate,
    measure,
    plugin_path,
    prepare,
    report,
    status,
    timeline,
)
from .options import HelpFormatter

COMMANDS = (
    prepare,
    generate,
    convert,
    measure,
    report,
    timeline,
    gate,
    asv_install,
    plugin_path,
    status,
)

EPILOG = """\
typical use (what .ci/suite does, after `asv run`):
  usdbench prepare                      # generate the profile's data once
  usdbench asv-install HEAD --machine NAME  # build in a run of its own, then `asv run`
  usdbench timeline --machine NAME      # memory over time, per format
  usdbench report --machine NAME        # after `asv publish`: html/formats/index.html

exit status:
  0  done; the check passed
  1  the check says no: `gate check` found a regression, `timeline` has a
     failed format, `plugin-path` / `status`: the native plugin is not usable
  2  bad input or usage: an unknown option, a bad value, a missing or
     unreadable file, a commit that matches nothing (one line on stderr)

`usdbench <command> --help` explains each command.
"""


def build_parser(command_name: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``command_name``, only that command's arguments are added."""
    parser = argparse.ArgumentParser(
        prog="usdbench",
        description="Memory and time of USD scene data stored as usda, usdc, usdz and "
        "Parquet, measured with asv: the data, the report, the memory timelines, "
        "the memory regression gate and the native Parquet plugin.",
        epilog=EPILOG,
        formatter_class=HelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="<command>")
    for command in COMMANDS:
        sub = commands.add_parser(
            command.NAME,
            help=command.HELP,
            description=command.DESCRIPTION,
            epilog=command.EXAMPLES,
            formatter_class=HelpFormatter,
        )
        sub.set_defaults(run=command.run, prog=sub.prog, parser=sub)
        if command_name in (None, command.NAME):
            command.add_arguments(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    # The top level has no option but --help: the first other word is the command.
    named = next((a for a in argv if not a.startswith("-")), "")
    args, unknown = build_parser(named).parse_known_args(argv)
    if unknown:  # said by the command's own parser, with its usage
        args.parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        return args.run(args)
    except UsdBenchError as error:
        _say_error(args.prog, str(error))
        return 2
    except KeyboardInterrupt:
        print(f"{args.prog}: interrupted", file=sys.stderr)
        return 130


def _say_error(prog: str, message: str) -> None:
    """One line, last on stderr; a message's further lines (a tool's output)
    go before it, so that the last line still says what went wrong."""
    first, *details = message.splitlines() or [""]
    for line in details:
        print(line, file=sys.stderr)
    more = " (details above)" if details else ""
    print(f"{prog}: error: {first}{more}", file=sys.stderr)
