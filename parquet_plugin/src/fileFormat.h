// The ``parquet`` SdfFileFormat: opens a Parquet property table as a lazy,
// read-only layer (LayerData). Registered through plugInfo.json, so any USD
// process that finds this plugin (PXR_PLUGINPATH_NAME) reads .parquet.
#ifndef USDPARQUET_FILE_FORMAT_H
#define USDPARQUET_FILE_FORMAT_H

#include <pxr/sdf/fileFormat.h>

#include <iosfwd>
#include <string>

namespace usdparquet {

class FileFormat : public pxr::SdfFileFormat {
public:
    // Public: SDF_FILE_FORMAT_FACTORY_ACCESS befriends only classes inside
    // USD's namespace, and USD's factory must construct this one.
    FileFormat();

    bool CanRead(const std::string& file) const override;
    bool Read(pxr::SdfLayer* layer, const std::string& resolvedPath,
              bool metadataOnly) const override;
    pxr::SdfAbstractDataRefPtr InitData(const FileFormatArguments& args) const override;

    // Read-only: writing Parquet reports an error.
    bool WriteToFile(const pxr::SdfLayer& layer, const std::string& filePath,
                     const std::string& comment,
                     const FileFormatArguments& args) const override;
    bool ReadFromString(pxr::SdfLayer* layer, const std::string& str) const override;
    // Text of a Parquet layer is usda text (usdcat, ExportToString).
    bool WriteToString(const pxr::SdfLayer& layer, std::string* str,
                       const std::string& comment) const override;
    bool WriteToStream(const pxr::SdfSpecHandle& spec, std::ostream& out,
                       size_t indent) const override;

protected:
    ~FileFormat() override;
};

} // namespace usdparquet

#endif
