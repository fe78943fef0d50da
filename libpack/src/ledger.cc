#include "libpack/ledger.h"

#include <sqlite3.h>

#include <algorithm>
#include <map>
#include <tuple>

#include "base/os.h"
#include "formats/trust_statements.h"
#include "keys/crypto.h"
#include "libpack/stick.h"

namespace xj::pack {
namespace {

constexpr std::int64_t kDay = 86400;

// A prepared statement, finalized on scope exit.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) {
    rc_ = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr);
  }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  bool ok() const { return rc_ == SQLITE_OK; }
  Stmt& Bind(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()),
                      SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& Bind(int i, std::int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  int Step() { return sqlite3_step(s_); }
  /// Ready to run again, with new values.
  void Reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  std::string Text(int col) const {
    const unsigned char* t = sqlite3_column_text(s_, col);
    return t == nullptr ? std::string() : reinterpret_cast<const char*>(t);
  }
  std::int64_t Int(int col) const { return sqlite3_column_int64(s_, col); }

 private:
  sqlite3_stmt* s_ = nullptr;
  int rc_ = SQLITE_ERROR;
};

Status DbError(sqlite3* db, const std::string& path, std::string_view what) {
  return Error(Code::kIoError, "{}: {}: {}", path, what, sqlite3_errmsg(db));
}

// Each accepted row carries n (1, 2, ... in the order accepted) and link,
// the SHA-256 of the link before it and the row's own values (RowText):
// the rows form a hash chain, whose head (n, link) every receipt signs.
constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS accepted (
  sender TEXT NOT NULL, recipient TEXT NOT NULL, seq INTEGER NOT NULL,
  id TEXT NOT NULL, sha256 TEXT NOT NULL, kind TEXT NOT NULL,
  period TEXT NOT NULL, created TEXT NOT NULL, accepted_at TEXT NOT NULL,
  signers TEXT NOT NULL, taken_as TEXT NOT NULL,
  cert TEXT NOT NULL, cert_end TEXT NOT NULL, keys TEXT NOT NULL,
  n INTEGER NOT NULL UNIQUE, link TEXT NOT NULL,
  PRIMARY KEY (sender, recipient, seq));
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit (
  n INTEGER PRIMARY KEY, time TEXT NOT NULL, event TEXT NOT NULL,
  bundle TEXT NOT NULL, detail TEXT NOT NULL);
)";

constexpr std::string_view kFormat = "3";
const std::string kGenesis(64, '0');

// A row's values as its link hashes them: the link before, then each
// value on a line of its own.
std::string RowText(const std::string& prev, const AcceptedBundle& b,
                    const std::string& accepted_at, std::int64_t n) {
  return fmt::format(
      "xjledger/3 row {}\nprev {}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}"
      "\n{}\n{}\n{}\n{}\n",
      n, prev, b.sender, b.recipient, b.seq, b.id, b.sha256, b.kind, b.period,
      b.created, accepted_at, b.signers, b.taken_as, b.by.cert, b.by.cert_end,
      b.by.keys);
}

std::string Link(const std::string& prev, const AcceptedBundle& b,
                 const std::string& accepted_at, std::int64_t n) {
  return keys::Sha256Hex(AsBytes(RowText(prev, b, accepted_at, n)));
}

}  // namespace

Status Ledger::Damaged(std::string_view what) const {
  return Error(Code::kIntegrity,
               "the ledger {} is damaged: {}; it can no longer say what this "
               "office accepted, and nothing is done with it",
               path_, what)
      .WithRemedy(Remedy::kRestoreLedger);
}

