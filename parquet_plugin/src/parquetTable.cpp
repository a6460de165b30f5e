#include "parquetTable.h"

#include "assetFile.h"
#include "pagePool.h"
#include "parquetError.h"

#include <pxr/trace/trace.h>
#include <pxr/tf/mallocTag.h>

#include <arrow/array/data.h>
#include <arrow/memory_pool.h>
#include <parquet/level_conversion.h>
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
    const std::shared_ptr<AssetFile> asset = AssetFile::Open(path);
    // Arrow's decoders read copies of the bytes (pread for a file) into
    // buffers of the page pool, freed once the block is decoded; read
    // through the mapping, every compressed byte a decode touched would stay
    // resident (file-backed) for as long as the layer lives: the whole file
    // after a full read. Only MappedLists' values are the mapping's bytes.
    _file = asset->Copying(&PagePool::Instance());
    try {
        parquet::arrow::FileReaderBuilder builder;
        arrow::Status status = builder.Open(_file, _ReaderProperties());
        if (!status.ok()) {
            throw ParquetError(path, "not a readable Parquet file (" +
                                         Describe(status) + ")");
        }
        // One column of one row group at a time, read on the calling
        // thread, nothing buffered ahead: memory follows what is asked for.
        parquet::ArrowReaderProperties properties;
        properties.set_use_threads(false);
        properties.set_pre_buffer(false);
        builder.memory_pool(&PagePool::Instance());
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
        if (asset->Mapped() && MappedLists::Enabled()) {
            // Page headers read as slices of the mapping: a page's values
            // are handed out as they lie in the file.
            _mappedReader = parquet::ParquetFileReader::Open(
                asset, parquet::default_reader_properties(), metadata);
            for (int field = 0; field < _schema->num_fields(); ++field) {
                auto lists = std::make_unique<MappedLists>(*_mappedReader,
                                                           asset->Mapping(),
                                                           _schema->field(field)->type(),
                                                           _Leaf(field));
                if (lists->Fits()) {
                    _mapped.resize(static_cast<size_t>(_schema->num_fields()));
                    _mapped[static_cast<size_t>(field)] = std::move(lists);
                }
            }
            if (_mapped.empty()) {
                _mappedReader.reset(); // and with it the mapping
            }
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

namespace {

std::optional<std::string>
ValueOf(const arrow::KeyValueMetadata* metadata, const std::string& key)
{
    const int k = metadata ? metadata->FindKey(key) : -1;
    if (k < 0) {
        return std::nullopt;
    }
    return metadata->value(k);
}

} // namespace

std::optional<std::string>
ParquetTable::FileMetadata(const std::string& key) const
{
    return ValueOf(_reader->parquet_reader()->metadata()->key_value_metadata().get(), key);
}

std::optional<std::string>
ParquetTable::FieldMetadata(int field, const std::string& key) const
{
    return ValueOf(_schema->field(field)->metadata().get(), key);
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
        const int leaf = _Leaf(field);
        if (leaf < 0) {
            return Presence::State::Mixed; // several leaves: the levels say
        }
        const auto metadata = _reader->parquet_reader()->metadata();
        const parquet::ColumnDescriptor* descr = metadata->schema()->Column(leaf);
        if (descr->max_definition_level() == 0) {
            return Presence::State::All; // a required column
        }
        const auto chunk = metadata->RowGroup(rowGroup)->ColumnChunk(leaf);
        const auto stats = chunk->is_stats_set() ? chunk->statistics() : nullptr;
        if (!stats || !stats->HasNullCount()) {
            return Presence::State::Mixed;
        }
        if (descr->max_repetition_level() != 0) {
            // A list column (one leaf). Arrow's writer counts as null every
            // level below the leaf's full definition (a null or empty list,
            // a null element), so none means every row holds a list without
            // a null: no level need be read (for arrays, that read
            // decompressed every page a second time). Other writers' counts
            // are not relied on.
            const bool arrow = metadata->created_by().rfind("parquet-cpp-arrow", 0) == 0;
            return arrow && stats->null_count() == 0 ? Presence::State::All
                                                     : Presence::State::Mixed;
        }
        if (chunk->num_values() != RowGroupRows(rowGroup)) {
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
        if (MapsValues(field, rowGroup)) {
            // The values stay in the mapping: only offsets are made.
            return static_cast<size_t>(RowGroupRows(rowGroup) + 1) * sizeof(int64_t) + 64;
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

bool
ParquetTable::MapsValues(int field, int rowGroup) const
{
    const size_t k = static_cast<size_t>(field);
    return field >= 0 && k < _mapped.size() && _mapped[k] && _mapped[k]->Applies(rowGroup);
}

bool
ParquetTable::ReadsRanges(int field) const
{
    try {
        const auto& fields = _reader->manifest().schema_fields;
        if (field < 0 || field >= static_cast<int>(fields.size()) ||
            !fields[field].is_leaf()) {
            return false;
        }
        const parquet::ColumnDescriptor* descr =
            _reader->parquet_reader()->metadata()->schema()->Column(
                fields[field].column_index);
        if (descr->max_repetition_level() != 0) {
            return false;
        }
        const arrow::Type::type id = _schema->field(field)->type()->id();
        switch (descr->physical_type()) {
        case parquet::Type::DOUBLE: return id == arrow::Type::DOUBLE;
        case parquet::Type::FLOAT: return id == arrow::Type::FLOAT;
        case parquet::Type::INT32: return id == arrow::Type::INT32;
        case parquet::Type::INT64: return id == arrow::Type::INT64;
        case parquet::Type::BOOLEAN: return id == arrow::Type::BOOL;
        case parquet::Type::BYTE_ARRAY:
            return id == arrow::Type::STRING || id == arrow::Type::LARGE_STRING;
        default: return false;
        }
    } catch (const std::exception&) {
        return false;
    }
}

std::unique_ptr<parquet::PageReader>
ParquetTable::_PagesFrom(int leaf, int rowGroup, int64_t first, int64_t* skipped) const
{
    // Flat columns only: a data page's value count is its row count. The
    // rule below skips a page while all its rows are before ``first``.
    struct Skip {
        int64_t first;
        int64_t rows = 0;
        bool started = false;
        bool operator()(const parquet::DataPageStats& stats)
        {
            if (started || stats.num_values < 0 || rows + stats.num_values > first) {
                started = true;
                return false;
            }
            rows += stats.num_values;
            return true;
        }
    };
    auto group = _reader->parquet_reader()->RowGroup(rowGroup);
    *skipped = 0;
    if (first > 0) {
        // The headers alone: every data page is skipped (never decompressed)
        // while the rule counts.
        auto rule = std::make_shared<Skip>(Skip{first});
        std::unique_ptr<parquet::PageReader> headers = group->GetColumnPageReader(leaf);
        headers->set_data_page_filter([rule](const parquet::DataPageStats& stats) {
            (*rule)(stats);
            return true;
        });
        while (headers->NextPage()) {
        }
        *skipped = rule->rows;
    }
    std::unique_ptr<parquet::PageReader> pages = group->GetColumnPageReader(leaf);
    if (first > 0) {
        auto rule = std::make_shared<Skip>(Skip{first});
        pages->set_data_page_filter(
            [rule](const parquet::DataPageStats& stats) { return (*rule)(stats); });
    }
    return pages;
}

std::shared_ptr<const Presence>
ParquetTable::ReadPresence(int field, int rowGroup, int64_t first, int64_t count) const
{
    TRACE_FUNCTION();
    TfAutoMallocTag tag("usdParquet", "presence");
    const std::string& name = _schema->field(field)->name();
    const bool range = count >= 0;
    const int64_t rows = range ? count : RowGroupRows(rowGroup);
    if (!range) {
        first = 0;
    }
    if (first < 0 || first + rows > RowGroupRows(rowGroup)) {
        throw ParquetError(_path, "rows out of the row group", -1, name);
    }
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
        if (range && maxRep != 0) {
            // Levels cannot be skipped by rows here: the whole group's are
            // read once (the last group's kept per field) and sliced.
            std::shared_ptr<const Presence> whole;
            {
                std::lock_guard<std::mutex> lock(_batchMutex);
                const auto it = _groupPresence.find(field);
                if (it != _groupPresence.end() && it->second.first == rowGroup) {
                    whole = it->second.second;
                }
            }
            if (!whole) {
                whole = ReadPresence(field, rowGroup);
                std::lock_guard<std::mutex> lock(_batchMutex);
                _groupPresence[field] = {rowGroup, whole};
            }
            const size_t words = static_cast<size_t>((rows + 63) / 64);
            std::vector<uint64_t> presentBits(words, 0), badBits(words, 0);
            bool anyBad = false;
            for (int64_t i = 0; i < rows; ++i) {
                if (whole->Present(first + i)) {
                    presentBits[i >> 6] |= uint64_t(1) << (i & 63);
                }
                if (whole->Bad(first + i)) {
                    badBits[i >> 6] |= uint64_t(1) << (i & 63);
                    anyBad = true;
                }
            }
            if (!anyBad) {
                badBits.clear();
            }
            return std::make_shared<const Presence>(rows, std::move(presentBits),
                                                    std::move(badBits));
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
        std::shared_ptr<parquet::ColumnReader> reader;
        if (range) {
            // Pages before the range unread, then the rows before it in its
            // first page skipped (flat: one level per row).
            int64_t skipped = 0;
            reader = parquet::ColumnReader::Make(descr, _PagesFrom(leaf, rowGroup, first, &skipped));
            int64_t skip = first - skipped;
            while (skip > 0) {
                int64_t n = 0;
                switch (reader->type()) {
#define USDPARQUET_SKIP(P, T)                                                              \
    case parquet::Type::P:                                                                 \
        n = static_cast<parquet::TypedColumnReader<parquet::T>&>(*reader).Skip(skip);      \
        break;
                    USDPARQUET_SKIP(BOOLEAN, BooleanType)
                    USDPARQUET_SKIP(INT32, Int32Type)
                    USDPARQUET_SKIP(INT64, Int64Type)
                    USDPARQUET_SKIP(INT96, Int96Type)
                    USDPARQUET_SKIP(FLOAT, FloatType)
                    USDPARQUET_SKIP(DOUBLE, DoubleType)
                    USDPARQUET_SKIP(BYTE_ARRAY, ByteArrayType)
                    USDPARQUET_SKIP(FIXED_LEN_BYTE_ARRAY, FLBAType)
#undef USDPARQUET_SKIP
                default: break;
                }
                if (n <= 0) {
                    throw ParquetError(_path, "fewer rows than the metadata says", -1, name);
                }
                skip -= n;
            }
        } else {
            reader = file->RowGroup(rowGroup)->Column(leaf);
        }
        constexpr int64_t kBatch = 4096;
        std::vector<int16_t> def(kBatch), rep(kBatch);
        int64_t row = -1;
        while (row + 1 < rows && reader->HasNext()) {
            const int64_t want = range ? std::min(kBatch, rows - (row + 1)) : kBatch;
            const int64_t n =
                ReadLevels(*reader, want, def.data(), maxRep > 0 ? rep.data() : nullptr);
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
                        if (maxRep > 0 && range) {
                            break;
                        }
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
ParquetTable::_ReadRange(int field, int rowGroup, int64_t first, int64_t rows) const
{
    const std::string& name = _schema->field(field)->name();
    if (first < 0 || rows < 0 || first + rows > RowGroupRows(rowGroup)) {
        throw ParquetError(_path, "rows out of the row group", -1, name);
    }
    const int leaf = _Leaf(field);
    const parquet::ColumnDescriptor* descr =
        _reader->parquet_reader()->metadata()->schema()->Column(leaf);
    const std::shared_ptr<arrow::DataType> type = _schema->field(field)->type();
    const bool binary = descr->physical_type() == parquet::Type::BYTE_ARRAY;
    int64_t skipped = 0;
    std::shared_ptr<parquet::internal::RecordReader> records =
        parquet::internal::RecordReader::Make(
            descr, parquet::internal::LevelInfo::ComputeLevelInfo(descr),
            &PagePool::Instance(), /*read_dictionary=*/false,
            /*read_dense_for_nullable=*/false,
            binary ? (type->id() == arrow::Type::LARGE_STRING ? arrow::large_binary()
                                                              : arrow::binary())
                   : nullptr);
    records->SetPageReader(_PagesFrom(leaf, rowGroup, first, &skipped));
    // The pages before the range are unread; the rows before it in its
    // first page are skipped.
    int64_t skip = first - skipped;
    while (skip > 0) {
        const int64_t n = records->SkipRecords(skip);
        if (n <= 0) {
            throw ParquetError(_path, "fewer rows than the metadata says", -1, name);
        }
        skip -= n;
    }
    records->Reserve(rows);
    int64_t read = 0;
    while (read < rows) {
        const int64_t n = records->ReadRecords(rows - read);
        if (n <= 0) {
            break;
        }
        read += n;
    }
    if (read != rows) {
        throw ParquetError(_path, "row group " + std::to_string(rowGroup) + " holds fewer rows (" +
                                      std::to_string(first + read) + ") than its metadata says",
                           -1, name);
    }
    std::vector<std::shared_ptr<arrow::Array>> chunks;
    if (binary) {
        auto* reader = dynamic_cast<parquet::internal::BinaryRecordReader*>(records.get());
        if (!reader) {
            throw ParquetError(_path, "no binary reader for a string column", -1, name);
        }
        for (const auto& chunk : reader->GetBuilderChunks()) {
            auto viewed = chunk->View(type);
            if (!viewed.ok()) {
                throw ParquetError(_path, viewed.status().ToString(), -1, name);
            }
            chunks.push_back(*viewed);
        }
    } else {
        std::shared_ptr<arrow::Buffer> validity;
        const int64_t nulls = records->nullable_values() ? records->null_count() : 0;
        if (nulls > 0) {
            validity = records->ReleaseIsValid();
        }
        std::shared_ptr<arrow::Buffer> values = records->ReleaseValues();
        if (type->id() == arrow::Type::BOOL) {
            // One byte per value from the record reader: Arrow packs bits.
            auto packed = arrow::AllocateBuffer((rows + 7) / 8, &PagePool::Instance());
            if (!packed.ok()) {
                throw ParquetError(_path, packed.status().ToString(), -1, name);
            }
            uint8_t* bits = (*packed)->mutable_data();
            std::fill(bits, bits + (rows + 7) / 8, 0);
            const uint8_t* bytes = values->data();
            for (int64_t i = 0; i < rows; ++i) {
                if (bytes[i]) {
                    bits[i >> 3] |= static_cast<uint8_t>(1u << (i & 7));
                }
            }
            values = std::shared_ptr<arrow::Buffer>(std::move(*packed));
        } else {
            const int width = type->byte_width();
            if (!values || values->size() < rows * width) {
                throw ParquetError(_path, "fewer values than rows", -1, name);
            }
        }
        chunks.push_back(arrow::MakeArray(
            arrow::ArrayData::Make(type, rows, {validity, values}, nulls)));
    }
    arrow::ChunkedArray chunked(chunks, type);
    for (const auto& chunk : chunks) {
        const arrow::Status status = chunk->ValidateFull();
        if (!status.ok()) {
            throw ParquetError(_path, "invalid data in row group " + std::to_string(rowGroup) +
                                          " (" + Describe(status) + ")",
                               -1, name);
        }
    }
    if (chunked.length() != rows) {
        throw ParquetError(_path, "row group " + std::to_string(rowGroup) + " holds " +
                                      std::to_string(chunked.length()) + " values here, not " +
                                      std::to_string(rows),
                           -1, name);
    }
    return std::make_shared<const Block>(chunked);
}

int64_t
ParquetTable::RowsForBytes(int field, size_t bytes) const
{
    try {
        const auto& fields = _reader->manifest().schema_fields;
        if (field < 0 || field >= static_cast<int>(fields.size())) {
            return 0;
        }
        std::vector<int> leaves;
        std::vector<const parquet::arrow::SchemaField*> pending{&fields[field]};
        while (!pending.empty()) {
            const parquet::arrow::SchemaField* node = pending.back();
            pending.pop_back();
            if (node->is_leaf()) {
                leaves.push_back(node->column_index);
            }
            for (const auto& child : node->children) {
                pending.push_back(&child);
            }
        }
        const auto metadata = _reader->parquet_reader()->metadata();
        double perRow = 0;
        bool anyLarger = false;
        for (int g = 0; g < metadata->num_row_groups(); ++g) {
            const int64_t rows = RowGroupRows(g);
            if (rows <= 0) {
                continue;
            }
            int64_t size = 0;
            for (int leaf : leaves) {
                size += metadata->RowGroup(g)->ColumnChunk(leaf)->total_uncompressed_size();
            }
            perRow = std::max(perRow, static_cast<double>(size) / static_cast<double>(rows));
            anyLarger = anyLarger || static_cast<size_t>(size) > bytes;
        }
        if (!anyLarger || perRow <= 0) {
            return 0;
        }
        return std::max<int64_t>(1, static_cast<int64_t>(static_cast<double>(bytes) / perRow));
    } catch (const std::exception&) {
        return 0;
    }
}

std::shared_ptr<const Block>
ParquetTable::_ReadBatches(int field, int rowGroup, int64_t first, int64_t rows) const
{
    const std::string& name = _schema->field(field)->name();
    if (first < 0 || rows <= 0 || first + rows > RowGroupRows(rowGroup)) {
        throw ParquetError(_path, "rows out of the row group", -1, name);
    }
    Cursor cursor;
    parquet::arrow::FileReader* batches = nullptr;
    {
        std::lock_guard<std::mutex> lock(_batchMutex);
        const auto it = _cursors.find({field, rowGroup});
        if (it != _cursors.end() && it->second.next == first) {
            cursor = std::move(it->second);
            _cursors.erase(it);
        }
        std::unique_ptr<parquet::arrow::FileReader>& reader = _batchReaders[rows];
        if (!reader) {
            reader = _NewReader(&PagePool::Instance(), rows);
        }
        batches = reader.get();
    }
    if (!cursor.reader) {
        auto made = batches->GetRecordBatchReader({rowGroup}, {field});
        PARQUET_THROW_NOT_OK(made.status());
        cursor.reader = std::shared_ptr<arrow::RecordBatchReader>(std::move(*made));
        cursor.next = 0;
    }
    std::vector<std::shared_ptr<arrow::Array>> chunks;
    int64_t got = 0;
    while (got < rows) {
        std::shared_ptr<arrow::RecordBatch> batch;
        PARQUET_THROW_NOT_OK(cursor.reader->ReadNext(&batch));
        if (!batch) {
            break;
        }
        const int64_t start = cursor.next;
        cursor.next += batch->num_rows();
        if (cursor.next <= first) {
            continue; // before the range: dropped
        }
        const int64_t from = std::max<int64_t>(0, first - start);
        const int64_t take = std::min(batch->num_rows() - from, rows - got);
        chunks.push_back(batch->column(0)->Slice(from, take));
        got += take;
    }
    if (got != rows) {
        throw ParquetError(_path, "row group " + std::to_string(rowGroup) +
                                      " holds fewer rows than its metadata says",
                           -1, name);
    }
    for (const auto& chunk : chunks) {
        const arrow::Status status = chunk->ValidateFull();
        if (!status.ok()) {
            throw ParquetError(_path, "invalid data in row group " + std::to_string(rowGroup) +
                                          " (" + Describe(status) + ")",
                               -1, name);
        }
    }
    if (cursor.next == first + rows && cursor.next < RowGroupRows(rowGroup)) {
        std::lock_guard<std::mutex> lock(_batchMutex);
        _cursors[{field, rowGroup}] = std::move(cursor); // the next range continues it
    }
    return std::make_shared<const Block>(arrow::ChunkedArray(chunks, _schema->field(field)->type()));
}

std::shared_ptr<const Block>
ParquetTable::ReadIndexBlock(int field, int rowGroup) const
{
    TRACE_FUNCTION();
    const int leaf = _Leaf(field);
    if (leaf < 0) {
        return ReadBlock(field, rowGroup);
    }
    parquet::arrow::FileReader* reader = nullptr;
    try {
        std::lock_guard<std::mutex> lock(_batchMutex);
        std::unique_ptr<parquet::arrow::FileReader>& made = _dictionaryReaders[field];
        if (!made) {
            const arrow::Type::type id = _schema->field(field)->type()->id();
            const bool strings = id == arrow::Type::STRING || id == arrow::Type::LARGE_STRING;
            // Read once at open and dropped: malloc gives the memory back,
            // Arrow's default pool (mimalloc) keeps ~30 MiB of it resident.
            made = _NewReader(arrow::system_memory_pool(), 0, strings ? leaf : -1);
        }
        reader = made.get();
    } catch (const std::exception& error) {
        throw ParquetError(_path, std::string("cannot read the Parquet file (") + error.what() +
                                      ")",
                           -1, _schema->field(field)->name());
    }
    return _ReadGroup(*reader, field, rowGroup);
}

std::shared_ptr<const Block>
ParquetTable::ReadBlock(int field, int rowGroup, int64_t first, int64_t count) const
{
    TRACE_FUNCTION();
    TfAutoMallocTag tag("usdParquet", "decoded blocks");
    if (MapsValues(field, rowGroup)) {
        if (auto block = _mapped[static_cast<size_t>(field)]->Read(rowGroup, first, count)) {
            return block;
        }
    }
    if (count >= 0) {
        try {
            if (!ReadsRanges(field)) {
                return _ReadBatches(field, rowGroup, first, count);
            }
            return _ReadRange(field, rowGroup, first, count);
        } catch (const ParquetError&) {
            throw;
        } catch (const std::exception& error) {
            throw ParquetError(_path, "cannot read the Parquet data of row group " +
                                          std::to_string(rowGroup) + " (" + error.what() + ")",
                               -1, _schema->field(field)->name());
        }
    }
    return _ReadGroup(*_reader, field, rowGroup);
}

parquet::ReaderProperties
ParquetTable::_ReaderProperties()
{
    // Decompression buffers from the page pool: unmapped when freed.
    return parquet::ReaderProperties(&PagePool::Instance());
}

std::unique_ptr<parquet::arrow::FileReader>
ParquetTable::_NewReader(arrow::MemoryPool* pool, int64_t batchRows, int dictionaryLeaf) const
{
    parquet::arrow::FileReaderBuilder builder;
    PARQUET_THROW_NOT_OK(builder.Open(_file, _ReaderProperties(),
                                      _reader->parquet_reader()->metadata()));
    parquet::ArrowReaderProperties properties;
    properties.set_use_threads(false);
    properties.set_pre_buffer(false);
    if (batchRows > 0) {
        properties.set_batch_size(batchRows);
    }
    if (dictionaryLeaf >= 0) {
        properties.set_read_dictionary(dictionaryLeaf, true);
    }
    builder.memory_pool(pool);
    builder.properties(properties);
    std::unique_ptr<parquet::arrow::FileReader> reader;
    PARQUET_THROW_NOT_OK(builder.Build(&reader));
    return reader;
}

std::shared_ptr<const Block>
ParquetTable::_ReadGroup(parquet::arrow::FileReader& reader, int field, int rowGroup) const
{
    std::shared_ptr<arrow::ChunkedArray> values;
    arrow::Status status;
    try {
        status = reader.RowGroup(rowGroup)->Column(field)->Read(&values);
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
                                      std::to_string(rowGroup) + " (" + Describe(status) + ")",
                           -1, _schema->field(field)->name());
    }
    if (values->length() != RowGroupRows(rowGroup)) {
        throw ParquetError(_path, "row group " + std::to_string(rowGroup) + " holds " +
                                      std::to_string(values->length()) +
                                      " values, its metadata says " +
                                      std::to_string(RowGroupRows(rowGroup)),
                           -1, _schema->field(field)->name());
    }
    return std::make_shared<const Block>(*values);
}

} // namespace usdparquet
