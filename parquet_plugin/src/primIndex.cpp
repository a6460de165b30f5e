#include "primIndex.h"

#include "parquetError.h"

#include <algorithm>

using namespace pxr;

namespace usdparquet {

namespace {

bool
IsIdentifierStart(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

bool
IsIdentifierChar(char c)
{
    return IsIdentifierStart(c) || (c >= '0' && c <= '9');
}

// Splits "/A/B_1/C" into its ASCII identifier components; false for anything
// else (which then takes the full check: UTF-8 names, or bad input).
bool
SplitSimple(std::string_view path, std::vector<std::string_view>* parts)
{
    parts->clear();
    if (path.size() < 2 || path[0] != '/') {
        return false;
    }
    size_t start = 1;
    while (start <= path.size()) {
        size_t end = path.find('/', start);
        if (end == std::string_view::npos) {
            end = path.size();
        }
        if (end == start || !IsIdentifierStart(path[start])) {
            return false;
        }
        for (size_t i = start + 1; i < end; ++i) {
            if (!IsIdentifierChar(path[i])) {
                return false;
            }
        }
        parts->push_back(path.substr(start, end - start));
        start = end + 1;
    }
    return true;
}

} // namespace

PrimIndex::PrimIndex(std::string file, size_t rows) : _file(std::move(file))
{
    _prims.max_load_factor(0.8f); // ~40 bytes per prim at 1M prims
    _prims.reserve(rows + 2);
    _prims.emplace(SdfPath::AbsoluteRootPath(), Prim());
}

std::string
PrimIndex::PathProblem(const std::string& path)
{
    if (path.empty()) {
        return "empty path";
    }
    std::string why;
    if (!SdfPath::IsValidPathString(path, &why)) {
        const size_t first = why.find_first_not_of(" \t\n");
        const size_t last = why.find_last_not_of(" \t\n");
        why = first == std::string::npos ? std::string()
                                         : " (" + why.substr(first, last - first + 1) + ")";
        return Quoted(path) + " is not a valid USD path" + why;
    }
    const SdfPath sdfPath(path);
    if (!sdfPath.IsAbsolutePath()) {
        return Quoted(path) +
               " is a relative path; expected an absolute prim path like /World/Prim";
    }
    if (sdfPath.ContainsPrimVariantSelection()) {
        return Quoted(path) + " contains a variant selection; expected a plain prim path";
    }
    if (sdfPath.IsPropertyPath()) {
        return Quoted(path) + " is a property path; expected a prim path";
    }
    if (sdfPath == SdfPath::AbsoluteRootPath()) {
        return "'/' is the pseudo-root, which cannot carry properties";
    }
    if (!sdfPath.IsPrimPath()) {
        return Quoted(path) + " is not a prim path";
    }
    if (sdfPath.GetString() != path) {
        return Quoted(path) + " is not in canonical form (USD reads it as " +
               sdfPath.GetString() + ")";
    }
    return std::string();
}

void
PrimIndex::NullPath(const std::string& file, int64_t row)
{
    throw ParquetError(file, "null path (every row needs the path of its prim)", row,
                       "path");
}

void
PrimIndex::Add(std::string_view path, int64_t row)
{
    if (_sorted && !_previous.empty() && !(std::string_view(_previous) < path)) {
        _sorted = false;
    }
    _previous.assign(path);

    thread_local std::vector<std::string_view> parts;
    if (!SplitSimple(path, &parts)) {
        _stack.clear();
        _AddChecked(std::string(path), row);
        return;
    }
    size_t common = 0;
    while (common < _stack.size() && common < parts.size() &&
           _stack[common].first == parts[common]) {
        ++common;
    }
    _stack.resize(common);
    SdfPath parent = common == 0 ? SdfPath::AbsoluteRootPath() : _stack.back().second;
    for (size_t j = common; j < parts.size(); ++j) {
        std::string name(parts[j]);
        parent = _AddChild(parent, name);
        _stack.emplace_back(std::move(name), parent);
    }
    _SetRow(parent, row);
}

void
PrimIndex::_AddChecked(const std::string& path, int64_t row)
{
    const std::string problem = PathProblem(path);
    if (!problem.empty()) {
        throw ParquetError(_file, problem, row, "path");
    }
    const SdfPath sdfPath(path);
    SdfPath parent = SdfPath::AbsoluteRootPath();
    for (const SdfPath& prefix : sdfPath.GetPrefixes()) {
        parent = _AddChild(parent, prefix.GetName());
    }
    _SetRow(sdfPath, row);
}

SdfPath
PrimIndex::_AddChild(const SdfPath& parent, const std::string& name)
{
    SdfPath child = parent.AppendChild(TfToken(name));
    if (_prims.emplace(child, Prim()).second) {
        Prim& parentPrim = _prims.find(parent).value();
        if (parentPrim.children == 0) {
            _children.emplace_back();
            parentPrim.children = static_cast<uint32_t>(_children.size());
        }
        _children[parentPrim.children - 1].push_back(child.GetNameToken());
    }
    return child;
}

void
PrimIndex::_SetRow(const SdfPath& path, int64_t row)
{
    Prim& prim = _prims.find(path).value();
    if (prim.row >= 0) {
        throw ParquetError(_file,
                           "the prim path " + Quoted(path.GetString()) + " appears twice",
                           prim.row, "path", row);
    }
    prim.row = row;
}

void
PrimIndex::Finish()
{
    _stack.clear();
    _stack.shrink_to_fit();
    _previous.clear();
    _previous.shrink_to_fit();
    if (!_sorted) {
        for (TfTokenVector& names : _children) {
            std::sort(names.begin(), names.end(),
                      [](const TfToken& a, const TfToken& b) {
                          return a.GetString() < b.GetString();
                      });
        }
    }
    for (TfTokenVector& names : _children) {
        names.shrink_to_fit();
    }
}

const PrimIndex::Prim*
PrimIndex::Find(const SdfPath& path) const
{
    const auto it = _prims.find(path);
    return it == _prims.end() ? nullptr : &it->second;
}

const TfTokenVector&
PrimIndex::Children(const Prim& prim) const
{
    static const TfTokenVector none;
    return prim.children == 0 ? none : _children[prim.children - 1];
}

} // namespace usdparquet
