"""The series family: P prims x 100 time samples x 5 properties (timeSamples
in USD, a time-series table in Parquet). Cold operations, each a fresh
process; the reads include the load (the Python loader projected to what is
read where that is one property)."""

from usdbench import workloads

from .common import _Operation, _ScenarioBenchmark, family_grid
from .protocol import memory_figures


class _Series(_Operation):
    family = "series"
    params = family_grid("series")


class _SeriesEveryPrim(_Series):
    params = family_grid("series", heavy=True)


class SeriesFileSize(_ScenarioBenchmark):
    family = "series"
    params = family_grid("series")

    def track_file_bytes(self, fmt, scale, hierarchy):
        """Size of the time-series property layer."""
        return workloads.file_size(self.files)

    track_file_bytes.unit = "bytes"


# The native reader's series peaks (its load at 3k, its frame at 1k) differ
# between processes of one commit by up to 0.4 MiB (8%): its kernel mark
# and its watched peak alike, so the operation really reaches another peak,
# it is not a missed one. Taken in one process per asv run, `asv compare`
# flagged them between runs. Below this they are taken in the profile's
# small_figure_processes, as small cold figures are, and asv weighs them
# against that spread (docs/measurements.md, the eleventh session).
PROCESS_DEPENDENT_BELOW = 8 * 2**20


@memory_figures(retained=True, fresh_below=PROCESS_DEPENDENT_BELOW)
class SeriesLoad(_Series):
    """Open + compose; no value read."""

    def measure(self, *params):
        return workloads.load(self.files)


@memory_figures(retained=True, fresh_below=PROCESS_DEPENDENT_BELOW)
class SeriesFrame(_SeriesEveryPrim):
    """Load, then every property of every prim at one time code (a dashboard's frame)."""

    def measure(self, *params):
        stage = workloads.load(self.files)
        workloads.series_frame(stage)
        return stage


@memory_figures(retained=True)
class SeriesHistory(_Series):
    """Load (Python loader: temperature only), then every sample of
    temperature on the middle prim (a chart of its history)."""

    def setup(self, *params):
        super().setup(*params)
        self.path = workloads.middle_prim(self.scenario)

    def measure(self, *params):
        stage = workloads.load(self.files, columns=[workloads.ONE_PROPERTY])
        workloads.series_history(stage, self.path)
        return stage


@memory_figures(retained=True)
class SeriesBetweenSamples(_SeriesEveryPrim):
    """Load (Python loader: temperature only), then temperature on every prim
    half-way between two samples (USD interpolates linearly)."""

    def measure(self, *params):
        stage = workloads.load(self.files, columns=[workloads.ONE_PROPERTY])
        workloads.series_between(stage)
        return stage


@memory_figures(retained=True)
class SeriesFullRead(_SeriesEveryPrim):
    """Load, then every sample of every property of every prim."""

    def measure(self, *params):
        stage = workloads.load(self.files)
        workloads.series_full(stage)
        return stage


@memory_figures(retained=True)
class SeriesFlatten(_SeriesEveryPrim):
    """Load, then Usd.Stage.Flatten(): every sample read inside USD's C++."""

    def measure(self, *params):
        stage = workloads.load(self.files)
        return stage, workloads.flatten(stage)
