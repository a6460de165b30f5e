#include "blockCache.h"

#include <pxr/tf/envSetting.h>
#include <pxr/tf/staticData.h>

#include <algorithm>
#include <functional>

using namespace pxr;

// 256 MiB: holds every value of a 1M-prim x 20-property table (~170 MiB
// decoded), so a full traversal of such a file decodes each block once;
// larger files, or a smaller budget, evict the least recently used blocks.
TF_DEFINE_ENV_SETTING(USDPARQUET_CACHE_MB, 256,
                      "Budget in MiB of the Parquet file format's cache of "
                      "decoded (column, row group) blocks, shared by every "
                      "open Parquet layer of the process.");

namespace usdparquet {

namespace {

// USD's pattern for a process-wide object that is never destroyed: layers
// may still be released during static destruction.
struct CacheFactory {
    static BlockCache* New()
    {
        const int mib = std::max(0, TfGetEnvSetting(USDPARQUET_CACHE_MB));
        return new BlockCache(static_cast<size_t>(mib) << 20);
    }
};

TfStaticData<BlockCache, CacheFactory> theCache;

} // namespace

BlockCache&
BlockCache::Instance()
{
    return *theCache;
}

BlockCache::BlockCache(size_t budgetBytes)
{
    _stats.budgetBytes = budgetBytes;
}

size_t
BlockCache::KeyHash::operator()(const Key& key) const
{
    size_t h = std::hash<uint64_t>()(key.owner);
    h ^= std::hash<uint64_t>()((static_cast<uint64_t>(key.column) << 32) ^
                               static_cast<uint32_t>(key.rowGroup)) +
         0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return h;
}

std::shared_ptr<const Block>
BlockCache::Find(const Key& key)
{
    std::lock_guard<std::mutex> lock(_mutex);
    const auto it = _index.find(key);
    if (it == _index.end()) {
        return nullptr;
    }
    _order.splice(_order.begin(), _order, it->second);
    ++_stats.hits;
    return it->second->block;
}

std::shared_ptr<const Block>
BlockCache::Insert(const Key& key, std::shared_ptr<const Block> block)
{
    std::lock_guard<std::mutex> lock(_mutex);
    const auto it = _index.find(key);
    if (it != _index.end()) {
        _stats.bytesHeld -= it->second->block->Bytes();
        _order.erase(it->second);
        _index.erase(it);
        --_stats.blocksHeld;
    }
    _order.push_front(Entry{key, block});
    _index.emplace(key, _order.begin());
    _stats.bytesHeld += block->Bytes();
    ++_stats.blocksHeld;
    ++_stats.blocksDecoded;
    _Evict(&_order.front());
    _stats.peakBytesHeld = std::max(_stats.peakBytesHeld, _stats.bytesHeld);
    return block;
}

void
BlockCache::_Evict(const Entry* keep)
{
    while (_stats.bytesHeld > _stats.budgetBytes && !_order.empty()) {
        Entry& victim = _order.back();
        if (&victim == keep) {
            break; // the only block left: a block larger than the budget
        }
        _stats.bytesHeld -= victim.block->Bytes();
        --_stats.blocksHeld;
        ++_stats.evictions;
        _index.erase(victim.key);
        _order.pop_back();
    }
}

void
BlockCache::EraseOwner(uint64_t owner)
{
    std::lock_guard<std::mutex> lock(_mutex);
    for (auto it = _order.begin(); it != _order.end();) {
        if (it->key.owner == owner) {
            _stats.bytesHeld -= it->block->Bytes();
            --_stats.blocksHeld;
            _index.erase(it->key);
            it = _order.erase(it);
        } else {
            ++it;
        }
    }
}

void
BlockCache::SetBudget(size_t budgetBytes)
{
    std::lock_guard<std::mutex> lock(_mutex);
    _stats.budgetBytes = budgetBytes;
    _Evict(nullptr);
}

CacheStats
BlockCache::Stats() const
{
    std::lock_guard<std::mutex> lock(_mutex);
    return _stats;
}

void
BlockCache::ResetCounters()
{
    std::lock_guard<std::mutex> lock(_mutex);
    _stats.blocksDecoded = 0;
    _stats.hits = 0;
    _stats.evictions = 0;
    _stats.peakBytesHeld = _stats.bytesHeld;
}

} // namespace usdparquet
