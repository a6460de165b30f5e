"""Opening and composing a scene whose property layer is in each format."""

from usdbench import workloads

from .common import _Operation
from .protocol import memory_figures


@memory_figures(retained=True)
class InitialLoad(_Operation):
    """Open + compose root, property layer and base; no value read. usdc and
    usdz map the file and read values lazily, so their figures hold little of
    the data; the native Parquet reader has read the path column only; the
    Python Parquet loader has built every spec in memory.
    Retained = memory held with the stage alive ("memory after load")."""

    def measure(self, fmt, scale, hierarchy):
        return workloads.load(self.files)
