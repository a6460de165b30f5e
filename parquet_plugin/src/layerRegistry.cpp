#include "layerRegistry.h"

#include "layerData.h"

#include <pxr/tf/staticData.h>

#include <algorithm>

using namespace pxr;

namespace usdparquet {

namespace {
// Never destroyed: layer data may be released during static destruction.
TfStaticData<LayerRegistry> theRegistry;
} // namespace

LayerRegistry&
LayerRegistry::Instance()
{
    return *theRegistry;
}

void
LayerRegistry::Add(const LayerData* data)
{
    std::lock_guard<std::mutex> lock(_mutex);
    _live.push_back(data);
}

void
LayerRegistry::Remove(const LayerData* data)
{
    std::lock_guard<std::mutex> lock(_mutex);
    _live.erase(std::remove(_live.begin(), _live.end(), data), _live.end());
}

bool
LayerRegistry::With(const std::string& identifier,
                    const std::function<void(const LayerData&)>& visit) const
{
    std::lock_guard<std::mutex> lock(_mutex);
    for (auto it = _live.rbegin(); it != _live.rend(); ++it) {
        if ((*it)->Identifier() == identifier) {
            visit(**it);
            return true;
        }
    }
    return false;
}

} // namespace usdparquet
