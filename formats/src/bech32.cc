#include "formats/bech32.h"

#include <array>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <vector>

namespace xj::formats {
namespace {

constexpr char kCharset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

// One step of the BCH checksum over 5-bit values (BIP 173).
std::uint32_t PolymodStep(std::uint32_t chk, std::uint8_t v) {
  static constexpr std::uint32_t kGen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa,
                                            0x3d4233dd, 0x2a1462b3};
  std::uint8_t top = chk >> 25;
  chk = (chk & 0x1ffffff) << 5 ^ v;
  for (int i = 0; i < 5; ++i) {
    if ((top >> i) & 1) chk ^= kGen[i];
  }
  return chk;
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
  // The checksum covers the expanded prefix (each character's high bits,
  // a zero, its low bits), the data, and six zeros in its place.
  std::uint32_t chk = 1;
  for (char c : lower_hrp)
    chk = PolymodStep(chk, static_cast<std::uint8_t>(c) >> 5);
  chk = PolymodStep(chk, 0);
  for (char c : lower_hrp)
    chk = PolymodStep(chk, static_cast<std::uint8_t>(c) & 31);
  for (std::uint8_t v : five) chk = PolymodStep(chk, v);
  for (int i = 0; i < 6; ++i) chk = PolymodStep(chk, 0);
  std::uint32_t mod = chk ^ 1;
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
    has_lower |= u >= 'a' && u <= 'z';
    has_upper |= u >= 'A' && u <= 'Z';
  }
  if (has_lower && has_upper) {
    return Error(Code::kMalformed, "Bech32 string mixes upper and lower case");
  }
  std::size_t sep = text.rfind('1');
  if (sep == std::string_view::npos || sep == 0 || sep + 7 > text.size()) {
    return Error(Code::kMalformed, "not a Bech32 string (separator misplaced)");
  }
  // Each character's 5-bit value, either case (-1: not in the alphabet).
  static const std::array<std::int8_t, 128> kValue = [] {
    std::array<std::int8_t, 128> t;
    t.fill(-1);
    for (std::int8_t i = 0; i < 32; ++i) {
      auto c = static_cast<unsigned char>(kCharset[i]);
      t[c] = i;
      t[static_cast<unsigned char>(std::toupper(c))] = i;
    }
    return t;
  }();
  auto lower = [](char c) {
    return static_cast<std::uint8_t>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  };
  // The checksum over the expanded (lower-case) prefix, then the data; the
  // data but its six checksum characters turned back into bytes on the way.
  std::uint32_t chk = 1;
  for (std::size_t i = 0; i < sep; ++i)
    chk = PolymodStep(chk, lower(text[i]) >> 5);
  chk = PolymodStep(chk, 0);
  for (std::size_t i = 0; i < sep; ++i)
    chk = PolymodStep(chk, lower(text[i]) & 31);
  Bech32 out;
  std::size_t last = text.size() - 6;  // where the checksum begins
  out.data.reserve((last - sep - 1) * 5 / 8);
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::size_t i = sep + 1; i < text.size(); ++i) {
    std::int8_t v = kValue[static_cast<unsigned char>(text[i])];
    if (v < 0) {
      Wipe(out.data.data(), out.data.size());
      acc = 0;
      return Error(Code::kMalformed, "invalid Bech32 character '{}'",
                   static_cast<char>(lower(text[i])));
    }
    chk = PolymodStep(chk, static_cast<std::uint8_t>(v));
    if (i < last) {
      acc = (acc << 5 | static_cast<std::uint32_t>(v)) & 0xfff;
      bits += 5;
      if (bits >= 8) {
        bits -= 8;
        out.data.push_back((acc >> bits) & 0xff);
      }
    }
  }
  bool padded = bits < 5 && (acc & ((1u << bits) - 1)) == 0;
  Wipe(&acc, sizeof acc);
  if (chk != 1) {
    Wipe(out.data.data(), out.data.size());
    return Error(Code::kMalformed, "Bech32 checksum mismatch (mistyped?)");
  }
  if (!padded) {
    Wipe(out.data.data(), out.data.size());
    return Error(Code::kMalformed, "Bech32 padding is not canonical");
  }
  out.hrp = std::string(text.substr(0, sep));
  return out;
}

}  // namespace xj::formats
