"""Choose the asv machine name for .ci/suite, record this host under it, and
print it.

Figures compare only on one machine and one profile. The default profile's
results go under the host's name (asv's default, the committed history),
another profile's under "<host>-<profile>". Hosts of one name can differ,
e.g. VMs of one type get an AMD or an Intel CPU, and asv would silently
rewrite the recorded description and add the new figures to the old
history. So when results/<name>/machine.json describes another CPU (or CPU
count or architecture), the host gets "<name>-<cpu>" instead. A name the
user chose (USDBENCH_MACHINE) that describes another machine is refused.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

from usdbench import profiles
from usdbench.errors import UsdBenchError

# What makes figures incomparable; os (kernel build) and ram (a few kB apart
# between VMs of one size) vary without that.
COMPARED = ("cpu", "num_cpu", "arch")
# Words of a CPU model name that tell two models apart poorly.
_NOISE = {"intel", "amd", "processor", "cpu", "r", "tm"}


def cpu_slug(cpu: str) -> str:
    """'Intel(R) Xeon(R) Processor' -> 'xeon', 'AMD EPYC 7B13' -> 'epyc-7b13'."""
    cpu = re.sub(r"@.*", "", cpu.lower())
    words = [w for w in re.findall(r"[a-z0-9]+", cpu) if w not in _NOISE]
    return "-".join(words)[:40].strip("-") or "cpu"


def mismatch(results: Path, name: str, host: dict) -> dict[str, str]:
    """The compared fields in which results/<name>/machine.json describes
    another machine than ``host``, as "<field>": "<there> there, <here> here"
    (empty when nothing is recorded under ``name``)."""
    path = results / name / "machine.json"
    if not path.exists():
        return {}
    try:
        info = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        sys.exit(f"asv_machine: cannot read {path}: {exc}")
    return {
        k: f"{k} {info[k]!r} there, {host.get(k)!r} here"
        for k in COMPARED
        if k in info and str(info[k]) != str(host.get(k))
    }


def choose(results: Path, host: dict, profile: str, explicit: str | None) -> str:
    if explicit:
        if diff := mismatch(results, explicit, host):
            sys.exit(
                f"asv_machine: USDBENCH_MACHINE={explicit} names another machine "
                f"({results / explicit / 'machine.json'}: {'; '.join(diff.values())}); "
                "choose a new name, so its figures stay apart"
            )
        return explicit
    name = host["machine"] if profile == profiles.DEFAULT else f"{host['machine']}-{profile}"
    diff = mismatch(results, name, host)
    if not diff:
        return name
    suffix = cpu_slug(host["cpu"]) if "cpu" in diff else f"{host['num_cpu']}cpu-{host['arch']}"
    other = f"{name}-{suffix}"
    if diff2 := mismatch(results, other, host):
        sys.exit(
            f"asv_machine: {name} and {other} both describe other machines "
            f"({'; '.join([*diff.values(), *diff2.values()])}); "
            "set USDBENCH_MACHINE to a new name"
        )
    print(
        f"asv_machine: results/{name}/machine.json describes another machine "
        f"({'; '.join(diff.values())}): this host's figures go under {other}",
        file=sys.stderr,
    )
    return other


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=Path("results"))
    parser.add_argument(
        "--profile", choices=list(profiles.PROFILES), help=f"default: ${profiles.ENV}"
    )
    args = parser.parse_args(argv)
    try:
        profile = profiles.get(args.profile) if args.profile else profiles.from_environment()
    except UsdBenchError as error:
        sys.exit(f"asv_machine: {error}")

    from asv.machine import Machine, MachineCollection

    host = Machine.get_defaults()
    name = choose(args.results, host, profile.name, os.environ.get("USDBENCH_MACHINE") or None)
    # `asv machine --yes --machine NAME` records only the name (asv drops the
    # fields equal to the host's defaults): store the host's description under
    # NAME with asv's own defaults (asv is pinned).
    MachineCollection.save(name, {**host, "machine": name})
    print(name)


if __name__ == "__main__":
    main()
