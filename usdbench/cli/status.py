"""usdbench status: whether the native Parquet plugin is usable here, and why not."""

from __future__ import annotations

NAME = "status"
HELP = "say whether the native Parquet plugin is usable here, and if not why"
DESCRIPTION = (
    "Say whether the native Parquet file format (the C++ plugin built at install) is "
    "usable in this environment: built, for this usd-core and pyarrow, and, in a source "
    "checkout, built from the plugin sources as they are now. Where it is not, say why "
    "and what to do; usdbench then reads .parquet with its Python loader. Exits 0 when "
    "usable, 1 when not."
)
EXAMPLES = """\
example:
  usdbench status
"""


def add_arguments(parser) -> None:
    pass


def run(args) -> int:
    from usdbench import native

    status = native.status(check_sources=True)
    info = status.info
    if status.available:
        print("native Parquet plugin: usable")
    elif native.status().available:
        # import usdbench registers a built plugin without hashing sources, so a
        # stale one is still what every process here reads .parquet with.
        print(f"native Parquet plugin: usable, but not this checkout's: {status.reason}")
        print("  .parquet is still read by this older build of the plugin")
    else:
        print(f"native Parquet plugin: not usable: {status.reason}")
        print("  .parquet is read by usdbench's Python loader instead")
    print(f"  folder: {status.directory}")
    if info:
        built = ", ".join(
            f"{name} {info[key]}"
            for name, key in (("usd-core", "usd_core"), ("pyarrow", "pyarrow"))
            if info.get(key)
        )
        if built:
            print(f"  built for: {built}")
    if status.available:
        print(f"  other USD processes: {native.PLUGIN_PATH_ENV}={status.directory}")
    return 0 if status.available else 1
