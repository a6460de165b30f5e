// An Arrow random-access file over a USD asset (ArAsset): what the Parquet
// reader reads through, so every asset USD's resolver serves is readable
// (files, members of a .usdz package, a custom resolver's assets). Where
// the asset offers its bytes as one buffer (a memory-mapped file, an
// uncompressed package member), reads are zero-copy slices of it; otherwise
// they go through ArAsset::Read. Thread-safe: every read is positional.
#ifndef USDPARQUET_ASSET_FILE_H
#define USDPARQUET_ASSET_FILE_H

#include <pxr/ar/asset.h>

#include <arrow/buffer.h>
#include <arrow/io/interfaces.h>
#include <arrow/memory_pool.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace usdparquet {

class AssetFile final : public arrow::io::RandomAccessFile {
public:
    // Opens ``resolvedPath`` through ArGetResolver().OpenAsset. Throws
    // ParquetError if the resolver cannot open it.
    static std::shared_ptr<AssetFile> Open(const std::string& resolvedPath);

    // ``map``: use the asset's buffer if it offers one (and
    // USDPARQUET_MAP_ASSETS allows it).
    AssetFile(std::shared_ptr<pxr::ArAsset> asset, std::string path, bool map = true);
    ~AssetFile() override;

    // The same asset read by copies (ArAsset::Read: pread for a file) into
    // buffers of ``pool``, never as slices of its mapping: what a decoder
    // reads, so the compressed bytes it no longer needs are not file-backed
    // memory of the process for as long as the mapping lives.
    std::shared_ptr<AssetFile> Copying(arrow::MemoryPool* pool) const;

    // Whether reads are slices of the asset's own buffer (no copy).
    bool Mapped() const { return _buffer != nullptr; }
    // The whole asset's bytes when mapped (every zero-copy read is a slice
    // of it, and keeps it alive), else null.
    const std::shared_ptr<arrow::Buffer>& Mapping() const { return _buffer; }

    arrow::Status Close() override;
    bool closed() const override { return _closed.load(); }
    arrow::Result<int64_t> Tell() const override { return _position.load(); }
    arrow::Status Seek(int64_t position) override;
    arrow::Result<int64_t> GetSize() override { return _size; }
    bool supports_zero_copy() const override { return Mapped(); }

    arrow::Result<int64_t> Read(int64_t nbytes, void* out) override;
    arrow::Result<std::shared_ptr<arrow::Buffer>> Read(int64_t nbytes) override;
    arrow::Result<int64_t> ReadAt(int64_t position, int64_t nbytes, void* out) override;
    arrow::Result<int64_t> ReadAt(int64_t position, int64_t nbytes, bool allowShortRead,
                                  void* out) override;
    arrow::Result<std::shared_ptr<arrow::Buffer>> ReadAt(int64_t position,
                                                         int64_t nbytes) override;
    arrow::Result<std::shared_ptr<arrow::Buffer>> ReadAt(int64_t position, int64_t nbytes,
                                                         bool allowShortRead) override;

private:
    // The clamped length of a read of ``nbytes`` at ``position``.
    arrow::Result<int64_t> _Length(int64_t position, int64_t nbytes) const;

    std::shared_ptr<pxr::ArAsset> _asset;
    std::string _path;
    int64_t _size = 0;
    std::shared_ptr<arrow::Buffer> _buffer; // the whole asset, when mapped
    arrow::MemoryPool* _pool = nullptr;     // copies' buffers; null: Arrow's default
    std::atomic<int64_t> _position{0};
    std::atomic<bool> _closed{false};
};

} // namespace usdparquet

#endif
