#include "libpack/bundle.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "base/os.h"
#include "formats/bagit.h"
#include "formats/csv.h"
#include "keys/crypto.h"
#include "libpack/age.h"
#include "libpack/merge.h"
#include "libpack/minisign.h"
#include "libpack/office.h"
#include "libpack/prefetch.h"
#include "libpack/roster.h"
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
using formats::minisign::KeyIdIs;
using formats::minisign::KeyIdToString;

using stick::IsLitter;
using stick::IsSignatureName;
using stick::IsVolumeName;
using stick::kChain;
using stick::kMaxSignatureFile;
using stick::kReadme;
using stick::kStatement;
using stick::kUnapproved;
using stick::ReadmeText;
using stick::SignatureName;
using stick::VolumeNames;
constexpr std::size_t kMaxHeader = 64 * 1024;
// The bag's tag files: bagit.txt, bag-info.txt and the two manifests.
constexpr std::uint64_t kTagFiles = 4;

using keys::Sha256Hex;
using keys::Sha512Hex;

std::string TrustedComment(const std::string& id, const std::string& role,
                           std::int64_t t) {
  return fmt::format("xjtrust/1 bundle {} {} {}", id, role, os::FormatUtc(t));
}

// ---- the bag, streamed ----

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
class ReportSink final : public FindingSink {
 public:
  explicit ReportSink(FindingSink* next) : next_(next) {}
  void Report(const Finding& f) override {
    next_->Report(f);
    if (text_.empty())
      text_ = "severity,file,line,field,rule,message,value\r\n";
    Bytes row;
    MemorySink sink(&row);
    formats::csv::Writer w(&sink);
    std::string line = std::to_string(f.line);
    (void)w.Write({f.severity == Severity::kError ? "error" : "warning", f.file,
                   line, f.field, f.rule, f.message, f.raw_value});
    (void)w.Flush();
    text_ += AsChars(row);
  }
  const std::string& text() const { return text_; }

 private:
  FindingSink* next_;
  std::string text_;
};

Status WriteFileSynced(const std::string& path, std::string_view data,
                       unsigned mode) {
  int fd = ::open(path.c_str(),
                  O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) return os::ErrnoStatus(errno, fmt::format("creating {}", path));
  os::File f(fd);
  os::FdSink sink(fd, path);
  XJ_RETURN_IF_ERROR(sink.Write(AsBytes(data)));
  if (::fsync(fd) != 0)
    return os::ErrnoStatus(errno, fmt::format("writing {}", path));
  return f.Close(path);
}

// Where a copy goes: to the medium being delivered (flushed, and its
// cached pages dropped so that reading back reads the medium itself), or
// into a private work folder that is removed afterwards (neither).
enum class CopyTo { kMedium, kScratch };

// Copies a file, hashing it when asked; `copied` hears of each piece. The
// source is read ahead by a second thread, so reading overlaps writing and
// hashing.
Status CopyFile(const os::Dir& from_dir, const std::string& name,
                const std::string& to, keys::Hasher* hasher, CopyTo where,
                const std::function<void(std::uint64_t)>& copied) {
  XJ_ASSIGN_OR_RETURN(os::File in, from_dir.OpenFile(name));
  int fd =
      ::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
             where == CopyTo::kMedium ? 0644 : 0600);
  if (fd < 0) return os::ErrnoStatus(errno, fmt::format("creating {}", to));
  os::File out(fd);
  os::FdSource raw(in.fd());
  std::optional<PrefetchSource> ahead;
  Source* src = &raw;
  struct stat st;
  if (::fstat(in.fd(), &st) == 0 && st.st_size > (4 << 20)) {
    ahead.emplace(&raw);
    src = &*ahead;
  }
  os::FdSink sink(fd, to);
  Bytes buf(1 << 20);
  for (;;) {
    XJ_ASSIGN_OR_RETURN(std::size_t n, src->Read(buf));
    if (n == 0) break;
    XJ_RETURN_IF_ERROR(sink.Write(ByteSpan(buf.data(), n)));
    if (hasher != nullptr) hasher->Update(ByteSpan(buf.data(), n));
    if (copied) copied(n);
  }
  if (where == CopyTo::kMedium) {
    if (::fsync(fd) != 0)
      return os::ErrnoStatus(errno, fmt::format("writing {}", to));
    (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  }
  return out.Close(to);
}

// ---- reading a bundle folder ----

struct Inventory {
  std::vector<os::Dir> dirs;  // a stick's folders (none for a held bundle)
  std::string path;           // the first folder
  std::string statement_text;
  std::vector<std::pair<std::string, Bytes>> signatures;  // name, content
  std::map<std::string, std::vector<std::size_t>>
      volumes;  // name → dirs holding it
  std::vector<std::string> litter;
  std::optional<std::string> readme;
  std::optional<ChainFiles> chain;  // the first folder's chain/
  // A bundle held inside another's bag: its report gets no copy of the
  // chain files (a merged city's check would copy every school's).
  bool held = false;
};

// A stick (or its XJ folder) given where a bundle folder belongs: names
// the bundles it holds.
Status NotAStick(const os::Dir& d, const std::vector<std::string>& names) {
  std::string xj;
  if (std::find(names.begin(), names.end(), stick::kXj) != names.end() &&
      d.KindOf(std::string(stick::kXj)) == os::Dir::Kind::kFolder) {
    xj = d.path() + "/" + std::string(stick::kXj);
  } else if (os::BaseName(d.path()) == stick::kXj) {
    xj = d.path();
  } else {
    return Status::Ok();
  }
  std::vector<std::string> bundles;
  Result<os::Dir> x = os::Dir::Open(xj);
  if (x.ok()) {
    Result<std::vector<std::string>> ids = x->List();
    if (ids.ok()) {
      for (const std::string& id : *ids) {
        if (id[0] != '.' && id != stick::kReceipts &&
            x->KindOf(id) == os::Dir::Kind::kFolder) {
          bundles.push_back(xj + "/" + EscapeForDisplay(id));
        }
      }
    }
  }
  return Error(Code::kInvalidArgument,
               "{} is a stick, not a bundle folder; give XJ/<bundle-id>{}{}",
               d.path(), bundles.empty() ? "" : ": ", fmt::join(bundles, ", "));
}

Result<Inventory> TakeInventory(const std::vector<std::string>& paths,
                                bool unapproved = false) {
  if (paths.empty())
    return Status(Code::kInvalidArgument, "no bundle folder given");
  Inventory inv;
  for (std::string p : paths) {
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    bool waits = p.size() > kUnapproved.size() &&
                 p.substr(p.size() - kUnapproved.size()) == kUnapproved;
    if (waits && !unapproved) {
      return Error(Code::kRejected,
                   "{} awaits a leader's approval; no bundle leaves before "
                   "it",
                   p)
          .WithHint("the leader runs 'xjpack approve' on it");
    }
    // The bundle folder and the XJ folder holding it are the stick's; a
    // link in either place could lead anywhere.
    struct stat parent;
    std::string up = os::DirName(p);
    if (::lstat(up.c_str(), &parent) == 0 && S_ISLNK(parent.st_mode)) {
      return Error(Code::kRejected,
                   "{} is a symbolic link; a stick's folders hold none", up);
    }
    XJ_ASSIGN_OR_RETURN(os::Dir d, os::Dir::Open(p));
    if (inv.dirs.empty()) inv.path = d.path();
    inv.dirs.push_back(std::move(d));
  }
  for (std::size_t i = 0; i < inv.dirs.size(); ++i) {
    const os::Dir& d = inv.dirs[i];
    XJ_ASSIGN_OR_RETURN(std::vector<std::string> names, d.List());
    XJ_RETURN_IF_ERROR(NotAStick(d, names));
    if (std::none_of(names.begin(), names.end(), [](const std::string& n) {
          return n == kStatement || IsVolumeName(n);
        })) {
      return Error(Code::kNotFound,
                   "{}: no {} (is this a bundle folder XJ/<id>?)", d.path(),
                   kStatement);
    }
    for (const std::string& n : names) {
      if (IsLitter(n)) {
        inv.litter.push_back(d.path() + "/" + n);
        continue;
      }
      os::Dir::Kind kind = d.KindOf(n);
      if (kind == os::Dir::Kind::kLink) {
        return Error(Code::kRejected,
                     "{}/{} is a symbolic link; a bundle holds none", d.path(),
                     EscapeForDisplay(n));
      }
      bool expected = n == kStatement || n == kReadme || IsVolumeName(n) ||
                      IsSignatureName(n) || n == kChain;
      if (!expected) {
        return Error(Code::kRejected,
                     "{}: unexpected file \"{}\" in the bundle folder",
                     d.path(), EscapeForDisplay(n));
      }
      if (n == kChain) {
        if (kind != os::Dir::Kind::kFolder) {
          return Error(Code::kRejected, "{}/chain is not a folder", d.path());
        }
        if (!inv.chain) {
          XJ_ASSIGN_OR_RETURN(
              ChainFiles c,
              ReadChainFolder(stick::In(d.path(), kChain), "chain/"));
          inv.chain = std::move(c);
        }
        continue;
      }
      if (kind != os::Dir::Kind::kFile) {
        return Error(Code::kRejected, "{}/{} is not a regular file", d.path(),
                     n);
      }
      if (IsVolumeName(n)) {
        inv.volumes[n].push_back(i);
      } else if (n == kStatement) {
        Result<Bytes> text = d.ReadFile(n, ft::kMaxStatement);
        if (!text.ok()) {
          if (text.status().code() == Code::kInvalidArgument) {
            return Error(Code::kRejected,
                         "{}/{} is larger than a statement can be ({} bytes)",
                         d.path(), n, ft::kMaxStatement);
          }
          return text.status();
        }
        std::string t(AsChars(*text));
        if (!inv.statement_text.empty() && t != inv.statement_text) {
          return Error(Code::kRejected,
                       "the bundle folders hold different statements");
        }
        inv.statement_text = std::move(t);
      } else if (IsSignatureName(n)) {
        if (i > 0 && std::any_of(inv.signatures.begin(), inv.signatures.end(),
                                 [&](const auto& s) { return s.first == n; })) {
          continue;  // the same signature on another stick
        }
        Result<Bytes> sig = d.ReadFile(n, kMaxSignatureFile);
        if (!sig.ok()) {
          if (sig.status().code() == Code::kInvalidArgument) {
            return Error(Code::kRejected,
                         "{}/{} is larger than a signature can be", d.path(),
                         n);
          }
          return sig.status();
        }
        inv.signatures.emplace_back(n, std::move(sig).value());
      } else if (n == kReadme && !inv.readme) {
        Result<Bytes> readme = d.ReadFile(n, 64 * 1024);
        inv.readme =
            readme.ok() ? std::string(AsChars(*readme)) : std::string();
      }
    }
  }
  if (inv.statement_text.empty()) {
    return Error(Code::kNotFound,
                 "{}: no {} (is this a bundle folder XJ/<id>?)", inv.path,
                 kStatement);
  }
  return inv;
}

