#include "valueReader.h"

#include "arrowArraySource.h"
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
#include <pxr/tf/envSetting.h>
#include <pxr/tf/type.h>

#include <atomic>
#include <cstring>
#include <cstdint>
#include <optional>
#include <sstream>

using namespace pxr;

// VtArrays over the decoded Arrow buffers where the layouts match (on by
// default); 0 copies every array (for comparison).
TF_DEFINE_ENV_SETTING(USDPARQUET_ZERO_COPY_ARRAYS, true,
                      "Serve Parquet list columns as VtArrays over the decoded "
                      "Arrow buffers where the element layout matches.");

namespace usdparquet {

using namespace elements;

const arrow::DataType&
Undictionary(const arrow::DataType& type)
{
    return type.id() == arrow::Type::DICTIONARY
               ? *static_cast<const arrow::DictionaryType&>(type).value_type()
               : type;
}

bool
StringAt(const arrow::Array& values, int64_t i, std::string_view* out)
{
    if (values.IsNull(i)) {
        return false;
    }
    const arrow::Array* strings = &values;
    if (values.type_id() == arrow::Type::DICTIONARY) {
        const auto& dict = static_cast<const arrow::DictionaryArray&>(values);
        strings = dict.dictionary().get();
        i = dict.GetValueIndex(i);
        if (strings->IsNull(i)) {
            return false;
        }
    }
    switch (strings->type_id()) {
    case arrow::Type::STRING:
        *out = static_cast<const arrow::StringArray&>(*strings).GetView(i);
        return true;
    case arrow::Type::LARGE_STRING:
        *out = static_cast<const arrow::LargeStringArray&>(*strings).GetView(i);
        return true;
    case arrow::Type::STRING_VIEW:
        *out = static_cast<const arrow::StringViewArray&>(*strings).GetView(i);
        return true;
    default:
        return false;
    }
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

// The Arrow type whose values are laid out as C++ type S, if any.
template <class S>
constexpr arrow::Type::type
ArrowIdOf()
{
    if constexpr (std::is_same_v<S, float>) {
        return arrow::Type::FLOAT;
    } else if constexpr (std::is_same_v<S, double>) {
        return arrow::Type::DOUBLE;
    } else if constexpr (std::is_same_v<S, int>) {
        return arrow::Type::INT32;
    } else if constexpr (std::is_same_v<S, int64_t>) {
        return arrow::Type::INT64;
    } else if constexpr (std::is_same_v<S, unsigned int>) {
        return arrow::Type::UINT32;
    } else if constexpr (std::is_same_v<S, uint64_t>) {
        return arrow::Type::UINT64;
    } else if constexpr (std::is_same_v<S, unsigned char>) {
        return arrow::Type::UINT8;
    } else if constexpr (std::is_same_v<S, GfHalf>) {
        return arrow::Type::HALF_FLOAT;
    } else {
        return arrow::Type::NA;
    }
}

bool
ZeroCopy()
{
    static const bool on = TfGetEnvSetting(USDPARQUET_ZERO_COPY_ARRAYS);
    return on;
}

// Elements [start, start + count) of ``scalars`` as the bytes of values of
// S laid out in place, if the Arrow type stores S and none is null; else
// null (the caller copies, and finds the nulls). Not necessarily aligned
// for S: values served from a mapped file sit wherever the page put them.
template <class S>
const uint8_t*
InPlace(const arrow::Array& scalars, int64_t start, int64_t count)
{
    constexpr arrow::Type::type id = ArrowIdOf<S>();
    if constexpr (id == arrow::Type::NA) {
        return nullptr;
    } else {
        if (scalars.type_id() != id || scalars.data()->buffers.size() < 2 ||
            !scalars.data()->buffers[1]) {
            return nullptr;
        }
        if (scalars.null_count() != 0) {
            for (int64_t k = start; k < start + count; ++k) {
                if (scalars.IsNull(k)) {
                    return nullptr;
                }
            }
        }
        return scalars.data()->buffers[1]->data() +
               (scalars.offset() + start) * static_cast<int64_t>(sizeof(S));
    }
}

// ``count`` elements of T starting at element ``start`` of a list's child
// array (its values, or a fixed_size_list of them for a vector T) laid out
// in place as T, and the buffer holding them; null if the layout does not
// match.
template <class T>
std::pair<const uint8_t*, const std::shared_ptr<arrow::Buffer>*>
LaidOut(const arrow::Array& children, int64_t start, int64_t count)
{
    if constexpr (IsVector<T>::value) {
        using S = typename T::ScalarType;
        static_assert(sizeof(T) == sizeof(S) * T::dimension);
        if (children.type_id() != arrow::Type::FIXED_SIZE_LIST) {
            return {nullptr, nullptr};
        }
        const auto& vectors = static_cast<const arrow::FixedSizeListArray&>(children);
        if (vectors.list_type()->list_size() != static_cast<int32_t>(T::dimension)) {
            return {nullptr, nullptr};
        }
        if (vectors.null_count() != 0) {
            for (int64_t k = start; k < start + count; ++k) {
                if (vectors.IsNull(k)) {
                    return {nullptr, nullptr};
                }
            }
        }
        const arrow::Array& scalars = *vectors.values();
        const int64_t first = vectors.value_offset(start) - scalars.offset();
        const uint8_t* bytes = InPlace<S>(scalars, first, count * T::dimension);
        return {bytes, bytes ? &scalars.data()->buffers[1] : nullptr};
    } else {
        const uint8_t* bytes = InPlace<T>(children, start, count);
        return {bytes, bytes ? &children.data()->buffers[1] : nullptr};
    }
}

std::atomic<uint64_t> unalignedCopies{0};

// ``count`` values of T laid out at ``bytes`` inside ``buffer``: a foreign
// VtArray over the buffer if they are aligned for T (and zero copy is on),
// else one memcpy of their bytes (values of a page mapped from the file at
// an odd offset).
template <class T>
VtArray<T>
WrapOrCopy(const std::shared_ptr<arrow::Buffer>& buffer, const uint8_t* bytes, size_t count)
{
    if (ZeroCopy() && reinterpret_cast<uintptr_t>(bytes) % alignof(T) == 0) {
        return ArrowArraySource::Wrap(buffer, reinterpret_cast<const T*>(bytes), count);
    }
    if (ZeroCopy()) {
        unalignedCopies.fetch_add(1, std::memory_order_relaxed);
    }
    VtArray<T> array(count);
    std::memcpy(static_cast<void*>(array.data()), bytes, count * sizeof(T));
    return array;
}

// The VtArray of T over ``count`` elements starting at element ``start`` of
// a list's child array, with no copy where the layout matches: a foreign
// VtArray over the buffer if the elements are aligned for T, else one
// memcpy of their bytes (values of a page mapped from the file at an odd
// offset). An empty optional if the layout does not match (the caller
// copies element by element).
template <class T>
std::optional<VtArray<T>>
WrapChildren(const arrow::Array& children, int64_t start, int64_t count)
{
    if (count <= 0) {
        return std::nullopt;
    }
    const auto [bytes, buffer] = LaidOut<T>(children, start, count);
    if (!bytes) {
        return std::nullopt;
    }
    return WrapOrCopy<T>(*buffer, bytes, static_cast<size_t>(count));
}

// What the readers of list columns share: a row's elements (a slice of
// the list's child array), null rows, and copying the elements one by one
// where they cannot be wrapped in place.
template <class E, class ListArray>
class ListReader : public ValueReader {
public:
    ListReader(const SdfValueTypeName& name, ElementPtr<E> element)
        : ValueReader(name), _element(std::move(element))
    {
    }
    bool IsNull(const arrow::Array& values, int64_t i) const override
    {
        return values.IsNull(i);
    }

protected:
    struct Slice {
        const arrow::Array& children;
        int64_t start;
        int64_t length;
    };
    static Slice Elements(const arrow::Array& values, int64_t i)
    {
        const auto& list = static_cast<const ListArray&>(values);
        return Slice{*list.values(), list.value_offset(i), list.value_length(i)};
    }
    // Copies the slice's elements to ``out``; throws NullElement at a null.
    void Copy(const Slice& slice, E* out) const
    {
        for (int64_t k = 0; k < slice.length; ++k) {
            if (_element->IsNull(slice.children, slice.start + k)) {
                throw NullElement();
            }
            out[k] = _element->Get(slice.children, slice.start + k);
        }
    }

private:
    ElementPtr<E> _element;
};

template <class T, class ListArray>
class ArrayReader final : public ListReader<T, ListArray> {
public:
    using ListReader<T, ListArray>::ListReader;
    VtValue Get(const arrow::Array& values, int64_t i) const override
    {
        const auto slice = this->Elements(values, i);
        if (auto wrapped = WrapChildren<T>(slice.children, slice.start, slice.length)) {
            return VtValue::Take(*wrapped);
        }
        VtArray<T> array(static_cast<size_t>(slice.length));
        this->Copy(slice, array.data());
        return VtValue::Take(array);
    }
};

// A vector array (point3f[], float3[] ...) from a flat list of its scalars,
// ``dimension`` per vector (list<float> with 3n values for float3[]).
template <class Vec, class ListArray>
class FlatVectorArrayReader final : public ListReader<typename Vec::ScalarType, ListArray> {
public:
    using S = typename Vec::ScalarType;
    using ListReader<S, ListArray>::ListReader;
    VtValue Get(const arrow::Array& values, int64_t i) const override
    {
        const auto slice = this->Elements(values, i);
        constexpr int64_t n = Vec::dimension;
        if (slice.length % n != 0) {
            throw BadElementCount{slice.length, static_cast<int>(n)};
        }
        if (slice.length > 0) {
            if (const uint8_t* bytes = InPlace<S>(slice.children, slice.start, slice.length)) {
                VtArray<Vec> array = WrapOrCopy<Vec>(slice.children.data()->buffers[1], bytes,
                                                     static_cast<size_t>(slice.length / n));
                return VtValue::Take(array);
            }
        }
        VtArray<Vec> array(static_cast<size_t>(slice.length / n));
        this->Copy(slice, reinterpret_cast<S*>(array.data()));
        return VtValue::Take(array);
    }
};

// The scalar type name of a Gf vector type's elements (float for GfVec3f),
// or empty.
std::string
VectorScalarName(const TfType& vector)
{
    static const std::pair<TfType, const char*> names[] = {
        {TfType::Find<GfVec2f>(), "float"}, {TfType::Find<GfVec3f>(), "float"},
        {TfType::Find<GfVec4f>(), "float"}, {TfType::Find<GfVec2d>(), "double"},
        {TfType::Find<GfVec3d>(), "double"}, {TfType::Find<GfVec4d>(), "double"},
        {TfType::Find<GfVec2h>(), "half"},  {TfType::Find<GfVec3h>(), "half"},
        {TfType::Find<GfVec4h>(), "half"},  {TfType::Find<GfVec2i>(), "int"},
        {TfType::Find<GfVec3i>(), "int"},   {TfType::Find<GfVec4i>(), "int"}};
    for (const auto& [type, name] : names) {
        if (type == vector) {
            return name;
        }
    }
    return std::string();
}

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

uint64_t
UnalignedArrayCopies()
{
    return unalignedCopies.load(std::memory_order_relaxed);
}

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
        bool special = IsSpecialType(name.GetScalarType().GetType());
        // A vector array over a flat list of exactly its scalar type
        // (list<float> for point3f[]).
        if (name.IsArray() && IsList(Undictionary(type))) {
            const arrow::DataType& inner =
                Undictionary(*static_cast<const arrow::BaseListType&>(Undictionary(type))
                                  .value_type());
            const std::string scalar = VectorScalarName(name.GetScalarType().GetType());
            special = special || (!scalar.empty() && UsdTypeNameFor(inner, nullptr) == scalar);
        }
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
        } else if constexpr (IsVector<T>::value) {
            // A flat list of scalars, or a list of fixed_size_lists.
            const auto flat = [&](const arrow::DataType& inner, auto listTag) {
                using ListArray = typename decltype(listTag)::type;
                if (Undictionary(inner).id() == arrow::Type::FIXED_SIZE_LIST) {
                    if (auto element = MakeElement<T>(inner)) {
                        reader = std::make_unique<ArrayReader<T, ListArray>>(
                            name, std::move(element));
                    }
                } else if (auto element = MakeElement<typename T::ScalarType>(inner)) {
                    reader = std::make_unique<FlatVectorArrayReader<T, ListArray>>(
                        name, std::move(element));
                }
            };
            if (type.id() == arrow::Type::LIST) {
                flat(*static_cast<const arrow::ListType&>(type).value_type(),
                     Tag<arrow::ListArray>{});
            } else if (type.id() == arrow::Type::LARGE_LIST) {
                flat(*static_cast<const arrow::LargeListType&>(type).value_type(),
                     Tag<arrow::LargeListArray>{});
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
