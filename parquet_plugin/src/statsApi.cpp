#include "statsApi.h"

#include "arrowArraySource.h"

#include "blockCache.h"
#include "layerData.h"
#include "layerRegistry.h"
#include "pagePool.h"
#include "valueReader.h"

#include <pxr/tf/weakPtr.h>

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
        << ", \"zero_copy_arrays_made\": " << ArrowArraySource::Made()
        << ", \"unaligned_array_copies\": " << UnalignedArrayCopies()
        << ", \"page_pool_mapped_bytes\": " << PagePool::Instance().MappedBytes()
        << ", \"page_pool_maps\": " << PagePool::Instance().MappedCount() << "}";
    return out.str();
}

// The live data of a layer, held (null if none): the registry's lock is
// released before it is used.
LayerDataRefPtr
Hold(const char* identifier)
{
    LayerDataRefPtr held;
    LayerRegistry::Instance().With(identifier, [&held](const LayerData& data) {
        // Null if its last reference is going away meanwhile.
        held = pxr::TfCreateRefPtrFromProtectedWeakPtr(
            pxr::TfWeakPtr<LayerData>(const_cast<LayerData*>(&data)));
    });
    return held;
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

int
usdparquet_layers_equal(const char* identifierA, const char* identifierB)
{
    try {
        const LayerDataRefPtr a = Hold(identifierA);
        const LayerDataRefPtr b = Hold(identifierB);
        if (!a || !b) {
            return -1;
        }
        return a->Equals(b) ? 1 : 0;
    } catch (...) {
        return -1; // nothing escapes into a C caller
    }
}

void
usdparquet_reset_cache_counters(void)
{
    BlockCache::Instance().ResetCounters();
}
