#include "valueReader.h"

#include "arrowUsdTypes.h" // generated from usdbench/arrow_usd_types.json
#include "elementReaders.h"

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

// Calls ``f(Tag<T>{})`` with the C++ type of the USD scalar or vector type
// named ``usd``; false for a name the mapping never produces.
template <class F>
bool
WithUsdType(const std::string& usd, F&& f)
{
    if (usd == "double") return f(Tag<double>{});
    if (usd == "float") return f(Tag<float>{});
    if (usd == "half") return f(Tag<GfHalf>{});
    if (usd == "int") return f(Tag<int>{});
    if (usd == "int64") return f(Tag<int64_t>{});
    if (usd == "uchar") return f(Tag<unsigned char>{});
    if (usd == "uint") return f(Tag<unsigned int>{});
    if (usd == "uint64") return f(Tag<uint64_t>{});
    if (usd == "bool") return f(Tag<bool>{});
    if (usd == "string") return f(Tag<std::string>{});
    if (usd == "double2") return f(Tag<GfVec2d>{});
    if (usd == "double3") return f(Tag<GfVec3d>{});
    if (usd == "double4") return f(Tag<GfVec4d>{});
    if (usd == "float2") return f(Tag<GfVec2f>{});
    if (usd == "float3") return f(Tag<GfVec3f>{});
    if (usd == "float4") return f(Tag<GfVec4f>{});
    if (usd == "half2") return f(Tag<GfVec2h>{});
    if (usd == "half3") return f(Tag<GfVec3h>{});
    if (usd == "half4") return f(Tag<GfVec4h>{});
    if (usd == "int2") return f(Tag<GfVec2i>{});
    if (usd == "int3") return f(Tag<GfVec3i>{});
    if (usd == "int4") return f(Tag<GfVec4i>{});
    return false;
}

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
    if constexpr (IsVector<T>::value) {
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

std::unique_ptr<ValueReader>
ValueReader::For(const arrow::DataType& type, std::string* why)
{
    const std::string usd = UsdTypeNameFor(type, why);
    if (usd.empty()) {
        return nullptr;
    }
    const SdfValueTypeName name = SdfSchema::GetInstance().FindType(usd);
    const bool isArray = usd.size() > 2 && usd.compare(usd.size() - 2, 2, "[]") == 0;
    const std::string base = isArray ? usd.substr(0, usd.size() - 2) : usd;
    std::unique_ptr<ValueReader> reader;
    WithUsdType(base, [&](auto tag) {
        using T = typename decltype(tag)::type;
        // The table and USD must agree on the C++ type behind the name.
        const TfType expected =
            isArray ? TfType::Find<VtArray<T>>() : TfType::Find<T>();
        if (!name || name.GetType() != expected) {
            return false;
        }
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
        *why = "unsupported Arrow type " + type.ToString() + " (" + Supported() + ")";
    }
    return reader;
}

} // namespace usdparquet