// `keys_from_chain`: the keys are the sender's certified ones (not given
// with -p), which a refusal names.
Result<BundleReport> ReadStatementAndSignatures(
    const Inventory& inv, const std::vector<TrustedKey>& keys,
    bool require_trust, bool keys_from_chain = false) {
  BundleReport r;
  r.dir = inv.path;
  Result<pack::trust::Parsed<ft::BundleStatement>> st =
      pack::trust::ParseBundleCached(inv.statement_text);
  if (!st.ok()) return st.status().WithContext(std::string(kStatement));
  r.statement = **st;
  r.statement_sha256 = Sha256Hex(AsBytes(inv.statement_text));
  r.statement_text = inv.statement_text;
  for (const auto& [name, content] : inv.signatures)
    r.signature_files.push_back({name, std::string(AsChars(content))});
  if (!inv.held) r.chain_files = inv.chain;
  Bytes digest;
  FromHex(r.statement_sha256, &digest);
  r.fingerprint = GroupedHex(digest);
  r.litter = inv.litter;
  if (inv.readme && *inv.readme != ReadmeText(r.statement, r.fingerprint)) {
    r.warnings.push_back(
        "README.txt on the stick differs from what the statement says; only "
        "the signed statement counts");
  }
  std::size_t valid = 0, unknown = 0;
  for (const auto& [name, content] : inv.signatures) {
    SignatureReport s;
    s.key_id = name.substr(kStatement.size() + 1, 16);
    Result<formats::minisign::Signature> sig =
        formats::minisign::ParseSignatureFile(AsChars(content));
    if (!sig.ok()) return sig.status().WithContext(name);
    if (!KeyIdIs(sig->key_id, s.key_id)) {
      return Error(Code::kBadSignature,
                   "{}: the file name says key {}, the signature key {}", name,
                   s.key_id, KeyIdToString(sig->key_id));
    }
    if (sig->algorithm != formats::minisign::SignatureAlgorithm::kPrehashed) {
      return Error(Code::kBadSignature,
                   "{}: a legacy (Ed) signature; bundles use ED", name);
    }
    // The trusted comment says what was signed: this statement, this role.
    std::vector<std::string> parts;
    std::string_view tc = sig->trusted_comment;
    for (std::size_t start = 0;;) {
      std::size_t sp = tc.find(' ', start);
      parts.emplace_back(tc.substr(start, sp - start));
      if (sp == std::string_view::npos) break;
      start = sp + 1;
    }
    if (parts.size() != 5 || parts[0] != "xjtrust/1" || parts[1] != "bundle" ||
        parts[2] != r.statement.id ||
        (parts[3] != "clerk" && parts[3] != "leader") ||
        !ft::IsUtcTime(parts[4])) {
      return Error(
          Code::kBadSignature,
          "{}: the trusted comment \"{}\" does not say \"xjtrust/1 bundle {} "
          "<clerk|leader> <time>\"",
          name, EscapeForDisplay(tc.substr(0, 120)), r.statement.id);
    }
    s.role = parts[3];
    s.time = parts[4];
    if (s.time < r.statement.created) {
      return Error(Code::kBadSignature,
                   "{}: signed at {}, before the statement was created ({})",
                   name, s.time, r.statement.created);
    }
    auto key = std::find_if(keys.begin(), keys.end(), [&](const TrustedKey& k) {
      return k.key.key_id == sig->key_id;
    });
    if (key == keys.end()) {
      s.problem = "signed by a key that is not trusted";
      ++unknown;
    } else {
      s.signer = key->name;
      // (A held school's statement may have been verified ahead, as the
      // bag was extracted.)
      if (!pack::trust::VerifyRemembered(inv.statement_text, AsChars(content),
                                         key->key)) {
        return Error(Code::kBadSignature,
                     "{}: the signature by {} does not verify: the statement "
                     "was altered",
                     name, key->name);
      }
      if (key->role != s.role) {
        return Error(Code::kBadSignature,
                     "{}: the signature claims the role {}, but {} is trusted "
                     "only as {}",
                     name, s.role, key->name, key->role);
      }
      s.valid = true;
      ++valid;
    }
    r.signatures.push_back(std::move(s));
  }
  if (require_trust) {
    if (inv.signatures.empty()) {
      return Status(Code::kBadSignature, "the bundle is not signed");
    }
    if (valid == 0) {
      std::vector<std::string> ids;
      for (const SignatureReport& s : r.signatures) ids.push_back(s.key_id);
      if (keys_from_chain) {
        std::vector<std::string> certified;
        for (const TrustedKey& k : keys) certified.push_back(k.name);
        return Error(Code::kBadSignature,
                     "the bundle is signed only by key(s) {}, which the "
                     "sender's certificate does not hold (it certifies {})",
                     fmt::join(ids, ", "), fmt::join(certified, ", "))
            .WithHint(
                "the sender signed with a key that is not certified: it "
                "must sign with a certified key, or have this key certified "
                "(xjpack cert issue)");
      }
      return Error(Code::kBadSignature,
                   "the bundle is signed only by unknown key(s) {}",
                   fmt::join(ids, ", "))
          .WithHint(
              "give the sender's public key with -p, or check who sent this "
              "stick");
    }
  }
  (void)unknown;
  return r;
}

// The sender's keys from the bundle's chain/, judged up to the root this
// office holds, and the policy the bundle's signatures must meet.
Result<std::vector<TrustedKey>> KeysFromChain(const Inventory& inv,
                                              const TrustSource& source,
                                              BundleReport* r,
                                              ft::Policy* policy) {
  Result<pack::trust::Parsed<ft::BundleStatement>> parsed =
      pack::trust::ParseBundleCached(inv.statement_text);
  if (!parsed.ok()) return parsed.status().WithContext(std::string(kStatement));
  const ft::BundleStatement& st = **parsed;
  if (!inv.chain) {
    return Status(Code::kBadSignature,
                  "the bundle has no chain/ folder: nothing ties its "
                  "signatures to the province's root")
        .WithHint(
            "if the sender's public key reached you another way, give it "
            "with -p");
  }
  if (st.sender_ref == "none") {
    return Status(Code::kBadSignature,
                  "the statement names no sender certificate (sender-ref "
                  "none)");
  }
  const ChainFiles& chain = *inv.chain;
  // The statement binds the revocation lists it was made with.
  std::vector<std::string> crl_shas;
  for (const pack::trust::SignedText& x : chain.crls)
    crl_shas.push_back(pack::trust::StatementSha256(x.text));
  for (const ft::CrlRef& c : st.crls) {
    bool found =
        std::find(crl_shas.begin(), crl_shas.end(), c.sha256) != crl_shas.end();
    if (!found) {
      return Error(Code::kRejected,
                   "the statement lists revocation list {} of {}, which is "
                   "not in chain/",
                   c.number, c.issuer);
    }
  }
  for (std::size_t i = 0; i < chain.crls.size(); ++i) {
    const std::string& sha = crl_shas[i];
    if (std::none_of(st.crls.begin(), st.crls.end(),
                     [&](const ft::CrlRef& c) { return c.sha256 == sha; })) {
      return Error(Code::kRejected,
                   "{} is not listed in the statement's crl lines",
                   chain.crls[i].name);
    }
  }
  XJ_ASSIGN_OR_RETURN(
      pack::trust::Verifier v,
      source.store->MakeVerifier(
          {source.now.empty() ? os::FormatUtc(os::NowUnix()) : source.now,
           source.strict}));
  XJ_RETURN_IF_ERROR(v.AddRoots(chain.roots));
  // Certificates this office holds help too: after a root rotation the
  // province's new certificate reaches offices below before their chains
  // carry it.
  std::vector<pack::trust::SignedText> certs = chain.certs;
  for (const pack::trust::SignedText& c : source.store->files().certs)
    certs.push_back(c);
  XJ_RETURN_IF_ERROR(v.AddCrls(chain.crls, certs));
  XJ_ASSIGN_OR_RETURN(pack::trust::TrustedOffice office,
                      v.Office(st.sender, st.sender_ref, certs));
  if (st.root_version > v.root().version) {
    return Error(Code::kBadSignature,
                 "the statement names root version {}, and neither this "
                 "office nor the chain holds more than version {}",
                 st.root_version, v.root().version);
  }
  // A statement dated before its sender's certificate began is backdated:
  // its children would be judged at a time of its choosing.
  if (st.created < office.cert.not_before) {
    return Error(Code::kBadSignature,
                 "the statement is dated {}, before the certificate of its "
                 "sender {} begins ({})",
                 st.created, st.sender, office.cert.not_before);
  }
  std::vector<TrustedKey> keys;
  for (const ft::KeyEntry& k : office.cert.keys) {
    keys.push_back({k.key, k.role,
                    fmt::format("{} {} key {}", office.cert.subject, k.role,
                                KeyIdToString(k.key.key_id))});
  }
  *policy = office.cert.deliver_policy;
  for (std::size_t i = 0; i < office.path.size(); ++i) {
    const ft::CertStatement& c = office.path[i];
    r->chain_codes.push_back(c.subject);
    r->chain.push_back(fmt::format("{} {} ({}, {})", c.subject,
                                   EscapeForDisplay(c.subject_name),
                                   ft::LevelName(c.level), c.serial));
  }
  for (const std::string& w : office.warnings) r->warnings.push_back(w);
  const std::string& me = source.store->office().code;
  r->addressed =
      st.recipient == me ||
      std::find(st.copy_to.begin(), st.copy_to.end(), me) != st.copy_to.end();
  return keys;
}

std::vector<std::string> AllRecipients(const ft::BundleStatement& st) {
  std::vector<std::string> out = {st.recipient};
  for (const std::string& c : st.copy_to) out.push_back(c);
  return out;
}

// Reads the statement and judges its signatures by `source`; `require`:
// fail unless they are trusted.
Result<BundleReport> Authenticate(const Inventory& inv,
                                  const TrustSource& source, bool require) {
  if (!source.keys.empty()) {
    XJ_ASSIGN_OR_RETURN(BundleReport r,
                        ReadStatementAndSignatures(inv, source.keys, require));
    r.trust = "keys";
    return r;
  }
  if (source.store == nullptr)
    return ReadStatementAndSignatures(inv, {}, false);
  BundleReport chain_report;
  ft::Policy policy;
  Result<std::vector<TrustedKey>> keys =
      KeysFromChain(inv, source, &chain_report, &policy);
  if (!keys.ok()) {
    if (require) return keys.status();
    XJ_ASSIGN_OR_RETURN(BundleReport r,
                        ReadStatementAndSignatures(inv, {}, false));
    r.warnings.push_back("not trusted: " + keys.status().message());
    return r;
  }
  XJ_ASSIGN_OR_RETURN(BundleReport r,
                      ReadStatementAndSignatures(inv, *keys, require, true));
  std::vector<pack::trust::GoodSignature> good;
  for (const SignatureReport& sr : r.signatures) {
    if (!sr.valid) continue;
    for (const TrustedKey& k : *keys) {
      if (KeyIdIs(k.key.key_id, sr.key_id))
        good.push_back({sr.key_id, k.role, sr.time, k.key});
    }
  }
  Status met = pack::trust::MeetPolicyNamed(good, policy, [&] {
    return fmt::format("the bundle (deliver-policy of {})", r.statement.sender);
  });
  if (!met.ok()) {
    if (require) return met;
    r.warnings.push_back("not trusted: " + met.message());
    return r;
  }
  r.trust = "chain";
  r.chain = std::move(chain_report.chain);
  r.chain_codes = std::move(chain_report.chain_codes);
  r.addressed = chain_report.addressed;
  for (std::string& w : chain_report.warnings)
    r.warnings.push_back(std::move(w));
  return r;
}

// Where each signed volume is; fails on missing, extra or duplicated ones.
Result<std::vector<std::string>> LocateVolumes(const Inventory& inv,
                                               BundleReport* r, bool lenient) {
  if (r->statement.volumes.empty()) {
    return Status(Code::kRejected,
                  "the statement lists no volume: it describes a bundle held "
                  "inside another, not one on a stick");
  }
  if (r->statement.volumes.size() > 999) {
    return Status(Code::kRejected, "the statement lists over 999 volumes");
  }
  std::vector<std::string> names = VolumeNames(r->statement.volumes.size());
  std::vector<std::string> paths, missing;
  for (const auto& [name, where] : inv.volumes) {
    if (std::find(names.begin(), names.end(), name) == names.end() &&
        !lenient) {
      return Error(Code::kRejected,
                   "{}: volume {} is not in the statement (an extra file)",
                   inv.dirs[where[0]].path(), name);
    }
    if (where.size() > 1 && !lenient) {
      return Error(Code::kRejected,
                   "volume {} is in more than one of the folders given", name);
    }
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    VolumeReport v;
    v.name = names[i];
    v.size = r->statement.volumes[i].size;
    auto it = inv.volumes.find(names[i]);
    if (it == inv.volumes.end()) {
      v.state = VolumeState::kMissing;
      missing.push_back(names[i]);
      paths.emplace_back();
    } else {
      v.found_in = inv.dirs[it->second[0]].path();
      paths.push_back(v.found_in + "/" + names[i]);
      v.state = VolumeState::kPresent;
    }
    r->volumes.push_back(std::move(v));
  }
  if (!missing.empty() && !lenient) {
    return Error(Code::kNotFound, "volume(s) {} of {} missing",
                 fmt::join(missing, ", "), names.size())
        .WithHint(
            "give the folders of the other sticks too: xjpack verify DIR1 DIR2 "
            "...");
  }
  return paths;
}

// Checks a volume's size and SHA-512 as it streams by.
class VolumeCheck {
 public:
  VolumeCheck(const ft::Volume& v, std::string name)
      : v_(v), name_(std::move(name)) {}
  void Update(ByteSpan data) {
    h_.Update(data);
    size_ += data.size();
  }
  Status Finish() {
    if (size_ != v_.size) {
      return Error(size_ < v_.size ? Code::kTruncated : Code::kIntegrity,
                   "volume {} is {} bytes, the statement says {}{}", name_,
                   size_, v_.size, size_ < v_.size ? " (truncated)" : "");
    }
    if (ToHex(h_.Finish()) != v_.sha512) {
      return Error(Code::kIntegrity,
                   "volume {} does not match its SHA-512 in the statement: "
                   "damaged or altered",
                   name_);
    }
    return Status::Ok();
  }

 private:
  const ft::Volume& v_;
  std::string name_;
  keys::Hasher h_{keys::Hasher::Algorithm::kSha512};
  std::uint64_t size_ = 0;
};

// The volumes as one stream, each opened without following links, its
// size and SHA-512 checked against the statement as it ends. Reading a
// volume and checking it is one pass: what is decrypted is what was hashed.
class CheckedVolumes final : public Source {
 public:
  CheckedVolumes(const std::vector<std::string>& paths, BundleReport* r,
                 const Progress& progress, std::string_view what)
      : paths_(paths), r_(r), progress_(progress), what_(what) {
    for (const auto& v : r->statement.volumes) total_ += v.size;
  }

