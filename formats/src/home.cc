#include "formats/home.h"

#include <fmt/format.h>

#include "formats/statement.h"

namespace xj::formats::home {
namespace {

constexpr std::string_view kOfficeMagic = "xjpack-office/1\n";

// The next line of `text` if it begins with `label`; its value.
bool TakeLine(std::string_view* text, std::string_view label,
              std::string_view* value) {
  std::size_t nl = text->find('\n');
  if (nl == std::string_view::npos || text->substr(0, label.size()) != label)
    return false;
  *value = text->substr(label.size(), nl - label.size());
  text->remove_prefix(nl + 1);
  return true;
}

}  // namespace

std::string SerializeOffice(const Office& o) {
  return fmt::format("{}code: {}\nlevel: {}\nname: {}\n", kOfficeMagic, o.code,
                     trust::LevelName(o.level), o.name);
}

Result<Office> ParseOffice(std::string_view text, std::string_view path) {
  auto bad = [&](std::string_view what) {
    return Error(Code::kMalformed, "{}: {}", path, what);
  };
  if (text.substr(0, kOfficeMagic.size()) != kOfficeMagic)
    return bad("not an office file (xjpack-office/1)");
  text.remove_prefix(kOfficeMagic.size());
  Office o;
  std::string_view v;
  if (!TakeLine(&text, "code: ", &v))
    return bad("expected a line \"code: ...\"");
  o.code = std::string(v);
  if (!TakeLine(&text, "level: ", &v))
    return bad("expected a line \"level: ...\"");
  std::optional<trust::Level> l = trust::ParseLevel(v);
  if (!l) return bad("level: expected province, city, county or school");
  o.level = *l;
  if (!TakeLine(&text, "name: ", &v))
    return bad("expected a line \"name: ...\"");
  o.name = std::string(v);
  if (!text.empty()) return bad("unexpected lines after name");
  if (!trust::IsOfficeCode(o.code)) return bad("code: not an office code");
  return o;
}

std::string SerializeStream(const Stream& s) {
  return fmt::format("seq {}\nprev {}\n", s.last_seq, s.last_hash);
}

Result<Stream> ParseStream(std::string_view text, std::string_view path) {
  auto bad = [&] {
    return Error(Code::kMalformed,
                 "{}: not a stream state (two lines: \"seq N\", \"prev HASH\" "
                 "with N a number and HASH 64 hex digits or none)",
                 path);
  };
  Stream s;
  std::string_view seq, prev;
  if (!TakeLine(&text, "seq ", &seq) || !TakeLine(&text, "prev ", &prev) ||
      !text.empty()) {
    return bad();
  }
  if (!trust::ParseNumber(seq, &s.last_seq)) return bad();
  if (prev != "none" && !trust::IsHex(prev, 64)) return bad();
  s.last_hash = std::string(prev);
  return s;
}

std::string SerializeSerialCounter(std::uint64_t last) {
  return fmt::format("{}\n", last);
}

Result<std::uint64_t> ParseSerialCounter(std::string_view text,
                                         std::string_view path) {
  std::uint64_t last = 0;
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  if (!trust::ParseNumber(text, &last)) {
    return Error(Code::kMalformed, "{}: not a serial counter", path);
  }
  return last;
}

}  // namespace xj::formats::home
