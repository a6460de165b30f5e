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

thread_local BlockCache::Recent BlockCache::_recent[BlockCache::kRecent];

std::shared_ptr<const Block>
BlockCache::_Hit(std::shared_ptr<Entry> entry)
{
    const uint64_t now = _clock.load(std::memory_order_relaxed);
    if (entry->tick.load(std::memory_order_relaxed) != now) {
        entry->tick.store(now, std::memory_order_relaxed);
    }
    // Each thread counts in its own slot (threads beyond kShards share).
    static std::atomic<size_t> nextThread{0};
    thread_local const size_t mine =
        nextThread.fetch_add(1, std::memory_order_relaxed) % kShards;
    _hits[mine].value.fetch_add(1, std::memory_order_relaxed);
    const Block* block = entry->block.get();
    // Aliasing: the entry keeps its block alive, one count for both.
    return std::shared_ptr<const Block>(std::move(entry), block);
}

std::shared_ptr<const Block>
BlockCache::Find(const Key& key)
{
    const size_t hash = KeyHash()(key);
    Recent& recent = _recent[hash % kRecent];
    if (recent.cache == this && recent.key == key) {
        if (std::shared_ptr<Entry> entry = recent.entry.lock()) {
            return _Hit(std::move(entry));
        }
    }
    std::shared_ptr<Entry> entry;
    {
        Shard& shard = _shards[hash % kShards];
        std::shared_lock<std::shared_mutex> lock(shard.mutex);
        const auto it = shard.entries.find(key);
        if (it == shard.entries.end()) {
            return nullptr;
        }
        entry = it->second;
    }
    recent.cache = this;
    recent.key = key;
    recent.entry = entry;
    return _Hit(std::move(entry));
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
        Shard* victimShard = nullptr;
        Key victim{};
        uint64_t oldest = UINT64_MAX;
        for (Shard& shard : _shards) {
            std::shared_lock<std::shared_mutex> lock(shard.mutex);
            for (const auto& [key, entry] : shard.entries) {
                const uint64_t tick = entry->tick.load(std::memory_order_relaxed);
                if (entry.get() != keep && tick <= oldest) {
                    oldest = tick;
                    victim = key;
                    victimShard = &shard;
                }
            }
        }
        if (!victimShard) {
            return; // nothing left to evict: a block larger than the budget
        }
        std::unique_lock<std::shared_mutex> lock(victimShard->mutex);
        const auto it = victimShard->entries.find(victim);
        if (it == victimShard->entries.end()) {
            continue;
        }
        _stats.bytesHeld -= it->second->block->Bytes();
        --_stats.blocksHeld;
        ++_stats.evictions;
        victimShard->entries.erase(it);
    }
}

BlockCache::Reservation
BlockCache::Reserve(size_t bytes)
{
    std::lock_guard<std::mutex> lock(_mutex);
    _Evict(bytes, nullptr);
    _stats.bytesReserved += bytes;
    _NotePeak();
    return Reservation(this, bytes);
}

void
BlockCache::_Release(size_t bytes)
{
    std::lock_guard<std::mutex> lock(_mutex);
    _stats.bytesReserved -= std::min<uint64_t>(bytes, _stats.bytesReserved);
}

std::shared_ptr<const Block>
BlockCache::Insert(const Key& key, std::shared_ptr<const Block> block,
                   Reservation reservation)
{
    std::lock_guard<std::mutex> lock(_mutex);
    if (reservation._cache == this) {
        _stats.bytesReserved -= std::min<uint64_t>(reservation._bytes, _stats.bytesReserved);
        reservation._cache = nullptr;
    }
    Shard& shard = _ShardOf(key);
    {
        std::unique_lock<std::shared_mutex> shardLock(shard.mutex);
        const auto it = shard.entries.find(key);
        if (it != shard.entries.end()) {
            _stats.bytesHeld -= it->second->block->Bytes();
            --_stats.blocksHeld;
            shard.entries.erase(it);
        }
    }
    _Evict(block->Bytes(), nullptr);
    auto entry = std::make_shared<Entry>();
    entry->block = block;
    // The clock moves on inserts: blocks read since the last insert share
    // its tick, the newest one is after them.
    entry->tick.store(_clock.fetch_add(1, std::memory_order_relaxed) + 1,
                      std::memory_order_relaxed);
    {
        std::unique_lock<std::shared_mutex> shardLock(shard.mutex);
        shard.entries.emplace(key, std::move(entry));
    }
    _stats.bytesHeld += block->Bytes();
    ++_stats.blocksHeld;
    ++_stats.blocksDecoded;
    _NotePeak();
    return block;
}

void
BlockCache::EraseOwner(uint64_t owner)
{
    std::lock_guard<std::mutex> lock(_mutex);
    for (Shard& shard : _shards) {
        std::unique_lock<std::shared_mutex> shardLock(shard.mutex);
        for (auto it = shard.entries.begin(); it != shard.entries.end();) {
            if (it->first.owner == owner) {
                _stats.bytesHeld -= it->second->block->Bytes();
                --_stats.blocksHeld;
                it = shard.entries.erase(it);
            } else {
                ++it;
            }
        }
    }
}

void
BlockCache::SetBudget(size_t budgetBytes)
{
    std::lock_guard<std::mutex> lock(_mutex);
    _stats.budgetBytes = budgetBytes;
    _Evict(0, nullptr);
}

CacheStats
BlockCache::Stats() const
{
    std::lock_guard<std::mutex> lock(_mutex);
    CacheStats stats = _stats;
    stats.hits = 0;
    for (const Counter& hits : _hits) {
        stats.hits += hits.value.load(std::memory_order_relaxed);
    }
    return stats;
}

void
BlockCache::ResetCounters()
{
    std::lock_guard<std::mutex> lock(_mutex);
    _stats.blocksDecoded = 0;
    for (Counter& hits : _hits) {
        hits.value = 0;
    }
    _stats.evictions = 0;
    _stats.peakBytesHeld = _stats.bytesHeld + _stats.bytesReserved;
}

} // namespace usdparquet