  Result<std::size_t> Read(MutableByteSpan buf) override {
    if (!failed_.ok()) return failed_;
    for (;;) {
      if (!file_.is_open()) {
        if (next_ == paths_.size()) return std::size_t{0};
        XJ_ASSIGN_OR_RETURN(os::Dir dir,
                            os::Dir::Open(os::DirName(paths_[next_])));
        XJ_ASSIGN_OR_RETURN(file_, dir.OpenFile(os::BaseName(paths_[next_])));
        check_ = std::make_unique<VolumeCheck>(r_->statement.volumes[next_],
                                               r_->volumes[next_].name);
      }
      os::FdSource src(file_.fd());
      XJ_ASSIGN_OR_RETURN(std::size_t n, src.Read(buf));
      if (n > 0) {
        check_->Update(ByteSpan(buf.data(), n));
        done_ += n;
        if (progress_) progress_(what_, done_, total_);
        return n;
      }
      file_ = os::File();
      Status s = check_->Finish();
      VolumeReport& v = r_->volumes[next_];
      v.state = s.ok() ? VolumeState::kPresent
                : s.code() == Code::kIntegrity &&
                        s.message().find("SHA-512") != std::string::npos
                    ? VolumeState::kWrongHash
                    : VolumeState::kWrongSize;
      ++next_;
      if (!s.ok()) {
        failed_ = s;
        return s;
      }
    }
  }

  /// Reads what is left (after a reader stopped early or failed) and says
  /// whether every volume checked.
  Status Drain() {
    Bytes buf(1 << 20);
    for (;;) {
      XJ_ASSIGN_OR_RETURN(std::size_t n, Read(buf));
      if (n == 0) return Status::Ok();
    }
  }

 private:
  const std::vector<std::string>& paths_;
  BundleReport* r_;
  const Progress& progress_;
  std::string_view what_;
  std::uint64_t total_ = 0, done_ = 0;
  std::size_t next_ = 0;
  os::File file_;
  std::unique_ptr<VolumeCheck> check_;
  Status failed_ = Status::Ok();
};

// Copies the volumes into the quarantine, each hashed as it is copied and
// judged against the statement; several at once, one a core. Fails with
// the first volume, in order, that is not as signed.
Result<std::vector<std::string>> CopyVolumesIn(
    const std::vector<std::string>& paths, const BundleReport& r,
    const std::string& quarantine, const Progress& progress) {
  std::size_t n = paths.size();
  std::vector<std::string> copies(n);
  std::vector<Status> results(n, Status::Ok());
  std::uint64_t total = 0, done = 0;
  for (const auto& v : r.statement.volumes) total += v.size;
  std::mutex mu;  // guards done and the progress callback
  std::atomic<std::size_t> next{0};
  auto work = [&]() {
    for (std::size_t i = next++; i < n; i = next++) {
      results[i] = [&]() -> Status {
        XJ_ASSIGN_OR_RETURN(os::Dir dir, os::Dir::Open(os::DirName(paths[i])));
        copies[i] = quarantine + "/" + r.volumes[i].name;
        keys::Hasher h(keys::Hasher::Algorithm::kSha512);
        XJ_RETURN_IF_ERROR(CopyFile(dir, os::BaseName(paths[i]), copies[i], &h,
                                    CopyTo::kScratch, [&](std::uint64_t k) {
                                      std::lock_guard<std::mutex> lock(mu);
                                      done += k;
                                      if (progress)
                                        progress("copying", done, total);
                                    }));
        XJ_ASSIGN_OR_RETURN(std::uint64_t size, os::FileSize(copies[i]));
        const ft::Volume& want = r.statement.volumes[i];
        if (size != want.size) {
          return Error(size < want.size ? Code::kTruncated : Code::kIntegrity,
                       "volume {} is {} bytes, the statement says {}{}",
                       r.volumes[i].name, size, want.size,
                       size < want.size ? " (truncated)" : "");
        }
        if (ToHex(h.Finish()) != want.sha512) {
          return Error(Code::kIntegrity,
                       "volume {} does not match its SHA-512 in the "
                       "statement: damaged or altered",
                       r.volumes[i].name);
        }
        return Status::Ok();
      }();
    }
  };
  std::size_t threads = std::min<std::size_t>(
      n, std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  for (const Status& s : results) XJ_RETURN_IF_ERROR(s);
  return copies;
}

// Checks every volume's size and SHA-512, several at once (one a core),
// noting each volume's state; fails with the first bad one, in order.
Status HashVolumes(const std::vector<std::string>& paths, BundleReport* r,
                   const Progress& progress) {
  std::size_t n = paths.size();
  std::vector<Status> results(n, Status::Ok());
  std::vector<char> judged(n, 0);  // read to the end and judged
  std::uint64_t total = 0, done = 0;
  for (const auto& v : r->statement.volumes) total += v.size;
  std::mutex mu;  // guards done and the progress callback
  std::atomic<std::size_t> next{0};
  auto work = [&]() {
    Bytes buf(1 << 20);
    for (std::size_t i = next++; i < n; i = next++) {
      results[i] = [&]() -> Status {
        XJ_ASSIGN_OR_RETURN(os::Dir dir, os::Dir::Open(os::DirName(paths[i])));
        XJ_ASSIGN_OR_RETURN(os::File f, dir.OpenFile(os::BaseName(paths[i])));
        VolumeCheck check(r->statement.volumes[i], r->volumes[i].name);
        os::FdSource raw(f.fd());
        PrefetchSource src(&raw);
        for (;;) {
          XJ_ASSIGN_OR_RETURN(std::size_t k, src.Read(buf));
          if (k == 0) break;
          check.Update(ByteSpan(buf.data(), k));
          std::lock_guard<std::mutex> lock(mu);
          done += k;
          if (progress) progress("verifying", done, total);
        }
        judged[i] = 1;
        return check.Finish();
      }();
    }
  };
  std::size_t threads = std::min<std::size_t>(
      n, std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  for (std::size_t i = 0; i < n; ++i) {
    const Status& s = results[i];
    if (!judged[i]) continue;
    r->volumes[i].state =
        s.ok() ? VolumeState::kPresent
        : s.code() == Code::kIntegrity &&
                s.message().find("SHA-512") != std::string::npos
            ? VolumeState::kWrongHash
            : VolumeState::kWrongSize;
  }
  for (const Status& s : results) XJ_RETURN_IF_ERROR(s);
  return Status::Ok();
}

// The header of an age payload, read without keys: exactly one X25519
// stanza per addressed office, nothing else, at most 64 KiB.
Status CheckPayloadHeader(const std::string& first_volume,
                          std::size_t offices) {
  XJ_ASSIGN_OR_RETURN(os::Dir dir, os::Dir::Open(os::DirName(first_volume)));
  XJ_ASSIGN_OR_RETURN(os::File f, dir.OpenFile(os::BaseName(first_volume)));
  os::FdSource src(f.fd());
  BufferedReader reader(&src);
  formats::age::HeaderLimits limits;
  limits.max_bytes = kMaxHeader;
  limits.max_stanzas = 64;
  Result<formats::age::Header> h = formats::age::ReadHeader(reader, limits);
  if (!h.ok()) return h.status().WithContext("the payload's age header");
  std::size_t x25519 = 0;
  for (const auto& s : h->stanzas) {
    if (s.type() != "X25519") {
      return Error(Code::kRejected,
                   "the payload is also encrypted to a \"{}\" stanza; a bundle "
                   "is encrypted "
                   "only to its offices",
                   EscapeForDisplay(s.type()));
    }
    ++x25519;
  }
  if (x25519 != offices) {
    return Error(Code::kRejected,
                 "the payload is encrypted to {} key{}, but the statement "
                 "names {} office{}",
                 x25519, x25519 == 1 ? "" : "s", offices,
                 offices == 1 ? "" : "s");
  }
  return Status::Ok();
}

// Hashes (and writes) the bag's larger files on worker threads while the
// archive goes on streaming: SHA-512 of every file is the largest cost of
// checking a bag. Files are taken in order, one worker a file, and chunks
// of one file reach its worker in order; at most `max_bytes` of buffers
// wait at a time (counted whole, however little of each a small file
// fills). A small file is cheaper to hash where it was read than to hand
// over (a handover wakes a thread, tens of thousands of times a city):
// the reader hashes it and adds it as done (Add), in its place in order.
class FileHashers {
 public:
  explicit FileHashers(std::size_t workers, std::size_t max_bytes = 8 << 20)
      : max_bytes_(max_bytes) {
    for (std::size_t i = 0; i < workers; ++i)
      threads_.emplace_back([this] { Work(); });
  }
  ~FileHashers() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    work_.notify_all();
    for (std::thread& t : threads_) t.join();
  }

  /// A file finished: its SHA-512 (hex), and its roster's counts if it
  /// was counted.
  struct Done {
    std::string sha512;
    std::shared_ptr<Result<RosterCounter::ByValues>> roster;
  };
  /// A buffer to fill with the next chunk of a file with `left` bytes to
  /// come: 1 MiB, or as much as is left.
  Bytes Buffer(std::uint64_t left) {
    if (left < kChunk) return Bytes(static_cast<std::size_t>(left) + 1);
    std::lock_guard<std::mutex> lock(mu_);
    if (!spare_.empty()) {
      Bytes b = std::move(spare_.back());
      spare_.pop_back();
      return b;
    }
    return Bytes(kChunk);
  }
  /// Gives back a buffer that was not filled.
  void Return(Bytes buf) {
    if (buf.size() != kChunk) return;
    std::lock_guard<std::mutex> lock(mu_);
    spare_.push_back(std::move(buf));
  }
  /// Starts the next file; `out` (may be closed) receives its bytes, and
  /// `roster` (if any) counts them as a roster. Waits while many files are
  /// unfinished (each may hold a descriptor).
  void Begin(os::File out, std::string name,
             std::unique_ptr<RosterCounter> roster = nullptr) {
    auto f = std::make_shared<Job>();
    f->out = std::move(out);
    f->name = std::move(name);
    f->roster = std::move(roster);
    std::unique_lock<std::mutex> lock(mu_);
    WaitForRoom(lock, true);
    ++open_;
    jobs_.push_back(f);
    unclaimed_.push_back(f);
    current_ = f;
    work_.notify_all();
  }
  /// The next file, hashed (and written) by the caller, and then, as
  /// Take(false), the files finished so far. (With none before it
  /// unfinished, it is done at once: nothing is waited for or locked.)
  Result<std::vector<Done>> Add(std::string sha512) {
    std::vector<Done> out;
    // Only this thread changes jobs_ (workers change what a job holds).
    if (jobs_.empty()) {
      XJ_RETURN_IF_ERROR(error());
      out.push_back({std::move(sha512), nullptr});
      return out;
    }
    auto f = std::make_shared<Job>();
    f->sha512 = std::move(sha512);
    f->done = true;
    std::unique_lock<std::mutex> lock(mu_);
    WaitForRoom(lock, false);
    jobs_.push_back(std::move(f));
    return TakeLocked();
  }
  /// The next file, all of it (`n` bytes in `buf`): Begin, Data and End
  /// at once.
  void Whole(os::File out, std::string name,
             std::unique_ptr<RosterCounter> roster, Bytes buf, std::size_t n) {
    auto f = std::make_shared<Job>();
    f->out = std::move(out);
    f->name = std::move(name);
    f->roster = std::move(roster);
    f->ended = true;
    std::size_t bytes = buf.size();
    f->chunks.push_back({std::move(buf), n});
    std::unique_lock<std::mutex> lock(mu_);
    room_.wait(lock, [&] { return queued_ < max_bytes_ || !error_.ok(); });
    WaitForRoom(lock, true);
    queued_ += bytes;
    ++open_;
    jobs_.push_back(f);
    unclaimed_.push_back(std::move(f));
    // No worker waits for more of a file now (the last one streamed was
    // ended): whichever wakes takes this one.
    work_.notify_one();
  }
  /// The next `n` bytes of the current file, in `buf`.
  void Data(Bytes buf, std::size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    room_.wait(lock, [&] { return queued_ < max_bytes_ || !error_.ok(); });
    queued_ += buf.size();
    current_->chunks.push_back({std::move(buf), n});
    work_.notify_all();
  }
  void End() {
    std::lock_guard<std::mutex> lock(mu_);
    current_->ended = true;
    work_.notify_all();
  }
  /// The first error so far (the reader stops early on one).
  Status error() {
    if (!failed_.load(std::memory_order_acquire)) return Status::Ok();
    std::lock_guard<std::mutex> lock(mu_);
    return error_;
  }
  /// The files finished so far, in the order they were begun, each given
  /// once; with `all`, waits for every file begun.
  Result<std::vector<Done>> Take(bool all) {
    std::unique_lock<std::mutex> lock(mu_);
    if (all) {
      room_.wait(lock, [&] {
        return !error_.ok() ||
               std::all_of(jobs_.begin(), jobs_.end(),
                           [](const auto& j) { return j->done; });
      });
    }
    return TakeLocked();
  }

 private:
  Result<std::vector<Done>> TakeLocked() {
    if (!error_.ok()) return error_;
    std::vector<Done> out;
    while (!jobs_.empty() && jobs_.front()->done) {
      out.push_back({std::move(jobs_.front()->sha512),
                     std::move(jobs_.front()->counted)});
      jobs_.pop_front();
    }
    return out;
  }

  static constexpr std::size_t kChunk = 1 << 20;
  // Files handed over and not yet done (each may hold a descriptor), and
  // files begun and not yet taken.
  static constexpr std::size_t kMaxOpen = 256, kMaxJobs = 8192;
  struct Chunk {
    Bytes data;
    std::size_t size;
  };
  struct Job {
    os::File out;
    std::string name;
    std::deque<Chunk> chunks;
    bool ended = false, done = false;
    std::string sha512;
    std::unique_ptr<RosterCounter> roster;
    std::shared_ptr<Result<RosterCounter::ByValues>> counted;
  };

  // Until fewer files are unfinished (of those handed over, if `open`),
  // or the first is done (it is taken).
  void WaitForRoom(std::unique_lock<std::mutex>& lock, bool open) {
    room_.wait(lock, [&] {
      return (jobs_.size() < kMaxJobs && (!open || open_ < kMaxOpen)) ||
             !error_.ok() || jobs_.front()->done;
    });
  }

  void Work() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      work_.wait(lock, [&] { return stop_ || !unclaimed_.empty(); });
      if (stop_) return;
      std::shared_ptr<Job> j = unclaimed_.front();
      unclaimed_.pop_front();
      keys::Hasher h(keys::Hasher::Algorithm::kSha512);
      Status failed, miscounted;
      for (;;) {
        work_.wait(lock,
                   [&] { return stop_ || !j->chunks.empty() || j->ended; });
        if (stop_) return;
        if (j->chunks.empty()) break;  // ended
        Chunk c = std::move(j->chunks.front());
        j->chunks.pop_front();
        lock.unlock();
        ByteSpan data(c.data.data(), c.size);
        h.Update(data);
        if (j->roster != nullptr && miscounted.ok())
          miscounted = j->roster->Feed(data);
        if (failed.ok() && j->out.is_open()) {
          os::FdSink sink(j->out.fd());
          failed = sink.Write(data);
        }
        lock.lock();
        queued_ -= c.data.size();
        if (c.data.size() == kChunk) spare_.push_back(std::move(c.data));
        room_.notify_all();
      }
      lock.unlock();
      if (failed.ok() && j->out.is_open()) failed = j->out.Close(j->name);
      std::string hex = ToHex(h.Finish());
      std::shared_ptr<Result<RosterCounter::ByValues>> counted;
      if (j->roster != nullptr) {
        counted = std::make_shared<Result<RosterCounter::ByValues>>(
            miscounted.ok() ? j->roster->Finish()
                            : Result<RosterCounter::ByValues>(miscounted));
      }
      lock.lock();
      j->sha512 = std::move(hex);
      j->counted = std::move(counted);
      j->done = true;
      --open_;
      if (!failed.ok() && error_.ok()) {
        error_ = failed;
        failed_.store(true, std::memory_order_release);
      }
      room_.notify_all();
    }
  }

  std::size_t max_bytes_;
  std::mutex mu_;
  std::condition_variable work_;           // the workers wait on it
  std::condition_variable room_;           // the reader waits on it
  std::deque<std::shared_ptr<Job>> jobs_;  // begun, not yet taken
  std::deque<std::shared_ptr<Job>> unclaimed_;
  std::shared_ptr<Job> current_;
  std::vector<Bytes> spare_;
  std::size_t queued_ = 0, open_ = 0;
  Status error_;
  std::atomic<bool> failed_{false};  // error_ is set
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

