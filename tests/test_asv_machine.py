"""`.ci/asv_machine.py`, which names the asv machine for `.ci/suite`: one
name never holds figures of two CPUs."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.asv_project import REPO

SCRIPT = REPO / ".ci" / "asv_machine.py"
_spec = importlib.util.spec_from_file_location("asv_machine", SCRIPT)
asv_machine = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(asv_machine)

EPYC = {"machine": "vm", "cpu": "AMD EPYC", "num_cpu": "2", "arch": "x86_64", "os": "Linux a"}
XEON = {**EPYC, "cpu": "Intel(R) Xeon(R) Processor", "os": "Linux b", "ram": "1"}


def _record(results: Path, name: str, info: dict) -> None:
    (results / name).mkdir(parents=True)
    (results / name / "machine.json").write_text(json.dumps({**info, "machine": name}))


@pytest.mark.parametrize(
    "cpu, slug",
    [
        ("Intel(R) Xeon(R) Processor", "xeon"),
        ("AMD EPYC", "epyc"),
        ("Intel(R) Core(TM) i7-8700 CPU @ 3.20GHz", "core-i7-8700"),
        ("AMD Ryzen 9 5950X 16-Core Processor", "ryzen-9-5950x-16-core"),
        ("", "cpu"),
    ],
)
def test_cpu_slug(cpu, slug):
    assert asv_machine.cpu_slug(cpu) == slug


def test_host_name_and_profile_name_when_nothing_else_is_recorded(tmp_path):
    assert asv_machine.choose(tmp_path, XEON, "default", None) == "vm"
    assert asv_machine.choose(tmp_path, XEON, "full", None) == "vm-full"


def test_same_machine_keeps_its_name_though_kernel_and_ram_differ(tmp_path):
    _record(tmp_path, "vm", {**XEON, "os": "Linux other", "ram": "2"})
    assert asv_machine.choose(tmp_path, XEON, "default", None) == "vm"


def test_another_cpu_under_the_host_name_gets_a_name_of_its_own(tmp_path, capsys):
    _record(tmp_path, "vm", EPYC)
    _record(tmp_path, "vm-full", EPYC)
    assert asv_machine.choose(tmp_path, XEON, "default", None) == "vm-xeon"
    assert "'AMD EPYC' there" in capsys.readouterr().err
    # The full profile's existing Xeon folder is the one it lands in.
    _record(tmp_path, "vm-full-xeon", XEON)
    assert asv_machine.choose(tmp_path, XEON, "full", None) == "vm-full-xeon"
    # And the EPYC host keeps the original names.
    assert asv_machine.choose(tmp_path, EPYC, "default", None) == "vm"


def test_another_cpu_count_gets_a_name_of_its_own(tmp_path):
    _record(tmp_path, "vm", {**XEON, "num_cpu": "8"})
    assert asv_machine.choose(tmp_path, XEON, "default", None) == "vm-2cpu-x86_64"


def test_refuses_when_both_names_describe_other_machines(tmp_path):
    _record(tmp_path, "vm", EPYC)
    _record(tmp_path, "vm-xeon", {**XEON, "num_cpu": "4"})
    with pytest.raises(SystemExit, match="USDBENCH_MACHINE"):
        asv_machine.choose(tmp_path, XEON, "default", None)


def test_explicit_name_of_another_machine_is_refused_naming_the_file(tmp_path):
    _record(tmp_path, "ref", EPYC)
    with pytest.raises(SystemExit) as exc:
        asv_machine.choose(tmp_path, XEON, "default", "ref")
    message = str(exc.value)
    assert str(tmp_path / "ref" / "machine.json") in message and "AMD EPYC" in message
    assert asv_machine.choose(tmp_path, XEON, "default", "new-name") == "new-name"
    assert asv_machine.choose(tmp_path, EPYC, "default", "ref") == "ref"


def test_unreadable_machine_json_is_a_clear_error(tmp_path):
    (tmp_path / "vm").mkdir()
    (tmp_path / "vm" / "machine.json").write_text("{not json")
    with pytest.raises(SystemExit, match=r"cannot read .*vm/machine\.json"):
        asv_machine.choose(tmp_path, XEON, "default", None)


def test_script_records_this_host_under_the_chosen_name(tmp_path):
    """The real script with the real asv: this host's description is saved in
    ~/.asv-machine.json under the printed name, away from another CPU's."""
    from asv.machine import Machine

    host = Machine.get_defaults()
    results = tmp_path / "results"
    other = {**host, "cpu": host["cpu"] + " (another model)"}
    _record(results, f"{host['machine']}-quick", other)
    env = {**os.environ, "HOME": str(tmp_path), "USDBENCH_PROFILE": "quick"}
    env.pop("USDBENCH_MACHINE", None)
    run = subprocess.run(
        [sys.executable, str(SCRIPT), "--results", str(results)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    name = run.stdout.strip()
    assert name == f"{host['machine']}-quick-{asv_machine.cpu_slug(host['cpu'])}", run
    saved = json.loads((tmp_path / ".asv-machine.json").read_text())
    assert {k: saved[name][k] for k in asv_machine.COMPARED} == {
        k: host[k] for k in asv_machine.COMPARED
    }
    # The other machine's record is untouched.
    assert (
        json.loads((results / f"{host['machine']}-quick" / "machine.json").read_text())["cpu"]
        == other["cpu"]
    )
