// age v1 encryption and decryption (https://age-encryption.org/v1).
//
// Files are encrypted to X25519 recipients (several per file) or to one
// passphrase (scrypt), with the header MAC and the 64 KiB STREAM payload of
// the spec; output is binary or armored. Both directions stream: memory
// stays near 3 MiB whatever the size of the data.
//
// Decryption is strict (the C2SP/CCTV age test kit passes) and releases
// plaintext to the Sink one authenticated chunk at a time, exactly as the
// spec describes. A Sink that is shown to people or acted on must therefore
// hold back everything until Decrypt() returns ok: the file-level helpers in
// libpack/file_crypto.h write into a temporary file and rename on success.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/io.h"
#include "base/secret.h"
#include "base/status.h"
#include "formats/age_header.h"
#include "keys/crypto.h"
#include "keys/x25519_identity.h"

namespace xj::pack::age {

inline constexpr int kDefaultWorkFactor = 18;  // what stock age writes
inline constexpr int kMaxWorkFactor = 22;      // what stock age accepts

/// Fixed randomness for known-answer tests. Never set outside tests.
struct FixedRandomness {
  Bytes file_key;                // 16 bytes
  Bytes nonce;                   // 16 bytes
  std::vector<Bytes> ephemeral;  // 32 bytes per X25519 recipient
  Bytes scrypt_salt;             // 16 bytes
};

struct EncryptOptions {
  bool armor = false;
  keys::AeadBackend backend = keys::ChaChaPoly::kDefaultBackend;
  const FixedRandomness* fixed = nullptr;
};

/// Encrypts what is written to it, for pipelines that push data (tar →
/// zstd → age → volumes). The header goes out on creation; Finish() seals
/// the final chunk and must be called once at the end.
class EncryptingSink final : public Sink {
 public:
  /// For X25519 recipients. kInvalidArgument with none; kBadKey for a
  /// low-order key.
  static Result<std::unique_ptr<EncryptingSink>> ToRecipients(
      Sink* out, const std::vector<keys::X25519PublicKey>& recipients,
      const EncryptOptions& options = {});
  ~EncryptingSink() override;

  Status Write(ByteSpan data) override;
  Status Finish();

  struct State;

 private:
  friend Status EncryptWithPassphrase(Source&, Sink&, ByteSpan, int,
                                      const EncryptOptions&);
  static Result<std::unique_ptr<EncryptingSink>> Create(
      Sink* out, std::vector<formats::age::Stanza> stanzas,
      const SecretBuffer& file_key, const EncryptOptions& options);
  EncryptingSink(std::unique_ptr<State> state, bool armored);
  std::unique_ptr<State> state_;
  bool armored_;
};

/// Encrypts all of `in` to `out` for the given X25519 recipients.
/// kInvalidArgument with no recipients; kBadKey for a low-order key.
Status EncryptToRecipients(Source& in, Sink& out,
                           const std::vector<keys::X25519PublicKey>& recipients,
                           const EncryptOptions& options = {});

/// Encrypts all of `in` to `out` under a passphrase, with scrypt work factor
/// `work_factor` (log2 N; 10..22).
Status EncryptWithPassphrase(Source& in, Sink& out, ByteSpan passphrase,
                             int work_factor = kDefaultWorkFactor,
                             const EncryptOptions& options = {});

/// Where decryption failed; the classes of the age test kit.
enum class Stage {
  kNone,
  kArmor,    ///< the armor around the file is malformed
  kHeader,   ///< the header or a recognised stanza is malformed
  kUnwrap,   ///< no identity or passphrase opened any stanza
  kMac,      ///< the header MAC does not match
  kPayload,  ///< a chunk failed, the stream was cut, or data follows it
};

enum class ArmorMode {
  kDetect,  ///< armored if the input starts (after whitespace) with "-----"
  kArmored,
  kBinary,
};

/// Names a span of a file's bytes, `first` to `last` (both included), as
/// messages say it.
using PlaceName =
    std::function<std::string(std::uint64_t first, std::uint64_t last)>;

struct DecryptOptions {
  ArmorMode armor = ArmorMode::kDetect;
  formats::age::HeaderLimits limits;
  int max_work_factor = kMaxWorkFactor;
  /// Reject stanza types other than X25519 and scrypt instead of skipping
  /// them (bundles allow nothing else).
  bool reject_unknown_stanzas = false;
  keys::AeadBackend backend = keys::ChaChaPoly::kDefaultBackend;
  /// How messages name the input's bytes `first` to `last` (offsets in the
  /// binary file, both included): "bytes F–L" (or "byte F") when unset. A
  /// payload read from several volumes names the volumes instead. Not used
  /// for armored input, whose offsets are in the decoded bytes.
  PlaceName place;
};

/// Asked for the passphrase only when the file turns out to be
/// passphrase-encrypted.
using PassphraseCallback = std::function<Result<SecretBuffer>()>;

class Decryptor {
 public:
  explicit Decryptor(DecryptOptions options = {}) : options_(options) {}

  /// The identity must outlive the Decryptor.
  void AddIdentity(const keys::X25519Identity* identity) {
    identities_.push_back(identity);
  }
  void SetPassphraseCallback(PassphraseCallback callback) {
    passphrase_ = std::move(callback);
  }

  /// Decrypts `in` (binary or armored, detected) into `out`.
  Status Decrypt(Source& in, Sink& out);

  /// Reads and checks the header (stanzas, unwrap, MAC, nonce) and returns
  /// the payload as a Source of authenticated plaintext, handed out chunk by
  /// chunk; its Read fails at the first bad chunk, and failed_stage() then
  /// says where. `in` must outlive the returned Source.
  Result<std::unique_ptr<Source>> Open(Source& in);

  struct Chain;  // the readers between the input and the payload

  /// After a failed Decrypt(), where it failed.
  Stage failed_stage() const { return stage_; }
  /// After Decrypt() got past the header, the parsed header.
  const formats::age::Header& header() const { return header_; }
  /// Plaintext bytes released to the sink.
  std::uint64_t released() const { return released_; }

 private:
  Result<SecretBuffer> Unwrap();

  DecryptOptions options_;
  std::vector<const keys::X25519Identity*> identities_;
  PassphraseCallback passphrase_;
  formats::age::Header header_;
  Stage stage_ = Stage::kNone;
  std::uint64_t released_ = 0;
};

}  // namespace xj::pack::age