// Validates the bag as its tar streams by; optionally writes the files.
class BagCheck {
 public:
  // `held`, if given, is told of each payload file once it is written.
  BagCheck(const ft::BundleStatement& st, std::string out_root,
           HeldCheck* held = nullptr)
      : st_(st), out_root_(std::move(out_root)), held_(held) {}

  Status Run(TarReader& tar, BundleReport* report) {
    TarEntry e;
    std::string prefix = st_.id + "/";
    for (;;) {
      XJ_ASSIGN_OR_RETURN(bool more, tar.Next(&e));
      if (!more) break;
      if (e.path.compare(0, prefix.size(), prefix) != 0) {
        return Error(Code::kRejected,
                     "the archive holds \"{}\", outside the bag folder {}",
                     EscapeForDisplay(e.path), st_.id);
      }
      std::string path = e.path.substr(prefix.size());
      if (!last_.empty() && !(last_ < path)) {
        return Error(Code::kRejected,
                     "the archive's entries are out of order at \"{}\"",
                     EscapeForDisplay(path));
      }
      last_ = path;
      XJ_RETURN_IF_ERROR(Entry(tar, path, e.size));
    }
    if (stage_ != Stage::kDone) {
      return Status(Code::kRejected,
                    "the bag is incomplete: its tag manifest never came (a bag "
                    "file is missing)");
    }
    report->files = files_;
    report->payload_bytes = octets_;
    return Status::Ok();
  }

 private:
  enum class Stage { kBagInfo, kBagit, kData, kManifest, kTagManifest, kDone };

  Result<std::string> ReadSmall(TarReader& tar, std::uint64_t size,
                                std::string_view what) {
    if (size > (1 << 24))
      return Error(Code::kRejected, "{} is implausibly large", what);
    std::string text(static_cast<std::size_t>(size), '\0');
    std::size_t got = 0;
    while (got < text.size()) {
      XJ_ASSIGN_OR_RETURN(
          std::size_t n, tar.Read(MutableByteSpan(
                             reinterpret_cast<std::uint8_t*>(text.data()) + got,
                             text.size() - got)));
      if (n == 0) break;
      got += n;
    }
    if (got != text.size())
      return Error(Code::kTruncated, "{} is cut short", what);
    if (!out_root_.empty())
      XJ_RETURN_IF_ERROR(Write(std::string(what), AsBytes(text)));
    return text;
  }

  // Exactly `into.size()` bytes: the rest of the entry `path`.
  Status ReadWhole(TarReader& tar, const std::string& path,
                   MutableByteSpan into) {
    std::size_t got = 0;
    while (got < into.size()) {
      XJ_ASSIGN_OR_RETURN(std::size_t n, tar.Read(into.subspan(got)));
      if (n == 0)
        return Error(Code::kTruncated, "bag file {} is cut short", path);
      got += n;
    }
    // The entry ends here.
    XJ_ASSIGN_OR_RETURN(std::size_t n, tar.Read(MutableByteSpan(buf_)));
    if (n != 0) {
      return Error(Code::kRejected, "bag file {} is longer than its header",
                   path);
    }
    return Status::Ok();
  }

