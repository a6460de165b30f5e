"""Reading properties over every prim. Each includes the load, with the Python
loader's Parquet projected to the columns read, because that is how a reader
of a few properties would open the scene with it; the lazy readers (usdc,
usdz, native Parquet) decode only what is read anyway."""

from usdbench import workloads

from .common import _Operation, grid
from .protocol import memory_figures


class _EveryPrim(_Operation):
    params = grid(heavy=True)


@memory_figures(retained=True)
class OnePropertyAllPrims(_EveryPrim):
    """Load (Python Parquet loader: path + temperature only) and read temperature on every prim
    in traversal order. Retained holds the stage, values read."""

    def measure(self, *params):
        stage = workloads.load(self.files, columns=[workloads.ONE_PROPERTY])
        workloads.read_traversal(stage, [workloads.ONE_PROPERTY])
        return stage


@memory_figures(retained=True)
class SixPropertiesAllPrims(_EveryPrim):
    """Load (Python loader: the six columns only) and read the six properties on every prim."""

    def measure(self, *params):
        stage = workloads.load(self.files, columns=workloads.SIX_PROPERTIES)
        workloads.read_traversal(stage, workloads.SIX_PROPERTIES)
        return stage


@memory_figures(retained=True)
class ShuffledAccess(_EveryPrim):
    """Load (Python loader: temperature only) and read temperature on every prim in a
    seeded shuffled order (prim lookups by path, no locality)."""

    def setup(self, *params):
        super().setup(*params)
        self.paths = workloads.shuffled_paths(self.scenario)

    def measure(self, *params):
        stage = workloads.load(self.files, columns=[workloads.ONE_PROPERTY])
        workloads.read_many(stage, self.paths, [workloads.ONE_PROPERTY])
        return stage


@memory_figures(retained=True)
class FullTraversal(_EveryPrim):
    """Load everything and read all 20 properties on every prim. Retained =
    "memory after a full traversal": every value has been touched."""

    def measure(self, *params):
        stage = workloads.load(self.files)
        workloads.read_traversal(stage, workloads.PROPERTIES)
        return stage
