// CSV as the registry uses it: RFC 4180, read strictly and streamed.
//
// Input may be UTF-8, UTF-8 with a byte order mark, or GB18030 (what Excel
// on Chinese Windows writes); it is detected by BOM, then strict UTF-8, then
// GB18030, unless the caller names the encoding. Every field is handed out
// as UTF-8 in Unicode Normalization Form C. Quoted fields may hold commas,
// quotes ("") and line breaks; records end in CRLF or LF. Anything else —
// a stray quote, a bare CR, a wrong column count, bytes that are not valid
// in the encoding — is kMalformed with "file:line: what", and the caller
// abandons the file. Memory stays bounded by the largest record.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/io.h"
#include "base/os.h"
#include "base/status.h"

namespace xj::formats::csv {

enum class Encoding { kAuto, kUtf8, kGb18030 };

/// "utf-8", "utf-8-bom" is not an encoding but reported in Info; "gb18030".
std::string_view EncodingName(Encoding encoding);
/// Parses an --encoding value: auto, utf-8, gb18030.
Result<Encoding> ParseEncoding(std::string_view name);

struct ReaderOptions {
  Encoding encoding = Encoding::kAuto;
  std::size_t max_field = 4096;      ///< bytes of one field, after decoding
  std::size_t max_record = 1 << 16;  ///< bytes of one record
};

struct Info {
  Encoding encoding = Encoding::kUtf8;  ///< what the file turned out to be
  bool bom = false;
  std::uint64_t normalized_fields = 0;  ///< fields changed by NFC
  std::uint64_t records = 0;            ///< data records read so far
};

class Reader {
 public:
  /// Opens `path`; `display` names the file in messages ("students.csv").
  /// With Encoding::kAuto (and no BOM) the file is read once to decide.
  static Result<std::unique_ptr<Reader>> Open(
      const std::string& path, std::string display,
      const ReaderOptions& options = {});
  /// Reads `bytes` (a whole file, already in memory; copied) as Open reads
  /// a file.
  static Result<std::unique_ptr<Reader>> FromBytes(
      std::string_view bytes, std::string display,
      const ReaderOptions& options = {});
  ~Reader();

  /// The header record: non-empty, unique names. Call once, first.
  Result<std::vector<std::string>> ReadHeader();
  /// The next data record; false at the end. fields() holds it until the
  /// next call. Every record must have as many fields as the header.
  Result<bool> Next();
  const std::vector<std::string_view>& fields() const { return fields_; }
  /// Line where the current record starts (1-based, header is line 1).
  std::uint64_t line() const { return record_line_; }
  const Info& info() const { return info_; }
  const std::string& display() const { return display_; }
  /// After a failure: the line it was found at and what was wrong, without
  /// the "file:line: " prefix the Status message carries.
  std::uint64_t error_line() const { return error_line_; }
  const std::string& error_what() const { return error_what_; }

 private:
  Reader() = default;
  static constexpr std::size_t kPooledSize = 1 << 20;
  static std::unique_ptr<std::uint8_t[]> TakeBuffer(std::size_t size);
  Result<std::size_t> Start(ByteSpan head);
  Result<bool> TakeWhole(std::size_t have);
  Status Fill();
  Result<bool> ParseRecord();
  Status Error(std::uint64_t line, std::string_view what);

  std::string display_;
  ReaderOptions options_;
  Info info_;
  os::File file_;
  std::string owned_;                // the bytes read, for FromBytes
  std::unique_ptr<Source> raw_;      // the file (or owned_)
  std::unique_ptr<Source> decoder_;  // GB18030 → UTF-8, or null
  Source* source_ = nullptr;
  std::unique_ptr<std::uint8_t[]> buf_;  // not zeroed: see Open()
  std::size_t buf_size_ = 0;
  std::size_t pos_ = 0, end_ = 0;
  bool eof_ = false;
  bool nfc_ = false;        // the whole file is UTF-8 in NFC already
  std::uint64_t line_ = 1;  // line of buf_[pos_]
  std::uint64_t record_line_ = 0;
  std::size_t columns_ = 0;
  // Fields of the current record: where each lives, then the views.
  struct Span {
    bool scratch;
    std::size_t offset, size;
  };
  std::vector<Span> spans_;
  std::string scratch_;
  std::string normalized_;
  std::vector<std::string_view> fields_;
  std::uint64_t error_line_ = 0;
  std::string error_what_;
};

/// Writes RFC 4180 records, quoting only where needed, with CRLF (the
/// default) or LF line ends.
class Writer {
 public:
  explicit Writer(Sink* out, std::string_view eol = "\r\n")
      : out_(out), eol_(eol) {}
  /// Buffers one record; flushes when the buffer is large.
  Status Write(const std::vector<std::string_view>& fields);
  Status Write(std::initializer_list<std::string_view> fields);
  Status Flush();

 private:
  void Field(std::string_view f);
  Sink* out_;
  std::string eol_;
  std::string buf_;
};

/// Converts UTF-8 text to GB18030 (for synthetic test data).
Result<std::string> Utf8ToGb18030(std::string_view utf8);

}  // namespace xj::formats::csv
