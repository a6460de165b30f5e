// A Parquet property table served to USD as layer data, lazily: opening
// reads the footer and the ``path`` column (the prim index); a property's
// values are decoded on first access, one (column, row group) block at a
// time, into the process's BlockCache. Like USD's own usdc data
// (Sdf_CrateData), it streams (USD never copies it) and is read-only.
//
// Every row is an ``over`` prim (ancestors too) whose attributes are the
// row's non-null values, exactly as the Python loader (usdbench.parquet)
// builds them; a null is no opinion. Reads are safe from several threads:
// the index is immutable once open, blocks are shared and immutable, the
// cache and the file reader lock.
#ifndef USDPARQUET_LAYER_DATA_H
#define USDPARQUET_LAYER_DATA_H

#include "blockCache.h"
#include "inFlight.h"
#include "layerOptions.h"
#include "parquetTable.h"
#include "presence.h"
#include "primIndex.h"
#include "seriesIndex.h"
#include "valueReader.h"

#include <pxr/sdf/abstractData.h>
#include <pxr/sdf/fileFormat.h>
#include <pxr/tf/declarePtrs.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <unordered_map>
#include <string>
#include <utility>
#include <vector>

namespace usdparquet {

class LayerData;
using LayerDataRefPtr = pxr::TfRefPtr<LayerData>;

class LayerData final : public pxr::SdfAbstractData {
public:
    // An empty layer (what InitData gives before Read, or a new layer).
    static LayerDataRefPtr New();
    // The table at ``resolvedPath`` (read through USD's asset resolver):
    // reads its footer and, unless ``metadataOnly``, its ``path`` column.
    // Throws ParquetError naming the file and the row or column at fault.
    static LayerDataRefPtr Open(const std::string& resolvedPath,
                                const std::string& identifier,
                                const pxr::SdfFileFormat::FileFormatArguments& arguments,
                                bool metadataOnly = false);
    ~LayerData() override;

    // Figures of this layer (JSON): rows, prims, row groups, and per column
    // its USD type and how many of its blocks were decoded.
    std::string StatsJson() const;
    const std::string& Identifier() const { return _identifier; }

    // SdfAbstractData: reading.
    bool StreamsData() const override { return true; }
    // Never empty: the pseudo-root always exists (USD's _SetData verifies
    // it, when muting or reloading), even for an empty table.
    bool IsEmpty() const override { return false; }
    bool HasSpec(const pxr::SdfPath& path) const override;
    pxr::SdfSpecType GetSpecType(const pxr::SdfPath& path) const override;
    bool Has(const pxr::SdfPath& path, const pxr::TfToken& field,
             pxr::SdfAbstractDataValue* value) const override;
    bool Has(const pxr::SdfPath& path, const pxr::TfToken& field,
             pxr::VtValue* value = nullptr) const override;
    bool HasSpecAndField(const pxr::SdfPath& path, const pxr::TfToken& field,
                         pxr::SdfAbstractDataValue* value,
                         pxr::SdfSpecType* specType) const override;
    bool HasSpecAndField(const pxr::SdfPath& path, const pxr::TfToken& field,
                         pxr::VtValue* value, pxr::SdfSpecType* specType) const override;
    pxr::VtValue Get(const pxr::SdfPath& path, const pxr::TfToken& field) const override;
    // The value's type without decoding it (HasAuthoredValue asks this).
    const std::type_info& GetTypeid(const pxr::SdfPath& path,
                                    const pxr::TfToken& field) const override;
    std::vector<pxr::TfToken> List(const pxr::SdfPath& path) const override;

