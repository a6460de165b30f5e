"""Shared by the thin benchmark classes: the profile's parameter grid and the
set-up every scenario benchmark does (one call: workloads.prepare_benchmark).

The profile is chosen with USDBENCH_PROFILE=quick|default|full (docs/running.md):
the environment is how asv's benchmark processes learn it.
Names starting with "_" are not collected by asv.
"""

from usdbench import profiles, workloads

from . import protocol

PROFILE = profiles.from_environment()

# asv settings for cold operations: one sample per fresh process, several
# processes (rounds), so each sample is a fresh stage in a fresh process.
COLD = {
    "rounds": PROFILE.rounds,
    "repeat": 1,
    "number": 1,
    "warmup_time": 0,
}
# Memory samples per process of the reads on a loaded stage (see access.py).
READ_SAMPLES = PROFILE.read_samples
# Generation of a large scene the cache lacks may happen in setup.
TIMEOUT = 1800


def grid(heavy=False):
    """asv params: format x scale x hierarchy. Heavy benchmarks (every prim
    read, or a stage loaded for each of several samples) get the profile's
    smaller scale list."""
    return PROFILE.grid(heavy)


def family_grid(family, heavy=False):
    """asv params of a scenario family's benchmarks (benchmarks/<family>.py):
    the profile's family formats x the family's scales x flat."""
    return PROFILE.family_grid(family, heavy)


class _ScenarioBenchmark:
    """Base of every scenario benchmark (underscore: not collected itself).
    ``family`` is the scenario family (props: the 20 scalar properties); the
    families beside props live in a module each, named for the family, so
    asv's benchmark names (``series.SeriesLoad...``) carry it."""

    params = grid()
    param_names = list(profiles.PARAM_NAMES)
    timeout = TIMEOUT
    family = "props"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        own = vars(cls).get("setup")
        if own is not None and not getattr(own, "on_one_thread", False):
            cls.setup = protocol.on_one_thread(own)

    @protocol.on_one_thread
    def setup(self, fmt, scale, hierarchy):
        # Raises NotImplementedError where the memory guard skips: asv shows
        # the combination as skipped.
        self.files = workloads.prepare_benchmark(fmt, scale, hierarchy, self.family)
        self.scenario = self.files.scenario


class _Operation(_ScenarioBenchmark):
    """An operation timed cold: each sample a fresh process (see COLD). Memory
    (track_peak_bytes, ...) comes from memtrack's @track_memory on subclasses
    (through protocol.memory_figures: measured on one thread),
    which call the same ``measure``."""

    rounds, repeat, number, warmup_time = (
        COLD[k] for k in ("rounds", "repeat", "number", "warmup_time")
    )

    def time_operation(self, *params):
        # Keep the result: its destruction must not be timed.
        self._result = self.measure(*params)
