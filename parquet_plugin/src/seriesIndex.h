// The samples of a time-series table (a ``path`` column, a ``time`` column,
// one row per (prim, time)): per prim, its sample times in order and the file
// row of each. Built once from the ``path`` and ``time`` columns when the
// layer opens (no value column is read), then only read, by any number of
// threads, without locking. Equal time lists are stored once and shared by
// every prim (and attribute) that has them, as crate shares its time lists;
// a prim's rows are stored as ``first + k * stride`` when they form a
// progression (tables written by path, or frame-major), else as a range of
// one flat array of rows (every prim's rows, grouped by prim).
//
// Tables by path and frame-major tables (sorted by time, every frame listing
// the same prims in the same order) are indexed as the rows stream past,
// with no per-row memory; any other order falls back to a counting sort.
// Row groups as Arrow writes them (dictionary-encoded paths, double times,
// no nulls) are read through raw pointers, with no per-row type dispatch.
#ifndef USDPARQUET_SERIES_INDEX_H
#define USDPARQUET_SERIES_INDEX_H

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace usdparquet {

class ParquetTable;

// A sorted list of sample times and the file row holding each.
struct Samples {
    const std::vector<double>* times = nullptr; // shared; never null once built
    int64_t first = 0;
    int64_t stride = 0;                 // rows first + k * stride if ``rows`` is null
    const uint32_t* rows = nullptr;     // Size() rows (tables have < 2^32 rows)

    size_t Size() const { return times ? times->size() : 0; }
    bool Empty() const { return Size() == 0; }
    double Time(size_t k) const { return (*times)[k]; }
    int64_t Row(size_t k) const
    {
        return rows ? static_cast<int64_t>(rows[k]) : first + static_cast<int64_t>(k) * stride;
    }
    // The index of the sample at exactly ``time``, or -1.
    int64_t Find(double time) const;
};

class SeriesIndex {
public:
    // Reads the ``path`` and ``time`` columns of every row group of
    // ``table``, keeping the rows whose path ``keeps`` accepts. Throws
    // ParquetError naming ``file`` and the row(s): a null path, a null or NaN
    // time, the same (path, time) twice (both rows).
    SeriesIndex(const ParquetTable& table, int pathField, int timeField,
                const std::string& file,
                const std::function<bool(std::string_view)>& keeps);

    size_t NumPrims() const { return _samples.size(); }
    // Prim ``slot``'s path (slots number the prims in the order first seen).
    const std::string& Path(size_t slot) const { return _paths[slot]; }
    const Samples& Of(size_t slot) const { return _samples[slot]; }
    // Every distinct time list (each prim's list is one of them).
    const std::vector<std::unique_ptr<std::vector<double>>>& TimeLists() const
    {
        return _timeLists;
    }
    uint64_t BlocksRead() const { return _blocksRead; }
    // How the rows were found: "path" (grouped by path), "frame"
    // (frame-major) or "any" (the counting sort).
    const char* Order() const { return _order; }
    size_t Bytes() const;

private:
    class Paths;
    // Calls ``visit(row, slot, added, time)`` for each row the prefix keeps,
    // in file order (``added``: the row's prim is new); false as soon as a
    // call returns false.
    template <class Visit>
    bool _ForEachRow(const ParquetTable& table, int pathField, int timeField,
                     const std::string& file,
                     const std::function<bool(std::string_view)>& keeps, Visit&& visit);
    bool _ReadStreaming(const ParquetTable& table, int pathField, int timeField,
                        const std::string& file,
                        const std::function<bool(std::string_view)>& keeps);
    void _ReadAnyOrder(const ParquetTable& table, int pathField, int timeField,
                       const std::string& file,
                       const std::function<bool(std::string_view)>& keeps);
    const std::vector<double>* _Intern(const std::vector<double>& times);

    std::deque<std::string> _paths;
    std::vector<Samples> _samples;
    std::vector<std::unique_ptr<std::vector<double>>> _timeLists;
    std::vector<uint32_t> _rows; // the rows of prims that are no progression
    uint64_t _blocksRead = 0;
    const char* _order = "any";
    std::unordered_multimap<size_t, const std::vector<double>*> _interned;
};

} // namespace usdparquet

#endif
