"""usdbench.fresh_process: a measurement in a new interpreter, its result read back."""

from __future__ import annotations

import os
import sys

import pytest

from usdbench.errors import UsdBenchError
from usdbench.fresh_process import ChildFailed, run_module, run_script

REPORTS = (
    "import os, sys, usdbench\n"
    "from usdbench.fresh_process import print_result\n"
    "print('progress, not the result')\n"
    "print_result({'pid': os.getpid(), 'args': sys.argv[1:], 'code': usdbench.__file__})\n"
)


def test_a_script_in_a_new_interpreter_its_last_line_the_result(tmp_path):
    script = tmp_path / "child.py"
    script.write_text(REPORTS)
    result = run_script(script, "a", "b c")
    assert result["pid"] != os.getpid() and result["args"] == ["a", "b c"]
    # The child imports the very usdbench the parent runs, whatever is installed.
    assert result["code"] == sys.modules["usdbench"].__file__


def test_a_module_keeps_the_callers_module_path(tmp_path, monkeypatch):
    (tmp_path / "child_module.py").write_text(REPORTS)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    result = run_module("child_module", "--flag")
    assert result["args"] == ["--flag"] and result["pid"] != os.getpid()


def test_a_failing_child_is_an_error_with_the_end_of_its_stderr(tmp_path):
    script = tmp_path / "fails.py"
    script.write_text(
        "import sys\nprint('early line', file=sys.stderr)\nraise SystemExit('boom')\n"
    )
    with pytest.raises(ChildFailed) as failed:
        run_script(script, "x")
    assert isinstance(failed.value, UsdBenchError)
    assert str(failed.value) == "fails.py x: exit status 1: early line | boom"


def test_output_that_is_no_json_object_is_an_error_naming_it():
    with pytest.raises(ChildFailed, match=r"python -m platform: printed '.*' last, not a JSON"):
        run_module("platform")


def test_a_child_past_its_timeout_is_an_error(tmp_path):
    script = tmp_path / "sleeps.py"
    script.write_text(
        "import sys, time\nprint('started', file=sys.stderr, flush=True)\ntime.sleep(60)\n"
    )
    with pytest.raises(ChildFailed, match=r"^sleeps.py: no result within 2 s: started$"):
        run_script(script, timeout=2)


def test_the_child_reads_no_input_of_the_parent(tmp_path):
    script = tmp_path / "reads.py"
    script.write_text(
        "import sys\nfrom usdbench.fresh_process import print_result\n"
        "print_result({'stdin': sys.stdin.read()})\n"
    )
    assert run_script(script, timeout=60) == {"stdin": ""}
