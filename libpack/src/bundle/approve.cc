// A leader's approval: what waits in XJ/<id>.unapproved is shown (checked
// against the signed statement and the counts kept in the home) and, once
// signed and verified, moved into place.

#include <algorithm>

#include "base/os.h"
#include "bundle/authenticate.h"
#include "bundle/volumes.h"
#include "formats/bagit.h"
#include "libpack/bundle.h"
#include "libpack/minisign.h"
#include "libpack/stick.h"
#include "libpack/trust.h"

namespace xj::pack {
namespace {

namespace bagit = formats::bagit;
namespace ft = formats::trust;
using bundle::CheckedVolumes;
using bundle::Inventory;
using bundle::KeysFromChain;
using bundle::LocateVolumes;
using bundle::ReadStatementAndSignatures;
using bundle::TakeInventory;
using bundle::TrustedComment;
using bundle::WriteFileSynced;
using formats::minisign::KeyIdIs;
using formats::minisign::KeyIdToString;
using keys::Sha512Hex;
using stick::kChain;
using stick::kStatement;
using stick::kUnapproved;
using stick::SignatureName;

}  // namespace

Result<ApprovalView> ReadForApproval(const std::string& dir_arg,
                                     const TrustStore& store, const Home& home,
                                     const std::string& now) {
  std::string dir = dir_arg;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  if (dir.size() <= kUnapproved.size() ||
      dir.substr(dir.size() - kUnapproved.size()) != kUnapproved) {
    return Error(Code::kInvalidArgument,
                 "{} is not a bundle waiting for approval (XJ/<id>{})", dir,
                 kUnapproved);
  }
  XJ_ASSIGN_OR_RETURN(Inventory inv, TakeInventory({dir}, true));
  ApprovalView v;
  v.dir = dir;
  TrustSource source;
  source.store = &store;
  source.now = now;
  BundleReport chain_report;
  XJ_ASSIGN_OR_RETURN(v.keys,
                      KeysFromChain(inv, source, &chain_report, &v.policy));
  XJ_ASSIGN_OR_RETURN(v.report, ReadStatementAndSignatures(inv, v.keys, true));
  v.report.chain = chain_report.chain;
  v.report.chain_codes = chain_report.chain_codes;
  const ft::BundleStatement& st = v.report.statement;
  if (st.sender != store.office().code) {
    return Error(Code::kRejected,
                 "{} is {}'s bundle; a leader approves only their own "
                 "office's",
                 st.id, st.sender);
  }
  // Every volume as signed.
  XJ_ASSIGN_OR_RETURN(std::vector<std::string> paths,
                      LocateVolumes(inv, &v.report, false));
  const Progress no_progress;  // outlives the reader, which keeps a reference
  CheckedVolumes volumes(paths, &v.report, no_progress, "verifying");
  XJ_RETURN_IF_ERROR(volumes.Drain());
  // The counts kept in the home are the bag's.
  std::string plain = home.outbox() + "/" + st.id + ".plain";
  Result<Bytes> tm =
      os::ReadFile(plain + "/" + std::string(bagit::kTagManifest), 1 << 20);
  if (!tm.ok()) {
    return Error(Code::kNotFound,
                 "the home {} does not hold what {} was made from (is this the "
                 "office that packed it?)",
                 home.root, st.id);
  }
  if (Sha512Hex(*tm) != st.bag_tagmanifest_sha512) {
    return Error(Code::kIntegrity,
                 "the counts kept in the home are not those of the bag {} "
                 "signs",
                 st.id);
  }
  XJ_ASSIGN_OR_RETURN(auto tags, bagit::ParseManifest(AsChars(*tm)));
  XJ_ASSIGN_OR_RETURN(
      Bytes manifest,
      os::ReadFile(plain + "/" + std::string(bagit::kManifest), 256 << 20));
  auto mt = std::find_if(tags.begin(), tags.end(), [](const auto& t) {
    return t.first == bagit::kManifest;
  });
  if (mt == tags.end() || mt->second != Sha512Hex(manifest)) {
    return Error(Code::kIntegrity,
                 "the manifest kept in the home is not the bag's");
  }
  if (os::Exists(plain + "/summary.csv")) {
    XJ_ASSIGN_OR_RETURN(Bytes path, os::ReadFile(plain + "/summary.path", 256));
    XJ_ASSIGN_OR_RETURN(Bytes csv,
                        os::ReadFile(plain + "/summary.csv", 64 << 20));
    v.summary_path = std::string(AsChars(path));
    XJ_ASSIGN_OR_RETURN(auto files, bagit::ParseManifest(AsChars(manifest)));
    auto f = std::find_if(files.begin(), files.end(), [&](const auto& t) {
      return t.first == v.summary_path;
    });
    if (f == files.end() || f->second != Sha512Hex(csv)) {
      return Error(Code::kIntegrity,
                   "the counts kept in the home are not the bag's {}",
                   v.summary_path);
    }
    v.summary_csv = std::string(AsChars(csv));
  }
  return v;
}

std::string SignedAllowErrors(const BundleReport& r) {
  for (const SignatureReport& s : r.signatures) {
    if (s.valid && s.role == "leader" && !s.allow_errors.empty())
      return s.allow_errors;
  }
  return "";
}

// A leader approves audit errors only by giving a reason, signed with the
// approval; and gives none when there are no errors to allow.
Status CheckAllowErrors(const ft::BundleStatement& st,
                        const std::string& allow_errors) {
  std::uint64_t errors = st.audit ? st.audit->errors : 0;
  if (errors > 0 && allow_errors.empty()) {
    return Error(Code::kRejected,
                 "the audit of {} found {} error(s); a leader approves it only "
                 "by giving the reason, which is signed with the approval",
                 st.id, errors)
        .WithRemedy(Remedy::kAllowErrorsApproval);
  }
  if (errors == 0 && !allow_errors.empty()) {
    return Error(Code::kInvalidArgument,
                 "the audit of {} found no error: there is nothing to allow",
                 st.id);
  }
  if (!allow_errors.empty()) {
    Status ok = formats::minisign::CheckTrustedComment(allow_errors);
    if (!ok.ok() || allow_errors.size() > kMaxApprovalReason ||
        allow_errors.front() == ' ' || allow_errors.back() == ' ') {
      return Error(Code::kInvalidArgument,
                   "the reason must be one line of text of at most {} bytes, "
                   "not starting or ending with a space",
                   kMaxApprovalReason);
    }
  }
  return Status::Ok();
}

Result<ApproveResult> Approve(const ApprovalView& v, const TrustStore& store,
                              const Home& home, const keys::SigningKey& leader,
                              Ledger* ledger, std::int64_t now,
                              const std::string& allow_errors) {
  (void)store;
  const ft::BundleStatement& st = v.report.statement;
  XJ_RETURN_IF_ERROR(CheckSigningClock(home, now));
  XJ_RETURN_IF_ERROR(CheckAllowErrors(st, allow_errors));
  auto key = std::find_if(v.keys.begin(), v.keys.end(), [&](const auto& k) {
    return k.key.key_id == leader.key_id();
  });
  if (key == v.keys.end() || key->role != "leader") {
    return Error(Code::kBadKey, "key {} is not certified as a leader key of {}",
                 KeyIdToString(leader.key_id()), st.sender);
  }
  std::string name = SignatureName(leader.key_id());
  if (std::any_of(v.report.signature_files.begin(),
                  v.report.signature_files.end(),
                  [&](const auto& f) { return f.first == name; })) {
    return Error(Code::kAlreadyExists, "{} is already signed by key {}", st.id,
                 KeyIdToString(leader.key_id()));
  }
  MemorySource src(AsBytes(v.report.statement_text));
  XJ_ASSIGN_OR_RETURN(
      minisign::Signature sig,
      minisign::Sign(src, leader,
                     TrustedComment(st.id, "leader", now, allow_errors),
                     "xjpack bundle statement signature"));
  std::string sig_text = formats::minisign::EncodeSignatureFile(sig);
  // The policy, with this signature.
  std::vector<pack::trust::GoodSignature> good;
  for (const SignatureReport& s : v.report.signatures) {
    if (!s.valid) continue;
    for (const TrustedKey& k : v.keys) {
      if (KeyIdIs(k.key.key_id, s.key_id))
        good.push_back({s.key_id, k.role, s.time, k.key});
    }
  }
  good.push_back(
      {KeyIdToString(leader.key_id()), "leader", os::FormatUtc(now), key->key});
  Status met = pack::trust::MeetPolicy(
      good, v.policy,
      fmt::format("the bundle (deliver-policy of {})", st.sender));
  std::string outbox = home.outbox() + "/" + st.id;
  if (os::IsDirectory(outbox)) {
    XJ_RETURN_IF_ERROR(WriteFileSynced(outbox + "/" + name, sig_text, 0644));
  }
  XJ_RETURN_IF_ERROR(WriteFileSynced(v.dir + "/" + name, sig_text, 0644));
  XJ_RETURN_IF_ERROR(os::SyncDirectory(v.dir));
  ApproveResult out;
  out.signature = v.dir + "/" + name;
  if (!met.ok()) return met.WithContext("signed, and still waiting");
  // What is about to move must verify as it will be read, signatures and
  // policy included, before anything moves.
  {
    VerifyRequest pre;
    pre.dirs = {v.dir};
    pre.trust.store = &store;
    pre.trust.now = os::FormatUtc(now);
    pre.unapproved = true;
    Result<BundleReport> ready = Verify(pre);
    if (!ready.ok()) {
      return ready.status().WithContext(
          "signed, but the bundle does not verify: it stays unapproved");
    }
  }
  // Into place file by file, the statement last (renaming the folder loses
  // its contents on some FUSE FAT drivers).
  std::string final_dir = os::DirName(v.dir) + "/" + st.id;
  if (os::Exists(final_dir)) {
    return Error(Code::kAlreadyExists, "{} is already on the stick", final_dir);
  }
  XJ_ASSIGN_OR_RETURN(os::Dir from, os::Dir::Open(v.dir));
  XJ_ASSIGN_OR_RETURN(std::vector<std::string> names, from.List());
  std::stable_partition(names.begin(), names.end(),
                        [](const std::string& n) { return n != kStatement; });
  XJ_RETURN_IF_ERROR(os::MakeDirectory(final_dir, 0755));
  for (const std::string& n : names) {
    if (n == kChain) {
      std::string to = stick::In(final_dir, kChain);
      XJ_RETURN_IF_ERROR(os::MakeDirectory(to, 0755));
      XJ_ASSIGN_OR_RETURN(std::vector<std::string> cn,
                          os::ListDirectory(stick::In(v.dir, kChain)));
      for (const std::string& c : cn) {
        XJ_RETURN_IF_ERROR(os::RenameNoReplace(
            stick::In(v.dir, kChain) + "/" + c, to + "/" + c));
      }
      XJ_RETURN_IF_ERROR(os::SyncDirectory(to));
      os::RemoveEmptyDirectory(stick::In(v.dir, kChain));
      continue;
    }
    XJ_RETURN_IF_ERROR(
        os::RenameNoReplace(v.dir + "/" + n, final_dir + "/" + n));
  }
  XJ_RETURN_IF_ERROR(os::SyncDirectory(final_dir));
  os::RemoveEmptyDirectory(v.dir);
  XJ_RETURN_IF_ERROR(os::SyncDirectory(os::DirName(v.dir)));
  VerifyRequest check;
  check.dirs = {final_dir};
  check.trust.store = &store;
  check.trust.now = os::FormatUtc(now);
  Result<BundleReport> back = Verify(check);
  if (!back.ok()) {
    return back.status().WithContext(
        "reading the stick back failed; do not deliver it");
  }
  if (ledger != nullptr) {
    XJ_RETURN_IF_ERROR(ledger->Audit(
        "approved", st.id,
        fmt::format("leader {} approved statement {}{}",
                    KeyIdToString(leader.key_id()), v.report.statement_sha256,
                    allow_errors.empty()
                        ? std::string()
                        : "; audit errors allowed: " + allow_errors),
        now));
  }
  RemoveTree(home.outbox() + "/" + st.id + ".plain");
  out.bundle_dir = final_dir;
  return out;
}

}  // namespace xj::pack
