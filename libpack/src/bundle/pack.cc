// Packing: a school's registry checked and staged, or a merge's content,
// made into a bundle in the outbox (tar, zstd, age, volumes; the signed
// statement and chain), then written to the stick and read back.

#include <algorithm>
#include <chrono>
#include <optional>
#include <set>

#include "base/os.h"
#include "bundle/authenticate.h"
#include "bundle/volumes.h"
#include "formats/bagit.h"
#include "formats/csv.h"
#include "libpack/age.h"
#include "libpack/bundle.h"
#include "libpack/minisign.h"
#include "libpack/office.h"
#include "libpack/stick.h"
#include "libpack/tar.h"
#include "libpack/zstd_stream.h"

#ifndef XJPACK_VERSION
#define XJPACK_VERSION "0"
#endif

namespace xj::pack {
namespace {

namespace bagit = formats::bagit;
namespace ft = formats::trust;
using bundle::CopyToStick;
using bundle::TrustedComment;
using bundle::WriteFileSynced;
using formats::minisign::KeyIdToString;
using keys::Sha256Hex;
using keys::Sha512Hex;
using stick::IsLitter;
using stick::kChain;
using stick::kReadme;
using stick::kStatement;
using stick::kUnapproved;
using stick::ReadmeText;
using stick::SignatureName;

// Writes tar entries with their SHA-512, and collects manifest lines.
class BagWriter {
 public:
  BagWriter(TarWriter* tar, std::string id, const Progress& progress,
            std::uint64_t total)
      : tar_(tar), id_(std::move(id)), progress_(progress), total_(total) {}

  Result<std::string> AddBytes(const std::string& path, std::string_view data) {
    XJ_RETURN_IF_ERROR(tar_->Begin(id_ + "/" + path, data.size()));
    XJ_RETURN_IF_ERROR(tar_->Data(AsBytes(data)));
    return Sha512Hex(AsBytes(data));
  }

  Result<std::string> AddFile(const BagFile& f) {
    XJ_ASSIGN_OR_RETURN(os::File file, os::OpenForRead(f.source));
    XJ_RETURN_IF_ERROR(tar_->Begin(id_ + "/" + f.path, f.size));
    keys::Hasher h(keys::Hasher::Algorithm::kSha512);
    os::FdSource src(file.fd());
    std::uint64_t left = f.size;
    while (left > 0) {
      XJ_ASSIGN_OR_RETURN(std::size_t n, src.Read(MutableByteSpan(buf_)));
      if (n == 0) {
        return Error(Code::kIoError, "{} shrank while it was packed", f.source);
      }
      n = static_cast<std::size_t>(std::min<std::uint64_t>(n, left));
      XJ_RETURN_IF_ERROR(tar_->Data(ByteSpan(buf_.data(), n)));
      h.Update(ByteSpan(buf_.data(), n));
      left -= n;
      done_ += n;
      if (progress_) progress_("packing", done_, total_);
    }
    return ToHex(h.Finish());
  }

 private:
  TarWriter* tar_;
  std::string id_;
  const Progress& progress_;
  std::uint64_t total_, done_ = 0;
  Bytes buf_ = Bytes(1 << 20);
};

// Tees findings to the caller and, unmasked, into the bag's report.
class ReportSink final : public registry::FindingSink {
 public:
  explicit ReportSink(registry::FindingSink* next) : next_(next) {}
  void Report(const registry::Finding& f) override {
    next_->Report(f);
    if (text_.empty())
      text_ = "severity,file,line,field,rule,message,value\r\n";
    Bytes row;
    MemorySink sink(&row);
    formats::csv::Writer w(&sink);
    std::string line = std::to_string(f.line);
    (void)w.Write({std::string(registry::SeverityName(f.severity())), f.file,
                   line, f.field, std::string(registry::RuleId(f.rule)),
                   f.message, f.raw_value});
    (void)w.Flush();
    text_ += AsChars(row);
  }
  const std::string& text() const { return text_; }

