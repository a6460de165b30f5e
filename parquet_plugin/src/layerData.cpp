#include "layerData.h"

#include "blockCache.h"
#include "layerRegistry.h"
#include "parquetError.h"

#include <pxr/js/json.h>
#include <pxr/sdf/schema.h>
#include <pxr/sdf/types.h>
#include <pxr/tf/diagnostic.h>
#include <pxr/tf/envSetting.h>
#include <pxr/tf/mallocTag.h>
#include <pxr/tf/staticTokens.h>
#include <pxr/trace/trace.h>

#include <arrow/array.h>

#include <cstdlib>
#include <map>
#include <sstream>

using namespace pxr;

namespace usdparquet {

// The names this format reads from a table: its path column, and the keys
// of its file and field metadata (see usdbench/arrow_usd_types.json).
TF_DEFINE_PRIVATE_TOKENS(
    _tokens,
    (path)
    (time)
    ((usdTypeName, "usd:typeName"))
    ((usdDefaultPrim, "usd:defaultPrim"))
    ((usdUpAxis, "usd:upAxis"))
    ((usdMetersPerUnit, "usd:metersPerUnit"))
    ((usdDocumentation, "usd:documentation"))
    (upAxis)
    (metersPerUnit)
);

// Rows per block in a row group larger than that, for the columns Parquet
// can read a range of rows of (flat columns of plain types): the first read
// of one prim decodes this many rows, not the row group.
TF_DEFINE_ENV_SETTING(USDPARQUET_BLOCK_ROWS, 65536,
                      "Rows per decoded block of the Parquet file format in row "
                      "groups larger than that (flat columns of plain types).");

TF_DEFINE_ENV_SETTING(USDPARQUET_BLOCK_MB, 8,
                      "Decoded size of a block of a list column of the Parquet "
                      "file format in row groups larger than that (MiB).");

namespace {

// Bad list rows reported one by one, at most this many per layer.
constexpr size_t kMaxReports = 1000;

std::atomic<uint64_t> nextLayerId{1};

bool
IsStringType(const arrow::DataType& type)
{
    const arrow::Type::type id = Undictionary(type).id();
    return id == arrow::Type::STRING || id == arrow::Type::LARGE_STRING ||
           id == arrow::Type::STRING_VIEW;
}

// pandas stores a non-default index as extra columns: they are not properties.
std::set<std::string>
PandasIndexColumns(const arrow::Schema& schema)
{
    std::set<std::string> names;
    const auto metadata = schema.metadata();
    if (!metadata) {
        return names;
    }
    const int k = metadata->FindKey("pandas");
    if (k < 0) {
        return names;
    }
    const JsValue pandas = JsParseString(metadata->value(k));
    if (!pandas.IsObject()) {
        return names;
    }
    const JsObject& object = pandas.GetJsObject();
    const auto it = object.find("index_columns");
    if (it == object.end() || !it->second.IsArray()) {
        return names;
    }
    for (const JsValue& entry : it->second.GetJsArray()) {
        if (entry.IsString()) {
            names.insert(entry.GetString());
        }
    }
    return names;
}

void
AppendJsonString(std::ostringstream& out, const std::string& text)
{
    out << '"';
    for (const char c : text) {
        switch (c) {
        case '"': out << "\\\""; break;
        case '\\': out << "\\\\"; break;
        case '\n': out << "\\n"; break;
        case '\r': out << "\\r"; break;
        case '\t': out << "\\t"; break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) {
                out << "\\u00" << "0123456789abcdef"[(c >> 4) & 0xf]
                    << "0123456789abcdef"[c & 0xf];
            } else {
                out << c;
            }
        }
    }
    out << '"';
}

} // namespace

LayerData::LayerData() : _id(nextLayerId++) {}

LayerDataRefPtr
LayerData::New()
{
    return TfCreateRefPtr(new LayerData());
}

LayerDataRefPtr
LayerData::Open(const std::string& resolvedPath, const std::string& identifier,
                const SdfFileFormat::FileFormatArguments& arguments, bool metadataOnly)
{
    TRACE_FUNCTION();
    TfAutoMallocTag tag("usdParquet", "LayerData::Open");
    LayerDataRefPtr data = New();
    data->_identifier = identifier;
    data->_Open(resolvedPath, arguments, metadataOnly);
    LayerRegistry::Instance().Add(get_pointer(data));
    return data;
}

LayerData::~LayerData()
{
    LayerRegistry::Instance().Remove(this);
    BlockCache::Instance().EraseOwner(_id);
}

void
LayerData::_Open(const std::string& resolvedPath,
                 const SdfFileFormat::FileFormatArguments& arguments, bool metadataOnly)
{
    _file = resolvedPath;
    const LayerOptions options(arguments, resolvedPath);
    _table = std::make_unique<ParquetTable>(resolvedPath);
    _ReadLayerMetadata();
    _ChooseColumns(options);
    // A metadata-only open (USD's hint) reads the footer alone: the layer
    // has its metadata and no prims.
    _metadataOnly = metadataOnly;
    if (!metadataOnly) {
        _IndexPaths(options.PathPrefix());
    }
}

