"""USDBENCH_DATA: the user stages the asv suite measures beside its scenarios."""

from __future__ import annotations

import os

DATA_ENV = "USDBENCH_DATA"


def data_stages(environ=None) -> list[str]:
    """The stage paths listed in USDBENCH_DATA (os.pathsep-separated, in
    order, duplicates and empty entries dropped)."""
    value = (os.environ if environ is None else environ).get(DATA_ENV, "")
    return list(dict.fromkeys(p.strip() for p in value.split(os.pathsep) if p.strip()))
