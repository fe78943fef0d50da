// Unpacking: verify, decrypt a quarantined copy, extract safely, check the
// bag and every bundle it holds, move it into place, record it in the
// ledger and sign a receipt.

#include <algorithm>
#include <chrono>
#include <future>
#include <map>
#include <optional>
#include <set>

#include "base/os.h"
#include "bundle/authenticate.h"
#include "bundle/bag_check.h"
#include "bundle/held.h"
#include "bundle/held_schools.h"
#include "bundle/volumes.h"
#include "formats/bagit.h"
#include "libpack/bundle.h"
#include "libpack/key_changes.h"
#include "libpack/ledger.h"
#include "libpack/media.h"
#include "libpack/office.h"
#include "libpack/stick.h"

namespace xj::pack {
namespace {

namespace bagit = formats::bagit;
namespace ft = formats::trust;
using bundle::AllRecipients;
using bundle::Authenticate;
using bundle::CheckPayloadHeader;
using bundle::CheckSchoolBag;
using bundle::CopyVolumesIn;
using bundle::HeldCheck;
using bundle::Inventory;
using bundle::LimitsOf;
using bundle::LocateVolumes;
using bundle::OpenPayload;
using bundle::PayloadLimits;
using bundle::TakeInventory;
using bundle::VerifyHeld;
using bundle::WriteFileSynced;
using formats::minisign::KeyIdToString;
using keys::Sha512Hex;
using stick::kChain;

// Whether this office reads the bundle as one of its copy-to offices (not
// its recipient): a copy is never intake.
bool IsCopy(const UnpackRequest& req, const ft::BundleStatement& st) {
  const TrustStore* store = req.trust.store;
  return store != nullptr && store->office().code != st.recipient &&
         std::find(st.copy_to.begin(), st.copy_to.end(),
                   store->office().code) != st.copy_to.end();
}

// The receipt: signed by this office, with its chain, in the outbox (for
// the bundle's recipient, or as a copy for a copy-to office, when unpack
// was given the key to sign it).
Status WriteReceipt(const UnpackRequest& req, const BundleReport& r,
                    std::int64_t clock, UnpackResult* out) {
  const TrustStore* store = req.trust.store;
  const ft::BundleStatement& st = r.statement;
  bool copy = IsCopy(req, st);
  if (req.receipt_key == nullptr || store == nullptr ||
      req.receipts_dir.empty() ||
      (store->office().code != st.recipient && !copy)) {
    return Status::Ok();
  }
  ft::ReceiptStatement rc;
  rc.bundle = st.id;
  rc.bundle_sha256 = r.statement_sha256;
  rc.sender = st.sender;
  rc.recipient = st.recipient;
  rc.seq = st.seq;
  rc.received = os::FormatUtc(clock);
  rc.taken_as = copy ? "copy" : "intake";
  rc.by = store->office().code;
  // The ledger's head, now that the bundle is recorded: what the office
  // had accepted up to this receipt, signed.
  if (req.ledger == nullptr || req.ledger->head().n == 0) {
    return Status(Code::kInternal, "a receipt needs the ledger's head");
  }
  rc.ledger_rows = static_cast<std::uint64_t>(req.ledger->head().n);
  rc.ledger_link = req.ledger->head().link;
  // Who signed it, and each bundle taken in with it: a school reading the
  // receipt sees what was sent in its name.
  auto signed_line = [](const std::string& id, const SignedBy& by) {
    ft::ReceiptStatement::SignedBy s{id, by.cert, {}};
    for (std::string_view k : ft::SplitSpaces(by.keys)) s.keys.emplace_back(k);
    return s;
  };
  if (SignedBy by = SignedByOf(r); !by.cert.empty() && !by.keys.empty())
    rc.signed_by.push_back(signed_line(st.id, by));
  XJ_ASSIGN_OR_RETURN(auto held, req.ledger->HeldIn(st.id));
  for (const auto& [id, by] : held) {
    if (!by.cert.empty() && !by.keys.empty())
      rc.signed_by.push_back(signed_line(id, by));
  }
  std::string text = ft::SerializeReceipt(rc);
  XJ_ASSIGN_OR_RETURN(pack::trust::TrustedOffice own,
                      store->OwnCertificate({os::FormatUtc(clock), false}));
  auto key = std::find_if(own.cert.keys.begin(), own.cert.keys.end(),
                          [&](const ft::KeyEntry& k) {
                            return k.key.key_id == req.receipt_key->key_id();
                          });
  if (key == own.cert.keys.end()) {
    return Error(Code::kBadKey,
                 "the bundle is accepted, but the receipt key {} is not "
                 "certified for {}",
                 KeyIdToString(req.receipt_key->key_id()), rc.by);
  }
  XJ_ASSIGN_OR_RETURN(std::string sig, pack::trust::SignStatement(
                                           text, "receipt", st.id, key->role,
                                           *req.receipt_key, clock));
  XJ_RETURN_IF_ERROR(os::MakeDirectories(req.receipts_dir, 0700));
  std::string dir = req.receipts_dir + "/" + st.id;
  std::string tmp = dir + ".xjtmp";
  RemoveTree(tmp);
  XJ_RETURN_IF_ERROR(os::MakeDirectories(stick::In(tmp, kChain), 0700));
  XJ_RETURN_IF_ERROR(
      WriteFileSynced(stick::In(tmp, stick::kReceiptStatement), text, 0644));
  XJ_RETURN_IF_ERROR(WriteFileSynced(
      tmp + "/" +
          pack::trust::SignatureFileName(std::string(stick::kReceiptStatement),
                                         req.receipt_key->key_id()),
      sig, 0644));
  ChainFiles chain = store->ChainFor(own);
  // The province's school lists go down with receipts: those of the
  // sender's counties (a county's own, a city's counties').
  if (st.sender.size() <= 6)
    chain.schools = store->SchoolListsWithin(st.sender);
  for (const auto* list :
       {&chain.roots, &chain.certs, &chain.crls, &chain.schools}) {
    for (const pack::trust::SignedText& t : *list)
      XJ_RETURN_IF_ERROR(WriteSignedText(stick::In(tmp, kChain), t));
  }
  XJ_RETURN_IF_ERROR(os::SyncDirectory(stick::In(tmp, kChain)));
  XJ_RETURN_IF_ERROR(os::SyncDirectory(tmp));
  RemoveTree(dir);  // a receipt of the same bundle written before
  XJ_RETURN_IF_ERROR(os::RenameNoReplace(tmp, dir));
  XJ_RETURN_IF_ERROR(os::SyncDirectory(req.receipts_dir));
  out->receipt_dir = dir;
  return Status::Ok();
}

// After the bag is in place: the ledger records the bundle (one
// transaction), then the recipient signs its receipt.
Status Record(const UnpackRequest& req, const BundleReport& r,
              std::int64_t clock, UnpackResult* out,
              const std::vector<HeldStatement>& held,
              const pack::trust::CrlsSeen& seen) {
  if (req.ledger == nullptr) {
    out->crls = seen.Newest();  // for the merge that takes it
    return Status::Ok();
  }
  // The bundle and every bundle it holds, in one transaction.
  // A copy is recorded as a copy, and what it holds not at all: it is
  // another office's intake, never this one's.
  const ft::BundleStatement& st = r.statement;
  bool copy = IsCopy(req, st);
  std::vector<AcceptedBundle> all;
  for (const HeldStatement& h : held) {
    if (copy) break;
    all.push_back(AcceptedFrom(h, "held in " + r.statement.id));
    all.back().taken_as = "held";
  }
  AcceptedBundle b = AcceptedFrom(st, r.statement_sha256, Signers(r));
  b.by = SignedByOf(r);
  b.override_reason = req.seq_jump_override;
  if (!req.late_period.empty() && st.period == req.late_period) {
    b.override_reason +=
        fmt::format("{}the period {} taken late",
                    b.override_reason.empty() ? "" : "; ", st.period);
  }
  if (copy) b.taken_as = "copy";
  out->taken_as = b.taken_as;
  all.push_back(std::move(b));
  XJ_RETURN_IF_ERROR(req.ledger->AcceptAll(all, clock));
  const TrustStore* store = req.trust.store;
  // Root rotations and newer revocation lists the chain carried are kept,
  // and those the chains of the bundles it holds carried (a county's, that
  // revokes a school): whoever is below a sender learns what its parents
  // revoked.
  if (store != nullptr && r.chain_files) {
    Result<std::vector<std::string>> learned = LearnFromChain(
        store->home(), *r.chain_files,
        req.trust.now.empty() ? os::FormatUtc(clock) : req.trust.now);
    if (learned.ok()) {
      out->learned = std::move(learned).value();
    } else {
      out->learned_error = learned.status().message();
    }
  }
  out->crls = seen.Newest();
  if (store != nullptr) {
    Result<std::vector<std::string>> kept =
        KeepVerifiedCrls(store->home(), out->crls);
    if (kept.ok()) {
      for (std::string& n : *kept) out->learned.push_back(std::move(n));
    } else if (out->learned_error.empty()) {
      out->learned_error = kept.status().message();
    }
  }
  return WriteReceipt(req, r, clock, out);
}

}  // namespace

// "clerk 0123..., leader 4567...": the signatures that counted.
std::string Signers(const BundleReport& r) {
  std::vector<std::string> signers;
  for (const SignatureReport& s : r.signatures) {
    if (s.valid) signers.push_back(s.role + " " + s.key_id);
  }
  return fmt::format("{}", fmt::join(signers, ", "));
}

Status CheckSchoolsOnce(const std::vector<HeldSchool>& schools,
                        std::string_view where) {
  // The bundles that hold it, from the top down.
  auto holders = [](const HeldSchool& s) {
    std::vector<std::string> h = s.path;
    if (!h.empty() && h.back() == s.bundle) h.pop_back();
    return fmt::format("{}", fmt::join(h, " / "));
  };
  std::map<std::string_view, const HeldSchool*> seen;
  for (const HeldSchool& s : schools) {
    auto [at, fresh] = seen.emplace(s.school, &s);
    if (fresh) continue;
    return Error(Code::kRejected,
                 "{} holds school {} twice: bundle {} (in {}) and bundle {} "
                 "(in {}); a school is counted once",
                 where, s.school, at->second->bundle, holders(*at->second),
                 s.bundle, holders(s));
  }
  return Status::Ok();
}

SignedBy SignedByOf(const BundleReport& r) {
  SignedBy by;
  by.cert = r.sender_cert;
  by.cert_end = r.sender_cert_end;
  std::set<std::string> keys;
  for (const SignatureReport& s : r.signatures) {
    if (s.valid) keys.insert(s.key_id);
  }
  by.keys = fmt::format("{}", fmt::join(keys, " "));
  return by;
}

namespace {

// Who signed what it brings, against what this office took in before: a
// new certificate or key is shown; under --strict a new certificate while
// the old one still counts is refused. (A copy is only read; `held`: the
// held bundles new to the ledger.)
Status NoticeKeyChanges(const UnpackRequest& req, BundleReport* r,
                        const std::vector<HeldStatement>& held,
                        const pack::trust::CrlsSeen& seen) {
  if (req.ledger == nullptr || IsCopy(req, r->statement)) return Status::Ok();
  std::vector<HeldStatement> all = held;
  all.push_back({r->statement, r->statement_sha256, SignedByOf(*r)});
  XJ_ASSIGN_OR_RETURN(std::vector<KeyChange> changes,
                      FindKeyChanges(*req.ledger, all, seen.Newest()));
  for (const KeyChange& k : changes) {
    if (req.trust.strict && !k.excused) {
      return Error(Code::kRejected, "{}: refused (strict)", k.message)
          .WithRemedy(Remedy::kRevokeOldCertificate);
    }
    r->warnings.push_back(k.message);
  }
  return Status::Ok();
}

// The key that would sign the receipt is certified for this office: checked
// before anything is recorded.
Status CheckReceiptKey(const UnpackRequest& req, const BundleReport& r,
                       std::int64_t clock) {
  if (req.receipt_key == nullptr || req.trust.store == nullptr ||
      (req.trust.store->office().code != r.statement.recipient &&
       !IsCopy(req, r.statement))) {
    return Status::Ok();
  }
  XJ_ASSIGN_OR_RETURN(
      pack::trust::TrustedOffice own,
      req.trust.store->OwnCertificate({os::FormatUtc(clock), false}));
  if (std::none_of(own.cert.keys.begin(), own.cert.keys.end(),
                   [&](const ft::KeyEntry& k) {
                     return k.key.key_id == req.receipt_key->key_id();
                   })) {
    return Error(Code::kBadKey,
                 "the key {} that would sign the receipt is not certified "
                 "for {}; nothing was unpacked",
                 KeyIdToString(req.receipt_key->key_id()),
                 req.trust.store->office().code);
  }
  return Status::Ok();
}

// A missing destination is made (not its parents), and removed again if
// the unpack fails.
struct MadeOutput {
  std::string dir;
  bool keep = false;
  ~MadeOutput() {
    if (!dir.empty() && !keep) os::RemoveEmptyDirectory(dir);
  }
};

Status MakeOutput(const std::string& output, MadeOutput* made) {
  if (os::Exists(output)) {
    if (!os::IsDirectory(output))
      return Error(Code::kInvalidArgument, "{} is not a folder", output);
    return Status::Ok();
  }
  if (!os::IsDirectory(os::DirName(output))) {
    return Error(Code::kNotFound, "{}: no such folder", os::DirName(output));
  }
  XJ_RETURN_IF_ERROR(os::MakeDirectory(output, 0700));
  made->dir = output;
  return Status::Ok();
}

// The bag already in place: an unpack killed between moving it there and
// recording it is completed, if the bag there is this bundle's.
Result<UnpackResult> CompleteInterrupted(const UnpackRequest& req,
                                         BundleReport r, std::int64_t clock,
                                         const std::string& final_dir,
                                         const TrustSource& held_trust,
                                         const pack::trust::CrlsSeen& seen) {
  Result<Bytes> tm =
      os::ReadFile(stick::In(final_dir, bagit::kTagManifest), 1 << 20);
  if (req.ledger == nullptr || !tm.ok() ||
      Sha512Hex(*tm) != r.statement.bag_tagmanifest_sha512) {
    return Error(Code::kAlreadyExists, "{} already exists", final_dir)
        .WithHint("unpack into another folder, or move the old copy away");
  }
  // Nothing is recorded that was not read again: every file against the
  // manifest, and nothing beside them.
  if (Status placed = bundle::CheckPlacedBag(final_dir, &r); !placed.ok()) {
    return Status(placed.code(),
                  fmt::format("{} holds this bundle's bag, changed since it "
                              "was unpacked; nothing was recorded: {}",
                              final_dir, placed.message()))
        .WithHint("move the folder away and unpack the bundle again");
  }
  UnpackResult out;
  // The held bundles too, as the interrupted run would have.
  std::vector<HeldStatement> held;
  if (!r.statement.children.empty() && req.trust.store != nullptr) {
    XJ_ASSIGN_OR_RETURN(out.schools,
                        VerifyHeld(final_dir, r.statement, held_trust, &held));
    XJ_ASSIGN_OR_RETURN(held, req.ledger->NewHeld(held));
  }
  XJ_RETURN_IF_ERROR(NoticeKeyChanges(req, &r, held, seen));
  XJ_RETURN_IF_ERROR(Record(req, r, clock, &out, held, seen));
  out.report = std::move(r);
  out.bag_dir = final_dir;
  return out;
}

// Room for the quarantined volumes and the bag beside them.
Status CheckRoomToUnpack(const UnpackRequest& req, const BundleReport& r) {
  XJ_ASSIGN_OR_RETURN(MediaInfo where, ProbeMedia(req.output));
  XJ_ASSIGN_OR_RETURN(PayloadLimits limits, LimitsOf(r.statement));
  std::uint64_t needed = limits.octets + (limits.files + 8) * 4096;
  for (const auto& v : r.statement.volumes) needed += v.size;
  return CheckRoom(where, req.output, needed,
                   "unpacking (the volumes and the bag)",
                   "free some space, or unpack elsewhere");
}

// After the extraction: the bag flushed to the disk and, for a merged
// bundle, every bundle it holds checked, down to the schools.
struct Settled {
  std::vector<HeldSchool> schools;
  // The bundles held at every depth, as checked; of those, the ones new to
  // the ledger.
  std::vector<HeldStatement> held, fresh;
  double held_seconds = 0, held_beyond = 0, flush_seconds = 0;
};

// Everything extracted reaches the disk before it appears in place. The
// flush runs on its own thread while the held bundles are checked (the
// check only reads), so on a disk the check mostly fits in the time the
// flush takes anyway. Whatever fails, the flush is waited for before the
// quarantine is removed.
Result<Settled> FlushAndCheckHeld(const UnpackRequest& req,
                                  const BundleReport& r,
                                  const TrustSource& held_trust,
                                  const std::string& quarantine,
                                  const std::string& bag, HeldCheck* early) {
  using Clock = std::chrono::steady_clock;
  Settled out;
  XJ_ASSIGN_OR_RETURN(os::Dir q, os::Dir::Open(quarantine));
  Clock::time_point flush_start = Clock::now(), flush_end = flush_start;
  std::future<Status> flushed =
      std::async(std::launch::async, [&q, &flush_end] {
        Status s = q.SyncFileSystem();
        flush_end = Clock::now();
        return s;
      });
  if (!r.statement.children.empty()) {
    Result<std::vector<HeldSchool>> checked =
        early != nullptr ? early->Finish(&out.held)
                         : VerifyHeld(bag, r.statement, held_trust, &out.held);
    Clock::time_point held_end = Clock::now();
    Status synced = flushed.get();
    XJ_ASSIGN_OR_RETURN(out.schools, std::move(checked));
    XJ_RETURN_IF_ERROR(synced);
    out.held_seconds =
        std::chrono::duration<double>(held_end - flush_start).count();
    out.held_beyond = std::max(
        0.0, std::chrono::duration<double>(held_end - flush_end).count());
    // Nested streams: a held bundle equivocating with one accepted before
    // is refused.
    if (req.ledger != nullptr) {
      XJ_ASSIGN_OR_RETURN(out.fresh, req.ledger->NewHeld(out.held));
    }
  } else {
    XJ_RETURN_IF_ERROR(flushed.get());
  }
  out.flush_seconds =
      std::chrono::duration<double>(flush_end - flush_start).count();
  return out;
}

// The children a merged bundle holds that this office had accepted
// before (in an earlier bundle of the stream, or directly): re-sent, so
// that nobody counts them twice without being told.
void ReportResent(const ft::BundleStatement& st,
                  const std::vector<HeldStatement>& held,
                  const std::vector<HeldStatement>& fresh,
                  std::vector<std::string>* warnings) {
  if (fresh.size() == held.size()) return;
  std::set<std::string> is_new;
  for (const auto& f : fresh) is_new.insert(f.statement.id);
  std::vector<std::string> again;
  for (const ft::Child& c : st.children) {
    if (is_new.count(c.id) == 0) again.push_back(c.id);
  }
  if (again.empty()) return;
  std::size_t shown = std::min<std::size_t>(again.size(), 5);
  warnings->push_back(fmt::format(
      "{} re-sends {} of its {} children that this office accepted before "
      "(the same statements): {}{}; they are not new data",
      st.id, again.size(), st.children.size(),
      fmt::join(again.begin(), again.begin() + shown, ", "),
      again.size() > shown ? ", ..." : ""));
}

}  // namespace

Result<UnpackResult> Unpack(const UnpackRequest& req) {
  auto unpack_start = std::chrono::steady_clock::now();
  if (req.trust.empty()) {
    return Status(Code::kInvalidArgument,
                  "unpack trusts only signed data: it needs an office home, "
                  "or the sender's public key, to trust the bundle")
        .WithRemedy(Remedy::kInit);
  }
  if (req.identities == nullptr || req.identities->empty()) {
    return Status(Code::kInvalidArgument, "unpack needs the office identity")
        .WithRemedy(Remedy::kIdentity);
  }
  XJ_ASSIGN_OR_RETURN(Inventory inv, TakeInventory(req.dirs));
  XJ_ASSIGN_OR_RETURN(BundleReport r, Authenticate(inv, req.trust, true));
  // The bundles it holds are judged with its revocation lists too; every
  // list met is kept.
  pack::trust::CrlsSeen seen;
  for (const pack::trust::VerifiedCrl& c : r.crls) seen.Offer(c);
  const TrustSource held_trust = bundle::HeldTrust(req.trust, r, &seen);
  if (r.trust == "chain" && !r.addressed) {
    return Error(Code::kRejected,
                 "the bundle is addressed to {}, not to this office ({})",
                 fmt::join(AllRecipients(r.statement), ", "),
                 req.trust.store->office().code);
  }
  // A delivery follows the route the notice lays down.
  if (r.trust == "chain" &&
      r.statement.recipient == req.trust.store->office().code) {
    XJ_RETURN_IF_ERROR(bundle::CheckRoute(r, req.trust.store->office().code));
  }
  // Strict: audit errors pass only with a leader's signed reason.
  if (req.trust.strict && r.statement.audit && r.statement.audit->errors > 0 &&
      SignedAllowErrors(r).empty()) {
    return Error(Code::kRejected,
                 "the audit signed in {} found {} error(s), and no leader's "
                 "signature gives a reason for them: refused (strict)",
                 r.statement.id, r.statement.audit->errors);
  }
  if (req.now <= 0) {
    return Status(Code::kInternal, "unpack was not given the time");
  }
  std::int64_t clock = req.now;
  XJ_RETURN_IF_ERROR(CheckReceiptKey(req, r, clock));
  if (r.statement.created > os::FormatUtc(clock + 86400)) {
    return Error(Code::kRejected,
                 "the bundle was created {}, more than a day after this "
                 "machine's clock ({}): refused until the clock is checked",
                 r.statement.created, os::FormatUtc(clock));
  }
  std::string final_dir = stick::In(req.output, r.statement.id);
  if (req.ledger != nullptr) {
    XJ_ASSIGN_OR_RETURN(
        Admission a,
        req.ledger->Admit(r.statement, r.statement_sha256,
                          !req.seq_jump_override.empty(), req.late_period));
    if (a.kind == Admission::kAlreadyAccepted) {
      // The same bundle again is nothing new; but one older than what its
      // stream has accepted since is stale, and the clerk is told.
      XJ_ASSIGN_OR_RETURN(auto last, req.ledger->LastOf(r.statement.sender,
                                                        r.statement.recipient));
      if (last.first > r.statement.seq) {
        return Error(Code::kRejected,
                     "stale: bundle {} (seq {}) was accepted on {}, and seq "
                     "{} from {} since; this is the older one, and nothing "
                     "changed",
                     r.statement.id, r.statement.seq, a.accepted_at, last.first,
                     r.statement.sender);
      }
      UnpackResult out;
      out.already_accepted = a.accepted_at;
      out.taken_as = IsCopy(req, r.statement) ? "copy" : "intake";
      if (os::IsDirectory(final_dir)) out.bag_dir = final_dir;
      // A run stopped after the ledger took the bundle but before its
      // receipt was written: the receipt is written now.
      if (!req.receipts_dir.empty() &&
          !os::Exists(stick::In(req.receipts_dir, r.statement.id))) {
        XJ_RETURN_IF_ERROR(WriteReceipt(req, r, clock, &out));
      }
      out.report = std::move(r);
      return out;
    }
    for (std::string& w : a.warnings) r.warnings.push_back(std::move(w));
  }
  XJ_ASSIGN_OR_RETURN(std::vector<std::string> paths,
                      LocateVolumes(inv, &r, false));
  MadeOutput made_output;
  XJ_RETURN_IF_ERROR(MakeOutput(req.output, &made_output));
  if (os::Exists(final_dir)) {
    return CompleteInterrupted(req, std::move(r), clock, final_dir, held_trust,
                               seen);
  }
  XJ_RETURN_IF_ERROR(CheckRoomToUnpack(req, r));
  // The quarantine sits beside the destination, so the final move is a
  // rename; it is private, and removed whatever happens.
  XJ_ASSIGN_OR_RETURN(std::string quarantine, MakeWorkDirIn(req.output));
  struct Cleanup {
    std::string dir;
    ~Cleanup() { RemoveTree(dir); }
  } cleanup{quarantine};
  // Each volume is read once: hashed as it is copied in; only the copy is
  // decrypted. Volumes are independent, so several are copied at once, one
  // a core.
  XJ_ASSIGN_OR_RETURN(std::vector<std::string> copies,
                      CopyVolumesIn(paths, r, quarantine, req.progress));
  // The header is judged before any key derivation, on the copy.
  XJ_RETURN_IF_ERROR(
      CheckPayloadHeader(copies[0], 1 + r.statement.copy_to.size()));
  std::string bag = stick::In(quarantine, r.statement.id);
  XJ_RETURN_IF_ERROR(os::MakeDirectory(bag, 0700));
  if (!r.statement.children.empty() && req.trust.store == nullptr) {
    return Status(Code::kInvalidArgument,
                  "a merged bundle's children are judged by their "
                  "certificates: unpack it in an office home, not with -p");
  }
  // A merged bundle: every child it holds, down to the schools, before
  // anything is moved into place. Each child is checked as soon as its
  // files are extracted, while the rest of the bag still is.
  std::optional<HeldCheck> early;
  if (!r.statement.children.empty() && !req.held_after_extract)
    early.emplace(bag, r.statement, held_trust);
  VolumeReader plain_copies(copies);
  XJ_RETURN_IF_ERROR(OpenPayload(plain_copies, &r, *req.identities, bag,
                                 req.max_files, early ? &*early : nullptr));
  // A school's bundle: its records are the signing school's, as many as
  // it says (what a merge checks of every school bundle it holds).
  if (r.statement.children.empty())
    XJ_RETURN_IF_ERROR(CheckSchoolBag(bag, r.statement));
  XJ_ASSIGN_OR_RETURN(Settled settled,
                      FlushAndCheckHeld(req, r, held_trust, quarantine, bag,
                                        early ? &*early : nullptr));
  XJ_RETURN_IF_ERROR(NoticeKeyChanges(req, &r, settled.fresh, seen));
  XJ_RETURN_IF_ERROR(os::RenameNoReplace(bag, final_dir));
  made_output.keep = true;
  XJ_RETURN_IF_ERROR(os::SyncDirectory(req.output));
  ReportResent(r.statement, settled.held, settled.fresh, &r.warnings);
  UnpackResult out;
  XJ_RETURN_IF_ERROR(Record(req, r, clock, &out, settled.fresh, seen));
  out.report = std::move(r);
  out.bag_dir = final_dir;
  out.schools = std::move(settled.schools);
  out.held = std::move(settled.held);
  out.held_seconds = settled.held_seconds;
  out.held_early_seconds = early ? early->early_seconds() : 0;
  out.flush_seconds = settled.flush_seconds;
  out.held_beyond_flush_seconds = settled.held_beyond;
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                              unpack_start)
                    .count();
  return out;
}

