// The file format arguments of a Parquet layer
// (``props.parquet:SDF_FORMAT_ARGS:columns=a,b&pathPrefix=/World/A``).
#ifndef USDPARQUET_LAYER_OPTIONS_H
#define USDPARQUET_LAYER_OPTIONS_H

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace usdparquet {

class LayerOptions {
public:
    // Throws ParquetError naming ``file`` for an unknown argument or a
    // prefix that is not an absolute prim path.
    LayerOptions(const std::map<std::string, std::string>& arguments,
                 const std::string& file);

    // The property columns to load, in this order (the ``path`` column is
    // always read); unset: every column of the file.
    const std::optional<std::vector<std::string>>& Columns() const { return _columns; }
    // Only prims at or under this prim path; empty: every prim.
    const std::string& PathPrefix() const { return _pathPrefix; }

    static constexpr const char* kColumns = "columns";
    static constexpr const char* kPathPrefix = "pathPrefix";

private:
    std::optional<std::vector<std::string>> _columns;
    std::string _pathPrefix;
};

} // namespace usdparquet

#endif
