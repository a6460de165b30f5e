#include "layerOptions.h"

#include "parquetError.h"
#include "primIndex.h"

#include <algorithm>

namespace usdparquet {

namespace {

// Arguments USD itself adds to layer identifiers (Pcp adds the target).
const char* const kUsdArguments[] = {"target"};

} // namespace

LayerOptions::LayerOptions(const std::map<std::string, std::string>& arguments,
                           const std::string& file)
{
    for (const auto& [key, value] : arguments) {
        if (key == kColumns) {
            std::vector<std::string> names;
            size_t start = 0;
            while (start <= value.size() && !value.empty()) {
                size_t end = value.find(',', start);
                if (end == std::string::npos) {
                    end = value.size();
                }
                std::string name = value.substr(start, end - start);
                if (!name.empty() && name != "path" &&
                    std::find(names.begin(), names.end(), name) == names.end()) {
                    names.push_back(std::move(name));
                }
                start = end + 1;
            }
            _columns = std::move(names);
        } else if (key == kPathPrefix) {
            if (value.empty() || value == "/") {
                continue;
            }
            const std::string problem = PrimIndex::PathProblem(value);
            if (!problem.empty()) {
                throw ParquetError(file, std::string(kPathPrefix) + ": " + problem);
            }
            _pathPrefix = value;
        } else if (std::find(std::begin(kUsdArguments), std::end(kUsdArguments), key) ==
                   std::end(kUsdArguments)) {
            throw ParquetError(file, "unknown file format argument " + Quoted(key) +
                                         " (the Parquet format takes " + kColumns +
                                         "=name,name... and " + kPathPrefix +
                                         "=/Prim/Path)");
        }
    }
}

} // namespace usdparquet
