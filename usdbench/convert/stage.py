"""A layer and every layer it reaches (sublayers, references, payloads),
converted layer by layer into OUTDIR, all or nothing: the files are written
into a temporary folder beside OUTDIR, renamed to OUTDIR at the end, and
removed on any error."""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

from usdbench.convert.assets import OutputNames, resolves
from usdbench.convert.layer import convert_layer, open_copy
from usdbench.convert.report import ConvertReport
from usdbench.errors import UsdBenchError

SOURCE_SUFFIXES = (".usda", ".usdc", ".usdz", ".usd")
RESIDUAL_FORMATS = ("usda", "usdc")


def check_source(source: Path) -> None:
    """A clear error for a source that is missing, not a file, unreadable or
    not a USD layer, before anything is written."""
    if not source.exists():
        raise UsdBenchError("no such file", file=str(source))
    if not source.is_file():
        raise UsdBenchError("not a file", file=str(source))
    if source.suffix not in SOURCE_SUFFIXES:
        raise UsdBenchError(
            f"not a USD layer: expected one of {', '.join(SOURCE_SUFFIXES)}", file=str(source)
        )
    try:
        with source.open("rb") as f:
            f.read(1)
    except OSError as error:
        raise UsdBenchError(f"cannot read it: {error.strerror}", file=str(source)) from None


def check_outdir(outdir: Path) -> None:
    if outdir.exists() and (not outdir.is_dir() or any(outdir.iterdir())):
        raise UsdBenchError(
            "the output folder exists and is not empty (convert never overwrites)",
            file=str(outdir),
        )


def convert(
    source,
    outdir,
    *,
    residual_format: str = "usda",
    progress: Callable[[str], None] | None = None,
) -> ConvertReport:
    """Convert the layer ``source`` (usda, usdc, usdz or .usd) and every layer
    it reaches into ``outdir``: open ``report.root`` where ``source`` was
    opened, and the composed stage is the same. Bad input raises
    UsdBenchError naming the file, with nothing left behind."""
    start = time.perf_counter()
    source, outdir = Path(source), Path(outdir)
    check_source(source)
    check_outdir(outdir)
    if residual_format not in RESIDUAL_FORMATS:
        raise UsdBenchError(f"residual_format must be one of {RESIDUAL_FORMATS}")
    made = _missing_parents(outdir)
    tmp = outdir.parent / f".{outdir.name}.{os.getpid()}.partial"
    try:
        outdir.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        report = _convert_all(source, outdir, tmp, residual_format, progress)
        if outdir.exists():
            outdir.rmdir()  # empty (checked): replaced by the finished folder
        os.replace(tmp, outdir)
    except BaseException as error:
        shutil.rmtree(tmp, ignore_errors=True)
        for folder in reversed(made):
            with contextlib.suppress(OSError):
                folder.rmdir()
        if isinstance(error, OSError):  # a folder or file convert could not write
            where = error.filename or outdir
            raise UsdBenchError(f"cannot write: {error.strerror}", file=str(where)) from None
        raise
    report.seconds = time.perf_counter() - start
    return report


def _missing_parents(path: Path) -> list[Path]:
    """The ancestors of ``path`` that do not exist yet, outermost first."""
    missing = []
    for parent in path.absolute().parents:
        if parent.exists():
            break
        missing.append(parent)
    return missing[::-1]


def _convert_all(source, outdir, tmp, residual_format, progress) -> ConvertReport:
    identifier = str(source.resolve())
    names = OutputNames(identifier)
    report = ConvertReport(source=source, outdir=outdir)
    queue = deque([(identifier, None)])
    seen = {identifier}
    unresolved: list[tuple[str, str]] = []
    while queue:
        current, referenced_by = queue.popleft()
        if progress:
            progress(f"converting {current}")
        layer = open_copy(current, referenced_by)
        layer_report, reached = convert_layer(current, layer, names, tmp, outdir, residual_format)
        del layer
        report.layers.append(layer_report)
        for target in reached:
            if target in seen:
                continue
            seen.add(target)
            if not resolves(target):
                unresolved.append((target, current))
                continue
            queue.append((target, current))
    if unresolved:
        listed = "; ".join(f"{asset} (in {by})" for asset, by in unresolved)
        raise UsdBenchError(
            f"{len(unresolved)} asset path(s) do not resolve: {listed}", file=str(source)
        )
    return report
