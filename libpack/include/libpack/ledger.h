// The office's ledger (home/ledger.sqlite): what this office has accepted,
// so that a replayed, reordered or equivocating bundle is refused; the
// clock's high-water mark; and an audit log of who accepted what.
//
// Tamper-evident: the accepted rows form a hash chain (each row's link
// hashes the one before and the row), checked whole at every opening, and
// its head is signed into every receipt. A ledger whose chain is broken,
// or whose values are malformed, is refused as damaged.
//
// SQLite, in rollback-journal mode with synchronous=FULL: every change is
// one transaction, so a process killed at any point leaves the ledger as it
// was before or after that change, never between.
//
// Streams: the bundles from one sender to one recipient, numbered by seq.
// For a new bundle of a stream the ledger says:
//   the same seq with the same statement   already accepted (nothing to do)
//   the same seq with another statement    refused: equivocation
//   a seq below the last accepted          refused: a replay
//   a seq more than kMaxSeqJump past it    refused unless overridden
//   prev not the last accepted statement   accepted, with a warning
//   a period before the newest accepted    refused, unless taken late
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "formats/statement.h"
#include "libpack/home.h"

struct sqlite3;

namespace xj::pack {

inline constexpr std::uint64_t kMaxSeqJump = 50;

struct Admission {
  enum Kind { kNew, kAlreadyAccepted } kind = kNew;
  std::string accepted_at;            ///< for kAlreadyAccepted
  std::vector<std::string> warnings;  ///< e.g. bundles missing between
};

/// Who signed a bundle: its sender's certificate and the keys whose
/// signatures counted.
struct SignedBy {
  std::string cert;      ///< its serial ("" when trusted by keys given)
  std::string cert_end;  ///< the certificate's not-after
  std::string keys;      ///< the key ids, sorted, separated by spaces
};

struct AcceptedBundle {
  std::string id, sender, recipient, sha256, kind, period, created;
  std::uint64_t seq = 0;
  std::string signers;  ///< "clerk KEYID, leader KEYID"
  SignedBy by;
  std::string override_reason;  ///< e.g. --accept-seq-jump, logged
  /// "intake" (this office's delivery), "held" (inside an intake) or
  /// "copy" (read as a copy-to office: never intake, never counted).
  std::string taken_as = "intake";
};

/// The ledger's row for a statement with its SHA-256, signed as `signers`
/// says ("clerk 0123..., leader 4567...", or "held in <id>").
AcceptedBundle AcceptedFrom(const formats::trust::BundleStatement& statement,
                            std::string sha256, std::string signers);

/// A statement, its SHA-256 and who signed it, as bundles held in another
/// are listed.
struct HeldStatement {
  formats::trust::BundleStatement statement;
  std::string sha256;
  SignedBy by;
};

/// The ledger's row for a held bundle.
AcceptedBundle AcceptedFrom(const HeldStatement& held, std::string signers);

class Ledger {
 public:
  /// Opens (creating) home/ledger.sqlite.
  static Result<Ledger> Open(const Home& home);
  Ledger(Ledger&&) noexcept;
  Ledger& operator=(Ledger&&) noexcept;
  ~Ledger();

  /// Judges a bundle statement against its stream. `allow_jump` lets a seq
  /// more than kMaxSeqJump past the last through (the caller logs why). A
  /// period older than the newest of the same kind accepted from the
  /// sender is refused, unless it is `late_period`, which the office has
  /// agreed to take late.
  Result<Admission> Admit(const formats::trust::BundleStatement& statement,
                          const std::string& sha256, bool allow_jump,
                          std::string_view late_period = {}) const;

  /// For a bundle held inside another (no order or jump rule applies):
  /// refused when the ledger holds the same seq of its stream with other
  /// content; true when it holds this very statement, false when new.
  Result<bool> AdmitHeld(const formats::trust::BundleStatement& statement,
                         const std::string& sha256) const;

  /// Of the bundles held in others, those not yet accepted (each once);
  /// refused when one equivocates with what is accepted, or two held
  /// bundles of one stream's seq differ.
  Result<std::vector<HeldStatement>> NewHeld(
      const std::vector<HeldStatement>& held) const;

  /// A sender's newest bundle this office took in (as intake or held, not
  /// as a copy) that names its certificate, other than bundle `id` and
  /// made no later than `created`: who signed it, its id, when it was made.
  struct LastSigned {
    SignedBy by;
    std::string id, created;
  };
  Result<std::optional<LastSigned>> LastSignedBy(
      const std::string& sender, const std::string& id,
      const std::string& created) const;

  /// The bundles recorded as held in bundle `id` (taken in with it), with
  /// who signed each, by id.
  Result<std::vector<std::pair<std::string, SignedBy>>> HeldIn(
      const std::string& id) const;

  /// Records an accepted bundle, raises the high-water mark to its created
  /// time (never past clock + 24 h) and writes the audit log: one
  /// transaction.
  Status Accept(const AcceptedBundle& bundle, std::int64_t clock);
  /// Several at once (a bundle and those it holds), in one transaction.
  Status AcceptAll(const std::vector<AcceptedBundle>& bundles,
                   std::int64_t clock);

  /// The newest created time of any accepted statement ("" when none).
  Result<std::string> HighWaterMark() const;

  /// now_eff: the later of the clock and the high-water mark.
  Result<std::string> EffectiveNow(std::int64_t clock) const;

  /// One line in the audit log.
  Status Audit(std::string_view event, std::string_view bundle,
               std::string_view detail, std::int64_t clock);

  struct AuditEntry {
    std::string time, event, bundle, detail;
  };
  Result<std::vector<AuditEntry>> AuditLog() const;

  /// The last accepted seq and statement hash of a stream (0, "none").
  Result<std::pair<std::uint64_t, std::string>> LastOf(
      const std::string& sender, const std::string& recipient) const;

  /// The head of the rows' hash chain: the number of rows and the last
  /// row's link (0 and 64 zeros when empty). Receipts sign it.
  struct Head {
    std::int64_t n = 0;
    std::string link;
  };
  const Head& head() const { return head_; }

 private:
  Ledger() = default;
  Status Exec(const char* sql);
  Status Insert(const std::vector<AcceptedBundle>& bundles, std::int64_t clock);
  Status CheckChain();
  Status CheckReceipts(const std::string& dir) const;
  Result<Head> ReadHead() const;
  Status Damaged(std::string_view what) const;
  sqlite3* db_ = nullptr;
  std::string path_;
  Head head_, pending_head_;
};

}  // namespace xj::pack