Result<UnpackRequest> PrepareUnpack(OfficeSession& session, UnpackRequest req,
                                    const std::vector<std::string>& identities,
                                    PassphraseSource& passphrases) {
  if (req.trust.empty()) {
    return Status(Code::kInvalidArgument,
                  "unpack trusts only signed data: it needs an office home, "
                  "or the sender's public key, to trust the bundle")
        .WithRemedy(Remedy::kInit);
  }
  req.now = session.clock();
  if (req.trust.now.empty()) {
    XJ_ASSIGN_OR_RETURN(req.trust.now, session.TrustedNow());
  }
  const TrustStore* store = session.store();
  if (store != nullptr) {
    XJ_ASSIGN_OR_RETURN(req.ledger, session.ledger());
    XJ_ASSIGN_OR_RETURN(Home home, session.home());
    req.receipts_dir = home.outbox() + "/" + std::string(stick::kReceipts);
  }
  // 1. The bundle is looked at before any passphrase is asked for it, and
  //    one whose signatures are not trusted is refused there.
  XJ_ASSIGN_OR_RETURN(BundleReport look, Inspect(req.dirs, req.trust));
  if (look.trust.empty()) {
    VerifyRequest v;
    v.dirs = req.dirs;
    v.trust = req.trust;
    XJ_RETURN_IF_ERROR(Verify(v).status());
  }
  // 2. The recipient (or a copy-to office, for its receipt of a copy)
  //    signs a receipt with its clerk's key: asked for only when the
  //    bundle is addressed to this office.
  if (store != nullptr && (look.statement.recipient == store->office().code ||
                           IsCopy(req, look.statement))) {
    XJ_ASSIGN_OR_RETURN(req.receipt_key, session.ClerkKey(passphrases));
  }
  // 3. The identities that decrypt it.
  XJ_ASSIGN_OR_RETURN(req.identities,
                      session.Identities(identities, passphrases));
  // 4. The quarantine of an unpack killed there goes, also when this run
  //    only completes what the killed one had put in place.
  RemoveStaleWorkDirs(req.output);
  return req;
}

}  // namespace xj::pack
