// Bech32 (BIP 173, checksum constant 1), as age uses it for its keys.
//
// No 90-character limit (age's keys may be longer); mixed case is rejected;
// at most four zero padding bits are allowed when converting back to bytes.
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/secret.h"
#include "base/status.h"

namespace xj::formats {

/// Encodes `data` under `hrp`; the result is lowercase, or uppercase when
/// `upper` (age writes identities in uppercase).
std::string EncodeBech32(std::string_view hrp, ByteSpan data, bool upper);

struct Bech32 {
  std::string hrp;  ///< as written (case preserved)
  Bytes data;
};

/// Decodes a Bech32 string; kMalformed on a bad checksum, mixed case, a
/// character outside the alphabet or bad padding.
Result<Bech32> DecodeBech32(std::string_view text);

}  // namespace xj::formats
