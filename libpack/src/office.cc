#include "libpack/office.h"

#include <algorithm>
#include <map>
#include <set>

#include "base/bytes.h"
#include "base/os.h"
#include "formats/age_keys.h"
#include "formats/csv.h"
#include "libpack/home.h"
#include "libpack/key_files.h"
#include "libpack/ledger.h"
#include "libpack/minisign.h"
#include "libpack/stick.h"

namespace xj::pack {
namespace {

// Of school lists verified already, those newer than the store holds of
// their county; one of a version held with other content is a fork.
Result<std::vector<trust::SignedText>> NewerSchoolLists(
    const TrustStore& store, const std::vector<trust::SignedText>& lists) {
  std::vector<trust::SignedText> out;
  for (const trust::SignedText& s : lists) {
    Result<formats::trust::SchoolsStatement> list =
        formats::trust::ParseSchools(s.text);
    if (!list.ok()) return list.status().WithContext(s.name);
    auto held = store.school_lists().find(list->county);
    if (held == store.school_lists().end() ||
        held->second.list.version < list->version) {
      out.push_back(s);
    } else if (held->second.list.version == list->version &&
               held->second.sha256 != trust::StatementSha256(s.text)) {
      return Error(Code::kBadSignature,
                   "{}: two different school lists numbered {} for county {}",
                   s.name, list->version, list->county);
    }
  }
  return out;
}

namespace ft = formats::trust;
using formats::minisign::KeyIdIs;
using formats::minisign::KeyIdToString;

constexpr std::int64_t kDay = 86400;

// The time a statement is made or judged at is given by the caller (the
// office session's clock); the library reads no clock.
Status NeedTime(std::int64_t now) {
  if (now <= 0) return Status(Code::kInternal, "no time was given");
  return Status::Ok();
}

std::string AddYears(std::int64_t now, int years) {
  std::string t = os::FormatUtc(now);
  int y = std::stoi(t.substr(0, 4)) + years;
  std::string out = fmt::format("{:04}{}", y, t.substr(4));
  // 29 February in a year without one becomes 28 February.
  if (!ft::IsUtcTime(out)) out = fmt::format("{:04}-02-28{}", y, t.substr(10));
  return out;
}

// The statement type from the magic line.
std::string TypeOf(std::string_view text) {
  std::size_t nl = text.find('\n');
  std::string_view first = text.substr(0, nl);
  if (first.substr(0, ft::kMagicPrefix.size()) != ft::kMagicPrefix) return "";
  return std::string(first.substr(ft::kMagicPrefix.size()));
}

Status WriteFileNew(const std::string& path, std::string_view content,
                    unsigned mode) {
  XJ_ASSIGN_OR_RETURN(os::AtomicFile f,
                      os::AtomicFile::Create(path, mode, os::Replace::kNever));
  XJ_RETURN_IF_ERROR(f.sink().Write(AsBytes(content)));
  return f.Commit();
}

// What `policy` still needs beyond the good signatures ("1 more root
// signature"); empty when it is met.
std::string Shortfall(const std::vector<trust::GoodSignature>& good,
                      const ft::Policy& policy) {
  std::vector<std::string> ids;
  std::map<std::string, int> have;
  for (const trust::GoodSignature& g : good) {
    if (std::find(ids.begin(), ids.end(), g.key_id) != ids.end()) continue;
    ids.push_back(g.key_id);
    ++have[g.role];
  }
  std::vector<std::string> needs;
  for (const auto& [role, n] : policy.groups) {
    int more = n - have[role];
    if (more > 0) {
      needs.push_back(fmt::format("{} more {} signature{}", more, role,
                                  more == 1 ? "" : "s"));
    }
  }
  return fmt::format("{}", fmt::join(needs, " and "));
}

ft::Policy ThresholdPolicy(std::uint64_t n) {
  ft::Policy p;
  p.groups.push_back({"root", static_cast<int>(n)});
  return p;
}

std::vector<ft::KeyEntry> KeysNamed(const std::vector<ft::KeyEntry>& keys,
                                    const std::vector<std::string>& ids) {
  std::vector<ft::KeyEntry> out;
  for (const ft::KeyEntry& k : keys) {
    if (std::any_of(ids.begin(), ids.end(), [&](const std::string& id) {
          return KeyIdIs(k.key.key_id, id);
        }))
      out.push_back(k);
  }
  return out;
}

}  // namespace

Result<trust::SignedText> ReadStatementFile(const std::string& path) {
  std::string dir = os::DirName(path), base = os::BaseName(path);
  XJ_ASSIGN_OR_RETURN(os::Dir d, os::Dir::Open(dir));
  if (d.KindOf(base) != os::Dir::Kind::kFile) {
    return Error(d.KindOf(base) == os::Dir::Kind::kMissing ? Code::kNotFound
                                                           : Code::kRejected,
                 "{} is not a regular file", path);
  }
  XJ_ASSIGN_OR_RETURN(Bytes text, d.ReadFile(base, ft::kMaxStatement));
  trust::SignedText s{path, std::string(AsChars(text)), {}};
  XJ_ASSIGN_OR_RETURN(std::vector<std::string> names, d.List());
  std::string prefix = base + ".";
  for (const std::string& n : names) {
    if (n.size() != prefix.size() + 16 + 8 || n.rfind(prefix, 0) != 0 ||
        n.substr(n.size() - 8) != ".minisig" ||
        !ft::IsKeyId(std::string_view(n).substr(prefix.size(), 16))) {
      continue;
    }
    if (d.KindOf(n) != os::Dir::Kind::kFile) {
      return Error(Code::kRejected, "{}/{} is not a regular file", dir, n);
    }
    XJ_ASSIGN_OR_RETURN(Bytes sig, d.ReadFile(n, 4096));
    s.signatures.push_back({dir + "/" + n, std::string(AsChars(sig))});
  }
  return s;
}

// ---- the root ----

Result<std::string> MakeRoot(const RootRequest& r) {
  XJ_RETURN_IF_ERROR(NeedTime(r.now));
  if (r.province.size() != 2 || !ft::IsDigits(r.province)) {
    return Status(Code::kInvalidArgument,
                  "the province is its two-digit code (GB/T 2260), e.g. 34");
  }
  if (r.keys.size() < 2 || r.threshold < 2 || r.threshold > r.keys.size()) {
    return Error(Code::kInvalidArgument,
                 "a root needs at least two custodians' keys and a threshold "
                 "from 2 to the number of keys (got {} key(s), threshold {})",
                 r.keys.size(), r.threshold);
  }
  ft::RootStatement root;
  root.version = r.version;
  root.province = r.province;
  root.threshold = r.threshold;
  for (const auto& k : r.keys) root.keys.push_back({k, "root"});
  std::int64_t now = r.now;
  root.created = os::FormatUtc(now);
  root.expires = AddYears(now, r.valid_years);
  std::string text = ft::SerializeRoot(root);
  // Parsing it back refuses the same key twice.
  XJ_RETURN_IF_ERROR(ft::ParseRoot(text).status());
  return text;
}

Result<std::string> MakeNextRoot(const TrustStore& store,
                                 const RootRequest& request) {
  XJ_RETURN_IF_ERROR(NeedTime(request.now));
  XJ_ASSIGN_OR_RETURN(trust::Verifier v,
                      store.MakeVerifier({os::FormatUtc(request.now)}));
  RootRequest next = request;
  next.version = v.root().version + 1;
  if (next.province.empty()) next.province = v.root().province;
  if (next.province != v.root().province) {
    return Error(Code::kInvalidArgument,
                 "the root is for province {}; a rotation keeps it",
                 v.root().province);
  }
  return MakeRoot(next);
}

Result<SignFileResult> SignStatementFile(const std::string& path,
                                         const keys::SigningKey& key,
                                         const std::string& role,
                                         std::int64_t now) {
  XJ_RETURN_IF_ERROR(NeedTime(now));
  XJ_ASSIGN_OR_RETURN(trust::SignedText s, ReadStatementFile(path));
  SignFileResult out;
  out.type = TypeOf(s.text);
  // The key must be one the statement names as its issuer's.
  auto named = [&](const std::vector<std::string>& ids) -> Status {
    if (std::none_of(ids.begin(), ids.end(), [&](const std::string& id) {
          return KeyIdIs(key.key_id(), id);
        })) {
      return Error(Code::kBadKey,
                   "{}: key {} is not among the issuer keys it names ({})",
                   path, KeyIdToString(key.key_id()), fmt::join(ids, ", "));
    }
    return Status::Ok();
  };
  out.role = role;
  if (out.type == "root") {
    XJ_ASSIGN_OR_RETURN(ft::RootStatement r, ft::ParseRoot(s.text));
    out.id = ft::RootId(r.version);
    out.role = "root";
  } else if (out.type == "cert") {
    XJ_ASSIGN_OR_RETURN(ft::CertStatement c, ft::ParseCert(s.text));
    out.id = c.serial;
    if (c.issuer == "root") out.role = "root";
    XJ_RETURN_IF_ERROR(named(c.issuer_keys));
  } else if (out.type == "crl") {
    XJ_ASSIGN_OR_RETURN(ft::CrlStatement c, ft::ParseCrl(s.text));
    out.id = ft::CrlId(c.issuer, c.number);
    if (c.issuer == "root") out.role = "root";
    XJ_RETURN_IF_ERROR(named(c.issuer_keys));
  } else if (out.type == "bundle") {
    return Error(Code::kInvalidArgument,
                 "{} is a bundle statement, which only a leader's approval "
                 "signs",
                 path)
        .WithRemedy(Remedy::kApprove);
  } else {
    return Error(Code::kMalformed,
                 "{} is not an xjtrust statement that is signed this way",
                 path);
  }
  if (out.role != "root" && out.role != "clerk" && out.role != "leader") {
    return Status(Code::kInvalidArgument, "the role is clerk or leader");
  }
  out.signature_path = trust::SignatureFileName(path, key.key_id());
  if (os::Exists(out.signature_path)) {
    return Error(Code::kAlreadyExists, "{} is already signed by key {}", path,
                 KeyIdToString(key.key_id()));
  }
  XJ_ASSIGN_OR_RETURN(
      std::string sig,
      trust::SignStatement(s.text, out.type, out.id, out.role, key, now));
  XJ_RETURN_IF_ERROR(WriteFileNew(out.signature_path, sig, 0644));
  return out;
}

// ---- an office ----

Result<InitResult> InitOffice(const InitRequest& req,
                              PassphraseSource& passphrases) {
  if (os::Exists(req.home.root + "/office")) {
    return Error(Code::kAlreadyExists, "{} is already set up as an office",
                 req.home.root);
  }
  if (!ft::IsOfficeCode(req.office.code)) {
    return Error(Code::kInvalidArgument,
                 "\"{}\" is not an office code (4 or 6 digits and an optional "
                 "letter, or a school's 10 digits)",
                 EscapeForDisplay(req.office.code));
  }
  XJ_RETURN_IF_ERROR(
      ft::CheckValue(req.office.name).WithContext("the office name"));
  // The root first: nothing is made for a root that is not the province's.
  XJ_ASSIGN_OR_RETURN(ft::RootStatement root,
                      trust::InstallRoot(req.root, req.fingerprint));
  std::string keys_dir = req.home.root + "/keys";
  XJ_RETURN_IF_ERROR(os::MakeDirectories(keys_dir, 0700));
  KeygenRequest kr;
  if (req.work_factor != 0) kr.work_factor = req.work_factor;
  kr.now = req.now;
  // Keys made here go again if the setting up fails: no office exists
  // until home/office does.
  struct Made {
    std::vector<std::string> files;
    bool keep = false;
    ~Made() {
      if (keep) return;
      for (const std::string& f : files) os::RemoveFile(f);
    }
  } made;
  kr.secret_path = keys_dir + "/office.key";
  XJ_ASSIGN_OR_RETURN(GeneratedKey id,
                      GenerateOfficeIdentityFiles(kr, passphrases));
  made.files = {id.secret_path, id.public_path};
  kr.secret_path = keys_dir + "/clerk.key";
  XJ_ASSIGN_OR_RETURN(GeneratedKey clerk,
                      GenerateSigningKeyFiles(kr, passphrases));
  made.files.push_back(clerk.secret_path);
  made.files.push_back(clerk.public_path);
  XJ_ASSIGN_OR_RETURN(formats::minisign::PublicKey clerk_pub,
                      LoadPublicKey(clerk.public_path));

  InitResult out;
  ft::RequestStatement& r = out.request;
  r.subject = req.office.code;
  r.subject_name = req.office.name;
  r.level = req.office.level;
  r.keys.push_back({clerk_pub, "clerk"});
  for (const auto& k : req.clerks) r.keys.push_back({k, "clerk"});
  for (const auto& k : req.leaders) r.keys.push_back({k, "leader"});
  r.enc = id.public_key;
  std::string text = ft::SerializeRequest(r);
  XJ_RETURN_IF_ERROR(ft::ParseRequest(text).status());  // keys distinct
  out.request_path = req.home.root + "/request.stmt";
  XJ_RETURN_IF_ERROR(WriteFileNew(out.request_path, text, 0644));
  made.files.push_back(out.request_path);
  XJ_RETURN_IF_ERROR(
      TrustStore::Init(req.home, req.office, req.root, req.fingerprint)
          .status());
  made.keep = true;
  out.identity_path = id.secret_path;
  out.clerk_key_path = clerk.secret_path;
  out.root_fingerprint = trust::StatementSha256(req.root.text);
  out.root_version = root.version;
  return out;
}

// ---- certificates ----

namespace {

std::vector<ft::Level> DefaultMayCertify(ft::Level level) {
  switch (level) {
    case ft::Level::kProvince:
      return {ft::Level::kCity, ft::Level::kSchool};
    case ft::Level::kCity:
      return {ft::Level::kCounty, ft::Level::kSchool};
    case ft::Level::kCounty:
      return {ft::Level::kSchool};
    case ft::Level::kSchool:
      return {};
  }
  return {};
}

std::string DefaultDeliver(ft::Level level) {
  return level == ft::Level::kCity ? "clerk=1 leader=1" : "clerk=1";
}

std::string DefaultNotAfter(ft::Level level, std::int64_t now) {
  switch (level) {
    case ft::Level::kProvince:
      return AddYears(now, 3);
    case ft::Level::kCity:
    case ft::Level::kCounty:
      return AddYears(now, 2);
    case ft::Level::kSchool: {
      // The school year and a grace period: to 30 September next year.
      std::string t = os::FormatUtc(now);
      int y = std::stoi(t.substr(0, 4));
      if (t.substr(5, 5) >= "09-30") ++y;
      return fmt::format("{:04}-09-30T23:59:59Z", y + 1);
    }
  }
  return "";
}

}  // namespace

Result<IssueResult> IssueCertificate(const IssueRequest& req) {
  XJ_RETURN_IF_ERROR(NeedTime(req.now));
  if (req.key == nullptr)
    return Status(Code::kInvalidArgument, "a signing key is required");
  XJ_ASSIGN_OR_RETURN(TrustStore store, TrustStore::Open(req.home));
  std::int64_t now = req.now;
  trust::VerifierOptions vo{os::FormatUtc(now), false};
  XJ_ASSIGN_OR_RETURN(trust::Verifier v, store.MakeVerifier(vo));
  const ft::RequestStatement& s = req.subject;

  ft::CertStatement c;
  c.subject = s.subject;
  c.subject_name = s.subject_name;
  c.level = s.level;
  c.keys = s.keys;
  c.enc = s.enc;
  c.scope = req.scope;
  std::optional<trust::TrustedOffice> issuer;
  std::vector<ft::KeyEntry> issuer_keys;
  if (req.by_root) {
    if (s.level != ft::Level::kProvince) {
      return Error(Code::kInvalidArgument,
                   "the root certifies only the province office, not a {}",
                   ft::LevelName(s.level));
    }
    c.issuer = "root";
    issuer_keys = v.root().keys;
    if (c.scope.empty()) c.scope = {v.root().province};
  } else {
    XJ_ASSIGN_OR_RETURN(trust::TrustedOffice own, store.OwnCertificate(vo));
    c.issuer = own.cert.subject;
    issuer_keys = own.cert.keys;
    if (c.scope.empty()) {
      if (s.level == ft::Level::kSchool && own.cert.scope.size() == 1 &&
          own.cert.scope[0].size() == 6) {
        c.scope = own.cert.scope;  // a county's schools share its code
      } else {
        return Status(Code::kInvalidArgument,
                      "the certificate needs a scope: the region code "
                      "prefixes the office answers for")
            .WithRemedy(Remedy::kScope);
      }
    }
    issuer = std::move(own);
  }
  // The signing key must be one of the issuer's.
  std::string key_id = KeyIdToString(req.key->key_id());
  auto mine = std::find_if(
      issuer_keys.begin(), issuer_keys.end(),
      [&](const ft::KeyEntry& k) { return k.key.key_id == req.key->key_id(); });
  if (mine == issuer_keys.end()) {
    return Error(Code::kBadKey, "key {} is not a key of the issuer {}", key_id,
                 req.by_root ? std::string("(the root)") : c.issuer);
  }
  std::string role = req.by_root ? std::string("root") : mine->role;
  if (!req.by_root && role != req.role) {
    return Error(Code::kBadKey, "key {} is the issuer's {} key, not a {} key",
                 key_id, role, req.role);
  }
  // Name every key whose signature the issue policy counts; the others
  // sign later with 'xjpack trust sign'.
  const ft::Policy* issue = issuer && issuer->cert.issue_policy
                                ? &*issuer->cert.issue_policy
                                : nullptr;
  auto counts = [&](const std::string& r) {
    if (req.by_root) return true;
    if (issue == nullptr) return false;
    return std::any_of(issue->groups.begin(), issue->groups.end(),
                       [&](const auto& g) { return g.first == r; });
  };
  if (!counts(role)) {
    return Error(Code::kBadKey,
                 "key {} is the issuer's {} key, and its issue-policy ({}) "
                 "counts no {} signature",
                 key_id, role, issue ? issue->ToString() : std::string("none"),
                 role);
  }
  c.issuer_keys = {key_id};
  for (const ft::KeyEntry& k : issuer_keys) {
    std::string id = KeyIdToString(k.key.key_id);
    if (id != key_id && counts(k.role)) c.issuer_keys.push_back(id);
  }
  std::sort(c.issuer_keys.begin(), c.issuer_keys.end());
  c.may_certify =
      req.may_certify ? *req.may_certify : DefaultMayCertify(c.level);
  if (!c.may_certify.empty())
    c.issue_policy =
        req.issue_policy ? *req.issue_policy : *ft::ParsePolicy("leader=1");
  c.deliver_policy = req.deliver_policy
                         ? *req.deliver_policy
                         : *ft::ParsePolicy(DefaultDeliver(c.level));
  c.not_before = req.not_before.empty() ? os::FormatUtc(now) : req.not_before;
  if (req.by_root && req.not_before.empty()) {
    // A re-issue after a root rotation keeps the start of the certificate
    // it replaces, so what was signed under that one still checks.
    for (const trust::SignedText& t : store.files().certs) {
      Result<ft::CertStatement> old = ft::ParseCert(t.text);
      if (old.ok() && old->subject == c.subject && old->issuer == "root" &&
          old->not_before < c.not_before) {
        c.not_before = old->not_before;
      }
    }
  }
  c.not_after =
      req.not_after.empty() ? DefaultNotAfter(c.level, now) : req.not_after;
  // Two keys for every role a policy needs: a lost key then means a new
  // certificate, not a stopped delivery.
  for (const ft::Policy* p :
       {&c.deliver_policy, c.issue_policy ? &*c.issue_policy : nullptr}) {
    if (p == nullptr) continue;
    for (const auto& group : p->groups) {
      // (not a structured binding: clang 14 cannot capture one)
      const auto& r = group.first;
      const auto n = group.second;
      auto have =
          std::count_if(c.keys.begin(), c.keys.end(),
                        [&](const ft::KeyEntry& k) { return k.role == r; });
      if (have < n + 1) {
        return Error(Code::kRejected,
                     "{} lists {} {} key(s); its policies need {} {} "
                     "signature(s), so it needs at least {} (one a deputy's)",
                     c.subject, have, r, n, r, n + 1)
            .WithRemedy(Remedy::kRequestKeys, r);
      }
    }
  }
  // What verifiers will refuse is refused here, before a serial is used.
  std::vector<std::string> within =
      issuer ? issuer->cert.scope : std::vector<std::string>{v.root().province};
  for (const std::string& sc : c.scope) {
    if (!ft::IsScope(sc)) {
      return Error(Code::kInvalidArgument,
                   "scope \"{}\" is not a region code prefix of 2, 4 or 6 "
                   "digits",
                   EscapeForDisplay(sc));
    }
    if (std::none_of(within.begin(), within.end(), [&](const std::string& w) {
          return sc.compare(0, w.size(), w) == 0;
        })) {
      return Error(Code::kRejected, "scope {} is outside the issuer's scope {}",
                   sc, fmt::join(within, " "));
    }
  }
  if (issuer) {
    const ft::CertStatement& p = issuer->cert;
    if (std::find(p.may_certify.begin(), p.may_certify.end(), c.level) ==
        p.may_certify.end()) {
      std::vector<std::string> names;
      for (ft::Level l : p.may_certify) names.emplace_back(ft::LevelName(l));
      return Error(Code::kRejected, "{} may certify {}, not a {}", p.subject,
                   names.empty() ? std::string("no one")
                                 : fmt::format("{}", fmt::join(names, ", ")),
                   ft::LevelName(c.level));
    }
  }
  // A school's code must be on the province's list, under a county of
  // the issuer's scope.
  if (c.level == ft::Level::kSchool) {
    XJ_RETURN_IF_ERROR(trust::CheckSchoolListed(store.school_lists(), c.subject,
                                                within, c.issuer));
  }
  std::string serial_issuer = req.by_root ? std::string("root") : c.issuer;
  std::vector<std::string> warnings;
  // A new certificate for an office that already has a valid one is
  // flagged: double registration of a school starts this way.
  for (const trust::SignedText& t : store.files().certs) {
    Result<ft::CertStatement> old = ft::ParseCert(t.text);
    if (old.ok() && old->subject == c.subject &&
        old->not_after >= os::FormatUtc(now)) {
      warnings.push_back(fmt::format(
          "{} already holds certificate {} (valid to {}); revoke it if this "
          "one replaces it",
          c.subject, old->serial, old->not_after));
    }
  }
  if (os::Exists(req.output)) {
    return Error(Code::kAlreadyExists, "{} exists; give a new folder",
                 req.output);
  }
  XJ_ASSIGN_OR_RETURN(c.serial, store.NextSerial(serial_issuer));
  std::string text = ft::SerializeCert(c);
  {
    Result<ft::CertStatement> back = ft::ParseCert(text);
    if (!back.ok()) return back.status().WithContext("the new certificate");
  }

  // The output folder: the certificate and the chain above it.
  if (os::Exists(req.output)) {
    return Error(Code::kAlreadyExists, "{} exists; give a new folder",
                 req.output);
  }
  XJ_RETURN_IF_ERROR(os::MakeDirectories(req.output, 0755));
  trust::SignedText signed_cert{CertFileName(c.serial), text, {}};
  XJ_ASSIGN_OR_RETURN(
      std::string sig,
      trust::SignStatement(text, "cert", c.serial, role, *req.key, now));
  signed_cert.signatures.push_back(
      {trust::SignatureFileName(signed_cert.name, req.key->key_id()), sig});
  ChainFiles chain;
  if (issuer) {
    chain = store.ChainFor(*issuer);
  } else {
    chain.roots = store.files().roots;
  }
  for (const trust::SignedText& t : chain.roots)
    XJ_RETURN_IF_ERROR(WriteSignedText(req.output, t));
  for (const trust::SignedText& t : chain.certs)
    XJ_RETURN_IF_ERROR(WriteSignedText(req.output, t));
  for (const trust::SignedText& t : chain.crls)
    XJ_RETURN_IF_ERROR(WriteSignedText(req.output, t));
  // The province's school lists within the new office's scope go down
  // with its certificate.
  if (c.level != ft::Level::kSchool) {
    for (const std::string& sc : c.scope) {
      for (const trust::SignedText& t : store.SchoolListsWithin(sc))
        XJ_RETURN_IF_ERROR(WriteSignedText(req.output, t));
    }
  }
  XJ_RETURN_IF_ERROR(WriteSignedText(req.output, signed_cert));
  XJ_RETURN_IF_ERROR(os::SyncDirectory(req.output));

  IssueResult out;
  out.cert = c;
  out.cert_path = req.output + "/" + signed_cert.name;
  out.warnings = std::move(warnings);
  // Complete already, or waiting for co-signers?
  std::vector<ft::KeyEntry> candidates = KeysNamed(issuer_keys, c.issuer_keys);
  XJ_ASSIGN_OR_RETURN(
      trust::Judgement j,
      trust::JudgeSignatures(signed_cert, "cert", c.serial, candidates, ""));
  out.needs =
      Shortfall(j.good, req.by_root ? ThresholdPolicy(v.root().threshold)
                                    : *issuer->cert.issue_policy);
  // The issuer keeps what it issued (for revocation, and to notice a
  // second certificate for one office).
  ChainFiles keep;
  keep.certs.push_back(signed_cert);
  XJ_RETURN_IF_ERROR(store.Add(keep));
  return out;
}

Result<InstallResult> InstallCertificates(const Home& home,
                                          const std::string& dir,
                                          std::int64_t now) {
  XJ_RETURN_IF_ERROR(NeedTime(now));
  XJ_ASSIGN_OR_RETURN(TrustStore store, TrustStore::Open(home));
  XJ_ASSIGN_OR_RETURN(ChainFiles files,
                      ReadChainFolder(dir, os::BaseName(dir) + "/"));
  trust::VerifierOptions vo{os::FormatUtc(now), false};
  XJ_ASSIGN_OR_RETURN(trust::Verifier v, store.MakeVerifier(vo));
  XJ_RETURN_IF_ERROR(v.AddRoots(files.roots));
  // Certificates held already help to find the issuers.
  std::vector<trust::SignedText> certs = files.certs;
  for (const trust::SignedText& s : store.files().certs) certs.push_back(s);
  XJ_RETURN_IF_ERROR(v.AddCrls(files.crls, certs));
  const OfficeInfo& office = store.office();
  XJ_ASSIGN_OR_RETURN(std::optional<trust::TrustedOffice> best,
                      v.Newest(office.code, files.certs, certs));
  if (!best) {
    return Error(Code::kNotFound, "{}: no certificate for this office ({})",
                 dir, office.code);
  }
  const ft::CertStatement& c = best->cert;
  if (c.level != office.level) {
    return Error(Code::kRejected,
                 "the certificate says {} is a {}, and this office is set up "
                 "as a {}",
                 c.subject, ft::LevelName(c.level),
                 ft::LevelName(office.level));
  }
  // The certificate must be for this home's keys.
  XJ_ASSIGN_OR_RETURN(formats::minisign::PublicKey clerk,
                      LoadPublicKey(store.keys_dir() + "/clerk.pub"));
  if (std::none_of(c.keys.begin(), c.keys.end(), [&](const ft::KeyEntry& k) {
        return k.key.key == clerk.key && k.role == "clerk";
      })) {
    return Error(Code::kRejected,
                 "the certificate does not list this office's clerk key {}",
                 KeyIdToString(clerk.key_id));
  }
  XJ_ASSIGN_OR_RETURN(Bytes pub,
                      os::ReadFile(store.keys_dir() + "/office.pub", 4096));
  std::string_view p = AsChars(pub);
  if (p.find(c.enc) == std::string_view::npos) {
    return Error(Code::kRejected,
                 "the certificate's enc {} is not this office's identity",
                 c.enc);
  }
  // Keep the roots learned, the certificates on the path and the CRLs.
  ChainFiles keep;
  keep.roots = v.new_roots();
  for (const std::string& name : best->path_names) {
    for (const trust::SignedText& s : certs) {
      if (s.name == name) keep.certs.push_back(s);
    }
  }
  for (const trust::SignedText& s : files.crls) keep.crls.push_back(s);
  // The province's school lists that came with it, verified against the
  // province office, newer than those held.
  XJ_RETURN_IF_ERROR(v.AddSchools(files.schools, certs));
  XJ_ASSIGN_OR_RETURN(keep.schools, NewerSchoolLists(store, files.schools));
  XJ_RETURN_IF_ERROR(store.Add(keep));
  InstallResult out;
  out.office = *best;
  for (const auto* list :
       {&keep.roots, &keep.certs, &keep.crls, &keep.schools}) {
    for (const trust::SignedText& s : *list)
      out.added.push_back(os::BaseName(s.name));
  }
  out.warnings = v.warnings();
  return out;
}

Result<RevokeResult> Revoke(const RevokeRequest& req) {
  XJ_RETURN_IF_ERROR(NeedTime(req.now));
  if (req.key == nullptr)
    return Status(Code::kInvalidArgument, "a signing key is required");
  if (req.serials.empty() && req.key_ids.empty()) {
    return Status(Code::kInvalidArgument,
                  "name at least one serial or compromised key to revoke");
  }
  XJ_ASSIGN_OR_RETURN(TrustStore store, TrustStore::Open(req.home));
  std::int64_t now = req.now;
  trust::VerifierOptions vo{os::FormatUtc(now), false};
  XJ_ASSIGN_OR_RETURN(trust::Verifier v, store.MakeVerifier(vo));
  // The root revokes (with a root key), or this office.
  std::string key_id = KeyIdToString(req.key->key_id());
  std::string issuer;
  std::vector<ft::KeyEntry> keys;
  ft::Policy policy;
  std::string role;
  auto root_key = std::find_if(
      v.root().keys.begin(), v.root().keys.end(),
      [&](const ft::KeyEntry& k) { return k.key.key_id == req.key->key_id(); });
  if (root_key != v.root().keys.end()) {
    issuer = "root";
    keys = v.root().keys;
    policy = ThresholdPolicy(v.root().threshold);
    role = "root";
  } else {
    XJ_ASSIGN_OR_RETURN(trust::TrustedOffice own, store.OwnCertificate(vo));
    if (!own.cert.issue_policy) {
      return Error(Code::kRejected,
                   "office {} certifies no one, so it "
                   "revokes no one",
                   own.cert.subject);
    }
    issuer = own.cert.subject;
    keys = own.cert.keys;
    policy = *own.cert.issue_policy;
    auto mine = std::find_if(keys.begin(), keys.end(), [&](const auto& k) {
      return k.key.key_id == req.key->key_id();
    });
    if (mine == keys.end())
      return Error(Code::kBadKey, "key {} is not a key of {}", key_id, issuer);
    role = mine->role;
  }
  ft::CrlStatement crl;
  crl.issuer = issuer;
  std::optional<trust::SignedText> last = store.LastCrl(issuer);
  if (last) {
    XJ_ASSIGN_OR_RETURN(ft::CrlStatement prev, ft::ParseCrl(last->text));
    crl.number = prev.number + 1;
    crl.revoked = prev.revoked;
    crl.revoked_keys = prev.revoked_keys;
  }
  std::string t = os::FormatUtc(now);
  for (const std::string& serial : req.serials) {
    bool issued =
        std::any_of(store.files().certs.begin(), store.files().certs.end(),
                    [&](const trust::SignedText& s) {
                      Result<ft::CertStatement> c = ft::ParseCert(s.text);
                      return c.ok() && c->serial == serial;
                    });
    if (serial.rfind(issuer + "-", 0) != 0 || !issued) {
      return Error(Code::kInvalidArgument,
                   "{} is not a certificate {} issued (its serials are {}-N, "
                   "kept in the office's trust store)",
                   EscapeForDisplay(serial), issuer, issuer);
    }
    if (std::any_of(crl.revoked.begin(), crl.revoked.end(),
                    [&](const ft::Revoked& r) { return r.serial == serial; })) {
      return Error(Code::kAlreadyExists, "{} is already revoked", serial);
    }
    crl.revoked.push_back({serial, t, req.reason});
  }
  for (const std::string& id : req.key_ids) {
    if (!ft::IsKeyId(id)) {
      return Error(Code::kInvalidArgument,
                   "\"{}\" is not a key id (16 uppercase hex digits)",
                   EscapeForDisplay(id));
    }
    if (std::none_of(crl.revoked_keys.begin(), crl.revoked_keys.end(),
                     [&](const auto& k) { return k.first == id; }))
      crl.revoked_keys.push_back({id, t});
  }
  std::sort(crl.revoked.begin(), crl.revoked.end(),
            [](const auto& a, const auto& b) { return a.serial < b.serial; });
  std::sort(crl.revoked_keys.begin(), crl.revoked_keys.end());
  crl.this_update = t;
  crl.next_update = os::FormatUtc(now + req.valid_days * kDay);
  auto counts = [&](const std::string& r) {
    return std::any_of(policy.groups.begin(), policy.groups.end(),
                       [&](const auto& g) { return g.first == r; });
  };
  if (!counts(role)) {
    return Error(
        Code::kBadKey,
        "key {} is {}'s {} key, and its issue-policy ({}) counts no "
        "{} signature: a revocation list needs a {}",
        key_id, issuer, role, policy.ToString(), role,
        policy.groups.empty() ? std::string("leader") : policy.groups[0].first);
  }
  crl.issuer_keys = {key_id};
  for (const ft::KeyEntry& k : keys) {
    std::string id = KeyIdToString(k.key.key_id);
    if (id != key_id && counts(k.role)) crl.issuer_keys.push_back(id);
  }
  std::sort(crl.issuer_keys.begin(), crl.issuer_keys.end());
  std::string text = ft::SerializeCrl(crl);
  XJ_RETURN_IF_ERROR(ft::ParseCrl(text).status());
  trust::SignedText s{CrlFileName(issuer, crl.number), text, {}};
  XJ_ASSIGN_OR_RETURN(
      std::string sig,
      trust::SignStatement(text, "crl", ft::CrlId(issuer, crl.number), role,
                           *req.key, now));
  s.signatures.push_back(
      {trust::SignatureFileName(s.name, req.key->key_id()), sig});
  RevokeResult out;
  out.crl = crl;
  XJ_ASSIGN_OR_RETURN(
      trust::Judgement j,
      trust::JudgeSignatures(s, "crl", ft::CrlId(issuer, crl.number),
                             KeysNamed(keys, crl.issuer_keys), ""));
  out.needs = Shortfall(j.good, policy);
  ChainFiles keep;
  keep.crls.push_back(s);
  XJ_RETURN_IF_ERROR(store.Add(keep));
  out.path = req.home.root + "/trust/" + s.name;
  if (!req.output.empty()) {
    XJ_RETURN_IF_ERROR(os::MakeDirectories(req.output, 0755));
    XJ_RETURN_IF_ERROR(WriteSignedText(req.output, s));
    out.path = req.output + "/" + s.name;
  }
  return out;
}

Result<PublishSchoolsResult> PublishSchools(const PublishSchoolsRequest& req) {
  XJ_RETURN_IF_ERROR(NeedTime(req.now));
  if (req.key == nullptr)
    return Status(Code::kInvalidArgument, "a signing key is required");
  XJ_ASSIGN_OR_RETURN(TrustStore store, TrustStore::Open(req.home));
  trust::VerifierOptions vo{os::FormatUtc(req.now), false};
  XJ_ASSIGN_OR_RETURN(trust::TrustedOffice own, store.OwnCertificate(vo));
  const ft::CertStatement& me = own.cert;
  if (me.level != ft::Level::kProvince || !me.issue_policy) {
    return Error(Code::kRejected,
                 "only the province office publishes the school list, and "
                 "this office is {}",
                 me.subject);
  }
  auto mine = std::find_if(me.keys.begin(), me.keys.end(), [&](const auto& k) {
    return k.key.key_id == req.key->key_id();
  });
  std::string key_id = KeyIdToString(req.key->key_id());
  if (mine == me.keys.end())
    return Error(Code::kBadKey, "key {} is not a key of {}", key_id,
                 me.subject);
  // Every row first, each named by its line.
  XJ_ASSIGN_OR_RETURN(std::unique_ptr<formats::csv::Reader> r,
                      formats::csv::Reader::Open(req.csv, req.csv));
  XJ_ASSIGN_OR_RETURN(std::vector<std::string> header, r->ReadHeader());
  const std::vector<std::string> want = {"school_code", "school_name",
                                         "county_code", "school_type"};
  std::vector<std::size_t> at;
  for (const std::string& w : want) {
    auto it = std::find(header.begin(), header.end(), w);
    if (it == header.end()) {
      return Error(Code::kMalformed, "{}:1: no column {} (expected {})",
                   req.csv, w, fmt::join(want, ", "));
    }
    at.push_back(static_cast<std::size_t>(it - header.begin()));
  }
  std::string province = me.subject.substr(0, 2);
  std::map<std::string, std::vector<ft::SchoolEntry>> by_county;
  std::set<std::string> codes;
  for (;;) {
    XJ_ASSIGN_OR_RETURN(bool more, r->Next());
    if (!more) break;
    std::string code(r->fields()[at[0]]), name(r->fields()[at[1]]),
        county(r->fields()[at[2]]), type(r->fields()[at[3]]);
    auto bad = [&](std::string_view what) {
      return Error(Code::kMalformed, "{}:{}: {}", req.csv, r->line(), what);
    };
    if (code.size() != 10 || !ft::IsDigits(code) ||
        code.substr(2, 2) != province) {
      return bad(
          fmt::format("school_code \"{}\": expected ten digits of "
                      "province {}",
                      EscapeForDisplay(code), province));
    }
    if (type != code.substr(0, 2)) {
      return bad(
          fmt::format("school_type \"{}\": expected the code's first "
                      "two digits, {}",
                      EscapeForDisplay(type), code.substr(0, 2)));
    }
    if (county.size() != 6 || !ft::IsDigits(county) ||
        county.substr(0, 2) != province || county.ends_with("00")) {
      return bad(
          fmt::format("county_code \"{}\": expected a county of "
                      "province {} (six digits)",
                      EscapeForDisplay(county), province));
    }
    if (name.empty() || name.find_first_of("\t\r\n") != std::string::npos)
      return bad("school_name: expected a name on one line");
    if (!codes.insert(code).second)
      return bad(fmt::format("school {} is listed twice", code));
    by_county[county].push_back({code, type, name});
  }
  PublishSchoolsResult out;
  ChainFiles keep;
  for (auto& [county, schools] : by_county) {
    std::sort(schools.begin(), schools.end(),
              [](const auto& a, const auto& b) { return a.code < b.code; });
    ft::SchoolsStatement st;
    st.issuer = me.subject;
    st.issuer_keys = {key_id};
    st.county = county;
    st.issued = os::FormatUtc(req.now);
    st.schools = schools;
    auto held = store.school_lists().find(county);
    if (held != store.school_lists().end()) {
      const auto& old = held->second.list.schools;
      if (old.size() == schools.size() &&
          std::equal(old.begin(), old.end(), schools.begin(),
                     [](const auto& a, const auto& b) {
                       return a.code == b.code && a.name == b.name;
                     })) {
        ++out.unchanged;
        continue;
      }
      st.version = held->second.list.version + 1;
    }
    std::string text = ft::SerializeSchools(st);
    XJ_RETURN_IF_ERROR(ft::ParseSchools(text).status());
    std::string id = ft::SchoolsId(county, st.version);
    trust::SignedText s{SchoolsFileName(county, st.version), text, {}};
    XJ_ASSIGN_OR_RETURN(std::string sig,
                        trust::SignStatement(text, "schools", id, mine->role,
                                             *req.key, req.now));
    s.signatures.push_back(
        {trust::SignatureFileName(s.name, req.key->key_id()), sig});
    XJ_ASSIGN_OR_RETURN(trust::Judgement j,
                        trust::JudgeSignatures(s, "schools", id, me.keys, ""));
    const std::string& of = county;  // (a lambda may not name a binding)
    XJ_RETURN_IF_ERROR(trust::MeetPolicyNamed(j.good, *me.issue_policy, [&] {
      return fmt::format("the school list of county {}", of);
    }));
    keep.schools.push_back(s);
    out.published.push_back({county, req.home.root + "/trust/" + s.name,
                             st.version, schools.size()});
  }
  XJ_RETURN_IF_ERROR(store.Add(keep));
  if (!req.output.empty()) {
    XJ_RETURN_IF_ERROR(os::MakeDirectories(req.output, 0755));
    for (const trust::SignedText& s : keep.schools)
      XJ_RETURN_IF_ERROR(WriteSignedText(req.output, s));
  }
  return out;
}

Result<std::vector<std::string>> LearnFromChain(const Home& home,
                                                const ChainFiles& chain,
                                                const std::string& now) {
  XJ_ASSIGN_OR_RETURN(TrustStore store, TrustStore::Open(home));
  XJ_ASSIGN_OR_RETURN(trust::Verifier v, store.MakeVerifier({now, false}));
  XJ_RETURN_IF_ERROR(v.AddRoots(chain.roots));
  std::vector<trust::SignedText> certs = chain.certs;
  for (const trust::SignedText& c : store.files().certs) certs.push_back(c);
  XJ_RETURN_IF_ERROR(v.AddCrls(chain.crls, certs));
  ChainFiles learned;
  learned.roots = v.new_roots();
  // Newer certificates of the offices above this one (the province's,
  // re-issued after a rotation), trusted now and not yet held.
  std::set<std::string> above;
  Result<trust::TrustedOffice> own = store.OwnCertificate({now, false});
  if (own.ok()) {
    for (std::size_t i = 1; i < own->path.size(); ++i)
      above.insert(own->path[i].subject);
  }
  for (const trust::SignedText& c : chain.certs) {
    Result<ft::CertStatement> cert = ft::ParseCert(c.text);
    if (!cert.ok() || above.count(cert->subject) == 0) continue;
    bool held = std::any_of(
        store.files().certs.begin(), store.files().certs.end(),
        [&](const trust::SignedText& h) { return h.text == c.text; });
    if (!held && v.Judge(c, certs).ok()) learned.certs.push_back(c);
  }
  for (const trust::SignedText& c : chain.crls) {
    Result<ft::CrlStatement> crl = ft::ParseCrl(c.text);
    if (!crl.ok()) continue;
    std::optional<trust::SignedText> mine = store.LastCrl(crl->issuer);
    std::uint64_t held = 0;
    if (mine) {
      Result<ft::CrlStatement> m = ft::ParseCrl(mine->text);
      if (m.ok()) held = m->number;
    }
    if (crl->number > held) learned.crls.push_back(c);
  }
  // The province's school lists, newer than those held, verified against
  // the province office.
  XJ_RETURN_IF_ERROR(v.AddSchools(chain.schools, certs));
  XJ_ASSIGN_OR_RETURN(learned.schools, NewerSchoolLists(store, chain.schools));
  XJ_RETURN_IF_ERROR(store.Add(learned));
  std::vector<std::string> out;
  for (const auto* list :
       {&learned.roots, &learned.certs, &learned.crls, &learned.schools}) {
    for (const trust::SignedText& t : *list)
      out.push_back(os::BaseName(t.name));
  }
  return out;
}

Result<std::vector<std::string>> KeepVerifiedCrls(
    const Home& home, const std::vector<trust::VerifiedCrl>& crls) {
  XJ_ASSIGN_OR_RETURN(TrustStore store, TrustStore::Open(home));
  // The newest of each issuer; two lists of one number must be one list.
  std::map<std::string, const trust::VerifiedCrl*> newest;
  for (const trust::VerifiedCrl& c : crls) {
    const trust::VerifiedCrl*& n = newest[c.crl.issuer];
    if (n != nullptr && n->crl.number == c.crl.number &&
        n->sha256 != c.sha256) {
      return Error(Code::kBadSignature,
                   "two different revocation lists numbered {} from {} came "
                   "with the bundles; neither was kept",
                   c.crl.number, c.crl.issuer);
    }
    if (n == nullptr || n->crl.number < c.crl.number) n = &c;
  }
  ChainFiles keep;
  for (const auto& [issuer, n] : newest) {
    const trust::VerifiedCrl& c = *n;
    std::optional<trust::SignedText> mine = store.LastCrl(c.crl.issuer);
    if (mine) {
      Result<ft::CrlStatement> m = ft::ParseCrl(mine->text);
      if (m.ok() && m->number >= c.crl.number) continue;
    }
    keep.crls.push_back(c.file);
  }
  if (keep.crls.empty()) return std::vector<std::string>{};
  XJ_RETURN_IF_ERROR(store.Add(keep));
  std::vector<std::string> out;
  for (const trust::SignedText& t : keep.crls)
    out.push_back(os::BaseName(t.name));
  return out;
}

Result<std::uint64_t> AddRoot(const Home& home, const std::string& path,
                              std::int64_t now) {
  XJ_RETURN_IF_ERROR(NeedTime(now));
  XJ_ASSIGN_OR_RETURN(trust::SignedText s, ReadStatementFile(path));
  XJ_ASSIGN_OR_RETURN(ft::RootStatement r, ft::ParseRoot(s.text));
  s.name = RootFileName(r.version);
  for (auto& [name, text] : s.signatures) {
    std::string base = os::BaseName(name);
    name = s.name + base.substr(base.rfind('.', base.size() - 9));
  }
  ChainFiles c;
  c.roots.push_back(s);
  XJ_ASSIGN_OR_RETURN(std::vector<std::string> learned,
                      LearnFromChain(home, c, os::FormatUtc(now)));
  if (learned.empty()) {
    return Error(Code::kAlreadyExists, "root version {} is already installed",
                 r.version);
  }
  return r.version;
}

Result<ReceiptResult> TakeReceipt(const Home& home, const std::string& dir,
                                  std::int64_t now_arg) {
  XJ_RETURN_IF_ERROR(NeedTime(now_arg));
  XJ_ASSIGN_OR_RETURN(TrustStore store, TrustStore::Open(home));
  std::int64_t now = now_arg;
  XJ_ASSIGN_OR_RETURN(trust::SignedText s, ReadStatementFile(stick::In(
                                               dir, stick::kReceiptStatement)));
  s.name = stick::In(os::BaseName(dir), stick::kReceiptStatement);
  Result<ft::ReceiptStatement> parsed = ft::ParseReceipt(s.text);
  if (!parsed.ok()) return parsed.status().WithContext(s.name);
  ReceiptResult out;
  out.receipt = *parsed;
  const ft::ReceiptStatement& rc = out.receipt;
  const std::string& me = store.office().code;
  // A receipt of a bundle that held this office's (a county's merge, the
  // city's): read for what was sent in this office's name.
  auto mine = [&](const ft::ReceiptStatement::SignedBy& b) {
    return b.bundle.compare(0, me.size() + 1, me + "-") == 0;
  };
  out.held_only = rc.sender != me &&
                  std::any_of(rc.signed_by.begin(), rc.signed_by.end(), mine);
  if (rc.sender != me && !out.held_only) {
    return Error(Code::kRejected,
                 "{}: the receipt acknowledges {}'s bundle {}, and this office "
                 "is {}",
                 s.name, rc.sender, rc.bundle, me);
  }
  ChainFiles chain;
  if (os::IsDirectory(stick::In(dir, stick::kChain))) {
    XJ_ASSIGN_OR_RETURN(
        chain, ReadChainFolder(stick::In(dir, stick::kChain), "chain/"));
  }
  std::string now_eff = os::FormatUtc(now);
  if (os::Exists(home.root + "/ledger.sqlite")) {
    XJ_ASSIGN_OR_RETURN(Ledger ledger, Ledger::Open(home));
    XJ_ASSIGN_OR_RETURN(now_eff, ledger.EffectiveNow(now));
  }
  XJ_ASSIGN_OR_RETURN(trust::Verifier v, store.MakeVerifier({now_eff, false}));
  XJ_RETURN_IF_ERROR(v.AddRoots(chain.roots));
  std::vector<trust::SignedText> certs = chain.certs;
  for (const trust::SignedText& c : store.files().certs) certs.push_back(c);
  XJ_RETURN_IF_ERROR(v.AddCrls(chain.crls, certs));
  // The signer's certificate (the recipient's, or a copy-to office's),
  // the newest that is trusted.
  XJ_ASSIGN_OR_RETURN(std::optional<trust::TrustedOffice> office,
                      v.Newest(rc.by, certs, certs));
  if (!office) {
    return Error(Code::kBadSignature,
                 "{}: no certificate of its signer {} reaches the root", s.name,
                 rc.by);
  }
  XJ_ASSIGN_OR_RETURN(
      trust::Judgement j,
      trust::JudgeSignatures(s, "receipt", rc.bundle, office->cert.keys, ""));
  if (j.good.empty()) {
    return Error(Code::kBadSignature,
                 "{}: not signed by a key of {}'s certificate", s.name, rc.by);
  }
  out.signer =
      fmt::format("{} {} key {}", rc.by, j.good[0].role, j.good[0].key_id);
  // What was signed in this office's name must have been signed under its
  // own certificates, with their keys: else whoever issued another
  // certificate for its code has sent data as this office.
  for (const ft::ReceiptStatement::SignedBy& b : rc.signed_by) {
    if (!mine(b)) continue;
    const ft::CertStatement* own = nullptr;
    for (const trust::SignedText& t : store.files().certs) {
      Result<trust::Parsed<ft::CertStatement>> c =
          trust::ParseCertCached(t.text);
      if (c.ok() && (*c)->subject == me && (*c)->serial == b.cert) own = &**c;
    }
    std::string keys = fmt::format("{}", fmt::join(b.keys, ", "));
    bool own_keys =
        own != nullptr &&
        std::all_of(b.keys.begin(), b.keys.end(), [&](const std::string& k) {
          return std::any_of(
              own->keys.begin(), own->keys.end(),
              [&](const ft::KeyEntry& e) { return KeyIdIs(e.key.key_id, k); });
        });
    if (!own_keys) {
      return Error(Code::kRejected,
                   "{}: {} took in bundle {} in this office's name, signed "
                   "under certificate {} with key {}, which {}: another "
                   "certificate was issued for this office's code, and its "
                   "holder sent data as this office",
                   s.name, rc.by, b.bundle, b.cert, keys,
                   own == nullptr ? "is not this office's"
                                  : "that certificate does not hold")
          .WithHint(
              "tell the province and the office that issued your "
              "certificate at once; keep this receipt as evidence");
    }
    out.own_bundles.push_back(
        fmt::format("{} signed under this office's certificate {} with key {}",
                    b.bundle, b.cert, keys));
  }
  if (out.held_only) {
    XJ_ASSIGN_OR_RETURN(out.learned, LearnFromChain(home, chain, now_eff));
    out.warnings = v.warnings();
    return out;
  }
  // A copy's receipt says only that the copy was read: the delivery to
  // the recipient is still owed, and the outbox and counters stay.
  if (rc.taken_as == "copy") {
    XJ_ASSIGN_OR_RETURN(StreamState stream,
                        ReadStream(home, rc.sender, rc.recipient));
    out.next_seq = stream.last_seq + 1;
    XJ_ASSIGN_OR_RETURN(out.learned, LearnFromChain(home, chain, now_eff));
    out.warnings = v.warnings();
    return out;
  }
  // The outbox copy: delivered now.
  std::string outbox = home.outbox() + "/" + rc.bundle;
  if (os::IsDirectory(outbox)) {
    XJ_ASSIGN_OR_RETURN(
        Bytes text, os::ReadFile(outbox + "/bundle.stmt", ft::kMaxStatement));
    if (trust::StatementSha256(AsChars(text)) != rc.bundle_sha256) {
      return Error(Code::kRejected,
                   "{}: the receipt acknowledges statement {}, and the outbox "
                   "holds another bundle {}",
                   s.name, rc.bundle_sha256, rc.bundle);
    }
    RemoveTree(outbox);
    XJ_RETURN_IF_ERROR(os::SyncDirectory(home.outbox()));
    out.outbox_cleared = true;
  }
  // A counter behind the receipt was lost: resume 20 past it.
  XJ_ASSIGN_OR_RETURN(StreamState stream,
                      ReadStream(home, rc.sender, rc.recipient));
  if (stream.last_seq < rc.seq) {
    XJ_RETURN_IF_ERROR(WriteStream(home, rc.sender, rc.recipient,
                                   {rc.seq + 19, rc.bundle_sha256}));
    out.counter_restored = true;
    out.next_seq = rc.seq + 20;
  } else {
    out.next_seq = stream.last_seq + 1;
  }
  // Root rotations and revocation lists travel down with receipts.
  XJ_ASSIGN_OR_RETURN(out.learned, LearnFromChain(home, chain, now_eff));
  out.warnings = v.warnings();
  return out;
}

}  // namespace xj::pack
