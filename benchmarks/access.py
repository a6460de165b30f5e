"""Reading properties: one prim (cold, warm), samples of prims (random, path
order), six properties on one prim. The stage is opened in setup except for
the cold read, so these figures are the reads alone."""

from usdbench import workloads

from .common import READ_SAMPLES, _Operation, grid
from .protocol import memory_figures


@memory_figures(retained=True)
class OnePropertyOnePrimCold(_Operation):
    """Fresh process, data pages dropped from the OS cache: open the stage and
    read ``temperature`` on the middle prim. Retained = "memory after one access".
    The profile's heavy scales: at the largest scale this is InitialLoad's
    load plus one value, and its fresh processes cost minutes."""

    params = grid(heavy=True)

    def setup(self, *params):
        super().setup(*params)
        self.path = workloads.middle_prim(self.scenario)

    def measure(self, *params):
        stage = workloads.load(self.files)
        workloads.read_one(stage, self.path)
        return stage


class _OnLoadedStage(_Operation):
    """Reads on a stage loaded in setup. Their memory is small (0 to ~100 KiB
    at 1,000 prims: page-sized allocator noise is of the same order), so each
    memory figure is the median of several samples, each on a freshly
    loaded stage (READ_SAMPLES: setup runs again before each). Every sample
    loads a whole stage, so these take the profile's heavy scales."""

    params = grid(heavy=True)

    def setup(self, *params):
        self.stage = None  # a re-run for the next sample: never hold two stages
        super().setup(*params)
        self.stage = workloads.load(self.files)


@memory_figures(samples=READ_SAMPLES)
class OnePropertyOnePrimWarm(_OnLoadedStage):
    """Read ``temperature`` on the middle prim again (it was read once in setup).
    Its memory figures are typically 0: one cached value needs less than the
    kernel counter's 4 KiB page; they are there to catch a warm read that
    starts allocating."""

    rounds, repeat, number, warmup_time = 2, (3, 20, 1.0), 0, 0.1

    def setup(self, *params):
        super().setup(*params)
        self.path = workloads.middle_prim(self.scenario)
        workloads.read_one(self.stage, self.path)

    def measure(self, *params):
        return workloads.read_one(self.stage, self.path)


class _OnePropertyOnPrims(_OnLoadedStage):
    """First read of ``temperature`` on the prims ``choose(scenario)`` picks."""

    choose = None  # a staticmethod of the subclass

    def setup(self, *params):
        super().setup(*params)
        self.paths = self.choose(self.scenario)

    def measure(self, *params):
        return workloads.read_many(self.stage, self.paths, [workloads.ONE_PROPERTY])


@memory_figures(samples=READ_SAMPLES)
class OnePropertyRandomPrims(_OnePropertyOnPrims):
    """First read of ``temperature`` on 1,000 random prims (seeded) after load."""

    choose = staticmethod(workloads.random_sample)


@memory_figures(samples=READ_SAMPLES)
class OnePropertyPathOrder(_OnePropertyOnPrims):
    """First read of ``temperature`` on 1,000 consecutive prims in path order."""

    choose = staticmethod(workloads.path_order_sample)


@memory_figures(samples=READ_SAMPLES)
class SixPropertiesOnePrim(_OnLoadedStage):
    """First read of the six properties (cost, carbon_A1, weight, temperature,
    is_active, supplier_id) on the middle prim."""

    def setup(self, *params):
        super().setup(*params)
        self.path = workloads.middle_prim(self.scenario)

    def measure(self, *params):
        return workloads.read_many(self.stage, [self.path], workloads.SIX_PROPERTIES)
