"""Argument types and options several commands share; a bad value is argparse's
usage error naming the option (exit 2)."""

from __future__ import annotations

import argparse
import re
import textwrap


class HelpFormatter(argparse.HelpFormatter):
    """Wraps prose to the terminal; keeps indented lines (examples, lists) as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        out, prose = [], []

        def flush() -> None:
            if prose:
                out.append(
                    textwrap.fill(
                        " ".join(prose), width, initial_indent=indent, subsequent_indent=indent
                    )
                )
                prose.clear()

        for line in text.splitlines():
            if not line.strip():
                flush()
                out.append("")
            elif line[0].isspace():
                flush()
                out.append(indent + line)
            else:
                prose.append(line.strip())
        flush()
        return "\n".join(out)


def at_least(low: int, what: str, why: str = ""):
    """An int option that must be >= low; ``what`` names it in the message, ``why`` explains."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be an integer, got {text!r}") from None
        if value < low:
            because = f" ({why})" if why else ""
            raise argparse.ArgumentTypeError(f"{what} must be at least {low}{because}, got {value}")
        return value

    return parse


def regex(text: str) -> str:
    try:
        re.compile(text)
    except re.error as err:
        raise argparse.ArgumentTypeError(f"not a regular expression: {text!r}: {err}") from None
    return text


def add_config(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        default="asv.conf.json",
        help="asv config: where asv's results and site are (default: ./asv.conf.json)",
    )


def add_profile(parser: argparse.ArgumentParser) -> None:
    from usdbench import profiles

    parser.add_argument(
        "--profile",
        choices=list(profiles.PROFILES),
        help=f"benchmark profile (default: ${profiles.ENV}, else {profiles.DEFAULT!r})",
    )


def chosen_profile(args: argparse.Namespace):
    """--profile, else the environment's (UsdBenchError names a bad one)."""
    from usdbench import profiles

    return profiles.get(args.profile) if args.profile else profiles.from_environment()


def add_formats(parser: argparse.ArgumentParser, choices, verb: str) -> None:
    """``--formats F ...`` among ``choices``, all of them by default; ``verb``
    says what the command does with them ("write", "measure")."""
    parser.add_argument(
        "--formats",
        nargs="+",
        choices=choices,
        default=list(choices),
        metavar="FORMAT",
        help=f"formats to {verb} (default: all of {', '.join(choices)})",
    )
