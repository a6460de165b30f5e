// One computation per key however many threads ask for it at once: the
// first caller runs it, the others wait for its result (a shared future per
// key in flight). Keys are held only while their computation runs.
#ifndef USDPARQUET_IN_FLIGHT_H
#define USDPARQUET_IN_FLIGHT_H

#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <utility>

namespace usdparquet {

template <class Key, class Value>
class InFlight {
public:
    using Result = std::shared_ptr<const Value>;

    // ``make()`` must not throw (it reports its own errors and returns
    // null); it should first look for a result another caller stored, since
    // a caller may arrive just after a computation ended.
    template <class Make>
    Result Run(const Key& key, Make&& make)
    {
        std::promise<Result> promise;
        std::shared_future<Result> future;
        {
            std::lock_guard<std::mutex> lock(_mutex);
            const auto it = _running.find(key);
            if (it != _running.end()) {
                future = it->second;
            } else {
                _running.emplace(key, promise.get_future().share());
            }
        }
        if (future.valid()) {
            return future.get();
        }
        Result result;
        try {
            result = make();
        } catch (...) {
            result = nullptr;
        }
        promise.set_value(result);
        std::lock_guard<std::mutex> lock(_mutex);
        _running.erase(key);
        return result;
    }

private:
    std::mutex _mutex;
    std::map<Key, std::shared_future<Result>> _running;
};

} // namespace usdparquet

#endif
