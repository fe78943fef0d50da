#include "registry/schema.h"

#include <sodium.h>

#include <algorithm>
#include <charconv>

#include "base/secret.h"
#include "formats/utf8.h"

namespace xj::registry {
namespace {

// Splits "a | b | c" at " | " and nothing else.
std::vector<std::string_view> SplitBars(std::string_view s) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    std::size_t bar = s.find(" | ", start);
    parts.push_back(s.substr(start, bar - start));
    if (bar == std::string_view::npos) break;
    start = bar + 3;
  }
  return parts;
}

bool IsIdentifier(std::string_view s) {
  if (s.empty() || !(s[0] >= 'a' && s[0] <= 'z')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
}

bool ParseInt(std::string_view s, std::int64_t* out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

// The code points of valid UTF-8 text, each as its bytes.
std::vector<std::string_view> CodePoints(std::string_view s) {
  std::vector<std::string_view> out;
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80             ? 1
                    : (c & 0xE0) == 0xC0 ? 2
                    : (c & 0xF0) == 0xE0 ? 3
                                         : 4;
    out.push_back(s.substr(i, n));
    i += n;
  }
  return out;
}

// The first `lead` and last `tail` characters, a '*' for each in between;
// all stars when too short to show anything safely.
std::string KeepEnds(const std::vector<std::string_view>& cps, std::size_t lead,
                     std::size_t tail) {
  if (cps.size() <= lead + tail) return std::string(cps.size(), '*');
  std::string out;
  for (std::size_t i = 0; i < cps.size(); ++i) {
    out += i < lead || i >= cps.size() - tail ? std::string(cps[i])
                                              : std::string("*");
  }
  return out;
}

// One UTF-8 code point's length at s[i] (s is valid UTF-8).
std::size_t Utf8Len(unsigned char c) {
  return c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
}

class Parser {
 public:
  Parser(std::string_view text,
         const std::map<std::string, std::vector<std::string>>& required)
      : text_(text), required_(required) {}

  Result<std::unique_ptr<Schema>> Parse() {
    XJ_RETURN_IF_ERROR(CheckText());
    schema_ = std::make_unique<Schema>();
    XJ_RETURN_IF_ERROR(InitSodium());
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest,
                       reinterpret_cast<const unsigned char*>(text_.data()),
                       text_.size());
    schema_->sha256 = ToHex(ByteSpan(digest, sizeof digest));
    SplitIntoLines();
    std::size_t i = 0;
    // Header block: the magic line comes first, before any comment.
    if (lines_.empty() || lines_[0].number != 1 ||
        lines_[0].text != kSchemaMagic) {
      return Status(Code::kMalformed,
                    fmt::format("line 1: expected \"{}\"", kSchemaMagic));
    }
    ++i;
    XJ_ASSIGN_OR_RETURN(schema_->id, Label(i++, "id"));
    if (!IsIdentifier(schema_->id)) {
      return Fail(lines_[i - 1].number,
                  "id must be lowercase letters, digits, "
                  "'-', '_' or '.'");
    }
    XJ_ASSIGN_OR_RETURN(schema_->version, Label(i++, "version"));
    XJ_ASSIGN_OR_RETURN(schema_->title, Label(i++, "title"));
    // Blocks, each after one blank line.
    while (i < lines_.size()) {
      if (!lines_[i].text.empty()) {
        return Fail(lines_[i].number, "expected a blank line between blocks");
      }
      ++i;
      if (i == lines_.size()) {
        return Fail(lines_[i - 1].number, "blank line at the end of the file");
      }
      std::string_view first = lines_[i].text;
      if (first.substr(0, 7) == "table: ") {
        XJ_RETURN_IF_ERROR(ParseTable(&i));
      } else if (first.substr(0, 6) == "file: ") {
        pending_files_.push_back(i);
        // Files are parsed after all tables are known; skip the block.
        while (i < lines_.size() && !lines_[i].text.empty()) ++i;
      } else {
        return Fail(lines_[i].number, "expected \"table: \" or \"file: \"");
      }
    }
    for (std::size_t start : pending_files_) {
      std::size_t j = start;
      XJ_RETURN_IF_ERROR(ParseFile(&j));
    }
    if (schema_->files.empty()) {
      return Status(Code::kMalformed, "the schema describes no files");
    }
    XJ_RETURN_IF_ERROR(CheckRequiredCodes());
    return std::move(schema_);
  }

 private:
  struct Line {
    int number;
    std::string_view text;
  };

  Status Fail(int line, std::string_view what) {
    return Status(Code::kMalformed, fmt::format("line {}: {}", line, what));
  }

  Status CheckText() {
    if (!formats::IsValidUtf8(text_)) {
      return Status(Code::kMalformed, "the schema is not valid UTF-8");
    }
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") {
      return Status(Code::kMalformed, "line 1: byte order mark not allowed");
    }
    if (text_.empty() || text_.back() != '\n') {
      return Status(Code::kMalformed, "the schema must end with a newline");
    }
    return Status::Ok();
  }

  void SplitIntoLines() {
    int number = 0;
    std::size_t start = 0;
    while (start < text_.size()) {
      std::size_t nl = text_.find('\n', start);
      std::string_view line = text_.substr(start, nl - start);
      start = nl + 1;
      ++number;
      if (!line.empty() && line[0] == '#') continue;  // comment
      lines_.push_back({number, line});
    }
  }

  // "label: value" at lines_[i]; the value is returned.
  Result<std::string> Label(std::size_t i, std::string_view label) {
    if (i >= lines_.size()) {
      return Status(
          Code::kMalformed,
          fmt::format("the schema ends where \"{}: \" was expected", label));
    }
    std::string_view text = lines_[i].text;
    XJ_RETURN_IF_ERROR(CheckLine(lines_[i]));
    std::string prefix = fmt::format("{}: ", label);
    if (text.substr(0, prefix.size()) != prefix ||
        text.size() == prefix.size()) {
      return Fail(lines_[i].number, fmt::format("expected \"{}: ...\"", label));
    }
    return std::string(text.substr(prefix.size()));
  }

  Status CheckLine(const Line& line) {
    std::string_view t = line.text;
    if (!t.empty() && (t.back() == ' ' || t.back() == '\t')) {
      return Fail(line.number, "trailing whitespace");
    }
    for (char c : t) {
      unsigned char u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f) return Fail(line.number, "control character");
    }
    return Status::Ok();
  }

  Status ParseTable(std::size_t* i) {
    auto table = std::make_unique<CodeTable>();
    int start_line = lines_[*i].number;
    XJ_ASSIGN_OR_RETURN(table->name, Label((*i)++, "table"));
    if (!IsIdentifier(table->name)) return Fail(start_line, "bad table name");
    if (schema_->tables.count(table->name)) {
      return Fail(start_line,
                  fmt::format("table \"{}\" defined twice", table->name));
    }
    XJ_ASSIGN_OR_RETURN(table->title, Label((*i)++, "title"));
    while (*i < lines_.size() && !lines_[*i].text.empty()) {
      int n = lines_[*i].number;
      XJ_ASSIGN_OR_RETURN(std::string value, Label((*i)++, "code"));
      std::vector<std::string_view> parts = SplitBars(value);
      if (parts.size() != 3 || parts[0].empty() || parts[1].empty() ||
          parts[2].empty()) {
        return Fail(n, "expected \"code: CODE | 中文 | English\"");
      }
      std::string code(parts[0]);
      if (code.find(' ') != std::string::npos)
        return Fail(n, "space in a code");
      if (table->index.count(code)) {
        return Fail(n, fmt::format("code \"{}\" appears twice in table \"{}\"",
                                   code, table->name));
      }
      table->index.emplace(code, table->codes.size());
      table->codes.push_back(
          {code, std::string(parts[1]), std::string(parts[2])});
    }
    if (table->codes.empty()) return Fail(start_line, "a table needs codes");
    table->Seal();
    std::string name = table->name;
    schema_->tables.emplace(name, std::move(table));
    return Status::Ok();
  }

  Status ParseValidator(int line, std::string_view text, FieldSpec* f) {
    f->validator_text = std::string(text);
    std::string_view name = text.substr(0, text.find(':'));
    std::string_view arg = text.find(':') == std::string_view::npos
                               ? std::string_view()
                               : text.substr(text.find(':') + 1);
    struct Plain {
      std::string_view name;
      Validator v;
    };
    static constexpr Plain kPlain[] = {
        {"name", Validator::kName},
        {"date", Validator::kDate},
        {"year-month", Validator::kYearMonth},
        {"citizen-id", Validator::kCitizenId},
        {"citizen-id-any", Validator::kCitizenIdAny},
        {"xjh-national", Validator::kXjhNational},
        {"xjh-anhui", Validator::kXjhAnhui},
        {"school-code", Validator::kSchoolCode},
        {"division", Validator::kDivision},
        {"anhui-county", Validator::kAnhuiCounty},
        {"postcode", Validator::kPostcode},
        {"phone", Validator::kPhone},
        {"doc-no", Validator::kDocNo},
        {"class-no", Validator::kClassNo},
        {"photo", Validator::kPhoto},
    };
    for (const Plain& p : kPlain) {
      if (text == p.name) {
        f->validator = p.v;
        return Status::Ok();
      }
    }
    if (name == "text") {
      f->validator = Validator::kText;
      if (!ParseInt(arg, &f->max) || f->max < 1 || f->max > 4000) {
        return Fail(line, "text needs a length: text:1..4000");
      }
      return Status::Ok();
    }
    if (name == "int") {
      f->validator = Validator::kInt;
      std::size_t dash = arg.find('-', 1);
      if (dash == std::string_view::npos ||
          !ParseInt(arg.substr(0, dash), &f->min) ||
          !ParseInt(arg.substr(dash + 1), &f->max) || f->min > f->max ||
          f->min < 0) {
        return Fail(line, "int needs a range: int:MIN-MAX, 0 <= MIN <= MAX");
      }
      return Status::Ok();
    }
    if (name == "table") {
      f->validator = Validator::kTable;
      f->table = schema_->Table(arg);
      if (f->table == nullptr) {
        return Fail(line, fmt::format("no table named \"{}\"", arg));
      }
      return Status::Ok();
    }
    if (name == "id-number" || name == "id-number-any") {
      f->validator =
          name == "id-number" ? Validator::kIdNumber : Validator::kIdNumberAny;
      f->type_field = std::string(arg);
      if (arg.empty()) {
        return Fail(line, "id-number needs its type field: id-number:FIELD");
      }
      return Status::Ok();
    }
    return Fail(line, fmt::format("unknown validator \"{}\"", text));
  }

  Status ParseRequirement(int line, std::string_view text, FieldSpec* f) {
    if (text == "required") {
      f->requirement = Requirement::kRequired;
      return Status::Ok();
    }
    if (text == "optional") {
      f->requirement = Requirement::kOptional;
      return Status::Ok();
    }
    std::string_view rest;
    if (text.substr(0, 12) == "required-if ") {
      f->requirement = Requirement::kRequiredIf;
      rest = text.substr(12);
    } else if (text.substr(0, 16) == "required-unless ") {
      f->requirement = Requirement::kRequiredUnless;
      rest = text.substr(16);
    } else {
      return Fail(line,
                  "requiredness must be required, optional, "
                  "required-if FIELD=V,... or required-unless FIELD=V,...");
    }
    std::size_t eq = rest.find('=');
    if (eq == std::string_view::npos || eq == 0 || eq + 1 == rest.size()) {
      return Fail(line, "expected FIELD=VALUE[,VALUE...]");
    }
    f->condition_field = std::string(rest.substr(0, eq));
    std::string_view values = rest.substr(eq + 1);
    std::size_t start = 0;
    for (;;) {
      std::size_t comma = values.find(',', start);
      std::string_view v = values.substr(start, comma - start);
      if (v.empty()) return Fail(line, "empty condition value");
      f->condition_values.emplace_back(v);
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    return Status::Ok();
  }

  Status ParseMask(int line, std::string_view text, FieldSpec* f) {
    static const std::pair<std::string_view, Mask> kMasks[] = {
        {"none", Mask::kNone},       {"name", Mask::kName},
        {"id", Mask::kId},           {"date", Mask::kDate},
        {"address", Mask::kAddress}, {"phone", Mask::kPhone},
    };
    for (const auto& [name, mask] : kMasks) {
      if (text == name) {
        f->mask = mask;
        return Status::Ok();
      }
    }
    return Fail(line, "mask must be none, name, id, date, address or phone");
  }

  Status ParseFile(std::size_t* i) {
    FileSpec file;
    int start_line = lines_[*i].number;
    XJ_ASSIGN_OR_RETURN(file.name, Label((*i)++, "file"));
    if (file.name.size() < 5 ||
        file.name.substr(file.name.size() - 4) != ".csv" ||
        !IsIdentifier(file.name)) {
      return Fail(start_line, "a file name is lowercase and ends in .csv");
    }
    if (schema_->File(file.name) != nullptr) {
      return Fail(start_line,
                  fmt::format("file \"{}\" described twice", file.name));
    }
    XJ_ASSIGN_OR_RETURN(file.title, Label((*i)++, "title"));
    int rows_line = *i < lines_.size() ? lines_[*i].number : start_line;
    XJ_ASSIGN_OR_RETURN(std::string rows, Label((*i)++, "rows"));
    if (rows == "one") {
      file.one_row = true;
    } else if (rows != "many") {
      return Fail(rows_line, "rows must be one or many");
    }
    int presence_line = *i < lines_.size() ? lines_[*i].number : start_line;
    XJ_ASSIGN_OR_RETURN(std::string presence, Label((*i)++, "presence"));
    if (presence == "optional") {
      file.optional = true;
    } else if (presence != "required") {
      return Fail(presence_line, "presence must be required or optional");
    }
    while (*i < lines_.size() && !lines_[*i].text.empty()) {
      int n = lines_[*i].number;
      XJ_ASSIGN_OR_RETURN(std::string value, Label((*i)++, "field"));
      std::vector<std::string_view> p = SplitBars(value);
      if (p.size() != 7) {
        return Fail(n,
                    "expected \"field: NAME | REQUIREDNESS | VALIDATOR | MASK "
                    "| 中文 | English | EXAMPLE\"");
      }
      FieldSpec f;
      f.line = n;
      f.name = std::string(p[0]);
      if (!IsIdentifier(f.name)) return Fail(n, "bad field name");
      if (file.FieldIndex(f.name) >= 0) {
        return Fail(n, fmt::format("field \"{}\" appears twice", f.name));
      }
      XJ_RETURN_IF_ERROR(ParseRequirement(n, p[1], &f));
      XJ_RETURN_IF_ERROR(ParseValidator(n, p[2], &f));
      XJ_RETURN_IF_ERROR(ParseMask(n, p[3], &f));
      if (p[4].empty() || p[5].empty())
        return Fail(n, "a field needs its names");
      f.zh = std::string(p[4]);
      f.en = std::string(p[5]);
      f.example = std::string(p[6]);
      file.fields.push_back(std::move(f));
    }
    if (file.fields.empty()) return Fail(start_line, "a file needs fields");
    // Conditions and id-number types must name fields of the same file.
    for (FieldSpec& f : file.fields) {
      f.condition_index =
          f.condition_field.empty() ? -1 : file.FieldIndex(f.condition_field);
      f.type_index = f.type_field.empty() ? -1 : file.FieldIndex(f.type_field);
      if (!f.condition_field.empty() &&
          file.FieldIndex(f.condition_field) < 0) {
        return Fail(f.line, fmt::format("condition names unknown field \"{}\"",
                                        f.condition_field));
      }
      if (!f.type_field.empty() && file.FieldIndex(f.type_field) < 0) {
        return Fail(f.line, fmt::format("id-number names unknown field \"{}\"",
                                        f.type_field));
      }
    }
    schema_->files.push_back(std::move(file));
    return Status::Ok();
  }

  Status CheckRequiredCodes() {
    for (const auto& [table, codes] : required_) {
      const CodeTable* t = schema_->Table(table);
      if (t == nullptr) {
        return Status(Code::kMalformed,
                      fmt::format("the schema lacks the table \"{}\" the audit "
                                  "rules need",
                                  table));
      }
      for (const std::string& c : codes) {
        if (!t->Contains(c)) {
          return Status(
              Code::kMalformed,
              fmt::format("table \"{}\" lacks the code \"{}\" the audit "
                          "rules need",
                          table, c));
        }
      }
    }
    return Status::Ok();
  }

  std::string_view text_;
  const std::map<std::string, std::vector<std::string>>& required_;
  std::unique_ptr<Schema> schema_;
  std::vector<Line> lines_;
  std::vector<std::size_t> pending_files_;
};

}  // namespace

