// Feeds bytes to minisign's signature file parser (formats/minisign.h).
// Asserts that a signature that parses is written back by
// EncodeSignatureFile to exactly the input (with its final LF), and that
// its trusted comment passes the check the signer applies.
#include <cstdint>

#include "formats/minisign.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  using namespace xj;
  namespace ms = formats::minisign;
  std::string_view text = fuzz::AsText(data, size);

  Result<ms::Signature> sig = ms::ParseSignatureFile(text);
  if (!sig.ok()) return 0;
  FUZZ_CHECK(ms::CheckTrustedComment(sig->trusted_comment).ok());
  std::string encoded = ms::EncodeSignatureFile(*sig);
  FUZZ_CHECK(encoded == text || encoded == std::string(text) + "\n");
  Result<ms::Signature> again = ms::ParseSignatureFile(encoded);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(ms::EncodeSignatureFile(*again) == encoded);
  return 0;
}
