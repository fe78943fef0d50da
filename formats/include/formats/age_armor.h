// ASCII armor for age files (C2SP age §"ASCII armor"): strict PEM with the
// label "AGE ENCRYPTED FILE", padded base64 in 64-column lines.
//
// The reader streams (one line in memory at a time) and accepts exactly what
// the spec allows: whitespace-only lines before BEGIN and whitespace after
// END (each at most 1 KiB), LF or CRLF line ends, and nothing else. The
// writer produces the canonical form, starting at byte 0, which stock age's
// auto-detection requires.
#pragma once

#include <string_view>

#include "base/bytes.h"
#include "base/io.h"
#include "base/status.h"

namespace xj::formats::age {

inline constexpr std::string_view kArmorBegin =
    "-----BEGIN AGE ENCRYPTED FILE-----";
inline constexpr std::string_view kArmorEnd =
    "-----END AGE ENCRYPTED FILE-----";

/// True when `prefix` (the first bytes of a file) looks like PEM armor:
/// optional whitespace, then "-----". A binary age file cannot start so;
/// whether the BEGIN line is right is the ArmorReader's to judge.
bool LooksArmored(ByteSpan prefix);

/// Decodes armored input. Every failure is kMalformed prefixed "armor: line
/// N: ..."; failed() tells a caller that the armor, not the file inside it,
/// was at fault.
class ArmorReader final : public Source {
 public:
  explicit ArmorReader(BufferedReader* in) : in_(in) {}
  Result<std::size_t> Read(MutableByteSpan buf) override;
  bool failed() const { return !status_.ok(); }

 private:
  Status NextLine();
  Result<std::string> GetLine(std::size_t max);
  Status DrainTrailing();
  template <typename... Args>
  Status Fail(fmt::format_string<Args...> f, Args&&... args);

  BufferedReader* in_;
  Status status_;
  bool started_ = false, last_ = false, done_ = false;
  int line_no_ = 0;
  std::uint8_t decoded_[48];
  std::size_t pos_ = 0, len_ = 0;
};

/// Encodes everything written into armor; Finish() writes the last line and
/// the END line and must be called once at the end.
class ArmorWriter final : public Sink {
 public:
  explicit ArmorWriter(Sink* out) : out_(out) {}
  Status Write(ByteSpan data) override;
  Status Finish();

 private:
  Status Flush();

  Sink* out_;
  bool begun_ = false;
  std::uint8_t pending_[48];
  std::size_t pending_len_ = 0;
  std::string text_;
};

}  // namespace xj::formats::age