void
LayerData::_ReadLayerMetadata()
{
    const auto token = [this](const TfToken& key, const TfToken& field) {
        if (const auto value = _table->FileMetadata(key.GetString())) {
            if (!value->empty()) {
                _layerFields.emplace_back(field, VtValue(TfToken(*value)));
            }
        }
    };
    if (const auto value = _table->FileMetadata(_tokens->usdDefaultPrim.GetString())) {
        if (!value->empty()) {
            if (!SdfPath::IsValidIdentifier(*value)) {
                throw ParquetError(_file, "file metadata usd:defaultPrim " + Quoted(*value) +
                                              " is not a valid prim name");
            }
            _layerFields.emplace_back(SdfFieldKeys->DefaultPrim, VtValue(TfToken(*value)));
        }
    }
    token(_tokens->usdUpAxis, _tokens->upAxis);
    if (const auto value = _table->FileMetadata(_tokens->usdMetersPerUnit.GetString())) {
        char* end = nullptr;
        const double meters = std::strtod(value->c_str(), &end);
        if (value->empty() || end != value->c_str() + value->size() || !(meters > 0)) {
            throw ParquetError(_file, "file metadata usd:metersPerUnit " + Quoted(*value) +
                                          " is not a positive number");
        }
        _layerFields.emplace_back(_tokens->metersPerUnit, VtValue(meters));
    }
    if (const auto value = _table->FileMetadata(_tokens->usdDocumentation.GetString())) {
        _layerFields.emplace_back(SdfFieldKeys->Documentation, VtValue(*value));
    }
}

void
LayerData::_ChooseColumns(const LayerOptions& options)
{
    const arrow::Schema& schema = _table->Schema();
    // The Python loader's checks, in its order.
    std::vector<std::string> order;
    std::map<std::string, int> counts;
    for (const auto& field : schema.fields()) {
        if (counts[field->name()]++ == 0) {
            order.push_back(field->name());
        }
    }
    for (const std::string& name : order) {
        if (counts[name] > 1) {
            throw ParquetError(_file, std::to_string(counts[name]) + " columns have this name",
                               -1, name);
        }
    }
    const std::string& kPathColumn = _tokens->path.GetString();
    const int pathField = schema.GetFieldIndex(kPathColumn);
    if (pathField < 0) {
        throw ParquetError(
            _file, "no 'path' column: a property table needs one row per prim with its path",
            -1, kPathColumn);
    }
    // A ``time`` column makes the table a time-series table.
    _timeField = schema.GetFieldIndex(_tokens->time.GetString());
    if (_timeField >= 0) {
        const arrow::Type::type id = schema.field(_timeField)->type()->id();
        if (id != arrow::Type::DOUBLE && id != arrow::Type::FLOAT &&
            id != arrow::Type::INT32 && id != arrow::Type::INT64) {
            throw ParquetError(_file,
                               "the time column of a time-series table must hold numbers "
                               "(double USD time codes), not Arrow type " +
                                   schema.field(_timeField)->type()->ToString(),
                               -1, _tokens->time.GetString());
        }
    }
    std::vector<std::string> names;
    if (options.Columns()) {
        names = *options.Columns();
        for (const std::string& name : names) {
            if (schema.GetFieldIndex(name) < 0) {
                throw ParquetError(_file, "no such column in the file", -1, name);
            }
        }
    } else {
        const std::set<std::string> index = PandasIndexColumns(schema);
        for (const std::string& name : order) {
            if (name != kPathColumn && index.count(name) == 0 &&
                !(_timeField >= 0 && name == _tokens->time.GetString())) {
                names.push_back(name);
            }
        }
    }
    const auto& pathType = *schema.field(pathField)->type();
    if (!IsStringType(pathType)) {
        throw ParquetError(_file,
                           "the path column must hold strings, not Arrow type " +
                               pathType.ToString(),
                           -1, kPathColumn);
    }
    if (_timeField >= 0) {
        names.erase(std::remove(names.begin(), names.end(), _tokens->time.GetString()),
                    names.end());
    }
    for (const std::string& name : names) {
        if (!SdfPath::IsValidNamespacedIdentifier(name)) {
            throw ParquetError(_file,
                               "not a valid USD property name (letters, digits and _, not "
                               "starting with a digit; namespaces separated by ':')",
                               -1, name);
        }
        const int field = schema.GetFieldIndex(name);
        const arrow::DataType& type = *schema.field(field)->type();
        std::string why;
        auto column = std::make_unique<Column>();
        const std::optional<std::string> declared =
            _table->FieldMetadata(field, _tokens->usdTypeName.GetString());
        column->reader = ValueReader::For(type, declared ? *declared : std::string(), &why);
        if (!column->reader) {
            throw ParquetError(_file, why, -1, name);
        }
        // Immortal: copies of a counted token change its count, one cache
        // line that every thread reading this column's values (and USD's
        // property paths naming it) would write on every read.
        column->name = TfToken(name, TfToken::Immortal);
        column->field = field;
        column->arrowType = type.ToString();
        const arrow::DataType& plain = Undictionary(type);
        column->checksElements = plain.id() == arrow::Type::FIXED_SIZE_LIST ||
                                 plain.id() == arrow::Type::LIST ||
                                 plain.id() == arrow::Type::LARGE_LIST;
        column->index = static_cast<int>(_columns.size());
        static const int blockRows = std::max(1024, TfGetEnvSetting(USDPARQUET_BLOCK_ROWS));
        if (_table->ReadsRanges(field)) {
            column->unitRows = blockRows;
        } else {
            // Lists and vectors: blocks of about USDPARQUET_BLOCK_MB, and
            // never more than a quarter of the cache's budget, so one
            // prim's array does not decode a large row group.
            static const size_t blockBytes =
                static_cast<size_t>(std::max(1, TfGetEnvSetting(USDPARQUET_BLOCK_MB))) << 20;
            const size_t budget = BlockCache::Instance().Stats().budgetBytes;
            column->unitRows =
                _table->RowsForBytes(field, std::max<size_t>(1, std::min(blockBytes, budget / 4)));
        }
        column->unitBase.push_back(0);
        for (int group = 0; group < _table->NumRowGroups(); ++group) {
            const int64_t rows = _table->RowGroupRows(group);
            const int64_t units = column->unitRows > 0 && rows > column->unitRows
                                      ? (rows + column->unitRows - 1) / column->unitRows
                                      : 1;
            column->unitBase.push_back(column->unitBase.back() + units);
        }
        const size_t slots = static_cast<size_t>(column->unitBase.back());
        column->presence = std::make_unique<std::atomic<const Presence*>[]>(slots);
        for (size_t k = 0; k < slots; ++k) {
            column->presence[k].store(nullptr, std::memory_order_relaxed);
        }
        // The footer alone may say every row has a value (a flat column
        // without nulls): then existence needs no lookup at all.
        column->everyRow = true;
        for (int group = 0; group < _table->NumRowGroups(); ++group) {
            if (_table->FooterPresence(field, group) != Presence::State::All) {
                column->everyRow = false;
                break;
            }
        }
        column->seriesAll = _timeField >= 0 && column->everyRow;
        _byName.emplace(column->name, column.get());
        _columns.push_back(std::move(column));
    }
}

