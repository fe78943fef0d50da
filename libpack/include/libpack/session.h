// One office's session: what the verbs of an office ask for, owned in one
// place. The home and its trust store are opened once; the ledger and the
// keys on first use; and the time every judgement uses is the trusted time:
// the clock the caller read, raised to the ledger's high-water mark, so a
// clock set back cannot make an expired or revoked certificate good again.
//
// The library never reads the wall clock: the caller (tools/) reads it once
// and gives it here, and a test or a reproducible build gives a fixed time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "keys/signing_key.h"
#include "keys/x25519_identity.h"
#include "libpack/home.h"
#include "libpack/ledger.h"
#include "libpack/passphrase.h"
#include "libpack/trust_store.h"

namespace xj::pack {

// What it gives out (the store, the ledger, the keys) lives as long as the
// session, which is not moved once asked.
class OfficeSession {
 public:
  /// The home named by `home_flag` (empty: $XJPACK_HOME, else the default
  /// home), an office or not: a reader without an office still verifies
  /// with a sender's public key. Nothing is created. `clock`: seconds since
  /// 1970, as the caller read them; must be positive.
  static Result<OfficeSession> Open(const std::string& home_flag,
                                    std::int64_t clock);
  /// The same, failing unless the home is set up as an office.
  static Result<OfficeSession> OpenOffice(const std::string& home_flag,
                                          std::int64_t clock);

  OfficeSession(OfficeSession&&) = default;
  OfficeSession& operator=(OfficeSession&&) = default;

  bool is_office() const { return store_.has_value(); }
  /// The office's trust store; null when the home is not an office.
  const TrustStore* store() const { return store_ ? &*store_ : nullptr; }
  /// The home, created (0700) when it was missing.
  Result<Home> home();
  /// The clock the caller gave, in seconds.
  std::int64_t clock() const { return clock_; }

  /// The office's ledger, opened (and made, the first time) on first use.
  Result<Ledger*> ledger();
  /// The trusted time (YYYY-MM-DDThh:mm:ssZ): the later of the clock and
  /// the high-water mark of the ledger, if the home has one. Asking makes
  /// no ledger.
  Result<std::string> TrustedNow();

  /// The office's clerk signing key, loaded on first use (asking
  /// `passphrases` then, and only then).
  Result<const keys::SigningKey*> ClerkKey(PassphraseSource& passphrases);
  /// The identities in `files`, or, when none is given, the office's own;
  /// loaded on first use.
  Result<const std::vector<keys::X25519Identity>*> Identities(
      const std::vector<std::string>& files, PassphraseSource& passphrases);

 private:
  OfficeSession() = default;

  std::string home_flag_, root_;
  std::int64_t clock_ = 0;
  std::optional<TrustStore> store_;
  std::optional<Home> home_;
  std::optional<Ledger> ledger_;
  std::optional<keys::SigningKey> clerk_key_;
  std::optional<std::vector<keys::X25519Identity>> identities_;
};

}  // namespace xj::pack
