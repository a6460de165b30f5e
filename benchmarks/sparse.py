"""The sparse family: P prims x 200 columns of mixed types, each prim
carrying ~5% (nulls in Parquet, no spec in USD). Cold operations, each a
fresh process, load included."""

from usdbench import workloads

from .common import _Operation, _ScenarioBenchmark, family_grid
from .protocol import memory_figures


class _Sparse(_Operation):
    family = "sparse"
    params = family_grid("sparse")


class _SparseEveryPrim(_Sparse):
    params = family_grid("sparse", heavy=True)


class SparseFileSize(_ScenarioBenchmark):
    family = "sparse"
    params = family_grid("sparse")

    def track_file_bytes(self, fmt, scale, hierarchy):
        """Size of the sparse property layer."""
        return workloads.file_size(self.files)

    track_file_bytes.unit = "bytes"


@memory_figures(retained=True)
class SparseLoad(_Sparse):
    """Open + compose; no value read."""

    def measure(self, *params):
        return workloads.load(self.files)


@memory_figures(retained=True)
class SparseRareColumn(_SparseEveryPrim):
    """Load (Python loader: that column only), then one rare column (~1% of
    the prims carry it) on every prim."""

    def measure(self, *params):
        stage = workloads.load(self.files, columns=[workloads.SPARSE_RARE])
        workloads.read_traversal(stage, [workloads.SPARSE_RARE])
        return stage


@memory_figures(retained=True)
class SparseAuthored(_SparseEveryPrim):
    """Load, then GetAuthoredAttributes on every prim (existence, no value)."""

    def measure(self, *params):
        stage = workloads.load(self.files)
        workloads.sparse_authored(stage)
        return stage


@memory_figures(retained=True)
class SparseFlatten(_SparseEveryPrim):
    """Load, then Usd.Stage.Flatten(): every value read inside USD's C++."""

    def measure(self, *params):
        stage = workloads.load(self.files)
        return stage, workloads.flatten(stage)
