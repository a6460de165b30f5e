// The process-wide cache of decoded blocks, shared by every open Parquet
// layer: a byte budget with least-recently-used eviction, safe to use from
// several threads.
//
// Read-mostly and sharded, and a hit writes nothing another thread reads
// or writes unless both read the same block: each thread remembers the
// blocks it found last (a weak reference per slot of a small thread-local
// table, so an evicted block is freed all the same), and a hit there takes
// no lock at all; it counts itself in a counter of its own thread and
// writes the block's recency tick only when the clock moved (the clock
// moves on inserts only). Otherwise a lookup takes the shared lock of one
// of 16 shards (chosen by the key). Two threads reading different blocks
// thus share no cache line on a hit: a shard lock both took on every read
// (20 columns' blocks spread over every shard) made them queue on its
// cache line. Inserting,
// reserving and evicting take the accounting lock, then a shard's
// exclusive lock for the change. The budget bounds everything the cache accounts:
// the blocks it holds and the blocks being decoded (a decode reserves its
// expected size first, evicting to make room, and the block's real size
// replaces the reservation before it is inserted). The peak statistic is
// the highest of that sum at any moment. A block already handed to a reader
// stays alive until that read ends even if evicted meanwhile (at most one
// per reading thread). A single block larger than the whole budget is still
// served: it is held until the next block arrives.
#ifndef USDPARQUET_BLOCK_CACHE_H
#define USDPARQUET_BLOCK_CACHE_H

#include "block.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <unordered_map>

namespace usdparquet {

struct CacheStats {
    uint64_t budgetBytes = 0;
    uint64_t bytesHeld = 0;     // blocks held
    uint64_t bytesReserved = 0; // blocks being decoded
    uint64_t peakBytesHeld = 0; // highest bytesHeld + bytesReserved
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
        int64_t part; // the block's row group and range in it (the layer's numbering)
        bool operator==(const Key& other) const
        {
            return owner == other.owner && column == other.column && part == other.part;
        }
    };

    // Bytes set aside for a block being decoded; given back when destroyed
    // (a failed decode) or when the block is inserted.
    class Reservation {
    public:
        Reservation() = default;
        Reservation(BlockCache* cache, size_t bytes) : _cache(cache), _bytes(bytes) {}
        Reservation(Reservation&& other) noexcept
            : _cache(other._cache), _bytes(other._bytes)
        {
            other._cache = nullptr;
        }
        Reservation& operator=(Reservation&&) = delete;
        Reservation(const Reservation&) = delete;
        ~Reservation();

    private:
        friend class BlockCache;
        BlockCache* _cache = nullptr;
        size_t _bytes = 0;
    };

    // The one cache of the process; its budget comes from the environment
    // (USDPARQUET_CACHE_MB) on first use.
    static BlockCache& Instance();

    explicit BlockCache(size_t budgetBytes);

    // The cached block, marked most recently used; null if absent.
    std::shared_ptr<const Block> Find(const Key& key);
    // Sets ``bytes`` aside for a block about to be decoded, evicting the
    // least recently used blocks to make room.
    Reservation Reserve(size_t bytes);
    // Adds a decoded block in place of its reservation (replacing one under
    // the same key), evicting the least recently used others first so the
    // budget holds. Returns ``block``.
    std::shared_ptr<const Block> Insert(const Key& key, std::shared_ptr<const Block> block,
                                        Reservation reservation);
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
        std::shared_ptr<const Block> block;
        std::atomic<uint64_t> tick{0};
    };
    // A slot of a thread's table of the blocks it found last.
    struct Recent {
        const BlockCache* cache = nullptr;
        Key key{};
        std::weak_ptr<Entry> entry;
    };
    // Slots: few collisions among the blocks a thread reads at a time.
    static constexpr size_t kRecent = 256;
    static thread_local Recent _recent[kRecent];

    // A found entry: marks it most recently used, counts the hit.
    std::shared_ptr<const Block> _Hit(std::shared_ptr<Entry> entry);

    // With the exclusive lock: evicts the least recently used blocks (never
    // ``keep``) until ``incoming`` more bytes fit.
    void _Evict(size_t incoming, const Entry* keep);
    void _Release(size_t bytes);
    void _NotePeak();

    static constexpr size_t kShards = 16;
    struct alignas(64) Shard {
        mutable std::shared_mutex mutex;
        std::unordered_map<Key, std::shared_ptr<Entry>, KeyHash> entries;
    };
    struct alignas(64) Counter {
        std::atomic<uint64_t> value{0};
    };
    Shard& _ShardOf(const Key& key) { return _shards[KeyHash()(key) % kShards]; }

    mutable std::mutex _mutex; // accounting, inserting, evicting
    Shard _shards[kShards];
    std::atomic<uint64_t> _clock{1};
    Counter _hits[kShards]; // by thread (modulo): no line shared by every hit
    CacheStats _stats;      // all but hits, under _mutex
};

} // namespace usdparquet

#endif
