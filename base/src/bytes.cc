#include "base/bytes.h"

#include <fmt/format.h>

namespace xj {
namespace {

constexpr char kLowerDigits[] = "0123456789abcdef";
constexpr char kUpperDigits[] = "0123456789ABCDEF";

std::string HexWith(ByteSpan data, const char* digits) {
  std::string out;
  out.reserve(data.size() * 2);
  for (std::uint8_t b : data) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 15]);
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes one UTF-8 sequence at s[i]; returns its length (0 if invalid) and
// the code point. Rejects overlongs, surrogates and values above U+10FFFF.
std::size_t DecodeUtf8(std::string_view s, std::size_t i, char32_t* cp) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  unsigned char c = b(0);
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  std::size_t n;
  char32_t v, min;
  if ((c & 0xE0) == 0xC0) {
    n = 2, v = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3, v = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4, v = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0;
    v = (v << 6) | (b(k) & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return n;
}

bool Misleading(char32_t c) {
  if (c == '\t') return false;  // shows as space; minisign comments use it
  if (c < 0x20 || (c >= 0x7F && c <= 0x9F)) return true;  // C0, DEL, C1
  if (c == 0xAD || c == 0x34F || c == 0x61C) return true;
  if (c >= 0x115F && c <= 0x1160) return true;
  if (c >= 0x17B4 && c <= 0x17B5) return true;
  if (c >= 0x180B && c <= 0x180F) return true;
  if (c >= 0x200B && c <= 0x200F) return true;  // zero width, LRM, RLM
  if (c >= 0x2028 && c <= 0x202E) return true;  // separators, embeddings
  if (c >= 0x2060 && c <= 0x206F) return true;  // isolates, invisible ops
  if (c == 0x3164 || c == 0xFEFF || c == 0xFFA0) return true;
  if (c >= 0xFE00 && c <= 0xFE0F) return true;  // variation selectors
  if (c >= 0xFFF0 && c <= 0xFFF8) return true;
  if (c >= 0x1BCA0 && c <= 0x1BCA3) return true;
  if (c >= 0x1D173 && c <= 0x1D17A) return true;
  if (c >= 0xE0000 && c <= 0xE0FFF) return true;  // tags, selectors
  return false;
}

}  // namespace

std::string ToHex(ByteSpan data) { return HexWith(data, kLowerDigits); }
std::string ToHexUpper(ByteSpan data) { return HexWith(data, kUpperDigits); }

bool FromHex(std::string_view hex, Bytes* out) {
  if (hex.size() % 2 != 0) return false;
  Bytes result;
  result.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    int hi = HexValue(hex[i]), lo = HexValue(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    result.push_back(static_cast<std::uint8_t>(hi << 4 | lo));
  }
  *out = std::move(result);
  return true;
}

std::string GroupedHex(ByteSpan data) {
  std::string hex = ToHex(data), out;
  for (std::size_t i = 0; i < hex.size(); i += 4) {
    if (i) out.push_back(' ');
    out.append(hex, i, 4);
  }
  return out;
}

namespace {
std::string Escape(std::string_view text, bool backslashes) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    char32_t cp;
    std::size_t n = DecodeUtf8(text, i, &cp);
    if (n == 0) {
      out += fmt::format("\\x{{{:02X}}}", static_cast<unsigned char>(text[i]));
      ++i;
      continue;
    }
    if (cp == '\\' && backslashes) {
      out += "\\\\";
    } else if (Misleading(cp)) {
      out += fmt::format("\\u{{{:X}}}", static_cast<std::uint32_t>(cp));
    } else {
      out.append(text.substr(i, n));
    }
    i += n;
  }
  return out;
}
}  // namespace

std::string EscapeForDisplay(std::string_view text) {
  return Escape(text, true);
}
std::string EscapeControlsForDisplay(std::string_view text) {
  return Escape(text, false);
}

bool IsPlainText(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    // Printable ASCII, nearly all of any name or statement, is plain.
    auto b = static_cast<unsigned char>(text[i]);
    if (b >= 0x20 && b < 0x7F) {
      ++i;
      continue;
    }
    char32_t cp;
    std::size_t n = DecodeUtf8(text, i, &cp);
    if (n == 0 || cp == '\t' || Misleading(cp)) return false;
    i += n;
  }
  return true;
}

}  // namespace xj
