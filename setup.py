"""Builds the native Parquet file format plugin (parquet_plugin/) into
usdbench/_native/ as part of every install: `pip install .`, `pip install -e .`
and asv's per-commit wheel. Where it cannot be built (no compiler, no CMake,
another platform, a usd-core without C++ headers), the install still
succeeds: usdbench/_native/unavailable.txt records why, and usdbench uses
its Python Parquet loader. Everything else is in pyproject.toml."""

import importlib.util
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent
PLUGIN = "usdbench._native.libusdParquet"


def _builder():
    spec = importlib.util.spec_from_file_location(
        "_usdparquet_build", HERE / "parquet_plugin" / "build.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


class BuildNativePlugin(build_ext):
    """CMake builds the plugin; setuptools only places it in the package."""

    def get_ext_filename(self, fullname):
        if fullname == PLUGIN:
            return str(Path(*fullname.split(".")[:-1], "libusdParquet.so"))
        return super().get_ext_filename(fullname)

    def build_extension(self, ext):
        if ext.name != PLUGIN:
            return super().build_extension(ext)
        builder = _builder()
        if self.inplace or getattr(self, "editable_mode", False):
            # Editable install: straight into the source tree, built where
            # `python parquet_plugin/build.py` builds, so later rebuilds are
            # incremental.
            dest, build_dir = HERE / "usdbench" / "_native", HERE / "build" / "native"
        else:
            dest = Path(self.get_ext_fullpath(ext.name)).parent
            build_dir = Path(self.build_temp) / "native"
        try:
            builder.build(dest, build_dir, log=sys.stderr)
        except builder.Unavailable as why:
            builder.record_unavailable(dest, str(why))
            print(f"WARNING: native Parquet plugin not built: {why}", file=sys.stderr)
        except (subprocess.CalledProcessError, OSError) as error:
            builder.record_unavailable(dest, f"the build failed ({error}); see the install log")
            print(f"WARNING: native Parquet plugin build failed: {error}", file=sys.stderr)

    def copy_extensions_to_source(self):
        # Editable installs: the plugin was built in the source tree already.
        pass

    def get_outputs(self):
        # An unbuilt plugin has no file to install (its reason file is data).
        return [p for p in super().get_outputs() if Path(p).exists()]


setup(
    ext_modules=[Extension(PLUGIN, sources=[])],
    cmdclass={"build_ext": BuildNativePlugin},
)
