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