  Status Write(const std::string& path, ByteSpan data) {
    // Folders first: each component created here, in a folder we made.
    std::string dir = os::DirName(out_root_ + "/" + path);
    XJ_RETURN_IF_ERROR(os::MakeDirectories(dir, 0700));
    std::string full = out_root_ + "/" + path;
    int fd = ::open(full.c_str(),
                    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return os::ErrnoStatus(errno, fmt::format("creating {}", full));
    os::File f(fd);
    os::FdSink sink(fd, full);
    XJ_RETURN_IF_ERROR(sink.Write(data));
    return f.Close(full);
  }

  Status Entry(TarReader& tar, const std::string& path, std::uint64_t size) {
    auto unexpected = [&]() {
      return Error(Code::kRejected, "unexpected file \"{}\" in the bag",
                   EscapeForDisplay(path));
    };
    if (path == bagit::kBagInfo) {
      if (stage_ != Stage::kBagInfo) return unexpected();
      XJ_ASSIGN_OR_RETURN(std::string text,
                          ReadSmall(tar, size, bagit::kBagInfo));
      XJ_ASSIGN_OR_RETURN(bagit::BagInfo info, bagit::ParseBagInfo(text));
      if (info.external_identifier != st_.id) {
        return Error(Code::kRejected,
                     "bag-info.txt names bundle {}, the statement {}",
                     EscapeForDisplay(info.external_identifier), st_.id);
      }
      if (info.payload_oxum != st_.bag_oxum) {
        return Error(Code::kRejected,
                     "bag-info.txt says Payload-Oxum {}, the statement {}",
                     EscapeForDisplay(info.payload_oxum), st_.bag_oxum);
      }
      tag_lines_ +=
          bagit::ManifestLine(Sha512Hex(AsBytes(text)), bagit::kBagInfo);
      stage_ = Stage::kBagit;
      return Status::Ok();
    }
    if (path == bagit::kBagit) {
      if (stage_ != Stage::kBagit) return unexpected();
      XJ_ASSIGN_OR_RETURN(std::string text,
                          ReadSmall(tar, size, bagit::kBagit));
      if (text != bagit::kBagitTxt)
        return Status(Code::kRejected, "bagit.txt is not BagIt 1.0 UTF-8");
      tag_lines_ +=
          bagit::ManifestLine(Sha512Hex(AsBytes(text)), bagit::kBagit);
      stage_ = Stage::kData;
      return Status::Ok();
    }
    if (path.compare(0, 5, "data/") == 0) {
      if (stage_ != Stage::kData) return unexpected();
      XJ_RETURN_IF_ERROR(hashers_.error());
      os::File out;
      if (!out_root_.empty()) {
        std::string full = out_root_ + "/" + path;
        // Files come folder by folder: each folder is made (or looked for)
        // once, for its first file.
        std::string dir = os::DirName(full);
        if (dir != made_dir_) {
          XJ_RETURN_IF_ERROR(os::MakeDirectories(dir, 0700));
          made_dir_ = std::move(dir);
        }
        int fd =
            ::open(full.c_str(),
                   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
          return os::ErrnoStatus(errno, fmt::format("creating {}", full));
        out = os::File(fd);
      }
      // A held school's roster is counted as it streams by, for the
      // check of the bundles held (which would read it again).
      std::unique_ptr<RosterCounter> roster;
      if (held_ != nullptr && !out_root_.empty() &&
          path.starts_with("data/children/") &&
          path.ends_with("/bag/data/registry/students.csv")) {
        roster = std::make_unique<RosterCounter>(out_root_ + "/" + path);
      }
      // A small file is hashed and written here. And the small files of a
      // held child that its check reads (its statement, signatures, chain,
      // tag files and merged summary, and of a school's registry files
      // only school.csv) are kept, for the check to read from memory the
      // bytes that were hashed.
      if (roster == nullptr && size <= kInlineBytes) {
        std::string text(static_cast<std::size_t>(size), '\0');
        XJ_RETURN_IF_ERROR(ReadWhole(
            tar, path,
            MutableByteSpan(reinterpret_cast<std::uint8_t*>(text.data()),
                            text.size())));
        if (out.is_open()) {
          std::string full = out_root_ + "/" + path;
          os::FdSink sink(out.fd(), full);
          XJ_RETURN_IF_ERROR(sink.Write(AsBytes(text)));
          XJ_RETURN_IF_ERROR(out.Close(full));
        }
        std::string sha512 = Sha512Hex(AsBytes(text));
        std::optional<std::string> kept;
        if (held_ != nullptr && path.starts_with("data/children/") &&
            (path.find("/bag/data/registry/") == std::string::npos ||
             path.ends_with("/bag/data/registry/school.csv")) &&
            path.find("/bag/data/check/") == std::string::npos) {
          kept = std::move(text);
        }
        paths_.push_back({path, size, std::move(kept)});
        octets_ += size;
        ++files_;
        XJ_ASSIGN_OR_RETURN(std::vector<FileHashers::Done> done,
                            hashers_.Add(std::move(sha512)));
        AddManifestLines(done);
        return Status::Ok();
      }
      // One that fits a chunk is handed over whole (one handover).
      if (size < kChunkBytes) {
        Bytes whole(static_cast<std::size_t>(size));
        XJ_RETURN_IF_ERROR(ReadWhole(tar, path, MutableByteSpan(whole)));
        hashers_.Whole(std::move(out), path, std::move(roster),
                       std::move(whole), static_cast<std::size_t>(size));
        paths_.push_back({path, size, std::nullopt});
        octets_ += size;
        ++files_;
        XJ_ASSIGN_OR_RETURN(std::vector<FileHashers::Done> done,
                            hashers_.Take(false));
        AddManifestLines(done);
        return Status::Ok();
      }
      hashers_.Begin(std::move(out), path, std::move(roster));
      std::uint64_t got = 0;
      for (;;) {
        Bytes chunk = hashers_.Buffer(got < size ? size - got : 0);
        XJ_ASSIGN_OR_RETURN(std::size_t n, tar.Read(chunk));
        if (n == 0) {
          hashers_.Return(std::move(chunk));
          break;
        }
        hashers_.Data(std::move(chunk), n);
        got += n;
        if (got % (64 << 20) < n) XJ_RETURN_IF_ERROR(hashers_.error());
      }
      hashers_.End();
      if (got != size)
        return Error(Code::kTruncated, "bag file {} is cut short", path);
      paths_.push_back({path, size, std::nullopt});
      octets_ += size;
      ++files_;
      XJ_ASSIGN_OR_RETURN(std::vector<FileHashers::Done> done,
                          hashers_.Take(false));
      AddManifestLines(done);
      return Status::Ok();
    }
    if (path == bagit::kManifest) {
      if (stage_ != Stage::kData) return unexpected();
      // The payload's hashes, in the archive's order, make the manifest.
      XJ_ASSIGN_OR_RETURN(std::vector<FileHashers::Done> rest,
                          hashers_.Take(true));
      AddManifestLines(rest);
      XJ_ASSIGN_OR_RETURN(std::string text, ReadSmallOrStream(tar, size));
      (void)text;
      if (manifest_text_sha512_ != ToHex(manifest_.Finish())) {
        return ExplainMismatch();
      }
      tag_lines_ +=
          bagit::ManifestLine(manifest_text_sha512_, bagit::kManifest);
      if (bagit::Oxum(octets_, files_) != st_.bag_oxum) {
        return Error(Code::kRejected,
                     "the bag holds {} bytes in {} files (Payload-Oxum {}), "
                     "the statement's bag-oxum says {}",
                     octets_, files_, bagit::Oxum(octets_, files_),
                     st_.bag_oxum);
      }
      stage_ = Stage::kTagManifest;
      return Status::Ok();
    }
    if (path == bagit::kTagManifest) {
      if (stage_ != Stage::kTagManifest) return unexpected();
      XJ_ASSIGN_OR_RETURN(std::string text,
                          ReadSmall(tar, size, bagit::kTagManifest));
      if (Sha512Hex(AsBytes(text)) != st_.bag_tagmanifest_sha512) {
        return Status(Code::kIntegrity,
                      "the bag's tag manifest does not match the signed "
                      "statement: the bag "
                      "was altered");
      }
      if (text != tag_lines_) return ExplainTagMismatch(text);
      stage_ = Stage::kDone;
      return Status::Ok();
    }
    return unexpected();
  }

  // The manifest may be large (a line a file): hash it as it streams, and
  // keep it only when writing the bag out.
  Result<std::string> ReadSmallOrStream(TarReader& tar, std::uint64_t size) {
    keys::Hasher h(keys::Hasher::Algorithm::kSha512);
    os::File out;
    if (!out_root_.empty()) {
      std::string full = out_root_ + "/" + std::string(bagit::kManifest);
      int fd =
          ::open(full.c_str(),
                 O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (fd < 0)
        return os::ErrnoStatus(errno, fmt::format("creating {}", full));
      out = os::File(fd);
    }
    std::uint64_t got = 0;
    for (;;) {
      XJ_ASSIGN_OR_RETURN(std::size_t n, tar.Read(buf_));
      if (n == 0) break;
      h.Update(ByteSpan(buf_.data(), n));
      if (out.is_open()) {
        os::FdSink sink(out.fd());
        XJ_RETURN_IF_ERROR(sink.Write(ByteSpan(buf_.data(), n)));
      }
      if (size <= kExplainLimit)
        manifest_text_ += AsChars(ByteSpan(buf_.data(), n));
      got += n;
    }
    if (got != size)
      return Status(Code::kTruncated, "manifest-sha512.txt is cut short");
    if (out.is_open()) XJ_RETURN_IF_ERROR(out.Close("manifest-sha512.txt"));
    manifest_text_sha512_ = ToHex(h.Finish());
    return std::string();
  }

  const ft::BundleStatement& st_;
  std::string out_root_;
  HeldCheck* held_;
  std::string made_dir_;  // the folder of the last payload file
  Stage stage_ = Stage::kBagInfo;
  std::string last_;
  std::string tag_lines_;
  // The first difference between the bag and its manifest, named.
  // Which tag file's line is wrong, missing or extra (the tag manifest is
  // signed, so the tag files, or the sender's tools, are what is wrong).
  Status ExplainTagMismatch(const std::string& text) const {
    constexpr std::string_view kTm = bagit::kTagManifest;
    Result<std::vector<std::pair<std::string, std::string>>> theirs =
        bagit::ParseManifest(text);
    if (!theirs.ok()) return theirs.status().WithContext(kTm);
    Result<std::vector<std::pair<std::string, std::string>>> ours =
        bagit::ParseManifest(tag_lines_);
    if (!ours.ok()) return ours.status().WithContext("the bag's tag files");
    std::map<std::string, std::string> listed(theirs->begin(), theirs->end());
    for (const auto& [path, hash] : *ours) {
      auto it = listed.find(path);
      if (it == listed.end()) {
        return Error(Code::kIntegrity, "{} has no line for {}", kTm, path);
      }
      if (it->second != hash) {
        return Error(Code::kIntegrity, "{} does not match its SHA-512 in {}",
                     path, kTm);
      }
      listed.erase(it);
    }
    if (!listed.empty()) {
      return Error(Code::kIntegrity,
                   "{} lists {}, which is not a tag file of "
                   "the bag",
                   kTm, EscapeForDisplay(listed.begin()->first));
    }
    return Error(Code::kIntegrity,
                 "{} lists the bag's tag files in another "
                 "order or form than a bag's",
                 kTm);
  }

  Status ExplainMismatch() const {
    constexpr std::string_view kGeneric =
        "the bag's files do not match manifest-sha512.txt: a file was "
        "altered, added or removed";
    if (lines_overflow_ || manifest_text_.empty()) {
      return Status(Code::kIntegrity, std::string(kGeneric));
    }
    // A manifest that is not well formed (lines out of order, say) is
    // named as such, before any file is blamed.
    if (auto parsed = bagit::ParseManifest(manifest_text_); !parsed.ok()) {
      return parsed.status().WithContext(bagit::kManifest);
    }
    auto split = [](std::string_view text) {
      std::vector<std::pair<std::string_view, std::string_view>>
          out;  // path, hash
      while (!text.empty()) {
        std::size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        std::size_t sp = line.find("  ");
        if (sp != std::string_view::npos)
          out.emplace_back(line.substr(sp + 2), line.substr(0, sp));
        if (nl == std::string_view::npos) break;
        text.remove_prefix(nl + 1);
      }
      return out;
    };
    auto ours = split(lines_), theirs = split(manifest_text_);
    std::size_t i = 0, j = 0;
    while (i < ours.size() || j < theirs.size()) {
      if (j == theirs.size() ||
          (i < ours.size() && ours[i].first < theirs[j].first)) {
        return Error(Code::kIntegrity,
                     "the bag holds {}, which manifest-sha512.txt does not "
                     "list (an added file)",
                     EscapeForDisplay(ours[i].first));
      }
      if (i == ours.size() || theirs[j].first < ours[i].first) {
        return Error(Code::kIntegrity,
                     "manifest-sha512.txt lists {}, which the bag lacks (a "
                     "missing file)",
                     EscapeForDisplay(theirs[j].first));
      }
      if (ours[i].second != theirs[j].second) {
        return Error(Code::kIntegrity,
                     "{} does not match its SHA-512 in manifest-sha512.txt "
                     "(an altered file)",
                     EscapeForDisplay(ours[i].first));
      }
      ++i;
      ++j;
    }
    return Status(Code::kIntegrity, std::string(kGeneric));
  }

  static constexpr std::size_t kExplainLimit = 32 << 20;
  std::string lines_, manifest_text_;
  bool lines_overflow_ = false;
  keys::Hasher manifest_{
      keys::Hasher::Algorithm::kSha512};  // the rebuilt manifest
  std::string manifest_text_sha512_;
  std::uint64_t octets_ = 0, files_ = 0;
  Bytes buf_ = Bytes(1 << 20);
  // Payload files whose hash is to come, their sizes, and the bytes of
  // those kept for the held check.
  struct Pending {
    std::string path;
    std::uint64_t size;
    std::optional<std::string> kept;
  };
  // Files up to this size are hashed where they are read (and kept, when
  // held).
  static constexpr std::uint64_t kInlineBytes = 64 << 10;
  static constexpr std::uint64_t kChunkBytes = 1 << 20;  // as FileHashers
  std::deque<Pending> paths_;
  // The manifest lines of the next files in order, from their hashes.
  void AddManifestLines(const std::vector<FileHashers::Done>& done) {
    for (const FileHashers::Done& d : done) {
      const std::string& h = d.sha512;
      Pending& p = paths_.front();
      std::string line = bagit::ManifestLine(h, p.path);
      if (held_ != nullptr) {
        held_->Written(p.path, h, p.size, d.roster.get(),
                       p.kept ? &*p.kept : nullptr);
      }
      paths_.pop_front();
      manifest_.Update(AsBytes(line));
      if (lines_.size() + line.size() <= kExplainLimit) {
        lines_ += line;
      } else {
        lines_overflow_ = true;
      }
    }
  }
  FileHashers hashers_{
      std::max<std::size_t>(2, std::thread::hardware_concurrency())};
};

// Limits for the payload, from what the statement signs.
struct PayloadLimits {
  std::uint64_t octets = 0, files = 0;
  std::uint64_t max_output() const {
    // The bag's files, its tag files (a manifest line a file), and tar
    // headers and padding.
    return octets + (files + 8) * (3 * 512 + 256) + (std::uint64_t{16} << 20);
  }
};

Result<PayloadLimits> LimitsOf(const ft::BundleStatement& st) {
  PayloadLimits l;
  std::size_t dot = st.bag_oxum.find('.');
  l.octets = std::stoull(st.bag_oxum.substr(0, dot));
  l.files = std::stoull(st.bag_oxum.substr(dot + 1));
  // Caps that keep the arithmetic below far from overflow, and far above
  // any real registry (a province is a few hundred GiB and files).
  if (l.octets > (std::uint64_t{1} << 50) || l.files > 1000000000) {
    return Error(Code::kRejected,
                 "the statement claims an implausible bag size (bag-oxum {})",
                 st.bag_oxum);
  }
  return l;
}

// Names the payload's bytes first to last (offsets in the volumes joined)
// by the volumes that hold them: "payload.tar.zst.age.003 bytes 10–99", or
// "... .003 byte 65530 to ... .004 byte 9" across a volume's end. The sizes
// are the statement's, which every volume has had by the time a decryption
// error is told (a volume that does not is refused as such first).
age::PlaceName VolumePlaces(const ft::BundleStatement& st) {
  if (st.volumes.empty()) return {};
  std::vector<std::string> names = VolumeNames(st.volumes.size());
  std::vector<std::uint64_t> starts;
  std::uint64_t at = 0;
  for (const ft::Volume& v : st.volumes) {
    starts.push_back(at);
    at += v.size;
  }
  return [names = std::move(names), starts = std::move(starts)](
             std::uint64_t first, std::uint64_t last) {
    // The last volume starting at or before x (an empty one holds nothing).
    auto find = [&](std::uint64_t x) {
      std::size_t i =
          std::upper_bound(starts.begin(), starts.end(), x) - starts.begin();
      return i == 0 ? std::size_t{0} : i - 1;
    };
    std::size_t i = find(first), j = find(last);
    std::uint64_t a = first - starts[i], b = last - starts[j];
    if (i != j)
      return fmt::format("{} byte {} to {} byte {}", names[i], a, names[j], b);
    if (a == b) return fmt::format("{} byte {}", names[i], a);
    return fmt::format("{} bytes {}–{}", names[i], a, b);
  };
}

// Decrypts the volumes and checks (or extracts) the bag.
Status OpenPayload(Source& volumes, BundleReport* report,
                   const std::vector<keys::X25519Identity>& identities,
                   const std::string& out_root, std::uint64_t max_files,
                   HeldCheck* held = nullptr) {
  const ft::BundleStatement& st = report->statement;
  age::DecryptOptions opt;
  opt.reject_unknown_stanzas = true;
  opt.limits.max_bytes = kMaxHeader;
  opt.place = VolumePlaces(st);
  age::Decryptor dec(opt);
  for (const auto& id : identities) dec.AddIdentity(&id);
  Result<std::unique_ptr<Source>> plain = dec.Open(volumes);
  if (!plain.ok()) {
    if (plain.status().code() == Code::kNoIdentity) {
      return Status(
          Code::kNoIdentity,
          "none of the identities given opens this bundle: it is addressed "
          "to " +
              st.recipient +
              (st.copy_to.empty()
                   ? std::string()
                   : " (copies to " +
                         fmt::format("{}", fmt::join(st.copy_to, ", ")) + ")"));
    }
    return plain.status().WithContext("decrypting the payload");
  }
  XJ_ASSIGN_OR_RETURN(PayloadLimits limits, LimitsOf(st));
  XJ_ASSIGN_OR_RETURN(
      std::unique_ptr<ZstdDecompressSource> zstd,
      ZstdDecompressSource::Create(plain->get(), limits.max_output()));
  TarLimits tl;
  tl.max_files = std::min<std::uint64_t>(limits.files + kTagFiles, max_files);
  tl.max_files_why =
      tl.max_files < max_files
          ? fmt::format(
                "the statement's bag-oxum counts {} payload files, "
                "and a bag has {} tag files",
                limits.files, kTagFiles)
          : std::string("the most a bundle may hold");
  tl.max_total = limits.max_output();
  // Two cores: one reads, hashes, decrypts and decompresses the volumes,
  // the other checks (and writes) the archive.
  PrefetchSource ahead(zstd.get());
  XJ_ASSIGN_OR_RETURN(std::unique_ptr<TarReader> tar,
                      TarReader::Open(&ahead, tl));
  BagCheck check(st, out_root, held);
  XJ_RETURN_IF_ERROR(check.Run(*tar, report));
  // Only zeros may follow the archive, and they too must authenticate.
  XJ_RETURN_IF_ERROR(tar->Finish());
  return Status::Ok();
}

}  // namespace

Status CheckPackRequest(const PackRequest& req, bool registry) {
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
                   "--allow-errors: the reason must be one line of plain "
                   "text: {}",
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
  const std::string& period = content.period;
  const CheckTotals& totals = content.totals;
  std::vector<BagFile>& files = content.files;
  // The office's certificate: the sender it names, the key that signs, and
  // the chain the bundle carries, checked before a number is taken.
  std::optional<pack::trust::TrustedOffice> own;
  bool pending = false;  // waits for a leader's approval
  ChainFiles chain;
  std::uint64_t root_version = 0;
  if (req.store != nullptr) {
    XJ_RETURN_IF_ERROR(CheckSigningClock(req.home, now));
    pack::trust::VerifierOptions vo{os::FormatUtc(now), false};
    XJ_ASSIGN_OR_RETURN(own, req.store->OwnCertificate(vo));
    if (own->cert.subject != sender) {
      return Error(Code::kRejected,
                   "this office is {} ({}), and the registry is school {}'s",
                   own->cert.subject, EscapeForDisplay(own->cert.subject_name),
                   sender);
    }
    auto key = std::find_if(own->cert.keys.begin(), own->cert.keys.end(),
                            [&](const ft::KeyEntry& k) {
                              return k.key.key_id == req.key->key_id();
                            });
    if (key == own->cert.keys.end() || key->role != req.role) {
      return Error(Code::kBadKey,
                   "the signing key {} is not certified as a {} key of {}",
                   KeyIdToString(req.key->key_id()), req.role, sender);
    }
    // What the one signature made here leaves to a leader's approval.
    for (const auto& [role, n] : own->cert.deliver_policy.groups) {
      if (role == req.role && n == 1) continue;
      if (role != "leader" || req.role == "leader") {
        return Error(Code::kRejected,
                     "{}'s bundles need the signatures {} (its "
                     "deliver-policy), more than one {} and a leader can give",
                     sender, own->cert.deliver_policy.ToString(), req.role);
      }
      pending = true;
    }
    chain = req.store->ChainFor(*own);
    XJ_ASSIGN_OR_RETURN(pack::trust::Verifier v, req.store->MakeVerifier(vo));
    Status own_chain = v.AddRoots(chain.roots);
    if (own_chain.ok()) own_chain = v.AddCrls(chain.crls, chain.certs);
    if (own_chain.ok())
      own_chain = v.Office(sender, own->cert_sha256, chain.certs).status();
    if (!own_chain.ok()) {
      return own_chain.WithContext(
          "this office's own chain would not verify at the recipient");
    }
    root_version = v.root().version;
  }

  // 2. The stream: the next sequence number is taken before anything is
  // signed, so it is never used twice.
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
  std::string id = ft::BundleId(sender, req.recipient.code, seq);

  std::sort(files.begin(), files.end(),
            [](const BagFile& a, const BagFile& b) { return a.path < b.path; });
  std::uint64_t octets = 0;
  for (const BagFile& f : files) octets += f.size;
  std::string oxum = bagit::Oxum(octets, files.size());

  // 4. tar → zstd → age → volumes, in the outbox, in one pass.
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
  std::vector<keys::X25519PublicKey> recipients = req.recipient.recipients;
  for (const Addressee& a : req.copy_to) recipients.push_back(a.recipients[0]);
  std::string tagmanifest, manifest_text;
  std::vector<VolumeFile> volumes;
  {
    VolumeWriter vw(outbox_tmp, req.volume_size);
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
    info.source_organization = sender;
    info.schema = fmt::format("{} {}", req.data->schema->Label(),
                              req.data->schema->sha256);
    info.allow_errors = content.allowed_errors > 0 ? req.allow_errors : "";
    std::string bag_info = bagit::SerializeBagInfo(info);
    XJ_ASSIGN_OR_RETURN(std::string info_hash,
                        bag.AddBytes(std::string(bagit::kBagInfo), bag_info));
    XJ_ASSIGN_OR_RETURN(
        std::string bagit_hash,
        bag.AddBytes(std::string(bagit::kBagit), bagit::kBagitTxt));
    std::string& manifest = manifest_text;
    for (const BagFile& f : files) {
      XJ_ASSIGN_OR_RETURN(std::string h, bag.AddFile(f));
      manifest += bagit::ManifestLine(h, f.path);
    }
    XJ_ASSIGN_OR_RETURN(std::string manifest_hash,
                        bag.AddBytes(std::string(bagit::kManifest), manifest));
    tagmanifest = bagit::ManifestLine(info_hash, bagit::kBagInfo) +
                  bagit::ManifestLine(bagit_hash, bagit::kBagit) +
                  bagit::ManifestLine(manifest_hash, bagit::kManifest);
    XJ_RETURN_IF_ERROR(
        bag.AddBytes(std::string(bagit::kTagManifest), tagmanifest).status());
    XJ_RETURN_IF_ERROR(tar->Finish());
    XJ_RETURN_IF_ERROR(zstd->Finish());
    XJ_RETURN_IF_ERROR(enc->Finish());
    XJ_ASSIGN_OR_RETURN(volumes, vw.Finish());
  }

  // 5. The statement, signed and checked.
  ft::BundleStatement st;
  st.id = id;
  st.sender = sender;
  st.sender_ref = own ? own->cert_sha256 : std::string("none");
  st.recipient = req.recipient.code;
  for (const Addressee& a : req.copy_to) st.copy_to.push_back(a.code);
  std::sort(st.copy_to.begin(), st.copy_to.end());
  st.kind = req.kind;
  st.period = period;
  st.seq = seq;
  st.prev = stream.last_hash;
  st.created = os::FormatUtc(now);
  st.root_version = root_version;
  for (const pack::trust::SignedText& c : chain.crls) {
    Result<ft::CrlStatement> crl = ft::ParseCrl(c.text);
    if (!crl.ok()) return crl.status().WithContext(c.name);
    st.crls.push_back(
        {crl->issuer, crl->number, pack::trust::StatementSha256(c.text)});
  }
  st.schema = req.data->schema->Label();
  st.schema_sha256 = req.data->schema->sha256;
  if (content.allowed_errors > 0) st.allow_errors = content.allowed_errors;
  st.bag_tagmanifest_sha512 = Sha512Hex(AsBytes(tagmanifest));
  st.bag_oxum = oxum;
  for (std::size_t i = 0; i < volumes.size(); ++i) {
    st.volumes.push_back(
        {static_cast<int>(i + 1), volumes[i].size, volumes[i].sha512});
  }
  st.records = content.records;
  st.children = content.children;
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
  if (req.store != nullptr) {
    std::string chain_dir = stick::In(outbox_tmp, kChain);
    if (::mkdir(chain_dir.c_str(), 0755) != 0)
      return os::ErrnoStatus(errno, fmt::format("creating {}", chain_dir));
    for (const auto* list : {&chain.roots, &chain.certs, &chain.crls}) {
      for (const pack::trust::SignedText& t : *list)
        XJ_RETURN_IF_ERROR(WriteSignedText(chain_dir, t));
    }
    XJ_RETURN_IF_ERROR(os::SyncDirectory(chain_dir));
  }
  XJ_RETURN_IF_ERROR(
      WriteFileSynced(outbox_tmp + "/" + std::string(kStatement), text, 0644));
  XJ_RETURN_IF_ERROR(
      WriteFileSynced(outbox_tmp + "/" + SignatureName(sig.key_id),
                      formats::minisign::EncodeSignatureFile(sig), 0644));
  XJ_RETURN_IF_ERROR(WriteFileSynced(outbox_tmp + "/" + std::string(kReadme),
                                     ReadmeText(st, GroupedHex(digest)), 0644));
  XJ_RETURN_IF_ERROR(os::SyncDirectory(outbox_tmp));
  std::string outbox_dir = req.home.outbox() + "/" + id;
  if (pending) {
    // What the leader is shown, kept in the home: the bag's manifests and
    // its counts, bound to the statement by the tag manifest's hash.
    std::string plain = outbox_tmp + ".plain";
    RemoveTree(plain);
    XJ_RETURN_IF_ERROR(os::MakeDirectories(plain, 0700));
    XJ_RETURN_IF_ERROR(WriteFileSynced(
        plain + "/" + std::string(bagit::kTagManifest), tagmanifest, 0600));
    XJ_RETURN_IF_ERROR(WriteFileSynced(
        plain + "/" + std::string(bagit::kManifest), manifest_text, 0600));
    for (const BagFile& f : files) {
      if (f.path != "data/merged/summary.csv" &&
          f.path != "data/registry/summary.csv")
        continue;
      XJ_ASSIGN_OR_RETURN(Bytes b, os::ReadFile(f.source, 64 << 20));
      XJ_RETURN_IF_ERROR(WriteFileSynced(plain + "/summary.csv",
                                         std::string(AsChars(b)), 0600));
      XJ_RETURN_IF_ERROR(
          WriteFileSynced(plain + "/summary.path", f.path, 0600));
    }
    XJ_RETURN_IF_ERROR(os::SyncDirectory(plain));
    RemoveTree(outbox_dir + ".plain");
    XJ_RETURN_IF_ERROR(os::RenameNoReplace(plain, outbox_dir + ".plain"));
  }
  XJ_RETURN_IF_ERROR(os::RenameNoReplace(outbox_tmp, outbox_dir));
  outbox_cleanup.keep = true;
  XJ_RETURN_IF_ERROR(os::SyncDirectory(req.home.outbox()));
  XJ_RETURN_IF_ERROR(
      WriteStream(req.home, sender, req.recipient.code, {seq, sha}));
  if (req.before_media) req.before_media();

  // 6. The stick: checked for room, written under a temporary name,
  // flushed, renamed, and read back.
  PackResult result;
  result.statement = st;
  result.statement_sha256 = sha;
  result.outbox_dir = outbox_dir;
  result.check = totals;
  result.check_seconds = content.check_seconds;
  result.build_seconds = seconds_since(phase);
  phase = Clock::now();
  XJ_ASSIGN_OR_RETURN(result.media, ProbeMedia(req.media));
  std::uint64_t needed = text.size() + 8192;
  for (const VolumeFile& v : volumes) needed += v.size;
  for (const auto* list : {&chain.roots, &chain.certs, &chain.crls}) {
    for (const pack::trust::SignedText& t : *list) {
      needed += t.text.size() + 4096;  // a cluster per file, at least
      for (const auto& s : t.signatures) needed += s.second.size() + 4096;
    }
  }
  XJ_RETURN_IF_ERROR(CheckRoom(
      result.media, req.media, needed, "the bundle",
      "use a larger stick; or pack into a folder with --volume-size and copy "
      "the volumes, each with bundle.stmt and its signatures, to several "
      "sticks (verify and unpack take several folders)"));
  std::string xj = req.media + "/" + std::string(stick::kXj);
  std::string final_dir =
      xj + "/" + id + (pending ? std::string(kUnapproved) : std::string());
  // Writing the stick: a failure here leaves nothing of the bundle on it
  // (and the bundle in the outbox). A full FAT stick often answers with
  // another errno than ENOSPC (fusefat: EPERM, or ENOENT for a folder it
  // could not give a cluster), so such failures carry a hint.
  auto write_stick = [&]() -> Status {
    struct MadeXj {  // an XJ folder made here goes again if it stays empty
      std::string dir;
      ~MadeXj() {
        if (!dir.empty()) ::rmdir(dir.c_str());
      }
    } made_xj;
    if (os::Exists(xj)) {
      XJ_RETURN_IF_ERROR(os::Dir::Open(xj).status());  // a folder, not a link
    } else if (::mkdir(xj.c_str(), 0755) != 0) {
      return os::ErrnoStatus(errno, fmt::format("creating {}", xj));
    } else {
      made_xj.dir = xj;
    }
    if (os::Exists(final_dir)) {
      return Error(Code::kAlreadyExists, "{} is already on the stick",
                   final_dir);
    }
    // What an interrupted pack left is incomplete by definition: it is
    // removed first.
    XJ_ASSIGN_OR_RETURN(std::string media_tmp,
                        MakeOwnDir(xj, std::string(stick::kTempPrefix), 0755));
    struct MediaCleanup {
      std::string dir, partial;
      bool keep = false;
      ~MediaCleanup() {
        if (keep) return;
        if (!partial.empty()) {
          // The statement never arrived: take the statement-less folder away.
          RemoveTree(partial);
        }
        RemoveTree(dir);
      }
    } media_cleanup{media_tmp, ""};
    {
      XJ_ASSIGN_OR_RETURN(os::Dir from, os::Dir::Open(outbox_dir));
      XJ_ASSIGN_OR_RETURN(std::vector<std::string> names, from.List());
      // Volumes first, the statement last: an interrupted copy never holds a
      // statement beside a partial payload.
      std::stable_partition(names.begin(), names.end(), IsVolumeName);
      std::stable_partition(
          names.begin(), names.end(),
          [](const std::string& n) { return n != kStatement; });
      std::uint64_t done = 0;
      auto written = [&](std::uint64_t n) {
        done += n;
        if (req.progress) req.progress("writing", done, needed);
      };
      std::vector<std::string> chain_names;
      for (const std::string& n : names) {
        if (n == kChain) {
          // The chain's statements and signatures, each a small file.
          std::string to = stick::In(media_tmp, kChain);
          if (::mkdir(to.c_str(), 0755) != 0)
            return os::ErrnoStatus(errno, fmt::format("creating {}", to));
          XJ_ASSIGN_OR_RETURN(os::Dir cd,
                              os::Dir::Open(stick::In(outbox_dir, kChain)));
          XJ_ASSIGN_OR_RETURN(chain_names, cd.List());
          for (const std::string& c : chain_names) {
            XJ_RETURN_IF_ERROR(
                CopyFile(cd, c, to + "/" + c, nullptr, CopyTo::kMedium, written)
                    .WithContext("writing the stick"));
          }
          XJ_RETURN_IF_ERROR(os::SyncDirectory(to));
          continue;
        }
        XJ_RETURN_IF_ERROR(CopyFile(from, n, media_tmp + "/" + n, nullptr,
                                    CopyTo::kMedium, written)
                               .WithContext("writing the stick"));
      }
      XJ_RETURN_IF_ERROR(os::SyncDirectory(media_tmp));
      // Into place file by file, the statement last: only the last rename
      // makes a bundle, and it is atomic. (Files, not the folder: renaming a
      // folder loses its contents on some FUSE FAT drivers.)
      if (::mkdir(final_dir.c_str(), 0755) != 0) {
        return os::ErrnoStatus(errno, fmt::format("creating {}", final_dir));
      }
      media_cleanup.partial = final_dir;
      for (const std::string& n : names) {
        if (n == kChain) {
          std::string to = stick::In(final_dir, kChain);
          if (::mkdir(to.c_str(), 0755) != 0)
            return os::ErrnoStatus(errno, fmt::format("creating {}", to));
          for (const std::string& c : chain_names) {
            XJ_RETURN_IF_ERROR(
                os::RenameNoReplace(stick::In(media_tmp, kChain) + "/" + c,
                                    to + "/" + c)
                    .WithContext("writing the stick"));
          }
          XJ_RETURN_IF_ERROR(os::SyncDirectory(to));
          ::rmdir(stick::In(media_tmp, kChain).c_str());
          continue;
        }
        XJ_RETURN_IF_ERROR(
            os::RenameNoReplace(media_tmp + "/" + n, final_dir + "/" + n)
                .WithContext("writing the stick"));
      }
      media_cleanup.keep = true;
      ::rmdir(media_tmp.c_str());
    }
    return Status::Ok();
  };
  if (Status s = write_stick(); !s.ok()) {
    if (s.hint().empty() &&
        (s.code() == Code::kIoError || s.code() == Code::kNotFound ||
         s.code() == Code::kNoSpace)) {
      return std::move(s).WithHint(fmt::format(
          "the stick may be full or failing (some FAT drivers report a full "
          "disk as \"operation not permitted\" or \"no such file or "
          "directory\"); nothing of this bundle is left on it, and the "
          "bundle is kept in {}: copy that folder to {} on a stick with room, "
          "and "
          "check the copy with xjpack verify -p",
          outbox_dir, final_dir));
    }
    return s;
  }
  XJ_RETURN_IF_ERROR(os::SyncDirectory(final_dir));
  XJ_RETURN_IF_ERROR(os::SyncDirectory(xj));
  result.media_dir = final_dir;
  // Read back what the stick now holds.
  VerifyRequest check;
  check.dirs = {final_dir};
  check.trust.store = pending ? nullptr : req.store;
  if (check.trust.store == nullptr)
    check.trust.keys = {TrustedKey{minisign::PublicKeyOf(*req.key), req.role,
                                   "the signing key"}};
  check.progress = req.progress;
  check.unapproved = pending;
  Result<BundleReport> back = Verify(check);
  result.awaiting_approval = pending;
  if (!back.ok()) {
    return back.status().WithContext(
        "reading the stick back failed; do not deliver it (the bundle is still "
        "in the outbox)");
  }
  result.media_seconds = seconds_since(phase);
  return result;
}

Result<PackResult> Pack(const PackRequest& req, FindingSink& findings) {
  if (req.data == nullptr || req.key == nullptr) {
    return Status(Code::kInternal,
                  "pack needs the registry data and a signing key");
  }
  // The request and the destination are looked at first, before any work.
  XJ_RETURN_IF_ERROR(CheckPackRequest(req));
  std::int64_t now = req.now != 0 ? req.now : os::NowUnix();
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
  if (::mkdir(stage.c_str(), 0700) != 0)
    return os::ErrnoStatus(errno, "creating the staging folder");
  ReportSink report(&findings);
  CheckOptions co;
  co.dir = req.registry_dir;
  co.encoding = req.encoding;
  co.normalized_dir = stage;
  XJ_ASSIGN_OR_RETURN(CheckTotals totals, CheckRegistry(*req.data, co, report));
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
        .WithHint(
            "fix them, or pack anyway with --allow-errors REASON (the reason "
            "and the "
            "findings travel in the bundle)");
  }
  check_seconds = seconds_since(phase);
  phase = Clock::now();
  // The sender and period come from the checked school record.
  std::string sender, period;
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
  if (sender == req.recipient.code ||
      std::any_of(req.copy_to.begin(), req.copy_to.end(),
                  [&](const Addressee& a) { return a.code == sender; })) {
    return Error(Code::kInvalidArgument,
                 "the school {} cannot address a bundle to itself", sender);
  }

  // 3. The bag's files, in byte order of their paths.
  std::vector<BagFile> files;
  XJ_ASSIGN_OR_RETURN(std::vector<std::string> staged,
                      os::ListDirectory(stage));
  for (const std::string& n : staged) {
    XJ_ASSIGN_OR_RETURN(std::uint64_t size, os::FileSize(stage + "/" + n));
    files.push_back({"data/registry/" + n, stage + "/" + n, size});
  }
  std::string photos = req.registry_dir + "/photos";
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
  return WriteBundle(req, std::move(content),
                     req.now != 0 ? req.now : os::NowUnix());
}

Result<BundleReport> AuthenticateHeldBundle(const FileView& files,
                                            const std::string& dir,
                                            const TrustSource& trust) {
  Inventory inv;
  inv.held = true;
  XJ_ASSIGN_OR_RETURN(std::unique_ptr<Folder> folder, files.Open(dir));
  const Folder& d = *folder;
  inv.path = d.path();
  XJ_ASSIGN_OR_RETURN(std::vector<std::string> names, d.List());
  for (const std::string& n : names) {
    os::Dir::Kind kind = d.KindOf(n);
    if (n == "bag" || n == kChain) {
      if (kind != os::Dir::Kind::kFolder)
        return Error(Code::kRejected, "{}/{} is not a folder", dir, n);
      if (n == kChain) {
        XJ_ASSIGN_OR_RETURN(
            ChainFiles c,
            ReadChainFolder(files, stick::In(dir, kChain), "chain/"));
        inv.chain = std::move(c);
      }
      continue;
    }
    if (kind != os::Dir::Kind::kFile) {
      return Error(Code::kRejected, "{}/{} is not a regular file", dir,
                   EscapeForDisplay(n));
    }
    if (n == kStatement) {
      XJ_ASSIGN_OR_RETURN(Bytes t, d.ReadFile(n, ft::kMaxStatement));
      inv.statement_text = std::string(AsChars(t));
    } else if (IsSignatureName(n)) {
      XJ_ASSIGN_OR_RETURN(Bytes t, d.ReadFile(n, kMaxSignatureFile));
      inv.signatures.emplace_back(n, std::move(t));
    } else {
      return Error(Code::kRejected,
                   "{}: unexpected file \"{}\" beside a held bundle's "
                   "statement",
                   dir, EscapeForDisplay(n));
    }
  }
  if (inv.statement_text.empty())
    return Error(Code::kRejected, "{}: no {}", dir, kStatement);
  return Authenticate(inv, trust, true);
}

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

Result<ApproveResult> Approve(const ApprovalView& v, const TrustStore& store,
                              const Home& home, const keys::SigningKey& leader,
                              Ledger* ledger, std::int64_t now) {
  (void)store;
  const ft::BundleStatement& st = v.report.statement;
  XJ_RETURN_IF_ERROR(CheckSigningClock(home, now));
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
      minisign::Sign(src, leader, TrustedComment(st.id, "leader", now),
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
  if (::mkdir(final_dir.c_str(), 0755) != 0)
    return os::ErrnoStatus(errno, fmt::format("creating {}", final_dir));
  for (const std::string& n : names) {
    if (n == kChain) {
      std::string to = stick::In(final_dir, kChain);
      if (::mkdir(to.c_str(), 0755) != 0)
        return os::ErrnoStatus(errno, fmt::format("creating {}", to));
      XJ_ASSIGN_OR_RETURN(std::vector<std::string> cn,
                          os::ListDirectory(stick::In(v.dir, kChain)));
      for (const std::string& c : cn) {
        XJ_RETURN_IF_ERROR(os::RenameNoReplace(
            stick::In(v.dir, kChain) + "/" + c, to + "/" + c));
      }
      XJ_RETURN_IF_ERROR(os::SyncDirectory(to));
      ::rmdir(stick::In(v.dir, kChain).c_str());
      continue;
    }
    XJ_RETURN_IF_ERROR(
        os::RenameNoReplace(v.dir + "/" + n, final_dir + "/" + n));
  }
  XJ_RETURN_IF_ERROR(os::SyncDirectory(final_dir));
  ::rmdir(v.dir.c_str());
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
        fmt::format("leader {} approved statement {}",
                    KeyIdToString(leader.key_id()), v.report.statement_sha256),
        now));
  }
  RemoveTree(home.outbox() + "/" + st.id + ".plain");
  out.bundle_dir = final_dir;
  return out;
}

