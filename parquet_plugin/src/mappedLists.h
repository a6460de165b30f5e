// List columns of fixed-width numbers (list<float|double|int32|int64>, or
// list<fixed_size_list<number>[n]>) stored in uncompressed PLAIN pages
// without nulls, read with no copy of their values: the block's child
// arrays are slices of the memory-mapped asset (the page's value bytes),
// only the list offsets are built, from the pages' repetition and
// definition levels. Crate's way for usdc: the VtArrays handed out are
// foreign data over the mapping (ArrowArraySource holds the slice, the
// slice holds the asset's buffer, the buffer keeps the mapping alive), so
// the values are file-backed memory, not anonymous.
//
// Anything else (a compressed or dictionary-encoded chunk, a page that is
// not PLAIN, a null or empty list or a null element, a list split across
// two pages, an asset that is not mapped) is declined: the caller reads the
// block the usual way (Arrow's decoder), which also reports damaged data.
#ifndef USDPARQUET_MAPPED_LISTS_H
#define USDPARQUET_MAPPED_LISTS_H

#include "block.h"

#include <arrow/buffer.h>
#include <arrow/type.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>

#include <cstdint>
#include <memory>

namespace usdparquet {

class MappedLists {
public:
    // ``mapping``: the whole asset's bytes (what the file reader's reads
    // are slices of); ``leaf``: the Parquet leaf column of the top-level
    // field of Arrow type ``type``.
    MappedLists(parquet::ParquetFileReader& file, std::shared_ptr<arrow::Buffer> mapping,
                std::shared_ptr<arrow::DataType> type, int leaf);

    // Whether the column's types and levels fit (a list of numbers, or of
    // fixed_size_lists of them).
    bool Fits() const { return _fits; }
    // Whether the footer allows reading ``rowGroup``'s chunk this way: the
    // type fits, the chunk is uncompressed, has no dictionary page and only
    // PLAIN values (RLE levels), and is not encrypted.
    bool Applies(int rowGroup) const;

    // Rows [first, first + rows) of ``rowGroup`` (rows < 0: the whole
    // group) over the mapping, or null where the pages do not allow it
    // (then nothing is wrong with the file as far as this reader knows: the
    // usual reader decides). The block's MappedBytes() are the values'.
    std::shared_ptr<const Block> Read(int rowGroup, int64_t first = 0, int64_t rows = -1) const;

    // Whether the environment allows it (USDPARQUET_MAP_ARRAYS, on by
    // default).
    static bool Enabled();

private:
    parquet::ParquetFileReader& _file; // owned by the table, which owns this
    std::shared_ptr<arrow::Buffer> _mapping;
    std::shared_ptr<arrow::DataType> _type;  // the list type
    std::shared_ptr<arrow::DataType> _inner; // the list's value type
    std::shared_ptr<arrow::DataType> _scalar;
    int _leaf = -1;
    int _dimension = 0; // values per fixed_size_list; 0: a flat list
    int _width = 0;     // bytes per scalar
    bool _large = false;
    bool _fits = false; // the types and levels fit
};

} // namespace usdparquet

#endif