void
LayerData::_IndexPaths(const std::string& prefix)
{
    TRACE_FUNCTION();
    TfAutoMallocTag tag("usdParquet", "prim index");
    const int pathField = _table->Schema().GetFieldIndex(_tokens->path.GetString());
    // Every path at or under the prefix sorts in [prefix, prefix + "0"):
    // '/' is the character just before '0'.
    const std::string under = prefix + "/";
    const std::string high = prefix + "0";
    const auto keeps = [&](std::string_view path) {
        return prefix.empty() || path == prefix || path.substr(0, under.size()) == under;
    };
    if (_timeField >= 0) {
        _series = std::make_unique<SeriesIndex>(*_table, pathField, _timeField, _file, keeps);
        _pathBlocksRead = _series->BlocksRead() / 2;
        const size_t prims = _series->NumPrims();
        _index = std::make_unique<PrimIndex>(_file, prims);
        for (size_t slot = 0; slot < prims; ++slot) {
            _index->Add(_series->Path(slot), static_cast<int64_t>(slot));
        }
        _index->Finish();
        for (const auto& column : _columns) {
            if (!column->seriesAll) {
                column->attrSamples = std::make_unique<std::atomic<const Samples*>[]>(prims);
                for (size_t k = 0; k < prims; ++k) {
                    column->attrSamples[k].store(nullptr, std::memory_order_relaxed);
                }
            }
        }
        return;
    }
    // The path blocks of the row groups that can hold a kept row. Without a
    // prefix each is indexed as it is read; with one, they are read first
    // so the index is sized for the rows the prefix keeps.
    std::vector<std::pair<int64_t, std::shared_ptr<const Block>>> blocks;
    size_t kept = 0;
    for (int group = 0; group < _table->NumRowGroups(); ++group) {
        if (!prefix.empty()) {
            const auto range = _table->StringRange(group, pathField);
            if (range && (range->second < prefix || range->first >= high)) {
                continue; // no row of this group can be under the prefix
            }
        }
        std::shared_ptr<const Block> paths = _table->ReadBlock(pathField, group);
        ++_pathBlocksRead;
        const int64_t start = _table->RowGroupStart(group);
        for (int64_t i = 0; i < paths->Length(); ++i) {
            const auto [array, j] = paths->Locate(i);
            std::string_view path;
            if (!StringAt(*array, j, &path)) {
                // One verdict whatever the options: a null path is an error.
                PrimIndex::NullPath(_file, start + i);
            }
            kept += keeps(path) ? 1 : 0;
        }
        if (kept > 0 || prefix.empty()) {
            blocks.emplace_back(start, std::move(paths));
        }
        if (prefix.empty()) {
            break; // indexed below, one group at a time
        }
    }
    const size_t size = prefix.empty() ? static_cast<size_t>(_table->NumRows()) : kept;
    _index = std::make_unique<PrimIndex>(_file, size);
    const auto add = [&](int64_t start, const Block& paths) {
        for (int64_t i = 0; i < paths.Length(); ++i) {
            const auto [array, j] = paths.Locate(i);
            std::string_view path;
            StringAt(*array, j, &path);
            if (keeps(path)) {
                _index->Add(path, start + i);
            }
        }
    };
    for (const auto& [start, paths] : blocks) {
        add(start, *paths);
    }
    if (prefix.empty()) {
        blocks.clear();
        for (int group = 1; group < _table->NumRowGroups(); ++group) {
            const std::shared_ptr<const Block> paths = _table->ReadBlock(pathField, group);
            ++_pathBlocksRead;
            const int64_t start = _table->RowGroupStart(group);
            for (int64_t i = 0; i < paths->Length(); ++i) {
                const auto [array, j] = paths->Locate(i);
                std::string_view path;
                if (!StringAt(*array, j, &path)) {
                    PrimIndex::NullPath(_file, start + i);
                }
            }
            add(start, *paths);
        }
    }
    _index->Finish();
}

// -- reading --------------------------------------------------------------------

