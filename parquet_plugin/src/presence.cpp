#include "presence.h"

#include <algorithm>
#include <utility>

namespace usdparquet {

Presence::Presence(int64_t rows, std::vector<uint64_t> present, std::vector<uint64_t> bad)
    : _state(State::Mixed), _rows(rows), _present(std::move(present)), _bad(std::move(bad))
{
    if (std::all_of(_bad.begin(), _bad.end(), [](uint64_t w) { return w == 0; })) {
        _bad.clear();
        _bad.shrink_to_fit();
    }
}

} // namespace usdparquet
