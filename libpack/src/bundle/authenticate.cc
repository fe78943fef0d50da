#include "bundle/authenticate.h"

#include <algorithm>

#include "formats/minisign.h"
#include "libpack/file_view.h"
#include "libpack/stick.h"
#include "libpack/trust.h"

namespace xj::pack {
namespace bundle {
namespace {

using formats::minisign::KeyIdIs;
using formats::minisign::KeyIdToString;
using keys::Sha256Hex;
using stick::IsLitter;
using stick::IsSignatureName;
using stick::IsVolumeName;
using stick::kChain;
using stick::kMaxSignatureFile;
using stick::kReadme;
using stick::kStatement;
using stick::kUnapproved;
using stick::ReadmeText;

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

// `path` without "." components, repeated or trailing slashes. ".."
// stays: it is refused by whoever cannot follow it, never resolved here.
std::string LexicallyClean(const std::string& path) {
  std::vector<std::string_view> parts;
  std::string_view rest = path;
  bool absolute = !rest.empty() && rest.front() == '/';
  while (!rest.empty()) {
    std::size_t slash = rest.find('/');
    std::string_view part = rest.substr(0, slash);
    if (!part.empty() && part != ".") parts.push_back(part);
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  std::string out = absolute ? "/" : "";
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += '/';
    out += parts[i];
  }
  return out.empty() ? (absolute ? "/" : ".") : out;
}

}  // namespace

std::string TrustedComment(const std::string& id, const std::string& role,
                           std::int64_t t, const std::string& allow_errors) {
  std::string tc =
      fmt::format("xjtrust/1 bundle {} {} {}", id, role, os::FormatUtc(t));
  if (!allow_errors.empty()) tc += " allow-errors " + allow_errors;
  return tc;
}

Result<Inventory> TakeInventory(const std::vector<std::string>& paths,
                                bool unapproved) {
  if (paths.empty())
    return Status(Code::kInvalidArgument, "no bundle folder given");
  Inventory inv;
  for (std::string p : paths) {
    // "XJ/<id>/./." names the same folder as "XJ/<id>": the checks below
    // judge the folder, whatever the spelling.
    p = LexicallyClean(p);
    bool waits = p.size() > kUnapproved.size() &&
                 p.substr(p.size() - kUnapproved.size()) == kUnapproved;
    if (waits && !unapproved) {
      return Error(Code::kRejected,
                   "{} awaits a leader's approval; no bundle leaves before "
                   "it",
                   p)
          .WithRemedy(Remedy::kApprove);
    }
    // The bundle folder and the XJ folder holding it are the stick's; a
    // link in either place could lead anywhere.
    std::string up = os::DirName(p);
    for (const std::string& link : {p, up}) {
      if (os::IsSymbolicLink(link)) {
        return Error(Code::kRejected,
                     "{} is a symbolic link; a stick's folders hold none",
                     link);
      }
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

namespace {

// One signature file of a bundle folder, judged: its name, its trusted
// comment (this statement, a role, a time not before the statement), and,
// when its key is among `keys`, the signature itself and the key's role. A
// key not among them is noted, not refused.
Result<SignatureReport> JudgeSignatureFile(
    const std::string& name, const Bytes& content,
    const ft::BundleStatement& st, const std::string& statement_text,
    const std::vector<TrustedKey>& keys) {
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
  // A leader may add "allow-errors <reason>": the reason is the rest.
  constexpr std::string_view kAllow = "allow-errors";
  if (parts.size() > 5 && parts[3] == "leader" && parts[5] == kAllow) {
    std::size_t at = tc.find(" allow-errors ");
    s.allow_errors = std::string(tc.substr(at + kAllow.size() + 2));
    if (s.allow_errors.empty() || s.allow_errors.size() > kMaxApprovalReason ||
        s.allow_errors.front() == ' ' || s.allow_errors.back() == ' ') {
      return Error(Code::kBadSignature,
                   "{}: the leader's reason for the audit's errors is empty, "
                   "padded or longer than {} bytes",
                   name, kMaxApprovalReason);
    }
    parts.resize(5);
  }
  if (parts.size() != 5 || parts[0] != "xjtrust/1" || parts[1] != "bundle" ||
      parts[2] != st.id || (parts[3] != "clerk" && parts[3] != "leader") ||
      !ft::IsUtcTime(parts[4])) {
    return Error(
        Code::kBadSignature,
        "{}: the trusted comment \"{}\" does not say \"xjtrust/1 bundle {} "
        "<clerk|leader> <time>\" (and for a leader, optionally \"allow-errors "
        "<reason>\")",
        name, EscapeForDisplay(tc.substr(0, 120)), st.id);
  }
  s.role = parts[3];
  s.time = parts[4];
  if (s.time < st.created) {
    return Error(Code::kBadSignature,
                 "{}: signed at {}, before the statement was created ({})",
                 name, s.time, st.created);
  }
  auto key = std::find_if(keys.begin(), keys.end(), [&](const TrustedKey& k) {
    return k.key.key_id == sig->key_id;
  });
  if (key == keys.end()) {
    s.problem = "signed by a key that is not trusted";
  } else {
    s.signer = key->name;
    // (A held school's statement may have been verified ahead, as the
    // bag was extracted.)
    if (!pack::trust::VerifyRemembered(statement_text, AsChars(content),
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
  }
  return s;
}

}  // namespace

// `keys_from_chain`: the keys are the sender's certified ones (not given
// with -p), which a refusal names.
Result<BundleReport> ReadStatementAndSignatures(
    const Inventory& inv, const std::vector<TrustedKey>& keys,
    bool require_trust, bool keys_from_chain) {
  BundleReport r;
  r.dir = inv.path;
  Result<pack::trust::Parsed<ft::BundleStatement>> st =
      pack::trust::ParseBundleCached(inv.statement_text);
  if (!st.ok()) return st.status().WithContext(std::string(kStatement));
  r.statement = **st;
  // A bundle folder is named by its statement: one renamed (to another
  // seq, say) is not the bundle it claims to be.
  if (!inv.held) {
    for (const os::Dir& d : inv.dirs) {
      std::string name = os::BaseName(d.path());
      if (name.size() > kUnapproved.size() &&
          name.substr(name.size() - kUnapproved.size()) == kUnapproved) {
        name.resize(name.size() - kUnapproved.size());
      }
      if (name != r.statement.id) {
        return Error(Code::kRejected,
                     "{}: the folder is named {}, and its statement is "
                     "bundle {}; a bundle folder bears its statement's id",
                     d.path(), EscapeForDisplay(name), r.statement.id);
      }
    }
  }
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
  std::size_t valid = 0;
  for (const auto& [name, content] : inv.signatures) {
    XJ_ASSIGN_OR_RETURN(SignatureReport s,
                        JudgeSignatureFile(name, content, r.statement,
                                           inv.statement_text, keys));
    if (s.valid) ++valid;
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
                "must sign with a certified key, or have this key "
                "certified");
      }
      return Error(Code::kBadSignature,
                   "the bundle is signed only by unknown key(s) {}",
                   fmt::join(ids, ", "))
          .WithHint("check who sent this stick")
          .WithRemedy(Remedy::kSenderKey);
    }
  }
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
  if (source.now.empty()) {
    return Status(Code::kInternal,
                  "a chain was to be judged without the trusted time");
  }
  XJ_ASSIGN_OR_RETURN(pack::trust::Verifier v,
                      source.store->MakeVerifier({source.now, source.strict}));
  XJ_RETURN_IF_ERROR(v.AddRoots(chain.roots));
  // Certificates this office holds help too: after a root rotation the
  // province's new certificate reaches offices below before their chains
  // carry it.
  std::vector<pack::trust::SignedText> certs = chain.certs;
  for (const pack::trust::SignedText& c : source.store->files().certs)
    certs.push_back(c);
  // The newest list of each issuer counts, wherever it came from: the
  // office's, its holders' (a county's list, newer than the one its
  // school's chain carries), the chain's. None is rolled back.
  for (const pack::trust::VerifiedCrl& c : source.known_crls) v.AddKnownCrl(c);
  XJ_RETURN_IF_ERROR(v.AddCrls(chain.crls, certs));
  XJ_ASSIGN_OR_RETURN(pack::trust::TrustedOffice office,
                      v.Office(st.sender, st.sender_ref, certs));
  // A school is on the province's list, under its certifier's county.
  if (office.cert.level == ft::Level::kSchool && office.path.size() > 1) {
    // (the store's lists, read once: not copied into each verifier, as
    // a province's are large and every held school is judged)
    XJ_RETURN_IF_ERROR(pack::trust::CheckSchoolListed(
        source.store->school_lists(), office.cert.subject, office.path[1].scope,
        office.path[1].subject));
  }
  r->sender_cert = office.cert.serial;
  r->sender_cert_end = office.cert.not_after;
  for (const auto& [issuer, c] : v.crls()) {
    r->crls.push_back(c);
    if (source.crls_seen != nullptr) source.crls_seen->Offer(c);
  }
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
    r->chain_levels.push_back(std::string(ft::LevelName(c.level)));
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

Status CheckRoute(const BundleReport& r, const std::string& office) {
  const ft::BundleStatement& st = r.statement;
  if (r.chain_codes.size() < 2) {
    return Error(Code::kRejected,
                 "{} is sent by {}, which no office certified: it delivers to "
                 "no one",
                 st.id, st.sender);
  }
  // The office that certified the sender (for an office the province
  // certified: the province).
  const std::string& issuer = r.chain_codes[1];
  if (office == issuer) return Status::Ok();
  return Error(Code::kRejected,
               "{}: a {} delivers to its {} {}, which certified it; this "
               "bundle is addressed to {}, and this office is {}",
               st.id, r.chain_levels[0], r.chain_levels[1], issuer,
               st.recipient, office);
}

TrustSource HeldTrust(const TrustSource& t, const BundleReport& holder,
                      pack::trust::CrlsSeen* seen) {
  TrustSource out = t;
  for (const pack::trust::VerifiedCrl& c : holder.crls)
    out.known_crls.push_back(c);
  if (seen != nullptr) out.crls_seen = seen;
  return out;
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
  r.chain_levels = std::move(chain_report.chain_levels);
  r.crls = std::move(chain_report.crls);
  r.sender_cert = std::move(chain_report.sender_cert);
  r.sender_cert_end = std::move(chain_report.sender_cert_end);
  r.addressed = chain_report.addressed;
  for (std::string& w : chain_report.warnings)
    r.warnings.push_back(std::move(w));
  return r;
}

}  // namespace bundle

using bundle::Authenticate;
using bundle::Inventory;
using stick::IsSignatureName;
using stick::kChain;
using stick::kMaxSignatureFile;
using stick::kStatement;
namespace ft = formats::trust;

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

}  // namespace xj::pack
