"""USD format scenarios: deterministic scenes, every format with identical
content, a fast Parquet sublayer loader and the workloads the suite measures.

Names are imported lazily so that light users (the report, the CLI's --help)
do not pay for importing USD.
"""

from importlib import import_module

_EXPORTS = {
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
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'usdbench' has no attribute {name!r}")
