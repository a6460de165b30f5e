// Test helper, built with the plugin but never installed: a URI resolver
// for "pqtest:<absolute file path>" serving files through its own ArAsset,
// which offers no buffer (every read goes through ArAsset::Read), as a
// custom resolver or a remote store would. The tests register it with a
// plugInfo.json naming this library, in a child process.
#include <pxr/ar/asset.h>
#include <pxr/ar/defineResolver.h>
#include <pxr/ar/resolvedPath.h>
#include <pxr/ar/resolver.h>
#include <pxr/ar/writableAsset.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

using namespace pxr;

namespace {

std::atomic<uint64_t> assetReads{0};
const std::string kScheme = "pqtest:";

// A file read with pread only: no buffer, no FILE* for callers.
class UnbufferedAsset final : public ArAsset {
public:
    explicit UnbufferedAsset(FILE* file) : _file(file)
    {
        struct stat info;
        _size = fstat(fileno(_file), &info) == 0 ? static_cast<size_t>(info.st_size) : 0;
    }
    ~UnbufferedAsset() override { fclose(_file); }
    size_t GetSize() const override { return _size; }
    std::shared_ptr<const char> GetBuffer() const override { return nullptr; }
    size_t Read(void* buffer, size_t count, size_t offset) const override
    {
        ++assetReads;
        const ssize_t n = pread(fileno(_file), buffer, count, static_cast<off_t>(offset));
        return n < 0 ? 0 : static_cast<size_t>(n);
    }
    std::pair<FILE*, size_t> GetFileUnsafe() const override { return {nullptr, 0}; }

private:
    FILE* _file;
    size_t _size = 0;
};

} // namespace

class UsdParquetTestResolver final : public ArResolver {
public:
    UsdParquetTestResolver() = default;

protected:
    std::string _CreateIdentifier(const std::string& assetPath,
                                  const ArResolvedPath&) const override
    {
        return assetPath;
    }
    std::string _CreateIdentifierForNewAsset(const std::string& assetPath,
                                             const ArResolvedPath&) const override
    {
        return assetPath;
    }
    ArResolvedPath _Resolve(const std::string& assetPath) const override
    {
        if (assetPath.compare(0, kScheme.size(), kScheme) != 0) {
            return ArResolvedPath();
        }
        struct stat info;
        return stat(assetPath.c_str() + kScheme.size(), &info) == 0 ? ArResolvedPath(assetPath)
                                                                      : ArResolvedPath();
    }
    ArResolvedPath _ResolveForNewAsset(const std::string& assetPath) const override
    {
        return ArResolvedPath(assetPath);
    }
    ArTimestamp _GetModificationTimestamp(const std::string&,
                                          const ArResolvedPath& resolvedPath) const override
    {
        struct stat info;
        const std::string& path = resolvedPath.GetPathString();
        if (path.size() <= kScheme.size() || stat(path.c_str() + kScheme.size(), &info) != 0) {
            return ArTimestamp();
        }
        return ArTimestamp(static_cast<double>(info.st_mtime));
    }
    std::shared_ptr<ArAsset> _OpenAsset(const ArResolvedPath& resolvedPath) const override
    {
        const std::string& path = resolvedPath.GetPathString();
        if (path.compare(0, kScheme.size(), kScheme) != 0) {
            return nullptr;
        }
        FILE* file = fopen(path.c_str() + kScheme.size(), "rb");
        return file ? std::make_shared<UnbufferedAsset>(file) : nullptr;
    }
    std::shared_ptr<ArWritableAsset> _OpenAssetForWrite(const ArResolvedPath&,
                                                        WriteMode) const override
    {
        return nullptr;
    }
};

AR_DEFINE_RESOLVER(UsdParquetTestResolver, ArResolver);

// How many reads the resolver's assets served (they offer no buffer).
extern "C" __attribute__((visibility("default"))) uint64_t
usdparquet_test_resolver_reads()
{
    return assetReads.load();
}