    // Time samples: a time-series table's (a ``time`` column) attributes
    // have them, a property table's none. Times come from the index built at
    // open; a value is decoded only when asked for.
    std::set<double> ListAllTimeSamples() const override;
    std::set<double> ListTimeSamplesForPath(const pxr::SdfPath& path) const override;
    bool GetBracketingTimeSamples(double time, double* tLower,
                                  double* tUpper) const override;
    size_t GetNumTimeSamplesForPath(const pxr::SdfPath& path) const override;
    bool GetBracketingTimeSamplesForPath(const pxr::SdfPath& path, double time,
                                         double* tLower, double* tUpper) const override;
    bool GetPreviousTimeSampleForPath(const pxr::SdfPath& path, double time,
                                      double* tPrevious) const override;
    bool QueryTimeSample(const pxr::SdfPath& path, double time,
                         pxr::VtValue* value) const override;
    bool QueryTimeSample(const pxr::SdfPath& path, double time,
                         pxr::SdfAbstractDataValue* value) const override;
    const std::type_info& QueryTimeSampleTypeid(const pxr::SdfPath& path,
                                                double time) const override;

    // SdfAbstractData: editing. The layer is read-only: each reports an error.
    void CreateSpec(const pxr::SdfPath& path, pxr::SdfSpecType specType) override;
    void EraseSpec(const pxr::SdfPath& path) override;
    void MoveSpec(const pxr::SdfPath& oldPath, const pxr::SdfPath& newPath) override;
    void Set(const pxr::SdfPath& path, const pxr::TfToken& field,
             const pxr::VtValue& value) override;
    void Set(const pxr::SdfPath& path, const pxr::TfToken& field,
             const pxr::SdfAbstractDataConstValue& value) override;
    void Erase(const pxr::SdfPath& path, const pxr::TfToken& field) override;
    void SetTimeSample(const pxr::SdfPath& path, double time,
                       const pxr::VtValue& value) override;
    void EraseTimeSample(const pxr::SdfPath& path, double time) override;

protected:
    void _VisitSpecs(pxr::SdfAbstractDataSpecVisitor* visitor) const override;

private:
    struct Column {
        pxr::TfToken name;
        int index = -1; // in _columns, and in the cache's keys
        int field = -1; // index in the file's Arrow schema
        std::unique_ptr<ValueReader> reader;
        std::string arrowType;
        bool checksElements = false; // lists and vectors: a null element is an error
        bool everyRow = false; // the footer says every row has a value (no nulls)
        int64_t unitRows = 0; // rows per block in a large row group; 0: the whole group
        // Each block's presence once known, read without a lock: block k of
        // row group g at unitBase[g] + k. Owned by the layer's _presenceOwned.
        std::vector<int64_t> unitBase;
        std::unique_ptr<std::atomic<const Presence*>[]> presence;
        mutable std::atomic<uint64_t> blocksDecoded{0};
        mutable std::atomic<uint64_t> presenceRead{0}; // blocks whose levels were read
        mutable std::atomic<uint64_t> rowsDecoded{0};
        // Blocks served from the mapped asset (MappedLists), and their bytes.
        mutable std::atomic<uint64_t> blocksMapped{0};
        mutable std::atomic<uint64_t> bytesMapped{0};
        // Time-series tables: every row has a value (from the footer), so
        // each attribute's samples are its prim's; else each (prim, column)
        // sample list found from the presence bits on first use, by slot.
        bool seriesAll = false;
        std::unique_ptr<std::atomic<const Samples*>[]> attrSamples;
    };
    // The block holding a row of a column: a row group, or a range of it.
    struct Unit {
        int group = 0;
        int64_t index = 0;  // the range's number in the group
        int64_t first = 0;  // the range's first row in the group
        int64_t rows = 0;   // rows in the range
        bool whole = true;  // the range is the whole group
        int64_t offset = 0; // the row's index in the range
        int64_t Part() const { return (static_cast<int64_t>(group) << 32) | index; }
    };
    // What a path names in this layer.
    struct Target {
        pxr::SdfSpecType type = pxr::SdfSpecTypeUnknown;
        const PrimIndex::Prim* prim = nullptr; // prims, and an attribute's prim
        const Column* column = nullptr;        // attributes
    };

    LayerData();
    void _Open(const std::string& resolvedPath,
               const pxr::SdfFileFormat::FileFormatArguments& arguments, bool metadataOnly);
    void _ReadLayerMetadata();
    void _ChooseColumns(const LayerOptions& options);
    void _IndexPaths(const std::string& prefix);

