"""The usdbench command line: as a user runs it (the console script and
``python -m usdbench``, each in its own process) for help, the error line and
the exit statuses; in this process (``cli.main``, the same code) for every bad
argument of every command, which would take a process each."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.asv_project import REPO
from tests.toy_suite import MACHINE as TOY_MACHINE
from usdbench import cli, native, profiles
from usdbench.errors import UsdBenchError

CONSOLE_SCRIPT = Path(sys.executable).with_name("usdbench")
ENTRY_POINTS = {
    "console script": [str(CONSOLE_SCRIPT)],
    "python -m usdbench": [sys.executable, "-m", "usdbench"],
}


@pytest.fixture(params=list(ENTRY_POINTS), ids=list(ENTRY_POINTS))
def usdbench(request, tmp_path):
    """Runs ``usdbench *args`` through one entry point, from an empty folder."""
    if request.param == "console script":
        assert CONSOLE_SCRIPT.is_file(), f"{CONSOLE_SCRIPT}: pyproject's [project.scripts]"

    def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*ENTRY_POINTS[request.param], *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env={**os.environ, **(env or {})},
            timeout=300,
        )

    return run


def _words(text: str) -> str:
    return " ".join(text.split())


def test_top_level_help_lists_every_command_and_the_exit_statuses(usdbench):
    run = usdbench("--help")
    assert run.returncode == 0 and run.stderr == ""
    assert run.stdout.startswith("usage: usdbench ")
    words = _words(run.stdout)
    for command in cli.COMMANDS:
        assert f"{command.NAME} {_words(command.HELP)}" in words
    assert "exit status:" in run.stdout
    for status in ("0 done", "1 the check says no", "2 bad input or usage"):
        assert status in words


@pytest.mark.parametrize("command", cli.COMMANDS, ids=lambda c: c.NAME)
def test_each_command_explains_itself(command, tmp_path):
    run = subprocess.run(
        [str(CONSOLE_SCRIPT), command.NAME, "--help"], cwd=tmp_path, capture_output=True, text=True
    )
    assert run.returncode == 0 and run.stderr == ""
    assert run.stdout.startswith(f"usage: usdbench {command.NAME} ")
    assert _words(command.DESCRIPTION) in _words(run.stdout)
    # Examples that run this very command, shown as written.
    assert f"usdbench {command.NAME}" in command.EXAMPLES.split("\n", 1)[1]
    assert command.EXAMPLES.rstrip() in run.stdout


@pytest.mark.parametrize("name", ["check", "calibrate"])
def test_gate_commands_explain_themselves(name, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["gate", name, "--help"])
    out = capsys.readouterr().out
    assert exit_.value.code == 0
    assert out.startswith(f"usage: usdbench gate {name} ")
    assert f"usdbench gate {name} " in out.split("example:")[-1]
    assert "--machine" in out and "--rounds" in out


def test_prepare_help_names_the_profile_setting(capsys):
    with pytest.raises(SystemExit):
        cli.main(["prepare", "--help"])
    out = _words(capsys.readouterr().out)
    assert f"${profiles.ENV}, else {profiles.DEFAULT!r}" in out
    assert all(name in out for name in profiles.PROFILES)


def _one_line_error(run: subprocess.CompletedProcess, prog: str) -> str:
    """The error line: exit 2, the last line of stderr, no traceback."""
    assert run.returncode == 2, (run.stdout, run.stderr)
    assert "Traceback" not in run.stderr
    last = run.stderr.splitlines()[-1]
    assert last.startswith(f"{prog}: error: "), run.stderr
    return last


def _in_process(capsys, *args: str) -> subprocess.CompletedProcess:
    """cli.main as the console script runs it, its exit and output as a process's."""
    try:
        code = cli.main(list(args))
    except SystemExit as exit_:  # argparse's usage errors and --help
        code = exit_.code
    out = capsys.readouterr()
    return subprocess.CompletedProcess(["usdbench", *args], code, out.out, out.err)


MISSING = "missing/asv.conf.json"  # relative to the empty folder each command runs in

