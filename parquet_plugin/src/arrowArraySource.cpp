#include "arrowArraySource.h"

namespace usdparquet {

namespace {
std::atomic<uint64_t> live{0};
std::atomic<uint64_t> made{0};
} // namespace

ArrowArraySource::ArrowArraySource(std::shared_ptr<arrow::Buffer> buffer)
    : pxr::Vt_ArrayForeignDataSource(&ArrowArraySource::_Detached),
      _buffer(std::move(buffer))
{
    live.fetch_add(1, std::memory_order_relaxed);
    made.fetch_add(1, std::memory_order_relaxed);
}

ArrowArraySource::~ArrowArraySource()
{
    live.fetch_sub(1, std::memory_order_relaxed);
}

void
ArrowArraySource::_Detached(pxr::Vt_ArrayForeignDataSource* self)
{
    delete static_cast<ArrowArraySource*>(self);
}

uint64_t
ArrowArraySource::Live()
{
    return live.load(std::memory_order_relaxed);
}

uint64_t
ArrowArraySource::Made()
{
    return made.load(std::memory_order_relaxed);
}

} // namespace usdparquet
