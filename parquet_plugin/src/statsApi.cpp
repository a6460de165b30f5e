#include "statsApi.h"

#include "arrowArraySource.h"

#include "blockCache.h"
#include "layerData.h"
#include "layerRegistry.h"

#include <algorithm>
#include <cstring>
#include <sstream>
#include <string>

using namespace usdparquet;

namespace {

std::string
CacheJson()
{
    const CacheStats stats = BlockCache::Instance().Stats();
    std::ostringstream out;
    out << "{\"budget_bytes\": " << stats.budgetBytes
        << ", \"bytes_held\": " << stats.bytesHeld
        << ", \"peak_bytes_held\": " << stats.peakBytesHeld
        << ", \"blocks_held\": " << stats.blocksHeld
        << ", \"blocks_decoded\": " << stats.blocksDecoded
        << ", \"hits\": " << stats.hits << ", \"evictions\": " << stats.evictions
        << ", \"zero_copy_arrays_live\": " << ArrowArraySource::Live()
        << ", \"zero_copy_arrays_made\": " << ArrowArraySource::Made() << "}";
    return out.str();
}

} // namespace

size_t
usdparquet_stats_json(const char* layerIdentifier, char* buffer, size_t size)
{
    try {
        std::string json;
        if (!layerIdentifier) {
            json = CacheJson();
        } else if (!LayerRegistry::Instance().With(
                       layerIdentifier,
                       [&json](const LayerData& data) { json = data.StatsJson(); })) {
            return 0;
        }
        if (buffer && size > 0) {
            const size_t n = std::min(size - 1, json.size());
            std::memcpy(buffer, json.data(), n);
            buffer[n] = '\0';
        }
        return json.size();
    } catch (...) {
        return 0; // nothing escapes into a C caller
    }
}

void
usdparquet_set_cache_budget(uint64_t bytes)
{
    BlockCache::Instance().SetBudget(static_cast<size_t>(bytes));
}

void
usdparquet_reset_cache_counters(void)
{
    BlockCache::Instance().ResetCounters();
}
