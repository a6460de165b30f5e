// A C interface to the plugin's figures, for tools without USD's C++ API
// (Python's ctypes): the block cache's statistics and budget, and one
// layer's statistics. JSON text, written into the caller's buffer.
#ifndef USDPARQUET_STATS_API_H
#define USDPARQUET_STATS_API_H

#include <stddef.h>
#include <stdint.h>

extern "C" {

// Writes the statistics JSON of the layer ``layerIdentifier`` (or, for NULL,
// of the process's block cache) into ``buffer`` (NUL-terminated, cut to
// ``size``) and returns its full length; 0 if no such layer is open.
__attribute__((visibility("default"))) size_t
usdparquet_stats_json(const char* layerIdentifier, char* buffer, size_t size);

// Sets the block cache's budget in bytes; blocks beyond it are evicted now.
__attribute__((visibility("default"))) void
usdparquet_set_cache_budget(uint64_t bytes);

// Whether the data of two open Parquet layers are equal as USD compares
// layer data (SdfAbstractData::Equals: every spec, field and value, which
// reads every value of both): 1 equal, 0 not, -1 if either is not open.
__attribute__((visibility("default"))) int
usdparquet_layers_equal(const char* identifierA, const char* identifierB);

// Zeroes the cache's counters (blocks decoded, hits, evictions, peak held).
__attribute__((visibility("default"))) void usdparquet_reset_cache_counters(void);
}

#endif