BAD_ARGUMENTS = [
    # (arguments, the command's name in the message, what the message must name)
    (["nosuch"], "usdbench", "argument <command>: invalid choice: 'nosuch'"),
    (["prepare", "--bogus"], "usdbench prepare", "unrecognized arguments: --bogus"),
    (["prepare", "--profile", "fast"], "usdbench prepare", "argument --profile: invalid choice"),
    (["generate", "--scale", "0"], "usdbench generate", "argument --scale: scale must be at"),
    (["generate", "--scale", "-1"], "usdbench generate", "argument --scale: scale must be at"),
    (["generate", "--scale", "many"], "usdbench generate", "argument --scale: scale must be an"),
    (["generate"], "usdbench generate", "the following arguments are required: --scale"),
    (
        ["generate", "--scale", "9", "--hierarchy", "tree"],
        "usdbench generate",
        "argument --hierarchy: invalid choice: 'tree'",
    ),
    (
        ["generate", "--scale", "9", "--formats", "usdq"],
        "usdbench generate",
        "argument --formats: invalid choice: 'usdq'",
    ),
    (["convert"], "usdbench convert", "the following arguments are required: IN, OUTDIR"),
    (["convert", MISSING, "out"], "usdbench convert", f"file {MISSING}: no such file"),
    (
        ["convert", MISSING, "out", "--residual-format", "usdz"],
        "usdbench convert",
        "argument --residual-format: invalid choice: 'usdz'",
    ),
    (["measure"], "usdbench measure", "the following arguments are required: STAGE"),
    (["measure", MISSING], "usdbench measure", f"{MISSING}: no such stage file"),
    (["report", "--config", MISSING], "usdbench report", f"asv config {MISSING} not found"),
    (["report", "--commit"], "usdbench report", "argument --commit: expected one argument"),
    (["timeline"], "usdbench timeline", "the following arguments are required: --machine"),
    (
        ["timeline", "--machine", "m", "--config", MISSING],
        "usdbench timeline",
        f"asv config {MISSING} not found",
    ),
    (
        ["timeline", "--machine", "m", "--scale", "0"],
        "usdbench timeline",
        "argument --scale: scale must be at least 1, got 0",
    ),
    (
        ["timeline", "--machine", "m", "--profile", "huge"],
        "usdbench timeline",
        "argument --profile: invalid choice: 'huge'",
    ),
    (
        ["timeline", "--machine", "m", "--config", str(REPO / "asv.conf.json")]
        + ["--profile", "quick", "--commit", "no-such-commit"],
        "usdbench timeline",
        f"--commit 'no-such-commit': no such commit (git, in {REPO})",
    ),
    (["gate"], "usdbench gate", "the following arguments are required: <gate command>"),
    (["gate", "check", "a"], "usdbench gate check", "the following arguments are required"),
    (
        ["gate", "check", "a", "b", "--machine", "m", "--config", MISSING],
        "usdbench gate check",
        f"asv config {MISSING} not found",
    ),
    (
        ["gate", "check", "a", "b", "--machine", "m", "--rounds", "1"],
        "usdbench gate check",
        "argument --rounds: rounds must be at least 2",
    ),
    (
        ["gate", "check", "a", "b", "--machine", "m", "--bench", "(load"],
        "usdbench gate check",
        "argument --bench: not a regular expression: '(load'",
    ),
    (
        ["gate", "check", "a", "b", "--machine", "m", "--rel", "lots"],
        "usdbench gate check",
        "argument --rel: invalid float value: 'lots'",
    ),
    (
        ["gate", "calibrate", "a", "--machine", "m", "--runs", "1"],
        "usdbench gate calibrate",
        "argument --runs: runs must be at least 2",
    ),
    (["asv-install"], "usdbench asv-install", "the following arguments are required: --machine"),
    (
        ["asv-install", "--machine", "m", "--config", MISSING],
        "usdbench asv-install",
        f"asv config {MISSING} not found",
    ),
    (
        [
            "asv-install",
            "no-such-commit",
            "--machine",
            "m",
            "--config",
            str(REPO / "asv.conf.json"),
        ],
        "usdbench asv-install",
        f"commit 'no-such-commit': no such commit (git, in {REPO})",
    ),
    (["plugin-path", "--verbose"], "usdbench plugin-path", "unrecognized arguments: --verbose"),
    (["status", "now"], "usdbench status", "unrecognized arguments: now"),
]


