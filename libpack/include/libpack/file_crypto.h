// File-level operations behind the emergency verbs: encrypt, decrypt, sign
// and check a signature, one file at a time.
//
// Outputs appear only when complete: they are written to a temporary file
// beside the destination and renamed into place on success, so a failure
// (including failed authentication halfway through a decryption) leaves
// nothing behind. Decrypting to standard output spools the plaintext in an
// unnamed temporary file and copies it out only once it has authenticated.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "formats/minisign.h"
#include "keys/signing_key.h"
#include "keys/x25519_identity.h"
#include "libpack/age.h"
#include "libpack/minisign.h"

namespace xj::pack {

/// Outputs are replaced only with `force`, and a secret key found at the
/// output is renamed "<name>.replaced-<time>" rather than overwritten.

/// "-" names standard input or output.
inline constexpr std::string_view kStdio = "-";

struct EncryptFileRequest {
  std::string input;
  std::string output;
  std::vector<keys::X25519PublicKey> recipients;  ///< or a passphrase:
  const SecretBuffer* passphrase = nullptr;
  int work_factor = age::kDefaultWorkFactor;
  bool armor = false;
  bool force = false;
  std::int64_t now = 0;  ///< the clock, in seconds (required)
  /// Set when --force met a secret key at the output and kept it aside.
  std::string* kept_aside = nullptr;
};
Status EncryptFile(const EncryptFileRequest& request);

struct DecryptFileRequest {
  std::string input;
  std::string output;
  bool force = false;
  std::int64_t now = 0;               ///< the clock, in seconds (required)
  std::string* kept_aside = nullptr;  ///< as for EncryptFileRequest
};
/// Decrypts with `decryptor` (its identities or passphrase callback set).
Status DecryptFile(const DecryptFileRequest& request,
                   age::Decryptor& decryptor);

/// The default signature file of `path`: "<path>.minisig".
std::string DefaultSignaturePath(const std::string& path);

struct SignFileRequest {
  std::string input;
  std::string signature_path;   ///< empty: DefaultSignaturePath(input)
  std::string trusted_comment;  ///< empty: minisign's default
  bool force = false;
  std::int64_t now = 0;               ///< the clock, in seconds (required)
  std::string* kept_aside = nullptr;  ///< as for EncryptFileRequest
};
/// Signs a file. Refuses files and comments that begin "xjtrust/": those
/// are trust statements, signed only by the verbs that check them.
Result<minisign::Signature> SignFile(const SignFileRequest& request,
                                     const keys::SigningKey& key);

struct VerifyFileRequest {
  std::string input;
  std::string signature_path;  ///< empty: DefaultSignaturePath(input)
  bool allow_legacy = true;
};
/// Checks a file's signature; returns the signature (for its trusted
/// comment) when it verifies.
Result<minisign::Signature> VerifyFileSignature(
    const VerifyFileRequest& request, const minisign::PublicKey& key);

}  // namespace xj::pack
