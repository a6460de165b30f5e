// The decoded values of one column in one row group: the unit the block
// cache holds, evicts and counts.
#ifndef USDPARQUET_BLOCK_H
#define USDPARQUET_BLOCK_H

#include <arrow/array.h>
#include <arrow/chunked_array.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace usdparquet {

class Block {
public:
    // ``mappedBytes``: how many of the values' bytes are slices of a
    // memory-mapped asset (file-backed memory, not the block's own).
    explicit Block(const arrow::ChunkedArray& values, size_t mappedBytes = 0);

    // Bytes of Arrow buffers the block keeps alive (shared buffers once),
    // without the mapped ones: what the cache's budget counts.
    size_t Bytes() const { return _bytes; }
    // Bytes of the mapped asset the block's values are (no copy).
    size_t MappedBytes() const { return _mapped; }
    int64_t Length() const { return _ends.empty() ? 0 : _ends.back(); }

    // The array holding element ``i`` of the block and i's index in it.
    // Nearly always one chunk; Arrow splits a row group's column only when
    // its binary data exceeds one array's 2 GiB limit.
    std::pair<const arrow::Array*, int64_t> Locate(int64_t i) const;
    // The block's one array, or null if it has none or several.
    const arrow::Array* Single() const
    {
        return _chunks.size() == 1 ? _chunks.front().get() : nullptr;
    }

private:
    std::vector<std::shared_ptr<arrow::Array>> _chunks;
    std::vector<int64_t> _ends;
    size_t _bytes = 0;
    size_t _mapped = 0;
};

} // namespace usdparquet

#endif
