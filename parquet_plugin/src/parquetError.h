// Bad input found while opening or reading a Parquet layer. Thrown inside
// the plugin only: every entry point USD calls catches it and reports it
// through TF_RUNTIME_ERROR, so no exception ever reaches USD.
#ifndef USDPARQUET_PARQUET_ERROR_H
#define USDPARQUET_PARQUET_ERROR_H

#include <cstdint>
#include <stdexcept>
#include <string>

namespace usdparquet {

class ParquetError : public std::runtime_error {
public:
    // The message reads like the Python loader's UsdBenchError:
    // "file F, row R, column 'C': reason" (the parts that are known).
    ParquetError(const std::string& file, const std::string& reason,
                 int64_t row = -1, const std::string& column = std::string(),
                 int64_t otherRow = -1);

    const std::string& Reason() const { return _reason; }

private:
    static std::string _Format(const std::string& file,
                               const std::string& reason, int64_t row,
                               const std::string& column, int64_t otherRow);
    std::string _reason;
};

// Reports the exception being handled through TF_RUNTIME_ERROR; call it only
// inside a catch block. Every entry point USD calls ends in
// `catch (...) { ReportCurrentError(file, "reading"); return <failure>; }`,
// so no exception of any kind reaches USD. A ParquetError names its file,
// row and column already; anything else is prefixed with ``file`` and what
// the plugin was ``doing``.
void ReportCurrentError(const std::string& file, const char* doing);

// Python-style repr of a string ('abc'), as the Python loader's messages
// quote paths and names.
std::string Quoted(const std::string& text);

} // namespace usdparquet

#endif
