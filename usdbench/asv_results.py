"""asv's configuration and result files, read as the JSON they are.

asv is a development tool (the `dev` extra), so the report, the gate and the
timelines do not import it; this module reads the files asv documents and
writes, for all three:

- ``asv.conf.json``: JSON with ``//`` and ``/* */`` comments (asv parses it
  as JSON5); ``results_dir`` and ``html_dir`` default to "results" and
  "html", relative to the file;
- ``<results>/benchmarks.json`` (version 2): benchmark name -> its type,
  unit, ``params`` and ``param_names``;
- ``<results>/<machine>/machine.json``: the machine's description;
- ``<results>/<machine>/<commit8>-<env>.json`` (version 2): the commit, its
  date, the environment, and per benchmark one row of ``result_columns``
  ("result", "params", "started_at", "stats_q_25", ...). A parameterised
  result lists one value per combination of ``params``, first parameter
  slowest; a skipped combination is NaN, a failed one null.

Beside them, usdbench keeps ``<results>/<machine>/protocol/<commit8>.json.gz``:
the memory protocol a commit's memory figures were measured under
(benchmarks/protocol.py's ``record()``). asv's result files cannot carry
it (asv rewrites them with its own fields only), and a benchmark's
``version`` would also hide the older figures from asv's history graphs.
"""

from __future__ import annotations

import itertools
import json
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

from usdbench import gzjson
from usdbench.errors import UsdBenchError

# The file format versions this reader knows (asv 0.5 and later).
RESULTS_VERSION = 2
BENCHMARKS_VERSION = 2
NOT_RESULTS = {"machine.json", "benchmarks.json"}
# A string, or a comment, or a comma that only a closing bracket follows.
_JSON5_EXTRAS = re.compile(r'("(?:\\.|[^"\\])*")|//[^\n]*|/\*.*?\*/|,(?=\s*[\]}])', re.S)


def _read_json(path: Path, comments: bool = False):
    try:
        text = path.read_text(encoding="utf-8")
        if comments:
            text = _JSON5_EXTRAS.sub(lambda m: m.group(1) or "", text)
        return json.loads(text)
    except (OSError, ValueError) as err:
        raise UsdBenchError(f"cannot read {path}: {err}") from err


def _versioned(path: Path, version: int) -> dict:
    data = _read_json(path)
    if not isinstance(data, dict) or data.get("version") != version:
        found = data.get("version") if isinstance(data, dict) else None
        raise UsdBenchError(f"{path}: asv file format {found!r}, this reader knows {version}")
    return {k: v for k, v in data.items() if k != "version"}


def read_config(config_path: Path) -> tuple[Path, Path]:
    """(results directory, html directory) of an asv config file."""
    if not config_path.is_file():
        raise UsdBenchError(f"asv config {config_path} not found")
    config = _read_json(config_path, comments=True)
    if not isinstance(config, dict):
        raise UsdBenchError(f"cannot read asv config {config_path}: not a JSON object")
    # asv resolves its directories relative to the config file.
    base = config_path.resolve().parent
    return base / config.get("results_dir", "results"), base / config.get("html_dir", "html")


def read_benchmarks(results_dir: Path) -> dict[str, dict]:
    """benchmarks.json: what asv discovered, by benchmark name."""
    path = results_dir / "benchmarks.json"
    if not path.is_file():
        raise UsdBenchError(f"{path} missing: run `asv run` (or `asv run --bench just-discover`)")
    data = _versioned(path, BENCHMARKS_VERSION)
    return {name: b for name, b in data.items() if isinstance(b, dict)}


def machines(results_dir: Path) -> list[str]:
    """The machines with a folder of results."""
    if not results_dir.is_dir():
        return []
    return sorted(p.parent.name for p in results_dir.glob("*/machine.json"))


def read_machine(results_dir: Path, machine: str) -> dict:
    try:
        return json.loads((results_dir / machine / "machine.json").read_text())
    except (OSError, ValueError):
        return {}


