"""Scratch files for the rendered usda text: in /dev/shm (memory, no disk
I/O) where it exists, named for the writing process so that the files of a
killed process can be found and deleted."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Callable
from typing import BinaryIO

SUFFIX = ".usda"
_stale_checked = False


def folder() -> str:
    shm = "/dev/shm"
    if os.path.isdir(shm) and os.access(shm, os.W_OK):
        return shm
    return tempfile.gettempdir()


def prefix(pid: int | None = None) -> str:
    return f"usdbench-{os.getpid() if pid is None else pid}-"


def write(fill: Callable[[BinaryIO], None]) -> str:
    """A new scratch file filled by ``fill(binary stream)``; its path. The
    caller deletes it; a failed ``fill`` leaves no file."""
    _remove_stale()
    fd, path = tempfile.mkstemp(prefix=prefix(), suffix=SUFFIX, dir=folder())
    try:
        with os.fdopen(fd, "wb") as out:
            fill(out)
    except BaseException:
        os.unlink(path)
        raise
    return path


def _remove_stale() -> None:
    """Once per process: delete scratch files left by killed processes (each
    file is deleted right after its parse, but a kill skips that, and /dev/shm
    is memory)."""
    global _stale_checked
    if _stale_checked:
        return
    _stale_checked = True
    where = folder()
    with contextlib.suppress(OSError):
        for entry in os.listdir(where):
            match = re.fullmatch(rf"usdbench-(\d+)-.*{re.escape(SUFFIX)}", entry)
            if match and not _alive(int(match.group(1))):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(where, entry))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True
