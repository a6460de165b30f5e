"""The family workloads read what they claim, equally in every reader: counts
and sums checked against the scenario's own table."""

import numpy as np
import pytest

from usdbench import cache, native, workloads
from usdbench.scenario import SERIES_PROPERTIES, SERIES_SAMPLES, Scenario

FORMATS = ["usda", "usdc", "usdz", "parquet-python-zstd-rg1000", "parquet-native-zstd-rg1000"]


def _files(tmp_path_factory, family, scale, fmt):
    if fmt.startswith("parquet-native") and not native.available():
        pytest.skip(f"native plugin: {native.status().reason}")
    scenario = Scenario(scale, "flat", family=family)
    root = tmp_path_factory.getbasetemp() / f"family-{family}"
    return scenario, cache.materialize(scenario, FORMATS, root)[fmt]


@pytest.mark.parametrize("fmt", FORMATS)
def test_series_workloads(tmp_path_factory, fmt):
    scenario, files = _files(tmp_path_factory, "series", 12, fmt)
    table = scenario.property_table()
    stage = workloads.load(files)
    assert workloads.series_frame(stage) == 12 * len(SERIES_PROPERTIES)
    assert workloads.series_full(stage) == 12 * SERIES_SAMPLES * len(SERIES_PROPERTIES)
    path = workloads.middle_prim(scenario)
    rows = table.filter(np.asarray(table["path"].to_pylist()) == path)
    assert workloads.series_history(stage, path) == rows["temperature"].to_pylist()
    frame = int(workloads.SERIES_FRAME)
    temps = np.asarray(table["temperature"]).reshape(12, SERIES_SAMPLES)
    between = (temps[:, frame] + temps[:, frame + 1]).sum() / 2
    assert workloads.series_between(stage) == pytest.approx(between, rel=1e-12)
    flat = workloads.flatten(stage)
    spec = flat.GetAttributeAtPath(f"{path}.temperature")
    assert spec.GetInfo("timeSamples")[3.0] == rows["temperature"][3].as_py()


@pytest.mark.parametrize("fmt", FORMATS)
def test_arrays_workloads(tmp_path_factory, fmt):
    scenario, files = _files(tmp_path_factory, "arrays", 6, fmt)
    table = scenario.property_table()
    want = sum(
        float(np.asarray(table[name].combine_chunks().flatten()).sum(dtype=np.float64))
        for name in workloads.ARRAY_PROPERTIES
    )
    stage = workloads.load(files)
    assert workloads.arrays_every_prim(stage) == pytest.approx(want, rel=1e-9)
    path = workloads.middle_prim(scenario)
    assert 0 < abs(workloads.arrays_one_prim(stage, path)) < abs(want)
    flat = workloads.flatten(stage)
    assert 3 * len(flat.GetAttributeAtPath(f"{path}.points").default) == len(
        table["points"][0].as_py()
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_sparse_workloads(tmp_path_factory, fmt):
    scenario, files = _files(tmp_path_factory, "sparse", 400, fmt)
    table = scenario.property_table()
    carried = sum(len(c) - c.null_count for c in table.columns[1:])
    stage = workloads.load(files)
    # Every prim also carries the base scene's cost.
    assert workloads.sparse_authored(stage) == carried + 400
    rare = table[workloads.SPARSE_RARE]
    assert workloads.read_traversal(stage, [workloads.SPARSE_RARE]) == len(rare) - rare.null_count
    assert workloads.flatten(stage).GetPrimAtPath(table["path"][0].as_py())


@pytest.mark.parametrize("family", ["series", "arrays", "sparse"])
def test_the_parquet_writer_puts_a_family_rows_in_its_row_order(tmp_path, family):
    import pyarrow.parquet as pq

    from usdbench.scenario import PARQUET_ROW_ORDER

    scenario = Scenario(30, "flat", family=family)
    files = cache.materialize(scenario, ["parquet-native-zstd-rg1000"], tmp_path)
    table = pq.read_table(files["parquet-native-zstd-rg1000"].props)
    paths = table["path"].to_pylist()
    times = table["time"].to_pylist() if "time" in table.column_names else [0.0] * len(paths)
    scene = {path: i for i, path in enumerate(scenario.prim_paths().to_pylist())}
    key = {
        "path": lambda p, t: (p, t),
        "frame": lambda p, t: (t, p),
        "scene": lambda p, t: (scene[p], t),
    }[PARQUET_ROW_ORDER[family]]
    keys = [key(p, t) for p, t in zip(paths, times, strict=True)]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    # The same rows as the scenario's table (by path, then time), values included.
    source = scenario.property_table()
    by_path = [("path", "ascending")] + (
        [("time", "ascending")] if "time" in table.column_names else []
    )
    assert table.sort_by(by_path).equals(source.cast(table.schema))


def test_a_row_order_the_family_cannot_take_is_an_error():
    from usdbench.errors import UsdBenchError

    arrays = Scenario(3, "flat", family="arrays")
    with pytest.raises(UsdBenchError, match="'frame' needs a time column"):
        arrays.parquet_table(arrays.property_table(), "frame")
    with pytest.raises(UsdBenchError, match="unknown row order 'random'"):
        arrays.parquet_table(arrays.property_table(), "random")


@pytest.mark.parametrize("family", ["series", "arrays", "sparse"])
def test_warm_up_runs_a_familys_reads_on_a_tiny_scenario_of_it(monkeypatch, family):
    """A family benchmark's process runs that family's reads once before it
    measures (their library pages and first-use costs then land in no
    figure), in its own format; a props benchmark's does not."""
    ensured, ran = [], []
    real_ensure = workloads.ensure
    monkeypatch.setattr(
        workloads,
        "ensure",
        lambda scenario, name: (
            ensured.append((scenario.family, scenario.scale, name)) or real_ensure(scenario, name)
        ),
    )
    for read in ("read_every_sample", "arrays_every_prim", "sparse_authored", "flatten"):
        real = getattr(workloads, read)
        monkeypatch.setattr(
            workloads, read, lambda stage, _read=read, _real=real: ran.append(_read) or _real(stage)
        )
    workloads.warm_up("usdc", "props")
    assert {f for f, _, _ in ensured} == {"props"} and ran == []
    ensured.clear()
    workloads.warm_up("usdc", family)
    assert (family, workloads.WARM_UP_SCENARIO.scale, "usdc") in ensured
    assert [f for f, _, _ in ensured if f != "props"] == [family]
    assert ran == ["read_every_sample", "arrays_every_prim", "sparse_authored", "flatten"]