// Every row follows the one before; the meta values are well formed.
Status Ledger::CheckChain() {
  {
    Stmt q(db_, "SELECT key, value FROM meta ORDER BY key");
    if (!q.ok()) return DbError(db_, path_, "reading the ledger");
    int rc;
    bool format = false;
    while ((rc = q.Step()) == SQLITE_ROW) {
      std::string key = q.Text(0), value = q.Text(1);
      if (key == "format") {
        format = true;
        if (value != kFormat) {
          return Damaged(
              fmt::format("its format is \"{}\", and this xjpack "
                          "reads format {}",
                          EscapeForDisplay(value), kFormat));
        }
      } else if (key == "high-water-mark") {
        if (!formats::trust::IsUtcTime(value)) {
          return Damaged(
              fmt::format("its high-water mark \"{}\" is not a UTC time",
                          EscapeForDisplay(value)));
        }
      } else {
        return Damaged(fmt::format("it holds an unknown value \"{}\"",
                                   EscapeForDisplay(key)));
      }
    }
    if (rc != SQLITE_DONE) return DbError(db_, path_, "reading the ledger");
    // (An empty ledger is given its format at its opening.)
    if (!format) return Damaged("it names no format");
  }
  Stmt q(db_,
         "SELECT sender, recipient, seq, id, sha256, kind, period, created, "
         "accepted_at, signers, taken_as, n, link, cert, cert_end, keys FROM "
         "accepted ORDER BY n");
  if (!q.ok()) {
    return Damaged(
        fmt::format("its rows are not a ledger's ({})", sqlite3_errmsg(db_)));
  }
  std::string prev = kGenesis;
  std::int64_t want = 1;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) {
    AcceptedBundle b;
    b.sender = q.Text(0);
    b.recipient = q.Text(1);
    b.seq = static_cast<std::uint64_t>(q.Int(2));
    b.id = q.Text(3);
    b.sha256 = q.Text(4);
    b.kind = q.Text(5);
    b.period = q.Text(6);
    b.created = q.Text(7);
    b.signers = q.Text(9);
    b.taken_as = q.Text(10);
    b.by = {q.Text(13), q.Text(14), q.Text(15)};
    std::int64_t n = q.Int(11);
    if (n != want) {
      return Damaged(
          fmt::format("row {} is missing (the next is row {}, "
                      "bundle {}): a row was removed",
                      want, n, EscapeForDisplay(b.id)));
    }
    std::string link = Link(prev, b, q.Text(8), n);
    if (link != q.Text(12)) {
      return Damaged(
          fmt::format("row {} (bundle {}) does not follow the row "
                      "before it: it was changed",
                      n, EscapeForDisplay(b.id)));
    }
    prev = std::move(link);
    ++want;
  }
  if (rc != SQLITE_DONE) return DbError(db_, path_, "reading the ledger");
  head_ = {want - 1, prev};
  return Status::Ok();
}

// Every receipt this office signed names a head its ledger must still
// hold: a ledger cut back behind one (its last rows removed, or an old
// copy put back) is seen here, where the chain alone cannot see it.
Status Ledger::CheckReceipts(const std::string& dir) const {
  if (!os::IsDirectory(dir)) return Status::Ok();
  XJ_ASSIGN_OR_RETURN(std::vector<std::string> names, os::ListDirectory(dir));
  Stmt q(db_, "SELECT link FROM accepted WHERE n=?1");
  if (!q.ok()) return DbError(db_, path_, "reading the ledger");
  for (const std::string& name : names) {
    // A receipt being written (NAME.xjtmp, renamed into place once whole)
    // signed nothing yet: an unpack killed there leaves it, and its rerun
    // writes it again.
    if (name.ends_with(".xjtmp")) continue;
    std::string file =
        stick::In(stick::In(dir, name), stick::kReceiptStatement);
    if (!os::IsRegularFile(file)) continue;
    XJ_ASSIGN_OR_RETURN(Bytes text,
                        os::ReadFile(file, formats::trust::kMaxStatement));
    Result<formats::trust::ReceiptStatement> rc =
        formats::trust::ParseReceipt(AsChars(text));
    if (!rc.ok()) return rc.status().WithContext(file);
    auto rows = static_cast<std::int64_t>(rc->ledger_rows);
    if (rows > head_.n) {
      return Damaged(fmt::format(
          "the receipt {} signed a ledger of {} rows, and it holds {}: rows "
          "were removed, or an older copy was put back",
          file, rows, head_.n));
    }
    q.Reset();
    q.Bind(1, rows);
    if (q.Step() != SQLITE_ROW || q.Text(0) != rc->ledger_link) {
      return Damaged(fmt::format("row {} is not the one the receipt {} signed",
                                 rows, file));
    }
  }
  return Status::Ok();
}

