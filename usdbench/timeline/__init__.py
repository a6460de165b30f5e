"""Memory timelines of the suite's operation (load + full traversal), one per
format, and of one full read per scenario family beside props.

``usdbench timeline --machine NAME`` (usdbench.cli.timeline) records them;
record.py does the recording, each format in a fresh process; schema.py is
the file they go to, which the report reads. Importing this package loads
the schema only: the report needs no recording code.
"""

from .schema import (
    FAILED,
    FAMILY_OPERATIONS,
    FAMILY_PHASES,
    INTERVAL_S,
    OK,
    OPERATION,
    PHASES,
    SKIPPED,
    TIMELINES_DIR,
    VERSION,
    is_complete,
    read_timelines,
    timeline_path,
    write_timelines,
)

__all__ = [
    "FAILED",
    "FAMILY_OPERATIONS",
    "FAMILY_PHASES",
    "INTERVAL_S",
    "OK",
    "OPERATION",
    "PHASES",
    "SKIPPED",
    "TIMELINES_DIR",
    "VERSION",
    "is_complete",
    "read_timelines",
    "timeline_path",
    "write_timelines",
]
