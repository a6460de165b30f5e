// A Parquet file opened for reading: its footer (schema, row groups,
// statistics) at once, a column's values one row group at a time on demand.
#ifndef USDPARQUET_PARQUET_TABLE_H
#define USDPARQUET_PARQUET_TABLE_H

#include "block.h"

#include <arrow/type.h>
#include <parquet/arrow/reader.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace usdparquet {

class ParquetTable {
public:
    // Reads the footer only. Throws ParquetError naming ``path`` if the file
    // cannot be opened or is not Parquet.
    explicit ParquetTable(const std::string& path);

    const std::string& Path() const { return _path; }
    const arrow::Schema& Schema() const { return *_schema; }
    int NumRowGroups() const { return static_cast<int>(_starts.size()) - 1; }
    int64_t NumRows() const { return _starts.back(); }
    int64_t RowGroupStart(int rowGroup) const { return _starts[rowGroup]; }
    int64_t RowGroupRows(int rowGroup) const
    {
        return _starts[rowGroup + 1] - _starts[rowGroup];
    }

    // The row group holding file row ``row`` and the row's index in it.
    std::pair<int, int64_t> Locate(int64_t row) const;

    // The recorded [min, max] of a top-level string field in a row group,
    // if the writer stored statistics.
    std::optional<std::pair<std::string, std::string>>
    StringRange(int rowGroup, int field) const;

    // The decoded values of top-level ``field`` in ``rowGroup``. Safe to call
    // from several threads (reads are serialised: Arrow's reader is not
    // thread-safe). Throws ParquetError if the data cannot be read.
    std::shared_ptr<const Block> ReadBlock(int field, int rowGroup) const;

private:
    std::string _path;
    std::unique_ptr<parquet::arrow::FileReader> _reader;
    std::shared_ptr<arrow::Schema> _schema;
    std::vector<int64_t> _starts; // first row of each row group, then the total
    mutable std::mutex _mutex;
};

} // namespace usdparquet

#endif