Result<Ledger> Ledger::Open(const Home& home) {
  Ledger l;
  l.path_ = home.root + "/ledger.sqlite";
  int rc = sqlite3_open_v2(
      l.path_.c_str(), &l.db_,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW,
      nullptr);
  if (rc != SQLITE_OK) {
    Status s =
        l.db_ ? DbError(l.db_, l.path_, "opening the ledger")
              : Error(Code::kIoError, "{}: cannot open the ledger", l.path_);
    return s;
  }
  sqlite3_busy_timeout(l.db_, 10000);
  // Rollback journal, flushed at every commit: a killed process leaves the
  // ledger before or after a change, and the next opening rolls back.
  XJ_RETURN_IF_ERROR(l.Exec("PRAGMA journal_mode=DELETE"));
  XJ_RETURN_IF_ERROR(l.Exec("PRAGMA synchronous=FULL"));
  XJ_RETURN_IF_ERROR(l.Exec("BEGIN IMMEDIATE"));
  Status made = l.Exec(kSchema);
  if (made.ok()) {
    made = l.Exec(
        "INSERT INTO meta (key, value) SELECT 'format', '3' WHERE NOT EXISTS "
        "(SELECT 1 FROM accepted) AND NOT EXISTS (SELECT 1 FROM meta WHERE "
        "key='format')");
  }
  if (!made.ok()) {
    (void)l.Exec("ROLLBACK");
    return l.Damaged("its tables are not a ledger's (" + made.message() + ")");
  }
  XJ_RETURN_IF_ERROR(l.Exec("COMMIT"));
  os::SetMode(l.path_, 0600);
  XJ_RETURN_IF_ERROR(l.CheckChain());
  XJ_RETURN_IF_ERROR(
      l.CheckReceipts(stick::In(home.outbox(), std::string(stick::kReceipts))));
  return l;
}

Ledger::Ledger(Ledger&& o) noexcept
    : db_(o.db_), path_(std::move(o.path_)), head_(std::move(o.head_)) {
  o.db_ = nullptr;
}

Ledger& Ledger::operator=(Ledger&& o) noexcept {
  if (this != &o) {
    if (db_ != nullptr) sqlite3_close(db_);
    db_ = o.db_;
    path_ = std::move(o.path_);
    head_ = std::move(o.head_);
    o.db_ = nullptr;
  }
  return *this;
}

Ledger::~Ledger() {
  if (db_ != nullptr) sqlite3_close(db_);
}

Status Ledger::Exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string m = err ? err : "unknown error";
    sqlite3_free(err);
    return Error(Code::kIoError, "{}: {}", path_, m);
  }
  return Status::Ok();
}

Result<std::pair<std::uint64_t, std::string>> Ledger::LastOf(
    const std::string& sender, const std::string& recipient) const {
  Stmt q(db_,
         "SELECT seq, sha256 FROM accepted WHERE sender=?1 AND recipient=?2 "
         "ORDER BY seq DESC LIMIT 1");
  if (!q.ok()) return DbError(db_, path_, "reading the ledger");
  q.Bind(1, sender).Bind(2, recipient);
  int rc = q.Step();
  if (rc == SQLITE_ROW) {
    return std::pair{static_cast<std::uint64_t>(q.Int(0)), q.Text(1)};
  }
  if (rc != SQLITE_DONE) return DbError(db_, path_, "reading the ledger");
  return std::pair<std::uint64_t, std::string>{0, "none"};
}

