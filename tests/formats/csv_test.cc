// Pins the CSV reader: RFC 4180 quoting, line ends, encodings (BOM, UTF-8,
// GB18030, UTF-16 refused), NFC, and one clear error with its line for each
// malformation, reading a file and the same bytes from memory alike; and
// the writer's quoting.
#include "formats/csv.h"

#include <doctest/doctest.h>

#include <random>

#include "formats/utf8.h"
#include "support/test_util.h"

namespace xj::formats::csv {
namespace {

struct Parsed {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::uint64_t> lines;
  Info info;
};

// Reads the bytes as a file (Reader::Open) or from memory
// (Reader::FromBytes).
Result<Parsed> ReadVia(bool memory, std::string_view bytes, Encoding enc,
                       std::size_t max_field) {
  test::TempDir dir;
  test::WriteFile(dir / "t.csv", bytes);
  ReaderOptions opt;
  opt.encoding = enc;
  opt.max_field = max_field;
  XJ_ASSIGN_OR_RETURN(std::unique_ptr<Reader> r,
                      memory
                          ? Reader::FromBytes(std::string(bytes), "t.csv", opt)
                          : Reader::Open(dir / "t.csv", "t.csv", opt));
  Parsed p;
  XJ_ASSIGN_OR_RETURN(p.header, r->ReadHeader());
  for (;;) {
    XJ_ASSIGN_OR_RETURN(bool more, r->Next());
    if (!more) break;
    p.rows.emplace_back(r->fields().begin(), r->fields().end());
    p.lines.push_back(r->line());
  }
  p.info = r->info();
  return p;
}

// The file's reading, after checking that reading the same bytes from
// memory gives the same records, lines, facts and errors.
Result<Parsed> ReadAll(std::string_view bytes, Encoding enc = Encoding::kAuto,
                       std::size_t max_field = 4096) {
  Result<Parsed> file = ReadVia(false, bytes, enc, max_field);
  Result<Parsed> memory = ReadVia(true, bytes, enc, max_field);
  REQUIRE(file.ok() == memory.ok());
  if (!file.ok()) {
    CHECK(file.status().code() == memory.status().code());
    CHECK(file.status().message() == memory.status().message());
  } else {
    CHECK(file->header == memory->header);
    CHECK(file->rows == memory->rows);
    CHECK(file->lines == memory->lines);
    CHECK(file->info.encoding == memory->info.encoding);
    CHECK(file->info.bom == memory->info.bom);
    CHECK(file->info.normalized_fields == memory->info.normalized_fields);
    CHECK(file->info.records == memory->info.records);
  }
  return file;
}

TEST_CASE("quoted fields hold commas, quotes and line breaks") {
  Result<Parsed> p = ReadAll(
      "a,b,c\r\n1,\"x, y\",\"say \"\"hi\"\"\"\r\n2,\"two\nlines\",\r\n3,,z");
  REQUIRE_MESSAGE(p.ok(), p.status().ToString());
  CHECK(p->header == std::vector<std::string>{"a", "b", "c"});
  REQUIRE(p->rows.size() == 3);
  CHECK(p->rows[0] == std::vector<std::string>{"1", "x, y", "say \"hi\""});
  CHECK(p->rows[1] == std::vector<std::string>{"2", "two\nlines", ""});
  CHECK(p->rows[2] ==
        std::vector<std::string>{"3", "", "z"});  // no final newline
  CHECK(p->lines == std::vector<std::uint64_t>{2, 3, 5});
}

TEST_CASE("a UTF-8 byte order mark is skipped and reported") {
  Result<Parsed> p = ReadAll("\xEF\xBB\xBFname\n张三\n");
  REQUIRE(p.ok());
  CHECK(p->header[0] == "name");
  CHECK(p->info.bom);
  CHECK(p->info.encoding == Encoding::kUtf8);
}

TEST_CASE("a byte order mark inside a header name is refused, not dropped") {
  // A file saved twice with a mark: the second would be taken for the
  // first once the file is written again.
  CHECK_FAILS_WITH(ReadAll("\xEF\xBB\xBF\xEF\xBB\xBF"
                           "a,b\r\n1,2\r\n"),
                   Code::kMalformed,
                   "header column 1 holds a byte order mark (U+FEFF)");
  CHECK_FAILS_WITH(ReadAll("a,b\xEF\xBB\xBF\r\n1,2\r\n"), Code::kMalformed,
                   "header column 2 holds a byte order mark");
  // GB18030 spells U+FEFF 84 31 95 33.
  CHECK_FAILS_WITH(
      ReadAll("\x84\x31\x95\x33\xC3\xFB,b\r\n1,2\r\n", Encoding::kGb18030),
      Code::kMalformed, "holds a byte order mark");
}

TEST_CASE("GB18030 is detected when the bytes are not UTF-8, or named") {
  Result<std::string> gb = Utf8ToGb18030("name,place\n张三,安徽省合肥市\n");
  REQUIRE(gb.ok());
  Result<Parsed> p = ReadAll(*gb);
  REQUIRE_MESSAGE(p.ok(), p.status().ToString());
  CHECK(p->info.encoding == Encoding::kGb18030);
  CHECK(p->rows[0] == std::vector<std::string>{"张三", "安徽省合肥市"});
  Result<Parsed> named = ReadAll(*gb, Encoding::kGb18030);
  REQUIRE(named.ok());
  CHECK(named->rows[0][1] == "安徽省合肥市");
  CHECK_FAILS_WITH(ReadAll(*gb, Encoding::kUtf8), Code::kMalformed,
                   "t.csv:2: bytes that are not valid UTF-8");
}

TEST_CASE(
    "bytes that are neither UTF-8 nor GB18030 are refused with their line") {
  CHECK_FAILS_WITH(ReadAll("a\nok\nbad\xFF\n"), Code::kMalformed,
                   "t.csv:3: bytes that are neither UTF-8 nor GB18030 (0xFF)");
  CHECK_FAILS_WITH(ReadAll("\xFF\xFE"
                           "a\0b\0",
                           Encoding::kAuto),
                   Code::kMalformed, "UTF-16 text is not accepted");
}

TEST_CASE("text is normalised to NFC, and the count of changed fields kept") {
  // "é" as e + combining acute, and a CJK compatibility ideograph.
  Result<Parsed> p = ReadAll("n\ne\xCC\x81\n\xEF\xA4\x80\nabc\n");
  REQUIRE(p.ok());
  CHECK(p->rows[0][0] == "\xC3\xA9");
  CHECK(p->rows[1][0] == "\xE8\xB1\x88");  // U+F900 → U+8C48
  CHECK(p->rows[2][0] == "abc");
  CHECK(p->info.normalized_fields == 2);
}

TEST_CASE("each malformation is an error at its line") {
  CHECK_FAILS_WITH(ReadAll(""), Code::kMalformed, "t.csv:1: the file is empty");
  CHECK_FAILS_WITH(ReadAll("a,a\n"), Code::kMalformed,
                   "header names column \"a\" twice");
  CHECK_FAILS_WITH(ReadAll("a,\n"), Code::kMalformed,
                   "header column 2 has no name");
  CHECK_FAILS_WITH(ReadAll("a,b\n1,2\n1,2,3\n"), Code::kMalformed,
                   "t.csv:3: 3 fields, expected 2 as in the header");
  CHECK_FAILS_WITH(ReadAll("a,b\n1,2\n\n3,4\n"), Code::kMalformed,
                   "t.csv:3: a blank line (expected 2 fields)");
  CHECK_FAILS_WITH(ReadAll("a,b\n1,x\"y\n"), Code::kMalformed,
                   "t.csv:2: a quote inside unquoted field 2");
  CHECK_FAILS_WITH(ReadAll("a,b\n1,\"open\n2,3\n"), Code::kMalformed,
                   "t.csv:2: a quoted field is never closed");
  CHECK_FAILS_WITH(ReadAll("a,b\n1,\"q\"x\n"), Code::kMalformed,
                   "t.csv:2: characters after the closing quote of field 2");
  CHECK_FAILS_WITH(ReadAll("a,b\n1,2\r3,4\n"), Code::kMalformed,
                   "t.csv:2: a carriage return without a line feed");
  CHECK_FAILS_WITH(ReadAll(std::string("a\nx\0y\n", 7)), Code::kMalformed,
                   "t.csv:2: NUL byte");
  CHECK_FAILS_WITH(
      ReadAll("a\n" + std::string(10, 'x') + "\n", Encoding::kAuto, 8),
      Code::kMalformed, "t.csv:2: field 1 is longer than 8 bytes");
}

TEST_CASE("records longer than the read buffer still parse") {
  std::string big = "a,b\n";
  for (int i = 0; i < 3000; ++i)
    big +=
        "\"" + std::string(400, 'x') + "\"\"q\"," + std::to_string(i) + "\r\n";
  Result<Parsed> p = ReadAll(big);
  REQUIRE_MESSAGE(p.ok(), p.status().ToString());
  REQUIRE(p->rows.size() == 3000);
  CHECK(p->rows[2999][1] == "2999");
  CHECK(p->rows[1500][0] == std::string(400, 'x') + "\"q");
}

TEST_CASE("a file larger than the read buffer is checked as UTF-8 whole") {
  // Small files are read once into the buffer and checked there; larger
  // ones are checked in chunks first. Characters of three and four bytes
  // fall across every chunk boundary; the file is still UTF-8.
  std::string big = "a,b\n";
  int rows = 0;
  while (big.size() < (3u << 20)) {
    big += std::to_string(rows) + ",\xE5\xBC\xA0\xF0\xA0\x80\x80" +
           std::string(rows % 7, 'x') + "\xE4\xB8\x89\n";
    ++rows;
  }
  Result<Parsed> p = ReadAll(big);
  REQUIRE_MESSAGE(p.ok(), p.status().ToString());
  CHECK(p->info.encoding == Encoding::kUtf8);
  REQUIRE(p->rows.size() == static_cast<std::size_t>(rows));
  CHECK(p->rows.back()[1] == "\xE5\xBC\xA0\xF0\xA0\x80\x80" +
                                 std::string((rows - 1) % 7, 'x') +
                                 "\xE4\xB8\x89");
  // One byte that is not UTF-8 near the end: its line when UTF-8 was
  // named, and GB18030 when guessing, whichever way the file was read.
  for (std::size_t size : {std::size_t{1000}, std::size_t{3} << 20}) {
    CAPTURE(size);
    std::string text = "a\n";
    std::uint64_t lines = 1;
    while (text.size() < size) {
      text += "abc\n";
      ++lines;
    }
    text += "\xC4\xE3\n";  // 你 in GB18030
    CHECK_FAILS_WITH(
        ReadAll(text, Encoding::kUtf8), Code::kMalformed,
        fmt::format("t.csv:{}: bytes that are not valid UTF-8", lines + 1));
    Result<Parsed> guessed = ReadAll(text);
    REQUIRE_MESSAGE(guessed.ok(), guessed.status().ToString());
    CHECK(guessed->info.encoding == Encoding::kGb18030);
    CHECK(guessed->rows.back()[0] == "\xE4\xBD\xA0");
    CHECK(guessed->rows.size() == lines);
  }
}

TEST_CASE("a field that needs NFC is found in a file of plain Chinese text") {
  // Files of ASCII and common CJK ideographs skip the per-field check; one
  // character outside that range anywhere, in a small file or a large one,
  // brings it back.
  for (std::size_t size : {std::size_t{100}, std::size_t{2} << 20}) {
    CAPTURE(size);
    std::string text = "n,m\n";
    std::size_t rows = 0;
    while (text.size() < size) {
      text += "\xE5\xBC\xA0\xE4\xB8\x89,1\n";
      ++rows;
    }
    text += "\xE5\xBC\xA0,e\xCC\x81\n";
    Result<Parsed> p = ReadAll(text);
    REQUIRE_MESSAGE(p.ok(), p.status().ToString());
    REQUIRE(p->rows.size() == rows + 1);
    CHECK(p->rows.back()[1] == "\xC3\xA9");
    CHECK(p->info.normalized_fields == 1);
  }
}

TEST_CASE("NFC is judged across the chunks of a large file") {
  // An "e" ends the first 1 MiB chunk and its combining accent begins the
  // next: the pair must still be composed.
  std::string text = "n\n";
  while (text.size() + 40 < (std::size_t{1} << 20)) text += "abcdefghij\n";
  text += std::string((std::size_t{1} << 20) - 1 - text.size(), 'x');
  text += "e\xCC\x81\n";
  REQUIRE(text[(std::size_t{1} << 20) - 1] == 'e');
  Result<Parsed> p = ReadAll(text);
  REQUIRE_MESSAGE(p.ok(), p.status().ToString());
  CHECK(p->rows.back()[0].substr(p->rows.back()[0].size() - 3) == "x\xC3\xA9");
  CHECK(p->info.normalized_fields == 1);
}

TEST_CASE("the reader's UTF-8 check agrees with a plain validator") {
  // Random text of ASCII and of two-, three- and four-byte characters
  // (the edge cases of E0, ED, F0 and F4 among them), half of it damaged
  // at a random byte: the reader, which takes sixteen bytes at a time where
  // it can, must accept exactly what formats::IsValidUtf8 accepts, and
  // hand out each undamaged text in NFC.
  struct Piece {
    std::string bytes, nfc;
  };
  const std::vector<Piece> pieces = {
      {"a", "a"},
      {"7", "7"},
      {" ", " "},
      {"\xC2\x80", "\xC2\x80"},
      {"\xDF\xBF", "\xDF\xBF"},
      {"e\xCC\x81", "\xC3\xA9"},         // e + combining acute
      {"\xEF\xA4\x80", "\xE8\xB1\x88"},  // U+F900, a compatibility ideograph
      {"\xE0\xA0\x80", "\xE0\xA0\x80"},
      {"\xE0\xBF\xBF", "\xE0\xBF\xBF"},
      {"\xED\x9F\xBF", "\xED\x9F\xBF"},
      {"\xEE\x80\x80", "\xEE\x80\x80"},
      {"\xEF\xBC\x8C", "\xEF\xBC\x8C"},  // ，
      {"\xE5\xAD\xA6", "\xE5\xAD\xA6"},  // 学
      {"\xE7\xB1\x8D", "\xE7\xB1\x8D"},  // 籍
      {"\xE4\xB8\x80", "\xE4\xB8\x80"},
      {"\xF0\x90\x80\x80", "\xF0\x90\x80\x80"},
      {"\xF0\xA0\x80\x80", "\xF0\xA0\x80\x80"},
      {"\xF4\x8F\xBF\xBF", "\xF4\x8F\xBF\xBF"},
  };
  const std::vector<std::size_t> simple = {0, 1, 2, 10, 11, 12, 13, 14};
  const std::vector<std::string> damage = {
      "\x80",         "\xBF",         "\xC0\x80",         "\xC1\xBF",
      "\xE0\x80\x80", "\xE0\x9F\xBF", "\xED\xA0\x80",     "\xED\xBF\xBF",
      "\xE5\xAD",     "\xE5",         "\xF0\x80\x80\x80", "\xF4\x90\x80\x80",
      "\xF5\x80\x80", "\xFF",
  };
  std::mt19937 rng(20261202);
  test::TempDir dir;
  int accepted = 0, refused = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string text, nfc;
    for (std::uint32_t k = 1 + rng() % 48; k > 0; --k) {
      // Mostly what the sixteen-byte path takes (ASCII, and three-byte
      // characters led by E1..EF but ED), the rest one in five.
      const Piece& p = rng() % 5 != 0 ? pieces[simple[rng() % simple.size()]]
                                      : pieces[rng() % pieces.size()];
      text += p.bytes;
      nfc += p.nfc;
    }
    bool damaged = rng() % 2 == 1;
    if (damaged) {
      text.insert(rng() % (text.size() + 1), damage[rng() % damage.size()]);
    }
    CAPTURE(round);
    test::WriteFile(dir / "t.csv", "h\n" + text + "\n");
    ReaderOptions opt;
    opt.encoding = Encoding::kUtf8;
    Result<std::unique_ptr<Reader>> r = Reader::Open(dir / "t.csv", "t", opt);
    bool valid = formats::IsValidUtf8(text);
    REQUIRE(r.ok() == valid);
    if (!valid) {
      CHECK(r.status().message() == "t:2: bytes that are not valid UTF-8");
      ++refused;
      continue;
    }
    ++accepted;
    REQUIRE((*r)->ReadHeader().ok());
    Result<bool> more = (*r)->Next();
    REQUIRE(more.ok());
    REQUIRE(*more);
    if (!damaged) CHECK((*r)->fields()[0] == nfc);
  }
  CHECK(accepted > 1000);
  CHECK(refused > 1000);
}

TEST_CASE("the writer quotes only what needs it, and reads back the same") {
  Bytes out;
  MemorySink sink(&out);
  Writer w(&sink);
  REQUIRE(w.Write({"plain", "with,comma", "with \"quote\"", "two\nlines", ""})
              .ok());
  REQUIRE(w.Flush().ok());
  CHECK(AsChars(out) ==
        "plain,\"with,comma\",\"with \"\"quote\"\"\",\"two\nlines\",\r\n");
  Result<Parsed> p = ReadAll("a,b,c,d,e\r\n" + std::string(AsChars(out)));
  REQUIRE(p.ok());
  CHECK(p->rows[0][3] == "two\nlines");
  // Quotes at either end, a lone carriage return, quotes only.
  out.clear();
  REQUIRE(w.Write({"\"", "\"a\"", "cr\r", "\"\"", "x"}).ok());
  REQUIRE(w.Flush().ok());
  CHECK(AsChars(out) == "\"\"\"\",\"\"\"a\"\"\",\"cr\r\",\"\"\"\"\"\",x\r\n");
}

TEST_CASE("encoding names parse") {
  CHECK(*ParseEncoding("gb18030") == Encoding::kGb18030);
  CHECK(*ParseEncoding("utf-8") == Encoding::kUtf8);
  CHECK_FAILS_WITH(ParseEncoding("latin1"), Code::kInvalidArgument,
                   "unknown encoding");
}

}  // namespace
}  // namespace xj::formats::csv
