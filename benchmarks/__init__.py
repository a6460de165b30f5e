"""The asv benchmark suite: thin classes over usdbench.workloads, one per
operation, parametrized by the profile (format x scale x hierarchy)."""

# Before anything imports pyarrow (asv imports this package first, in its
# fork server and in every spawned benchmark process): Arrow reads its
# default pool once, when it starts (benchmarks/protocol.py, protocol 5).
from .arrow_start import start_arrow_pool

start_arrow_pool()