Result<Admission> Ledger::Admit(const formats::trust::BundleStatement& st,
                                const std::string& sha256, bool allow_jump,
                                std::string_view late_period) const {
  Admission a;
  {
    Stmt q(db_,
           "SELECT sha256, accepted_at FROM accepted WHERE sender=?1 AND "
           "recipient=?2 AND seq=?3");
    if (!q.ok()) return DbError(db_, path_, "reading the ledger");
    q.Bind(1, st.sender)
        .Bind(2, st.recipient)
        .Bind(3, static_cast<std::int64_t>(st.seq));
    int rc = q.Step();
    if (rc == SQLITE_ROW) {
      if (q.Text(0) == sha256) {
        a.kind = Admission::kAlreadyAccepted;
        a.accepted_at = q.Text(1);
        return a;
      }
      return Error(Code::kRejected,
                   "equivocation: bundle {} (seq {} from {}) was accepted on "
                   "{} with other content (statement {}), and this one "
                   "differs",
                   st.id, st.seq, st.sender, q.Text(1), q.Text(0));
    }
    if (rc != SQLITE_DONE) return DbError(db_, path_, "reading the ledger");
  }
  XJ_ASSIGN_OR_RETURN(auto last, LastOf(st.sender, st.recipient));
  // Periods go forward: one older than the newest of its kind accepted
  // from the sender is refused, unless this office takes it late.
  {
    Stmt q(db_,
           "SELECT max(period) FROM accepted WHERE sender=?1 AND "
           "recipient=?2 AND kind=?3");
    if (!q.ok()) return DbError(db_, path_, "reading the ledger");
    q.Bind(1, st.sender).Bind(2, st.recipient).Bind(3, st.kind);
    if (q.Step() != SQLITE_ROW)
      return DbError(db_, path_, "reading the ledger");
    std::string newest = q.Text(0);
    if (!newest.empty() && st.period < newest && st.period != late_period) {
      return Error(Code::kRejected,
                   "period backwards: bundle {} is a {} of the period {}, and "
                   "this office has accepted the {} of {} from {} already",
                   st.id, st.kind, st.period, st.kind, newest, st.sender)
          .WithRemedy(Remedy::kAcceptPeriod, st.period);
    }
  }
  if (st.seq < last.first) {
    return Error(Code::kRejected,
                 "replay: bundle {} has seq {}, and bundles of this stream up "
                 "to seq {} are already accepted",
                 st.id, st.seq, last.first);
  }
  if (st.seq > last.first + kMaxSeqJump && !allow_jump) {
    return Error(Code::kRejected,
                 "bundle {} jumps to seq {} from the last accepted {} (more "
                 "than {} ahead)",
                 st.id, st.seq, last.first, kMaxSeqJump)
        .WithRemedy(Remedy::kAcceptSeqJump);
  }
  if (st.prev != last.second && last.first != 0) {
    a.warnings.push_back(fmt::format(
        "bundles are missing between seq {} and {} of the stream from {}",
        last.first, st.seq, st.sender));
  } else if (last.first == 0 && st.seq != 1) {
    a.warnings.push_back(
        fmt::format("the first bundle this office accepts from {} has seq {}",
                    st.sender, st.seq));
  }
  return a;
}

namespace {

constexpr const char* kSelectAccepted =
    "SELECT sha256, accepted_at FROM accepted WHERE sender=?1 AND "
    "recipient=?2 AND seq=?3";

// Whether a held statement is accepted already (false: new); `q` is
// kSelectAccepted, prepared.
Result<bool> AdmitHeldWith(Stmt& q, sqlite3* db, const std::string& path,
                           const formats::trust::BundleStatement& st,
                           const std::string& sha256) {
  q.Reset();
  q.Bind(1, st.sender)
      .Bind(2, st.recipient)
      .Bind(3, static_cast<std::int64_t>(st.seq));
  int rc = q.Step();
  if (rc == SQLITE_ROW) {
    if (q.Text(0) == sha256) return true;
    return Error(Code::kRejected,
                 "equivocation: the held bundle {} (seq {} from {}) differs "
                 "from the one accepted on {} (statement {})",
                 st.id, st.seq, st.sender, q.Text(1), q.Text(0));
  }
  if (rc != SQLITE_DONE) return DbError(db, path, "reading the ledger");
  return false;
}

}  // namespace

Result<bool> Ledger::AdmitHeld(const formats::trust::BundleStatement& st,
                               const std::string& sha256) const {
  Stmt q(db_, kSelectAccepted);
  if (!q.ok()) return DbError(db_, path_, "reading the ledger");
  return AdmitHeldWith(q, db_, path_, st, sha256);
}

AcceptedBundle AcceptedFrom(const formats::trust::BundleStatement& st,
                            std::string sha256, std::string signers) {
  AcceptedBundle b;
  b.id = st.id;
  b.sender = st.sender;
  b.recipient = st.recipient;
  b.seq = st.seq;
  b.sha256 = std::move(sha256);
  b.kind = st.kind;
  b.period = st.period;
  b.created = st.created;
  b.signers = std::move(signers);
  return b;
}

