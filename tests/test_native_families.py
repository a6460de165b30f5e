"""The native Parquet format serves the scenario families (issue 23): time
series through SdfAbstractData's time-sample API exactly as usdc answers,
arrays over the decoded Arrow buffers, sparse tables' existence without
values; lazily, within the cache's budget."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pxr import Sdf, Tf, Usd, Vt

from tests.native_test_helpers import open_failure, require_plugin, run_child
from usdbench import native

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module", autouse=True)
def plugin():
    require_plugin()


# -- time series: the same data as usdc ---------------------------------------------------

SERIES_TYPES = {"temperature": "double", "load": "double", "count": "int", "on": "bool"}
SDF_TYPES = {
    "double": Sdf.ValueTypeNames.Double,
    "int": Sdf.ValueTypeNames.Int,
    "bool": Sdf.ValueTypeNames.Bool,
}


def _series_rows(prims: int = 30, samples: int = 12, seed: int = 3) -> list[dict]:
    """Rows (path, time, values...) with nulls, irregular times per prim, in a
    shuffled order; the same content is written as usdc by _series_usdc."""
    rng = np.random.default_rng(seed)
    rows = []
    for p in range(prims):
        times = sorted(rng.choice(np.arange(-5, 200), size=samples, replace=False) / 4.0)
        if p % 3 == 0:
            times = [float(t) for t in range(samples)]  # a list shared by many prims
        for t in times:
            row = {"path": f"/World/Group_{p % 4}/Prim_{p}", "time": float(t)}
            row["temperature"] = None if rng.random() < 0.15 else float(rng.normal(20, 5))
            row["load"] = float(rng.random())
            row["count"] = None if rng.random() < 0.2 else int(rng.integers(-100, 100))
            row["on"] = None if p == 5 else bool(rng.random() < 0.5)  # Prim_5 has no 'on'
            rows.append(row)
    order = rng.permutation(len(rows))
    return [rows[i] for i in order]


def _series_table(rows: list[dict]) -> pa.Table:
    return pa.table(
        {
            "path": pa.array([r["path"] for r in rows], pa.string()),
            "time": pa.array([r["time"] for r in rows], pa.float64()),
            "temperature": pa.array([r["temperature"] for r in rows], pa.float64()),
            "load": pa.array([r["load"] for r in rows], pa.float64()),
            "count": pa.array([r["count"] for r in rows], pa.int32()),
            "on": pa.array([r["on"] for r in rows], pa.bool_()),
        }
    )


def _series_usdc(rows: list[dict], path: Path) -> Path:
    """The rows as usdc time samples, with Sdf: prims in path order and
    attributes in column order (the order the native layer lists them)."""
    layer = Sdf.Layer.CreateNew(str(path))
    by_path: dict[str, list[dict]] = {}
    for row in rows:
        by_path.setdefault(row["path"], []).append(row)
    with Sdf.ChangeBlock():
        for prim_path in sorted(by_path):
            prim = Sdf.CreatePrimInLayer(layer, prim_path)
            prim.specifier = Sdf.SpecifierOver
            for name, kind in SERIES_TYPES.items():
                samples = [(r["time"], r[name]) for r in by_path[prim_path] if r[name] is not None]
                if not samples:
                    continue
                attr = Sdf.AttributeSpec(prim, name, SDF_TYPES[kind])
                for time, value in samples:
                    layer.SetTimeSample(attr.path, time, value)
    layer.Save()
    return path


def _root(folder: Path, name: str, layer: str) -> Path:
    base = folder / "base.usda"
    if not base.exists():
        base.write_text('#usda 1.0\ndef Xform "World"\n{\n}\n')
    root = folder / f"{name}.usda"
    root.write_text(f"#usda 1.0\n(\n    subLayers = [@./{layer}@, @./base.usda@]\n)\n")
    return root


@pytest.fixture(scope="module")
def series_pair(tmp_path_factory):
    folder = tmp_path_factory.mktemp("series")
    rows = _series_rows()
    pq.write_table(_series_table(rows), folder / "s.parquet", row_group_size=97)
    _series_usdc(rows, folder / "s.usdc")
    return rows, _root(folder, "native", "s.parquet"), _root(folder, "crate", "s.usdc")


def _probe_times(attr: Usd.Attribute) -> list[float]:
    samples = attr.GetTimeSamples()
    probes = {-100.0, 1e6}
    for i, t in enumerate(samples):
        probes |= {t, t - 0.125, t + 0.125}
        if i + 1 < len(samples):
            probes.add((t + samples[i + 1]) / 2)
    return sorted(probes)


def _answers(stage: Usd.Stage) -> dict:
    out = {}
    for prim in stage.TraverseAll():
        for attr in prim.GetAuthoredAttributes():
            key = str(attr.GetPath())
            samples = attr.GetTimeSamples()
            got = {
                "type": str(attr.GetTypeName()),
                "samples": samples,
                "num": attr.GetNumTimeSamples(),
                "interval": attr.GetTimeSamplesInInterval(Gf_interval(1.0, 20.0)),
                "source": [str(attr.GetResolveInfo(t).GetSource()) for t in (-1, 0, 3.3)],
                "default": attr.Get(),
                "might": attr.ValueMightBeTimeVarying(),
            }
            for t in _probe_times(attr):
                value = attr.Get(t)
                got[f"get {t}"] = value
                got[f"bracket {t}"] = attr.GetBracketingTimeSamples(t)
            out[key] = got
    return out


def Gf_interval(lo: float, hi: float):
    from pxr import Gf

    return Gf.Interval(lo, hi)


@pytest.mark.parametrize("interpolation", [Usd.InterpolationTypeLinear, Usd.InterpolationTypeHeld])
def test_time_sample_queries_equal_usdc(series_pair, interpolation):
    _rows, native_root, crate_root = series_pair
    results = []
    for root in (native_root, crate_root):
        stage = Usd.Stage.Open(str(root))
        stage.SetInterpolationType(interpolation)
        results.append(_answers(stage))
    got, expected = results
    assert set(got) == set(expected) and len(got) > 50
    assert "/World/Group_1/Prim_5.on" not in got  # a column null on every row: no attribute
    mismatches = [(k, f) for k in expected for f in expected[k] if got[k][f] != expected[k][f]]
    assert not mismatches, mismatches[:5]


def test_layer_level_time_sample_api_equals_usdc(series_pair):
    _rows, native_root, crate_root = series_pair
    layers = [
        Sdf.Layer.FindOrOpen(str(r.parent / n))
        for r, n in ((native_root, "s.parquet"), (crate_root, "s.usdc"))
    ]
    native_layer, crate_layer = layers
    assert native_layer.ListAllTimeSamples() == crate_layer.ListAllTimeSamples()
    for t in (-100, -1.25, 0, 0.3, 7.5, 49.9, 1e6):
        assert native_layer.GetBracketingTimeSamples(t) == crate_layer.GetBracketingTimeSamples(t)
    for prim in crate_layer.rootPrims[0].nameChildren:
        for child in prim.nameChildren:
            for attr in child.attributes:
                path = attr.path
                assert native_layer.ListTimeSamplesForPath(
                    path
                ) == crate_layer.ListTimeSamplesForPath(path)
                assert native_layer.GetNumTimeSamplesForPath(
                    path
                ) == crate_layer.GetNumTimeSamplesForPath(path)
                for t in crate_layer.ListTimeSamplesForPath(path):
                    assert native_layer.QueryTimeSample(path, t) == crate_layer.QueryTimeSample(
                        path, t
                    )
                    for probe in (t, t + 0.01, t - 0.01):
                        assert native_layer.GetBracketingTimeSamplesForPath(path, probe) == (
                            crate_layer.GetBracketingTimeSamplesForPath(path, probe)
                        )
                assert native_layer.QueryTimeSample(path, 1234.5) is None
                assert native_layer.GetAttributeAtPath(path).GetInfo("timeSamples") == (
                    crate_layer.GetAttributeAtPath(path).GetInfo("timeSamples")
                )


def test_series_layer_text_equals_usdc(series_pair):
    _rows, native_root, crate_root = series_pair

    def text(layer):
        copy = Sdf.Layer.CreateAnonymous(".usda")
        copy.TransferContent(layer)
        return copy.ExportToString()

    native_layer = Sdf.Layer.FindOrOpen(str(native_root.parent / "s.parquet"))
    crate_layer = Sdf.Layer.FindOrOpen(str(crate_root.parent / "s.usdc"))
    assert text(native_layer) == text(crate_layer)


# -- laziness ----------------------------------------------------------------------------


def _frame_major_table(prims: int, samples: int, props: int = 5) -> pa.Table:
    paths = np.array([f"/World/Prim_{p}" for p in range(prims)], dtype=object)
    columns = {
        "path": pa.array(np.tile(paths, samples), pa.string()),
        "time": pa.array(np.repeat(np.arange(samples, dtype=np.float64), prims)),
    }
    base = np.arange(prims * samples, dtype=np.float64)
    for k in range(props):
        columns[f"v{k}"] = pa.array(base * (k + 1) + 0.5)
    return pa.table(columns)


def test_opening_a_series_decodes_no_value_and_one_time_code_only_what_it_needs(tmp_path):
    prims, samples = 2_000, 50
    source = tmp_path / "series.parquet"
    pq.write_table(_frame_major_table(prims, samples), source, row_group_size=prims * 5)
    native.reset_cache_counters()
    layer = Sdf.Layer.FindOrOpen(str(source))
    stats = native.layer_stats(str(source))
    assert stats["series"] and stats["prims"] == prims + 1
    assert stats["time_lists"] == 1  # every prim shares one list
    assert all(c["blocks_decoded"] == 0 and c["presence_read"] == 0 for c in stats["columns"])
    assert native.cache_stats()["blocks_decoded"] == 0
    stage = Usd.Stage.Open(layer)
    # One time code on every prim: the row group holding that frame, per column.
    frame = 17
    total = 0.0
    for prim in stage.TraverseAll():
        for k in range(5):
            value = prim.GetAttribute(f"v{k}").Get(frame)
            if value is not None:
                total += value
    expected = sum((frame * prims + p) * (k + 1) + 0.5 for p in range(prims) for k in range(5))
    assert total == pytest.approx(expected, rel=1e-12)
    columns = native.layer_stats(str(source))["columns"]
    assert [c["blocks_decoded"] for c in columns] == [1] * 5, columns


def test_a_full_series_read_keeps_no_file_bytes_resident_and_gives_its_blocks_back(tmp_path):
    """Every block of every column decoded (prim 0's samples of a
    frame-major table lie in every block): the decoders read copies of the
    file, so the compressed bytes they touched do not stay resident as
    mapped file pages (the whole file, before), and the decoded blocks are
    maps of the page pool that leave the process with their layer
    (docs/measurements.md, "Series full read: the peak")."""
    prims, samples = 5_000, 100
    table = _frame_major_table(prims, samples)
    files = [str(tmp_path / f"series{i}.parquet") for i in range(2)]
    for name in files:
        pq.write_table(
            table, name, row_group_size=100_000, compression="none", use_dictionary=["path"]
        )
    run = run_child(
        f"""
        import json
        from pathlib import Path
        import usdbench
        from usdbench import native
        from pxr import Sdf

        def rss():
            fields = {{}}
            for line in Path("/proc/self/status").read_text().splitlines():
                key, _, value = line.partition(":")
                if key in ("RssAnon", "RssFile"):
                    fields[key] = int(value.split()[0]) * 1024
            return fields

        def read_all(name):
            layer = Sdf.Layer.FindOrOpen(name)
            before = rss()
            total = 0.0
            for k in range(5):
                for t in range({samples}):
                    total += layer.QueryTimeSample(f"/World/Prim_0.v{{k}}", t)
            after = rss()
            return layer, total, {{key: after[key] - before[key] for key in after}}

        # The first file pages the reader's code in; the second is measured.
        warm, _, _ = read_all({files[0]!r})
        layer, total, grown = read_all({files[1]!r})
        held = native.cache_stats()
        columns = native.layer_stats(layer)["columns"]
        del layer, warm
        print(json.dumps({{"total": total, "grown": grown, "held": held,
                          "columns": columns, "released": native.cache_stats()}}))
        """
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    expected = sum(t * prims * (k + 1) + 0.5 for k in range(5) for t in range(samples))
    assert result["total"] == pytest.approx(expected, rel=1e-12)
    # Every block of every column was decoded: 5 columns x 500k doubles.
    assert all(c["rows_decoded"] == prims * samples for c in result["columns"]), result
    values = 5 * prims * samples * 8
    assert result["grown"]["RssFile"] < values // 4, result
    held = result["held"]
    assert held["bytes_held"] >= 2 * values * 0.9, held
    assert held["page_pool_mapped_bytes"] >= 0.9 * held["bytes_held"], held
    released = result["released"]
    assert released["bytes_held"] == 0 and released["page_pool_mapped_bytes"] == 0, released
    assert released["page_pool_maps"] == 0, released


def _reordered(prims: int, samples: int, order: str) -> tuple[pa.Table, dict]:
    """The frame-major table in ``order`` and each prim's expected sample
    times (row ``t * prims + p`` of the frame-major table is prim p at t)."""
    rows = np.arange(prims * samples)
    if order == "path":
        rows = rows.reshape(samples, prims).T.ravel()
    elif order == "shuffled":
        rows = np.random.default_rng(4).permutation(rows)
    elif order == "frame_swapped":  # two prims trade places in frame 5 only
        rows = rows.copy()
        rows[[5 * prims + 2, 5 * prims + 7]] = rows[[5 * prims + 7, 5 * prims + 2]]
    elif order == "frame_missing":  # prim 3 has no sample at time 4
        rows = np.delete(rows, 4 * prims + 3)
    times = {p: [float(t) for t in range(samples)] for p in range(prims)}
    if order == "frame_missing":
        times[3].remove(4.0)
    return _frame_major_table(prims, samples).take(pa.array(rows)), times


@pytest.mark.parametrize(
    "order, streamed",
    [
        ("frame", "frame"),
        ("path", "path"),
        ("shuffled", "any"),
        ("frame_swapped", "any"),
        ("frame_missing", "any"),
    ],
)
@pytest.mark.parametrize("dictionary", [True, False])
def test_series_index_streams_frame_major_and_by_path_tables_any_other_order_sorted(
    tmp_path, order, streamed, dictionary
):
    prims, samples = 40, 9
    table, times = _reordered(prims, samples, order)
    source = tmp_path / f"{order}.parquet"
    pq.write_table(table, source, row_group_size=37, use_dictionary=dictionary)
    layer = Sdf.Layer.FindOrOpen(str(source))
    stats = native.layer_stats(str(source))
    assert stats["series_order"] == streamed
    assert stats["time_lists"] == (2 if order == "frame_missing" else 1)
    if streamed != "any":  # no memory per row: a few words per prim
        assert stats["series_bytes"] < prims * 200 + len(table) * 2, stats["series_bytes"]
    for p in range(prims):
        for k in (0, 4):
            path = f"/World/Prim_{p}.v{k}"
            assert layer.ListTimeSamplesForPath(path) == times[p], path
            for t in times[p]:
                expected = (t * prims + p) * (k + 1) + 0.5
                assert layer.QueryTimeSample(path, t) == expected, (path, t)


def _pandas_and_duckdb(duckdb, frame, folder: Path, columns: str) -> None:
    """``frame`` as pandas writes it (pandas.parquet) and as DuckDB writes
    ``columns`` of it in a random row order (duck.parquet)."""
    frame.to_parquet(folder / "pandas.parquet", index=False)
    con = duckdb.connect()
    con.register("frame", frame)
    con.execute(
        f"COPY (SELECT {columns} FROM frame ORDER BY random()) "
        f"TO '{folder / 'duck.parquet'}' (FORMAT PARQUET)"
    )


def test_series_tables_from_pandas_and_duckdb_compose(tmp_path):
    duckdb = pytest.importorskip("duckdb")
    rows = _series_rows(prims=12, samples=6, seed=9)
    frame = pd.DataFrame(rows)
    frame["count"] = frame["count"].astype("Int32")
    frame["on"] = frame["on"].astype("boolean")
    _pandas_and_duckdb(duckdb, frame, tmp_path, "*")
    _series_usdc(rows, tmp_path / "s.usdc")
    expected = _answers(Usd.Stage.Open(str(_root(tmp_path, "crate", "s.usdc"))))
    for name in ("pandas.parquet", "duck.parquet"):
        got = _answers(Usd.Stage.Open(str(_root(tmp_path, name.split(".")[0], name))))
        assert set(got) == set(expected), name
        bad = [(k, f) for k in expected for f in expected[k] if got[k][f] != expected[k][f]]
        assert not bad, (name, bad[:5])


BAD_SERIES = {
    "null_time": (
        pa.table({"path": ["/A", "/A", "/B"], "time": [0.0, None, 1.0], "x": [1.0, 2, 3]}),
        "row 1, column 'time': null time",
    ),
    "nan_time": (
        pa.table({"path": ["/A", "/B", "/B"], "time": [0.0, 1.0, float("nan")], "x": [1.0, 2, 3]}),
        "row 2, column 'time': time is NaN",
    ),
    "duplicate": (
        pa.table(
            {"path": ["/A", "/B", "/C", "/B"], "time": [0.0, 2.5, 1.0, 2.5], "x": [1.0, 2, 3, 4]}
        ),
        "rows 1 and 3: the same (path, time) twice: path '/B' at time 2.5",
    ),
    "duplicate_in_first_frame": (
        pa.table({"path": ["/A", "/B", "/A"], "time": [0.0, 0.0, 0.0], "x": [1.0, 2, 3]}),
        "rows 0 and 2: the same (path, time) twice: path '/A' at time 0",
    ),
    "duplicate_in_later_frame": (
        pa.table(
            {"path": ["/A", "/B", "/B", "/B"], "time": [0.0, 0.0, 1.0, 1.0], "x": [1.0, 2, 3, 4]}
        ),
        "rows 2 and 3: the same (path, time) twice: path '/B' at time 1",
    ),
    "null_time_in_later_frame": (
        pa.table({"path": ["/A", "/B", "/A", "/B"], "time": [0.0, 0.0, 1.0, None], "x": [1.0] * 4}),
        "row 3, column 'time': null time",
    ),
    "text_time": (
        pa.table({"path": ["/A"], "time": ["soon"], "x": [1.0]}),
        "column 'time': the time column",
    ),
}


@pytest.mark.parametrize("case", list(BAD_SERIES))
def test_bad_series_table_is_an_error_naming_file_and_rows(tmp_path, case):
    table, where = BAD_SERIES[case]
    source = tmp_path / f"{case}.parquet"
    pq.write_table(table, source)
    root = _root(tmp_path, "root", source.name)
    result = open_failure(source, root)
    assert result["layer"] is False
    assert f"file {source}" in result["error"] and where in result["error"], result["error"]
    assert str(source) not in result["stack"]


@pytest.mark.parametrize("dictionary", [True, False])
def test_nan_time_in_a_later_row_group_names_its_row_whatever_the_path_encoding(
    tmp_path, dictionary
):
    # Dictionary paths and double times without nulls take the index's raw
    # read; plain strings the general one: the same verdict, the same row.
    paths = [f"/P{i % 3}" for i in range(12)]
    times = [float(i // 3) for i in range(12)]
    times[10] = float("nan")
    table = pa.table({"path": paths, "time": times, "x": [1.0] * 12})
    source = tmp_path / f"nan-{dictionary}.parquet"
    pq.write_table(table, source, row_group_size=5, use_dictionary=dictionary)
    result = open_failure(source, _root(tmp_path, "root", source.name))
    assert result["layer"] is False
    assert "row 10, column 'time': time is NaN" in result["error"], result["error"]


# -- arrays ------------------------------------------------------------------------------


def _arrays_table(prims: int, length: int = 1_000, layout: str = "flat", seed: int = 5):
    rng = np.random.default_rng(seed)
    points = rng.random((prims, length, 3), dtype=np.float32)
    ints = rng.integers(-(1 << 20), 1 << 20, (prims, 3 * length), dtype=np.int32)
    doubles = rng.random((prims, length))
    starts = np.arange(prims + 1, dtype=np.int32)
    if layout == "flat":
        point_column = pa.ListArray.from_arrays(starts * length * 3, pa.array(points.ravel()))
    else:
        point_column = pa.ListArray.from_arrays(
            starts * length, pa.FixedSizeListArray.from_arrays(pa.array(points.ravel()), 3)
        )
    schema = pa.schema(
        [
            pa.field("path", pa.string()),
            pa.field("points", point_column.type, metadata={"usd:typeName": "point3f[]"}),
            pa.field("indices", pa.list_(pa.int32())),
            pa.field("weights", pa.list_(pa.float64())),
        ]
    )
    table = pa.table(
        [
            pa.array([f"/World/Prim_{i}" for i in range(prims)]),
            point_column,
            pa.ListArray.from_arrays(starts * 3 * length, pa.array(ints.ravel())),
            pa.ListArray.from_arrays(starts * length, pa.array(doubles.ravel())),
        ],
        schema=schema,
    )
    return table, (points, ints, doubles)


@pytest.mark.parametrize("layout", ["flat", "fixed_size_list"])
def test_arrays_are_served_over_the_arrow_buffers_with_every_value_right(tmp_path, layout):
    table, (points, ints, doubles) = _arrays_table(200, 500, layout)
    source = tmp_path / "arrays.parquet"
    pq.write_table(table, source, row_group_size=32, use_dictionary=False)
    layer = Sdf.Layer.FindOrOpen(str(source))
    before = native.cache_stats()["zero_copy_arrays_made"]
    for i in range(200):
        prim = f"/World/Prim_{i}"
        got = layer.GetAttributeAtPath(f"{prim}.points")
        assert str(got.typeName) == "point3f[]"
        assert np.array_equal(np.asarray(got.default), points[i])
        assert np.array_equal(
            np.asarray(layer.GetAttributeAtPath(f"{prim}.indices").default), ints[i]
        )
        assert np.array_equal(
            np.asarray(layer.GetAttributeAtPath(f"{prim}.weights").default), doubles[i]
        )
    assert native.cache_stats()["zero_copy_arrays_made"] - before == 600
    # A held array outlives its block's eviction and the layer: the buffer stays alive.
    held = layer.GetAttributeAtPath("/World/Prim_3.points").default
    native.set_cache_budget(1)
    try:
        del layer
        import gc

        gc.collect()
        assert np.array_equal(np.asarray(held), points[3])
        copy = Vt.Vec3fArray(held)
        copy[0] = (9, 9, 9)  # writing detaches: the Arrow buffer is never written
        assert tuple(held[0]) == tuple(points[3][0]) and tuple(copy[0]) == (9, 9, 9)
    finally:
        native.set_cache_budget(256 << 20)


def test_list_columns_without_a_null_read_no_levels_and_a_null_or_empty_list_still_counts(
    tmp_path,
):
    """Arrow's footer counts null and empty lists and null elements as nulls:
    a list column with none in a row group is present on every row without
    reading its levels (each value is then decompressed once, not twice)."""
    table, (points, _, doubles) = _arrays_table(40, 100)
    full = tmp_path / "full.parquet"
    pq.write_table(table, full, row_group_size=16, use_dictionary=False)
    layer = Sdf.Layer.FindOrOpen(str(full))
    for i in range(40):
        got = np.asarray(layer.GetAttributeAtPath(f"/World/Prim_{i}.weights").default)
        assert np.array_equal(got, doubles[i])
    columns = {c["name"]: c for c in native.layer_stats(str(full))["columns"]}
    assert columns["weights"]["presence_read"] == 0
    assert columns["weights"]["blocks_decoded"] == 3  # one per row group, each once
    # A null list, an empty list and a null element each leave the footer unsure.
    weights = table["weights"].to_pylist()
    weights[5], weights[21], weights[37] = None, [], [1.0, None]
    holes = tmp_path / "holes.parquet"
    pq.write_table(
        table.set_column(3, "weights", pa.array(weights, pa.list_(pa.float64()))),
        holes,
        row_group_size=16,
        use_dictionary=False,
    )
    layer = Sdf.Layer.FindOrOpen(str(holes))
    assert layer.GetAttributeAtPath("/World/Prim_5.weights") is None
    assert len(layer.GetAttributeAtPath("/World/Prim_21.weights").default) == 0
    assert np.array_equal(
        np.asarray(layer.GetAttributeAtPath("/World/Prim_6.weights").default), doubles[6]
    )
    columns = {c["name"]: c for c in native.layer_stats(str(holes))["columns"]}
    assert columns["weights"]["presence_read"] >= 2  # the first two groups' levels


def test_a_flat_list_not_a_multiple_of_three_is_a_read_error(tmp_path):
    values = pa.array([[1.0, 2.0, 3.0], [1.0, 2.0]], pa.list_(pa.float32()))
    schema = pa.schema(
        [
            pa.field("path", pa.string()),
            pa.field("p", values.type, metadata={"usd:typeName": "float3[]"}),
        ]
    )
    source = tmp_path / "bad.parquet"
    pq.write_table(pa.table([pa.array(["/A", "/B"]), values], schema=schema), source)
    layer = Sdf.Layer.FindOrOpen(str(source))
    assert list(layer.GetAttributeAtPath("/A.p").default) == [(1, 2, 3)]
    with pytest.raises(Tf.ErrorException, match="row 1, column 'p': a list of 2 values"):
        _ = layer.GetAttributeAtPath("/B.p").default


def test_arrays_from_pandas_and_duckdb_compose_with_nulls_in_any_order(tmp_path):
    duckdb = pytest.importorskip("duckdb")
    frame = pd.DataFrame(
        {
            "path": [f"/World/P{i}" for i in (3, 1, 2, 0)],
            "indices": [[1, 2, 3], None, [], [7] * 600],
            "weights": [[0.5] * 300, [1.5], None, [2.5, 3.5]],
        }
    )
    _pandas_and_duckdb(
        duckdb, frame, tmp_path, "path, CAST(indices AS INTEGER[]) AS indices, weights"
    )
    for name in ("pandas.parquet", "duck.parquet"):
        stage = Usd.Stage.Open(str(_root(tmp_path, name.split(".")[0], name)))
        got = {}
        for prim in stage.TraverseAll():
            for attr in prim.GetAuthoredAttributes():
                got[str(attr.GetPath())] = (str(attr.GetTypeName()), list(attr.Get()))
        ints = "int64[]" if name == "pandas.parquet" else "int[]"  # pandas writes int64 lists
        assert got == {
            "/World/P3.indices": (ints, [1, 2, 3]),
            "/World/P3.weights": ("double[]", [0.5] * 300),
            "/World/P1.weights": ("double[]", [1.5]),
            "/World/P2.indices": (ints, []),
            "/World/P0.indices": (ints, [7] * 600),
            "/World/P0.weights": ("double[]", [2.5, 3.5]),
        }, name


# -- sparse tables -------------------------------------------------------------------------


def test_authored_attributes_of_a_sparse_table_decode_no_value(tmp_path):
    prims, columns = 5_000, 200
    rng = np.random.default_rng(11)
    present = rng.random((columns, prims)) < 0.05
    data = {"path": pa.array([f"/World/Prim_{i}" for i in range(prims)])}
    kinds = [pa.float64(), pa.int32(), pa.bool_(), pa.string()]
    for c in range(columns):
        kind = kinds[c % 4]
        values = np.arange(prims) + c
        if kind == pa.bool_():
            values = values % 2 == 0
        elif kind == pa.string():
            values = values.astype(str)
        data[f"c{c}"] = pa.array(values, kind, mask=~present[c])
    source = tmp_path / "sparse.parquet"
    pq.write_table(pa.table(data), source, row_group_size=1_000)
    root = _root(tmp_path, "root", source.name)
    native.reset_cache_counters()
    stage = Usd.Stage.Open(str(root))
    authored = {}
    for prim in stage.TraverseAll():
        names = [a.GetName() for a in prim.GetAuthoredAttributes()]
        if names:
            authored[str(prim.GetPath())] = sorted(names)
    expected = {}
    for i in range(prims):
        names = sorted(f"c{c}" for c in range(columns) if present[c, i])
        if names:
            expected[f"/World/Prim_{i}"] = names
    assert authored == expected
    stats = native.layer_stats(str(source))
    assert all(c["blocks_decoded"] == 0 for c in stats["columns"]), stats
    assert native.cache_stats()["blocks_decoded"] == 0
    # The values, when asked for, are right.
    prim = next(iter(expected))
    attr = stage.GetAttributeAtPath(f"{prim}.{expected[prim][0]}")
    assert attr.Get() is not None


def test_arrays_budget_smaller_than_a_row_group_holds_with_every_value_right(tmp_path):
    """One row group of 300 prims' arrays (~9 MiB decoded) under a 1 MiB
    budget: list columns are read in ranges of rows, so the cache's true peak
    stays within the budget, and one prim's read decodes a range, not the
    group."""
    table, (points, ints, doubles) = _arrays_table(300, 1_000, "flat", seed=8)
    source = tmp_path / "arrays.parquet"
    pq.write_table(table, source, row_group_size=300, use_dictionary=False)
    np.save(
        tmp_path / "sums.npy",
        [
            points.sum(axis=(1, 2), dtype=np.float64),
            ints.sum(axis=1, dtype=np.int64),
            doubles.sum(axis=1),
        ],
    )
    budget = 1 << 20
    run = run_child(
        f"""
        import json
        import numpy as np
        import usdbench
        from usdbench import native
        from pxr import Sdf
        native.set_cache_budget({budget})
        layer = Sdf.Layer.FindOrOpen({str(source)!r})
        native.reset_cache_counters()
        one = np.asarray(layer.GetAttributeAtPath("/World/Prim_150.points").default)
        first = native.layer_stats({str(source)!r})["columns"]
        sums = np.zeros((3, 300))
        for i in range(300):
            for k, name in enumerate(("points", "indices", "weights")):
                value = layer.GetAttributeAtPath(f"/World/Prim_{{i}}.{{name}}").default
                sums[k, i] = np.asarray(value).sum(dtype=np.float64)
        np.save({str(tmp_path / "got.npy")!r}, sums)
        print(json.dumps({{"stats": native.cache_stats(), "first": first,
                          "columns": native.layer_stats({str(source)!r})["columns"]}}))
        """
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    stats = result["stats"]
    assert stats["budget_bytes"] == budget
    assert 0 < stats["peak_bytes_held"] <= budget, stats
    assert stats["evictions"] > 0
    points_column = result["first"][1]
    assert 0 < points_column["block_rows"] < 300
    assert points_column["rows_decoded"] <= points_column["block_rows"]
    expected = np.load(tmp_path / "sums.npy")
    got = np.load(tmp_path / "got.npy")
    assert np.allclose(got[0], expected[0], rtol=1e-6)
    assert np.array_equal(got[1], expected[1])
    assert np.allclose(got[2], expected[2], rtol=1e-12)
    # Each range decoded about once in an in-order traversal.
    for column in result["columns"]:
        assert column["rows_decoded"] <= 2 * 300, column
