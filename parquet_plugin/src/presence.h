// Which rows of one (column, row group) block hold a value, and which hold
// a list or vector with a null element inside (an error, not a value): one
// bit each per row, read from the Parquet levels, never from values.
#ifndef USDPARQUET_PRESENCE_H
#define USDPARQUET_PRESENCE_H

#include <cstddef>
#include <cstdint>
#include <vector>

namespace usdparquet {

class Presence {
public:
    enum class State { All, None, Mixed };

    // Every row present (``All``) or none (``None``), without a bitmap.
    explicit Presence(State state, int64_t rows) : _state(state), _rows(rows) {}
    // Per row: ``present`` and ``bad`` bitmaps (bit i of word i / 64).
    Presence(int64_t rows, std::vector<uint64_t> present, std::vector<uint64_t> bad);

    State GetState() const { return _state; }
    int64_t Rows() const { return _rows; }
    // Row ``i`` holds a value (not null).
    bool Present(int64_t i) const
    {
        return _state == State::All ||
               (_state == State::Mixed && (_present[i >> 6] >> (i & 63)) & 1);
    }
    // Row ``i`` holds a list or vector with a null element.
    bool Bad(int64_t i) const
    {
        return !_bad.empty() && (_bad[i >> 6] >> (i & 63)) & 1;
    }
    size_t Bytes() const { return (_present.size() + _bad.size()) * sizeof(uint64_t); }

private:
    State _state;
    int64_t _rows;
    std::vector<uint64_t> _present;
    std::vector<uint64_t> _bad; // empty: no bad row
};

} // namespace usdparquet

#endif
