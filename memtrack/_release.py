"""Hand freed memory back to the OS, so that what stays resident is retained memory.

Freed memory often stays resident: glibc keeps freed heap until malloc_trim,
and Arrow's pool (mimalloc by default) keeps its pages until release_unused().
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import sys

_malloc_trim = None
_looked_up = False


def _find_malloc_trim():
    global _malloc_trim, _looked_up
    if not _looked_up:
        _looked_up = True
        for name in (None, ctypes.util.find_library("c")):
            try:
                fn = ctypes.CDLL(name).malloc_trim
            except (OSError, AttributeError, TypeError):
                continue
            fn.argtypes = [ctypes.c_size_t]
            fn.restype = ctypes.c_int
            _malloc_trim = fn
            break
    return _malloc_trim


def release_memory(collect: bool = True) -> list[str]:
    """gc.collect(), glibc malloc_trim(0), Arrow pool release; returns what ran.

    collect=False skips the garbage collection (the costly part on a large
    heap), for code that only wants freed native memory handed back.
    pyarrow is only used if something already imported it: memtrack never
    imports it itself.
    """
    done = []
    if collect:
        gc.collect()
        done.append("gc")
    trim = _find_malloc_trim()
    if trim is not None:
        trim(0)
        done.append("malloc_trim")
    pa = sys.modules.get("pyarrow")
    if pa is not None:
        try:
            pa.default_memory_pool().release_unused()
            done.append("arrow_pool")
        except Exception:  # an old or partial pyarrow: nothing to release
            pass
    return done