namespace {

// A code of up to seven bytes as one number (its length in the top byte),
// or 0.
std::uint64_t PackCode(std::string_view code) {
  if (code.size() > 7) return 0;
  std::uint64_t k = std::uint64_t{code.size()} << 56;
  for (std::size_t i = 0; i < code.size(); ++i)
    k |= std::uint64_t{static_cast<unsigned char>(code[i])} << (8 * i);
  return k;
}

}  // namespace

void CodeTable::Seal() {
  packed_.clear();
  for (std::size_t i = 0; i < codes.size(); ++i) {
    std::uint64_t k = PackCode(codes[i].code);
    if (k == 0) {
      packed_.clear();  // a long code: Find keeps to the strings
      return;
    }
    packed_.emplace_back(k, i);
  }
  std::sort(packed_.begin(), packed_.end());
}

const CodeEntry* CodeTable::Find(std::string_view code) const {
  if (!packed_.empty() && packed_.size() == codes.size()) {
    std::uint64_t k = PackCode(code);
    if (k == 0) return nullptr;
    if (packed_.size() <= 32) {  // most tables: a scan of numbers
      for (const auto& [key, at] : packed_) {
        if (key == k) return &codes[at];
      }
      return nullptr;
    }
    auto it =
        std::lower_bound(packed_.begin(), packed_.end(), k,
                         [](const std::pair<std::uint64_t, std::size_t>& e,
                            std::uint64_t key) { return e.first < key; });
    return it != packed_.end() && it->first == k ? &codes[it->second] : nullptr;
  }
  // Most tables are small: a scan beats hashing a fresh string.
  if (codes.size() <= 24) {
    for (const CodeEntry& c : codes) {
      if (c.code == code) return &c;
    }
    return nullptr;
  }
  auto it = index.find(std::string(code));
  return it == index.end() ? nullptr : &codes[it->second];
}

