"""The user's own stages (USDBENCH_DATA: paths of stages, os.pathsep-separated),
each a scenario of its own in every format: file sizes, load, every value at
the default time and at one time code, every time sample, world bounds, and
a C++-side full read (Flatten). The same classes measure `usdbench measure`'s
figures (usdbench/measure/run.py runs them in fresh processes), so the two
agree. Without USDBENCH_DATA this module defines no benchmark."""

from usdbench import workloads
from usdbench.measure.environment import data_stages
from usdbench.measure.files import USER_FORMATS

from . import protocol
from .common import _Operation, _ScenarioBenchmark
from .protocol import memory_figures

STAGES = data_stages()


class _UserStage(_ScenarioBenchmark):
    """Base of the user stage benchmarks: the converted files, prepared as a
    scenario's are (workloads.prepare_user_benchmark)."""

    params = (list(USER_FORMATS), STAGES)
    param_names = ["format", "stage"]

    @protocol.on_one_thread
    def setup(self, fmt, stage):
        self.files = workloads.prepare_user_benchmark(fmt, stage)


class _UserOperation(_UserStage, _Operation):
    """An operation on a user stage, timed cold as the suite's (_Operation)."""


class _UserLoaded(_UserOperation):
    """Reads on the stage loaded in setup."""

    def setup(self, fmt, stage):
        self.stage = None  # a re-run for the next sample: never hold two stages
        super().setup(fmt, stage)
        self.stage = workloads.load_user(self.files)


if STAGES:

    class UserFileSize(_UserStage):
        def track_file_bytes(self, fmt, stage):
            """Bytes on disk of every file of the stage in this format."""
            return self.files.size()

        track_file_bytes.unit = "bytes"

    @memory_figures(retained=True)
    class UserLoad(_UserOperation):
        """Open + compose the stage (every layer); no value read."""

        def measure(self, fmt, stage):
            return workloads.load_user(self.files)

    @memory_figures
    class UserValuesDefault(_UserLoaded):
        """Every attribute of every prim at the default time."""

        def measure(self, fmt, stage):
            return workloads.read_every_value(self.stage)

    @memory_figures
    class UserValuesAtTime(_UserLoaded):
        """Every attribute of every prim at one time code (workloads.user_time_code)."""

        def setup(self, fmt, stage):
            super().setup(fmt, stage)
            self.time = workloads.user_time_code(self.stage)

        def measure(self, fmt, stage):
            return workloads.read_every_value(self.stage, self.time)

    @memory_figures
    class UserTimeSamples(_UserLoaded):
        """Every time sample of every attribute."""

        def measure(self, fmt, stage):
            return workloads.read_every_sample(self.stage)

    @memory_figures
    class UserBounds(_UserLoaded):
        """World-space bounds of the whole scene (UsdGeom.BBoxCache)."""

        def measure(self, fmt, stage):
            return workloads.world_bounds(self.stage)

    @memory_figures
    class UserFlatten(_UserLoaded):
        """The composed stage flattened to one layer: a full read in USD's C++."""

        def measure(self, fmt, stage):
            return workloads.flatten(self.stage)