Result<std::optional<Ledger::LastSigned>> Ledger::LastSignedBy(
    const std::string& sender, const std::string& id,
    const std::string& created) const {
  Stmt q(db_,
         "SELECT cert, cert_end, keys, id, created FROM accepted WHERE "
         "sender=?1 AND cert != '' AND taken_as != 'copy' AND id != ?2 AND "
         "created <= ?3 ORDER BY created DESC, n DESC LIMIT 1");
  if (!q.ok()) return DbError(db_, path_, "reading the ledger");
  q.Bind(1, sender).Bind(2, id).Bind(3, created);
  int rc = q.Step();
  if (rc == SQLITE_ROW) {
    return std::optional<LastSigned>(
        LastSigned{{q.Text(0), q.Text(1), q.Text(2)}, q.Text(3), q.Text(4)});
  }
  if (rc != SQLITE_DONE) return DbError(db_, path_, "reading the ledger");
  return std::optional<LastSigned>();
}

Result<std::vector<std::pair<std::string, SignedBy>>> Ledger::HeldIn(
    const std::string& id) const {
  Stmt q(db_,
         "SELECT id, cert, cert_end, keys FROM accepted WHERE signers=?1 AND "
         "taken_as='held' ORDER BY id");
  if (!q.ok()) return DbError(db_, path_, "reading the ledger");
  q.Bind(1, "held in " + id);
  std::vector<std::pair<std::string, SignedBy>> out;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW)
    out.push_back({q.Text(0), {q.Text(1), q.Text(2), q.Text(3)}});
  if (rc != SQLITE_DONE) return DbError(db_, path_, "reading the ledger");
  return out;
}

AcceptedBundle AcceptedFrom(const HeldStatement& held, std::string signers) {
  AcceptedBundle b =
      AcceptedFrom(held.statement, held.sha256, std::move(signers));
  b.by = held.by;
  return b;
}

Result<std::vector<HeldStatement>> Ledger::NewHeld(
    const std::vector<HeldStatement>& held) const {
  std::vector<HeldStatement> fresh;
  // Each stream position seen among the held, with its statement's hash.
  std::map<std::tuple<std::string, std::string, std::uint64_t>, std::string>
      seen;
  Stmt q(db_, kSelectAccepted);
  if (!q.ok()) return DbError(db_, path_, "reading the ledger");
  for (const HeldStatement& h : held) {
    const formats::trust::BundleStatement& st = h.statement;
    XJ_ASSIGN_OR_RETURN(bool known, AdmitHeldWith(q, db_, path_, st, h.sha256));
    auto [at, first] = seen.emplace(
        std::make_tuple(st.sender, st.recipient, st.seq), h.sha256);
    if (!first) {
      if (at->second != h.sha256) {
        return Error(Code::kRejected,
                     "equivocation: two held bundles {} with other content",
                     st.id);
      }
      continue;
    }
    if (!known) fresh.push_back(h);
  }
  return fresh;
}

Status Ledger::Accept(const AcceptedBundle& b, std::int64_t clock) {
  return AcceptAll({b}, clock);
}

Status Ledger::AcceptAll(const std::vector<AcceptedBundle>& bundles,
                         std::int64_t clock) {
  XJ_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  Status s = Insert(bundles, clock);
  if (!s.ok()) {
    (void)Exec("ROLLBACK");
    return s;
  }
  XJ_RETURN_IF_ERROR(Exec("COMMIT"));
  head_ = pending_head_;
  return Status::Ok();
}