    void _VisitPrims(pxr::SdfAbstractDataSpecVisitor* visitor) const;
    Target _Resolve(const pxr::SdfPath& path) const;
    // Whether the row has the attribute: its value is not null (and, for a
    // list or vector, holds no null element). From the footer or the
    // block's presence bits: never decodes a value.
    bool _Exists(const Column& column, int64_t row) const;
    // The same for a row already located in its block.
    bool _ExistsIn(const Column& column, const Unit& unit, int64_t row) const;
    // The attribute's value (not null): fills ``value`` if given. False for a
    // null (no opinion) or a value that cannot be read (error reported).
    bool _Value(const Column& column, int64_t row, pxr::VtValue* value) const;
    Unit _Locate(const Column& column, int64_t row) const;
    std::shared_ptr<const Block> _Block(const Column& column, const Unit& unit) const;
    const Presence* _Presence(const Column& column, const Unit& unit) const;
    void _ReportBadElement(const Column& column, int64_t row) const;
    bool _Field(const Target& target, const pxr::TfToken& field,
                pxr::VtValue* value) const;
    pxr::TfTokenVector _PropertyNames(const PrimIndex::Prim& prim) const;
    // Whether the prim has the attribute: a value (property table) or at
    // least one sample (time-series table); never decodes a value.
    bool _Has(const Column& column, const PrimIndex::Prim& prim) const;
    // A time-series attribute's samples (its non-null rows, by time).
    const Samples* _AttrSamples(const Column& column, const PrimIndex::Prim& prim) const;
    // The samples of the attribute at ``path``, or null (no such attribute,
    // or not a time-series table).
    const Samples* _SamplesAt(const pxr::SdfPath& path, const Column** column) const;
    pxr::VtValue _SampleMap(const Column& column, const Samples& samples) const;
    void _ReadOnly(const char* what, const pxr::SdfPath& path) const;

    const uint64_t _id;
    std::string _identifier;
    std::string _file;
    std::unique_ptr<ParquetTable> _table;
    std::unique_ptr<PrimIndex> _index;
    std::vector<std::unique_ptr<Column>> _columns;
    pxr::pxr_tsl::robin_map<pxr::TfToken, const Column*, pxr::TfToken::HashFunctor> _byName;
    uint64_t _pathBlocksRead = 0;
    // Time-series tables: the ``time`` field, and the samples of each prim
    // (PrimIndex::Prim::row is then the prim's slot in it, not a file row).
    int _timeField = -1;
    std::unique_ptr<SeriesIndex> _series;
    struct OwnedSamples {
        Samples samples;
        std::vector<double> times;
        std::vector<uint32_t> rows; // tables have < 2^32 rows
    };
    mutable std::mutex _samplesMutex;
    mutable std::vector<std::unique_ptr<OwnedSamples>> _samplesOwned;
    mutable std::once_flag _allTimesOnce;
    mutable std::set<double> _allTimes;
    bool _metadataOnly = false;
    // Layer metadata from the file's key-value metadata (pseudo-root fields).
    std::vector<std::pair<pxr::TfToken, pxr::VtValue>> _layerFields;

    using BlockKey = std::pair<int, int64_t>; // (column, Unit::Part())
    struct BlockKeyHash {
        size_t operator()(const BlockKey& key) const
        {
            return std::hash<uint64_t>()(static_cast<uint64_t>(key.second) * 1000003u +
                                         static_cast<uint64_t>(key.first));
        }
    };
    // Blocks being decoded, and presence being read: once per key.
    mutable InFlight<BlockKey, Block> _decoding;
    mutable InFlight<BlockKey, Presence> _reading;
    // The presence bitmaps the columns' slots point at.
    mutable std::mutex _presenceMutex;
    mutable std::vector<std::shared_ptr<const Presence>> _presenceOwned;
    mutable std::mutex _failedMutex;
    mutable std::set<BlockKey> _failedBlocks;
    mutable std::set<BlockKey> _failedPresence;
    mutable std::mutex _reportMutex;
    mutable std::set<std::pair<int64_t, int>> _reported; // (row, column), bounded
    mutable bool _reportsCapped = false;
};

} // namespace usdparquet

#endif
