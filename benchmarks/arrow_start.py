"""Arrow's default memory pool for the benchmark processes, chosen before
pyarrow is imported (memory protocol 5, benchmarks/protocol.py says why).

Arrow reads ``ARROW_DEFAULT_MEMORY_POOL`` once, when it starts, and the
native plugin's Arrow (the same library in the process) with it; asv
imports this package before any benchmark module, in its fork server and
in every spawned benchmark process. A module of its own so that
``python -m benchmarks.protocol`` is not imported twice.
"""

from __future__ import annotations

import os
import sys

ARROW_POOL = "system"
ARROW_POOL_VARIABLE = "ARROW_DEFAULT_MEMORY_POOL"


def start_arrow_pool(environ=None, modules=None) -> str | None:
    """Before pyarrow is imported: make ARROW_POOL the default pool of Arrow
    (pyarrow's and the native plugin's C++), unless the environment already
    names one (an experiment's choice, recorded with the figures). Returns
    the pool Arrow will start with; None when pyarrow was imported already
    and the environment names none (Arrow's own default is then in force:
    ``for_memory_figures`` warns)."""
    environ = os.environ if environ is None else environ
    modules = sys.modules if modules is None else modules
    chosen = environ.get(ARROW_POOL_VARIABLE, "").strip()
    if chosen:
        return chosen
    if "pyarrow" in modules:
        return None
    environ[ARROW_POOL_VARIABLE] = ARROW_POOL
    return ARROW_POOL
