"""`usdbench convert IN OUTDIR` as a user runs it: the report printed, and each
bad input a clear error naming the file, exit status 2 and nothing left
behind (no OUTDIR, no temporary folder, no parent folder it made)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.convert_scenes import write_scene

REPO = Path(__file__).resolve().parents[1]


def _convert(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "usdbench", "convert", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def _error_line(run: subprocess.CompletedProcess) -> str:
    assert run.returncode == 2, run.stdout + run.stderr
    assert "Traceback" not in run.stderr, run.stderr
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("usdbench convert: error: "), run.stderr
    return last


def _nothing_left(folder: Path, before: set) -> None:
    assert {p.name for p in folder.iterdir()} == before


def test_convert_prints_what_went_where(tmp_path):
    root = write_scene(tmp_path / "src")
    run = _convert(root, tmp_path / "out")
    assert run.returncode == 0, run.stderr
    assert "to Parquet:" in run.stdout and "stays in USD" in run.stdout
    assert f"open {tmp_path / 'out' / 'root.usda'}" in run.stdout
    assert (tmp_path / "out" / "root.usda").is_file()
    as_json = _convert(root, tmp_path / "json", "--json")
    assert as_json.returncode == 0, as_json.stderr
    report = json.loads(as_json.stdout)
    assert report["root"] == str(tmp_path / "json" / "root.usda")
    assert report["moved_values"] > report["stayed_values"] > 0


BAD_LAYER = '#usda 1.0\ndef "A" {\n    float x = \n}\n'


def _bad_inputs(tmp_path: Path) -> dict:
    """name -> (IN, the text the error must contain)"""
    (tmp_path / "bad.usda").write_text(BAD_LAYER)
    (tmp_path / "notes.txt").write_text("not a layer")
    (tmp_path / "folder.usda").mkdir()
    (tmp_path / "fake.usdc").write_bytes(b"PXR-USDC but truncated")
    (tmp_path / "missing_refs.usda").write_text(
        "#usda 1.0\n(\n    subLayers = [@./gone.usda@]\n)\n"
        'def "A" (\n    references = @./nowhere.usda@\n)\n{\n}\n'
    )
    (tmp_path / "bad_dep_root.usda").write_text(
        '#usda 1.0\ndef "A" (\n    references = @./bad.usda@\n)\n{\n}\n'
    )
    return {
        "missing": (tmp_path / "absent.usda", ["absent.usda", "no such file"]),
        "not a layer": (tmp_path / "notes.txt", ["notes.txt", "not a USD layer"]),
        "a folder": (tmp_path / "folder.usda", ["folder.usda", "not a file"]),
        "parse failure": (tmp_path / "bad.usda", ["bad.usda", "could not read"]),
        "damaged usdc": (tmp_path / "fake.usdc", ["fake.usdc", "could not read"]),
        "unresolved assets": (
            tmp_path / "missing_refs.usda",
            ["2 asset path(s) do not resolve", "gone.usda", "nowhere.usda"],
        ),
        "a dependency fails to parse": (
            tmp_path / "bad_dep_root.usda",
            ["bad.usda", "referenced by", "bad_dep_root.usda"],
        ),
    }


@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "not a layer",
        "a folder",
        "parse failure",
        "damaged usdc",
        "unresolved assets",
        "a dependency fails to parse",
    ],
)
def test_bad_input_is_a_clear_error_with_nothing_left_behind(tmp_path, case):
    source, expected = _bad_inputs(tmp_path)[case]
    target = tmp_path / "made" / "for" / "out"
    before = {p.name for p in tmp_path.iterdir()}
    line = _error_line(_convert(source, target))
    for text in expected:
        assert text in line, line
    _nothing_left(tmp_path, before)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(tmp_path):
    source = tmp_path / "locked.usda"
    source.write_text("#usda 1.0\n")
    source.chmod(0)
    line = _error_line(_convert(source, tmp_path / "out"))
    assert "locked.usda" in line and "cannot read" in line
    assert not (tmp_path / "out").exists()


def test_a_file_that_cannot_be_read_is_a_clear_error(tmp_path):
    """Also as root (who reads any file): /proc/self/mem is a file whose
    first byte cannot be read (EIO)."""
    source = tmp_path / "memory.usda"
    source.symlink_to("/proc/self/mem")
    line = _error_line(_convert(source, tmp_path / "out"))
    assert "memory.usda" in line and "cannot read it" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["memory.usda"]


def test_outdir_that_cannot_be_made_is_a_clear_error(tmp_path):
    root = write_scene(tmp_path / "src")
    (tmp_path / "a_file").write_text("not a folder")
    line = _error_line(_convert(root, tmp_path / "a_file" / "out"))
    assert "a_file" in line and "cannot write" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file", "src"]


def test_outdir_not_empty_is_kept_as_it_was(tmp_path):
    root = write_scene(tmp_path / "src")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "mine.txt").write_text("keep")
    line = _error_line(_convert(root, tmp_path / "out"))
    assert str(tmp_path / "out") in line and "not empty" in line
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["mine.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "src"]
