"""Arrow array helpers shared by the reader, the checks and the renderer."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def bools(mask) -> np.ndarray:
    """A boolean Arrow array (nulls as False) as numpy. Arrow's own to_numpy
    of booleans goes through pandas, whose import costs ~0.3 s."""
    if isinstance(mask, pa.ChunkedArray):
        mask = mask.combine_chunks()
    return pc.fill_null(mask, False).cast(pa.uint8()).to_numpy(zero_copy_only=True).view(bool)


def plain(column) -> pa.Array:
    """One contiguous, non-dictionary array (rendering needs raw buffers)."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_dictionary(array.type):
        if _is_string_view(array.type.value_type):
            # Arrow has no take kernel for string_view: decode through string.
            array = pa.DictionaryArray.from_arrays(
                array.indices, array.dictionary.cast(pa.string())
            )
        array = array.dictionary_decode()
    return array


def _is_string_view(t: pa.DataType) -> bool:
    return hasattr(pa.types, "is_string_view") and pa.types.is_string_view(t)