@pytest.mark.parametrize(
    "args, prog, named", BAD_ARGUMENTS, ids=[" ".join(a[:3]) for a, _, _ in BAD_ARGUMENTS]
)
def test_a_bad_argument_is_one_line_naming_it(args, prog, named, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # where MISSING is missing
    last = _one_line_error(_in_process(capsys, *args), prog)
    assert named in last


SAMPLE_ERRORS = [  # one of each kind, through each entry point
    (["generate", "--scale", "0"], "usdbench generate", "argument --scale: scale must be at"),
    (["report", "--config", MISSING], "usdbench report", f"asv config {MISSING} not found"),
    (["gate", "check", "a", "b", "--machine", "m", "--bogus"], "usdbench gate check", "--bogus"),
]


@pytest.mark.parametrize(
    "args, prog, named", SAMPLE_ERRORS, ids=[a[0] for a, _, _ in SAMPLE_ERRORS]
)
def test_entry_points_say_a_bad_argument_in_one_line(usdbench, args, prog, named):
    assert named in _one_line_error(usdbench(*args), prog)


def test_every_command_has_a_bad_argument_case():
    tested = {args[0] for args, _, _ in BAD_ARGUMENTS}
    assert {c.NAME for c in cli.COMMANDS} <= tested


def test_a_malformed_config_names_the_file(capsys, tmp_path):
    config = tmp_path / "asv.conf.json"
    config.write_text("[1, 2")
    last = _one_line_error(
        _in_process(capsys, "report", "--config", str(config)), "usdbench report"
    )
    assert str(config) in last


def test_commits_that_match_nothing_are_named(capsys, toy_asv_project):
    config = str(toy_asv_project.config_path)
    report = _in_process(capsys, "report", "--config", config, "--commit", "fffffff")
    last = _one_line_error(report, "usdbench report")
    assert "'fffffff'" in last and toy_asv_project.commits[-1][:8] in last
    check = ["gate", "check", "fffffff", toy_asv_project.commits[-1], "--config", config]
    check += ["--machine", TOY_MACHINE]
    last = _one_line_error(_in_process(capsys, *check, "--measure", "never"), "usdbench gate check")
    assert "'fffffff'" in last and TOY_MACHINE in last
    # Where the gate would run asv on it, git says first that it is no commit.
    measured = _in_process(capsys, *check, "--measure", "always")
    assert "base 'fffffff': no such commit" in _one_line_error(measured, "usdbench gate check")


def test_asv_install_has_nothing_to_build_in_an_existing_environment(capsys, toy_asv_project):
    # asv runs the suite in this interpreter there: no build, no build variables.
    config = str(toy_asv_project.config_path)
    run = _in_process(capsys, "asv-install", "--config", config, "--machine", TOY_MACHINE)
    assert run.returncode == 0, run.stderr
    assert "nothing to install (existing environment)" in run.stdout
    assert "asv run of its own" not in run.stdout


def test_an_unusable_plugin_is_exit_1_saying_why(usdbench):
    off = {native.ENV_SWITCH: "0"}
    path = usdbench("plugin-path", env=off)
    assert path.returncode == 1 and path.stdout == ""
    assert path.stderr.strip() == (
        f"usdbench plugin-path: the native Parquet plugin is not usable here: "
        f"disabled by {native.ENV_SWITCH}=0"
    )
    status = usdbench("status", env=off)
    assert status.returncode == 1 and "Traceback" not in status.stderr
    assert status.stdout.splitlines()[0] == (
        f"native Parquet plugin: not usable: disabled by {native.ENV_SWITCH}=0"
    )


def test_status_agrees_with_the_package(capsys):
    here = native.status(check_sources=True)
    run = _in_process(capsys, "status")
    assert run.returncode == (0 if here.available else 1)
    first = run.stdout.splitlines()[0]
    if here.available:
        expected = "usable"
    elif native.status().available:  # built, from older sources
        expected = f"usable, but not this checkout's: {here.reason}"
    else:
        expected = f"not usable: {here.reason}"
    assert first == "native Parquet plugin: " + expected
    assert f"folder: {here.directory}" in run.stdout


def test_plugin_sources_changed_since_the_build_make_status_say_so(tmp_path):
    """status checks a checkout's sources; plain status() (every import) does not."""
    if not native.status().available:
        pytest.skip(f"the plugin is not usable here: {native.status().reason}")
    stale = (
        "from usdbench import native\n"
        "native._stale = lambda info: True\n"  # as if a plugin source had changed
        "from usdbench.cli import main\n"
        "raise SystemExit(main(['status']))\n"
    )
    run = subprocess.run([sys.executable, "-c", stale], capture_output=True, text=True)
    assert run.returncode == 1
    first, second = run.stdout.splitlines()[:2]
    # The stale build is still the one import registers: status says so.
    assert first.startswith("native Parquet plugin: usable, but not this checkout's: ")
    assert "sources changed since it was built" in first
    assert "still read by this older build" in second


@pytest.mark.parametrize("alias", ["report", "gate", "timeline"])
def test_old_module_entry_points_are_the_same_commands(alias):
    run = subprocess.run(
        [sys.executable, "-m", f"usdbench.{alias}", "--help"], capture_output=True, text=True
    )
    assert run.returncode == 0
    assert run.stdout.startswith(f"usage: usdbench {alias} ")


def test_help_imports_no_usd_nor_the_commands_work():
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "usdbench", "--help"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0
    imported = {line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines()}
    assert "usdbench.cli" in imported  # the listing is what it seems
    heavy = {"pxr", "usdbench.report", "usdbench.timeline.record", "usdbench.workloads"}
    assert not heavy & imported


def test_the_report_reads_timelines_without_the_recording_or_the_cli():
    code = (
        "import sys, usdbench.report\n"
        "print(' '.join(m for m in sys.modules if m.startswith('usdbench')))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(run.stdout.split())
    assert "usdbench.timeline.schema" in loaded
    assert not {"usdbench.timeline.record", "usdbench.cli", "usdbench.fresh_process"} & loaded


def test_an_error_of_several_lines_still_ends_with_the_one_line(capsys, monkeypatch):
    def fails(args):
        raise UsdBenchError("asv run on 1a2b3c4d exited 1:\nasv's own output\nits last line")

    monkeypatch.setattr(cli.status, "run", fails)
    run = _in_process(capsys, "status")
    last = _one_line_error(run, "usdbench status")
    assert last == "usdbench status: error: asv run on 1a2b3c4d exited 1: (details above)"
    assert run.stderr.splitlines()[:-1] == ["asv's own output", "its last line"]
