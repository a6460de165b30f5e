"""The files a layer's asset-valued attributes name (textures, caches),
copied beside the converted layer at the same relative path, so that the
converted stage finds them as the source did. Only relative paths that
resolve and stay inside OUTDIR are copied; the values themselves never
change (they are the authored paths)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path, PurePosixPath

from pxr import Ar, Sdf

from usdbench.convert.assets import anchor


def _relative(asset: str) -> bool:
    return (
        bool(asset)
        and not os.path.isabs(asset)
        and asset[0] not in "`@"
        and ("<UDIM>" not in asset and "://" not in asset)
    )


def copy_asset_files(
    assets: set, identifier: str, folder: PurePosixPath, tmp: Path, taken: set
) -> tuple[int, list[str]]:
    """Copy the files ``assets`` name (authored in the layer ``identifier``,
    converted into OUTDIR/``folder``) into ``tmp``, OUTDIR's stand-in;
    returns the number copied and the paths that did not resolve."""
    copied, missing = 0, []
    for asset in sorted(assets):
        if not _relative(asset):
            continue
        target = PurePosixPath(os.path.normpath(str(folder / asset)))
        if target.parts[:1] == ("..",) or str(target) in taken:
            continue  # outside OUTDIR, or a converted layer's name
        source = anchor(asset, identifier)
        if not Ar.GetResolver().Resolve(source):
            missing.append(asset)
            continue
        destination = tmp / target
        if destination.exists():
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        if Ar.IsPackageRelativePath(source):
            package, inner = Ar.SplitPackageRelativePathOuter(source)
            data = Sdf.ZipFile.Open(package).GetFile(inner)
            if data is None:
                missing.append(asset)
                continue
            destination.write_bytes(bytes(data))
        else:
            shutil.copyfile(source, destination)
        copied += 1
    return copied, missing
