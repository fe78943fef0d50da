#include "formats/audit.h"

#include <fmt/format.h>

namespace xj::formats::audit {
namespace {

// A JSON string: quotes and backslashes escaped, control characters as
// \u00XX, everything else (UTF-8 included) as it is.
std::string Quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<int>(c));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

std::string Serialize(const Audit& a) {
  std::string findings;
  for (const Finding& f : a.findings) {
    findings += fmt::format(
        "{}{{\"severity\":\"{}\",\"file\":{},\"line\":{},\"field\":{},"
        "\"rule\":{},\"message\":{},\"value\":{}}}",
        findings.empty() ? "" : ",\n  ", f.error ? "error" : "warning",
        Quoted(f.file), f.line, Quoted(f.field), Quoted(f.rule),
        Quoted(f.message), Quoted(f.value));
  }
  return fmt::format(
      "{{\"office\":{},\"children\":{},\"schools\":{},\"errors\":{},"
      "\"warnings\":{},\"findings\":[\n  {}]}}\n",
      Quoted(a.office), a.children, a.schools, a.errors, a.warnings, findings);
}

}  // namespace xj::formats::audit