Result<BundleReport> Inspect(const std::vector<std::string>& dirs,
                             const TrustSource& trust) {
  XJ_ASSIGN_OR_RETURN(Inventory inv, TakeInventory(dirs, /*unapproved=*/true));
  XJ_ASSIGN_OR_RETURN(BundleReport r, Authenticate(inv, trust, false));
  XJ_RETURN_IF_ERROR(LocateVolumes(inv, &r, /*lenient=*/true).status());
  return r;
}

Result<BundleReport> Verify(const VerifyRequest& req) {
  XJ_ASSIGN_OR_RETURN(Inventory inv, TakeInventory(req.dirs, req.unapproved));
  XJ_ASSIGN_OR_RETURN(BundleReport r,
                      Authenticate(inv, req.trust, !req.trust.empty()));
  XJ_ASSIGN_OR_RETURN(std::vector<std::string> paths,
                      LocateVolumes(inv, &r, false));
  XJ_RETURN_IF_ERROR(
      CheckPayloadHeader(paths[0], 1 + r.statement.copy_to.size()));
  if (req.identities == nullptr) {
    XJ_RETURN_IF_ERROR(HashVolumes(paths, &r, req.progress));
    return r;
  }
  if (!r.statement.children.empty()) {
    // A merged bundle: the bundles it holds are judged from their own
    // files, so its bag is extracted, as unpack would, into a private work
    // folder of the home that is removed whatever happens.
    if (req.trust.store == nullptr) {
      return Status(Code::kInvalidArgument,
                    "a merged bundle's children are judged by their "
                    "certificates: verify it with -i in an office home, not "
                    "with -p");
    }
    XJ_ASSIGN_OR_RETURN(std::string work, MakeWorkDir(req.trust.store->home()));
    struct Cleanup {
      std::string dir;
      ~Cleanup() { RemoveTree(dir); }
    } cleanup{work};
    XJ_ASSIGN_OR_RETURN(MediaInfo where, ProbeMedia(work));
    XJ_ASSIGN_OR_RETURN(PayloadLimits limits, LimitsOf(r.statement));
    std::uint64_t needed = limits.octets + (limits.files + 8) * 4096;
    for (const auto& v : r.statement.volumes) needed += v.size;
    XJ_RETURN_IF_ERROR(CheckRoom(where, work, needed,
                                 "checking the bundles it holds (the volumes "
                                 "and the bag, for a while)",
                                 "free some space in the office home"));
    XJ_ASSIGN_OR_RETURN(std::vector<std::string> copies,
                        CopyVolumesIn(paths, r, work, req.progress));
    XJ_RETURN_IF_ERROR(
        CheckPayloadHeader(copies[0], 1 + r.statement.copy_to.size()));
    std::string bag = work + "/" + r.statement.id;
    if (::mkdir(bag.c_str(), 0700) != 0)
      return os::ErrnoStatus(errno, "creating the bag folder");
    // Each child is checked as soon as its files are extracted.
    HeldCheck held(bag, r.statement, req.trust);
    VolumeReader plain(copies);
    XJ_RETURN_IF_ERROR(
        OpenPayload(plain, &r, *req.identities, bag, 2000000, &held));
    XJ_ASSIGN_OR_RETURN(r.schools, held.Finish());
    return r;
  }
  CheckedVolumes volumes(paths, &r, req.progress, "verifying");
  // One pass: the volumes are hashed as they are decrypted, and a damaged
  // volume is named as such rather than as a failed decryption. Reading
  // and hashing them has a thread of its own, ahead of the decryption.
  Status opened;
  {
    PrefetchSource ahead(&volumes);
    opened = OpenPayload(ahead, &r, *req.identities, "", 2000000);
  }  // the read-ahead has stopped: what it did not read, Drain reads
  XJ_RETURN_IF_ERROR(volumes.Drain());
  XJ_RETURN_IF_ERROR(opened);
  return r;
}