int FileSpec::FieldIndex(std::string_view field) const {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].name == field) return static_cast<int>(i);
  }
  return -1;
}

const FileSpec* Schema::File(std::string_view name) const {
  for (const FileSpec& f : files) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

const CodeTable* Schema::Table(std::string_view name) const {
  auto it = tables.find(std::string(name));
  return it == tables.end() ? nullptr : it->second.get();
}

Result<std::unique_ptr<Schema>> ParseSchema(
    std::string_view text,
    const std::map<std::string, std::vector<std::string>>& required_codes) {
  return Parser(text, required_codes).Parse();
}

std::string MaskValue(Mask mask, std::string_view v) {
  switch (mask) {
    case Mask::kNone:
      return std::string(v);
    case Mask::kName: {
      if (v.empty()) return "";
      std::size_t first =
          std::min(v.size(), Utf8Len(static_cast<unsigned char>(v[0])));
      std::string out(v.substr(0, first));
      for (std::size_t i = first; i < v.size();
           i += Utf8Len(static_cast<unsigned char>(v[i]))) {
        out += '*';
      }
      return out;
    }
    case Mask::kId: {
      // A photo path names the student: mask the name, keep the shape.
      constexpr std::string_view kDir = "photos/", kExt = ".jpg";
      if (v.size() > kDir.size() + kExt.size() &&
          v.substr(0, kDir.size()) == kDir &&
          v.substr(v.size() - kExt.size()) == kExt) {
        return std::string(kDir) +
               MaskValue(Mask::kId,
                         v.substr(kDir.size(),
                                  v.size() - kDir.size() - kExt.size())) +
               std::string(kExt);
      }
      // Keep what identifies the place and the check digit, never the
      // birth date: "3401**********123X", "G3401**********123X".
      std::vector<std::string_view> cps = CodePoints(v);
      std::size_t lead =
          !v.empty() && (v[0] == 'G' || v[0] == 'J' || v[0] == 'L') ? 5 : 4;
      return KeepEnds(cps, lead, 4);
    }
    case Mask::kDate: {
      // Only a year is kept: four bytes of anything else could cut a
      // character in half, or show a name typed in the wrong column.
      if (v.size() < 4) return "****";
      bool year = std::all_of(v.begin(), v.begin() + 4,
                              [](char c) { return c >= '0' && c <= '9'; });
      return year ? std::string(v.substr(0, 4)) + "-**-**" : "****-**-**";
    }
    case Mask::kPhone:
      return KeepEnds(CodePoints(v), 3, 4);
    case Mask::kAddress: {
      // The first six characters (roughly the county), then an ellipsis.
      std::size_t i = 0;
      for (int n = 0; n < 6 && i < v.size(); ++n) {
        i += Utf8Len(static_cast<unsigned char>(v[i]));
      }
      return std::string(v.substr(0, std::min(i, v.size()))) +
             (i < v.size() ? "…" : "");
    }
  }
  return "";
}

}  // namespace xj::registry
