"""usdbench plugin-path: the native Parquet plugin's folder, for PXR_PLUGINPATH_NAME."""

from __future__ import annotations

import sys

NAME = "plugin-path"
HELP = "print the folder of the native Parquet plugin, for PXR_PLUGINPATH_NAME"
DESCRIPTION = (
    "Print the folder holding the native Parquet file format's plugInfo.json: with "
    "PXR_PLUGINPATH_NAME=<it>, any USD process of this environment (usdview, your own "
    "tool) reads .parquet. Exits 1, saying why on stderr, where the plugin is not usable "
    "here (`usdbench status` says more)."
)
EXAMPLES = """\
example:
  PXR_PLUGINPATH_NAME=$(usdbench plugin-path) usdview scene.usda
"""


def add_arguments(parser) -> None:
    pass


def run(args) -> int:
    from usdbench import native

    status = native.status()
    if not status.available:
        print(
            f"{args.prog}: the native Parquet plugin is not usable here: {status.reason}",
            file=sys.stderr,
        )
        return 1
    print(status.directory)
    return 0
