// Strict base64 (RFC 4648 §4, standard alphabet).
//
// Decoding accepts only the canonical encoding: no whitespace, no characters
// outside the alphabet, padding exactly as the variant demands, and zero
// unused bits in the last character. Anything else is kMalformed with a
// message that says which rule was broken.
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/secret.h"
#include "base/status.h"

namespace xj::formats {

enum class Base64 { kPadded, kUnpadded };

std::string EncodeBase64(ByteSpan data, Base64 variant);

/// Decodes `text`; fails if it is not canonical or decodes to more than
/// `max_size` bytes.
Result<Bytes> DecodeBase64(std::string_view text, Base64 variant,
                           std::size_t max_size = SIZE_MAX);

/// Decodes `text` into exactly out.size() bytes; fails if the decoded length
/// differs ("expected 32 bytes, got 31").
Status DecodeBase64Exact(std::string_view text, Base64 variant,
                         MutableByteSpan out);

/// Decodes `text` into `out`, which must be large enough for the decoded
/// bytes (text.size() / 4 * 3 + 2); returns how many bytes were written.
/// Used to decode secrets straight into protected memory.
Result<std::size_t> DecodeBase64Into(std::string_view text, Base64 variant,
                                     MutableByteSpan out);

}  // namespace xj::formats