// "clerk 0123..., leader 4567...": the signatures that counted.
std::string Signers(const BundleReport& r) {
  std::vector<std::string> signers;
  for (const SignatureReport& s : r.signatures) {
    if (s.valid) signers.push_back(s.role + " " + s.key_id);
  }
  return fmt::format("{}", fmt::join(signers, ", "));
}

static Status WriteReceipt(const UnpackRequest& req, const BundleReport& r,
                           std::int64_t clock, UnpackResult* out);

// After the bag is in place: the ledger records the bundle (one
// transaction), then the recipient signs its receipt.
static Status Record(
    const UnpackRequest& req, const BundleReport& r, std::int64_t clock,
    UnpackResult* out,
    const std::vector<std::pair<ft::BundleStatement, std::string>>& held = {}) {
  if (req.ledger == nullptr) return Status::Ok();
  // The bundle and every bundle it holds, in one transaction.
  std::vector<AcceptedBundle> all;
  for (const auto& [n, sha] : held)
    all.push_back(AcceptedFrom(n, sha, "held in " + r.statement.id));
  const ft::BundleStatement& st = r.statement;
  AcceptedBundle b = AcceptedFrom(st, r.statement_sha256, Signers(r));
  if (req.accept_seq_jump) b.override_reason = "--accept-seq-jump";
  all.push_back(std::move(b));
  XJ_RETURN_IF_ERROR(req.ledger->AcceptAll(all, clock));
  const TrustStore* store = req.trust.store;
  // Root rotations and newer revocation lists the chain carried are kept.
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
  return WriteReceipt(req, r, clock, out);
}

