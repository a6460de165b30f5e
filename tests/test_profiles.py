"""Profiles: typed, passed explicitly, chosen by name only at the edges."""

import dataclasses

import pytest

from usdbench import profiles
from usdbench.errors import UsdBenchError
from usdbench.scenario import Scenario


def test_profiles_are_frozen_and_named_by_their_key():
    for name, profile in profiles.PROFILES.items():
        assert profile.name == name
        with pytest.raises(dataclasses.FrozenInstanceError):
            profile.rounds = 99
    assert profiles.DEFAULT in profiles.PROFILES


def test_from_environment_reads_only_the_mapping_it_is_given():
    assert profiles.from_environment({}).name == profiles.DEFAULT
    assert profiles.from_environment({profiles.ENV: ""}).name == profiles.DEFAULT
    assert profiles.from_environment({profiles.ENV: "full"}) is profiles.get("full")
    with pytest.raises(UsdBenchError, match=r"USDBENCH_PROFILE='fast': expected one of quick"):
        profiles.from_environment({profiles.ENV: "fast"})
    with pytest.raises(UsdBenchError, match=r"unknown profile 'fast'"):
        profiles.get("fast")


def test_grid_follows_the_param_names_and_heavy_scales():
    default = profiles.get("default")
    grid = default.grid()
    assert dict(zip(profiles.PARAM_NAMES, grid, strict=True)) == {
        "format": list(default.formats),
        "scale": list(default.scales),
        "hierarchy": list(default.hierarchies),
    }
    assert default.grid(heavy=True)[1] == list(default.heavy_scales) != grid[1]


def test_scenarios_cover_every_scale_of_every_hierarchy_once():
    full = profiles.get("full")
    got = [scenario for scenario, formats in full.scenarios()]
    assert len(got) == len(set(got)) == 2 * 4
    assert Scenario(1_000_000, "deep") in got
    assert all(formats == list(full.formats) for _, formats in full.scenarios())


def test_a_profile_of_unknown_formats_or_hierarchies_is_refused():
    quick = profiles.get("quick")
    with pytest.raises(UsdBenchError, match="parquet-lz4"):
        dataclasses.replace(quick, formats=("usda", "parquet-lz4"))
    with pytest.raises(UsdBenchError, match="hierarchies"):
        dataclasses.replace(quick, hierarchies=("wide",))
    with pytest.raises(UsdBenchError, match="chunk_by"):
        dataclasses.replace(quick, chunk_by="function")


def test_only_the_full_profile_runs_for_hours_class_by_class():
    assert {p.name: p.chunk_by for p in profiles.PROFILES.values()} == {
        "quick": "module",
        "default": "module",
        "full": "class",
    }


def test_every_profile_carries_every_family_and_default_at_two_scales():
    for profile in profiles.PROFILES.values():
        assert {g.family for g in profile.families} == {"series", "arrays", "sparse"}
        assert profile.family_formats
        for grid in profile.families:
            assert set(grid.heavy_scales) <= set(grid.scales)
    assert all(len(g.scales) == 2 for g in profiles.get("default").families)
    assert all(len(g.scales) == 1 for g in profiles.get("quick").families)
    full, default = profiles.get("full"), profiles.get("default")
    assert set(default.family_formats) < set(full.family_formats)


def test_family_grid_and_scenarios():
    default = profiles.get("default")
    series = default.family("series")
    assert default.family_grid("series") == [
        list(default.family_formats),
        list(series.scales),
        ["flat"],
    ]
    assert default.family_grid("series", heavy=True)[1] == list(series.heavy_scales)
    got = [s for s, _ in default.family_scenarios()]
    assert len(got) == len(set(got)) == sum(len(g.scales) for g in default.families)
    assert Scenario(series.scales[-1], "flat", family="series") in got
    # The props scenarios are unchanged.
    assert all(s.family == "props" for s, _ in default.scenarios())
    with pytest.raises(UsdBenchError, match="no family 'props'"):
        default.family("props")


def test_a_profile_of_an_unknown_family_is_refused():
    quick = profiles.get("quick")
    with pytest.raises(UsdBenchError, match="family 'wide'"):
        dataclasses.replace(quick, families=(profiles.FamilyGrid("wide", (1,), (1,)),))
    with pytest.raises(UsdBenchError, match="parquet-lz4"):
        dataclasses.replace(quick, family_formats=("parquet-lz4",))
