"""Bytes on disk of the property layer in each format."""

from usdbench import workloads

from .common import _ScenarioBenchmark


class FileSize(_ScenarioBenchmark):
    def track_file_bytes(self, fmt, scale, hierarchy):
        """Size of the property layer file (the base scene is shared by all formats)."""
        return workloads.file_size(self.files)

    track_file_bytes.unit = "bytes"
