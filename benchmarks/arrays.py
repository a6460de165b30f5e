"""The arrays family: P prims with points (point3f[]), indices (int[]) and
weights (double[]) of 1,000-3,000 elements (usdc keeps such arrays zero-copy;
Parquet list columns). Cold operations, each a fresh process, load included."""

from usdbench import workloads

from .common import _Operation, _ScenarioBenchmark, family_grid
from .protocol import memory_figures


class _Arrays(_Operation):
    family = "arrays"
    params = family_grid("arrays")


class _ArraysEveryPrim(_Arrays):
    params = family_grid("arrays", heavy=True)


class ArraysFileSize(_ScenarioBenchmark):
    family = "arrays"
    params = family_grid("arrays")

    def track_file_bytes(self, fmt, scale, hierarchy):
        """Size of the arrays property layer."""
        return workloads.file_size(self.files)

    track_file_bytes.unit = "bytes"


@memory_figures(retained=True)
class ArraysLoad(_Arrays):
    """Open + compose; no value read."""

    def measure(self, *params):
        return workloads.load(self.files)


@memory_figures(retained=True)
class ArraysOnePrim(_Arrays):
    """Load, then the middle prim's three arrays, summed."""

    def setup(self, *params):
        super().setup(*params)
        self.path = workloads.middle_prim(self.scenario)

    def measure(self, *params):
        stage = workloads.load(self.files)
        workloads.arrays_one_prim(stage, self.path)
        return stage


@memory_figures(retained=True)
class ArraysEveryPrim(_ArraysEveryPrim):
    """Load, then every prim's arrays read and summed (every element touched)."""

    def measure(self, *params):
        stage = workloads.load(self.files)
        workloads.arrays_every_prim(stage)
        return stage


@memory_figures(retained=True)
class ArraysFlatten(_ArraysEveryPrim):
    """Load, then Usd.Stage.Flatten(): every array read inside USD's C++."""

    def measure(self, *params):
        stage = workloads.load(self.files)
        return stage, workloads.flatten(stage)
