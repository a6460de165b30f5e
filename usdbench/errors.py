"""The package's one exception root: every error usdbench raises for bad input
(a file, a table, a result file, an argument) is a UsdBenchError."""

from __future__ import annotations


class UsdBenchError(Exception):
    """Bad input (a file, a table, an argument): callers catch this one type.

    ``file``, ``row`` and ``column`` say where, when known, and are repeated at
    the start of the message. ``row`` is a 0-based row of the file (a tuple when
    several rows are at fault, e.g. a duplicated path).
    """

    def __init__(self, message: str, *, file=None, row=None, column=None):
        self.file, self.row, self.column = file, row, column
        self.reason = message
        where = []
        if file is not None:
            where.append(f"file {file}")
        if isinstance(row, (tuple, list)):
            where.append("rows " + " and ".join(str(r) for r in row))
        elif row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)

    def __reduce__(self):
        # Keep file/row/column across pickling (errors raised in worker processes).
        return (_rebuild, (type(self), self.reason, self.file, self.row, self.column))


def _rebuild(cls, reason, file, row, column):
    return cls(reason, file=file, row=row, column=column)
