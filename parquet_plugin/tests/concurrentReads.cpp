// Test helper, built with the plugin but never installed: reads every
// attribute value of one layer from several C++ threads at once (as USD
// does while it composes), checking each read against a single-threaded
// pass. Python threads cannot do this: each USD call holds the GIL.
#include <pxr/sdf/layer.h>
#include <pxr/sdf/path.h>
#include <pxr/sdf/schema.h>
#include <pxr/vt/value.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <sstream>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace pxr;

namespace {

size_t
Answer(const std::string& json, char* out, size_t size)
{
    if (out && size > 0) {
        const size_t n = std::min(size - 1, json.size());
        std::memcpy(out, json.data(), n);
        out[n] = '\0';
    }
    return json.size();
}

double
ThreadCpuSeconds()
{
    timespec now{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

void
CollectPrims(const SdfLayerRefPtr& layer, const SdfPath& path, std::vector<SdfPath>* prims)
{
    const VtValue children = layer->GetField(path, SdfChildrenKeys->PrimChildren);
    if (!children.IsHolding<TfTokenVector>()) {
        return;
    }
    for (const TfToken& name : children.UncheckedGet<TfTokenVector>()) {
        const SdfPath child = path.AppendChild(name);
        prims->push_back(child);
        CollectPrims(layer, child, prims);
    }
}

struct Sums {
    uint64_t count = 0;
    double sum = 0;
    uint64_t chars = 0;
    void Add(const VtValue& v)
    {
        ++count;
        if (v.IsHolding<double>()) {
            sum += v.UncheckedGet<double>();
        } else if (v.IsHolding<float>()) {
            sum += v.UncheckedGet<float>();
        } else if (v.IsHolding<int>()) {
            sum += v.UncheckedGet<int>();
        } else if (v.IsHolding<int64_t>()) {
            sum += static_cast<double>(v.UncheckedGet<int64_t>());
        } else if (v.IsHolding<bool>()) {
            sum += v.UncheckedGet<bool>() ? 1 : 0;
        } else if (v.IsHolding<std::string>()) {
            chars += v.UncheckedGet<std::string>().size();
        }
    }
};

} // namespace

// Reads every attribute value (or, given ``column``, every value of that
// property) of every prim of one layer, the prims split into ``threads``
// contiguous shares read at once; answers the time and per property the
// count, the sum of numbers and the characters of strings.
extern "C" __attribute__((visibility("default"))) size_t
usdparquet_test_read_all(const char* identifier, int threads, const char* column, char* out,
                         size_t size)
{
    const TfToken only(column ? column : "");
    SdfLayerRefPtr layer = SdfLayer::FindOrOpen(identifier);
    if (!layer || threads < 1) {
        return Answer("{\"error\": \"cannot open the layer\"}", out, size);
    }
    std::vector<SdfPath> prims;
    CollectPrims(layer, SdfPath::AbsoluteRootPath(), &prims);
    std::vector<std::map<TfToken, Sums>> perThread(static_cast<size_t>(threads));
    // CPU time of each reading thread: what the reads cost whatever else the
    // machine runs (wall time on a busy machine says little about scaling).
    std::vector<double> cpu(static_cast<size_t>(threads), 0.0);
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            const size_t begin = prims.size() * static_cast<size_t>(t) / threads;
            const size_t end = prims.size() * static_cast<size_t>(t + 1) / threads;
            std::map<TfToken, Sums>& sums = perThread[static_cast<size_t>(t)];
            const double cpuStart = ThreadCpuSeconds();
            for (size_t i = begin; i < end; ++i) {
                if (!only.IsEmpty()) {
                    VtValue value;
                    if (layer->HasField(prims[i].AppendProperty(only), SdfFieldKeys->Default,
                                        &value)) {
                        sums[only].Add(value);
                    }
                    continue;
                }
                const VtValue names =
                    layer->GetField(prims[i], SdfChildrenKeys->PropertyChildren);
                if (!names.IsHolding<TfTokenVector>()) {
                    continue;
                }
                for (const TfToken& name : names.UncheckedGet<TfTokenVector>()) {
                    VtValue value;
                    if (layer->HasField(prims[i].AppendProperty(name), SdfFieldKeys->Default,
                                        &value)) {
                        sums[name].Add(value);
                    }
                }
            }
            cpu[static_cast<size_t>(t)] = ThreadCpuSeconds() - cpuStart;
        });
    }
    for (std::thread& thread : pool) {
        thread.join();
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::map<TfToken, Sums> total;
    for (const auto& sums : perThread) {
        for (const auto& [name, s] : sums) {
            Sums& t = total[name];
            t.count += s.count;
            t.sum += s.sum;
            t.chars += s.chars;
        }
    }
    std::ostringstream json;
    json.precision(17);
    double cpuSeconds = 0;
    for (const double c : cpu) {
        cpuSeconds += c;
    }
    json << "{\"prims\": " << prims.size() << ", \"seconds\": " << seconds
         << ", \"cpu_seconds\": " << cpuSeconds << ", \"columns\": {";
    const char* sep = "";
    for (const auto& [name, s] : total) {
        json << sep << "\"" << name.GetString() << "\": [" << s.count << ", " << s.sum << ", "
             << s.chars << "]";
        sep = ", ";
    }
    json << "}}";
    return Answer(json.str(), out, size);
}

