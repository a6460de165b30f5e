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
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace pxr;

extern "C" __attribute__((visibility("default"))) size_t
usdparquet_test_concurrent_reads(const char* identifier, int threads, int rounds,
                                 char* out, size_t size)
{
    std::string json;
    SdfLayerRefPtr layer = SdfLayer::FindOrOpen(identifier);
    if (!layer) {
        json = "{\"error\": \"cannot open the layer\"}";
    } else {
        std::vector<SdfPath> attributes;
        layer->Traverse(SdfPath::AbsoluteRootPath(), [&](const SdfPath& path) {
            if (path.IsPrimPropertyPath()) {
                attributes.push_back(path);
            }
        });
        std::sort(attributes.begin(), attributes.end());
        std::vector<VtValue> expected;
        for (const SdfPath& path : attributes) {
            expected.push_back(layer->GetField(path, SdfFieldKeys->Default));
        }
        std::atomic<uint64_t> reads{0}, mismatches{0};
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; ++t) {
            pool.emplace_back([&, t] {
                std::vector<size_t> order(attributes.size());
                for (size_t i = 0; i < order.size(); ++i) {
                    order[i] = i;
                }
                std::mt19937 random(static_cast<unsigned>(t + 1));
                for (int r = 0; r < rounds; ++r) {
                    if (t % 2 == 1) { // half the threads read in path order
                        std::shuffle(order.begin(), order.end(), random);
                    }
                    for (size_t i : order) {
                        VtValue value;
                        const bool found =
                            layer->HasField(attributes[i], SdfFieldKeys->Default, &value);
                        if (!found || value != expected[i]) {
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
        json = "{\"attributes\": " + std::to_string(attributes.size()) +
               ", \"reads\": " + std::to_string(reads.load()) +
               ", \"mismatches\": " + std::to_string(mismatches.load()) + "}";
    }
    if (out && size > 0) {
        const size_t n = std::min(size - 1, json.size());
        std::memcpy(out, json.data(), n);
        out[n] = '\0';
    }
    return json.size();
}
