"""Resident memory of this process now, from whatever the platform offers.

Used where a backend cannot read it from its own source (getrusage) and for
the retained figure.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from collections.abc import Callable

from . import _procfs


def _procfs_reader() -> Callable[[], int] | None:
    try:
        _procfs.read_status()["rss"]
    except (OSError, KeyError):
        return None
    return lambda: _procfs.read_status()["rss"]


def _psutil_reader() -> Callable[[], int] | None:
    try:
        import psutil  # optional dependency, imported only when needed
    except ImportError:
        return None
    proc = psutil.Process()
    return lambda: proc.memory_info().rss


def _macos_reader() -> Callable[[], int] | None:
    # proc_pid_rusage(RUSAGE_INFO_V0): ri_resident_size, the same quantity as
    # ru_maxrss. Not tried on a Mac here; any failure means "not available".
    if sys.platform != "darwin":
        return None
    try:
        libproc = ctypes.CDLL(ctypes.util.find_library("proc") or "libproc.dylib")

        class RusageInfoV0(ctypes.Structure):
            _fields_ = [("ri_uuid", ctypes.c_uint8 * 16)] + [
                (name, ctypes.c_uint64)
                for name in (
                    "ri_user_time",
                    "ri_system_time",
                    "ri_pkg_idle_wkups",
                    "ri_interrupt_wkups",
                    "ri_pageins",
                    "ri_wired_size",
                    "ri_resident_size",
                    "ri_phys_footprint",
                    "ri_proc_start_abstime",
                    "ri_proc_exit_abstime",
                )
            ]

        info = RusageInfoV0()

        def read() -> int:
            if libproc.proc_pid_rusage(os.getpid(), 0, ctypes.byref(info)) != 0:
                raise OSError(ctypes.get_errno(), "proc_pid_rusage failed")
            return int(info.ri_resident_size)

        read()
        return read
    except (OSError, AttributeError):
        return None


def current_rss_reader() -> Callable[[], int] | None:
    """A function returning this process's resident bytes, or None if none works."""
    for make in (_procfs_reader, _psutil_reader, _macos_reader):
        reader = make()
        if reader is not None:
            return reader
    return None
