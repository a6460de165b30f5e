#include "parquetTable.h"

#include "assetFile.h"
#include "parquetError.h"

#include <pxr/trace/trace.h>
#include <pxr/tf/mallocTag.h>

#include <arrow/memory_pool.h>
#include <arrow/util/key_value_metadata.h>
#include <parquet/arrow/schema.h>
#include <parquet/column_reader.h>
#include <parquet/exception.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>
#include <parquet/properties.h>
#include <parquet/schema.h>
#include <parquet/statistics.h>

#include <algorithm>
#include <cstring>

using namespace pxr;

namespace usdparquet {

namespace {

std::string
Describe(const arrow::Status& status)
{
    return status.message().empty() ? status.ToString() : status.message();
}

// What a definition level says of a row (see ReadPresence).
enum Meaning : uint8_t { kAbsent, kFine, kNullElement };

template <class DType>
int64_t
ReadLevels(parquet::ColumnReader& reader, int64_t n, int16_t* def, int16_t* rep)
{
    using T = typename DType::c_type;
    // Scratch the values are decoded into and dropped: only levels are kept.
    thread_local std::unique_ptr<T[]> values;
    thread_local int64_t capacity = 0;
    if (capacity < n) {
        values = std::make_unique<T[]>(static_cast<size_t>(n));
        capacity = n;
    }
    int64_t valuesRead = 0;
    return static_cast<parquet::TypedColumnReader<DType>&>(reader).ReadBatch(
        n, def, rep, values.get(), &valuesRead);
}

int64_t
ReadLevels(parquet::ColumnReader& reader, int64_t n, int16_t* def, int16_t* rep)
{
    switch (reader.type()) {
    case parquet::Type::BOOLEAN: return ReadLevels<parquet::BooleanType>(reader, n, def, rep);
    case parquet::Type::INT32: return ReadLevels<parquet::Int32Type>(reader, n, def, rep);
    case parquet::Type::INT64: return ReadLevels<parquet::Int64Type>(reader, n, def, rep);
    case parquet::Type::INT96: return ReadLevels<parquet::Int96Type>(reader, n, def, rep);
    case parquet::Type::FLOAT: return ReadLevels<parquet::FloatType>(reader, n, def, rep);
    case parquet::Type::DOUBLE: return ReadLevels<parquet::DoubleType>(reader, n, def, rep);
    case parquet::Type::BYTE_ARRAY:
        return ReadLevels<parquet::ByteArrayType>(reader, n, def, rep);
    case parquet::Type::FIXED_LEN_BYTE_ARRAY:
        return ReadLevels<parquet::FLBAType>(reader, n, def, rep);
    default:
        throw parquet::ParquetException("unknown Parquet physical type");
    }
}

} // namespace

bool
ParquetTable::HasMagic(const char* bytes, size_t size)
{
    return size >= 4 && std::memcmp(bytes, "PAR1", 4) == 0;
}

ParquetTable::ParquetTable(const std::string& path) : _path(path)
{
    TRACE_FUNCTION();
    TfAutoMallocTag tag("usdParquet", "ParquetTable (footer)");
    _file = AssetFile::Open(path);
    try {
        parquet::arrow::FileReaderBuilder builder;
        arrow::Status status = builder.Open(_file);
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
            const int64_t rows = metadata->RowGroup(g)->num_rows();
            if (rows < 0) {
                throw ParquetError(path, "row group " + std::to_string(g) +
                                             " has a negative number of rows");
            }
            _starts.push_back(_starts.back() + rows);
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

std::optional<std::string>
ParquetTable::FileMetadata(const std::string& key) const
{
    const auto metadata = _reader->parquet_reader()->metadata()->key_value_metadata();
    if (!metadata) {
        return std::nullopt;
    }
    const int k = metadata->FindKey(key);
    if (k < 0) {
        return std::nullopt;
    }
    return metadata->value(k);
}

std::optional<std::string>
ParquetTable::FieldMetadata(int field, const std::string& key) const
{
    const auto& metadata = _schema->field(field)->metadata();
    if (!metadata) {
        return std::nullopt;
    }
    const int k = metadata->FindKey(key);
    if (k < 0) {
        return std::nullopt;
    }
    return metadata->value(k);
}

int
ParquetTable::_Leaf(int field) const
{
    const auto& fields = _reader->manifest().schema_fields;
    if (field < 0 || field >= static_cast<int>(fields.size())) {
        return -1;
    }
    const parquet::arrow::SchemaField* node = &fields[field];
    while (!node->is_leaf()) {
        if (node->children.size() != 1) {
            return -1;
        }
        node = &node->children.front();
    }
    return node->column_index;
}

std::optional<std::pair<std::string, std::string>>
ParquetTable::StringRange(int rowGroup, int field) const
{
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

Presence::State
ParquetTable::FooterPresence(int field, int rowGroup) const
{
    try {
        const auto& fields = _reader->manifest().schema_fields;
        if (field < 0 || field >= static_cast<int>(fields.size()) ||
            !fields[field].is_leaf()) {
            return Presence::State::Mixed; // nested: the levels say
        }
        const auto metadata = _reader->parquet_reader()->metadata();
        const int leaf = fields[field].column_index;
        const parquet::ColumnDescriptor* descr = metadata->schema()->Column(leaf);
        if (descr->max_repetition_level() != 0) {
            return Presence::State::Mixed;
        }
        if (descr->max_definition_level() == 0) {
            return Presence::State::All; // a required column
        }
        const auto chunk = metadata->RowGroup(rowGroup)->ColumnChunk(leaf);
        if (!chunk->is_stats_set() || chunk->num_values() != RowGroupRows(rowGroup)) {
            return Presence::State::Mixed;
        }
        const auto stats = chunk->statistics();
        if (!stats || !stats->HasNullCount()) {
            return Presence::State::Mixed;
        }
        if (stats->null_count() == 0) {
            return Presence::State::All;
        }
        if (stats->null_count() == RowGroupRows(rowGroup)) {
            return Presence::State::None;
        }
        return Presence::State::Mixed;
    } catch (const std::exception&) {
        return Presence::State::Mixed;
    }
}

size_t
ParquetTable::EstimatedBytes(int field, int rowGroup) const
{
    try {
        const int leaf = _Leaf(field);
        if (leaf < 0) {
            return 0;
        }
        const auto chunk =
            _reader->parquet_reader()->metadata()->RowGroup(rowGroup)->ColumnChunk(leaf);
        // The values, plus a validity bit and (lists) an offset per row.
        const int64_t bytes =
            chunk->total_uncompressed_size() + RowGroupRows(rowGroup) / 8 + 64;
        return bytes > 0 ? static_cast<size_t>(bytes) : 0;
    } catch (const std::exception&) {
        return 0;
    }
}

std::shared_ptr<const Presence>
ParquetTable::ReadPresence(int field, int rowGroup) const
{
    TRACE_FUNCTION();
    TfAutoMallocTag tag("usdParquet", "presence");
    const std::string& name = _schema->field(field)->name();
    const int64_t rows = RowGroupRows(rowGroup);
    try {
        const int leaf = _Leaf(field);
        if (leaf < 0) {
            throw ParquetError(_path, "a column of several Parquet leaves", -1, name);
        }
        auto* file = _reader->parquet_reader();
        const parquet::ColumnDescriptor* descr = file->metadata()->schema()->Column(leaf);
        const int16_t maxDef = descr->max_definition_level();
        const int16_t maxRep = descr->max_repetition_level();
        // The nodes from the top-level field down to the leaf.
        std::vector<const parquet::schema::Node*> nodes;
        for (const parquet::schema::Node* n = descr->schema_node().get(); n && n->parent();
             n = n->parent()) {
            nodes.push_back(n);
        }
        std::reverse(nodes.begin(), nodes.end());
        if (nodes.empty()) {
            throw ParquetError(_path, "a column without a schema path", -1, name);
        }
        if (maxDef == 0) {
            return std::make_shared<const Presence>(Presence::State::All, rows);
        }
        // The node whose presence definition level d records.
        std::vector<const parquet::schema::Node*> byLevel(1, nullptr);
        for (const parquet::schema::Node* n : nodes) {
            if (n->repetition() != parquet::Repetition::REQUIRED) {
                byLevel.push_back(n);
            }
        }
        if (static_cast<int>(byLevel.size()) != maxDef + 1) {
            throw ParquetError(_path, "inconsistent Parquet definition levels", -1, name);
        }
        // Level v: the nodes of levels 1..v are there, the node of level
        // v + 1 is null (optional) or empty (repeated). The row is absent if
        // the top-level field is that null; a null below it is a null
        // element inside a list or vector.
        const int present = nodes.front()->repetition() == parquet::Repetition::OPTIONAL ? 1 : 0;
        std::vector<uint8_t> meaning(static_cast<size_t>(maxDef) + 1, kFine);
        for (int v = 0; v <= maxDef; ++v) {
            if (v < present) {
                meaning[v] = kAbsent;
            } else if (v < maxDef &&
                       byLevel[v + 1]->repetition() == parquet::Repetition::OPTIONAL) {
                meaning[v] = kNullElement;
            }
        }
        const size_t words = static_cast<size_t>((rows + 63) / 64);
        std::vector<uint64_t> presentBits(words, 0), badBits(words, 0);
        std::shared_ptr<parquet::ColumnReader> reader =
            file->RowGroup(rowGroup)->Column(leaf);
        constexpr int64_t kBatch = 4096;
        std::vector<int16_t> def(kBatch), rep(kBatch);
        int64_t row = -1;
        while (reader->HasNext()) {
            const int64_t n =
                ReadLevels(*reader, kBatch, def.data(), maxRep > 0 ? rep.data() : nullptr);
            if (n <= 0) {
                break;
            }
            for (int64_t k = 0; k < n; ++k) {
                const int16_t d = def[k];
                if (d < 0 || d > maxDef) {
                    throw ParquetError(_path, "a definition level out of range", -1, name);
                }
                const bool starts = maxRep == 0 || rep[k] == 0;
                if (starts) {
                    if (++row >= rows) {
                        throw ParquetError(_path, "row group " + std::to_string(rowGroup) +
                                                      " holds more rows than its metadata says",
                                           -1, name);
                    }
                    if (meaning[d] != kAbsent) {
                        presentBits[row >> 6] |= uint64_t(1) << (row & 63);
                    }
                } else if (row < 0) {
                    throw ParquetError(_path, "a repeated value before the first row", -1,
                                       name);
                }
                if (meaning[d] == kNullElement) {
                    badBits[row >> 6] |= uint64_t(1) << (row & 63);
                }
            }
        }
        if (row + 1 != rows) {
            throw ParquetError(_path, "row group " + std::to_string(rowGroup) + " holds " +
                                          std::to_string(row + 1) +
                                          " rows, its metadata says " + std::to_string(rows),
                               -1, name);
        }
        return std::make_shared<const Presence>(rows, std::move(presentBits),
                                                std::move(badBits));
    } catch (const ParquetError&) {
        throw;
    } catch (const std::exception& error) {
        throw ParquetError(_path, "cannot read the Parquet levels of row group " +
                                      std::to_string(rowGroup) + " (" + error.what() + ")",
                           -1, name);
    }
}

std::shared_ptr<const Block>
ParquetTable::ReadBlock(int field, int rowGroup) const
{
    TRACE_FUNCTION();
    TfAutoMallocTag tag("usdParquet", "decoded blocks");
    std::shared_ptr<arrow::ChunkedArray> values;
    arrow::Status status;
    try {
        status = _reader->RowGroup(rowGroup)->Column(field)->Read(&values);
        if (status.ok() && values) {
            // Offsets, dictionary indices and lengths checked before any is
            // used: a damaged file gives an error, not a wild read.
            for (const auto& chunk : values->chunks()) {
                status = chunk->ValidateFull();
                if (!status.ok()) {
                    break;
                }
            }
        }
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
