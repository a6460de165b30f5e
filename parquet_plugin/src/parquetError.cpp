#include "parquetError.h"

#include <pxr/tf/diagnostic.h>

#include <algorithm>

using namespace pxr;

namespace usdparquet {

ParquetError::ParquetError(const std::string& file, const std::string& reason,
                           int64_t row, const std::string& column,
                           int64_t otherRow)
    : std::runtime_error(_Format(file, reason, row, column, otherRow)),
      _reason(reason)
{
}

std::string
ParquetError::_Format(const std::string& file, const std::string& reason,
                      int64_t row, const std::string& column, int64_t otherRow)
{
    std::string where;
    auto add = [&where](const std::string& part) {
        where += where.empty() ? part : ", " + part;
    };
    if (!file.empty()) {
        add("file " + file);
    }
    if (row >= 0 && otherRow >= 0) {
        add("rows " + std::to_string(std::min(row, otherRow)) + " and " +
            std::to_string(std::max(row, otherRow)));
    } else if (row >= 0) {
        add("row " + std::to_string(row));
    }
    if (!column.empty()) {
        add("column " + Quoted(column));
    }
    return where.empty() ? reason : where + ": " + reason;
}

std::string
Quoted(const std::string& text)
{
    const bool single = text.find('\'') != std::string::npos &&
                        text.find('"') == std::string::npos;
    const char quote = single ? '"' : '\'';
    std::string out(1, quote);
    for (char c : text) {
        if (c == quote || c == '\\') {
            out += '\\';
        }
        if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else {
            out += c;
        }
    }
    return out + quote;
}

void
ReportCurrentError(const std::string& file, const char* doing)
{
    try {
        throw;
    } catch (const ParquetError& error) {
        TF_RUNTIME_ERROR("%s", error.what());
    } catch (const std::exception& error) {
        TF_RUNTIME_ERROR("file %s: error while %s: %s", file.c_str(), doing, error.what());
    } catch (...) {
        TF_RUNTIME_ERROR("file %s: unexpected error while %s", file.c_str(), doing);
    }
}

} // namespace usdparquet
