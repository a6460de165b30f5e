"""What a conversion did, as data (``to_dict``, JSON-able) and as the
command's text: per layer, the values and bytes moved to Parquet, the files
written, and what stayed in USD and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from usdbench.convert.tables import TableFile


@dataclass
class LayerReport:
    source: str  # the layer's identifier (a file, or pkg.usdz[inner])
    root: Path  # the converted layer: open this where the source was used
    residual: Path | None  # None: nothing stayed in USD, no residual layer written
    tables: list[TableFile]
    stayed_values: dict  # reason -> values left in USD
    stayed_bytes: dict  # reason -> their data bytes
    stayed_examples: dict  # reason -> a few attribute paths
    residual_counts: dict  # prims, relationships, attribute specs kept, variant sets
    source_bytes: int | None  # the source file's size (None inside a package)
    residual_bytes: int = 0
    root_bytes: int = 0

    @property
    def moved_values(self) -> int:
        return sum(t.values for t in self.tables)

    @property
    def moved_bytes(self) -> int:
        return sum(t.value_bytes for t in self.tables)

    @property
    def parquet_bytes(self) -> int:
        return sum(t.file_bytes for t in self.tables)

    def moved(self, kind: str) -> int:
        """Values of one table kind moved: ``defaults`` or ``series`` (time samples)."""
        return sum(t.values for t in self.tables if t.kind == kind)

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "root": str(self.root),
            "residual": str(self.residual) if self.residual else None,
            "source_bytes": self.source_bytes,
            "residual_bytes": self.residual_bytes,
            "root_bytes": self.root_bytes,
            "moved": {
                "values": self.moved_values,
                "defaults": self.moved("defaults"),
                "time_samples": self.moved("series"),
                "value_bytes": self.moved_bytes,
                "parquet_bytes": self.parquet_bytes,
            },
            "tables": [
                {
                    "path": str(t.path),
                    "kind": t.kind,
                    "rows": t.rows,
                    "columns": t.columns,
                    "values": t.values,
                    "value_bytes": t.value_bytes,
                    "file_bytes": t.file_bytes,
                }
                for t in self.tables
            ],
            "stayed": {
                reason: {
                    "values": count,
                    "value_bytes": self.stayed_bytes.get(reason, 0),
                    "examples": self.stayed_examples.get(reason, []),
                }
                for reason, count in self.stayed_values.items()
            },
            "residual_holds": dict(self.residual_counts),
        }


@dataclass
class ConvertReport:
    source: Path
    outdir: Path
    layers: list[LayerReport] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def root(self) -> Path:
        """The converted root layer, OUTDIR/<source stem>.usda."""
        return self.layers[0].root

    def to_dict(self) -> dict:
        stayed = sum(sum(layer.stayed_values.values()) for layer in self.layers)
        stayed_bytes = sum(sum(layer.stayed_bytes.values()) for layer in self.layers)
        return {
            "source": str(self.source),
            "outdir": str(self.outdir),
            "root": str(self.root),
            "seconds": round(self.seconds, 3),
            "moved_values": sum(layer.moved_values for layer in self.layers),
            "moved_value_bytes": sum(layer.moved_bytes for layer in self.layers),
            "parquet_bytes": sum(layer.parquet_bytes for layer in self.layers),
            "stayed_values": stayed,
            "stayed_value_bytes": stayed_bytes,
            "layers": [layer.to_dict() for layer in self.layers],
        }

    def text(self) -> str:
        lines = []
        for layer in self.layers:
            total = layer.moved_values + sum(layer.stayed_values.values())
            share = f" ({100 * layer.moved_values / total:.1f}% of its values)" if total else ""
            lines.append(f"{layer.source} -> {layer.root}")
            lines.append(
                f"  to Parquet: {layer.moved('defaults'):,} defaults and "
                f"{layer.moved('series'):,} time samples{share}, "
                f"{layer.moved_bytes:,} B of values in {layer.parquet_bytes:,} B of files"
            )
            for t in layer.tables:
                lines.append(
                    f"    {t.path.name}: {t.rows:,} rows x {t.columns} columns, "
                    f"{t.values:,} values, {t.file_bytes:,} B"
                )
            held = ", ".join(f"{n:,} {what}" for what, n in layer.residual_counts.items() if n)
            if layer.residual is None:
                lines.append(
                    "  stays in USD: nothing, no residual layer" + (f" ({held})" if held else "")
                )
            else:
                lines.append(
                    f"  stays in USD ({layer.residual.name}, {layer.residual_bytes:,} B): {held}"
                )
            for reason, count in sorted(layer.stayed_values.items(), key=lambda kv: -kv[1]):
                example = ", ".join(layer.stayed_examples.get(reason, []))
                lines.append(
                    f"    {count:,} values ({layer.stayed_bytes.get(reason, 0):,} B): {reason}"
                    + (f"; e.g. {example}" if example else "")
                )
        lines.append(
            f"{len(self.layers)} layer(s) converted into {self.outdir} in {self.seconds:.1f} s; "
            f"open {self.root}"
        )
        return "\n".join(lines)

    __str__ = text
