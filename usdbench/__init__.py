"""USD format scenarios: deterministic scenes, every format with identical
content, a fast Parquet sublayer loader and the workloads the suite measures.

Names are imported on first use (usdbench.lazy), so that light users (the
report, the CLI's --help) do not pay for importing USD.

Importing usdbench registers the native Parquet file format (usdbench.native)
with USD where it was built for this environment: from then on plain USD
(``Usd.Stage.Open``, ``Sdf.Layer.FindOrOpen``) reads ``.parquet`` natively.
It reads the build's record only; whether a checkout's sources changed since
the build is ``usdbench status``'s question (and ``build.py --if-stale``'s).
"""

from usdbench import native as _native
from usdbench.lazy import exports

_native.register()

__getattr__, __all__ = exports(
    __name__,
    {
        "Scenario": "usdbench.scenario",
        "PROPERTIES": "usdbench.scenario",
        "SIX_PROPERTIES": "usdbench.scenario",
        "FORMAT_NAMES": "usdbench.formats",
        "get_format": "usdbench.formats",
        "UsdBenchError": "usdbench.errors",
        "open_stage": "usdbench.stage",
        "ensure": "usdbench.cache",
        "materialize": "usdbench.cache",
        "ScenarioFiles": "usdbench.cache",
    },
)
