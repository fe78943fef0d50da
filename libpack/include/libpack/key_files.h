// Key files on disk: making them, and loading them for use.
//
// A signing key is a pair of minisign files, NAME.key (scrypt-protected
// secret, mode 0600) and NAME.pub. An office identity is an age identity
// file encrypted to a passphrase with age itself (armored, mode 0600), so
// `age -d office.key` opens it too, and NAME.pub holds its "age1..."
// recipient. New files are created exclusively; with `force`, existing ones
// are renamed to NAME.replaced-<UTC time>, never deleted.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "formats/age_keys.h"
#include "formats/minisign.h"
#include "keys/signing_key.h"
#include "keys/x25519_identity.h"
#include "libpack/passphrase.h"

namespace xj::pack {

struct KeygenRequest {
  std::string secret_path;
  std::string public_path;  ///< empty: derived from secret_path
  bool force = false;
  int work_factor = keys::kDefaultWorkFactor;
  /// The clock, in seconds (required): the identity's "created" comment
  /// and the names of files kept aside.
  std::int64_t now = 0;
};

struct GeneratedKey {
  std::string secret_path;
  std::string public_path;
  std::string public_key;  ///< "RW..." or "age1..."
  std::string key_id;
  std::string fingerprint;
  std::vector<std::string> replaced;  ///< old files moved aside by --force
};

/// The public file that goes with a secret key file: "x.key" → "x.pub",
/// anything else → "<name>.pub".
std::string DefaultPublicPath(const std::string& secret_path);

Result<GeneratedKey> GenerateSigningKeyFiles(const KeygenRequest& request,
                                             PassphraseSource& passphrases);
Result<GeneratedKey> GenerateOfficeIdentityFiles(const KeygenRequest& request,
                                                 PassphraseSource& passphrases);

/// Loads and opens a minisign secret key file (asking for its passphrase if
/// it is protected).
Result<keys::SigningKey> LoadSigningKey(const std::string& path,
                                        PassphraseSource& passphrases);

/// Loads identities from an xjpack office identity (age-encrypted, asks for
/// the passphrase) or from a plain age identity file (age-keygen's).
Result<std::vector<keys::X25519Identity>> LoadIdentities(
    const std::string& path, PassphraseSource& passphrases);

/// Loads a minisign public key file.
Result<formats::minisign::PublicKey> LoadPublicKey(const std::string& path);

/// Loads recipients from a file of "age1..." lines (comments allowed).
Result<std::vector<keys::X25519PublicKey>> LoadRecipients(
    const std::string& path);

/// True when the file at `path` holds secret key material: a minisign
/// secret key, an age identity, or a passphrase-protected age file (an
/// office identity). Unreadable or missing files are not keys.
bool LooksLikeSecretKey(const std::string& path);

/// --force never destroys a secret key: if `path` holds one, it is renamed
/// to "<path>.replaced-<UTC time>" and the new name returned; otherwise
/// nothing happens and "" is returned.
Result<std::string> SetAsideIfSecretKey(const std::string& path,
                                        std::int64_t now);

}  // namespace xj::pack
