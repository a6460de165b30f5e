// The memory pool the Parquet reader decodes into: allocations of at least
// kMappedBytes (a decoded block's values, a column chunk read from the
// file, a page's decompression buffer) are anonymous memory maps of their
// own, given back to the system the moment they are freed; smaller ones go
// to Arrow's default pool.
//
// Why: a decode frees its large transient buffers (the compressed chunk,
// the decompressed pages) while the block it made stays in the cache. In a
// general-purpose heap (mimalloc, glibc) the freed buffers are holes
// between cached blocks that stay resident: a full read of a 10k-prim x
// 100-sample series held ~19 MiB of such holes beside its 27 MiB of
// decoded blocks (docs/measurements.md, "Series full read: the peak").
// Here a freed buffer is unmapped at once, and an evicted block's memory
// leaves the process with it. Thread-safe.
#ifndef USDPARQUET_PAGE_POOL_H
#define USDPARQUET_PAGE_POOL_H

#include <arrow/memory_pool.h>

#include <atomic>
#include <cstdint>
#include <string>

namespace usdparquet {

class PagePool final : public arrow::MemoryPool {
public:
    // Allocations of at least this many bytes are mapped.
    static constexpr int64_t kMappedBytes = 64 << 10;

    // The process's pool (never destroyed: buffers may outlive statics).
    static PagePool& Instance();

    using arrow::MemoryPool::Allocate;
    using arrow::MemoryPool::Free;
    using arrow::MemoryPool::Reallocate;

    arrow::Status Allocate(int64_t size, int64_t alignment, uint8_t** out) override;
    arrow::Status Reallocate(int64_t oldSize, int64_t newSize, int64_t alignment,
                             uint8_t** ptr) override;
    void Free(uint8_t* buffer, int64_t size, int64_t alignment) override;
    void ReleaseUnused() override;

    // Both kinds together (mapped and delegated).
    int64_t bytes_allocated() const override;
    int64_t max_memory() const override;
    int64_t total_bytes_allocated() const override;
    int64_t num_allocations() const override;
    std::string backend_name() const override;

    // Bytes in maps of their own now, and how many such maps there are.
    int64_t MappedBytes() const { return _mappedBytes.load(std::memory_order_relaxed); }
    int64_t MappedCount() const { return _mappedCount.load(std::memory_order_relaxed); }

private:
    PagePool();
    static bool _Mapped(int64_t size, int64_t alignment);
    arrow::Status _Map(int64_t size, uint8_t** out);
    void _Unmap(uint8_t* buffer, int64_t size);
    void _Count(int64_t delta);

    arrow::MemoryPool* _small;
    std::atomic<int64_t> _mappedBytes{0};
    std::atomic<int64_t> _mappedCount{0};
    std::atomic<int64_t> _mappedTotal{0};
    std::atomic<int64_t> _mappedAllocations{0};
    std::atomic<int64_t> _mappedMax{0};
};

} // namespace usdparquet

#endif
