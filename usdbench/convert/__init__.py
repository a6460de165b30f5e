"""``usdbench convert``: any USD layer to Parquet, lossless in composition.

``convert(source, outdir)`` writes each layer's attribute values (defaults
and time samples, every type the type table holds, roles by ``usd:typeName``)
into Parquet tables, everything else into a small residual USD layer, and a
root layer, OUTDIR/<source stem>.usda, stacking them so that the composed
stage is the same; the layers it reaches convert the same way, with arcs
rewritten. ``restore_layer(root)`` rebuilds one USD layer from them. How to
use it: docs/convert.md.

One module per job: ``columns`` (USD types and values as Arrow), ``split``
(a layer's values out, the residual left), ``tables`` (the Parquet files),
``prune`` (the residual's prim specs the tables give alone, left out),
``assets`` (the layers reached, output names, arcs rewritten), ``layer`` (one
layer), ``stage`` (all of them, atomically), ``report`` and ``restore``.
"""

from usdbench.lazy import exports

__getattr__, __all__ = exports(
    __name__,
    {
        "convert": "usdbench.convert.stage",
        "restore_layer": "usdbench.convert.restore",
        "ConvertReport": "usdbench.convert.report",
        "LayerReport": "usdbench.convert.report",
    },
)
