// The age v1 header: version line, recipient stanzas, MAC line.
//
// This layer knows the grammar (C2SP age §"Header"), not what any stanza
// means: libpack/age.h gives X25519 and scrypt stanzas their meaning. The
// parser is strict: any deviation from the ABNF is kMalformed (an unknown
// version is kUnsupported), and a header that parses re-encodes to exactly
// the bytes it was read from.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/io.h"
#include "base/status.h"

namespace xj::formats::age {

inline constexpr std::string_view kVersionLine = "age-encryption.org/v1\n";
inline constexpr std::size_t kBodyColumns = 64;    // base64 chars per line
inline constexpr std::size_t kBodyLineBytes = 48;  // bytes per full line
inline constexpr std::size_t kMacSize = 32;

struct Stanza {
  std::vector<std::string> args;  ///< args[0] is the stanza type
  Bytes body;
  int line = 0;  ///< header line of the "->" line, for messages

  const std::string& type() const { return args.front(); }
};

struct Header {
  std::vector<Stanza> stanzas;
  std::array<std::uint8_t, kMacSize> mac{};
  /// The header bytes as read, from the version line through "---": what
  /// the MAC covers.
  Bytes mac_input;
  /// Total header size including the MAC line.
  std::size_t size = 0;
};

struct HeaderLimits {
  std::size_t max_bytes = 1 << 20;
  std::size_t max_stanzas = 1024;
};

/// Reads a header from `in`, leaving `in` at the first byte after the MAC
/// line's LF (the payload nonce). Messages name the header line.
Result<Header> ReadHeader(BufferedReader& in, const HeaderLimits& limits = {});

/// The header bytes for `stanzas` from the version line through "---" (the
/// MAC input). REQUIRES: every arg is 1+ VCHAR and no arg has spaces.
Bytes EncodeHeaderWithoutMac(const std::vector<Stanza>& stanzas);

/// Appends " <base64 mac>\n" to a header made by EncodeHeaderWithoutMac.
void AppendMacLine(Bytes& header, ByteSpan mac);

}  // namespace xj::formats::age