// The receipt: signed by this office, with its chain, in the outbox (for
// the bundle's recipient, when unpack was given the key to sign it).
static Status WriteReceipt(const UnpackRequest& req, const BundleReport& r,
                           std::int64_t clock, UnpackResult* out) {
  const TrustStore* store = req.trust.store;
  const ft::BundleStatement& st = r.statement;
  if (req.receipt_key == nullptr || store == nullptr ||
      req.receipts_dir.empty() || store->office().code != st.recipient) {
    return Status::Ok();
  }
  ft::ReceiptStatement rc;
  rc.bundle = st.id;
  rc.bundle_sha256 = r.statement_sha256;
  rc.sender = st.sender;
  rc.recipient = st.recipient;
  rc.seq = st.seq;
  rc.received = os::FormatUtc(clock);
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
                 KeyIdToString(req.receipt_key->key_id()), st.recipient);
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
  for (const auto* list : {&chain.roots, &chain.certs, &chain.crls}) {
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

Result<UnpackResult> Unpack(const UnpackRequest& req) {
  auto unpack_start = std::chrono::steady_clock::now();
  if (req.trust.empty()) {
    return Status(Code::kInvalidArgument,
                  "unpack needs an office home set up with 'xjpack init', or "
                  "the sender's public key (-p), to trust the bundle");
  }
  if (req.identities == nullptr || req.identities->empty()) {
    return Status(Code::kInvalidArgument,
                  "unpack needs the office identity (-i)");
  }
  XJ_ASSIGN_OR_RETURN(Inventory inv, TakeInventory(req.dirs));
  XJ_ASSIGN_OR_RETURN(BundleReport r, Authenticate(inv, req.trust, true));
  if (r.trust == "chain" && !r.addressed) {
    return Error(Code::kRejected,
                 "the bundle is addressed to {}, not to this office ({})",
                 fmt::join(AllRecipients(r.statement), ", "),
                 req.trust.store->office().code);
  }
  std::int64_t clock = req.now != 0 ? req.now : os::NowUnix();
  // The receipt's key is checked before anything is recorded.
  if (req.receipt_key != nullptr && req.trust.store != nullptr &&
      req.trust.store->office().code == r.statement.recipient) {
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
                   r.statement.recipient);
    }
  }
  if (r.statement.created > os::FormatUtc(clock + 86400)) {
    return Error(Code::kRejected,
                 "the bundle was created {}, more than a day after this "
                 "machine's clock ({}): refused until the clock is checked",
                 r.statement.created, os::FormatUtc(clock));
  }
  std::string final_dir = req.output + "/" + r.statement.id;
  if (req.ledger != nullptr) {
    XJ_ASSIGN_OR_RETURN(Admission a,
                        req.ledger->Admit(r.statement, r.statement_sha256,
                                          req.accept_seq_jump));
    if (a.kind == Admission::kAlreadyAccepted) {
      UnpackResult out;
      out.already_accepted = a.accepted_at;
      if (os::IsDirectory(final_dir)) out.bag_dir = final_dir;
      // A run stopped after the ledger took the bundle but before its
      // receipt was written: the receipt is written now.
      if (!req.receipts_dir.empty() &&
          !os::Exists(req.receipts_dir + "/" + r.statement.id)) {
        XJ_RETURN_IF_ERROR(WriteReceipt(req, r, clock, &out));
      }
      out.report = std::move(r);
      return out;
    }
    for (std::string& w : a.warnings) r.warnings.push_back(std::move(w));
  }
  XJ_ASSIGN_OR_RETURN(std::vector<std::string> paths,
                      LocateVolumes(inv, &r, false));
  // A missing destination is made (not its parents), and removed again
  // if the unpack fails.
  struct MadeOutput {
    std::string dir;
    bool keep = false;
    ~MadeOutput() {
      if (!dir.empty() && !keep) ::rmdir(dir.c_str());
    }
  } made_output;
  if (!os::Exists(req.output)) {
    if (!os::IsDirectory(os::DirName(req.output))) {
      return Error(Code::kNotFound, "{}: no such folder",
                   os::DirName(req.output));
    }
    if (::mkdir(req.output.c_str(), 0700) != 0) {
      return os::ErrnoStatus(errno, fmt::format("creating {}", req.output));
    }
    made_output.dir = req.output;
  } else if (!os::IsDirectory(req.output)) {
    return Error(Code::kInvalidArgument, "{} is not a folder", req.output);
  }
  if (os::Exists(final_dir)) {
    // An unpack killed between moving the bag into place and recording it
    // is completed, if the bag there is this bundle's.
    Result<Bytes> tm = os::ReadFile(
        final_dir + "/" + std::string(bagit::kTagManifest), 1 << 20);
    if (req.ledger != nullptr && tm.ok() &&
        Sha512Hex(*tm) == r.statement.bag_tagmanifest_sha512) {
      UnpackResult out;
      // The held bundles too, as the interrupted run would have.
      std::vector<std::pair<ft::BundleStatement, std::string>> held;
      if (!r.statement.children.empty() && req.trust.store != nullptr) {
        XJ_ASSIGN_OR_RETURN(
            out.schools, VerifyHeld(final_dir, r.statement, req.trust, &held));
        XJ_ASSIGN_OR_RETURN(held, req.ledger->NewHeld(held));
      }
      XJ_RETURN_IF_ERROR(Record(req, r, clock, &out, held));
      out.report = std::move(r);
      out.bag_dir = final_dir;
      return out;
    }
    return Error(Code::kAlreadyExists, "{} already exists", final_dir)
        .WithHint("unpack into another folder, or move the old copy away");
  }
  {
    // Room for the quarantined volumes and the bag beside them.
    XJ_ASSIGN_OR_RETURN(MediaInfo where, ProbeMedia(req.output));
    XJ_ASSIGN_OR_RETURN(PayloadLimits limits, LimitsOf(r.statement));
    std::uint64_t needed = limits.octets + (limits.files + 8) * 4096;
    for (const auto& v : r.statement.volumes) needed += v.size;
    XJ_RETURN_IF_ERROR(CheckRoom(where, req.output, needed,
                                 "unpacking (the volumes and the bag)",
                                 "free some space, or unpack elsewhere"));
  }
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
  std::string bag = quarantine + "/" + r.statement.id;
  if (::mkdir(bag.c_str(), 0700) != 0)
    return os::ErrnoStatus(errno, "creating the bag folder");
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
    early.emplace(bag, r.statement, req.trust);
  VolumeReader plain_copies(copies);
  XJ_RETURN_IF_ERROR(OpenPayload(plain_copies, &r, *req.identities, bag,
                                 req.max_files, early ? &*early : nullptr));
  // A school's bundle: its records are the signing school's, as many as
  // it says (what a merge checks of every school bundle it holds).
  if (r.statement.children.empty())
    XJ_RETURN_IF_ERROR(CheckSchoolBag(bag, r.statement));
  std::vector<HeldSchool> schools;
  // The bundles held at every depth, as checked; of those, the ones new
  // to the ledger.
  std::vector<std::pair<ft::BundleStatement, std::string>> held, fresh;
  // Everything extracted reaches the disk before it appears in place. The
  // flush runs on its own thread while the held bundles are checked (the
  // check only reads), so on a disk the check mostly fits in the time the
  // flush takes anyway. Whatever fails, the flush is waited for before the
  // quarantine is removed.
  using Clock = std::chrono::steady_clock;
  XJ_ASSIGN_OR_RETURN(os::Dir q, os::Dir::Open(quarantine));
  Clock::time_point flush_start = Clock::now(), flush_end = flush_start;
  std::future<Status> flushed =
      std::async(std::launch::async, [&q, &flush_end] {
        Status s = q.SyncFileSystem();
        flush_end = Clock::now();
        return s;
      });
  double held_seconds = 0, held_beyond = 0;
  if (!r.statement.children.empty()) {
    Result<std::vector<HeldSchool>> checked =
        early ? early->Finish(&held)
              : VerifyHeld(bag, r.statement, req.trust, &held);
    Clock::time_point held_end = Clock::now();
    Status synced = flushed.get();
    XJ_ASSIGN_OR_RETURN(schools, std::move(checked));
    XJ_RETURN_IF_ERROR(synced);
    held_seconds =
        std::chrono::duration<double>(held_end - flush_start).count();
    held_beyond = std::max(
        0.0, std::chrono::duration<double>(held_end - flush_end).count());
    // Nested streams: a held bundle equivocating with one accepted before
    // is refused.
    if (req.ledger != nullptr) {
      XJ_ASSIGN_OR_RETURN(fresh, req.ledger->NewHeld(held));
    }
  } else {
    XJ_RETURN_IF_ERROR(flushed.get());
  }
  double flush_seconds =
      std::chrono::duration<double>(flush_end - flush_start).count();
  XJ_RETURN_IF_ERROR(os::RenameNoReplace(bag, final_dir));
  made_output.keep = true;
  XJ_RETURN_IF_ERROR(os::SyncDirectory(req.output));
  UnpackResult out;
  XJ_RETURN_IF_ERROR(Record(req, r, clock, &out, fresh));
  out.report = std::move(r);
  out.bag_dir = final_dir;
  out.schools = std::move(schools);
  out.held = std::move(held);
  out.held_seconds = held_seconds;
  out.held_early_seconds = early ? early->early_seconds() : 0;
  out.flush_seconds = flush_seconds;
  out.held_beyond_flush_seconds = held_beyond;
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                              unpack_start)
                    .count();
  return out;
}

}  // namespace xj::pack
