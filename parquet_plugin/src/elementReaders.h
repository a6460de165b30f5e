// The element readers ValueReader composes: one Arrow element as one USD C++
// value. Templates on the USD type only; the Arrow source type is chosen at
// run time (a switch per element costs nothing next to a VtValue), which
// keeps the instantiations to the USD types the mapping can produce.
#ifndef USDPARQUET_ELEMENT_READERS_H
#define USDPARQUET_ELEMENT_READERS_H

#include "valueReader.h"

#include <pxr/gf/half.h>
#include <pxr/sdf/assetPath.h>
#include <pxr/sdf/timeCode.h>
#include <pxr/tf/token.h>
#include <pxr/vt/array.h>

#include <arrow/array.h>
#include <arrow/type.h>

#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <algorithm>
#include <utility>

namespace usdparquet {
namespace elements {

template <class T>
class Element {
public:
    virtual ~Element() = default;
    virtual bool IsNull(const arrow::Array& values, int64_t i) const
    {
        return values.IsNull(i);
    }
    virtual T Get(const arrow::Array& values, int64_t i) const = 0;
};

template <class T>
using ElementPtr = std::unique_ptr<Element<T>>;

template <class T, class S>
T
Cast(S value)
{
    if constexpr (std::is_same_v<T, pxr::GfHalf>) {
        return pxr::GfHalf(static_cast<float>(value));
    } else if constexpr (std::is_same_v<S, pxr::GfHalf>) {
        return static_cast<T>(static_cast<float>(value));
    } else {
        return static_cast<T>(value);
    }
}

// Numbers and booleans of any Arrow width, cast to the USD number type T.
template <class T>
class NumberElement final : public Element<T> {
public:
    explicit NumberElement(arrow::Type::type source) : _source(source) {}

    static bool Reads(arrow::Type::type id)
    {
        switch (id) {
        case arrow::Type::BOOL: case arrow::Type::INT8: case arrow::Type::INT16:
        case arrow::Type::INT32: case arrow::Type::INT64: case arrow::Type::UINT8:
        case arrow::Type::UINT16: case arrow::Type::UINT32: case arrow::Type::UINT64:
        case arrow::Type::HALF_FLOAT: case arrow::Type::FLOAT: case arrow::Type::DOUBLE:
            return true;
        default:
            return false;
        }
    }

    T Get(const arrow::Array& values, int64_t i) const override
    {
        switch (_source) {
        case arrow::Type::BOOL: return Cast<T>(As<arrow::BooleanArray>(values).Value(i));
        case arrow::Type::INT8: return Cast<T>(As<arrow::Int8Array>(values).Value(i));
        case arrow::Type::INT16: return Cast<T>(As<arrow::Int16Array>(values).Value(i));
        case arrow::Type::INT32: return Cast<T>(As<arrow::Int32Array>(values).Value(i));
        case arrow::Type::INT64: return Cast<T>(As<arrow::Int64Array>(values).Value(i));
        case arrow::Type::UINT8: return Cast<T>(As<arrow::UInt8Array>(values).Value(i));
        case arrow::Type::UINT16: return Cast<T>(As<arrow::UInt16Array>(values).Value(i));
        case arrow::Type::UINT32: return Cast<T>(As<arrow::UInt32Array>(values).Value(i));
        case arrow::Type::UINT64: return Cast<T>(As<arrow::UInt64Array>(values).Value(i));
        case arrow::Type::FLOAT: return Cast<T>(As<arrow::FloatArray>(values).Value(i));
        case arrow::Type::DOUBLE: return Cast<T>(As<arrow::DoubleArray>(values).Value(i));
        case arrow::Type::HALF_FLOAT: {
            pxr::GfHalf half;
            half.setBits(As<arrow::HalfFloatArray>(values).Value(i));
            return Cast<T>(half);
        }
        default:
            return T();
        }
    }

private:
    template <class A>
    static const A& As(const arrow::Array& values)
    {
        return static_cast<const A&>(values);
    }
    arrow::Type::type _source;
};

class StringElement final : public Element<std::string> {
public:
    explicit StringElement(arrow::Type::type source) : _source(source) {}

