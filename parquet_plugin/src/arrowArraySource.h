// A VtArray's foreign data source over a decoded Arrow buffer: the array's
// elements are the buffer's bytes, with no copy, and the buffer lives as long
// as any VtArray sharing it (as crate's zero-copy arrays keep their file
// mapping). One source per array handed out; it deletes itself when USD
// drops the last VtArray using it. A VtArray that is then written to copies
// its elements first (a foreign array is never unique), so the buffer stays
// read-only.
#ifndef USDPARQUET_ARROW_ARRAY_SOURCE_H
#define USDPARQUET_ARROW_ARRAY_SOURCE_H

#include <pxr/vt/array.h>

#include <arrow/buffer.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace usdparquet {

class ArrowArraySource final : public pxr::Vt_ArrayForeignDataSource {
public:
    // A VtArray of ``size`` elements of T starting at ``data``, inside
    // ``buffer``'s bytes.
    template <class T>
    static pxr::VtArray<T> Wrap(std::shared_ptr<arrow::Buffer> buffer, const T* data,
                                size_t size)
    {
        auto* source = new ArrowArraySource(std::move(buffer));
        // The VtArray takes the source's first reference.
        return pxr::VtArray<T>(source, const_cast<T*>(data), size, /*addRef=*/true);
    }

    // Sources alive now (arrays handed out and not yet dropped), and the
    // total ever made: the tests' view of zero-copy reads.
    static uint64_t Live();
    static uint64_t Made();

private:
    explicit ArrowArraySource(std::shared_ptr<arrow::Buffer> buffer);
    ~ArrowArraySource();
    static void _Detached(pxr::Vt_ArrayForeignDataSource* self);

    std::shared_ptr<arrow::Buffer> _buffer;
};

} // namespace usdparquet

#endif
