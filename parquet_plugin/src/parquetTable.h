// A Parquet file opened for reading through USD's asset resolver: its footer
// (schema, row groups, statistics, key-value metadata) at once, a column's
// values or only its presence (which rows are not null) one row group at a
// time on demand.
#ifndef USDPARQUET_PARQUET_TABLE_H
#define USDPARQUET_PARQUET_TABLE_H

#include "block.h"
#include "mappedLists.h"
#include "presence.h"

#include <arrow/io/interfaces.h>
#include <arrow/record_batch.h>
#include <arrow/type.h>
#include <parquet/arrow/reader.h>
#include <parquet/file_reader.h>
#include <parquet/properties.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace usdparquet {

class ParquetTable {
public:
    // Reads the footer only, through ArGetResolver().OpenAsset. Throws
    // ParquetError naming ``path`` if the asset cannot be opened or is not
    // Parquet.
    explicit ParquetTable(const std::string& path);

    // Whether ``bytes`` (an asset's first 4 bytes) are Parquet's magic.
    static bool HasMagic(const char* bytes, size_t size);

    const std::string& Path() const { return _path; }
    const arrow::Schema& Schema() const { return *_schema; }
    int NumRowGroups() const { return static_cast<int>(_starts.size()) - 1; }
    int64_t NumRows() const { return _starts.back(); }
    int64_t RowGroupStart(int rowGroup) const { return _starts[rowGroup]; }
    int64_t RowGroupRows(int rowGroup) const
    {
        return _starts[rowGroup + 1] - _starts[rowGroup];
    }

    // The row group holding file row ``row`` and the row's index in it.
    std::pair<int, int64_t> Locate(int64_t row) const;

    // The file's key-value metadata entry ``key``, if present.
    std::optional<std::string> FileMetadata(const std::string& key) const;
    // Top-level ``field``'s Arrow field metadata entry ``key``, if present.
    std::optional<std::string> FieldMetadata(int field, const std::string& key) const;

    // The recorded [min, max] of a top-level string field in a row group,
    // if the writer stored statistics.
    std::optional<std::pair<std::string, std::string>>
    StringRange(int rowGroup, int field) const;

    // What the footer says of a top-level field's presence in a row group:
    // every row present (no nulls; for a list column written by Arrow, no
    // null or empty list and no null element), none (all null), or unknown
    // (nulls among values, other nested data, or no statistics).
    Presence::State FooterPresence(int field, int rowGroup) const;
    // The bytes a decoded block of ``field`` in ``rowGroup`` is expected to
    // take (the chunk's uncompressed size), to reserve before decoding.
    size_t EstimatedBytes(int field, int rowGroup) const;

    // Whether ``field``'s chunk in ``rowGroup`` is read from the mapped
    // asset with no copy of its values (MappedLists: a list of numbers in
    // uncompressed PLAIN pages), as far as the footer tells; ReadBlock
    // falls back to decoding where the pages do not allow it.
    bool MapsValues(int field, int rowGroup) const;

    // Whether ``field`` can be read a range of rows at a time (ReadBlock
    // and ReadPresence with a range): a flat column of a plain type (double,
    // float, int32, int64, bool, string). Others are read a row group at a
    // time.
    bool ReadsRanges(int field) const;
    // Rows per block of ``field`` (any column, lists too) so that a block
    // of it decodes to about ``bytes``, from the footer's sizes (the largest
    // per-row size of any row group); 0 if a whole row group is smaller.
    int64_t RowsForBytes(int field, size_t bytes) const;

    // Which rows of ``field`` in rows [first, first + rows) of ``rowGroup``
    // (rows < 0: the whole group) are present, and which hold a null element
    // inside a list or vector: read from the Parquet definition and
    // repetition levels, without building values. Throws ParquetError if
    // the data cannot be read.
    std::shared_ptr<const Presence> ReadPresence(int field, int rowGroup, int64_t first = 0,
                                                 int64_t rows = -1) const;

