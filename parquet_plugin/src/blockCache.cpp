#include "blockCache.h"

#include <pxr/tf/envSetting.h>
#include <pxr/tf/staticData.h>

#include <algorithm>
#include <functional>
#include <mutex>

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

BlockCache::Reservation::~Reservation()
{
    if (_cache) {
        _cache->_Release(_bytes);
    }
}

size_t
BlockCache::KeyHash::operator()(const Key& key) const
{
    size_t h = std::hash<uint64_t>()(key.owner);
    h ^= std::hash<uint64_t>()(static_cast<uint64_t>(key.column)) + 0x9e3779b97f4a7c15ULL +
         (h << 6) + (h >> 2);
    h ^= std::hash<uint64_t>()(static_cast<uint64_t>(key.part)) + 0x9e3779b97f4a7c15ULL +
         (h << 6) + (h >> 2);
    return h;
}

std::shared_ptr<const Block>
BlockCache::Find(const Key& key)
{
    std::shared_lock<std::shared_mutex> lock(_mutex);
    const auto it = _entries.find(key);
    if (it == _entries.end()) {
        return nullptr;
    }
    it->second->tick.store(++_clock, std::memory_order_relaxed);
    _hits.fetch_add(1, std::memory_order_relaxed);
    return it->second->block;
}

void
BlockCache::_NotePeak()
{
    _stats.peakBytesHeld =
        std::max(_stats.peakBytesHeld, _stats.bytesHeld + _stats.bytesReserved);
}

void
BlockCache::_Evict(size_t incoming, const Entry* keep)
{
    while (_stats.bytesHeld + _stats.bytesReserved + incoming > _stats.budgetBytes) {
        auto victim = _entries.end();
        uint64_t oldest = UINT64_MAX;
        for (auto it = _entries.begin(); it != _entries.end(); ++it) {
            const uint64_t tick = it->second->tick.load(std::memory_order_relaxed);
            if (it->second.get() != keep && tick <= oldest) {
                oldest = tick;
                victim = it;
            }
        }
        if (victim == _entries.end()) {
            return; // nothing left to evict: a block larger than the budget
        }
        _stats.bytesHeld -= victim->second->block->Bytes();
        --_stats.blocksHeld;
        ++_stats.evictions;
        _entries.erase(victim);
    }
}

BlockCache::Reservation
BlockCache::Reserve(size_t bytes)
{
    std::unique_lock<std::shared_mutex> lock(_mutex);
    _Evict(bytes, nullptr);
    _stats.bytesReserved += bytes;
    _NotePeak();
    return Reservation(this, bytes);
}

void
BlockCache::_Release(size_t bytes)
{
    std::unique_lock<std::shared_mutex> lock(_mutex);
    _stats.bytesReserved -= std::min<uint64_t>(bytes, _stats.bytesReserved);
}

std::shared_ptr<const Block>
BlockCache::Insert(const Key& key, std::shared_ptr<const Block> block,
                   Reservation reservation)
{
    std::unique_lock<std::shared_mutex> lock(_mutex);
    if (reservation._cache == this) {
        _stats.bytesReserved -= std::min<uint64_t>(reservation._bytes, _stats.bytesReserved);
        reservation._cache = nullptr;
    }
    const auto it = _entries.find(key);
    if (it != _entries.end()) {
        _stats.bytesHeld -= it->second->block->Bytes();
        --_stats.blocksHeld;
        _entries.erase(it);
    }
    _Evict(block->Bytes(), nullptr);
    auto entry = std::make_unique<Entry>();
    entry->block = block;
    entry->tick.store(++_clock, std::memory_order_relaxed);
    _entries.emplace(key, std::move(entry));
    _stats.bytesHeld += block->Bytes();
    ++_stats.blocksHeld;
    ++_stats.blocksDecoded;
    _NotePeak();
    return block;
}

void
BlockCache::EraseOwner(uint64_t owner)
{
    std::unique_lock<std::shared_mutex> lock(_mutex);
    for (auto it = _entries.begin(); it != _entries.end();) {
        if (it->first.owner == owner) {
            _stats.bytesHeld -= it->second->block->Bytes();
            --_stats.blocksHeld;
            it = _entries.erase(it);
        } else {
            ++it;
        }
    }
}

void
BlockCache::SetBudget(size_t budgetBytes)
{
    std::unique_lock<std::shared_mutex> lock(_mutex);
    _stats.budgetBytes = budgetBytes;
    _Evict(0, nullptr);
}

CacheStats
BlockCache::Stats() const
{
    std::shared_lock<std::shared_mutex> lock(_mutex);
    CacheStats stats = _stats;
    stats.hits = _hits.load();
    return stats;
}

void
BlockCache::ResetCounters()
{
    std::unique_lock<std::shared_mutex> lock(_mutex);
    _stats.blocksDecoded = 0;
    _hits = 0;
    _stats.evictions = 0;
    _stats.peakBytesHeld = _stats.bytesHeld + _stats.bytesReserved;
}

} // namespace usdparquet
