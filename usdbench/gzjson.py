"""Gzipped JSON files kept beside asv's results (timelines, the gate's noise).

Gzipped because asv warns of any *.json in a machine folder that is not one
of its own; written atomically so that a reader never sees half a file, and
byte-for-byte reproducible (mtime=0) because they are committed.
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

from usdbench.errors import UsdBenchError


def read(path: Path, what: str) -> object:
    """The document at ``path``; UsdBenchError naming the file and ``what`` it should hold."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            return json.load(f)
    except (OSError, EOFError, ValueError) as err:
        raise UsdBenchError(f"cannot read {what}: {err}", file=path) from err


def write(path: Path, document: object, *, indent: int | None = None) -> None:
    """Atomically replace ``path`` with the gzipped document."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    if indent is None:
        text = json.dumps(document, separators=(",", ":"))
    else:
        text = json.dumps(document, indent=indent, sort_keys=True)
    try:
        tmp.write_bytes(gzip.compress((text + "\n").encode("utf-8"), mtime=0))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
