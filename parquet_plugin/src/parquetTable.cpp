#include "parquetTable.h"

#include "parquetError.h"

#include <arrow/memory_pool.h>
#include <parquet/arrow/schema.h>
#include <parquet/exception.h>
#include <parquet/metadata.h>
#include <parquet/properties.h>
#include <parquet/statistics.h>

#include <algorithm>

namespace usdparquet {

namespace {

std::string
Describe(const arrow::Status& status)
{
    return status.message().empty() ? status.ToString() : status.message();
}

} // namespace

ParquetTable::ParquetTable(const std::string& path) : _path(path)
{
    try {
        parquet::arrow::FileReaderBuilder builder;
        arrow::Status status = builder.OpenFile(path, /*memory_map=*/false);
        if (!status.ok()) {
            throw ParquetError(path, "not a readable Parquet file (" +
                                         Describe(status) + ")");
        }
        // One column of one row group at a time, read on the calling
        // thread, nothing buffered ahead: memory follows what is asked for.
        parquet::ArrowReaderProperties properties;
        properties.set_use_threads(false);
        properties.set_pre_buffer(false);
        builder.memory_pool(arrow::default_memory_pool());
        builder.properties(properties);
        status = builder.Build(&_reader);
        if (status.ok()) {
            status = _reader->GetSchema(&_schema);
        }
        if (!status.ok()) {
            throw ParquetError(path, "not a readable Parquet file (" +
                                         Describe(status) + ")");
        }
        const auto metadata = _reader->parquet_reader()->metadata();
        _starts.push_back(0);
        for (int g = 0; g < metadata->num_row_groups(); ++g) {
            _starts.push_back(_starts.back() + metadata->RowGroup(g)->num_rows());
        }
    } catch (const ParquetError&) {
        throw;
    } catch (const std::exception& error) {
        throw ParquetError(path, std::string("not a readable Parquet file (") +
                                     error.what() + ")");
    }
}

std::pair<int, int64_t>
ParquetTable::Locate(int64_t row) const
{
    const auto it = std::upper_bound(_starts.begin(), _starts.end(), row);
    const int group = static_cast<int>(it - _starts.begin()) - 1;
    return {group, row - _starts[group]};
}

std::optional<std::pair<std::string, std::string>>
ParquetTable::StringRange(int rowGroup, int field) const
{
    std::lock_guard<std::mutex> lock(_mutex);
    try {
        const auto& fields = _reader->manifest().schema_fields;
        if (field < 0 || field >= static_cast<int>(fields.size()) ||
            !fields[field].is_leaf()) {
            return std::nullopt;
        }
        const auto metadata = _reader->parquet_reader()->metadata();
        const auto chunk =
            metadata->RowGroup(rowGroup)->ColumnChunk(fields[field].column_index);
        if (!chunk->is_stats_set()) {
            return std::nullopt;
        }
        const auto stats = chunk->statistics();
        if (!stats || !stats->HasMinMax() ||
            stats->physical_type() != parquet::Type::BYTE_ARRAY) {
            return std::nullopt;
        }
        return std::make_pair(stats->EncodeMin(), stats->EncodeMax());
    } catch (const std::exception&) {
        return std::nullopt; // no usable statistics: the row group is read
    }
}

std::shared_ptr<const Block>
ParquetTable::ReadBlock(int field, int rowGroup) const
{
    std::lock_guard<std::mutex> lock(_mutex);
    std::shared_ptr<arrow::ChunkedArray> values;
    arrow::Status status;
    try {
        status = _reader->RowGroup(rowGroup)->Column(field)->Read(&values);
    } catch (const std::exception& error) {
        status = arrow::Status::IOError(error.what());
    }
    if (!status.ok() || !values) {
        throw ParquetError(_path, "cannot read the Parquet data of row group " +
                                      std::to_string(rowGroup) + " (" +
                                      Describe(status) + ")",
                           -1, _schema->field(field)->name());
    }
    if (values->length() != RowGroupRows(rowGroup)) {
        throw ParquetError(_path, "row group " + std::to_string(rowGroup) +
                                      " holds " + std::to_string(values->length()) +
                                      " values, its metadata says " +
                                      std::to_string(RowGroupRows(rowGroup)),
                           -1, _schema->field(field)->name());
    }
    return std::make_shared<const Block>(*values);
}

} // namespace usdparquet
