// Where passphrases come from.
//
// A PassphraseSource is asked when a key turns out to need one. The tools
// ask on the terminal without echo; scripts and tests give a file (or
// standard input) with --passphrase-file. Passphrases only ever live in
// SecretBuffers.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/secret.h"
#include "base/status.h"

namespace xj::pack {

inline constexpr std::size_t kMinNewPassphrase = 8;
inline constexpr std::size_t kMaxPassphrase = 1024;

class PassphraseSource {
 public:
  virtual ~PassphraseSource() = default;
  /// Returns a passphrase. `purpose` says what it unlocks ("the signing key
  /// clerk.key"); `confirm` asks for it twice (new keys).
  virtual Result<SecretBuffer> Get(std::string_view purpose, bool confirm) = 0;
};

/// The first line of a file, or of standard input when the path is "-"
/// (read once and remembered, so several keys may share it). A final LF or
/// CRLF is not part of the passphrase.
class FilePassphraseSource final : public PassphraseSource {
 public:
  explicit FilePassphraseSource(std::string path) : path_(std::move(path)) {}
  Result<SecretBuffer> Get(std::string_view purpose, bool confirm) override;

 private:
  std::string path_;
  std::optional<SecretBuffer> cached_;
};

/// Refuses every request: for runs that must not prompt.
class NoPassphraseSource final : public PassphraseSource {
 public:
  Result<SecretBuffer> Get(std::string_view purpose, bool confirm) override;
};

/// Checks a passphrase chosen for a new key or file: not empty, at least
/// kMinNewPassphrase bytes.
Status CheckNewPassphrase(const SecretBuffer& passphrase);

}  // namespace xj::pack
