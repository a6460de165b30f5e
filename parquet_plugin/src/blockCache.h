// The process-wide cache of decoded blocks, shared by every open Parquet
// layer: a byte budget with least-recently-used eviction, safe to use from
// several threads.
//
// The budget bounds the blocks the cache holds. A block being read by a
// caller stays alive until that read ends even if the cache evicts it, so
// resident memory can exceed the budget by the blocks in use at that moment
// (one per reading thread). A block larger than the whole budget is still
// served: it is held until the next block arrives.
#ifndef USDPARQUET_BLOCK_CACHE_H
#define USDPARQUET_BLOCK_CACHE_H

#include "block.h"

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace usdparquet {

struct CacheStats {
    uint64_t budgetBytes = 0;
    uint64_t bytesHeld = 0;
    uint64_t peakBytesHeld = 0; // highest bytesHeld after an insert and its evictions
    uint64_t blocksHeld = 0;
    uint64_t blocksDecoded = 0; // blocks inserted since the process started
    uint64_t hits = 0;
    uint64_t evictions = 0;
};

class BlockCache {
public:
    struct Key {
        uint64_t owner; // the layer data's id
        int column;
        int rowGroup;
        bool operator==(const Key& other) const
        {
            return owner == other.owner && column == other.column &&
                   rowGroup == other.rowGroup;
        }
    };

    // The one cache of the process; its budget comes from the environment
    // (USDPARQUET_CACHE_MB) on first use.
    static BlockCache& Instance();

    explicit BlockCache(size_t budgetBytes);

    // The cached block, marked most recently used; null if absent.
    std::shared_ptr<const Block> Find(const Key& key);
    // Adds a block (replacing one under the same key), then evicts the least
    // recently used others until the budget holds. Returns ``block``.
    std::shared_ptr<const Block> Insert(const Key& key,
                                        std::shared_ptr<const Block> block);
    // Drops every block of one owner (a layer whose data is gone).
    void EraseOwner(uint64_t owner);
    void SetBudget(size_t budgetBytes);
    CacheStats Stats() const;
    // Resets the counters (decoded, hits, evictions, peak), not the content.
    void ResetCounters();

private:
    struct KeyHash {
        size_t operator()(const Key& key) const;
    };
    struct Entry {
        Key key;
        std::shared_ptr<const Block> block;
    };
    using Order = std::list<Entry>; // front: most recently used

    void _Evict(const Entry* keep);

    mutable std::mutex _mutex;
    Order _order;
    std::unordered_map<Key, Order::iterator, KeyHash> _index;
    CacheStats _stats;
};

} // namespace usdparquet

#endif
