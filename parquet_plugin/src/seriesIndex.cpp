#include "seriesIndex.h"

#include "parquetError.h"
#include "parquetTable.h"
#include "primIndex.h"

#include <pxr/tf/hash.h>
#include <pxr/tf/mallocTag.h>
#include <pxr/tf/pxrTslRobinMap/robin_map.h>
#include <pxr/trace/trace.h>

#include <arrow/array.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <sstream>
#include <unordered_map>

using namespace pxr;

namespace usdparquet {

namespace {

constexpr uint32_t kNotKept = std::numeric_limits<uint32_t>::max();

// Element ``i`` of a string column (plain or dictionary); false if null.
bool
PathAt(const arrow::Array& values, int64_t i, std::string_view* out)
{
    if (values.IsNull(i)) {
        return false;
    }
    const arrow::Array* strings = &values;
    if (values.type_id() == arrow::Type::DICTIONARY) {
        const auto& dict = static_cast<const arrow::DictionaryArray&>(values);
        strings = dict.dictionary().get();
        i = dict.GetValueIndex(i);
        if (strings->IsNull(i)) {
            return false;
        }
    }
    switch (strings->type_id()) {
    case arrow::Type::STRING:
        *out = static_cast<const arrow::StringArray&>(*strings).GetView(i);
        return true;
    case arrow::Type::LARGE_STRING:
        *out = static_cast<const arrow::LargeStringArray&>(*strings).GetView(i);
        return true;
    case arrow::Type::STRING_VIEW:
        *out = static_cast<const arrow::StringViewArray&>(*strings).GetView(i);
        return true;
    default:
        return false;
    }
}

// Element ``i`` of a numeric column as a double; false if null.
bool
TimeAt(const arrow::Array& values, int64_t i, double* out)
{
    if (values.IsNull(i)) {
        return false;
    }
    switch (values.type_id()) {
    case arrow::Type::DOUBLE:
        *out = static_cast<const arrow::DoubleArray&>(values).Value(i);
        return true;
    case arrow::Type::FLOAT:
        *out = static_cast<const arrow::FloatArray&>(values).Value(i);
        return true;
    case arrow::Type::INT32:
        *out = static_cast<const arrow::Int32Array&>(values).Value(i);
        return true;
    case arrow::Type::INT64:
        *out = static_cast<double>(static_cast<const arrow::Int64Array&>(values).Value(i));
        return true;
    default:
        return false;
    }
}

std::string
TimeText(double time)
{
    std::ostringstream out;
    out.precision(17);
    out << time;
    return out.str();
}

} // namespace

int64_t
Samples::Find(double time) const
{
    if (!times) {
        return -1;
    }
    const auto it = std::lower_bound(times->begin(), times->end(), time);
    return it != times->end() && *it == time ? it - times->begin() : -1;
}

SeriesIndex::SeriesIndex(const ParquetTable& table, int pathField, int timeField,
                         const std::string& file,
                         const std::function<bool(std::string_view)>& keeps)
{
    TRACE_FUNCTION();
    TfAutoMallocTag tag("usdParquet", "series index");
    const int64_t rows = table.NumRows();
    if (rows >= static_cast<int64_t>(kNotKept)) {
        throw ParquetError(file, "a time-series table of 2^32 rows or more");
    }
    // Per row: its prim's slot and its time.
    std::vector<uint32_t> slotOf(static_cast<size_t>(rows), kNotKept);
    std::vector<double> timeOf(static_cast<size_t>(rows), 0.0);
    pxr_tsl::robin_map<std::string_view, uint32_t, TfHash> slots;
    uint32_t last = 0;
    for (int group = 0; group < table.NumRowGroups(); ++group) {
        const std::shared_ptr<const Block> paths = table.ReadBlock(pathField, group);
        const std::shared_ptr<const Block> times = table.ReadBlock(timeField, group);
        _blocksRead += 2;
        const int64_t start = table.RowGroupStart(group);
        for (int64_t i = 0; i < paths->Length(); ++i) {
            const int64_t row = start + i;
            const auto [pathArray, j] = paths->Locate(i);
            std::string_view path;
            if (!PathAt(*pathArray, j, &path)) {
                PrimIndex::NullPath(file, row);
            }
            if (!keeps(path)) {
                continue;
            }
            const auto [timeArray, k] = times->Locate(i);
            double time = 0;
            if (!TimeAt(*timeArray, k, &time)) {
                throw ParquetError(file,
                                   "null time: every row of a time-series table needs "
                                   "a time (a USD time code)",
                                   row, "time");
            }
            if (std::isnan(time)) {
                throw ParquetError(file, "time is NaN (not a USD time code)", row, "time");
            }
            timeOf[row] = time;
            // The previous row's prim, or the next one (frame-major tables
            // list the prims in the same order every frame), before a lookup.
            uint32_t slot = kNotKept;
            if (!_paths.empty()) {
                if (_paths[last] == path) {
                    slot = last;
                } else {
                    const uint32_t next = last + 1 < _paths.size() ? last + 1 : 0;
                    if (_paths[next] == path) {
                        slot = next;
                    }
                }
            }
            if (slot == kNotKept) {
                const auto it = slots.find(path);
                if (it != slots.end()) {
                    slot = it->second;
                } else {
                    slot = static_cast<uint32_t>(_paths.size());
                    _paths.emplace_back(path);
                    slots.emplace(std::string_view(_paths.back()), slot);
                }
            }
            slotOf[row] = slot;
            last = slot;
        }
    }
    slots = {};
    // The rows of each prim, in row order (a counting sort by slot).
    const size_t prims = _paths.size();
    std::vector<uint32_t> begin(prims + 1, 0);
    for (const uint32_t slot : slotOf) {
        if (slot != kNotKept) {
            ++begin[slot + 1];
        }
    }
    std::partial_sum(begin.begin(), begin.end(), begin.begin());
    std::vector<uint32_t> order(begin.back());
    {
        std::vector<uint32_t> fill(begin.begin(), begin.end() - 1);
        for (size_t row = 0; row < slotOf.size(); ++row) {
            if (slotOf[row] != kNotKept) {
                order[fill[slotOf[row]]++] = static_cast<uint32_t>(row);
            }
        }
    }
    slotOf = {};
    // Each prim's samples by time; equal time lists shared.
    std::unordered_multimap<size_t, const std::vector<double>*> interned;
    _samples.resize(prims);
    std::vector<double> times;
    for (size_t slot = 0; slot < prims; ++slot) {
        uint32_t* first = order.data() + begin[slot];
        uint32_t* end = order.data() + begin[slot + 1];
        if (!std::is_sorted(first, end, [&](uint32_t a, uint32_t b) {
                return timeOf[a] < timeOf[b];
            })) {
            std::stable_sort(first, end, [&](uint32_t a, uint32_t b) {
                return timeOf[a] < timeOf[b];
            });
        }
        times.clear();
        for (uint32_t* it = first; it != end; ++it) {
            if (it != first && timeOf[*it] == timeOf[*(it - 1)]) {
                throw ParquetError(file,
                                   "the same (path, time) twice: path " + Quoted(_paths[slot]) +
                                       " at time " + TimeText(timeOf[*it]) +
                                       " (one row per prim and time)",
                                   *(it - 1), std::string(), *it);
            }
            times.push_back(timeOf[*it]);
        }
        const size_t hash = TfHash::Combine(
            times.size(), TfHash()(std::string_view(reinterpret_cast<const char*>(times.data()),
                                                    times.size() * sizeof(double))));
        const std::vector<double>* shared = nullptr;
        const auto [lo, hi] = interned.equal_range(hash);
        for (auto it = lo; it != hi; ++it) {
            if (*it->second == times) {
                shared = it->second;
                break;
            }
        }
        if (!shared) {
            _timeLists.push_back(std::make_unique<std::vector<double>>(times));
            shared = _timeLists.back().get();
            interned.emplace(hash, shared);
        }
        Samples& samples = _samples[slot];
        samples.times = shared;
        const size_t n = static_cast<size_t>(end - first);
        samples.first = first[0];
        samples.stride = n > 1 ? static_cast<int64_t>(first[1]) - first[0] : 1;
        bool progression = samples.stride != 0;
        for (size_t k = 2; progression && k < n; ++k) {
            progression = static_cast<int64_t>(first[k]) - first[k - 1] == samples.stride;
        }
        if (!progression) {
            _rowLists.push_back(std::make_unique<std::vector<int64_t>>(first, end));
            samples.rows = _rowLists.back().get();
        }
    }
}

size_t
SeriesIndex::Bytes() const
{
    size_t bytes = _samples.size() * sizeof(Samples);
    for (const auto& list : _timeLists) {
        bytes += list->size() * sizeof(double);
    }
    for (const auto& list : _rowLists) {
        bytes += list->size() * sizeof(int64_t);
    }
    for (const std::string& path : _paths) {
        bytes += path.capacity() + sizeof(std::string);
    }
    return bytes;
}

} // namespace usdparquet
