// The live Parquet layer data of the process, by layer identifier: how the
// statistics API finds one layer's figures.
#ifndef USDPARQUET_LAYER_REGISTRY_H
#define USDPARQUET_LAYER_REGISTRY_H

#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace usdparquet {

class LayerData;

class LayerRegistry {
public:
    static LayerRegistry& Instance();

    void Add(const LayerData* data);
    void Remove(const LayerData* data);
    // Calls ``visit`` with the newest live data of the layer ``identifier``,
    // holding the registry's lock (the data cannot go away meanwhile); false
    // if there is none.
    bool With(const std::string& identifier,
              const std::function<void(const LayerData&)>& visit) const;

private:
    mutable std::mutex _mutex;
    std::vector<const LayerData*> _live; // oldest first
};

} // namespace usdparquet

#endif