// Each statement prepared once, for all the bundles (a merged bundle
// brings its thousands of held ones).
Status Ledger::Insert(const std::vector<AcceptedBundle>& bundles,
                      std::int64_t clock) {
  auto failed = [&](std::string_view what) {
    return DbError(db_, path_, what);
  };
  Stmt accepted(db_,
                "INSERT INTO accepted (sender, recipient, seq, id, sha256, "
                "kind, period, created, accepted_at, signers, taken_as, n, "
                "link, cert, cert_end, keys) VALUES "
                "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16)");
  Stmt mark(db_,
            "INSERT INTO meta (key, value) VALUES ('high-water-mark', ?1) ON "
            "CONFLICT(key) DO UPDATE SET value = max(value, excluded.value)");
  Stmt audit(
      db_,
      "INSERT INTO audit (time, event, bundle, detail) VALUES (?1,?2,?3,?4)");
  if (!accepted.ok() || !mark.ok()) return failed("writing the ledger");
  if (!audit.ok()) return failed("writing the audit log");
  std::string now = os::FormatUtc(clock);
  // The high-water mark: never lowered, never past the clock + 24 h.
  std::string cap = os::FormatUtc(clock + kDay);
  // The chain goes on from the head as it is now, in this transaction (a
  // writer that came between the opening and now is seen here).
  XJ_ASSIGN_OR_RETURN(Head head, ReadHead());
  for (const AcceptedBundle& b : bundles) {
    ++head.n;
    head.link = Link(head.link, b, now, head.n);
    accepted.Reset();
    accepted.Bind(1, b.sender)
        .Bind(2, b.recipient)
        .Bind(3, static_cast<std::int64_t>(b.seq));
    accepted.Bind(4, b.id).Bind(5, b.sha256).Bind(6, b.kind).Bind(7, b.period);
    accepted.Bind(8, b.created).Bind(9, now).Bind(10, b.signers);
    accepted.Bind(11, b.taken_as).Bind(12, head.n).Bind(13, head.link);
    accepted.Bind(14, b.by.cert).Bind(15, b.by.cert_end).Bind(16, b.by.keys);
    if (accepted.Step() != SQLITE_DONE) return failed("writing the ledger");
    mark.Reset();
    mark.Bind(1, std::min(b.created, cap));
    if (mark.Step() != SQLITE_DONE) return failed("writing the ledger");
    std::string detail = fmt::format("from {} seq {} signed by {} statement {}",
                                     b.sender, b.seq, b.signers, b.sha256);
    if (!b.override_reason.empty())
      detail += fmt::format("; override: {}", b.override_reason);
    audit.Reset();
    audit.Bind(1, now)
        .Bind(2, b.taken_as == "copy" ? "copy" : "accepted")
        .Bind(3, b.id)
        .Bind(4, detail);
    if (audit.Step() != SQLITE_DONE) return failed("writing the audit log");
  }
  pending_head_ = head;
  return Status::Ok();
}

// The last row's number and link, as the ledger holds them now.
Result<Ledger::Head> Ledger::ReadHead() const {
  Stmt q(db_, "SELECT n, link FROM accepted ORDER BY n DESC LIMIT 1");
  if (!q.ok()) return DbError(db_, path_, "reading the ledger");
  int rc = q.Step();
  if (rc == SQLITE_ROW) return Head{q.Int(0), q.Text(1)};
  if (rc != SQLITE_DONE) return DbError(db_, path_, "reading the ledger");
  return Head{0, kGenesis};
}

Status Ledger::Audit(std::string_view event, std::string_view bundle,
                     std::string_view detail, std::int64_t clock) {
  Stmt q(
      db_,
      "INSERT INTO audit (time, event, bundle, detail) VALUES (?1,?2,?3,?4)");
  if (!q.ok()) return DbError(db_, path_, "writing the audit log");
  q.Bind(1, os::FormatUtc(clock))
      .Bind(2, event)
      .Bind(3, bundle)
      .Bind(4, detail);
  if (q.Step() != SQLITE_DONE)
    return DbError(db_, path_, "writing the audit log");
  return Status::Ok();
}

Result<std::vector<Ledger::AuditEntry>> Ledger::AuditLog() const {
  Stmt q(db_, "SELECT time, event, bundle, detail FROM audit ORDER BY n");
  if (!q.ok()) return DbError(db_, path_, "reading the audit log");
  std::vector<AuditEntry> out;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW)
    out.push_back({q.Text(0), q.Text(1), q.Text(2), q.Text(3)});
  if (rc != SQLITE_DONE) return DbError(db_, path_, "reading the audit log");
  return out;
}

Result<std::string> Ledger::HighWaterMark() const {
  Stmt q(db_, "SELECT value FROM meta WHERE key='high-water-mark'");
  if (!q.ok()) return DbError(db_, path_, "reading the ledger");
  int rc = q.Step();
  if (rc == SQLITE_ROW) return q.Text(0);
  if (rc != SQLITE_DONE) return DbError(db_, path_, "reading the ledger");
  return std::string();
}

Result<std::string> Ledger::EffectiveNow(std::int64_t clock) const {
  XJ_ASSIGN_OR_RETURN(std::string mark, HighWaterMark());
  return std::max(os::FormatUtc(clock), mark);
}

}  // namespace xj::pack
