#include "formats/bech32.h"

#include <cctype>
#include <cstdint>
#include <cstring>
#include <vector>

namespace xj::formats {
namespace {

constexpr char kCharset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

std::uint32_t Polymod(const std::vector<std::uint8_t>& values) {
  static constexpr std::uint32_t kGen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa,
                                            0x3d4233dd, 0x2a1462b3};
  std::uint32_t chk = 1;
  for (std::uint8_t v : values) {
    std::uint8_t top = chk >> 25;
    chk = (chk & 0x1ffffff) << 5 ^ v;
    for (int i = 0; i < 5; ++i) {
      if ((top >> i) & 1) chk ^= kGen[i];
    }
  }
  return chk;
}

std::vector<std::uint8_t> HrpExpand(std::string_view hrp) {
  std::vector<std::uint8_t> out;
  for (char c : hrp) out.push_back(static_cast<std::uint8_t>(c) >> 5);
  out.push_back(0);
  for (char c : hrp) out.push_back(static_cast<std::uint8_t>(c) & 31);
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string EncodeBech32(std::string_view hrp, ByteSpan data, bool upper) {
  std::string lower_hrp = Lower(hrp);
  std::vector<std::uint8_t> five;
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::uint8_t b : data) {
    acc = acc << 8 | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      five.push_back((acc >> bits) & 31);
    }
  }
  if (bits > 0) five.push_back((acc << (5 - bits)) & 31);
  std::vector<std::uint8_t> values = HrpExpand(lower_hrp);
  values.insert(values.end(), five.begin(), five.end());
  values.insert(values.end(), 6, 0);
  std::uint32_t mod = Polymod(values) ^ 1;
  std::string out = lower_hrp + "1";
  for (std::uint8_t v : five) out.push_back(kCharset[v]);
  for (int i = 0; i < 6; ++i)
    out.push_back(kCharset[(mod >> (5 * (5 - i))) & 31]);
  if (upper) {
    for (char& c : out)
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

Result<Bech32> DecodeBech32(std::string_view text) {
  bool has_lower = false, has_upper = false;
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 33 || u > 126) {
      return Error(Code::kMalformed, "invalid character in Bech32 string");
    }
    has_lower |= std::islower(u) != 0;
    has_upper |= std::isupper(u) != 0;
  }
  if (has_lower && has_upper) {
    return Error(Code::kMalformed, "Bech32 string mixes upper and lower case");
  }
  std::size_t sep = text.rfind('1');
  if (sep == std::string_view::npos || sep == 0 || sep + 7 > text.size()) {
    return Error(Code::kMalformed, "not a Bech32 string (separator misplaced)");
  }
  std::string lower = Lower(text);
  std::string_view hrp = std::string_view(lower).substr(0, sep);
  std::vector<std::uint8_t> five;
  for (char c : std::string_view(lower).substr(sep + 1)) {
    const char* p = std::strchr(kCharset, c);
    if (p == nullptr || c == '\0') {
      return Error(Code::kMalformed, "invalid Bech32 character '{}'", c);
    }
    five.push_back(static_cast<std::uint8_t>(p - kCharset));
  }
  std::vector<std::uint8_t> values = HrpExpand(hrp);
  values.insert(values.end(), five.begin(), five.end());
  if (Polymod(values) != 1) {
    return Error(Code::kMalformed, "Bech32 checksum mismatch (mistyped?)");
  }
  five.resize(five.size() - 6);
  Bech32 out;
  out.hrp = std::string(text.substr(0, sep));
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::uint8_t v : five) {
    acc = acc << 5 | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.data.push_back((acc >> bits) & 0xff);
    }
  }
  if (bits >= 5 || (acc & ((1u << bits) - 1)) != 0) {
    Wipe(lower.data(), lower.size());
    Wipe(out.data.data(), out.data.size());
    return Error(Code::kMalformed, "Bech32 padding is not canonical");
  }
  Wipe(five.data(), five.size());
  Wipe(lower.data(), lower.size());
  return out;
}

}  // namespace xj::formats
