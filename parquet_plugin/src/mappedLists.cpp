#include "mappedLists.h"

#include <pxr/tf/envSetting.h>

#include <arrow/array.h>
#include <arrow/array/data.h>
#include <arrow/chunked_array.h>
#include <arrow/memory_pool.h>
#include <parquet/column_page.h>
#include <parquet/column_reader.h>
#include <parquet/schema.h>

#include <cstring>
#include <exception>
#include <vector>

using namespace pxr;

TF_DEFINE_ENV_SETTING(USDPARQUET_MAP_ARRAYS, true,
                      "Serve list columns of numbers stored in uncompressed PLAIN "
                      "Parquet pages from the mapped asset, with no copy of their "
                      "values; false: decode them with Arrow like any other column.");

namespace usdparquet {

bool
MappedLists::Enabled()
{
    static const bool on = TfGetEnvSetting(USDPARQUET_MAP_ARRAYS);
    return on;
}

MappedLists::MappedLists(parquet::ParquetFileReader& file,
                         std::shared_ptr<arrow::Buffer> mapping,
                         std::shared_ptr<arrow::DataType> type, int leaf)
    : _file(file), _mapping(std::move(mapping)), _type(std::move(type)), _leaf(leaf)
{
    if (!_mapping || !_type || leaf < 0) {
        return;
    }
    if (_type->id() == arrow::Type::LIST) {
        _inner = static_cast<const arrow::ListType&>(*_type).value_type();
    } else if (_type->id() == arrow::Type::LARGE_LIST) {
        _inner = static_cast<const arrow::LargeListType&>(*_type).value_type();
        _large = true;
    } else {
        return;
    }
    int16_t repetition = 1;
    _scalar = _inner;
    if (_inner->id() == arrow::Type::FIXED_SIZE_LIST) {
        const auto& vectors = static_cast<const arrow::FixedSizeListType&>(*_inner);
        _dimension = vectors.list_size();
        _scalar = vectors.value_type();
        repetition = 2;
        if (_dimension <= 0) {
            return;
        }
    }
    parquet::Type::type physical;
    switch (_scalar->id()) {
    case arrow::Type::FLOAT: physical = parquet::Type::FLOAT; _width = 4; break;
    case arrow::Type::DOUBLE: physical = parquet::Type::DOUBLE; _width = 8; break;
    case arrow::Type::INT32: physical = parquet::Type::INT32; _width = 4; break;
    case arrow::Type::INT64: physical = parquet::Type::INT64; _width = 8; break;
    default: return;
    }
    try {
        const auto metadata = _file.metadata();
        if (leaf >= metadata->num_columns()) {
            return;
        }
        const parquet::ColumnDescriptor* descr = metadata->schema()->Column(leaf);
        _fits = descr->physical_type() == physical &&
                descr->max_repetition_level() == repetition;
    } catch (const std::exception&) {
        _fits = false;
    }
}

bool
MappedLists::Applies(int rowGroup) const
{
    if (!_fits) {
        return false;
    }
    try {
        const auto metadata = _file.metadata();
        if (rowGroup < 0 || rowGroup >= metadata->num_row_groups()) {
            return false;
        }
        const auto chunk = metadata->RowGroup(rowGroup)->ColumnChunk(_leaf);
        if (chunk->compression() != parquet::Compression::UNCOMPRESSED ||
            chunk->has_dictionary_page() || chunk->crypto_metadata()) {
            return false;
        }
        for (const parquet::Encoding::type encoding : chunk->encodings()) {
            if (encoding != parquet::Encoding::PLAIN && encoding != parquet::Encoding::RLE) {
                return false;
            }
        }
        return true;
    } catch (const std::exception&) {
        return false;
    }
}

namespace {

// The levels of one page, decoded into ``out`` (n of them); false if the
// page does not hold n.
bool
Decode(parquet::LevelDecoder& decoder, int n, std::vector<int16_t>& out)
{
    if (out.size() < static_cast<size_t>(n)) {
        out.resize(static_cast<size_t>(n));
    }
    return decoder.Decode(n, out.data()) == n;
}

} // namespace

std::shared_ptr<const Block>
MappedLists::Read(int rowGroup, int64_t first, int64_t rows) const
{
    if (!Applies(rowGroup)) {
        return nullptr;
    }
    try {
        const auto metadata = _file.metadata();
        const int64_t groupRows = metadata->RowGroup(rowGroup)->num_rows();
        const bool whole = rows < 0;
        if (whole) {
            first = 0;
            rows = groupRows;
        }
        if (first < 0 || first + rows > groupRows) {
            return nullptr;
        }
        const int64_t end = first + rows;
        const parquet::ColumnDescriptor* descr = metadata->schema()->Column(_leaf);
        const int16_t maxDef = descr->max_definition_level();
        const int16_t maxRep = descr->max_repetition_level();
        // The reader's streams are slices of the asset's buffer (unbuffered
        // reads of a mapped AssetFile), and an uncompressed page is handed
        // out as read: checked below for every page all the same.
        std::unique_ptr<parquet::PageReader> pages =
            _file.RowGroup(rowGroup)->GetColumnPageReader(_leaf);
        const uint8_t* base = _mapping->data();
        const int64_t size = _mapping->size();
        const int64_t per = _dimension > 0 ? _dimension : 1;
        thread_local std::vector<int16_t> rep, def;
        std::vector<int64_t> starts; // this page's rows in range: their first level
        std::vector<std::shared_ptr<arrow::Array>> chunks;
        size_t mapped = 0;
        int64_t row = 0;  // rows begun before the current page
        int64_t kept = 0; // rows of the range found so far
        parquet::LevelDecoder repDecoder, defDecoder;
        while (std::shared_ptr<parquet::Page> page = pages->NextPage()) {
            const parquet::PageType::type kind = page->type();
            if (kind != parquet::PageType::DATA_PAGE &&
                kind != parquet::PageType::DATA_PAGE_V2) {
                return nullptr; // a dictionary page (or one this reader does not know)
            }
            const auto& data = static_cast<const parquet::DataPage&>(*page);
            if (data.encoding() != parquet::Encoding::PLAIN) {
                return nullptr;
            }
            const int n = data.num_values();
            if (n < 0) {
                return nullptr;
            }
            if (n == 0) {
                continue;
            }
            const uint8_t* bytes = page->data();
            const int64_t length = page->size();
            const uintptr_t from = reinterpret_cast<uintptr_t>(bytes);
            const uintptr_t start = reinterpret_cast<uintptr_t>(base);
            if (from < start || length < 0 || from - start > static_cast<uintptr_t>(size) ||
                static_cast<uintptr_t>(length) > static_cast<uintptr_t>(size) - (from - start)) {
                return nullptr; // not the asset's own bytes
            }
            int64_t levelBytes = 0;
            if (kind == parquet::PageType::DATA_PAGE) {
                const auto& v1 = static_cast<const parquet::DataPageV1&>(data);
                if (v1.repetition_level_encoding() != parquet::Encoding::RLE ||
                    v1.definition_level_encoding() != parquet::Encoding::RLE ||
                    length > INT32_MAX) {
                    return nullptr;
                }
                levelBytes += repDecoder.SetData(parquet::Encoding::RLE, maxRep, n, bytes,
                                                 static_cast<int32_t>(length));
                levelBytes += defDecoder.SetData(
                    parquet::Encoding::RLE, maxDef, n, bytes + levelBytes,
                    static_cast<int32_t>(length - levelBytes));
            } else {
                const auto& v2 = static_cast<const parquet::DataPageV2&>(data);
                const int32_t repBytes = v2.repetition_levels_byte_length();
                const int32_t defBytes = v2.definition_levels_byte_length();
                if (repBytes < 0 || defBytes < 0 ||
                    static_cast<int64_t>(repBytes) + defBytes > length) {
                    return nullptr;
                }
                repDecoder.SetDataV2(repBytes, maxRep, n, bytes);
                defDecoder.SetDataV2(defBytes, maxDef, n, bytes + repBytes);
                levelBytes = static_cast<int64_t>(repBytes) + defBytes;
            }
            if (levelBytes < 0 || levelBytes > length ||
                (length - levelBytes) / _width < n) {
                return nullptr; // fewer values than levels
            }
            if (!Decode(repDecoder, n, rep)) {
                return nullptr;
            }
            if (rep[0] != 0) {
                return nullptr; // a list begun on the page before: not one run of bytes
            }
            if (row >= end) {
                break; // the last row of the range ended on the page before
            }
            if (!Decode(defDecoder, n, def)) {
                return nullptr;
            }
            // Every level a value (no null or empty list, no null element),
            // (vectors) every inner list of exactly the dimension's values,
            // and each row's start. Plain loops over local pointers: they
            // vectorize, and a thread_local's address is looked up once.
            const int16_t* repeats = rep.data();
            const int16_t* defined = def.data();
            int bad = 0;
            for (int k = 0; k < n; ++k) {
                bad |= defined[k] ^ maxDef;
            }
            if (bad != 0) {
                return nullptr;
            }
            if (_dimension > 0) {
                // A page starts a row, so inner lists start at multiples of
                // the dimension: there the level is below maxRep, else not.
                const int dimension = _dimension;
                if (n % dimension != 0) {
                    return nullptr;
                }
                for (int k = 0; k < n; k += dimension) {
                    bad |= repeats[k] >= maxRep;
                    for (int j = 1; j < dimension; ++j) {
                        bad |= repeats[k + j] != maxRep;
                    }
                }
                if (bad != 0) {
                    return nullptr;
                }
            }
            starts.clear();
            int64_t stop = n; // the level after the range's last row on this page
            const auto begins = [&](int k) {
                if (row == end && stop == n) {
                    stop = k;
                }
                if (row >= first && row < end) {
                    starts.push_back(k);
                }
                ++row;
            };
            constexpr int kStride = 64;
            int k = 0;
            for (; k + kStride <= n; k += kStride) {
                int zero = 0;
                for (int j = 0; j < kStride; ++j) {
                    zero |= repeats[k + j] == 0;
                }
                if (zero != 0) {
                    for (int j = 0; j < kStride; ++j) {
                        if (repeats[k + j] == 0) {
                            begins(k + j);
                        }
                    }
                }
            }
            for (; k < n; ++k) {
                if (repeats[k] == 0) {
                    begins(k);
                }
            }
            if (starts.empty()) {
                continue;
            }
            const int64_t count = static_cast<int64_t>(starts.size());
            const int64_t head = starts.front();
            const int64_t values = stop - head;
            const int64_t at =
                static_cast<int64_t>(from - start) + levelBytes + head * _width;
            std::shared_ptr<arrow::Buffer> slice =
                arrow::SliceBuffer(_mapping, at, values * _width);
            mapped += static_cast<size_t>(slice->size());
            const size_t offsetWidth = _large ? sizeof(int64_t) : sizeof(int32_t);
            auto made = arrow::AllocateBuffer(static_cast<int64_t>(offsetWidth) * (count + 1));
            if (!made.ok()) {
                return nullptr;
            }
            std::shared_ptr<arrow::Buffer> offsets(std::move(*made));
            for (int64_t i = 0; i <= count; ++i) {
                const int64_t offset = ((i < count ? starts[i] : stop) - head) / per;
                if (_large) {
                    reinterpret_cast<int64_t*>(offsets->mutable_data())[i] = offset;
                } else {
                    reinterpret_cast<int32_t*>(offsets->mutable_data())[i] =
                        static_cast<int32_t>(offset);
                }
            }
            std::shared_ptr<arrow::ArrayData> child =
                arrow::ArrayData::Make(_scalar, values, {nullptr, std::move(slice)}, 0);
            if (_dimension > 0) {
                child = arrow::ArrayData::Make(_inner, values / per, {nullptr}, {child}, 0);
            }
            std::shared_ptr<arrow::Array> list = arrow::MakeArray(
                arrow::ArrayData::Make(_type, count, {nullptr, std::move(offsets)}, {child}, 0));
            // Offsets and lengths checked (the values are numbers: any bits
            // are valid).
            if (!list->ValidateFull().ok()) {
                return nullptr;
            }
            chunks.push_back(std::move(list));
            kept += count;
        }
        if (kept != rows || (whole && row != groupRows)) {
            return nullptr; // the usual reader says what is wrong
        }
        return std::make_shared<const Block>(arrow::ChunkedArray(chunks, _type), mapped);
    } catch (const std::exception&) {
        return nullptr; // damaged levels: the usual reader reports them
    }
}

} // namespace usdparquet
