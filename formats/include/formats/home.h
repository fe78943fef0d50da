// The small files of an office home (xjpack-init(1), xjpack-pack(1)): the
// office file, a stream's state and an issuer's serial counter. Each is
// written in one canonical form and read strictly: anything else is refused
// with the file's name and what was expected, never repaired.
//
//   office                 xjpack-office/1 / code: C / level: L / name: N
//   streams/SENDER-RECIP   seq N / prev HASH   (HASH: 64 hex, or "none")
//   counters/serial-ISSUER N
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "formats/trust_statements.h"

namespace xj::formats::home {

struct Office {
  std::string code;
  trust::Level level = trust::Level::kSchool;
  std::string name;
};
std::string SerializeOffice(const Office& office);
/// `path` names the file in messages.
Result<Office> ParseOffice(std::string_view text, std::string_view path);

/// A stream from a sender to a recipient: the last number taken and the
/// SHA-256 (lowercase hex) of the last statement signed, or "none".
struct Stream {
  std::uint64_t last_seq = 0;
  std::string last_hash = "none";
};
std::string SerializeStream(const Stream& stream);
Result<Stream> ParseStream(std::string_view text, std::string_view path);

/// The last certificate serial number an issuer used.
std::string SerializeSerialCounter(std::uint64_t last);
Result<std::uint64_t> ParseSerialCounter(std::string_view text,
                                         std::string_view path);

}  // namespace xj::formats::home
