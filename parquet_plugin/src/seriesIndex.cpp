#include "seriesIndex.h"

#include "parquetError.h"
#include "parquetTable.h"
#include "primIndex.h"
#include "valueReader.h"

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

// Resolves the rows' paths to prim slots: a dictionary-encoded path column
// (a path repeated row after row) is looked up once per distinct string.
class SeriesIndex::Paths {
public:
    Paths(SeriesIndex& index, const std::string& file,
          const std::function<bool(std::string_view)>& keeps)
        : _index(index), _file(file), _keeps(keeps)
    {
    }

    // The slot of row ``row`` (element ``j`` of ``array``), kNotKept for a
    // row the prefix leaves out; ``*added``: a new prim.
    uint32_t Slot(const arrow::Array& array, int64_t j, int64_t row, bool* added)
    {
        *added = false;
        if (array.type_id() == arrow::Type::DICTIONARY) {
            const auto& dict = static_cast<const arrow::DictionaryArray&>(array);
            if (&array != _chunk) {
                _chunk = &array;
                _dictSlots.assign(static_cast<size_t>(dict.dictionary()->length()), kUnknown);
            }
            if (dict.IsNull(j)) {
                PrimIndex::NullPath(_file, row);
            }
            return DictSlot(dict, dict.GetValueIndex(j), row, added);
        }
        std::string_view path;
        if (!StringAt(array, j, &path)) {
            PrimIndex::NullPath(_file, row);
        }
        return _Predicted(path, added);
    }

    // The slot of dictionary entry ``k`` of ``dict`` (row ``row``'s path).
    uint32_t DictSlot(const arrow::DictionaryArray& dict, int64_t k, int64_t row, bool* added)
    {
        if (&dict != _chunk) {
            _chunk = &dict;
            _dictSlots.assign(static_cast<size_t>(dict.dictionary()->length()), kUnknown);
        }
        if (k < 0 || static_cast<size_t>(k) >= _dictSlots.size()) {
            throw ParquetError(_file, "path dictionary index out of range", row, "path");
        }
        uint32_t& slot = _dictSlots[static_cast<size_t>(k)];
        if (slot == kUnknown) {
            std::string_view path;
            if (!StringAt(*dict.dictionary(), k, &path)) {
                PrimIndex::NullPath(_file, row);
            }
            slot = _Predicted(path, added);
        }
        return slot;
    }

    // A new block begins: forget the last one's dictionary (its memory may
    // be reused at the same address).
    void NewBlock() { _chunk = nullptr; }

private:
    static constexpr uint32_t kUnknown = kNotKept - 1;

    // The previous row's prim, or the next one (frame-major tables list the
    // prims in the same order every frame, so a frame's dictionary holds
    // new strings for known prims), before a lookup.
    uint32_t _Predicted(std::string_view path, bool* added)
    {
        auto& paths = _index._paths;
        if (!paths.empty()) {
            if (paths[_last] == path) {
                return _last;
            }
            const uint32_t next = _last + 1 < paths.size() ? _last + 1 : 0;
            if (paths[next] == path) {
                return _last = next;
            }
        }
        const uint32_t slot = _Lookup(path, added);
        if (slot != kNotKept) {
            _last = slot;
        }
        return slot;
    }

    uint32_t _Lookup(std::string_view path, bool* added)
    {
        if (!_keeps(path)) {
            return kNotKept;
        }
        const auto it = _slots.find(path);
        if (it != _slots.end()) {
            return it->second;
        }
        auto& paths = _index._paths;
        const uint32_t slot = static_cast<uint32_t>(paths.size());
        paths.emplace_back(path);
        _slots.emplace(std::string_view(paths.back()), slot);
        *added = true;
        return slot;
    }

    SeriesIndex& _index;
    const std::string& _file;
    const std::function<bool(std::string_view)>& _keeps;
    pxr_tsl::robin_map<std::string_view, uint32_t, TfHash> _slots;
    const arrow::Array* _chunk = nullptr;
    std::vector<uint32_t> _dictSlots;
    uint32_t _last = 0;
};

namespace {

double
CheckedTime(const arrow::Array& array, int64_t k, int64_t row, const std::string& file)
{
    double time = 0;
    if (!TimeAt(array, k, &time)) {
        throw ParquetError(file,
                           "null time: every row of a time-series table needs a time (a USD "
                           "time code)",
                           row, "time");
    }
    if (std::isnan(time)) {
        throw ParquetError(file, "time is NaN (not a USD time code)", row, "time");
    }
    return time;
}

} // namespace

const std::vector<double>*
SeriesIndex::_Intern(const std::vector<double>& times)
{
    const size_t hash = TfHash::Combine(
        times.size(), TfHash()(std::string_view(reinterpret_cast<const char*>(times.data()),
                                                times.size() * sizeof(double))));
    const auto [lo, hi] = _interned.equal_range(hash);
    for (auto it = lo; it != hi; ++it) {
        if (*it->second == times) {
            return it->second;
        }
    }
    _timeLists.push_back(std::make_unique<std::vector<double>>(times));
    _interned.emplace(hash, _timeLists.back().get());
    return _timeLists.back().get();
}

