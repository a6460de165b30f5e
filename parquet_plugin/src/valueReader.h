// How one Parquet column's values become USD values: the Arrow -> USD type
// mapping of usdbench/arrow_usd_types.json (the table both Parquet readers
// follow), applied one element at a time to decoded blocks.
#ifndef USDPARQUET_VALUE_READER_H
#define USDPARQUET_VALUE_READER_H

#include <pxr/sdf/valueTypeName.h>
#include <pxr/vt/value.h>

#include <arrow/array.h>
#include <arrow/type.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace usdparquet {

// Thrown by ValueReader::Get for a list or vector holding a null element
// (USD arrays and vectors cannot hold one).
struct NullElement {};
// Thrown by ValueReader::Get for a flat list read as a vector array whose
// length is not a multiple of the vector's dimension.
struct BadElementCount {
    int64_t length;
    int dimension;
};

class ValueReader {
public:
    virtual ~ValueReader() = default;

    // The reader of a column of Arrow type ``type``, or null with ``*why``
    // saying why the type is not supported. ``declared`` is the USD type
    // name the column's field metadata gives (usd:typeName), or empty: a
    // role of the type the table maps to (point3f for float3, color3f[] for
    // float3[] ...), or a type Arrow has no counterpart for: token and asset
    // from strings, timecode from numbers, matrix2d/3d/4d from
    // fixed_size_list<number>[4/9/16] (row by row), quath/quatf/quatd from
    // fixed_size_list<number>[4] (real part first), and arrays of them.
    static std::unique_ptr<ValueReader> For(const arrow::DataType& type,
                                            const std::string& declared,
                                            std::string* why);

    const pxr::SdfValueTypeName& TypeName() const { return _typeName; }
    // Whether element ``i`` of a block of this column is null: no opinion.
    virtual bool IsNull(const arrow::Array& values, int64_t i) const = 0;
    // Element ``i`` (not null) as a USD value. Throws NullElement.
    virtual pxr::VtValue Get(const arrow::Array& values, int64_t i) const = 0;

protected:
    explicit ValueReader(const pxr::SdfValueTypeName& typeName)
        : _typeName(typeName)
    {
    }

private:
    pxr::SdfValueTypeName _typeName;
};

// A dictionary type's value type (a dictionary maps as its values); any
// other type itself.
const arrow::DataType& Undictionary(const arrow::DataType& type);

// Element ``i`` of a string column (plain or dictionary); false if null.
bool StringAt(const arrow::Array& values, int64_t i, std::string_view* out);

// Arrays copied (one memcpy) rather than wrapped because their elements
// sat at an address not aligned for the element type (values mapped from a
// file page); the process's total.
uint64_t UnalignedArrayCopies();

// The USD type name (double, float3, int[] ...) an Arrow type maps to, or
// empty with ``*why`` set: the same rules as the Python loader's usd_type_name.
std::string UsdTypeNameFor(const arrow::DataType& type, std::string* why);

} // namespace usdparquet

#endif
