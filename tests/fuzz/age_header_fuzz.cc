// Feeds bytes to the age v1 header parser (formats/age_header.h) as a file
// would start. Asserts that a header which parses re-encodes to exactly the
// bytes it was read from (EncodeHeaderWithoutMac + AppendMacLine), that the
// MAC input is those bytes up to "---", and that the reader stops right
// after the MAC line.
#include <cstdint>

#include "base/io.h"
#include "formats/age_header.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  using namespace xj;
  ByteSpan input(data, size);
  MemorySource source(input);
  BufferedReader reader(&source, 4096);
  formats::age::HeaderLimits limits;
  limits.max_bytes = 64 << 10;  // what bundles allow
  limits.max_stanzas = 64;
  Result<formats::age::Header> header =
      formats::age::ReadHeader(reader, limits);
  if (!header.ok()) return 0;
  FUZZ_CHECK(!header->stanzas.empty());
  FUZZ_CHECK(header->size <= size);
  FUZZ_CHECK(reader.offset() == header->size);
  for (const formats::age::Stanza& s : header->stanzas) {
    FUZZ_CHECK(!s.args.empty());
    for (const std::string& arg : s.args) FUZZ_CHECK(!arg.empty());
  }
  Bytes encoded = formats::age::EncodeHeaderWithoutMac(header->stanzas);
  FUZZ_CHECK(encoded == header->mac_input);
  formats::age::AppendMacLine(encoded, header->mac);
  FUZZ_CHECK(encoded.size() == header->size);
  FUZZ_CHECK(std::equal(encoded.begin(), encoded.end(), data));
  return 0;
}