LayerData::Target
LayerData::_Resolve(const SdfPath& path) const
{
    Target target;
    if (!_index) {
        if (path == SdfPath::AbsoluteRootPath()) {
            target.type = SdfSpecTypePseudoRoot;
        }
        return target;
    }
    if (path == SdfPath::AbsoluteRootPath()) {
        target.type = SdfSpecTypePseudoRoot;
        target.prim = _index->Find(path);
    } else if (path.IsPrimPath()) {
        if ((target.prim = _index->Find(path))) {
            target.type = SdfSpecTypePrim;
        }
    } else if (path.IsPrimPropertyPath()) {
        // The parent, not GetPrimPath(), which strips variant selections:
        // /A{v=x}.p is a spec inside a variant, which a table never has.
        const SdfPath primPath = path.GetParentPath();
        const PrimIndex::Prim* prim = primPath.IsPrimPath() ? _index->Find(primPath) : nullptr;
        if (prim && prim->row >= 0) {
            const auto it = _byName.find(path.GetNameToken());
            if (it != _byName.end()) {
                target.type = SdfSpecTypeAttribute; // if its value is not null
                target.prim = prim;
                target.column = it->second;
            }
        }
    }
    return target;
}

LayerData::Unit
LayerData::_Locate(const Column& column, int64_t row) const
{
    Unit unit;
    const auto [group, offset] = _table->Locate(row);
    unit.group = group;
    const int64_t rows = _table->RowGroupRows(group);
    if (column.unitRows > 0 && rows > column.unitRows) {
        unit.index = offset / column.unitRows;
        unit.first = unit.index * column.unitRows;
        unit.rows = std::min(column.unitRows, rows - unit.first);
        unit.whole = false;
    } else {
        unit.rows = rows;
    }
    unit.offset = offset - unit.first;
    return unit;
}

std::shared_ptr<const Block>
LayerData::_Block(const Column& column, const Unit& unit) const
{
    BlockCache& cache = BlockCache::Instance();
    const BlockCache::Key key{_id, column.index, unit.Part()};
    if (auto block = cache.Find(key)) {
        return block; // a hit: a shared lock, nothing else
    }
    const BlockKey id{column.index, unit.Part()};
    // One decode per block however many threads want it; different blocks
    // decode in parallel.
    return _decoding.Run(id, [&]() -> std::shared_ptr<const Block> {
        if (auto block = cache.Find(key)) {
            return block; // decoded by a caller that just finished
        }
        {
            std::lock_guard<std::mutex> lock(_failedMutex);
            if (_failedBlocks.count(id)) {
                return nullptr;
            }
        }
        try {
            TRACE_FUNCTION_SCOPE("decode a block");
            const size_t estimate = _table->EstimatedBytes(column.field, unit.group);
            const int64_t groupRows = std::max<int64_t>(1, _table->RowGroupRows(unit.group));
            BlockCache::Reservation reservation = cache.Reserve(
                unit.whole ? estimate
                           : static_cast<size_t>(static_cast<double>(estimate) *
                                                 static_cast<double>(unit.rows) /
                                                 static_cast<double>(groupRows)));
            std::shared_ptr<const Block> block =
                unit.whole ? _table->ReadBlock(column.field, unit.group)
                           : _table->ReadBlock(column.field, unit.group, unit.first, unit.rows);
            ++column.blocksDecoded;
            column.rowsDecoded += static_cast<uint64_t>(block->Length());
            if (block->MappedBytes() > 0) {
                ++column.blocksMapped;
                column.bytesMapped += static_cast<uint64_t>(block->MappedBytes());
            }
            return cache.Insert(key, std::move(block), std::move(reservation));
        } catch (...) {
            // Reported once: every prim of the block would ask again.
            {
                std::lock_guard<std::mutex> lock(_failedMutex);
                _failedBlocks.insert(id);
            }
            ReportCurrentError(_file, "decoding a block");
            return nullptr;
        }
    });
}

const Presence*
LayerData::_Presence(const Column& column, const Unit& unit) const
{
    std::atomic<const Presence*>& slot =
        column.presence[column.unitBase[unit.group] + unit.index];
    if (const Presence* presence = slot.load(std::memory_order_acquire)) {
        return presence; // known: no lock
    }
    const BlockKey key{column.index, unit.Part()};
    const std::shared_ptr<const Presence> made =
        _reading.Run(key, [&]() -> std::shared_ptr<const Presence> {
            if (slot.load(std::memory_order_acquire)) {
                return nullptr; // stored by a caller that just finished
            }
            {
                std::lock_guard<std::mutex> lock(_failedMutex);
                if (_failedPresence.count(key)) {
                    return nullptr;
                }
            }
            std::shared_ptr<const Presence> presence;
            const Presence::State state = _table->FooterPresence(column.field, unit.group);
            if (state != Presence::State::Mixed) {
                presence = std::make_shared<const Presence>(state, unit.rows);
            } else {
                try {
                    presence = unit.whole ? _table->ReadPresence(column.field, unit.group)
                                          : _table->ReadPresence(column.field, unit.group,
                                                                 unit.first, unit.rows);
                    ++column.presenceRead;
                } catch (...) {
                    {
                        std::lock_guard<std::mutex> lock(_failedMutex);
                        _failedPresence.insert(key);
                    }
                    ReportCurrentError(_file, "reading which rows hold a value");
                    return nullptr;
                }
            }
            {
                std::lock_guard<std::mutex> lock(_presenceMutex);
                _presenceOwned.push_back(presence);
            }
            slot.store(presence.get(), std::memory_order_release);
            return presence;
        });
    return made ? made.get() : slot.load(std::memory_order_acquire);
}

