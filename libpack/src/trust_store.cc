#include "libpack/trust_store.h"

#include <algorithm>
#include <charconv>

#include "base/bytes.h"
#include "base/os.h"
#include "formats/home.h"

namespace xj::pack {
namespace {

constexpr std::size_t kMaxSignatureFile = 4096;
constexpr std::string_view kStmt = ".stmt";
constexpr std::string_view kSig = ".minisig";

bool EndsWith(std::string_view s, std::string_view end) {
  return s.size() >= end.size() && s.substr(s.size() - end.size()) == end;
}

bool IsLitterName(std::string_view n) {
  return n.substr(0, 2) == "._" || n == ".DS_Store" || n == "Thumbs.db" ||
         n == "desktop.ini";
}

// What a statement file's name says it is, checked against its content.
Status CheckStatementName(const std::string& name, std::string text,
                          std::string_view display, ChainFiles* out) {
  trust::SignedText s{std::string(display) + name, std::move(text), {}};
  auto mismatch = [&](const std::string& is) {
    return Error(Code::kRejected,
                 "{}{}: the file holds {}, so its name must be {}", display,
                 name, is, is);
  };
  if (name.rfind("root-", 0) == 0) {
    Result<trust::Parsed<ft::RootStatement>> r = trust::ParseRootCached(s.text);
    if (!r.ok()) return r.status().WithContext(s.name);
    if (RootFileName((*r)->version) != name)
      return mismatch(RootFileName((*r)->version));
    out->roots.push_back(std::move(s));
  } else if (name.rfind("cert-", 0) == 0) {
    Result<trust::Parsed<ft::CertStatement>> c = trust::ParseCertCached(s.text);
    if (!c.ok()) return c.status().WithContext(s.name);
    if (CertFileName((*c)->serial) != name)
      return mismatch(CertFileName((*c)->serial));
    out->certs.push_back(std::move(s));
  } else if (name.rfind("crl-", 0) == 0) {
    Result<trust::Parsed<ft::CrlStatement>> c = trust::ParseCrlCached(s.text);
    if (!c.ok()) return c.status().WithContext(s.name);
    std::string want = CrlFileName((*c)->issuer, (*c)->number);
    if (want != name) return mismatch(want);
    out->crls.push_back(std::move(s));
  } else if (name.rfind("schools-", 0) == 0) {
    Result<ft::SchoolsStatement> c = ft::ParseSchools(s.text);
    if (!c.ok()) return c.status().WithContext(s.name);
    std::string want = SchoolsFileName(c->county, c->version);
    if (want != name) return mismatch(want);
    out->schools.push_back(std::move(s));
  } else {
    return Error(Code::kRejected,
                 "{}{}: unexpected statement (root-N, cert-SERIAL, "
                 "crl-ISSUER-N or schools-COUNTY-N)",
                 display, EscapeForDisplay(name));
  }
  return Status::Ok();
}

trust::SignedText* FindStatement(ChainFiles* c, std::string_view name) {
  for (auto* list : {&c->roots, &c->certs, &c->crls, &c->schools}) {
    for (trust::SignedText& s : *list) {
      if (os::BaseName(s.name) == name) return &s;
    }
  }
  return nullptr;
}

Status WriteNewFile(const std::string& path, std::string_view content) {
  if (os::Exists(path)) {
    XJ_ASSIGN_OR_RETURN(Bytes old, os::ReadFile(path, ft::kMaxStatement));
    if (AsChars(old) == content) return Status::Ok();
    return Error(Code::kAlreadyExists,
                 "{} exists with other content; it is left as it is", path);
  }
  XJ_ASSIGN_OR_RETURN(os::AtomicFile f,
                      os::AtomicFile::Create(path, 0644, os::Replace::kNever));
  XJ_RETURN_IF_ERROR(f.sink().Write(AsBytes(content)));
  return f.Commit();
}

std::string OfficeText(const OfficeInfo& o) {
  return formats::home::SerializeOffice({o.code, o.level, o.name});
}

Result<OfficeInfo> ParseOffice(std::string_view text, const std::string& path) {
  XJ_ASSIGN_OR_RETURN(formats::home::Office o,
                      formats::home::ParseOffice(text, path));
  return OfficeInfo{std::move(o.code), o.level, std::move(o.name)};
}

std::uint64_t SerialNumber(std::string_view serial) {
  std::uint64_t n = 0;
  std::size_t dash = serial.rfind('-');
  if (dash == std::string_view::npos) return 0;
  std::from_chars(serial.data() + dash + 1, serial.data() + serial.size(), n);
  return n;
}

}  // namespace

std::size_t ChainFiles::files() const {
  std::size_t n = 0;
  for (const auto* list : {&roots, &certs, &crls, &schools}) {
    for (const trust::SignedText& s : *list) n += 1 + s.signatures.size();
  }
  return n;
}

std::string RootFileName(std::uint64_t version) {
  return fmt::format("root-{}.stmt", version);
}
std::string CertFileName(std::string_view serial) {
  return fmt::format("cert-{}.stmt", serial);
}
std::string CrlFileName(std::string_view issuer, std::uint64_t number) {
  return fmt::format("crl-{}-{}.stmt", issuer, number);
}
std::string SchoolsFileName(std::string_view county, std::uint64_t version) {
  return fmt::format("schools-{}-{}.stmt", county, version);
}

Result<ChainFiles> ReadChainFolder(const std::string& path,
                                   std::string_view display,
                                   std::size_t max_files) {
  return ReadChainFolder(DiskFiles(), path, display, max_files);
}

Result<ChainFiles> ReadChainFolder(const FileView& files,
                                   const std::string& path,
                                   std::string_view display,
                                   std::size_t max_files) {
  XJ_ASSIGN_OR_RETURN(std::unique_ptr<Folder> folder, files.Open(path));
  const Folder& d = *folder;
  XJ_ASSIGN_OR_RETURN(std::vector<std::string> names, d.List());
  ChainFiles out;
  std::vector<std::string> sigs;
  std::size_t count = 0;
  for (const std::string& n : names) {
    if (IsLitterName(n)) continue;
    if (++count > max_files) {
      return Error(Code::kRejected, "{}: more than {} files", path, max_files);
    }
    os::Dir::Kind kind = d.KindOf(n);
    if (kind != os::Dir::Kind::kFile) {
      return Error(Code::kRejected, "{}{} is not a regular file{}", display,
                   EscapeForDisplay(n),
                   kind == os::Dir::Kind::kLink ? " (a symbolic link)" : "");
    }
    if (EndsWith(n, kStmt)) {
      Result<Bytes> text = d.ReadFile(n, ft::kMaxStatement);
      if (!text.ok()) {
        if (text.status().code() == Code::kInvalidArgument) {
          return Error(Code::kRejected, "{}{} is larger than {} bytes", display,
                       n, ft::kMaxStatement);
        }
        return text.status();
      }
      XJ_RETURN_IF_ERROR(
          CheckStatementName(n, std::string(AsChars(*text)), display, &out));
    } else if (EndsWith(n, kSig)) {
      sigs.push_back(n);
    } else {
      return Error(Code::kRejected, "{}{}: unexpected file in a chain folder",
                   display, EscapeForDisplay(n));
    }
  }
  for (const std::string& n : sigs) {
    // <statement>.<KEYID>.minisig
    std::string_view v = n;
    v.remove_suffix(kSig.size());
    std::size_t dot = v.rfind('.');
    trust::SignedText* s = dot == std::string_view::npos
                               ? nullptr
                               : FindStatement(&out, v.substr(0, dot));
    if (s == nullptr || !ft::IsKeyId(v.substr(dot + 1))) {
      return Error(Code::kRejected,
                   "{}{}: a signature file must be named "
                   "<statement>.<KEYID>.minisig after a statement beside it",
                   display, EscapeForDisplay(n));
    }
    Result<Bytes> sig = d.ReadFile(n, kMaxSignatureFile);
    if (!sig.ok()) {
      if (sig.status().code() == Code::kInvalidArgument) {
        return Error(Code::kRejected, "{}{} is larger than a signature can be",
                     display, n);
      }
      return sig.status();
    }
    s->signatures.emplace_back(std::string(display) + n,
                               std::string(AsChars(*sig)));
  }
  return out;
}

Status WriteSignedText(const std::string& dir, const trust::SignedText& s) {
  std::string base = os::BaseName(s.name);
  XJ_RETURN_IF_ERROR(WriteNewFile(dir + "/" + base, s.text));
  for (const auto& [name, content] : s.signatures) {
    XJ_RETURN_IF_ERROR(WriteNewFile(dir + "/" + os::BaseName(name), content));
  }
  return Status::Ok();
}

// ---- the office home ----

Result<TrustStore> TrustStore::Open(const Home& home) {
  std::string path = home.root + "/office";
  if (!os::Exists(path)) {
    return Error(Code::kNotFound, "{} is not set up as an office (no {})",
                 home.root, path)
        .WithRemedy(Remedy::kInit);
  }
  TrustStore t;
  t.home_ = home;
  XJ_ASSIGN_OR_RETURN(Bytes text, os::ReadFile(path, 4096));
  XJ_ASSIGN_OR_RETURN(t.office_, ParseOffice(AsChars(text), path));
  XJ_RETURN_IF_ERROR(os::MakeDirectories(home.root + "/trust", 0700));
  XJ_ASSIGN_OR_RETURN(t.files_,
                      ReadChainFolder(home.root + "/trust", "trust/", 1000000));
  if (t.files_.roots.empty()) {
    return Error(Code::kNotFound, "{}/trust holds no root", home.root)
        .WithRemedy(Remedy::kInitWithRoot);
  }
  XJ_RETURN_IF_ERROR(t.KeepNewestSchoolLists(t.files_.schools));
  return t;
}

Result<std::optional<TrustStore>> TrustStore::OpenIfOffice(
    const std::string& flag) {
  Result<std::string> root = HomePath(flag);
  if (!root.ok()) {
    if (flag.empty()) return std::optional<TrustStore>();
    return root.status();
  }
  if (!os::Exists(*root + "/office")) return std::optional<TrustStore>();
  XJ_ASSIGN_OR_RETURN(Home home, OpenHome(*root));
  XJ_ASSIGN_OR_RETURN(TrustStore t, Open(home));
  return std::optional<TrustStore>(std::move(t));
}

Result<std::string> TrustStore::RecipientOf(
    std::string_view code, const trust::VerifierOptions& options) const {
  XJ_ASSIGN_OR_RETURN(trust::Verifier v, MakeVerifier(options));
  Result<std::optional<trust::TrustedOffice>> best =
      v.Newest(code, files_.certs, files_.certs);
  if (!best.ok())
    return best.status().WithContext(fmt::format("office {}", code));
  if (*best) return (*best)->cert.enc;
  return Error(Code::kNotFound,
               "this office holds no certificate of {}, so it does not know "
               "its age recipient",
               code)
      .WithRemedy(Remedy::kRecipient, std::string(code));
}

Result<TrustStore> TrustStore::Init(const Home& home, const OfficeInfo& office,
                                    const trust::SignedText& root,
                                    std::string_view fingerprint) {
  std::string path = home.root + "/office";
  if (os::Exists(path)) {
    return Error(Code::kAlreadyExists, "{} is already set up as an office",
                 home.root);
  }
  if (!ft::IsOfficeCode(office.code)) {
    return Error(Code::kInvalidArgument,
                 "\"{}\" is not an office code (4 or 6 digits and an optional "
                 "letter, or a school's 10 digits)",
                 EscapeForDisplay(office.code));
  }
  XJ_RETURN_IF_ERROR(
      ft::CheckValue(office.name).WithContext("the office name"));
  XJ_ASSIGN_OR_RETURN(ft::RootStatement r,
                      trust::InstallRoot(root, fingerprint));
  XJ_RETURN_IF_ERROR(os::MakeDirectories(home.root + "/trust", 0700));
  XJ_RETURN_IF_ERROR(os::MakeDirectories(home.root + "/keys", 0700));
  trust::SignedText installed = root;
  installed.name = RootFileName(r.version);
  for (auto& [name, content] : installed.signatures) {
    // Signature files follow the statement's installed name.
    std::string_view n = name;
    std::size_t key = n.rfind('.', n.size() - kSig.size() - 1);
    name = installed.name + std::string(n.substr(key));
  }
  XJ_RETURN_IF_ERROR(WriteSignedText(home.root + "/trust", installed));
  // The office file last: its presence says the home is set up.
  XJ_ASSIGN_OR_RETURN(os::AtomicFile f,
                      os::AtomicFile::Create(path, 0600, os::Replace::kNever));
  XJ_RETURN_IF_ERROR(f.sink().Write(AsBytes(OfficeText(office))));
  XJ_RETURN_IF_ERROR(f.Commit());
  return Open(home);
}

Result<trust::Verifier> TrustStore::MakeVerifier(
    trust::VerifierOptions options) const {
  std::vector<std::pair<ft::RootStatement, const std::string*>> held;
  for (const trust::SignedText& s : files_.roots) {
    Result<trust::Parsed<ft::RootStatement>> r = trust::ParseRootCached(s.text);
    if (!r.ok()) return r.status().WithContext(s.name);
    held.push_back({**r, &s.text});
  }
  std::sort(held.begin(), held.end(), [](const auto& a, const auto& b) {
    return a.first.version < b.first.version;
  });
  std::vector<ft::RootStatement> roots;
  std::vector<std::string> texts;
  for (std::size_t i = 0; i < held.size(); ++i) {
    if (i > 0 && held[i].first.version != held[i - 1].first.version + 1) {
      return Error(Code::kMalformed,
                   "{}/trust: root version {} is missing from the history",
                   home_.root, held[i - 1].first.version + 1);
    }
    roots.push_back(std::move(held[i].first));
    texts.push_back(*held[i].second);
  }
  trust::Verifier v(std::move(roots), std::move(texts), std::move(options));
  for (const trust::SignedText& s : files_.crls) {
    Result<trust::Parsed<ft::CrlStatement>> c = trust::ParseCrlCached(s.text);
    if (!c.ok()) return c.status().WithContext(s.name);
    v.AddKnownCrl({**c, s, trust::StatementSha256(s.text)});
  }
  return v;
}

Status TrustStore::Add(const ChainFiles& verified) {
  std::string dir = home_.root + "/trust";
  auto add = [&](const std::vector<trust::SignedText>& from,
                 std::vector<trust::SignedText>* to) -> Status {
    for (const trust::SignedText& s : from) {
      XJ_RETURN_IF_ERROR(WriteSignedText(dir, s));
      std::string base = os::BaseName(s.name);
      auto held = std::find_if(to->begin(), to->end(), [&](const auto& x) {
        return os::BaseName(x.name) == base;
      });
      if (held == to->end()) {
        trust::SignedText copy = s;
        copy.name = "trust/" + base;
        for (auto& sig : copy.signatures)
          sig.first = "trust/" + os::BaseName(sig.first);
        to->push_back(std::move(copy));
      } else {
        // New co-signatures of a statement already held.
        for (const auto& sig : s.signatures) {
          std::string b = os::BaseName(sig.first);
          if (std::none_of(
                  held->signatures.begin(), held->signatures.end(),
                  [&](const auto& x) { return os::BaseName(x.first) == b; })) {
            held->signatures.push_back({"trust/" + b, sig.second});
          }
        }
      }
    }
    return Status::Ok();
  };
  XJ_RETURN_IF_ERROR(add(verified.roots, &files_.roots));
  XJ_RETURN_IF_ERROR(add(verified.certs, &files_.certs));
  XJ_RETURN_IF_ERROR(add(verified.crls, &files_.crls));
  XJ_RETURN_IF_ERROR(add(verified.schools, &files_.schools));
  XJ_RETURN_IF_ERROR(KeepNewestSchoolLists(verified.schools));
  return os::SyncDirectory(dir);
}

Result<trust::TrustedOffice> TrustStore::OwnCertificate(
    const trust::VerifierOptions& options) const {
  XJ_ASSIGN_OR_RETURN(trust::Verifier v, MakeVerifier(options));
  XJ_ASSIGN_OR_RETURN(std::optional<trust::TrustedOffice> best,
                      v.Newest(office_.code, files_.certs, files_.certs));
  if (best) return *best;
  return Error(Code::kNotFound, "office {} has no certificate installed",
               office_.code)
      .WithRemedy(Remedy::kInstallCertificate);
}

ChainFiles TrustStore::ChainFor(const trust::TrustedOffice& own) const {
  ChainFiles c;
  c.roots = files_.roots;
  std::vector<std::string> issuers = {office_.code};
  for (std::size_t i = 0; i < own.path.size(); ++i) {
    for (const trust::SignedText& s : files_.certs) {
      if (s.name == own.path_names[i]) c.certs.push_back(s);
    }
    issuers.push_back(own.path[i].issuer);
  }
  for (const std::string& issuer : issuers) {
    std::optional<trust::SignedText> crl = LastCrl(issuer);
    if (crl && std::none_of(c.crls.begin(), c.crls.end(), [&](const auto& x) {
          return x.name == crl->name;
        })) {
      c.crls.push_back(*crl);
    }
  }
  return c;
}

Status TrustStore::KeepNewestSchoolLists(
    const std::vector<trust::SignedText>& lists) {
  for (const trust::SignedText& s : lists) {
    Result<ft::SchoolsStatement> list = ft::ParseSchools(s.text);
    if (!list.ok()) return list.status().WithContext(s.name);
    auto& held = school_lists_[list->county];
    if (held.list.county.empty() || held.list.version < list->version)
      held = {*list, s, trust::StatementSha256(s.text)};
  }
  return Status::Ok();
}

std::vector<trust::SignedText> TrustStore::SchoolListsWithin(
    std::string_view scope) const {
  std::vector<trust::SignedText> out;
  for (const auto& [county, list] : school_lists_) {
    if (county.starts_with(scope)) out.push_back(list.file);
  }
  return out;
}

std::optional<trust::SignedText> TrustStore::LastCrl(
    std::string_view issuer) const {
  std::optional<trust::SignedText> best;
  std::uint64_t best_n = 0;
  for (const trust::SignedText& s : files_.crls) {
    Result<ft::CrlStatement> c = ft::ParseCrl(s.text);
    if (!c.ok() || c->issuer != issuer) continue;
    if (c->number > best_n) {
      best_n = c->number;
      best = s;
    }
  }
  return best;
}

Result<std::string> TrustStore::NextSerial(std::string_view issuer) {
  std::string dir = home_.root + "/counters";
  XJ_RETURN_IF_ERROR(os::MakeDirectories(dir, 0700));
  std::string path = fmt::format("{}/serial-{}", dir, issuer);
  std::uint64_t last = 0;
  if (os::Exists(path)) {
    XJ_ASSIGN_OR_RETURN(Bytes text, os::ReadFile(path, 64));
    XJ_ASSIGN_OR_RETURN(last,
                        formats::home::ParseSerialCounter(AsChars(text), path));
  }
  // Never below a serial already in the store (a lost counter).
  for (const trust::SignedText& s : files_.certs) {
    Result<trust::Parsed<ft::CertStatement>> c = trust::ParseCertCached(s.text);
    if (c.ok() && (*c)->issuer == issuer)
      last = std::max(last, SerialNumber((*c)->serial));
  }
  std::uint64_t next = last + 1;
  if (next > 999999) {
    return Error(Code::kRejected, "issuer {} has used all its serials", issuer);
  }
  XJ_ASSIGN_OR_RETURN(os::AtomicFile f, os::AtomicFile::Create(
                                            path, 0600, os::Replace::kAllowed));
  XJ_RETURN_IF_ERROR(
      f.sink().Write(AsBytes(formats::home::SerializeSerialCounter(next))));
  XJ_RETURN_IF_ERROR(f.Commit());
  return fmt::format("{}-{:06}", issuer, next);
}

}  // namespace xj::pack
