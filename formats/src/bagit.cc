#include "formats/bagit.h"

#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <cctype>

#include "base/bytes.h"
#include "formats/statement.h"

namespace xj::formats::bagit {
namespace {

struct Label {
  std::string_view name;
  bool optional;
};
constexpr Label kLabels[] = {
    {"Bag-Software-Agent", false},  {"Bagging-Date", false},
    {"External-Identifier", false}, {"Payload-Oxum", false},
    {"Source-Organization", false}, {"XJ-Schema", false},
    {"XJ-Allow-Errors", true},
};

}  // namespace

std::string SerializeBagInfo(const BagInfo& i) {
  std::string out;
  out += "Bag-Software-Agent: " + i.agent + "\n";
  out += "Bagging-Date: " + i.bagging_date + "\n";
  out += "External-Identifier: " + i.external_identifier + "\n";
  out += "Payload-Oxum: " + i.payload_oxum + "\n";
  out += "Source-Organization: " + i.source_organization + "\n";
  out += "XJ-Schema: " + i.schema + "\n";
  if (!i.allow_errors.empty())
    out += "XJ-Allow-Errors: " + i.allow_errors + "\n";
  return out;
}

Result<BagInfo> ParseBagInfo(std::string_view text) {
  BagInfo info;
  std::size_t start = 0, label = 0;
  int line = 0;
  if (text.empty() || text.back() != '\n') {
    return Status(Code::kMalformed,
                  "bag-info.txt: does not end with a line feed");
  }
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    std::string_view l = text.substr(start, nl - start);
    start = nl + 1;
    ++line;
    std::size_t colon = l.find(": ");
    auto fail = [&](std::string_view what) {
      return Status(Code::kMalformed,
                    fmt::format("bag-info.txt: line {}: {}", line, what));
    };
    if (colon == std::string_view::npos)
      return fail("expected \"Label: value\"");
    std::string_view name = l.substr(0, colon), value = l.substr(colon + 2);
    while (label < std::size(kLabels) && kLabels[label].name != name) {
      if (!kLabels[label].optional)
        return fail(fmt::format("expected {}", kLabels[label].name));
      ++label;
    }
    if (label == std::size(kLabels)) return fail("unexpected label");
    Status s = trust::CheckValue(value);
    if (!s.ok()) return fail(s.message());
    std::string v(value);
    switch (label) {
      case 0:
        info.agent = v;
        break;
      case 1:
        info.bagging_date = v;
        break;
      case 2:
        info.external_identifier = v;
        break;
      case 3:
        info.payload_oxum = v;
        break;
      case 4:
        info.source_organization = v;
        break;
      case 5:
        info.schema = v;
        break;
      case 6:
        info.allow_errors = v;
        break;
    }
    ++label;
  }
  if (label < 6) {
    return Status(Code::kMalformed, fmt::format("bag-info.txt: {} is missing",
                                                kLabels[label].name));
  }
  return info;
}

std::string ManifestLine(std::string_view sha512_hex, std::string_view path) {
  return fmt::format("{}  {}\n", sha512_hex, path);
}

Result<std::vector<std::pair<std::string, std::string>>> ParseManifest(
    std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t start = 0;
  int line = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) {
      return Status(Code::kMalformed,
                    "the manifest does not end with a line feed");
    }
    std::string_view l = text.substr(start, nl - start);
    start = nl + 1;
    ++line;
    if (l.size() < 131 || l.substr(128, 2) != "  " ||
        !trust::IsHex(l.substr(0, 128), 128)) {
      return Status(
          Code::kMalformed,
          fmt::format("manifest line {}: expected \"<sha512>  <path>\"", line));
    }
    std::string path(l.substr(130));
    if (!out.empty() && !(out.back().first < path)) {
      return Status(
          Code::kMalformed,
          fmt::format("manifest line {}: paths out of order or repeated",
                      line));
    }
    out.emplace_back(std::move(path), std::string(l.substr(0, 128)));
  }
  return out;
}

std::string Oxum(std::uint64_t octets, std::uint64_t files) {
  return fmt::format("{}.{}", octets, files);
}

Status CheckPath(std::string_view path) {
  auto fail = [&](std::string_view why) {
    return Status(Code::kMalformed,
                  fmt::format("unsafe path \"{}\": {}",
                              EscapeForDisplay(path.substr(0, 200)), why));
  };
  if (path.empty()) return fail("empty");
  if (path.front() == '/') return fail("absolute");
  if (path.size() > 240 * 4) return fail("too long");
  if (!IsPlainText(path))
    return fail("control, bidi or invisible characters, or not UTF-8");
  Status nfc = trust::CheckValue(path);
  if (!nfc.ok()) {
    // (its messages speak of a "value": here it is the path)
    std::string why = nfc.message();
    if (why.rfind("value ", 0) == 0) why.replace(0, 5, "the path");
    return fail(why);
  }
  std::size_t start = 0;
  std::size_t chars = 0;
  for (char c : path) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  if (chars > 240) return fail("longer than 240 characters");
  for (;;) {
    std::size_t slash = path.find('/', start);
    std::string_view part = path.substr(start, slash - start);
    if (part.empty()) return fail("an empty component");
    if (part == "." || part == "..") return fail("a \".\" or \"..\" component");
    for (char c : part) {
      if (std::string_view("\\:*?\"<>|%").find(c) != std::string_view::npos) {
        return fail(
            "a character FAT or Windows refuses (\\ : * ? \" < > | or %)");
      }
    }
    if (part.back() == '.' || part.back() == ' ')
      return fail("a component ends in a dot or space");
    std::string upper(part.substr(0, part.find('.')));
    for (char& c : upper)
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    static const char* kReserved[] = {
        "CON",  "PRN",  "AUX",  "NUL",  "COM1", "COM2", "COM3", "COM4",
        "COM5", "COM6", "COM7", "COM8", "COM9", "LPT1", "LPT2", "LPT3",
        "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9"};
    if (std::find(std::begin(kReserved), std::end(kReserved), upper) !=
        std::end(kReserved)) {
      return fail("a Windows device name");
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return Status::Ok();
}

std::string FoldedPath(std::string_view path) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  icu::UnicodeString s = icu::UnicodeString::fromUTF8(
      icu::StringPiece(path.data(), static_cast<std::int32_t>(path.size())));
  if (U_SUCCESS(status)) s = nfc->normalize(s, status);
  s.foldCase(U_FOLD_CASE_DEFAULT);
  if (U_SUCCESS(status)) s = nfc->normalize(s, status);
  std::string out;
  s.toUTF8String(out);
  return out;
}

PathSet::Clash PathSet::Add(std::string_view path) {
  auto [it, fresh] = by_key_.emplace(FoldedPath(path), std::string(path));
  if (fresh) return Clash::kNone;
  clashed_with_ = it->second;
  return it->second == path ? Clash::kSame : Clash::kCase;
}

}  // namespace xj::formats::bagit