SeriesIndex::SeriesIndex(const ParquetTable& table, int pathField, int timeField,
                         const std::string& file,
                         const std::function<bool(std::string_view)>& keeps)
{
    TfAutoMallocTag tag("usdParquet", "series index");
    if (table.NumRows() >= static_cast<int64_t>(kNotKept) - 1) {
        throw ParquetError(file, "a time-series table of 2^32 rows or more");
    }
    if (!_ReadStreaming(table, pathField, timeField, file, keeps)) {
        _paths.clear();
        _samples.clear();
        _timeLists.clear();
        _interned.clear();
        _order = "any";
        _ReadAnyOrder(table, pathField, timeField, file, keeps);
    }
    _interned = {};
}

template <class Visit>
bool
SeriesIndex::_ForEachRow(const ParquetTable& table, int pathField, int timeField,
                         const std::string& file,
                         const std::function<bool(std::string_view)>& keeps, Visit&& visit)
{
    Paths paths(*this, file, keeps);
    for (int group = 0; group < table.NumRowGroups(); ++group) {
        const std::shared_ptr<const Block> pathBlock = table.ReadIndexBlock(pathField, group);
        const std::shared_ptr<const Block> timeBlock = table.ReadIndexBlock(timeField, group);
        _blocksRead += 2;
        paths.NewBlock();
        const int64_t start = table.RowGroupStart(group);
        // What writers give (Arrow's dictionary-encoded strings, double
        // times, no nulls, one array each): read through raw pointers, no
        // per-row type dispatch or null check.
        const arrow::Array* pathArray = pathBlock->Single();
        const arrow::Array* timeArray = timeBlock->Single();
        if (pathArray && timeArray && pathArray->type_id() == arrow::Type::DICTIONARY &&
            timeArray->type_id() == arrow::Type::DOUBLE && pathArray->null_count() == 0 &&
            timeArray->null_count() == 0 && pathArray->length() == timeArray->length()) {
            const auto& dict = static_cast<const arrow::DictionaryArray&>(*pathArray);
            if (dict.indices()->type_id() == arrow::Type::INT32) {
                const int32_t* indices =
                    static_cast<const arrow::Int32Array&>(*dict.indices()).raw_values();
                const double* times =
                    static_cast<const arrow::DoubleArray&>(*timeArray).raw_values();
                for (int64_t i = 0; i < pathArray->length(); ++i) {
                    const int64_t row = start + i;
                    bool added = false;
                    const uint32_t slot = paths.DictSlot(dict, indices[i], row, &added);
                    if (slot == kNotKept) {
                        continue;
                    }
                    if (std::isnan(times[i])) {
                        CheckedTime(*timeArray, i, row, file); // throws
                    }
                    if (!visit(row, slot, added, times[i])) {
                        return false;
                    }
                }
                continue;
            }
        }
        for (int64_t i = 0; i < pathBlock->Length(); ++i) {
            const int64_t row = start + i;
            const auto [pathArray, j] = pathBlock->Locate(i);
            bool added = false;
            const uint32_t slot = paths.Slot(*pathArray, j, row, &added);
            if (slot == kNotKept) {
                continue;
            }
            const auto [timeArray, k] = timeBlock->Locate(i);
            if (!visit(row, slot, added, CheckedTime(*timeArray, k, row, file))) {
                return false;
            }
        }
    }
    return true;
}

