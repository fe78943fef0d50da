// Feeds bytes, as a file, to the registry's CSV reader (formats/csv.h).
// The first byte picks the options: the encoding asked for (auto, utf-8,
// gb18030) and whether the field and record limits are tiny; the rest is
// the file, so encoding detection (BOM, strict UTF-8, GB18030) and NFC run
// as on a real registry file. Asserts that every name and field handed
// out is valid UTF-8, every field in NFC, every record as wide as the
// header, and that the records written again by csv::Writer and read back
// as UTF-8 are the same records.
#include <unicode/normalizer2.h>
#include <unicode/stringpiece.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/io.h"
#include "formats/csv.h"
#include "formats/utf8.h"
#include "fuzz_util.h"

namespace {

using namespace xj;
namespace csv = formats::csv;

struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

bool IsNfc(std::string_view s) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  FUZZ_CHECK(U_SUCCESS(status));
  bool yes = nfc->isNormalizedUTF8(
      icu::StringPiece(s.data(), static_cast<std::int32_t>(s.size())), status);
  return U_SUCCESS(status) && yes;
}

// Reads a whole file; false when the reader refuses it.
bool ReadAll(std::string_view content, const csv::ReaderOptions& options,
             Table* table, csv::Info* info) {
  fuzz::MemoryFile file(content);
  Result<std::unique_ptr<csv::Reader>> reader =
      csv::Reader::Open(file.path(), "fuzz.csv", options);
  if (!reader.ok()) return false;
  Result<std::vector<std::string>> header = (*reader)->ReadHeader();
  if (!header.ok()) return false;
  FUZZ_CHECK(!header->empty());
  for (const std::string& name : *header) {
    FUZZ_CHECK(!name.empty());
    FUZZ_CHECK(formats::IsValidUtf8(name));
  }
  table->header = *header;
  for (;;) {
    Result<bool> more = (*reader)->Next();
    if (!more.ok()) return false;
    if (!*more) break;
    const std::vector<std::string_view>& fields = (*reader)->fields();
    FUZZ_CHECK(fields.size() == header->size());
    std::vector<std::string> row;
    for (std::string_view f : fields) {
      FUZZ_CHECK(formats::IsValidUtf8(f));
      FUZZ_CHECK(IsNfc(f));
      FUZZ_CHECK(f.find('\0') == std::string_view::npos);
      row.emplace_back(f);
    }
    table->rows.push_back(std::move(row));
  }
  *info = (*reader)->info();
  FUZZ_CHECK(info->records == table->rows.size());
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  if (size == 0) return 0;
  csv::ReaderOptions options;
  switch (data[0] & 3) {
    case 1:
      options.encoding = csv::Encoding::kUtf8;
      break;
    case 2:
      options.encoding = csv::Encoding::kGb18030;
      break;
    default:
      options.encoding = csv::Encoding::kAuto;
  }
  if (data[0] & 4) {
    options.max_field = 16;
    options.max_record = 64;
  }
  std::string_view content = fuzz::AsText(data + 1, size - 1);
  Table table;
  csv::Info info;
  if (!ReadAll(content, options, &table, &info)) return 0;

  std::string text;
  {
    Bytes out;
    MemorySink sink(&out);
    csv::Writer writer(&sink, (data[0] & 8) ? "\n" : "\r\n");
    std::vector<std::string_view> fields(table.header.begin(),
                                         table.header.end());
    FUZZ_CHECK(writer.Write(fields).ok());
    for (const auto& row : table.rows) {
      fields.assign(row.begin(), row.end());
      FUZZ_CHECK(writer.Write(fields).ok());
    }
    FUZZ_CHECK(writer.Flush().ok());
    text.assign(AsChars(out));
  }
  csv::ReaderOptions again_options;
  again_options.encoding = csv::Encoding::kUtf8;
  again_options.max_field = 1 << 20;
  again_options.max_record = 1 << 20;
  Table again;
  csv::Info again_info;
  FUZZ_CHECK(ReadAll(text, again_options, &again, &again_info));
  FUZZ_CHECK(again.header == table.header);
  FUZZ_CHECK(again.rows == table.rows);
  FUZZ_CHECK(again_info.normalized_fields == 0);
  return 0;
}
