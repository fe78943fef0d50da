#include "formats/base64.h"

#include <sodium.h>

#include <algorithm>
#include <cerrno>

namespace xj::formats {
namespace {

int SodiumVariant(Base64 v) {
  return v == Base64::kPadded ? sodium_base64_VARIANT_ORIGINAL
                              : sodium_base64_VARIANT_ORIGINAL_NO_PADDING;
}

bool InAlphabet(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '+' || c == '/';
}

// Says why libsodium refused `text`.
Status Diagnose(std::string_view text, Base64 variant) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '=') {
      if (variant == Base64::kUnpadded) {
        return Error(Code::kMalformed,
                     "base64 padding '=' is not allowed here");
      }
      continue;
    }
    if (!InAlphabet(c)) {
      unsigned char u = static_cast<unsigned char>(c);
      if (u >= 0x21 && u <= 0x7e) {
        return Error(Code::kMalformed,
                     "invalid base64 character '{}' at position {}", c, i + 1);
      }
      return Error(Code::kMalformed,
                   "invalid base64 byte 0x{:02x} at position {}", u, i + 1);
    }
  }
  if (variant == Base64::kPadded && text.size() % 4 != 0) {
    return Error(Code::kMalformed,
                 "base64 length {} is not a multiple of 4 (padding missing?)",
                 text.size());
  }
  if (variant == Base64::kUnpadded && text.size() % 4 == 1) {
    return Error(Code::kMalformed, "base64 length {} is impossible",
                 text.size());
  }
  return Error(Code::kMalformed,
               "base64 is not canonical (wrong padding or non-zero unused "
               "bits)");
}

// libsodium 1.0.18 decodes every byte from 0x80 up as if it were '/', so
// "QUJ\xe3" decodes like "QUJ/": the alphabet is checked here first.
bool OnlyAlphabet(std::string_view text) {
  for (char c : text) {
    if (!InAlphabet(c) && c != '=') return false;
  }
  return true;
}

}  // namespace

std::string EncodeBase64(ByteSpan data, Base64 variant) {
  int v = SodiumVariant(variant);
  std::string out(sodium_base64_ENCODED_LEN(data.size(), v), '\0');
  sodium_bin2base64(out.data(), out.size(), data.data(), data.size(), v);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

Result<Bytes> DecodeBase64(std::string_view text, Base64 variant,
                           std::size_t max_size) {
  if (!OnlyAlphabet(text)) return Diagnose(text, variant);
  std::size_t bound = text.size() / 4 * 3 + 3;
  Bytes out(std::min(bound, max_size));
  std::size_t len = 0;
  errno = 0;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(),
                        nullptr, &len, nullptr, SodiumVariant(variant)) != 0) {
    if (bound > max_size && errno == ERANGE) {
      return Error(Code::kMalformed, "base64 decodes to more than {} bytes",
                   max_size);
    }
    return Diagnose(text, variant);
  }
  out.resize(len);
  return out;
}

Result<std::size_t> DecodeBase64Into(std::string_view text, Base64 variant,
                                     MutableByteSpan out) {
  if (!OnlyAlphabet(text)) return Diagnose(text, variant);
  std::size_t len = 0;
  errno = 0;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(),
                        nullptr, &len, nullptr, SodiumVariant(variant)) != 0) {
    if (errno == ERANGE) {
      return Error(Code::kMalformed, "base64 decodes to more than {} bytes",
                   out.size());
    }
    return Diagnose(text, variant);
  }
  return len;
}

Status DecodeBase64Exact(std::string_view text, Base64 variant,
                         MutableByteSpan out) {
  XJ_ASSIGN_OR_RETURN(Bytes decoded,
                      DecodeBase64(text, variant, out.size() + 3));
  if (decoded.size() != out.size()) {
    return Error(Code::kMalformed, "expected {} bytes, base64 holds {}",
                 out.size(), decoded.size());
  }
  std::copy(decoded.begin(), decoded.end(), out.begin());
  Wipe(decoded.data(), decoded.size());
  return Status::Ok();
}

}  // namespace xj::formats
