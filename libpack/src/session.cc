#include "libpack/session.h"

#include "base/os.h"
#include "libpack/key_files.h"

namespace xj::pack {

Result<OfficeSession> OfficeSession::Open(const std::string& home_flag,
                                          std::int64_t clock) {
  if (clock <= 0) {
    return Error(Code::kInternal, "an office session needs the time ({})",
                 clock);
  }
  OfficeSession s;
  s.home_flag_ = home_flag;
  s.clock_ = clock;
  XJ_ASSIGN_OR_RETURN(s.store_, TrustStore::OpenIfOffice(home_flag));
  Result<std::string> root = HomePath(home_flag);
  if (root.ok()) s.root_ = *root;
  return s;
}

Result<OfficeSession> OfficeSession::OpenOffice(const std::string& home_flag,
                                                std::int64_t clock) {
  XJ_ASSIGN_OR_RETURN(OfficeSession s, Open(home_flag, clock));
  if (!s.is_office()) {
    // Opening the store names what is missing (no office file, no root).
    XJ_ASSIGN_OR_RETURN(Home home, OpenHome(home_flag));
    XJ_ASSIGN_OR_RETURN(TrustStore store, TrustStore::Open(home));
    s.store_ = std::move(store);
  }
  return s;
}

Result<Home> OfficeSession::home() {
  if (!home_) {
    XJ_ASSIGN_OR_RETURN(Home h, OpenHome(home_flag_));
    home_ = std::move(h);
  }
  return *home_;
}

Result<Ledger*> OfficeSession::ledger() {
  if (!ledger_) {
    XJ_ASSIGN_OR_RETURN(Home h, home());
    XJ_ASSIGN_OR_RETURN(Ledger l, Ledger::Open(h));
    ledger_ = std::move(l);
  }
  return &*ledger_;
}

Result<std::string> OfficeSession::TrustedNow() {
  if (!ledger_ && (root_.empty() || !os::Exists(root_ + "/ledger.sqlite"))) {
    return os::FormatUtc(clock_);
  }
  XJ_ASSIGN_OR_RETURN(Ledger * l, ledger());
  return l->EffectiveNow(clock_);
}

Result<const keys::SigningKey*> OfficeSession::ClerkKey(
    PassphraseSource& passphrases) {
  if (!clerk_key_) {
    if (!store_) {
      return Status(Code::kNotFound, "this home is not set up as an office")
          .WithRemedy(Remedy::kInit);
    }
    XJ_ASSIGN_OR_RETURN(keys::SigningKey k,
                        LoadSigningKey(store_->clerk_key_path(), passphrases));
    clerk_key_ = std::move(k);
  }
  return &*clerk_key_;
}

Result<const std::vector<keys::X25519Identity>*> OfficeSession::Identities(
    const std::vector<std::string>& files, PassphraseSource& passphrases) {
  if (!identities_) {
    std::vector<std::string> from = files;
    if (from.empty() && store_) from.push_back(store_->identity_path());
    if (from.empty()) {
      return Status(Code::kInvalidArgument, "no identity to decrypt with")
          .WithRemedy(Remedy::kIdentity);
    }
    std::vector<keys::X25519Identity> all;
    for (const std::string& f : from) {
      XJ_ASSIGN_OR_RETURN(std::vector<keys::X25519Identity> ids,
                          LoadIdentities(f, passphrases));
      for (auto& id : ids) all.push_back(std::move(id));
    }
    identities_ = std::move(all);
  }
  return &*identities_;
}

}  // namespace xj::pack
