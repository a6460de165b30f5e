#include "block.h"

#include <arrow/util/byte_size.h>

#include <algorithm>

namespace usdparquet {

Block::Block(const arrow::ChunkedArray& values, size_t mappedBytes) : _mapped(mappedBytes)
{
    int64_t end = 0;
    for (const auto& chunk : values.chunks()) {
        if (chunk->length() == 0) {
            continue;
        }
        end += chunk->length();
        _chunks.push_back(chunk);
        _ends.push_back(end);
    }
    const size_t total = static_cast<size_t>(arrow::util::TotalBufferSize(values));
    _bytes = total > mappedBytes ? total - mappedBytes : 0;
}

std::pair<const arrow::Array*, int64_t>
Block::Locate(int64_t i) const
{
    if (_chunks.size() == 1) {
        return {_chunks.front().get(), i};
    }
    const auto it = std::upper_bound(_ends.begin(), _ends.end(), i);
    const size_t k = static_cast<size_t>(it - _ends.begin());
    const int64_t start = k == 0 ? 0 : _ends[k - 1];
    return {_chunks[k].get(), i - start};
}

} // namespace usdparquet