@dataclass(frozen=True)
class ResultFile:
    """One results file: one commit, one environment, one machine."""

    path: Path
    machine: str | None  # as the file records it
    commit_hash: str
    env_name: str
    date: int | None  # the commit's date, ms since the epoch
    columns: list[str]
    rows: dict[str, list]  # benchmark -> one value per column (trailing ones may be left out)

    @classmethod
    def read(cls, path: Path) -> ResultFile:
        data = _versioned(path, RESULTS_VERSION)
        try:
            return cls(
                path=path,
                machine=(data.get("params") or {}).get("machine"),
                commit_hash=data["commit_hash"],
                env_name=data["env_name"],
                date=data.get("date"),
                columns=list(data["result_columns"]),
                rows={name: list(row) for name, row in data["results"].items()},
            )
        except (KeyError, TypeError) as err:
            raise UsdBenchError(f"{path}: not an asv results file (missing {err})") from err

    def column(self, name: str, column: str):
        """One benchmark's value in one column, None where the row has none."""
        if column not in self.columns:
            return None
        row, i = self.rows[name], self.columns.index(column)
        return row[i] if i < len(row) else None

    def combinations(self, name: str) -> list[tuple]:
        """The benchmark's parameter combinations (asv's repr strings), in its order."""
        return list(itertools.product(*(self.column(name, "params") or [])))

    def per_combination(self, name: str, column: str) -> list:
        """One value of ``column`` per parameter combination; all None where
        asv recorded none (a whole run that failed records null)."""
        count = len(self.combinations(name))
        values = self.column(name, column) or [None] * count
        if len(values) != count:
            raise UsdBenchError(
                f"{self.path}: {name} has {len(values)} {column} values for {count} "
                "parameter combinations"
            )
        return values

    def newest_first_key(self) -> tuple[int, int]:
        """Sorts results by commit date, then by when they were measured."""
        started = (self.column(name, "started_at") for name in self.rows)
        return (self.date or 0, max((t for t in started if t), default=0))


def figure_key(benchmark: str, combo: tuple[str, ...]) -> str:
    """asv's own name of one parameter combination (its repr strings):
    "load.InitialLoad.track_peak_bytes('usda', 1000)"."""
    return f"{benchmark}({', '.join(combo)})" if combo else benchmark


def commit_results(results: list[ResultFile], commit: str) -> list[ResultFile]:
    """The results of the one commit whose hash starts with ``commit`` ([]
    if none); UsdBenchError if the prefix names several commits."""
    wanted = commit.strip().lower()
    found = [r for r in results if r.commit_hash.startswith(wanted)]
    hashes = sorted({r.commit_hash for r in found})
    if len(hashes) > 1:
        raise UsdBenchError(f"commit prefix {commit!r} is ambiguous: {', '.join(hashes)}")
    return found


def result_files(results_dir: Path, machine: str) -> list[ResultFile]:
    """Every results file of a machine. A file asv would not load (another
    format version, another machine's) is skipped with a warning, as asv does."""
    found = []
    folder = results_dir / machine
    for path in sorted(folder.glob("*.json")):
        if path.name in NOT_RESULTS:
            continue
        try:
            result = ResultFile.read(path)
        except UsdBenchError as err:
            warnings.warn(f"skipping {err}", stacklevel=2)
            continue
        if result.machine != machine:
            warnings.warn(f"skipping {path}: machine is {result.machine!r}", stacklevel=2)
            continue
        found.append(result)
    return found


# -- the memory protocol recorded beside a machine's results --------------------
PROTOCOL_DIR = "protocol"
PROTOCOL_FILE_VERSION = 1
# Fields of a record that say when and how it was taken, not what was measured.
_PROTOCOL_META = {"recorded_at", "assumed", "earlier", "note"}


def protocol_path(results_dir: Path, machine: str, commit: str) -> Path:
    return Path(results_dir) / machine / PROTOCOL_DIR / f"{commit[:8]}.json.gz"


