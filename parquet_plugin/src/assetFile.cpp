#include "assetFile.h"

#include "parquetError.h"

#include <pxr/ar/resolvedPath.h>
#include <pxr/ar/resolver.h>
#include <pxr/tf/envSetting.h>

#include <arrow/memory_pool.h>
#include <arrow/result.h>

#include <algorithm>

using namespace pxr;

TF_DEFINE_ENV_SETTING(USDPARQUET_MAP_ASSETS, true,
                      "Read Parquet assets that offer a buffer (a memory-mapped "
                      "file, an uncompressed package member) zero-copy from it; "
                      "false: copy every read through ArAsset::Read.");

namespace usdparquet {

namespace {

// The asset's buffer as an Arrow buffer that keeps it alive.
class AssetBuffer final : public arrow::Buffer {
public:
    AssetBuffer(std::shared_ptr<const char> bytes, int64_t size)
        : arrow::Buffer(reinterpret_cast<const uint8_t*>(bytes.get()), size),
          _bytes(std::move(bytes))
    {
    }

private:
    std::shared_ptr<const char> _bytes;
};

} // namespace

std::shared_ptr<AssetFile>
AssetFile::Open(const std::string& resolvedPath)
{
    std::shared_ptr<ArAsset> asset;
    try {
        asset = ArGetResolver().OpenAsset(ArResolvedPath(resolvedPath));
    } catch (const std::exception& error) {
        throw ParquetError(resolvedPath,
                           std::string("USD's asset resolver cannot open it (") +
                               error.what() + ")");
    }
    if (!asset) {
        throw ParquetError(resolvedPath, "USD's asset resolver cannot open it");
    }
    return std::make_shared<AssetFile>(std::move(asset), resolvedPath);
}

AssetFile::AssetFile(std::shared_ptr<ArAsset> asset, std::string path, bool map)
    : _asset(std::move(asset)), _path(std::move(path))
{
    _size = static_cast<int64_t>(_asset->GetSize());
    static const bool mapAssets = TfGetEnvSetting(USDPARQUET_MAP_ASSETS);
    if (_size > 0 && map && mapAssets) {
        std::shared_ptr<const char> bytes = _asset->GetBuffer();
        if (bytes) {
            _buffer = std::make_shared<AssetBuffer>(std::move(bytes), _size);
        }
    }
}

AssetFile::~AssetFile() = default;

std::shared_ptr<AssetFile>
AssetFile::Copying(arrow::MemoryPool* pool) const
{
    auto copying = std::make_shared<AssetFile>(_asset, _path, /*map=*/false);
    copying->_pool = pool;
    return copying;
}

arrow::Status
AssetFile::Close()
{
    _closed = true;
    return arrow::Status::OK();
}

arrow::Status
AssetFile::Seek(int64_t position)
{
    if (position < 0) {
        return arrow::Status::Invalid("negative seek position in ", _path);
    }
    _position = position;
    return arrow::Status::OK();
}

arrow::Result<int64_t>
AssetFile::_Length(int64_t position, int64_t nbytes) const
{
    if (_closed) {
        return arrow::Status::Invalid("read from a closed asset: ", _path);
    }
    if (position < 0 || nbytes < 0) {
        return arrow::Status::Invalid("read at a negative offset or length in ", _path);
    }
    if (position >= _size) {
        return 0;
    }
    return std::min(nbytes, _size - position);
}

arrow::Result<int64_t>
AssetFile::ReadAt(int64_t position, int64_t nbytes, bool, void* out)
{
    ARROW_ASSIGN_OR_RAISE(const int64_t length, _Length(position, nbytes));
    if (length == 0) {
        return 0;
    }
    if (_buffer) {
        std::copy_n(_buffer->data() + position, length, static_cast<uint8_t*>(out));
        return length;
    }
    size_t done = 0;
    while (done < static_cast<size_t>(length)) {
        const size_t n = _asset->Read(static_cast<char*>(out) + done,
                                      static_cast<size_t>(length) - done,
                                      static_cast<size_t>(position) + done);
        if (n == 0) {
            return arrow::Status::IOError("short read of ", _path, " at offset ",
                                          position + static_cast<int64_t>(done));
        }
        done += n;
    }
    return length;
}

arrow::Result<int64_t>
AssetFile::ReadAt(int64_t position, int64_t nbytes, void* out)
{
    return ReadAt(position, nbytes, true, out);
}

arrow::Result<std::shared_ptr<arrow::Buffer>>
AssetFile::ReadAt(int64_t position, int64_t nbytes, bool)
{
    ARROW_ASSIGN_OR_RAISE(const int64_t length, _Length(position, nbytes));
    if (_buffer) {
        return arrow::SliceBuffer(_buffer, length == 0 ? 0 : position, length);
    }
    ARROW_ASSIGN_OR_RAISE(
        std::unique_ptr<arrow::Buffer> buffer,
        arrow::AllocateBuffer(length, _pool ? _pool : arrow::default_memory_pool()));
    if (length > 0) {
        ARROW_ASSIGN_OR_RAISE(const int64_t n,
                              ReadAt(position, length, true, buffer->mutable_data()));
        (void)n;
    }
    return std::shared_ptr<arrow::Buffer>(std::move(buffer));
}

arrow::Result<std::shared_ptr<arrow::Buffer>>
AssetFile::ReadAt(int64_t position, int64_t nbytes)
{
    return ReadAt(position, nbytes, true);
}

arrow::Result<int64_t>
AssetFile::Read(int64_t nbytes, void* out)
{
    const int64_t position = _position.load();
    ARROW_ASSIGN_OR_RAISE(const int64_t n, ReadAt(position, nbytes, true, out));
    _position = position + n;
    return n;
}

arrow::Result<std::shared_ptr<arrow::Buffer>>
AssetFile::Read(int64_t nbytes)
{
    const int64_t position = _position.load();
    ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> buffer,
                          ReadAt(position, nbytes, true));
    _position = position + buffer->size();
    return buffer;
}

} // namespace usdparquet
