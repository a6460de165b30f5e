"""The asv benchmark suite: thin classes over usdbench.workloads, one per
operation, parametrized by the profile (format x scale x hierarchy)."""