void
LayerData::_ReportBadElement(const Column& column, int64_t row) const
{
    {
        std::lock_guard<std::mutex> lock(_reportMutex);
        if (_reported.count({row, column.index})) {
            return;
        }
        if (_reported.size() >= kMaxReports) {
            if (_reportsCapped) {
                return;
            }
            _reportsCapped = true;
            TF_RUNTIME_ERROR("file %s: more than %zu rows hold a null element inside a "
                             "list or vector; further ones are left out without a report",
                             _file.c_str(), kMaxReports);
            return;
        }
        _reported.insert({row, column.index});
    }
    TF_RUNTIME_ERROR("%s", ParquetError(_file,
                                        "null element inside a list or vector (USD arrays "
                                        "and vectors cannot hold nulls; a null list or "
                                        "vector is fine): the value is left out",
                                        row, column.name.GetString())
                               .what());
}

bool
LayerData::_Exists(const Column& column, int64_t row) const
{
    return column.everyRow || _ExistsIn(column, _Locate(column, row), row);
}

bool
LayerData::_ExistsIn(const Column& column, const Unit& unit, int64_t row) const
{
    if (column.everyRow) {
        return true;
    }
    const int64_t offset = unit.offset;
    const Presence* presence = _Presence(column, unit);
    if (!presence || offset >= presence->Rows() || !presence->Present(offset)) {
        return false;
    }
    if (presence->Bad(offset)) {
        _ReportBadElement(column, row);
        return false;
    }
    return true;
}

bool
LayerData::_Value(const Column& column, int64_t row, VtValue* value) const
{
    const Unit unit = _Locate(column, row);
    if (!_ExistsIn(column, unit, row)) {
        return false;
    }
    if (!value) {
        return true;
    }
    const std::shared_ptr<const Block> block = _Block(column, unit);
    if (!block || unit.offset >= block->Length()) {
        return false;
    }
    const auto [array, i] = block->Locate(unit.offset);
    if (column.reader->IsNull(*array, i)) {
        return false;
    }
    try {
        *value = column.reader->Get(*array, i);
        return true;
    } catch (const NullElement&) {
        _ReportBadElement(column, row);
        return false;
    } catch (const BadElementCount& bad) {
        TF_RUNTIME_ERROR("%s", ParquetError(_file,
                                            "a list of " + std::to_string(bad.length) +
                                                " values read as " +
                                                column.reader->TypeName().GetAsToken().GetString() +
                                                " needs a multiple of " +
                                                std::to_string(bad.dimension) +
                                                ": the value is left out",
                                            row, column.name.GetString())
                                   .what());
        return false;
    }
}

TfTokenVector
LayerData::_PropertyNames(const PrimIndex::Prim& prim) const
{
    TfTokenVector names;
    for (const auto& column : _columns) {
        if (_Has(*column, prim)) {
            names.push_back(column->name);
        }
    }
    return names;
}

bool
LayerData::_Field(const Target& target, const TfToken& field, VtValue* value) const
{
    switch (target.type) {
    case SdfSpecTypeAttribute:
        if (_series) {
            const Samples* samples = _AttrSamples(*target.column, *target.prim);
            if (samples->Empty()) {
                return false; // no sample: no attribute at all
            }
            if (field == SdfFieldKeys->TimeSamples) {
                if (value) {
                    *value = _SampleMap(*target.column, *samples);
                }
                return true;
            }
            if (field == SdfFieldKeys->Default) {
                return false;
            }
        } else {
            if (field == SdfFieldKeys->Default) {
                return _Value(*target.column, target.prim->row, value);
            }
            if (!_Exists(*target.column, target.prim->row)) {
                return false; // null: no attribute at all
            }
        }
        if (field == SdfFieldKeys->TypeName) {
            if (value) {
                *value = VtValue(target.column->reader->TypeName().GetAsToken());
            }
            return true;
        }
        if (field == SdfFieldKeys->Variability) {
            if (value) {
                *value = VtValue(SdfVariabilityVarying);
            }
            return true;
        }
        if (field == SdfFieldKeys->Custom) {
            if (value) {
                *value = VtValue(false);
            }
            return true;
        }
        return false;
    case SdfSpecTypePrim:
        if (field == SdfFieldKeys->Specifier) {
            if (value) {
                *value = VtValue(SdfSpecifierOver);
            }
            return true;
        }
        if (field == SdfChildrenKeys->PropertyChildren) {
            if (target.prim->row < 0) {
                return false;
            }
            TfTokenVector names = _PropertyNames(*target.prim);
            if (names.empty()) {
                return false;
            }
            if (value) {
                *value = VtValue::Take(names);
            }
            return true;
        }
        [[fallthrough]];
    case SdfSpecTypePseudoRoot:
        if (target.type == SdfSpecTypePseudoRoot) {
            for (const auto& [key, metadata] : _layerFields) {
                if (key == field) {
                    if (value) {
                        *value = metadata;
                    }
                    return true;
                }
            }
        }
        if (field == SdfChildrenKeys->PrimChildren && target.prim) {
            const TfTokenVector& children = _index->Children(*target.prim);
            if (children.empty()) {
                return false;
            }
            if (value) {
                *value = VtValue(children);
            }
            return true;
        }
        return false;
    default:
        return false;
    }
}

SdfSpecType
LayerData::GetSpecType(const SdfPath& path) const
{
    try {
        const Target target = _Resolve(path);
        if (target.type == SdfSpecTypeAttribute && !_Has(*target.column, *target.prim)) {
            return SdfSpecTypeUnknown;
        }
        return target.type;
    } catch (...) {
        ReportCurrentError(_file, "reading");
        return SdfSpecTypeUnknown;
    }
}

bool
LayerData::HasSpec(const SdfPath& path) const
{
    return GetSpecType(path) != SdfSpecTypeUnknown;
}