// Reads every attribute of one or more layers (identifiers separated by
// ';', e.g. one file opened with different format arguments) from several
// threads at once, mixing value reads with the structure questions USD asks
// while it composes (HasSpec, ListFields, propertyChildren, time samples),
// checking each answer against a single-threaded pass.
extern "C" __attribute__((visibility("default"))) size_t
usdparquet_test_concurrent_reads(const char* identifiers, int threads, int rounds,
                                 char* out, size_t size)
{
    std::vector<SdfLayerRefPtr> layers;
    {
        std::string all(identifiers);
        size_t start = 0;
        while (start <= all.size()) {
            size_t end = all.find(';', start);
            if (end == std::string::npos) {
                end = all.size();
            }
            if (end > start) {
                layers.push_back(SdfLayer::FindOrOpen(all.substr(start, end - start)));
                if (!layers.back()) {
                    return Answer("{\"error\": \"cannot open the layer\"}", out, size);
                }
            }
            start = end + 1;
        }
    }
    if (layers.empty()) {
        return Answer("{\"error\": \"no layer\"}", out, size);
    }
    std::string json;
    {
        struct Item {
            size_t layer;
            SdfPath path;
            VtValue value;
            bool spec;
            std::vector<TfToken> fields;
            VtValue siblings; // the prim's propertyChildren
        };
        std::vector<Item> items;
        for (size_t k = 0; k < layers.size(); ++k) {
            const SdfLayerRefPtr& layer = layers[k];
            std::vector<SdfPath> attributes;
            layer->Traverse(SdfPath::AbsoluteRootPath(), [&](const SdfPath& path) {
                if (path.IsPrimPropertyPath()) {
                    attributes.push_back(path);
                }
            });
            std::sort(attributes.begin(), attributes.end());
            for (const SdfPath& path : attributes) {
                items.push_back(Item{k, path, layer->GetField(path, SdfFieldKeys->Default),
                                     layer->HasSpec(path), layer->ListFields(path),
                                     layer->GetField(path.GetPrimPath(),
                                                     SdfChildrenKeys->PropertyChildren)});
            }
        }
        std::atomic<uint64_t> reads{0}, mismatches{0};
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; ++t) {
            pool.emplace_back([&, t] {
                std::vector<size_t> order(items.size());
                for (size_t i = 0; i < order.size(); ++i) {
                    order[i] = i;
                }
                std::mt19937 random(static_cast<unsigned>(t + 1));
                for (int r = 0; r < rounds; ++r) {
                    if (t % 2 == 1) { // half the threads read in path order
                        std::shuffle(order.begin(), order.end(), random);
                    }
                    for (size_t i : order) {
                        const Item& item = items[i];
                        const SdfLayerRefPtr& layer = layers[item.layer];
                        bool ok = true;
                        switch ((i + static_cast<size_t>(t)) % 5) {
                        case 0:
                            ok = layer->HasSpec(item.path) == item.spec;
                            break;
                        case 1:
                            ok = layer->ListFields(item.path) == item.fields;
                            break;
                        case 2:
                            ok = layer->GetField(item.path.GetPrimPath(),
                                                 SdfChildrenKeys->PropertyChildren) ==
                                     item.siblings &&
                                 layer->ListTimeSamplesForPath(item.path).empty();
                            break;
                        default:
                            break;
                        }
                        VtValue value;
                        layer->HasField(item.path, SdfFieldKeys->Default, &value);
                        if (!ok || value != item.value) {
                            ++mismatches;
                        }
                        ++reads;
                    }
                }
            });
        }
        for (std::thread& thread : pool) {
            thread.join();
        }
        json = "{\"attributes\": " + std::to_string(items.size()) +
               ", \"reads\": " + std::to_string(reads.load()) +
               ", \"mismatches\": " + std::to_string(mismatches.load()) + "}";
    }
    return Answer(json, out, size);
}
