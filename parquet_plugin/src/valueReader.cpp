#include "valueReader.h"

#include "arrowUsdTypes.h" // generated from usdbench/arrow_usd_types.json
#include "elementReaders.h"
#include "parquetError.h"

#include <pxr/gf/vec2d.h>
#include <pxr/gf/vec2f.h>
#include <pxr/gf/vec2h.h>
#include <pxr/gf/vec2i.h>
#include <pxr/gf/vec3d.h>
#include <pxr/gf/vec3f.h>
#include <pxr/gf/vec3h.h>
#include <pxr/gf/vec3i.h>
#include <pxr/gf/vec4d.h>
#include <pxr/gf/vec4f.h>
#include <pxr/gf/vec4h.h>
#include <pxr/gf/vec4i.h>
#include <pxr/gf/matrix2d.h>
#include <pxr/gf/matrix3d.h>
#include <pxr/gf/matrix4d.h>
#include <pxr/gf/quatd.h>
#include <pxr/gf/quatf.h>
#include <pxr/gf/quath.h>
#include <pxr/sdf/schema.h>
#include <pxr/tf/type.h>

#include <cstring>
#include <sstream>

using namespace pxr;

namespace usdparquet {

using namespace elements;

const arrow::DataType&
Undictionary(const arrow::DataType& type)
{
    return type.id() == arrow::Type::DICTIONARY
               ? *static_cast<const arrow::DictionaryType&>(type).value_type()
               : type;
}

namespace {

bool
IsList(const arrow::DataType& type)
{
    return type.id() == arrow::Type::LIST || type.id() == arrow::Type::LARGE_LIST;
}

const char*
Lookup(const table::Mapping* begin, const table::Mapping* end,
       const std::string& arrowName)
{
    for (const table::Mapping* m = begin; m != end; ++m) {
        if (arrowName == m->arrow) {
            return m->usd;
        }
    }
    return nullptr;
}

template <class T>
struct Tag {
    using type = T;
};

// Calls ``f(Tag<T>{})`` with the C++ type T that USD holds values of
// ``type`` (a scalar type's TfType) in; false for a type this reader never
// produces.
template <class F>
bool
WithCppType(const TfType& type, F&& f)
{
    const auto is = [&type](auto tag) {
        return type == TfType::Find<typename decltype(tag)::type>();
    };
#define USDPARQUET_TRY(T)                                                          \
    if (is(Tag<T>{})) {                                                             \
        return f(Tag<T>{});                                                         \
    }
    USDPARQUET_TRY(double) USDPARQUET_TRY(float) USDPARQUET_TRY(GfHalf)
    USDPARQUET_TRY(int) USDPARQUET_TRY(int64_t) USDPARQUET_TRY(unsigned char)
    USDPARQUET_TRY(unsigned int) USDPARQUET_TRY(uint64_t) USDPARQUET_TRY(bool)
    USDPARQUET_TRY(std::string)
    USDPARQUET_TRY(GfVec2d) USDPARQUET_TRY(GfVec3d) USDPARQUET_TRY(GfVec4d)
    USDPARQUET_TRY(GfVec2f) USDPARQUET_TRY(GfVec3f) USDPARQUET_TRY(GfVec4f)
    USDPARQUET_TRY(GfVec2h) USDPARQUET_TRY(GfVec3h) USDPARQUET_TRY(GfVec4h)
    USDPARQUET_TRY(GfVec2i) USDPARQUET_TRY(GfVec3i) USDPARQUET_TRY(GfVec4i)
    USDPARQUET_TRY(TfToken) USDPARQUET_TRY(SdfAssetPath) USDPARQUET_TRY(SdfTimeCode)
    USDPARQUET_TRY(GfMatrix2d) USDPARQUET_TRY(GfMatrix3d) USDPARQUET_TRY(GfMatrix4d)
    USDPARQUET_TRY(GfQuath) USDPARQUET_TRY(GfQuatf) USDPARQUET_TRY(GfQuatd)
#undef USDPARQUET_TRY
    return false;
}

template <class T>
struct IsQuaternion : std::bool_constant<std::is_same_v<T, GfQuath> ||
                                         std::is_same_v<T, GfQuatf> ||
                                         std::is_same_v<T, GfQuatd>> {};
template <class T>
struct IsMatrix : std::bool_constant<std::is_same_v<T, GfMatrix2d> ||
                                     std::is_same_v<T, GfMatrix3d> ||
                                     std::is_same_v<T, GfMatrix4d>> {};

template <class T, class = void>
struct IsVector : std::false_type {};
template <class T>
struct IsVector<T, std::void_t<decltype(T::dimension)>> : std::true_type {};

// The element reader turning Arrow type ``type`` into T, or null.
template <class T>
ElementPtr<T>
MakeElement(const arrow::DataType& type)
{
    if (type.id() == arrow::Type::DICTIONARY) {
        const auto& dict = static_cast<const arrow::DictionaryType&>(type);
        ElementPtr<T> values = MakeElement<T>(*dict.value_type());
        if (!values) {
            return nullptr;
        }
        return std::make_unique<DictionaryElement<T>>(std::move(values));
    }
    if constexpr (IsMatrix<T>::value || IsQuaternion<T>::value) {
        using Scalar = typename T::ScalarType;
        constexpr size_t n = [] {
            if constexpr (IsQuaternion<T>::value) {
                return size_t(4);
            } else {
                return size_t(T::numRows * T::numColumns);
            }
        }();
        if (type.id() != arrow::Type::FIXED_SIZE_LIST) {
            return nullptr;
        }
        const auto& list = static_cast<const arrow::FixedSizeListType&>(type);
        if (list.list_size() != static_cast<int32_t>(n)) {
            return nullptr;
        }
        auto scalars = MakeElement<Scalar>(*list.value_type());
        if (!scalars) {
            return nullptr;
        }
        return std::make_unique<ScalarsElement<T, Scalar, n, IsQuaternion<T>::value>>(
            std::move(scalars));
    } else if constexpr (std::is_same_v<T, TfToken> || std::is_same_v<T, SdfAssetPath>) {
        auto strings = MakeElement<std::string>(type);
        if (!strings) {
            return nullptr;
        }
        return std::make_unique<ConvertedElement<T, std::string>>(std::move(strings));
    } else if constexpr (std::is_same_v<T, SdfTimeCode>) {
        auto numbers = MakeElement<double>(type);
        if (!numbers) {
            return nullptr;
        }
        return std::make_unique<ConvertedElement<T, double>>(std::move(numbers));
    } else if constexpr (IsVector<T>::value) {
        if (type.id() != arrow::Type::FIXED_SIZE_LIST) {
            return nullptr;
        }
        const auto& list = static_cast<const arrow::FixedSizeListType&>(type);
        if (list.list_size() != static_cast<int32_t>(T::dimension)) {
            return nullptr;
        }
        auto scalars = MakeElement<typename T::ScalarType>(*list.value_type());
        if (!scalars) {
            return nullptr;
        }
        return std::make_unique<VectorElement<T>>(std::move(scalars));
    } else if constexpr (std::is_same_v<T, std::string>) {
        if (!StringElement::Reads(type.id())) {
            return nullptr;
        }
        return std::make_unique<StringElement>(type.id());
    } else {
        if (!NumberElement<T>::Reads(type.id())) {
            return nullptr;
        }
        return std::make_unique<NumberElement<T>>(type.id());
    }
}

template <class T>
class ScalarReader final : public ValueReader {
public:
    ScalarReader(const SdfValueTypeName& name, ElementPtr<T> element)
        : ValueReader(name), _element(std::move(element))
    {
    }
    bool IsNull(const arrow::Array& values, int64_t i) const override
    {
        return _element->IsNull(values, i);
    }
    VtValue Get(const arrow::Array& values, int64_t i) const override
    {
        return VtValue(_element->Get(values, i));
    }

private:
    ElementPtr<T> _element;
};

template <class T, class ListArray>
class ArrayReader final : public ValueReader {
public:
    ArrayReader(const SdfValueTypeName& name, ElementPtr<T> element)
        : ValueReader(name), _element(std::move(element))
    {
    }
    bool IsNull(const arrow::Array& values, int64_t i) const override
    {
        return values.IsNull(i);
    }
    VtValue Get(const arrow::Array& values, int64_t i) const override
    {
        const auto& list = static_cast<const ListArray&>(values);
        const arrow::Array& children = *list.values();
        const int64_t start = list.value_offset(i);
        const int64_t length = list.value_length(i);
        VtArray<T> array(static_cast<size_t>(length));
        T* out = array.data();
        for (int64_t k = 0; k < length; ++k) {
            if (_element->IsNull(children, start + k)) {
                throw NullElement();
            }
            out[k] = _element->Get(children, start + k);
        }
        return VtValue::Take(array);
    }

private:
    ElementPtr<T> _element;
};

// The table in one line, as the Python loader's errors give it.
std::string
Supported()
{
    std::ostringstream out;
    out << "supported: ";
    for (const table::Mapping& m : table::kScalars) {
        out << m.arrow << ", ";
    }
    out << "dictionaries of them, fixed_size_list of ";
    const char* separator = "";
    for (int size : table::kVectorSizes) {
        out << separator << size;
        separator = "/";
    }
    separator = " ";
    for (const table::Mapping& m : table::kVectorElements) {
        out << separator << m.arrow;
        separator = "/";
    }
    out << ", lists of those";
    return out.str();
}

} // namespace

std::string
UsdTypeNameFor(const arrow::DataType& type, std::string* why)
{
    const arrow::DataType& t = Undictionary(type);
    if (const char* usd = Lookup(std::begin(table::kScalars),
                                 std::end(table::kScalars), t.ToString())) {
        return usd;
    }
    if (t.id() == arrow::Type::FIXED_SIZE_LIST) {
        const auto& list = static_cast<const arrow::FixedSizeListType&>(t);
        const char* base = Lookup(std::begin(table::kVectorElements),
                                  std::end(table::kVectorElements),
                                  list.value_type()->ToString());
        for (int size : table::kVectorSizes) {
            if (base && size == list.list_size()) {
                return base + std::to_string(size);
            }
        }
    } else if (IsList(t)) {
        const arrow::DataType& inner =
            Undictionary(*static_cast<const arrow::BaseListType&>(t).value_type());
        if (!IsList(inner)) {
            const std::string element = UsdTypeNameFor(inner, nullptr);
            if (!element.empty()) {
                return element + "[]";
            }
        }
    }
    if (why) {
        *why = "unsupported Arrow type " + type.ToString() + " (" + Supported() + ")";
    }
    return std::string();
}

namespace {

// The declared types with no Arrow counterpart, and the Arrow types each
// reads (the table's "declared_types").
bool
IsSpecialType(const TfType& type)
{
    return type == TfType::Find<TfToken>() || type == TfType::Find<SdfAssetPath>() ||
           type == TfType::Find<SdfTimeCode>() || type == TfType::Find<GfMatrix2d>() ||
           type == TfType::Find<GfMatrix3d>() || type == TfType::Find<GfMatrix4d>() ||
           type == TfType::Find<GfQuath>() || type == TfType::Find<GfQuatf>() ||
           type == TfType::Find<GfQuatd>();
}

} // namespace

std::unique_ptr<ValueReader>
ValueReader::For(const arrow::DataType& type, const std::string& declared, std::string* why)
{
    std::string mapped = UsdTypeNameFor(type, declared.empty() ? why : nullptr);
    SdfValueTypeName name;
    if (declared.empty()) {
        if (mapped.empty()) {
            return nullptr;
        }
        name = SdfSchema::GetInstance().FindType(mapped);
    } else {
        name = SdfSchema::GetInstance().FindType(declared);
        const auto refuse = [&](const std::string& reason) {
            if (why) {
                *why = "usd:typeName " + Quoted(declared) + " " + reason;
            }
            return nullptr;
        };
        if (!name || name.GetAsToken().GetString() != declared) {
            return refuse("is not a USD attribute type name");
        }
        const bool special = IsSpecialType(name.GetScalarType().GetType());
        const SdfValueTypeName natural =
            mapped.empty() ? SdfValueTypeName() : SdfSchema::GetInstance().FindType(mapped);
        if (!special && !(natural && natural.GetType() == name.GetType())) {
            return refuse("does not fit Arrow type " + type.ToString() +
                          (natural ? " (which reads as " + mapped +
                                         "; a declared type may only give it a role)"
                                   : std::string()));
        }
    }
    const bool isArray = name.IsArray();
    const TfType scalar = name.GetScalarType().GetType();
    std::unique_ptr<ValueReader> reader;
    WithCppType(scalar, [&](auto tag) {
        using T = typename decltype(tag)::type;
        if (!isArray) {
            if (auto element = MakeElement<T>(type)) {
                reader = std::make_unique<ScalarReader<T>>(name, std::move(element));
            }
        } else if (type.id() == arrow::Type::LIST) {
            const auto& list = static_cast<const arrow::ListType&>(type);
            if (auto element = MakeElement<T>(*list.value_type())) {
                reader = std::make_unique<ArrayReader<T, arrow::ListArray>>(
                    name, std::move(element));
            }
        } else if (type.id() == arrow::Type::LARGE_LIST) {
            const auto& list = static_cast<const arrow::LargeListType&>(type);
            if (auto element = MakeElement<T>(*list.value_type())) {
                reader = std::make_unique<ArrayReader<T, arrow::LargeListArray>>(
                    name, std::move(element));
            }
        }
        return reader != nullptr;
    });
    if (!reader && why) {
        *why = declared.empty()
                   ? "unsupported Arrow type " + type.ToString() + " (" + Supported() + ")"
                   : "usd:typeName " + Quoted(declared) + " does not fit Arrow type " +
                         type.ToString() +
                         " (token and asset read strings, timecode numbers, matrixNd "
                         "fixed_size_list<number>[N*N], quath/f/d fixed_size_list<number>[4], "
                         "arrays lists of those)";
    }
    return reader;
}

} // namespace usdparquet
