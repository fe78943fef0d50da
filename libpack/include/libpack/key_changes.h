// Key changes made visible (xjpack-trust(5), THE LEDGER): each office's
// ledger remembers, per sender, the certificate and keys that signed what
// it took in; a bundle signed under another certificate, or with another
// key, is shown to whoever takes it in or merges it. A new certificate
// while the old one is neither revoked nor expired is what an office that
// certified a school's code a second time (and so may sign in its name)
// looks like: a strict reader refuses it. Library code: nothing printed.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "libpack/ledger.h"
#include "libpack/trust.h"

namespace xj::pack {

struct KeyChange {
  std::string sender;
  std::string bundle;  ///< the bundle signed the new way
  SignedBy before, now;
  std::string before_bundle, until;  ///< the last signed the old way
  /// The old certificate was revoked or had expired (a renewal), or the
  /// certificate is the same and another of its keys signed.
  bool excused = false;
  std::string message;  ///< for people, one line
};

/// For each of `bundles` (each judged under its certificate), how it was
/// signed against the sender's newest other bundle in `ledger`; the
/// revocation lists in `crls` say whether an old certificate was revoked.
/// Bundles of unknown signers (keys given, not certificates) are skipped.
Result<std::vector<KeyChange>> FindKeyChanges(
    const Ledger& ledger, const std::vector<HeldStatement>& bundles,
    const std::vector<trust::VerifiedCrl>& crls);

}  // namespace xj::pack
