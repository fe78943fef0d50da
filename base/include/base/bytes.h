// Byte spans, owned byte strings and small helpers around them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace xj {

using Bytes = std::vector<std::uint8_t>;
using ByteSpan = std::span<const std::uint8_t>;
using MutableByteSpan = std::span<std::uint8_t>;

inline ByteSpan AsBytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline std::string_view AsChars(ByteSpan b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}
inline Bytes ToBytes(std::string_view s) { return Bytes(s.begin(), s.end()); }
inline void Append(Bytes& out, ByteSpan more) {
  out.insert(out.end(), more.begin(), more.end());
}
inline void Append(Bytes& out, std::string_view more) {
  out.insert(out.end(), more.begin(), more.end());
}

/// Lowercase hex of `data`.
std::string ToHex(ByteSpan data);
/// Uppercase hex of `data`.
std::string ToHexUpper(ByteSpan data);
/// Decodes hex of either case; false on odd length or a non-hex digit.
bool FromHex(std::string_view hex, Bytes* out);

/// Hex in groups of four digits separated by spaces ("3f2a 9c01 ..."), the
/// form people read aloud and compare on paper.
std::string GroupedHex(ByteSpan data);

/// `text` with bytes that could mislead a reader escaped: C0 controls but
/// TAB, DEL, C1 controls, bidi controls and default-ignorable code points
/// become \u{XXXX}; invalid UTF-8 bytes become \x{XX}; a backslash is
/// doubled, so that the escapes are unambiguous. Everything untrusted shown
/// to a person goes through this.
std::string EscapeForDisplay(std::string_view text);

/// The same, leaving backslashes as they are: for text whose untrusted
/// parts were escaped already (an error message naming escaped file names),
/// as a last guard before a terminal, without escaping the escapes again.
std::string EscapeControlsForDisplay(std::string_view text);

/// True when `text` is valid UTF-8 holding nothing EscapeForDisplay would
/// escape, and no TAB: text safe to sign and to show as it is.
bool IsPlainText(std::string_view text);

}  // namespace xj