    // The decoded values of top-level ``field`` in rows [first, first +
    // rows) of ``rowGroup`` (rows < 0: the whole group), validated (offsets,
    // dictionary indices). A range skips the pages before it unread (their
    // headers say how many rows they hold). Safe to call from several
    // threads for different blocks at once. Throws ParquetError if the data
    // cannot be read.
    std::shared_ptr<const Block> ReadBlock(int field, int rowGroup, int64_t first = 0,
                                           int64_t rows = -1) const;
    // The whole row group of ``field`` for an index built at open (read
    // once, then dropped): a string field as a dictionary array where the
    // file stores it dictionary-encoded (a path column repeated row after
    // row: each distinct string decoded once); allocated with malloc, not
    // Arrow's default pool. Validated like ReadBlock.
    std::shared_ptr<const Block> ReadIndexBlock(int field, int rowGroup) const;

private:
    // The Parquet leaf column of a top-level field with one leaf, or -1.
    int _Leaf(int field) const;
    // A page reader of ``leaf`` in ``rowGroup`` that skips the data pages
    // wholly before row ``first`` (found from the page headers alone);
    // ``*skipped`` is the rows they hold.
    std::unique_ptr<parquet::PageReader> _PagesFrom(int leaf, int rowGroup, int64_t first,
                                                    int64_t* skipped) const;
    std::shared_ptr<const Block> _ReadRange(int field, int rowGroup, int64_t first,
                                            int64_t rows) const;
    // A range of a column Parquet cannot skip rows of from page headers
    // (lists, vectors): read through Arrow's batch reader, ``rows`` at a
    // time; reading the ranges of a row group in order continues one reader
    // (each range decoded once), another range starts a new one and reads
    // past the rows before it a range at a time (memory: one range).
    std::shared_ptr<const Block> _ReadBatches(int field, int rowGroup, int64_t first,
                                              int64_t rows) const;
    // How every Arrow reader of the file reads it (its buffers' pool).
    static parquet::ReaderProperties _ReaderProperties();
    // Another Arrow reader of the file (its footer already parsed), reading
    // on the calling thread into ``pool``; ``batchRows`` > 0 sets its batch
    // size, ``dictionaryLeaf`` >= 0 reads that string leaf as a dictionary.
    std::unique_ptr<parquet::arrow::FileReader> _NewReader(arrow::MemoryPool* pool,
                                                           int64_t batchRows = 0,
                                                           int dictionaryLeaf = -1) const;
    // ``field`` of a whole row group read by ``reader``, validated (offsets,
    // dictionary indices, lengths) against the row group's metadata.
    std::shared_ptr<const Block> _ReadGroup(parquet::arrow::FileReader& reader, int field,
                                            int rowGroup) const;
    struct Cursor {
        std::shared_ptr<arrow::RecordBatchReader> reader;
        int64_t next = 0; // the first row the reader gives next
    };

    std::string _path;
    // The asset read by copies (AssetFile::Copying): what Arrow decodes.
    std::shared_ptr<arrow::io::RandomAccessFile> _file;
    std::unique_ptr<parquet::arrow::FileReader> _reader;
    std::shared_ptr<arrow::Schema> _schema;
    // The file read as slices of the asset's mapping (null if the asset is
    // not mapped), for MappedLists: declared before _mapped, which reads
    // through it, so destroyed after it.
    std::unique_ptr<parquet::ParquetFileReader> _mappedReader;
    // Per top-level field, its reader over the mapped asset, or null (not
    // a list of numbers, or the asset not mapped).
    std::vector<std::unique_ptr<MappedLists>> _mapped;
    std::vector<int64_t> _starts; // first row of each row group, then the total
    mutable std::mutex _batchMutex;
    // Batch readers by batch size, and each (field, row group)'s cursor.
    mutable std::map<int64_t, std::unique_ptr<parquet::arrow::FileReader>> _batchReaders;
    mutable std::map<std::pair<int, int>, Cursor> _cursors;
    // Per nested field, the last row group whose presence was read whole.
    mutable std::map<int, std::pair<int, std::shared_ptr<const Presence>>> _groupPresence;
    // The readers of ReadIndexBlock, by field.
    mutable std::map<int, std::unique_ptr<parquet::arrow::FileReader>> _dictionaryReaders;
};

} // namespace usdparquet

#endif