 private:
  registry::FindingSink* next_;
  std::string text_;
};

}  // namespace

namespace {

// The bag's paths under the rule unpack applies (bagit::PathSet): a bag
// its own recipient would refuse is never written.
Status CheckBagPaths(const std::vector<BagFile>& files, stick::BagKind kind) {
  bagit::PathSet paths;
  for (const BagFile& f : files) {
    XJ_RETURN_IF_ERROR(stick::CheckBagPayloadPath(f.path, kind));
    switch (paths.Add(f.path)) {
      case bagit::PathSet::Clash::kNone:
        break;
      case bagit::PathSet::Clash::kSame:
        return Error(Code::kRejected, "{} would be in the bag twice",
                     EscapeForDisplay(f.path));
      case bagit::PathSet::Clash::kCase:
        return Error(Code::kRejected,
                     "{} and {} differ only in case: a stick's file system "
                     "takes them for one file, and the recipient would "
                     "refuse the bundle; rename one",
                     EscapeForDisplay(paths.clashed_with()),
                     EscapeForDisplay(f.path));
    }
  }
  return Status::Ok();
}

}  // namespace

Status CheckPackRequest(const PackRequest& req, bool registry) {
  if (req.now <= 0)
    return Status(Code::kInternal, "pack was not given the time");
  if (!ft::IsOfficeCode(req.recipient.code)) {
    return Error(Code::kInvalidArgument, "\"{}\" is not an office code",
                 EscapeForDisplay(req.recipient.code));
  }
  if (req.volume_size < (64 << 10) || req.volume_size > kMaxVolumeSize) {
    return Error(Code::kInvalidArgument,
                 "the volume size must be 64 KiB to {} bytes", kMaxVolumeSize);
  }
  std::set<std::string> offices = {req.recipient.code};
  for (const Addressee& a : req.copy_to) {
    if (!ft::IsOfficeCode(a.code)) {
      return Error(Code::kInvalidArgument, "\"{}\" is not an office code",
                   EscapeForDisplay(a.code));
    }
    if (!offices.insert(a.code).second) {
      return Error(Code::kInvalidArgument, "office {} is named twice", a.code);
    }
  }
  std::vector<const Addressee*> all = {&req.recipient};
  for (const Addressee& a : req.copy_to) all.push_back(&a);
  for (const Addressee* a : all) {
    if (a->recipients.size() != 1) {
      return Error(Code::kInvalidArgument,
                   "office {} needs exactly one age recipient, not {}", a->code,
                   a->recipients.size());
    }
  }
  if (!req.allow_errors.empty()) {
    Status reason = ft::CheckValue(req.allow_errors);
    if (!reason.ok()) {
      return Error(Code::kInvalidArgument,
                   "the reason for packing with errors must be one line of "
                   "plain text: {}",
                   reason.message());
    }
  }
  if (registry && (!os::IsDirectory(req.registry_dir) ||
                   !os::Exists(req.registry_dir + "/school.csv"))) {
    return Error(Code::kNotFound,
                 "{}: not a school's registry folder (no school.csv)",
                 req.registry_dir);
  }
  if (!os::IsDirectory(req.media)) {
    return Error(Code::kNotFound, "{}: no such folder (is the stick mounted?)",
                 req.media);
  }
  return ProbeMedia(req.media).status();
}

// An office signs nothing while its clock is more than a day behind the
// newest statement it has accepted: a clock set back must not make
// expired certificates look valid, nor date statements in the past.
Status CheckSigningClock(const Home& home, std::int64_t now) {
  if (!os::Exists(home.root + "/ledger.sqlite")) return Status::Ok();
  XJ_ASSIGN_OR_RETURN(Ledger ledger, Ledger::Open(home));
  XJ_ASSIGN_OR_RETURN(std::string mark, ledger.HighWaterMark());
  if (!mark.empty() && os::FormatUtc(now + 86400) < mark) {
    return Error(Code::kRejected,
                 "this machine's clock ({}) is more than a day behind the "
                 "newest statement this office has accepted ({}): nothing is "
                 "signed until the clock is right",
                 os::FormatUtc(now), mark);
  }
  return Status::Ok();
}

namespace {

// The office that signs, checked before a number is taken: the sender its
// certificate names, the key that signs, the chain the bundle carries (as
// the recipient will judge it), and whether a leader must approve.
struct Signer {
  std::optional<pack::trust::TrustedOffice> own;
  bool pending = false;  // waits for a leader's approval
  ChainFiles chain;
  std::uint64_t root_version = 0;
};

Result<Signer> CheckSigner(const PackRequest& req, const std::string& sender,
                           std::int64_t now) {
  Signer s;
  if (req.store == nullptr) return s;
  XJ_RETURN_IF_ERROR(CheckSigningClock(req.home, now));
  pack::trust::VerifierOptions vo{os::FormatUtc(now), false};
  XJ_ASSIGN_OR_RETURN(s.own, req.store->OwnCertificate(vo));
  const pack::trust::TrustedOffice& own = *s.own;
  if (own.cert.subject != sender) {
    return Error(Code::kRejected,
                 "this office is {} ({}), and the registry is school {}'s",
                 own.cert.subject, EscapeForDisplay(own.cert.subject_name),
                 sender);
  }
  auto key = std::find_if(
      own.cert.keys.begin(), own.cert.keys.end(),
      [&](const ft::KeyEntry& k) { return k.key.key_id == req.key->key_id(); });
  if (key == own.cert.keys.end() || key->role != req.role) {
    return Error(Code::kBadKey,
                 "the signing key {} is not certified as a {} key of {}",
                 KeyIdToString(req.key->key_id()), req.role, sender);
  }
  // What the one signature made here leaves to a leader's approval.
  for (const auto& [role, n] : own.cert.deliver_policy.groups) {
    if (role == req.role && n == 1) continue;
    if (role != "leader" || req.role == "leader") {
      return Error(Code::kRejected,
                   "{}'s bundles need the signatures {} (its "
                   "deliver-policy), more than one {} and a leader can give",
                   sender, own.cert.deliver_policy.ToString(), req.role);
    }
    s.pending = true;
  }
  s.chain = req.store->ChainFor(own);
  XJ_ASSIGN_OR_RETURN(pack::trust::Verifier v, req.store->MakeVerifier(vo));
  Status own_chain = v.AddRoots(s.chain.roots);
  if (own_chain.ok()) own_chain = v.AddCrls(s.chain.crls, s.chain.certs);
  if (own_chain.ok())
    own_chain = v.Office(sender, own.cert_sha256, s.chain.certs).status();
  if (!own_chain.ok()) {
    return own_chain.WithContext(
        "this office's own chain would not verify at the recipient");
  }
  s.root_version = v.root().version;
  return s;
}

// The stream's next number, taken (recorded in the home) before anything
// is signed, so that it is never used twice; `last_hash` is the previous
// statement's SHA-256 ("none" for the first).
Result<StreamState> TakeNumber(const PackRequest& req,
                               const std::string& sender) {
  XJ_ASSIGN_OR_RETURN(StreamState stream,
                      ReadStream(req.home, sender, req.recipient.code));
  // A pack that stopped after taking its number: if its bundle reached the
  // outbox (the statement names the same previous one), it is the stream's
  // newest, and the next one follows it.
  if (stream.last_seq > 0) {
    std::string taken =
        req.home.outbox() + "/" +
        ft::BundleId(sender, req.recipient.code, stream.last_seq) + "/" +
        std::string(kStatement);
    Result<Bytes> text = os::Exists(taken)
                             ? os::ReadFile(taken, ft::kMaxStatement)
                             : Result<Bytes>(Status(Code::kNotFound, ""));
    if (text.ok()) {
      Result<ft::BundleStatement> st = ft::ParseBundle(AsChars(*text));
      if (st.ok() && st->seq == stream.last_seq &&
          st->prev == stream.last_hash) {
        stream.last_hash = Sha256Hex(*text);
        XJ_RETURN_IF_ERROR(
            WriteStream(req.home, sender, req.recipient.code, stream));
      }
    }
  }
  std::uint64_t seq = stream.last_seq + 1;
  if (stream.last_hash == "none") {
    // Only the first number was ever taken, and nothing under it left this
    // home (a statement reaches a stick only after the stream records it):
    // the stream opens at seq 1 again, as a stream must.
    seq = 1;
  }
  XJ_RETURN_IF_ERROR(WriteStream(req.home, sender, req.recipient.code,
                                 {seq, stream.last_hash}));
  return StreamState{seq, stream.last_hash};
}

// What the payload's one pass wrote: the bag's tag manifest and manifest,
// and the volumes.
struct Payload {
  std::string tagmanifest, manifest;
  std::vector<VolumeFile> volumes;
};

// tar -> zstd -> age -> volumes in `dir`, in one pass: the bag of bundle
// `id`, its files in byte order of their paths.
Result<Payload> WritePayload(const PackRequest& req,
                             const BundleContent& content,
                             const std::string& id, const std::string& oxum,
                             std::uint64_t octets, std::int64_t now,
                             const std::string& dir) {
  Payload out;
  std::vector<keys::X25519PublicKey> recipients = req.recipient.recipients;
  for (const Addressee& a : req.copy_to) recipients.push_back(a.recipients[0]);
  VolumeWriter vw(dir, req.volume_size);
  XJ_ASSIGN_OR_RETURN(std::unique_ptr<age::EncryptingSink> enc,
                      age::EncryptingSink::ToRecipients(&vw, recipients));
  XJ_ASSIGN_OR_RETURN(std::unique_ptr<ZstdCompressSink> zstd,
                      ZstdCompressSink::Create(enc.get()));
  XJ_ASSIGN_OR_RETURN(std::unique_ptr<TarWriter> tar,
                      TarWriter::Create(zstd.get(), now));
  BagWriter bag(tar.get(), id, req.progress, octets);
  bagit::BagInfo info;
  info.agent = std::string("xjpack ") + XJPACK_VERSION;
  info.bagging_date = os::FormatUtc(now).substr(0, 10);
  info.external_identifier = id;
  info.payload_oxum = oxum;
  info.source_organization = content.sender;
  info.schema =
      fmt::format("{} {}", req.data->schema->Label(), req.data->schema->sha256);
  info.allow_errors = content.allowed_errors > 0 ? req.allow_errors : "";
  std::string bag_info = bagit::SerializeBagInfo(info);
  XJ_ASSIGN_OR_RETURN(std::string info_hash,
                      bag.AddBytes(std::string(bagit::kBagInfo), bag_info));
  XJ_ASSIGN_OR_RETURN(
      std::string bagit_hash,
      bag.AddBytes(std::string(bagit::kBagit), bagit::kBagitTxt));
  for (const BagFile& f : content.files) {
    XJ_ASSIGN_OR_RETURN(std::string h, bag.AddFile(f));
    out.manifest += bagit::ManifestLine(h, f.path);
  }
  XJ_ASSIGN_OR_RETURN(
      std::string manifest_hash,
      bag.AddBytes(std::string(bagit::kManifest), out.manifest));
  out.tagmanifest = bagit::ManifestLine(info_hash, bagit::kBagInfo) +
                    bagit::ManifestLine(bagit_hash, bagit::kBagit) +
                    bagit::ManifestLine(manifest_hash, bagit::kManifest);
  XJ_RETURN_IF_ERROR(
      bag.AddBytes(std::string(bagit::kTagManifest), out.tagmanifest).status());
  XJ_RETURN_IF_ERROR(tar->Finish());
  XJ_RETURN_IF_ERROR(zstd->Finish());
  XJ_RETURN_IF_ERROR(enc->Finish());
  XJ_ASSIGN_OR_RETURN(out.volumes, vw.Finish());
  return out;
}

// The statement of bundle `id`, describing what was written.
Result<ft::BundleStatement> MakeStatement(
    const PackRequest& req, const BundleContent& content, const Signer& signer,
    const StreamState& number, const std::string& id, const std::string& oxum,
    const Payload& payload, std::int64_t now) {
  ft::BundleStatement st;
  st.id = id;
  st.sender = content.sender;
  st.sender_ref = signer.own ? signer.own->cert_sha256 : std::string("none");
  st.recipient = req.recipient.code;
  for (const Addressee& a : req.copy_to) st.copy_to.push_back(a.code);
  std::sort(st.copy_to.begin(), st.copy_to.end());
  st.kind = req.kind;
  st.period = content.period;
  st.seq = number.last_seq;
  st.prev = number.last_hash;
  st.created = os::FormatUtc(now);
  st.root_version = signer.root_version;
  for (const pack::trust::SignedText& c : signer.chain.crls) {
    Result<ft::CrlStatement> crl = ft::ParseCrl(c.text);
    if (!crl.ok()) return crl.status().WithContext(c.name);
    st.crls.push_back(
        {crl->issuer, crl->number, pack::trust::StatementSha256(c.text)});
  }
  st.schema = req.data->schema->Label();
  st.schema_sha256 = req.data->schema->sha256;
  if (content.allowed_errors > 0) st.allow_errors = content.allowed_errors;
  st.bag_tagmanifest_sha512 = Sha512Hex(AsBytes(payload.tagmanifest));
  st.bag_oxum = oxum;
  for (std::size_t i = 0; i < payload.volumes.size(); ++i) {
    st.volumes.push_back({static_cast<int>(i + 1), payload.volumes[i].size,
                          payload.volumes[i].sha512});
  }
  st.records = content.records;
  st.children = content.children;
  st.audit = content.audit;
  return st;
}

// What a leader is shown before approving, kept in the home beside the
// outbox copy (`plain`): the bag's manifests and its counts, bound to the
// statement by the tag manifest's hash.
Status KeepForLeader(const std::string& plain, const Payload& payload,
                     const std::vector<BagFile>& files) {
  RemoveTree(plain);
  XJ_RETURN_IF_ERROR(os::MakeDirectories(plain, 0700));
  XJ_RETURN_IF_ERROR(WriteFileSynced(stick::In(plain, bagit::kTagManifest),
                                     payload.tagmanifest, 0600));
  XJ_RETURN_IF_ERROR(WriteFileSynced(stick::In(plain, bagit::kManifest),
                                     payload.manifest, 0600));
  for (const BagFile& f : files) {
    if (f.path != "data/merged/summary.csv" &&
        f.path != "data/registry/summary.csv")
      continue;
    XJ_ASSIGN_OR_RETURN(Bytes b, os::ReadFile(f.source, 64 << 20));
    XJ_RETURN_IF_ERROR(
        WriteFileSynced(plain + "/summary.csv", std::string(AsChars(b)), 0600));
    XJ_RETURN_IF_ERROR(WriteFileSynced(plain + "/summary.path", f.path, 0600));
  }
  return os::SyncDirectory(plain);
}

// The bundle folder made in `dir` (which holds the volumes): its chain,
// the statement `text` and its signature `sig`, the README, all synced.
Status WriteBundleFolder(const std::string& dir, const Signer& signer,
                         const ft::BundleStatement& st, const std::string& text,
                         const minisign::Signature& sig,
                         const std::string& fingerprint) {
  if (signer.own) {
    std::string chain_dir = stick::In(dir, kChain);
    XJ_RETURN_IF_ERROR(os::MakeDirectory(chain_dir, 0755));
    const ChainFiles& chain = signer.chain;
    for (const auto* list : {&chain.roots, &chain.certs, &chain.crls}) {
      for (const pack::trust::SignedText& t : *list)
        XJ_RETURN_IF_ERROR(WriteSignedText(chain_dir, t));
    }
    XJ_RETURN_IF_ERROR(os::SyncDirectory(chain_dir));
  }
  XJ_RETURN_IF_ERROR(WriteFileSynced(stick::In(dir, kStatement), text, 0644));
  XJ_RETURN_IF_ERROR(
      WriteFileSynced(stick::In(dir, SignatureName(sig.key_id)),
                      formats::minisign::EncodeSignatureFile(sig), 0644));
  XJ_RETURN_IF_ERROR(WriteFileSynced(stick::In(dir, kReadme),
                                     ReadmeText(st, fingerprint), 0644));
  return os::SyncDirectory(dir);
}

// The room the bundle needs on the stick: its files, with a cluster each.
std::uint64_t RoomNeeded(const std::string& text, const Payload& payload,
                         const ChainFiles& chain) {
  std::uint64_t needed = text.size() + 8192;
  for (const VolumeFile& v : payload.volumes) needed += v.size;
  for (const auto* list : {&chain.roots, &chain.certs, &chain.crls}) {
    for (const pack::trust::SignedText& t : *list) {
      needed += t.text.size() + 4096;  // a cluster per file, at least
      for (const auto& s : t.signatures) needed += s.second.size() + 4096;
    }
  }
  return needed;
}

// Reads back what the stick now holds, as the recipient would.
Status ReadBack(const PackRequest& req, const std::string& final_dir,
                bool pending) {
  VerifyRequest check;
  check.dirs = {final_dir};
  check.trust.store = pending ? nullptr : req.store;
  check.trust.now =
      req.trusted_now.empty() ? os::FormatUtc(req.now) : req.trusted_now;
  if (check.trust.store == nullptr)
    check.trust.keys = {TrustedKey{minisign::PublicKeyOf(*req.key), req.role,
                                   "the signing key"}};
  check.progress = req.progress;
  check.unapproved = pending;
  Result<BundleReport> back = Verify(check);
  if (!back.ok()) {
    return back.status().WithContext(
        "reading the stick back failed; do not deliver it (the bundle is still "
        "in the outbox)");
  }
  return Status::Ok();
}

// The sender and period of a school's bundle, from its checked school
// record (staged in `stage`).
Status SenderAndPeriod(const std::string& stage, std::string* sender_out,
                       std::string* period_out) {
  std::string& sender = *sender_out;
  std::string& period = *period_out;
  {
    Result<std::unique_ptr<formats::csv::Reader>> r =
        formats::csv::Reader::Open(stage + "/school.csv", "school.csv");
    if (!r.ok()) return r.status();
    XJ_ASSIGN_OR_RETURN(std::vector<std::string> header, (*r)->ReadHeader());
    XJ_ASSIGN_OR_RETURN(bool any, (*r)->Next());
    if (!any) return Status(Code::kRejected, "school.csv has no record");
    for (std::size_t i = 0; i < header.size(); ++i) {
      if (header[i] == "school_code") sender = std::string((*r)->fields()[i]);
      if (header[i] == "census_date") period = std::string((*r)->fields()[i]);
    }
  }
  if (!ft::IsOfficeCode(sender)) {
    return Error(Code::kRejected,
                 "school.csv: the school code \"{}\" cannot name a sender",
                 EscapeForDisplay(sender));
  }
  if (period.size() != 10 || period.substr(4) != "-09-30") {
    return Error(
        Code::kRejected,
        "school.csv: the census date {} is not a 30 September; the period of a "
        "bundle is the census date that opens the school year",
        EscapeForDisplay(period));
  }
  return Status::Ok();
}

// A school's bag's files: the staged registry files, and the photos beside
// the registry (not OS litter or hidden files).
Result<std::vector<BagFile>> RegistryFiles(const std::string& stage,
                                           const std::string& registry_dir) {
  std::vector<BagFile> files;
  XJ_ASSIGN_OR_RETURN(std::vector<std::string> staged,
                      os::ListDirectory(stage));
  for (const std::string& n : staged) {
    XJ_ASSIGN_OR_RETURN(std::uint64_t size, os::FileSize(stage + "/" + n));
    files.push_back({"data/registry/" + n, stage + "/" + n, size});
  }
  std::string photos = registry_dir + "/photos";
  if (os::IsDirectory(photos)) {
    XJ_ASSIGN_OR_RETURN(os::Dir pd, os::Dir::Open(photos));
    XJ_ASSIGN_OR_RETURN(std::vector<std::string> names, pd.List());
    for (const std::string& n : names) {
      // OS litter (Thumbs.db, .DS_Store, ._*) and hidden files are no photos.
      if (IsLitter(n) || n[0] == '.') continue;
      std::string path = "data/registry/photos/" + n;
      XJ_RETURN_IF_ERROR(bagit::CheckPath(path).WithContext(photos));
      if (pd.KindOf(n) != os::Dir::Kind::kFile) {
        return Error(Code::kRejected, "{}/{} is not a regular file", photos,
                     EscapeForDisplay(n));
      }
      XJ_ASSIGN_OR_RETURN(std::uint64_t size, pd.Size(n));
      files.push_back({path, photos + "/" + n, size});
    }
  }
  return files;
}

// From the bag's files on: the certificate and chain, the stream's next
// number, tar -> zstd -> age in the outbox, the signed statement, and the
// stick, read back.
Result<PackResult> WriteBundle(const PackRequest& req, BundleContent content,
                               std::int64_t now) {
  using Clock = std::chrono::steady_clock;
  auto seconds_since = [](Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
  };
  Clock::time_point phase = Clock::now();
  const std::string& sender = content.sender;
  // Before a seq is taken: a bag its recipient would refuse is not made.
  XJ_RETURN_IF_ERROR(CheckBagPaths(
      content.files, content.children.empty() ? stick::BagKind::kSchool
                                              : stick::BagKind::kMerged));
  XJ_ASSIGN_OR_RETURN(Signer signer, CheckSigner(req, sender, now));
  XJ_ASSIGN_OR_RETURN(StreamState number, TakeNumber(req, sender));
  std::string id = ft::BundleId(sender, req.recipient.code, number.last_seq);

  std::sort(content.files.begin(), content.files.end(),
            [](const BagFile& a, const BagFile& b) { return a.path < b.path; });
  std::uint64_t octets = 0;
  for (const BagFile& f : content.files) octets += f.size;
  std::string oxum = bagit::Oxum(octets, content.files.size());

  // The bundle is made in a private folder of the outbox, removed unless
  // it is renamed into place.
  XJ_ASSIGN_OR_RETURN(
      std::string outbox_tmp,
      MakeOwnDir(req.home.outbox(), std::string(stick::kTempPrefix), 0700));
  struct OutboxCleanup {
    std::string dir;
    bool keep = false;
    ~OutboxCleanup() {
      if (!keep) RemoveTree(dir);
    }
  } outbox_cleanup{outbox_tmp};
  XJ_ASSIGN_OR_RETURN(Payload payload, WritePayload(req, content, id, oxum,
                                                    octets, now, outbox_tmp));

  // The statement, signed and checked.
  XJ_ASSIGN_OR_RETURN(
      ft::BundleStatement st,
      MakeStatement(req, content, signer, number, id, oxum, payload, now));
  std::string text = ft::SerializeBundle(st);
  XJ_RETURN_IF_ERROR(
      ft::ParseBundle(text).status().WithContext("the statement just made"));
  MemorySource src(AsBytes(text));
  XJ_ASSIGN_OR_RETURN(
      minisign::Signature sig,
      minisign::Sign(src, *req.key, TrustedComment(id, req.role, now),
                     "xjpack bundle statement signature"));
  std::string sha = Sha256Hex(AsBytes(text));
  Bytes digest;
  FromHex(sha, &digest);
  XJ_RETURN_IF_ERROR(
      WriteBundleFolder(outbox_tmp, signer, st, text, sig, GroupedHex(digest)));
  std::string outbox_dir = stick::In(req.home.outbox(), id);
  if (signer.pending) {
    std::string plain = outbox_tmp + ".plain";
    XJ_RETURN_IF_ERROR(KeepForLeader(plain, payload, content.files));
    RemoveTree(outbox_dir + ".plain");
    XJ_RETURN_IF_ERROR(os::RenameNoReplace(plain, outbox_dir + ".plain"));
  }
  XJ_RETURN_IF_ERROR(os::RenameNoReplace(outbox_tmp, outbox_dir));
  outbox_cleanup.keep = true;
  XJ_RETURN_IF_ERROR(os::SyncDirectory(req.home.outbox()));
  XJ_RETURN_IF_ERROR(
      WriteStream(req.home, sender, req.recipient.code, {st.seq, sha}));
  if (req.before_media) req.before_media();

  // The stick: checked for room, written under a temporary name, flushed,
  // renamed, and read back.
  PackResult result;
  result.statement = st;
  result.statement_sha256 = sha;
  result.outbox_dir = outbox_dir;
  result.check = content.totals;
  result.check_seconds = content.check_seconds;
  result.build_seconds = seconds_since(phase);
  phase = Clock::now();
  XJ_ASSIGN_OR_RETURN(result.media, ProbeMedia(req.media));
  std::uint64_t needed = RoomNeeded(text, payload, signer.chain);
  if (Status room = CheckRoom(result.media, req.media, needed, "the bundle",
                              "use a larger stick");
      !room.ok()) {
    return std::move(room).WithRemedy(Remedy::kSplitVolumes);
  }
  XJ_ASSIGN_OR_RETURN(
      result.media_dir,
      CopyToStick(
          outbox_dir, req.media,
          id + (signer.pending ? std::string(kUnapproved) : std::string()),
          needed, req.progress));
  result.awaiting_approval = signer.pending;
  XJ_RETURN_IF_ERROR(ReadBack(req, result.media_dir, signer.pending));
  result.media_seconds = seconds_since(phase);
  return result;
}

}  // namespace

Result<PackResult> Pack(const PackRequest& req,
                        registry::FindingSink& findings) {
  if (req.data == nullptr || req.key == nullptr) {
    return Status(Code::kInternal,
                  "pack needs the registry data and a signing key");
  }
  // The request and the destination are looked at first, before any work.
  XJ_RETURN_IF_ERROR(CheckPackRequest(req));
  std::int64_t now = req.now;
  XJ_ASSIGN_OR_RETURN(std::string work, MakeWorkDir(req.home));
  struct Cleanup {
    std::string dir;
    ~Cleanup() { RemoveTree(dir); }
  } cleanup{work};

  using Clock = std::chrono::steady_clock;
  auto seconds_since = [](Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
  };
  Clock::time_point phase = Clock::now();
  double check_seconds = 0;
  // 1. The check, which also writes the normalised files to stage.
  std::string stage = work + "/registry";
  XJ_RETURN_IF_ERROR(os::MakeDirectory(stage, 0700));
  ReportSink report(&findings);
  registry::CheckOptions co;
  co.dir = req.registry_dir;
  co.encoding = req.encoding;
  co.normalized_dir = stage;
  XJ_ASSIGN_OR_RETURN(registry::CheckTotals totals,
                      registry::CheckRegistry(*req.data, co, report));
  if (totals.abandoned_files > 0) {
    return Error(Code::kRejected,
                 "{} file(s) of the registry are not well-formed CSV and "
                 "cannot be packed",
                 totals.abandoned_files);
  }
  if (totals.errors > 0 && req.allow_errors.empty()) {
    return Error(Code::kRejected,
                 "the registry has {} error(s); nothing was packed",
                 totals.errors)
        .WithRemedy(Remedy::kAllowErrors);
  }
  check_seconds = seconds_since(phase);
  phase = Clock::now();
  // The sender and period come from the checked school record.
  std::string sender, period;
  XJ_RETURN_IF_ERROR(SenderAndPeriod(stage, &sender, &period));
  if (sender == req.recipient.code ||
      std::any_of(req.copy_to.begin(), req.copy_to.end(),
                  [&](const Addressee& a) { return a.code == sender; })) {
    return Error(Code::kInvalidArgument,
                 "the school {} cannot address a bundle to itself", sender);
  }

  // The bag's files (WriteBundle puts them in byte order of their paths).
  XJ_ASSIGN_OR_RETURN(std::vector<BagFile> files,
                      RegistryFiles(stage, req.registry_dir));
  if (!report.text().empty()) {
    std::string path = work + "/findings.csv";
    XJ_RETURN_IF_ERROR(WriteFileSynced(path, report.text(), 0600));
    files.push_back({"data/check/findings.csv", path, report.text().size()});
  }
  BundleContent content;
  content.sender = sender;
  content.period = period;
  content.files = std::move(files);
  content.totals = totals;
  auto students = totals.records.find("students.csv");
  content.records = students == totals.records.end() ? 0 : students->second;
  content.allowed_errors = totals.errors;
  content.check_seconds = check_seconds;
  return WriteBundle(req, std::move(content), now);
}

Result<PackResult> PackContent(const PackRequest& req, BundleContent content) {
  if (req.key == nullptr || req.data == nullptr) {
    return Status(Code::kInternal,
                  "packing needs a signing key and the schema");
  }
  XJ_RETURN_IF_ERROR(CheckPackRequest(req, /*registry=*/false));
  return WriteBundle(req, std::move(content), req.now);
}

}  // namespace xj::pack
