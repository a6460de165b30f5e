#include "fileFormat.h"

#include "layerData.h"
#include "parquetError.h"
#include "parquetTable.h"

#include <pxr/ar/asset.h>
#include <pxr/ar/resolvedPath.h>
#include <pxr/ar/resolver.h>
#include <pxr/trace/trace.h>

#include <pxr/sdf/layer.h>
#include <pxr/tf/diagnostic.h>
#include <pxr/tf/registryManager.h>
#include <pxr/tf/token.h>
#include <pxr/tf/type.h>

using namespace pxr;

namespace usdparquet {

namespace {

const TfToken&
FormatId()
{
    static const TfToken id("parquet");
    return id;
}

SdfFileFormatConstPtr
TextFormat()
{
    return SdfFileFormat::FindById(TfToken("usda"));
}

} // namespace

FileFormat::FileFormat()
    : SdfFileFormat(FormatId(), TfToken("1.0"), TfToken("usd"), "parquet")
{
}

FileFormat::~FileFormat() = default;

bool
FileFormat::CanRead(const std::string& file) const
{
    // Parquet's magic, read through USD's resolver (as usdc checks its own):
    // Read then says precisely why a Parquet file is not a property table.
    TRACE_FUNCTION();
    try {
        const std::shared_ptr<ArAsset> asset = ArGetResolver().OpenAsset(ArResolvedPath(file));
        if (!asset) {
            return false;
        }
        char magic[4] = {0, 0, 0, 0};
        const size_t n = asset->Read(magic, sizeof(magic), 0);
        return ParquetTable::HasMagic(magic, n);
    } catch (...) {
        return false;
    }
}

SdfAbstractDataRefPtr
FileFormat::InitData(const FileFormatArguments&) const
{
    return LayerData::New();
}

bool
FileFormat::Read(SdfLayer* layer, const std::string& resolvedPath, bool metadataOnly) const
{
    TRACE_FUNCTION();
    try {
        SdfAbstractDataRefPtr data =
            LayerData::Open(resolvedPath, layer->GetIdentifier(),
                            layer->GetFileFormatArguments(), metadataOnly);
        _SetLayerData(layer, data);
    } catch (...) {
        ReportCurrentError(resolvedPath, "opening");
        return false;
    }
    // USD refuses edits up front, with a clear error, instead of reaching the
    // data's read-only setters.
    layer->SetPermissionToEdit(false);
    layer->SetPermissionToSave(false);
    return true;
}

bool
FileFormat::WriteToFile(const SdfLayer& layer, const std::string& filePath,
                        const std::string&, const FileFormatArguments&) const
{
    TF_RUNTIME_ERROR("cannot write %s (layer %s): the Parquet file format is read-only; "
                     "export to a .usda or .usdc file instead",
                     filePath.c_str(), layer.GetIdentifier().c_str());
    return false;
}

bool
FileFormat::ReadFromString(SdfLayer* layer, const std::string&) const
{
    TF_RUNTIME_ERROR("layer %s: the Parquet file format reads files, not text",
                     layer ? layer->GetIdentifier().c_str() : "");
    return false;
}

bool
FileFormat::WriteToString(const SdfLayer& layer, std::string* str,
                          const std::string& comment) const
{
    return TextFormat()->WriteToString(layer, str, comment);
}

bool
FileFormat::WriteToStream(const SdfSpecHandle& spec, std::ostream& out,
                          size_t indent) const
{
    return TextFormat()->WriteToStream(spec, out, indent);
}

} // namespace usdparquet

TF_REGISTRY_FUNCTION(TfType)
{
    SDF_DEFINE_FILE_FORMAT(usdparquet::FileFormat, SdfFileFormat);
}
