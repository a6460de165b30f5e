"""USDBENCH_DATA: a real `asv run` of this repository's suite measures a user's
stage (a root, a sublayer, a referenced asset with a payload) in every
format, and the report shows it in sections of its own."""

import json
import math
import subprocess
import sys

import pytest

from tests.asv_project import REPO, AsvProject
from tests.test_stage_dump import _write_scene
from usdbench.measure.files import USER_FORMATS


def _parquet_converter() -> bool:
    try:
        from usdbench.convert import convert  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.slow  # a real asv run: ~100 benchmark processes
def test_asv_measures_a_user_stage_in_every_format_and_the_report_shows_it(tmp_path):
    scene_dir = tmp_path / "scene"
    scene_dir.mkdir()
    stage = str(_write_scene(scene_dir))
    project = AsvProject.copy_of_repo(tmp_path / "repo", tmp_path / "cache")
    project.env["USDBENCH_DATA"] = stage
    # asv's "existing" environment drops PYTHONPATH: the benchmarks import this
    # checkout's usdbench (its native plugin built in place) through asv's own.
    project.env["ASV_PYTHONPATH"] = str(REPO)
    commit = project.commits[0]
    run = project.run_here(commit, "--bench", "user_data")
    out = run.stdout + run.stderr
    assert "Traceback" not in out, out[-6000:]

    result = project.results(commit)
    columns = result["result_columns"]
    benchmarks = project.benchmarks()
    names = [n for n in result["results"] if n.startswith("user_data.")]
    assert "user_data.UserLoad.track_peak_bytes" in names and len(names) == 20, names
    formats = USER_FORMATS if _parquet_converter() else USER_FORMATS[:3]
    for name in names:
        assert benchmarks[name]["param_names"] == ["format", "stage"]
        row = dict(zip(columns, result["results"][name], strict=False))
        params = row["params"]
        assert [json.loads(p.replace("'", '"')) for p in params[0]] == list(USER_FORMATS)
        assert params[1] == [repr(stage)]
        values = dict(zip(USER_FORMATS, row["result"], strict=True))
        for fmt in formats:
            value = values[fmt]
            assert value is not None and not math.isnan(value), (name, fmt, value)
            if name.endswith(("time_operation", "track_file_bytes")):
                assert value > 0, (name, fmt, value)

    page_run = subprocess.run(
        [sys.executable, "-m", "usdbench", "report", "--config", "asv.conf.json"],
        cwd=project.path,
        env=project.env,
        capture_output=True,
        text=True,
    )
    assert page_run.returncode == 0, page_run.stderr[-3000:]
    page = (project.path / "html" / "formats" / "index.html").read_text()
    assert f"Stage {stage}: Sizes" in page
    assert f"Stage {stage}: Memory by operation" in page
    for fmt in formats:
        assert f"&quot;format&quot;: &quot;{fmt}&quot;, &quot;stage&quot;" in page, fmt