bool
LayerData::Has(const SdfPath& path, const TfToken& field, VtValue* value) const
{
    return HasSpecAndField(path, field, value, nullptr);
}

bool
LayerData::Has(const SdfPath& path, const TfToken& field,
               SdfAbstractDataValue* value) const
{
    return HasSpecAndField(path, field, value, nullptr);
}

bool
LayerData::HasSpecAndField(const SdfPath& path, const TfToken& field, VtValue* value,
                           SdfSpecType* specType) const
{
    try {
        const Target target = _Resolve(path);
        if (specType) {
            *specType = target.type;
            if (target.type == SdfSpecTypeAttribute &&
                !_Has(*target.column, *target.prim)) {
                *specType = SdfSpecTypeUnknown;
                return false;
            }
        }
        return _Field(target, field, value);
    } catch (...) {
        ReportCurrentError(_file, "reading");
        return false;
    }
}

bool
LayerData::HasSpecAndField(const SdfPath& path, const TfToken& field,
                           SdfAbstractDataValue* value, SdfSpecType* specType) const
{
    VtValue found;
    if (!HasSpecAndField(path, field, value ? &found : nullptr, specType)) {
        return false;
    }
    return !value || value->StoreValue(found);
}

VtValue
LayerData::Get(const SdfPath& path, const TfToken& field) const
{
    VtValue value;
    Has(path, field, &value);
    return value;
}

const std::type_info&
LayerData::GetTypeid(const SdfPath& path, const TfToken& field) const
{
    try {
        const Target target = _Resolve(path);
        if (target.type == SdfSpecTypeAttribute && _series &&
            (field == SdfFieldKeys->Default || field == SdfFieldKeys->TimeSamples)) {
            if (field == SdfFieldKeys->Default || !_Has(*target.column, *target.prim)) {
                return typeid(void);
            }
            return typeid(SdfTimeSampleMap);
        }
        if (target.type == SdfSpecTypeAttribute && field == SdfFieldKeys->Default) {
            if (!_Exists(*target.column, target.prim->row)) {
                return typeid(void);
            }
            return target.column->reader->TypeName().GetType().GetTypeid();
        }
        VtValue value;
        if (!_Field(target, field, &value)) {
            return typeid(void);
        }
        return value.GetTypeid();
    } catch (...) {
        ReportCurrentError(_file, "reading");
        return typeid(void);
    }
}

std::vector<TfToken>
LayerData::List(const SdfPath& path) const
{
    std::vector<TfToken> fields;
    try {
        const Target target = _Resolve(path);
        static const TfToken* const attributeFields[] = {
            &SdfFieldKeys->TypeName, &SdfFieldKeys->Custom, &SdfFieldKeys->Variability,
            &SdfFieldKeys->Default};
        static const TfToken* const primFields[] = {
            &SdfFieldKeys->Specifier, &SdfChildrenKeys->PrimChildren,
            &SdfChildrenKeys->PropertyChildren};
        if (target.type == SdfSpecTypeAttribute) {
            if (_Has(*target.column, *target.prim)) {
                for (const TfToken* field : attributeFields) {
                    fields.push_back(_series && field == &SdfFieldKeys->Default
                                         ? SdfFieldKeys->TimeSamples
                                         : *field);
                }
            }
        } else if (target.type != SdfSpecTypeUnknown) {
            if (target.type == SdfSpecTypePseudoRoot) {
                for (const auto& entry : _layerFields) {
                    fields.push_back(entry.first);
                }
            }
            for (const TfToken* field : primFields) {
                if (_Field(target, *field, nullptr)) {
                    fields.push_back(*field);
                }
            }
        }
    } catch (...) {
        ReportCurrentError(_file, "reading");
    }
    return fields;
}

void
LayerData::_VisitSpecs(SdfAbstractDataSpecVisitor* visitor) const
{
    try {
        _VisitPrims(visitor);
    } catch (...) {
        ReportCurrentError(_file, "visiting the layer");
    }
}

void
LayerData::_VisitPrims(SdfAbstractDataSpecVisitor* visitor) const
{
    if (!visitor->VisitSpec(*this, SdfPath::AbsoluteRootPath()) || !_index) {
        return;
    }
    // Depth first, children in order: the order a text layer lists them.
    std::vector<SdfPath> pending;
    const auto push = [&](const SdfPath& parent, const PrimIndex::Prim& prim) {
        const TfTokenVector& children = _index->Children(prim);
        for (auto it = children.rbegin(); it != children.rend(); ++it) {
            pending.push_back(parent.AppendChild(*it));
        }
    };
    push(SdfPath::AbsoluteRootPath(), *_index->Find(SdfPath::AbsoluteRootPath()));
    while (!pending.empty()) {
        const SdfPath path = pending.back();
        pending.pop_back();
        if (!visitor->VisitSpec(*this, path)) {
            return;
        }
        const PrimIndex::Prim* prim = _index->Find(path);
        if (prim->row >= 0) {
            for (const TfToken& name : _PropertyNames(*prim)) {
                if (!visitor->VisitSpec(*this, path.AppendProperty(name))) {
                    return;
                }
            }
        }
        push(path, *prim);
    }
}

// -- time samples ---------------------------------------------------------------