bool
SeriesIndex::_ReadStreaming(const ParquetTable& table, int pathField, int timeField,
                            const std::string& file,
                            const std::function<bool(std::string_view)>& keeps)
{
    TRACE_FUNCTION();
    // Two orders are recognised in the same pass, each dropped at the first
    // row that breaks it; false when both are. By path: each prim's rows
    // together with rising times, its samples known when its run ends. Frame
    // major: the times never fall, every row of a frame has the frame's time,
    // the first frame lists each prim once and every later frame lists the
    // same prims in the same order at the same offsets, so prim ``s``'s rows
    // are ``first_s + k * stride`` and every prim has the frames' times (one
    // list, shared). Neither keeps memory per row.
    bool byPath = true;
    uint32_t current = kNotKept;
    std::vector<double> times;                       // the current prim's
    std::vector<const std::vector<double>*> primTimes; // per prim, by path
    const auto finish = [&]() {
        if (current != kNotKept) {
            primTimes[current] = _Intern(times);
        }
    };

    bool byFrame = true;
    std::vector<double> frameTimes;
    size_t frame = 0;    // the current frame
    uint32_t next = 0;   // the slot the next row of the frame must have
    uint32_t prims = 0;  // the first frame's prims (once it has ended)
    int64_t stride = 0;  // rows between a prim's rows in two frames

    const bool streamed = _ForEachRow(
        table, pathField, timeField, file, keeps,
        [&](int64_t row, uint32_t slot, bool added, double time) {
            if (added) {
                _samples.emplace_back();
                _samples.back().first = row;
                primTimes.push_back(nullptr);
            }
            if (byPath) {
                if (slot == current) {
                    byPath = time > times.back() &&
                             row == _samples[current].first + static_cast<int64_t>(times.size());
                    if (byPath) {
                        times.push_back(time);
                    }
                } else if (added) {
                    finish();
                    current = slot;
                    times.assign(1, time);
                } else {
                    byPath = false; // a prim seen before: not grouped by path
                }
            }
            if (byFrame) {
                if (frameTimes.empty() || time > frameTimes.back()) {
                    // A new frame: the previous one listed every prim.
                    if (!frameTimes.empty()) {
                        if (frame == 0) {
                            prims = next;
                        }
                        byFrame = next == prims;
                        ++frame;
                    }
                    frameTimes.push_back(time);
                    next = 0;
                }
                if (!byFrame) {
                    // the previous frame missed a prim
                } else if (!(time == frameTimes.back())) {
                    byFrame = false; // the time fell
                } else if (frame == 0) {
                    byFrame = added; // a prim twice in the first frame
                } else {
                    if (frame == 1 && next == 0 && slot == 0) {
                        stride = row - _samples[0].first;
                    }
                    byFrame = next < prims && slot == next &&
                              row == _samples[slot].first + static_cast<int64_t>(frame) * stride;
                }
                ++next;
            }
            return byPath || byFrame;
        });
    if (streamed && byPath) {
        finish();
        for (size_t slot = 0; slot < _samples.size(); ++slot) {
            _samples[slot].times = primTimes[slot];
            _samples[slot].stride = 1;
        }
        _order = "path";
        return true;
    }
    if (streamed && (frame == 0 || next == prims)) {
        // The lists the path order interned before it broke are not used.
        _timeLists.clear();
        _interned.clear();
        const std::vector<double>* shared = _Intern(frameTimes);
        for (Samples& samples : _samples) {
            samples.times = shared;
            samples.stride = frame == 0 ? 1 : stride;
        }
        _order = "frame";
        return true;
    }
    return false;
}

void
SeriesIndex::_ReadAnyOrder(const ParquetTable& table, int pathField, int timeField,
                           const std::string& file,
                           const std::function<bool(std::string_view)>& keeps)
{
    TRACE_FUNCTION();
    const int64_t rows = table.NumRows();
    // Per row: its prim's slot and its time.
    std::vector<uint32_t> slotOf(static_cast<size_t>(rows), kNotKept);
    std::vector<double> timeOf(static_cast<size_t>(rows), 0.0);
    _ForEachRow(table, pathField, timeField, file, keeps,
                [&](int64_t row, uint32_t slot, bool, double time) {
                    timeOf[row] = time;
                    slotOf[row] = slot;
                    return true;
                });
    // The rows of each prim, in row order, in one flat array (a counting
    // sort by slot: prim ``s`` owns ``_rows[begin[s], begin[s + 1])``).
    const size_t prims = _paths.size();
    std::vector<uint32_t> begin(prims + 1, 0);
    for (const uint32_t slot : slotOf) {
        if (slot != kNotKept) {
            ++begin[slot + 1];
        }
    }
    std::partial_sum(begin.begin(), begin.end(), begin.begin());
    _rows.assign(begin.back(), 0);
    {
        std::vector<uint32_t> fill(begin.begin(), begin.end() - 1);
        for (size_t row = 0; row < slotOf.size(); ++row) {
            if (slotOf[row] != kNotKept) {
                _rows[fill[slotOf[row]]++] = static_cast<uint32_t>(row);
            }
        }
    }
    slotOf = {};
    // Each prim's samples by time; equal time lists shared.
    _samples.resize(prims);
    std::vector<double> times;
    bool anyListed = false;
    for (size_t slot = 0; slot < prims; ++slot) {
        uint32_t* first = _rows.data() + begin[slot];
        uint32_t* end = _rows.data() + begin[slot + 1];
        const auto byTime = [&](uint32_t a, uint32_t b) { return timeOf[a] < timeOf[b]; };
        if (!std::is_sorted(first, end, byTime)) {
            std::stable_sort(first, end, byTime);
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
        Samples& samples = _samples[slot];
        samples.times = _Intern(times);
        const size_t n = static_cast<size_t>(end - first);
        samples.first = first[0];
        samples.stride = n > 1 ? static_cast<int64_t>(first[1]) - first[0] : 1;
        bool progression = samples.stride != 0;
        for (size_t k = 2; progression && k < n; ++k) {
            progression = static_cast<int64_t>(first[k]) - first[k - 1] == samples.stride;
        }
        if (!progression) {
            samples.rows = first; // _rows is not resized again
            anyListed = true;
        }
    }
    if (!anyListed) {
        _rows = {};
    }
}

size_t
SeriesIndex::Bytes() const
{
    size_t bytes = _samples.size() * sizeof(Samples) + _rows.capacity() * sizeof(uint32_t);
    for (const auto& list : _timeLists) {
        bytes += list->size() * sizeof(double);
    }
    for (const std::string& path : _paths) {
        bytes += path.capacity() + sizeof(std::string);
    }
    return bytes;
}

} // namespace usdparquet
