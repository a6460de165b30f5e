"""On-disk cache of scenario files, keyed by scenario, format options and
generator version.

A request for files that exist returns at once (no table is generated). Files
are written atomically (see writers.atomic_path) under a per-scenario lock, so
concurrent requests generate once and a killed generation leaves nothing a
later request would use.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from usdbench import writers
from usdbench.formats import FORMAT_NAMES, Format, get_format
from usdbench.scenario import GENERATOR_VERSION, Scenario

Progress = Callable[[str], None]
BASE_FILENAME = "base.usda"
# Scenarios at least this large report progress on stderr by default.
PROGRESS_SCALE = 100_000


@dataclass(frozen=True)
class ScenarioFiles:
    """The files of one scenario in one format."""

    scenario: Scenario
    format: Format
    directory: Path

    @property
    def root(self) -> Path:
        return self.directory / self.format.root_filename

    @property
    def props(self) -> Path:
        return self.directory / self.format.props_filename

    @property
    def base(self) -> Path:
        return self.directory / BASE_FILENAME

    def data_files(self) -> list[Path]:
        return [self.root, self.props, self.base]


def cache_root() -> Path:
    """``$USDBENCH_CACHE``, else the user's cache folder."""
    env = os.environ.get("USDBENCH_CACHE")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "usdbench"


def scenario_dir(scenario: Scenario, root: Path | None = None) -> Path:
    return (root or cache_root()) / f"v{GENERATOR_VERSION}" / scenario.key


def ensure(
    scenario: Scenario, format_name: str, root: Path | None = None, progress: Progress | None = None
) -> ScenarioFiles:
    """The cached files of ``scenario`` in one format, generated if missing."""
    return materialize(scenario, [format_name], scenario_dir(scenario, root), progress)[format_name]


def materialize(
    scenario: Scenario,
    format_names: Iterable[str] = FORMAT_NAMES,
    directory: Path | None = None,
    progress: Progress | None = None,
) -> dict[str, ScenarioFiles]:
    """Write ``scenario`` in the given formats into ``directory`` (the cache
    by default), skipping files already there."""
    formats = [get_format(name) for name in format_names]
    directory = Path(directory) if directory is not None else scenario_dir(scenario)
    files = {f.name: ScenarioFiles(scenario, f, directory) for f in formats}
    if _complete(files.values()):
        return files
    if progress is None:
        progress = _stderr_progress if scenario.scale >= PROGRESS_SCALE else _quiet
    directory.mkdir(parents=True, exist_ok=True)
    with _locked(directory / ".lock"):
        _Generator(scenario, directory, progress).write(formats)
    return files


def is_cached(scenario: Scenario, format_names: Iterable[str], directory: Path) -> bool:
    """Whether ``directory`` already holds every file of ``scenario`` in these
    formats (what ``materialize`` would find and return at once)."""
    return _complete(ScenarioFiles(scenario, get_format(n), directory) for n in format_names)


def _complete(files: Iterable[ScenarioFiles]) -> bool:
    return all(p.exists() for sf in files for p in sf.data_files())


class _Generator:
    """Writes missing files in dependency order (usdc from usda, usdz from
    usdc), generating the property table at most once."""

    def __init__(self, scenario: Scenario, directory: Path, progress: Progress):
        self.scenario, self.directory, self.progress = scenario, directory, progress
        self._table = None

    @property
    def table(self):
        if self._table is None:
            with self._step("property table"):
                self._table = self.scenario.property_table()
        return self._table

    def write(self, formats: list[Format]) -> None:
        # Under the lock no other writer is active here: leftovers of a killed
        # generation are garbage.
        for stale in self.directory.glob(".*.partial*"):
            stale.unlink(missing_ok=True)
        self._file(BASE_FILENAME, lambda p: writers.write_text(p, self.scenario.base_layer_text()))
        for fmt in formats:
            self._props(fmt)
            self._file(
                fmt.root_filename,
                lambda p, fmt=fmt: writers.write_text(
                    p, writers.root_layer_text(fmt.props_filename, BASE_FILENAME)
                ),
            )

    def _props(self, fmt: Format) -> Path:
        if fmt.is_parquet:
            return self._file(
                fmt.props_filename,
                lambda p: writers.write_parquet(
                    self.scenario.parquet_table(self.table),
                    fmt,
                    p,
                    row_group_size=self.scenario.row_group_rows(fmt.row_group_size),
                ),
            )
        if fmt.extension == "usda":
            return self._file(fmt.props_filename, lambda p: writers.write_usda_props(self.table, p))
        if fmt.extension == "usdc":
            usda = self._props(get_format("usda"))
            return self._file(fmt.props_filename, lambda p: writers.write_usdc_props(usda, p))
        usdc = self._props(get_format("usdc"))
        return self._file(fmt.props_filename, lambda p: writers.write_usdz_props(usdc, p))

    def _file(self, name: str, write: Callable[[Path], None]) -> Path:
        path = self.directory / name
        if not path.exists():
            with self._step(name):
                write(path)
        return path

    @contextlib.contextmanager
    def _step(self, what: str) -> Iterator[None]:
        start = time.perf_counter()
        self.progress(f"{self.scenario.key}: {what} ...")
        yield
        self.progress(f"{self.scenario.key}: {what} done in {time.perf_counter() - start:.1f} s")


def _stderr_progress(message: str) -> None:
    print(f"usdbench: {message}", file=sys.stderr, flush=True)


def _quiet(message: str) -> None:
    pass


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive inter-process lock (no-op where fcntl is missing)."""
    try:
        import fcntl
    except ImportError:  # Windows: one generator at a time is the caller's duty
        yield
        return
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
