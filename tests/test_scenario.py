"""Scenarios: deterministic content, the 20 properties, both hierarchies, bad input."""

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from pxr import Sdf, Usd

from usdbench.errors import UsdBenchError
from usdbench.scenario import BASE_COST, PROPERTIES, PROPERTY_TYPES, Scenario


def test_same_seed_same_table_other_seed_other_values():
    a = Scenario(500, "flat", seed=3).property_table()
    assert a.equals(Scenario(500, "flat", seed=3).property_table())
    b = Scenario(500, "flat", seed=4).property_table()
    assert a["path"].equals(b["path"])
    assert not a["cost"].equals(b["cost"])


def test_table_has_path_then_twenty_typed_properties_sorted_by_path():
    table = Scenario(1234, "flat").property_table()
    assert table.column_names == ["path", *PROPERTIES]
    assert len(PROPERTIES) == 20
    assert table.schema.field("lifespan").type == pa.int32()
    assert all(table.schema.field(n).type == t for n, t in PROPERTY_TYPES.items())
    paths = table["path"].to_pylist()
    assert paths == sorted(paths) and len(set(paths)) == 1234
    assert table.num_rows == 1234 and all(c.null_count == 0 for c in table.columns)


@pytest.mark.parametrize("hierarchy", ["flat", "deep"])
def test_base_scene_defines_every_prim_with_a_weak_cost(hierarchy):
    scenario = Scenario(1234, hierarchy)
    layer = Sdf.Layer.CreateAnonymous(".usda")
    assert layer.ImportFromString(scenario.base_layer_text())
    stage = Usd.Stage.Open(layer)
    leaves = [p for p in stage.Traverse() if p.GetAttribute("cost")]
    assert sorted(str(p.GetPath()) for p in leaves) == scenario.sorted_prim_paths().to_pylist()
    assert {p.GetAttribute("cost").Get() for p in leaves} == {BASE_COST}


def test_deep_paths_follow_zone_level_room_component():
    paths = Scenario(2500, "deep").prim_paths()
    assert paths[0].as_py() == "/World/Zone_0/Level_0/Room_0/Component_0"
    assert paths[2499].as_py() == "/World/Zone_2/Level_4/Room_9/Component_9"
    assert pc.all(pc.starts_with(paths, "/World/Zone_")).as_py()


def test_values_do_not_depend_on_row_order():
    # A prim keeps its values whatever the sort: they follow the prim index.
    table = Scenario(300, "flat").property_table()
    row = table.filter(pc.equal(table["path"], "/World/Prim_7")).to_pylist()[0]
    again = Scenario(300, "flat").property_table()
    assert again.filter(pc.equal(again["path"], "/World/Prim_7")).to_pylist()[0] == row


@pytest.mark.parametrize("scale", [0, -5, 2.5, True, "10"])
def test_bad_scale_is_rejected(scale):
    with pytest.raises(UsdBenchError, match="scale"):
        Scenario(scale)


def test_unknown_hierarchy_is_rejected():
    with pytest.raises(UsdBenchError, match="hierarchy"):
        Scenario(10, "wide")


# -- families ---------------------------------------------------------------------

FAMILIES_BESIDE_PROPS = ("series", "arrays", "sparse")


def test_the_props_family_keeps_its_key_and_the_others_name_theirs():
    assert Scenario(1000, "flat").key == "flat-1000-seed0"
    assert Scenario(1000, "flat", family="props").key == "flat-1000-seed0"
    keys = {Scenario(1000, "flat", family=f).key for f in FAMILIES_BESIDE_PROPS}
    # A family whose Parquet rows are not by path names its row order.
    assert keys == {
        "series-flat-1000-seed0-rows-frame",
        "arrays-flat-1000-seed0-rows-scene-lists-plain",
        "sparse-flat-1000-seed0",
    }
    with pytest.raises(UsdBenchError, match="unknown family 'wide'"):
        Scenario(10, family="wide")


@pytest.mark.parametrize("family", FAMILIES_BESIDE_PROPS)
def test_every_family_is_deterministic_and_sorted_by_path(family):
    a = Scenario(40, "deep", family=family).property_table()
    assert a.equals(Scenario(40, "deep", family=family).property_table())
    assert not a.equals(Scenario(40, "deep", seed=1, family=family).property_table())
    paths = a["path"].to_pylist()
    assert paths == sorted(paths)
    assert a.column_names[-len(Scenario(1, family=family).properties) :] == list(
        Scenario(1, family=family).properties
    )


def test_series_is_one_row_per_prim_and_time_with_values_varying():
    from usdbench.scenario import SERIES_SAMPLES, SERIES_TYPES

    table = Scenario(30, family="series").property_table()
    assert table.num_rows == 30 * SERIES_SAMPLES
    assert table.schema.field("time").type == pa.float64()
    assert {n: table.schema.field(n).type for n in SERIES_TYPES} == SERIES_TYPES
    first = table.slice(0, SERIES_SAMPLES)
    assert len(set(first["path"].to_pylist())) == 1
    assert first["time"].to_pylist() == [float(t) for t in range(SERIES_SAMPLES)]
    assert len(set(first["temperature"].to_pylist())) == SERIES_SAMPLES
    assert len(set(first["is_active"].to_pylist())) == 2


def test_arrays_are_large_enough_for_zero_copy_and_declare_points():
    from usdbench.scenario import ARRAY_POINTS

    table = Scenario(5, family="arrays").property_table()
    assert table.schema.field("points").metadata == {b"usd:typeName": b"point3f[]"}
    row = table.slice(2, 1).to_pylist()[0]
    assert table.schema.field("points").type == pa.list_(pa.float32())
    assert len(row["points"]) == 3 * ARRAY_POINTS  # flat: x, y, z of each point
    assert len(row["indices"]) == 3 * ARRAY_POINTS and len(row["weights"]) == ARRAY_POINTS
    assert min(ARRAY_POINTS * 12, 3 * ARRAY_POINTS * 4, ARRAY_POINTS * 8) >= 2048


def test_sparse_prims_carry_about_five_percent_of_the_columns():
    from usdbench.scenario import SPARSE_COLUMNS, SPARSE_RARE

    table = Scenario(2000, family="sparse").property_table()
    assert table.num_columns == 1 + SPARSE_COLUMNS
    carried = sum(len(table[c]) - table[c].null_count for c in table.column_names[1:])
    assert 0.04 < carried / (2000 * SPARSE_COLUMNS) < 0.06
    assert 0 < 2000 - table[SPARSE_RARE].null_count < 60  # ~1%
    kinds = {str(table.schema.field(c).type) for c in table.column_names[1:]}
    assert kinds == {"double", "int32", "bool", "string"}