def read_protocol(results_dir: Path, machine: str, commit: str) -> dict | None:
    """The protocol a commit's memory figures were measured under on the
    machine, None where none was recorded; UsdBenchError if unreadable."""
    path = protocol_path(results_dir, machine, commit)
    if not path.exists():
        return None
    data = gzjson.read(path, "a memory protocol record")
    if not isinstance(data, dict) or data.get("version") != PROTOCOL_FILE_VERSION:
        raise UsdBenchError("not a memory protocol record of this version", file=path)
    record = data.get("record")
    if not isinstance(record, dict) or "protocol" not in record:
        raise UsdBenchError("memory protocol record without its 'record'", file=path)
    return record


def write_protocol(
    results_dir: Path, machine: str, commit: str, record: dict, replace: bool = False
) -> Path:
    """Record the protocol of a run of ``commit``. A run under another
    protocol than an earlier one of the commit keeps the earlier record in
    "earlier": its figures then mix protocols (asv merges runs' figures);
    ``replace``: the run measured all of them again, forget the earlier."""
    import datetime

    path = protocol_path(results_dir, machine, commit)
    record = dict(record)
    record["recorded_at"] = datetime.datetime.now(datetime.timezone.utc).isoformat(
        timespec="seconds"
    )
    old = None if replace else read_protocol(results_dir, machine, commit)
    if old is not None:
        earlier = old.pop("earlier", [])
        if protocol_differences(old, record):
            earlier.append(old)
        if earlier:
            record["earlier"] = earlier
    gzjson.write(path, {"version": PROTOCOL_FILE_VERSION, "record": record}, indent=1)
    return path


def protocol_differences(a: dict | None, b: dict | None) -> list[str]:
    """What two protocol records disagree on ("field: A against B"); none
    when either is unknown (None). A record with "earlier" records disagrees
    with every other one: its figures were taken under several."""
    if a is None or b is None:
        return []
    out = []
    for name, record in (("first", a), ("second", b)):
        if record.get("earlier"):
            out.append(f"the {name} commit's figures were measured under several protocols")
    for key in sorted((set(a) | set(b)) - _PROTOCOL_META):
        if a.get(key) != b.get(key):
            out.append(f"{key}: {a.get(key)!r} against {b.get(key)!r}")
    return out


def protocol_text(record: dict | None) -> str:
    """One line for a reader: "protocol 1: memory figures on 1 thread, ..."."""
    if record is None:
        return "not recorded"
    threads = record.get("memory_figures_threads")
    where = "USD's and Arrow's default threads" if threads == "default" else f"{threads} thread(s)"
    text = f"protocol {record.get('protocol')}: memory figures on {where}"
    if record.get("arrow_pool"):
        text += f", Arrow pool {record['arrow_pool']}"
    if record.get("pyarrow_pool_memory_figures"):
        text += f" (pyarrow's {record['pyarrow_pool_memory_figures']} while measuring)"
    if record.get("malloc_mmap_threshold"):
        text += f", glibc mmap threshold {record['malloc_mmap_threshold']}"
    if record.get("delta_after"):
        text += f", delta read after {record['delta_after']}"
    if record.get("library_code"):
        text += f", library code {record['library_code']}"
    if record.get("peak"):
        text += f", peak from the {record['peak']}"
    if record.get("data_files"):
        text += f", data files {record['data_files']}"
    if record.get("address_space"):
        text += f", addresses {record['address_space']}"
    if record.get("hash_seed"):
        text += f", hash seed {record['hash_seed']}"
    env = record.get("environment") or {}
    if env:
        text += ", " + " ".join(f"{k}={v}" for k, v in sorted(env.items()))
    if record.get("assumed"):
        text += " (assumed: recorded after the runs)"
    if record.get("earlier"):
        text += f" (and {len(record['earlier'])} other protocol(s) in earlier runs)"
    return text