    static bool Reads(arrow::Type::type id)
    {
        return id == arrow::Type::STRING || id == arrow::Type::LARGE_STRING ||
               id == arrow::Type::STRING_VIEW;
    }

    std::string Get(const arrow::Array& values, int64_t i) const override
    {
        std::string_view view;
        if (_source == arrow::Type::STRING) {
            view = static_cast<const arrow::StringArray&>(values).GetView(i);
        } else if (_source == arrow::Type::LARGE_STRING) {
            view = static_cast<const arrow::LargeStringArray&>(values).GetView(i);
        } else {
            view = static_cast<const arrow::StringViewArray&>(values).GetView(i);
        }
        return std::string(view);
    }

private:
    arrow::Type::type _source;
};

// dictionary<T>: the value the index points at (null if either is null).
template <class T>
class DictionaryElement final : public Element<T> {
public:
    explicit DictionaryElement(ElementPtr<T> values) : _values(std::move(values)) {}

    bool IsNull(const arrow::Array& values, int64_t i) const override
    {
        const auto& dict = static_cast<const arrow::DictionaryArray&>(values);
        return dict.IsNull(i) ||
               _values->IsNull(*dict.dictionary(), dict.GetValueIndex(i));
    }

    T Get(const arrow::Array& values, int64_t i) const override
    {
        const auto& dict = static_cast<const arrow::DictionaryArray&>(values);
        return _values->Get(*dict.dictionary(), dict.GetValueIndex(i));
    }

private:
    ElementPtr<T> _values;
};

// fixed_size_list<E>[n] as a Gf vector.
template <class Vec>
class VectorElement final : public Element<Vec> {
public:
    using Scalar = typename Vec::ScalarType;
    explicit VectorElement(ElementPtr<Scalar> scalars) : _scalars(std::move(scalars)) {}

    Vec Get(const arrow::Array& values, int64_t i) const override
    {
        const auto& list = static_cast<const arrow::FixedSizeListArray&>(values);
        const arrow::Array& children = *list.values();
        const int64_t base = list.value_offset(i);
        Vec vec;
        for (size_t k = 0; k < Vec::dimension; ++k) {
            const int64_t j = base + static_cast<int64_t>(k);
            if (_scalars->IsNull(children, j)) {
                throw NullElement();
            }
            vec[k] = _scalars->Get(children, j);
        }
        return vec;
    }

private:
    ElementPtr<Scalar> _scalars;
};

// A value of USD type T made from an element of type S (token from string,
// asset from string, timecode from double).
template <class T, class S>
class ConvertedElement final : public Element<T> {
public:
    explicit ConvertedElement(ElementPtr<S> source) : _source(std::move(source)) {}

    bool IsNull(const arrow::Array& values, int64_t i) const override
    {
        return _source->IsNull(values, i);
    }
    T Get(const arrow::Array& values, int64_t i) const override
    {
        return T(_source->Get(values, i));
    }

private:
    ElementPtr<S> _source;
};

// fixed_size_list<E>[n] as a Gf matrix (n = rows x columns, row by row) or
// quaternion (n = 4, real part first): any type built from n scalars.
template <class T, class Scalar, size_t N, bool Quaternion>
class ScalarsElement final : public Element<T> {
public:
    explicit ScalarsElement(ElementPtr<Scalar> scalars) : _scalars(std::move(scalars)) {}

    T Get(const arrow::Array& values, int64_t i) const override
    {
        const auto& list = static_cast<const arrow::FixedSizeListArray&>(values);
        const arrow::Array& children = *list.values();
        const int64_t base = list.value_offset(i);
        Scalar scalars[N];
        for (size_t k = 0; k < N; ++k) {
            const int64_t j = base + static_cast<int64_t>(k);
            if (_scalars->IsNull(children, j)) {
                throw NullElement();
            }
            scalars[k] = _scalars->Get(children, j);
        }
        if constexpr (Quaternion) {
            // a quaternion: (real, i, j, k)
            return T(scalars[0], scalars[1], scalars[2], scalars[3]);
        } else {
            T matrix;
            std::copy(scalars, scalars + N, matrix.data());
            return matrix;
        }
    }

private:
    ElementPtr<Scalar> _scalars;
};

} // namespace elements
} // namespace usdparquet

#endif
