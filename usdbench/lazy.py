"""Names a package exports, imported from their modules on first use: light
users of a package (the report, --help, the usda writer) do not pay for
importing what they never call (USD, the Parquet loader)."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module


def exports(package: str, names: dict[str, str]) -> tuple[Callable[[str], object], list[str]]:
    """A module ``__getattr__`` and ``__all__`` for ``package`` whose public
    ``names`` map to the modules defining them."""

    def __getattr__(name: str):
        if name in names:
            return getattr(import_module(names[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__, sorted(names)
