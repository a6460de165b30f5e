"""``usdbench measure``: a user's own stage in every format.

The stage's layers converted into usda, usdc, usdz and Parquet (files), each
checked to compose to the same stage as the source (files, through
usdbench.stage_dump), then measured in fresh processes (run) by the same
benchmark classes the asv suite runs on USDBENCH_DATA stages
(benchmarks/user_data.py), so the figures are the suite's.
"""