namespace {

const Samples kNoSamples;

bool
Bracket(const Samples& samples, double time, double* tLower, double* tUpper)
{
    // SdfData's rule (what usdc answers too).
    const size_t n = samples.Size();
    if (n == 0) {
        return false;
    }
    const std::vector<double>& times = *samples.times;
    if (time <= times.front()) {
        *tLower = *tUpper = times.front();
    } else if (time >= times.back()) {
        *tLower = *tUpper = times.back();
    } else {
        const auto it = std::lower_bound(times.begin(), times.end(), time);
        if (*it == time) {
            *tLower = *tUpper = *it;
        } else {
            *tUpper = *it;
            *tLower = *(it - 1);
        }
    }
    return true;
}

} // namespace

bool
LayerData::_Has(const Column& column, const PrimIndex::Prim& prim) const
{
    if (_series) {
        return !_AttrSamples(column, prim)->Empty();
    }
    return _Exists(column, prim.row);
}

const Samples*
LayerData::_AttrSamples(const Column& column, const PrimIndex::Prim& prim) const
{
    if (prim.row < 0) {
        return &kNoSamples;
    }
    const Samples& all = _series->Of(static_cast<size_t>(prim.row));
    if (column.seriesAll) {
        return &all;
    }
    std::atomic<const Samples*>& slot = column.attrSamples[prim.row];
    if (const Samples* known = slot.load(std::memory_order_acquire)) {
        return known;
    }
    // The prim's rows where this column is not null (presence bits only).
    auto owned = std::make_unique<OwnedSamples>();
    for (size_t k = 0; k < all.Size(); ++k) {
        const int64_t row = all.Row(k);
        if (_Exists(column, row)) {
            owned->times.push_back(all.Time(k));
            owned->rows.push_back(static_cast<uint32_t>(row));
        }
    }
    const Samples* result = nullptr;
    if (owned->times.size() == all.Size()) {
        result = &all; // the prim's list, shared
    } else if (owned->times.empty()) {
        result = &kNoSamples;
    } else {
        owned->samples.times = &owned->times;
        owned->samples.rows = owned->rows.data();
        result = &owned->samples;
        std::lock_guard<std::mutex> lock(_samplesMutex);
        _samplesOwned.push_back(std::move(owned));
    }
    const Samples* expected = nullptr;
    if (!slot.compare_exchange_strong(expected, result, std::memory_order_acq_rel)) {
        return expected; // another thread stored the same list first
    }
    return result;
}

const Samples*
LayerData::_SamplesAt(const SdfPath& path, const Column** column) const
{
    if (!_series) {
        return nullptr;
    }
    const Target target = _Resolve(path);
    if (target.type != SdfSpecTypeAttribute) {
        return nullptr;
    }
    *column = target.column;
    const Samples* samples = _AttrSamples(*target.column, *target.prim);
    return samples->Empty() ? nullptr : samples;
}

VtValue
LayerData::_SampleMap(const Column& column, const Samples& samples) const
{
    SdfTimeSampleMap map;
    for (size_t k = 0; k < samples.Size(); ++k) {
        VtValue value;
        if (_Value(column, samples.Row(k), &value)) {
            map.emplace_hint(map.end(), samples.Time(k), std::move(value));
        }
    }
    return VtValue::Take(map);
}

std::set<double>
LayerData::ListAllTimeSamples() const
{
    if (!_series) {
        return {};
    }
    try {
        std::call_once(_allTimesOnce, [this]() {
            bool all = true;
            for (const auto& column : _columns) {
                all = all && column->seriesAll;
            }
            if (all && !_columns.empty()) {
                for (const auto& list : _series->TimeLists()) {
                    _allTimes.insert(list->begin(), list->end());
                }
                return;
            }
            // Some attributes miss samples: the union of theirs.
            for (size_t slot = 0; slot < _series->NumPrims(); ++slot) {
                const SdfPath path(_series->Path(slot));
                const PrimIndex::Prim* prim = _index->Find(path);
                if (!prim) {
                    continue;
                }
                for (const auto& column : _columns) {
                    const Samples* samples = _AttrSamples(*column, *prim);
                    for (size_t k = 0; k < samples->Size(); ++k) {
                        _allTimes.insert(samples->Time(k));
                    }
                }
            }
        });
    } catch (...) {
        ReportCurrentError(_file, "listing the time samples");
    }
    return _allTimes;
}

std::set<double>
LayerData::ListTimeSamplesForPath(const SdfPath& path) const
{
    try {
        const Column* column = nullptr;
        if (const Samples* samples = _SamplesAt(path, &column)) {
            return std::set<double>(samples->times->begin(), samples->times->end());
        }
    } catch (...) {
        ReportCurrentError(_file, "reading the time samples");
    }
    return {};
}

bool
LayerData::GetBracketingTimeSamples(double time, double* tLower, double* tUpper) const
{
    if (!_series) {
        return false;
    }
    const std::set<double> times = ListAllTimeSamples();
    if (times.empty()) {
        return false;
    }
    if (time <= *times.begin()) {
        *tLower = *tUpper = *times.begin();
    } else if (time >= *times.rbegin()) {
        *tLower = *tUpper = *times.rbegin();
    } else {
        auto it = times.lower_bound(time);
        if (*it == time) {
            *tLower = *tUpper = *it;
        } else {
            *tUpper = *it;
            *tLower = *--it;
        }
    }
    return true;
}

size_t
LayerData::GetNumTimeSamplesForPath(const SdfPath& path) const
{
    try {
        const Column* column = nullptr;
        if (const Samples* samples = _SamplesAt(path, &column)) {
            return samples->Size();
        }
    } catch (...) {
        ReportCurrentError(_file, "reading the time samples");
    }
    return 0;
}

