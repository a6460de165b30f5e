// The prims of a Parquet property table: prim path -> row, each prim's
// children, and the ancestors every row implies (``over`` prims without a
// row). Built once from the ``path`` column when the layer opens, then only
// read (by any number of threads, without locking).
#ifndef USDPARQUET_PRIM_INDEX_H
#define USDPARQUET_PRIM_INDEX_H

#include <pxr/sdf/path.h>
#include <pxr/tf/pxrTslRobinMap/robin_map.h>
#include <pxr/tf/token.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace usdparquet {

class PrimIndex {
public:
    struct Prim {
        int64_t row = -1;        // file row, -1 for an ancestor without a row
        uint32_t children = 0;   // 1 + index into the children lists, 0: none
    };

    // ``file`` names the file in error messages; ``rows`` sizes the index
    // up front (no rehashing while it fills).
    PrimIndex(std::string file, size_t rows);

    // Adds the prim of file row ``row`` and its ancestors. Throws
    // ParquetError for a path that is not an absolute prim path, or one
    // that another row already holds (naming both rows).
    void Add(std::string_view path, int64_t row);
    // A null path: always an error naming the file and the row, with or
    // without a path prefix.
    [[noreturn]] static void NullPath(const std::string& file, int64_t row);
    // Ends building: sorts children by name where the rows were not in path
    // order, so the layer is the same whatever the row order (the Python
    // loader sorts the table by path).
    void Finish();

    const Prim* Find(const pxr::SdfPath& path) const;
    const pxr::TfTokenVector& Children(const Prim& prim) const;
    size_t NumPrims() const { return _prims.size() - 1; }

    // Why ``path`` is not an absolute prim path (the Python loader's verdicts),
    // or empty if it is one.
    static std::string PathProblem(const std::string& path);

private:
    using Map = pxr::pxr_tsl::robin_map<pxr::SdfPath, Prim, pxr::SdfPath::Hash>;

    pxr::SdfPath _AddChild(const pxr::SdfPath& parent, const std::string& name);
    void _SetRow(const pxr::SdfPath& path, int64_t row);
    void _AddChecked(const std::string& path, int64_t row);

    std::string _file;
    Map _prims;
    std::vector<pxr::TfTokenVector> _children;
    // The previous row's components and prim paths: consecutive rows of a
    // table in path order share most of their ancestors.
    std::vector<std::pair<std::string, pxr::SdfPath>> _stack;
    std::string _previous;
    bool _sorted = true;
};

} // namespace usdparquet

#endif
