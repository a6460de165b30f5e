#include "pagePool.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace usdparquet {

namespace {

int64_t
PageSize()
{
    static const int64_t size = std::max<long>(4096, sysconf(_SC_PAGESIZE));
    return size;
}

int64_t
RoundUp(int64_t size)
{
    const int64_t page = PageSize();
    return (size + page - 1) / page * page;
}

} // namespace

PagePool&
PagePool::Instance()
{
    // Never destroyed: a cached block's buffer may be freed during static
    // destruction (a layer released late).
    static PagePool* pool = new PagePool();
    return *pool;
}

PagePool::PagePool() : _small(arrow::default_memory_pool()) {}

bool
PagePool::_Mapped(int64_t size, int64_t alignment)
{
    // A map is page-aligned: any alignment up to a page is met.
    return size >= kMappedBytes && alignment <= PageSize();
}

void
PagePool::_Count(int64_t delta)
{
    const int64_t now = _mappedBytes.fetch_add(delta, std::memory_order_relaxed) + delta;
    int64_t high = _mappedMax.load(std::memory_order_relaxed);
    while (now > high &&
           !_mappedMax.compare_exchange_weak(high, now, std::memory_order_relaxed)) {
    }
}

arrow::Status
PagePool::_Map(int64_t size, uint8_t** out)
{
    void* memory = mmap(nullptr, static_cast<size_t>(RoundUp(size)), PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) {
        return arrow::Status::OutOfMemory("mapping ", size, " bytes failed: ",
                                          std::strerror(errno));
    }
    *out = static_cast<uint8_t*>(memory);
    _Count(size);
    _mappedCount.fetch_add(1, std::memory_order_relaxed);
    _mappedTotal.fetch_add(size, std::memory_order_relaxed);
    _mappedAllocations.fetch_add(1, std::memory_order_relaxed);
    return arrow::Status::OK();
}

void
PagePool::_Unmap(uint8_t* buffer, int64_t size)
{
    munmap(buffer, static_cast<size_t>(RoundUp(size)));
    _Count(-size);
    _mappedCount.fetch_sub(1, std::memory_order_relaxed);
}

arrow::Status
PagePool::Allocate(int64_t size, int64_t alignment, uint8_t** out)
{
    if (size < 0) {
        return arrow::Status::Invalid("negative allocation size ", size);
    }
    if (_Mapped(size, alignment)) {
        return _Map(size, out);
    }
    return _small->Allocate(size, alignment, out);
}

arrow::Status
PagePool::Reallocate(int64_t oldSize, int64_t newSize, int64_t alignment, uint8_t** ptr)
{
    if (newSize < 0) {
        return arrow::Status::Invalid("negative reallocation size ", newSize);
    }
    const bool wasMapped = _Mapped(oldSize, alignment);
    const bool mapped = _Mapped(newSize, alignment);
    if (!wasMapped && !mapped) {
        return _small->Reallocate(oldSize, newSize, alignment, ptr);
    }
    if (wasMapped && mapped) {
        void* moved = mremap(*ptr, static_cast<size_t>(RoundUp(oldSize)),
                             static_cast<size_t>(RoundUp(newSize)), MREMAP_MAYMOVE);
        if (moved == MAP_FAILED) {
            return arrow::Status::OutOfMemory("remapping ", newSize, " bytes failed: ",
                                              std::strerror(errno));
        }
        *ptr = static_cast<uint8_t*>(moved);
        _Count(newSize - oldSize);
        _mappedTotal.fetch_add(std::max<int64_t>(0, newSize - oldSize),
                               std::memory_order_relaxed);
        _mappedAllocations.fetch_add(1, std::memory_order_relaxed);
        return arrow::Status::OK();
    }
    // From one kind to the other: a new allocation and a copy.
    uint8_t* fresh = nullptr;
    ARROW_RETURN_NOT_OK(Allocate(newSize, alignment, &fresh));
    std::memcpy(fresh, *ptr, static_cast<size_t>(std::min(oldSize, newSize)));
    Free(*ptr, oldSize, alignment);
    *ptr = fresh;
    return arrow::Status::OK();
}

void
PagePool::Free(uint8_t* buffer, int64_t size, int64_t alignment)
{
    if (_Mapped(size, alignment)) {
        _Unmap(buffer, size);
        return;
    }
    _small->Free(buffer, size, alignment);
}

void
PagePool::ReleaseUnused()
{
    _small->ReleaseUnused(); // mapped memory is never kept
}

int64_t
PagePool::bytes_allocated() const
{
    return MappedBytes() + _small->bytes_allocated();
}

int64_t
PagePool::max_memory() const
{
    // The mapped high-water mark; the default pool's is its own (shared
    // with every other Arrow user of the process).
    return _mappedMax.load(std::memory_order_relaxed);
}

int64_t
PagePool::total_bytes_allocated() const
{
    return _mappedTotal.load(std::memory_order_relaxed) + _small->total_bytes_allocated();
}

int64_t
PagePool::num_allocations() const
{
    return _mappedAllocations.load(std::memory_order_relaxed) + _small->num_allocations();
}

std::string
PagePool::backend_name() const
{
    std::string name = "mmap+";
    name.append(_small->backend_name()); // not operator+: GCC 12's -Warray-bounds at -O1
    return name;
}

} // namespace usdparquet