bool
LayerData::GetBracketingTimeSamplesForPath(const SdfPath& path, double time,
                                           double* tLower, double* tUpper) const
{
    try {
        const Column* column = nullptr;
        if (const Samples* samples = _SamplesAt(path, &column)) {
            return Bracket(*samples, time, tLower, tUpper);
        }
    } catch (...) {
        ReportCurrentError(_file, "reading the time samples");
    }
    return false;
}

bool
LayerData::GetPreviousTimeSampleForPath(const SdfPath& path, double time,
                                        double* tPrevious) const
{
    try {
        const Column* column = nullptr;
        if (const Samples* samples = _SamplesAt(path, &column)) {
            const std::vector<double>& times = *samples->times;
            const auto it = std::lower_bound(times.begin(), times.end(), time);
            if (it == times.begin()) {
                return false;
            }
            *tPrevious = *(it - 1);
            return true;
        }
    } catch (...) {
        ReportCurrentError(_file, "reading the time samples");
    }
    return false;
}

bool
LayerData::QueryTimeSample(const SdfPath& path, double time, VtValue* value) const
{
    try {
        const Column* column = nullptr;
        if (const Samples* samples = _SamplesAt(path, &column)) {
            const int64_t k = samples->Find(time);
            if (k < 0) {
                return false;
            }
            if (!value) {
                return true;
            }
            return _Value(*column, samples->Row(static_cast<size_t>(k)), value);
        }
    } catch (...) {
        ReportCurrentError(_file, "reading a time sample");
    }
    return false;
}

bool
LayerData::QueryTimeSample(const SdfPath& path, double time,
                           SdfAbstractDataValue* value) const
{
    VtValue found;
    if (!QueryTimeSample(path, time, value ? &found : nullptr)) {
        return false;
    }
    return !value || value->StoreValue(found);
}

const std::type_info&
LayerData::QueryTimeSampleTypeid(const SdfPath& path, double time) const
{
    try {
        const Column* column = nullptr;
        if (const Samples* samples = _SamplesAt(path, &column)) {
            if (samples->Find(time) >= 0) {
                return column->reader->TypeName().GetType().GetTypeid();
            }
        }
    } catch (...) {
        ReportCurrentError(_file, "reading a time sample");
    }
    return typeid(void);
}

// -- editing: read-only -------------------------------------------------------------

void
LayerData::_ReadOnly(const char* what, const SdfPath& path) const
{
    TF_RUNTIME_ERROR("%s: cannot %s <%s>: Parquet layers are read-only (edit the "
                     "Parquet file, or copy the layer into a usda or usdc layer)",
                     _file.empty() ? "a Parquet layer" : _file.c_str(), what,
                     path.GetText());
}

void
LayerData::CreateSpec(const SdfPath& path, SdfSpecType)
{
    _ReadOnly("create a spec at", path);
}

void
LayerData::EraseSpec(const SdfPath& path)
{
    _ReadOnly("erase the spec at", path);
}

void
LayerData::MoveSpec(const SdfPath& oldPath, const SdfPath&)
{
    _ReadOnly("move the spec at", oldPath);
}

void
LayerData::Set(const SdfPath& path, const TfToken&, const VtValue&)
{
    _ReadOnly("set a field of", path);
}

void
LayerData::Set(const SdfPath& path, const TfToken&, const SdfAbstractDataConstValue&)
{
    _ReadOnly("set a field of", path);
}

void
LayerData::Erase(const SdfPath& path, const TfToken&)
{
    _ReadOnly("erase a field of", path);
}

void
LayerData::SetTimeSample(const SdfPath& path, double, const VtValue&)
{
    _ReadOnly("set a time sample of", path);
}

void
LayerData::EraseTimeSample(const SdfPath& path, double)
{
    _ReadOnly("erase a time sample of", path);
}

std::string
LayerData::StatsJson() const
{
    std::ostringstream out;
    out << "{\"file\": ";
    AppendJsonString(out, _file);
    out << ", \"identifier\": ";
    AppendJsonString(out, _identifier);
    out << ", \"rows\": " << (_table ? _table->NumRows() : 0)
        << ", \"prims\": " << (_index ? _index->NumPrims() : 0)
        << ", \"row_groups\": " << (_table ? _table->NumRowGroups() : 0)
        << ", \"path_blocks_read\": " << _pathBlocksRead
        << ", \"metadata_only\": " << (_metadataOnly ? "true" : "false")
        << ", \"series\": " << (_timeField >= 0 ? "true" : "false")
        << ", \"series_order\": \"" << (_series ? _series->Order() : "") << "\""
        << ", \"time_lists\": " << (_series ? _series->TimeLists().size() : 0)
        << ", \"series_bytes\": " << (_series ? _series->Bytes() : 0)
        << ", \"columns\": [";
    for (size_t i = 0; i < _columns.size(); ++i) {
        const Column& column = *_columns[i];
        out << (i ? ", " : "") << "{\"name\": ";
        AppendJsonString(out, column.name.GetString());
        out << ", \"usd_type\": ";
        AppendJsonString(out, column.reader->TypeName().GetAsToken().GetString());
        out << ", \"arrow_type\": ";
        AppendJsonString(out, column.arrowType);
        out << ", \"blocks_decoded\": " << column.blocksDecoded.load()
            << ", \"rows_decoded\": " << column.rowsDecoded.load()
            << ", \"blocks_mapped\": " << column.blocksMapped.load()
            << ", \"bytes_mapped\": " << column.bytesMapped.load()
            << ", \"block_rows\": " << column.unitRows
            << ", \"presence_read\": " << column.presenceRead.load() << "}";
    }
    out << "]}";
    return out.str();
}

} // namespace usdparquet
