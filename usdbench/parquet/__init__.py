"""The Python Parquet loader: a Parquet property table as USD layers.

Schema (the convention of the public C++ Parquet plugin): one row per prim, a
``path`` column of absolute prim paths and one column per property, named as
the attribute, whose Arrow type gives the USD type (``usd_type_name``, from
the type table ``usdbench/arrow_usd_types.json``). Each row becomes an
``over`` prim (ancestors included) carrying its non-null values as attribute
defaults; a null is no opinion.

Why it is fast: the table is rendered to usda text by vectorised pyarrow
compute (no Python step per row or value), written to a file in /dev/shm and
parsed by USD's text parser, which builds specs several times cheaper than
the Sdf API or ``ImportFromString`` (docs/measurements.md, "The Python
loader"); and the parse releases the GIL, so the parts of a large table parse
in parallel threads (``load_layers``).

One module per job: ``type_table`` (Arrow -> USD types), ``schema`` (names,
types and paths checked), ``read`` (the file, projected), ``prepared`` (values
checked, rows sorted, the prim tree), ``render`` (usda text), ``scratch``
(the files the text goes through) and ``parse`` (parts parsed in threads);
``loader`` chains them. Names are imported on first use (usdbench.lazy), so
that the usda writer imports the renderer without the loader.
"""

from usdbench.lazy import exports

__getattr__, __all__ = exports(
    __name__,
    {
        "PATH_COLUMN": "usdbench.parquet.schema",
        "load_layer": "usdbench.parquet.loader",
        "load_layers": "usdbench.parquet.loader",
        "read_table": "usdbench.parquet.read",
        "table_to_usda": "usdbench.parquet.render",
        "usd_type_name": "usdbench.parquet.type_table",
    },
)
