#include "libpack/trust.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <tuple>
#include <unordered_map>

#include "base/bytes.h"
#include "base/io.h"
#include "base/os.h"
#include "keys/crypto.h"
#include "libpack/minisign.h"

namespace xj::pack::trust {
namespace {

using formats::minisign::KeyIdIs;
using formats::minisign::KeyIdToString;

std::string_view BaseName(std::string_view path) {
  std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string Describe(const ft::CertStatement& c) {
  return fmt::format("{} ({}, {})", c.subject, EscapeForDisplay(c.subject_name),
                     ft::LevelName(c.level));
}

std::string Joined(const std::vector<ft::Level>& levels) {
  if (levels.empty()) return "nothing";
  std::string out;
  for (ft::Level l : levels) {
    if (!out.empty()) out += ", ";
    out += ft::LevelName(l);
  }
  return out;
}

bool InScope(const std::vector<std::string>& scope,
             const std::vector<std::string>& within) {
  return std::all_of(scope.begin(), scope.end(), [&](const std::string& s) {
    return std::any_of(within.begin(), within.end(), [&](const std::string& w) {
      return s.compare(0, w.size(), w) == 0;
    });
  });
}

bool HasKeyId(const std::vector<std::string>& ids,
              const formats::minisign::KeyId& id) {
  return std::any_of(ids.begin(), ids.end(),
                     [&](const std::string& x) { return KeyIdIs(id, x); });
}

// Whether every id of `ids` is one of `keys`.
bool HoldsKeys(const std::vector<ft::KeyEntry>& keys,
               const std::vector<std::string>& ids) {
  return std::all_of(ids.begin(), ids.end(), [&](const std::string& id) {
    return std::any_of(keys.begin(), keys.end(), [&](const ft::KeyEntry& k) {
      return KeyIdIs(k.key.key_id, id);
    });
  });
}

// The keys of `keys` whose ids are in `ids`.
std::vector<ft::KeyEntry> Only(const std::vector<ft::KeyEntry>& keys,
                               const std::vector<std::string>& ids) {
  std::vector<ft::KeyEntry> out;
  for (const ft::KeyEntry& k : keys) {
    if (HasKeyId(ids, k.key.key_id)) out.push_back(k);
  }
  return out;
}

ft::Policy Threshold(std::uint64_t n) {
  ft::Policy p;
  p.groups.push_back({"root", static_cast<int>(n)});
  return p;
}

// Signatures that verified, remembered for the process: a merged bundle
// holds hundreds of schools whose chains share the same county, city and
// province certificates, each checked once. The key is a hash of the
// statement, the signature file and the public key together (`sig` is
// the signature file parsed).
std::atomic<std::uint64_t> verifications{0};  // made by VerifiedBefore

// At most this many are remembered; of them, those verified ahead (by
// keys not yet judged: VerifyAhead) only while the memory is less than
// half full, so that ahead they can never crowd out the judged ones.
constexpr std::size_t kRemembered = 100000;
constexpr std::size_t kRememberedAhead = kRemembered / 2;

bool VerifiedBefore(std::string_view text, std::string_view signature_file,
                    const formats::minisign::Signature& sig,
                    const formats::minisign::PublicKey& key,
                    std::size_t limit = kRemembered) {
  using Memo = std::array<std::uint8_t, 64>;
  static std::mutex mu;
  static std::set<Memo> good;
  // BLAKE2b-512 (made for every signature, most of them seen once: no
  // hex, no formatting). Lengths first, so that no two (statement,
  // signature) pairs hash alike.
  std::uint64_t lengths[2] = {text.size(), signature_file.size()};
  Memo memo;
  keys::Blake2b512(
      {ByteSpan(reinterpret_cast<const std::uint8_t*>(lengths), sizeof lengths),
       AsBytes(text), AsBytes(signature_file),
       ByteSpan(key.key.data(), key.key.size()),
       ByteSpan(key.key_id.data(), key.key_id.size())},
      memo.data());
  {
    std::lock_guard<std::mutex> lock(mu);
    if (good.count(memo)) return true;
  }
  MemorySource src(AsBytes(text));
  verifications.fetch_add(1, std::memory_order_relaxed);
  if (!minisign::Verify(src, key, sig).ok()) return false;
  std::lock_guard<std::mutex> lock(mu);
  if (good.size() < limit) good.insert(memo);
  return true;
}

}  // namespace

namespace {

// Statements of type T parsed before, remembered for the process (up to
// `limit` of them): one cache for each parser. A hit is the parse made
// before, shared (not copied), found without copying the text.
struct TextHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const {
    return std::hash<std::string_view>()(s);
  }
};

template <typename T, Result<T> (*Parse)(std::string_view), std::size_t limit>
Result<Parsed<T>> ParseRemembered(std::string_view text) {
  static std::mutex mu;
  static std::unordered_map<std::string, Parsed<T>, TextHash, std::equal_to<>>
      parsed;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = parsed.find(text);
    if (it != parsed.end()) return it->second;
  }
  Result<T> r = Parse(text);
  if (!r.ok()) return r.status();
  auto p = std::make_shared<const T>(std::move(r).value());
  std::lock_guard<std::mutex> lock(mu);
  if (parsed.size() < limit) parsed.emplace(std::string(text), p);
  return p;
}

// Signature files: the chains of a merged bundle's schools repeat the same
// ones, each parsed once (as many as the certificates kept).
Result<Parsed<formats::minisign::Signature>> ParseSignatureCached(
    std::string_view content) {
  return ParseRemembered<formats::minisign::Signature,
                         formats::minisign::ParseSignatureFile, 20000>(content);
}

// Whether the signature file `name` is <statement>.<KEYID>.minisig for the
// statement file `statement` and key `id`, as SignatureFileName makes it.
bool NamedFor(std::string_view name, std::string_view statement,
              const formats::minisign::KeyId& id) {
  constexpr std::string_view kSuffix = ".minisig";
  std::string_view base = BaseName(statement), file = BaseName(name);
  return file.size() == base.size() + 1 + 16 + kSuffix.size() &&
         file.starts_with(base) && file[base.size()] == '.' &&
         KeyIdIs(id, file.substr(base.size() + 1, 16)) &&
         file.ends_with(kSuffix);
}

}  // namespace

// Certificates: every school's chain in a merged bundle repeats its
// county's, city's and province's.
Result<Parsed<ft::CertStatement>> ParseCertCached(std::string_view text) {
  return ParseRemembered<ft::CertStatement, ft::ParseCert, 20000>(text);
}

// Revocation lists: every chain carries the newest of each issuer.
Result<Parsed<ft::CrlStatement>> ParseCrlCached(std::string_view text) {
  return ParseRemembered<ft::CrlStatement, ft::ParseCrl, 1000>(text);
}

Result<Parsed<ft::BundleStatement>> ParseBundleCached(std::string_view text) {
  return ParseRemembered<ft::BundleStatement, ft::ParseBundle, 20000>(text);
}

// Root statements: every chain carries the same root history.
Result<Parsed<ft::RootStatement>> ParseRootCached(std::string_view text) {
  return ParseRemembered<ft::RootStatement, ft::ParseRoot, 1000>(text);
}

AheadCount VerifyAhead(const std::vector<SignedText>& texts) {
  // The keys at hand: those the certificates and roots among them list.
  // (Parsed as the judgement will parse them, and kept by the same caches.)
  std::vector<Parsed<ft::CertStatement>> certs;
  std::vector<Parsed<ft::RootStatement>> roots;
  for (const SignedText& s : texts) {
    if (s.text.starts_with("xjtrust/1 cert\n")) {
      Result<Parsed<ft::CertStatement>> c = ParseCertCached(s.text);
      if (c.ok()) certs.push_back(std::move(c).value());
    } else if (s.text.starts_with("xjtrust/1 root\n")) {
      Result<Parsed<ft::RootStatement>> r = ParseRootCached(s.text);
      if (r.ok()) roots.push_back(std::move(r).value());
    }
  }
  auto find = [&](const formats::minisign::KeyId& id)
      -> const formats::minisign::PublicKey* {
    for (const auto& c : certs) {
      for (const ft::KeyEntry& k : c->keys)
        if (k.key.key_id == id) return &k.key;
    }
    for (const auto& r : roots) {
      for (const ft::KeyEntry& k : r->keys)
        if (k.key.key_id == id) return &k.key;
    }
    return nullptr;
  };
  // Only what the judgement would verify too: a signature file named for
  // the key that made it (<statement>.<KEYID>.minisig, so one a key and
  // statement), of algorithm ED, under the first key of its id; and no
  // more than kMaxAhead in all.
  AheadCount n;
  for (const SignedText& s : texts) {
    for (const auto& [name, content] : s.signatures) {
      if (n.verified + n.failed >= kMaxAhead) return n;
      Result<Parsed<formats::minisign::Signature>> parsed =
          ParseSignatureCached(content);
      if (!parsed.ok()) continue;
      const formats::minisign::Signature& sig = **parsed;
      if (sig.algorithm != formats::minisign::SignatureAlgorithm::kPrehashed ||
          !NamedFor(name, s.name, sig.key_id))
        continue;
      const formats::minisign::PublicKey* key = find(sig.key_id);
      if (key == nullptr) continue;
      if (VerifiedBefore(s.text, content, sig, *key, kRememberedAhead)) {
        ++n.verified;
      } else {
        ++n.failed;
      }
    }
  }
  return n;
}

bool VerifyRemembered(std::string_view text, std::string_view signature_file,
                      const formats::minisign::PublicKey& key) {
  Result<Parsed<formats::minisign::Signature>> parsed =
      ParseSignatureCached(signature_file);
  return parsed.ok() && VerifiedBefore(text, signature_file, **parsed, key);
}

std::uint64_t SignatureVerifications() {
  return verifications.load(std::memory_order_relaxed);
}

std::string SignatureFileName(std::string_view statement_file,
                              const formats::minisign::KeyId& id) {
  return fmt::format("{}.{}.minisig", statement_file, KeyIdToString(id));
}

bool Newer(const ft::CertStatement& a, const ft::CertStatement& b) {
  return std::tie(a.not_after, a.not_before, a.serial) >
         std::tie(b.not_after, b.not_before, b.serial);
}

std::string StatementSha256(std::string_view text) {
  return keys::Sha256Hex(AsBytes(text));
}

Result<std::string> SignStatement(std::string_view text, std::string_view type,
                                  std::string_view id, std::string_view role,
                                  const keys::SigningKey& key,
                                  std::int64_t now) {
  MemorySource src(AsBytes(text));
  XJ_ASSIGN_OR_RETURN(
      formats::minisign::Signature sig,
      minisign::Sign(src, key,
                     fmt::format("xjtrust/1 {} {} {} {}", type, id, role,
                                 os::FormatUtc(now)),
                     fmt::format("xjpack {} statement signature", type)));
  return formats::minisign::EncodeSignatureFile(sig);
}

Result<Judgement> JudgeSignatures(const SignedText& s, std::string_view type,
                                  std::string_view id,
                                  const std::vector<ft::KeyEntry>& candidates,
                                  std::string_view not_before) {
  Judgement j;
  for (const auto& [name, content] : s.signatures) {
    Result<Parsed<formats::minisign::Signature>> parsed =
        ParseSignatureCached(content);
    if (!parsed.ok()) return parsed.status().WithContext(name);
    const formats::minisign::Signature& sig = **parsed;
    std::string key_id = KeyIdToString(sig.key_id);
    if (!NamedFor(name, s.name, sig.key_id)) {
      return Error(Code::kBadSignature,
                   "{}: a signature by key {} under another key's name", name,
                   key_id);
    }
    if (sig.algorithm != formats::minisign::SignatureAlgorithm::kPrehashed) {
      return Error(Code::kBadSignature,
                   "{}: a legacy (Ed) signature; statements use ED", name);
    }
    std::vector<std::string_view> parts = ft::SplitSpaces(sig.trusted_comment);
    if (parts.size() != 5 || parts[0] != "xjtrust/1" || parts[1] != type ||
        parts[2] != id ||
        (parts[3] != "root" && parts[3] != "clerk" && parts[3] != "leader") ||
        !ft::IsUtcTime(parts[4])) {
      return Error(Code::kBadSignature,
                   "{}: the trusted comment \"{}\" does not say \"xjtrust/1 "
                   "{} {} <role> <time>\"",
                   name, EscapeForDisplay(sig.trusted_comment.substr(0, 120)),
                   type, id);
    }
    if (parts[4] < not_before) {
      return Error(Code::kBadSignature,
                   "{}: signed at {}, before the statement was made ({})", name,
                   parts[4], not_before);
    }
    auto key = std::find_if(
        candidates.begin(), candidates.end(),
        [&](const ft::KeyEntry& k) { return k.key.key_id == sig.key_id; });
    if (key == candidates.end()) {
      j.unknown.push_back(key_id);
      continue;
    }
    if (!VerifiedBefore(s.text, content, sig, key->key)) {
      return Error(Code::kBadSignature,
                   "{}: the signature by key {} does not verify: {} was "
                   "altered, or the signature forged",
                   name, key_id, s.name);
    }
    if (parts[3] != key->role) {
      return Error(Code::kBadSignature,
                   "{}: key {} signed as {}, but it is certified as a {} key",
                   name, key_id, parts[3], key->role);
    }
    j.good.push_back({key_id, key->role, std::string(parts[4]), key->key});
  }
  return j;
}

bool PolicyMet(const std::vector<GoodSignature>& good,
               const ft::Policy& policy) {
  if (good.size() > 64) return MeetPolicy(good, policy, "").ok();
  // Which signatures count: as MeetPolicy, each key's first.
  std::uint64_t counted = 0;
  for (std::size_t i = 0; i < good.size(); ++i) {
    bool twice = false;
    for (std::size_t k = 0; k < i && !twice; ++k) {
      twice = (counted >> k & 1) != 0 && (good[k].key_id == good[i].key_id ||
                                          good[k].key.key == good[i].key.key);
    }
    if (!twice) counted |= std::uint64_t{1} << i;
  }
  for (const auto& [role, n] : policy.groups) {
    int count = 0;
    for (std::size_t i = 0; i < good.size(); ++i)
      count += (counted >> i & 1) != 0 && good[i].role == role;
    if (count < n) return false;
  }
  return true;
}

Status MeetPolicy(const std::vector<GoodSignature>& good,
                  const ft::Policy& policy, std::string_view what) {
  std::map<std::string, int> have;
  std::vector<const GoodSignature*> counted;
  for (const GoodSignature& g : good) {
    bool twice = std::any_of(
        counted.begin(), counted.end(), [&](const GoodSignature* c) {
          return c->key_id == g.key_id || c->key.key == g.key.key;
        });
    if (twice) continue;  // each key counts once
    counted.push_back(&g);
    ++have[g.role];
  }
  std::vector<std::string> missing;
  for (const auto& [role, n] : policy.groups) {
    auto it = have.find(role);
    int count = it == have.end() ? 0 : it->second;
    if (count < n)
      missing.push_back(fmt::format("{} of {} {}", count, n, role));
  }
  if (missing.empty()) return Status::Ok();
  std::vector<std::string> got;
  for (const auto& [role, n] : have)
    got.push_back(fmt::format("{}={}", role, n));
  return Error(Code::kBadSignature,
               "{} needs the signatures {} and has {} (counting each key "
               "once): {} missing",
               what, policy.ToString(),
               got.empty() ? std::string("none")
                           : fmt::format("{}", fmt::join(got, " ")),
               fmt::join(missing, ", "));
}

// ---- roots ----

Result<ft::RootStatement> CheckRootSelfSigned(const SignedText& root) {
  Result<Parsed<ft::RootStatement>> parsed = ParseRootCached(root.text);
  if (!parsed.ok()) return parsed.status().WithContext(root.name);
  const ft::RootStatement& r = **parsed;
  XJ_ASSIGN_OR_RETURN(
      Judgement j,
      JudgeSignatures(root, "root", ft::RootId(r.version), r.keys, r.created));
  XJ_RETURN_IF_ERROR(MeetPolicyNamed(j.good, Threshold(r.threshold), [&] {
    return fmt::format("{} (root version {}, its own keys)", root.name,
                       r.version);
  }));
  return r;
}

Result<ft::RootStatement> InstallRoot(const SignedText& root,
                                      std::string_view fingerprint) {
  std::string want;
  for (char c : fingerprint) {
    if (c == ' ' || c == ':') continue;
    want += static_cast<char>(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
  }
  if (!ft::IsHex(want, 64)) {
    return Status(Code::kInvalidArgument,
                  "the root fingerprint must be 64 hexadecimal digits (spaces "
                  "allowed), as printed on the sealed copy");
  }
  std::string got = StatementSha256(root.text);
  if (got != want) {
    return Error(Code::kBadSignature,
                 "{}: its fingerprint is {}, not the {} given: this is not the "
                 "province's root",
                 root.name, got, want);
  }
  return CheckRootSelfSigned(root);
}

Verifier::Verifier(std::vector<ft::RootStatement> installed,
                   VerifierOptions options)
    : roots_(std::move(installed)), options_(std::move(options)) {
  for (const ft::RootStatement& r : roots_)
    root_texts_.push_back(ft::SerializeRoot(r));
}

Verifier::Verifier(std::vector<ft::RootStatement> installed,
                   std::vector<std::string> texts, VerifierOptions options)
    : roots_(std::move(installed)),
      root_texts_(std::move(texts)),
      options_(std::move(options)) {
  if (root_texts_.size() != roots_.size()) {
    root_texts_.clear();
    for (const ft::RootStatement& r : roots_)
      root_texts_.push_back(ft::SerializeRoot(r));
  }
}

Status Verifier::AddRoots(const std::vector<SignedText>& roots) {
  std::vector<std::pair<Parsed<ft::RootStatement>, const SignedText*>> parsed;
  for (const SignedText& s : roots) {
    Result<Parsed<ft::RootStatement>> r = ParseRootCached(s.text);
    if (!r.ok()) return r.status().WithContext(s.name);
    parsed.push_back({std::move(r).value(), &s});
  }
  std::sort(parsed.begin(), parsed.end(), [](const auto& a, const auto& b) {
    return a.first->version < b.first->version;
  });
  for (const auto& parsed_root : parsed) {
    // (not a structured binding: clang 14 cannot capture one)
    const ft::RootStatement& r = *parsed_root.first;
    const auto& s = parsed_root.second;
    const ft::RootStatement& top = roots_.back();
    if (r.version <= top.version) {
      // Known versions must be the very ones held.
      auto held = std::find_if(
          roots_.begin(), roots_.end(),
          [&](const ft::RootStatement& x) { return x.version == r.version; });
      if (held != roots_.end() &&
          root_texts_[held - roots_.begin()] != s->text) {
        return Error(Code::kBadSignature,
                     "{}: root version {} differs from the one this office "
                     "holds: a forked root",
                     s->name, r.version);
      }
      continue;
    }
    if (r.version != top.version + 1) {
      return Error(Code::kBadSignature,
                   "{}: root version {} follows version {} without version "
                   "{}: each rotation must be carried",
                   s->name, r.version, top.version, top.version + 1);
    }
    if (r.province != top.province) {
      return Error(Code::kBadSignature,
                   "{}: root version {} is for province {}, not {}", s->name,
                   r.version, r.province, top.province);
    }
    XJ_ASSIGN_OR_RETURN(Judgement old_keys,
                        JudgeSignatures(*s, "root", ft::RootId(r.version),
                                        top.keys, r.created));
    XJ_RETURN_IF_ERROR(
        MeetPolicy(old_keys.good, Threshold(top.threshold),
                   fmt::format("{} (root version {}, by version {}'s keys)",
                               s->name, r.version, top.version)));
    XJ_ASSIGN_OR_RETURN(
        Judgement new_keys,
        JudgeSignatures(*s, "root", ft::RootId(r.version), r.keys, r.created));
    XJ_RETURN_IF_ERROR(
        MeetPolicy(new_keys.good, Threshold(r.threshold),
                   fmt::format("{} (root version {}, by its own keys)", s->name,
                               r.version)));
    roots_.push_back(r);
    root_texts_.push_back(s->text);
    new_roots_.push_back(*s);
  }
  return Status::Ok();
}

// ---- certificates ----

Result<TrustedOffice> Verifier::Walk(
    const SignedText& leaf, const std::vector<SignedText>& certs) const {
  const ft::RootStatement& root = roots_.back();
  if (options_.now > root.expires) {
    return Error(Code::kBadSignature,
                 "the root (version {}) expired at {}; the province must "
                 "rotate it",
                 root.version, root.expires);
  }
  TrustedOffice out;
  std::vector<std::string> visited;
  XJ_RETURN_IF_ERROR(WalkFrom(leaf, certs, 0, &visited, &out));
  // (WalkFrom appends each link after those above it.)
  std::reverse(out.path.begin(), out.path.end());
  std::reverse(out.path_names.begin(), out.path_names.end());
  return out;
}

// One link and everything above it. Of several certificates of the issuing
// office (a renewal, a re-issue after a root rotation), each is tried,
// newest first, until one carries the chain to the root.
Status Verifier::WalkFrom(const SignedText& cur,
                          const std::vector<SignedText>& certs, int depth,
                          std::vector<std::string>* visited,
                          TrustedOffice* out) const {
  const ft::RootStatement& root = roots_.back();
  if (depth >= 5) {
    return Error(Code::kBadSignature,
                 "{}: a chain of more than five "
                 "certificates",
                 cur.name);
  }
  std::string sha = StatementSha256(cur.text);
  if (std::find(visited->begin(), visited->end(), sha) != visited->end()) {
    return Error(Code::kBadSignature, "{}: a certificate loop", cur.name);
  }
  // The certificates below this one, for the walks above it.
  visited->push_back(sha);
  struct Pop {
    std::vector<std::string>* v;
    ~Pop() { v->pop_back(); }
  } pop{visited};
  Result<Parsed<ft::CertStatement>> parsed = ParseCertCached(cur.text);
  if (!parsed.ok()) return parsed.status().WithContext(cur.name);
  const ft::CertStatement& c = **parsed;
  // An office's code lies inside its own scope, and only a school has a
  // school's ten-digit code: nobody certifies another office's code.
  bool school_code = c.subject.size() == 10;
  bool inside =
      std::any_of(c.scope.begin(), c.scope.end(), [&](const std::string& p) {
        return c.subject.compare(0, p.size(), p) == 0;
      });
  if ((c.level == ft::Level::kSchool) != school_code ||
      (!school_code && !inside)) {
    return Error(Code::kBadSignature,
                 "{}: a {} certificate for office code {} with scope {}: the "
                 "code is not such an office's",
                 cur.name, ft::LevelName(c.level), c.subject,
                 fmt::join(c.scope, " "));
  }
  auto valid_now = [&]() -> Status {
    if (options_.now < c.not_before) {
      return Error(Code::kBadSignature,
                   "{}: the certificate of {} is not valid before {} (now {})",
                   cur.name, Describe(c), c.not_before, options_.now);
    }
    if (options_.now > c.not_after) {
      return Error(Code::kBadSignature,
                   "{}: the certificate of {} expired at {} (now {})", cur.name,
                   Describe(c), c.not_after, options_.now);
    }
    return Status::Ok();
  };
  auto record = [&](TrustedOffice* o) {
    if (depth == 0) {
      o->cert = c;
      o->cert_sha256 = sha;
    }
    o->path.push_back(c);
    o->path_names.push_back(cur.name);
  };
  if (c.issuer == "root") {
    // First the signatures, by the issuer's keys under its policy; only
    // then what the certificate says.
    XJ_ASSIGN_OR_RETURN(Judgement j,
                        JudgeSignatures(cur, "cert", c.serial,
                                        Only(root.keys, c.issuer_keys), ""));
    XJ_RETURN_IF_ERROR(MeetPolicyNamed(j.good, Threshold(root.threshold), [&] {
      return fmt::format("{} (issued by root version {})", cur.name,
                         root.version);
    }));
    XJ_RETURN_IF_ERROR(valid_now());
    if (c.level != ft::Level::kProvince) {
      return Error(Code::kBadSignature,
                   "{}: the root certifies only the province office, and "
                   "{} is a {}",
                   cur.name, c.subject, ft::LevelName(c.level));
    }
    std::vector<std::string> within = {root.province};
    if (!InScope(c.scope, within)) {
      return Error(Code::kBadSignature,
                   "{}: scope widening: {}'s scope {} is outside the "
                   "province {}",
                   cur.name, c.subject, fmt::join(c.scope, " "), root.province);
    }
    record(out);
    return Status::Ok();
  }
  // The issuing office's certificates listing the keys named.
  std::vector<std::pair<Parsed<ft::CertStatement>, const SignedText*>> parents;
  for (const SignedText& s : certs) {
    Result<Parsed<ft::CertStatement>> q = ParseCertCached(s.text);
    if (!q.ok() || (*q)->subject != c.issuer) continue;
    if (!HoldsKeys((*q)->keys, c.issuer_keys)) continue;
    if (std::any_of(parents.begin(), parents.end(),
                    [&](const auto& x) { return x.second->text == s.text; })) {
      continue;  // the same certificate from the chain and the store
    }
    parents.push_back({std::move(q).value(), &s});
  }
  if (parents.empty()) {
    return Error(Code::kBadSignature,
                 "{}: the certificate of its issuer {} with the keys {} is "
                 "not in the chain",
                 cur.name, c.issuer, fmt::join(c.issuer_keys, ", "));
  }
  std::sort(parents.begin(), parents.end(), [](const auto& a, const auto& b) {
    return Newer(*a.first, *b.first);
  });
  Status first = Status::Ok();
  for (const auto& candidate : parents) {
    const ft::CertStatement& p = *candidate.first;
    const auto& parent = candidate.second;
    Status link = [&]() -> Status {
      if (!p.issue_policy) {
        return Error(Code::kBadSignature,
                     "{}: its issuer {} may certify no one", cur.name,
                     Describe(p));
      }
      XJ_ASSIGN_OR_RETURN(Judgement j,
                          JudgeSignatures(cur, "cert", c.serial,
                                          Only(p.keys, c.issuer_keys), ""));
      XJ_RETURN_IF_ERROR(MeetPolicyNamed(j.good, *p.issue_policy, [&] {
        return fmt::format("{} (issued by {})", cur.name, p.subject);
      }));
      XJ_RETURN_IF_ERROR(valid_now());
      if (std::find(p.may_certify.begin(), p.may_certify.end(), c.level) ==
          p.may_certify.end()) {
        return Error(Code::kBadSignature,
                     "{}: level skipping: {} may certify {}, not a {} ({})",
                     cur.name, Describe(p), Joined(p.may_certify),
                     ft::LevelName(c.level), c.subject);
      }
      if (!InScope(c.scope, p.scope)) {
        return Error(Code::kBadSignature,
                     "{}: scope widening: {}'s scope {} is not inside its "
                     "issuer {}'s scope {}",
                     cur.name, c.subject, fmt::join(c.scope, " "), p.subject,
                     fmt::join(p.scope, " "));
      }
      TrustedOffice above;
      XJ_RETURN_IF_ERROR(
          depth == 0 ? WalkAbove(cur, c, *parent, certs, visited, &above)
                     : WalkFrom(*parent, certs, depth + 1, visited, &above));
      *out = std::move(above);
      record(out);
      return Status::Ok();
    }();
    if (link.ok()) return link;
    if (first.ok()) first = link;
  }
  return first;
}

namespace {

// Walks from a leaf's issuer to the root that succeeded, remembered for the
// process: every school of a merged bundle carries the same certificates
// above its own. Such a walk reads only the issuer's certificate, the other
// certificates at hand, the root and the time; each is kept here whole and
// compared byte for byte (not by a hash), and a walk is taken again only
// when all are the same. The leaf takes no part in it unless its office
// issued one of those certificates (it could then be a parent above): such
// walks are always made afresh. Failures are not kept, so that each is
// found, and named, again.
struct AboveWalk {
  std::string now, root;
  SignedText parent;
  std::vector<SignedText> others;  // the certificates at hand but the leaf
  TrustedOffice above;             // as WalkFrom made it from `parent`
};

bool Same(const SignedText& a, const SignedText& b) {
  return a.name == b.name && a.text == b.text && a.signatures == b.signatures;
}

std::mutex above_mu;
std::vector<std::shared_ptr<const AboveWalk>> above_walks;  // at most 256
std::uint64_t above_hits = 0;

}  // namespace

std::uint64_t RememberedWalks() {
  std::lock_guard<std::mutex> lock(above_mu);
  return above_hits;
}

Status Verifier::WalkAbove(const SignedText& leaf,
                           const ft::CertStatement& leaf_cert,
                           const SignedText& parent,
                           const std::vector<SignedText>& certs,
                           std::vector<std::string>* visited,
                           TrustedOffice* out) const {
  auto issued_by_leaf = [&](const SignedText& s) {
    Result<Parsed<ft::CertStatement>> q = ParseCertCached(s.text);
    return q.ok() && (*q)->issuer == leaf_cert.subject;
  };
  std::vector<const SignedText*> others;
  bool leaf_issues = issued_by_leaf(parent);
  for (const SignedText& s : certs) {
    if (s.text == leaf.text) continue;
    others.push_back(&s);
    leaf_issues = leaf_issues || issued_by_leaf(s);
  }
  if (leaf_issues) return WalkFrom(parent, certs, 1, visited, out);
  const std::string& root = root_texts_.back();
  auto same = [&](const AboveWalk& w) {
    if (w.now != options_.now || w.others.size() != others.size() ||
        !Same(w.parent, parent) || w.root != root) {
      return false;
    }
    for (std::size_t i = 0; i < others.size(); ++i) {
      if (!Same(w.others[i], *others[i])) return false;
    }
    return true;
  };
  {
    std::lock_guard<std::mutex> lock(above_mu);
    for (const auto& w : above_walks) {
      if (same(*w)) {
        ++above_hits;
        *out = w->above;
        return Status::Ok();
      }
    }
  }
  XJ_RETURN_IF_ERROR(WalkFrom(parent, certs, 1, visited, out));
  auto w = std::make_shared<AboveWalk>();
  w->now = options_.now;
  w->root = root;
  w->parent = parent;
  for (const SignedText* o : others) w->others.push_back(*o);
  w->above = *out;
  std::lock_guard<std::mutex> lock(above_mu);
  if (above_walks.size() < 256) above_walks.push_back(std::move(w));
  return Status::Ok();
}

Status Verifier::CheckRevocation(const TrustedOffice& office,
                                 std::vector<std::string>* later) const {
  for (std::size_t i = 0; i < office.path.size(); ++i) {
    const ft::CertStatement& c = office.path[i];
    auto crl = crls_.find(c.issuer);
    if (crl != crls_.end()) {
      for (const ft::Revoked& r : crl->second.crl.revoked) {
        if (r.serial != c.serial) continue;
        std::string what = fmt::format(
            "{}: the certificate {} of {} was revoked by {} (CRL {}) at {}: "
            "{}",
            office.path_names[i], c.serial, Describe(c), c.issuer,
            crl->second.crl.number, r.time, r.reason);
        if (later == nullptr || !(options_.now < r.time))
          return Status(Code::kBadSignature, what);
        later->push_back(what + fmt::format(", after {}", options_.now));
      }
    }
    // A compromised key is refused wherever it appears below the office
    // that revoked it (an issuer cannot revoke the keys above it).
    std::set<std::string> above;
    for (std::size_t j = i; j < office.path.size(); ++j)
      above.insert(office.path[j].issuer);
    for (const auto& [issuer, v] : crls_) {
      if (above.count(issuer) == 0) continue;
      for (const auto& [id, time] : v.crl.revoked_keys) {
        for (const ft::KeyEntry& k : c.keys) {
          if (!KeyIdIs(k.key.key_id, id)) continue;
          std::string what =
              fmt::format("{}: key {} of {} was revoked by {} (CRL {}) at {}",
                          office.path_names[i], id, Describe(c), issuer,
                          v.crl.number, time);
          if (later == nullptr || !(options_.now < time))
            return Status(Code::kBadSignature, what);
          later->push_back(what + fmt::format(", after {}", options_.now));
        }
      }
    }
  }
  return Status::Ok();
}

Result<TrustedOffice> Verifier::Judge(
    const SignedText& cert, const std::vector<SignedText>& certs) const {
  XJ_ASSIGN_OR_RETURN(TrustedOffice office, Walk(cert, certs));
  std::vector<std::string> later;
  XJ_RETURN_IF_ERROR(CheckRevocation(office, &later));
  office.warnings = warnings_;
  for (std::string& w : later) office.warnings.push_back(std::move(w));
  // The lists in force for the issuers on the path, wherever they came
  // from, must not be past their next update (a warning, or under
  // --strict a refusal).
  for (const ft::CertStatement& c : office.path) {
    auto crl = crls_.find(c.issuer);
    if (crl == crls_.end() || !(crl->second.crl.next_update < options_.now))
      continue;
    std::string what = fmt::format(
        "the revocation list of {} (number {}) was due for renewal at {}",
        c.issuer, crl->second.crl.number, crl->second.crl.next_update);
    if (options_.strict) return Status(Code::kBadSignature, what);
    if (std::find(office.warnings.begin(), office.warnings.end(), what) ==
        office.warnings.end()) {
      office.warnings.push_back(what);
    }
  }
  return office;
}

Result<std::optional<TrustedOffice>> Verifier::Newest(
    std::string_view subject, const std::vector<SignedText>& candidates,
    const std::vector<SignedText>& certs) const {
  std::optional<TrustedOffice> best;
  Status last = Status::Ok();
  for (const SignedText& s : candidates) {
    Result<Parsed<ft::CertStatement>> c = ParseCertCached(s.text);
    if (!c.ok() || (*c)->subject != subject) continue;
    Result<TrustedOffice> t = Judge(s, certs);
    if (!t.ok()) {
      last = t.status();
      continue;
    }
    if (!best || Newer(t->cert, best->cert)) best = std::move(t).value();
  }
  if (!best && !last.ok()) return last;
  return best;
}

Result<TrustedOffice> Verifier::Office(
    std::string_view subject, std::string_view cert_sha256,
    const std::vector<SignedText>& certs) const {
  for (const SignedText& s : certs) {
    if (StatementSha256(s.text) != cert_sha256) continue;
    XJ_ASSIGN_OR_RETURN(TrustedOffice office, Judge(s, certs));
    if (office.cert.subject != subject) {
      return Error(Code::kBadSignature,
                   "{}: the certificate is for {}, not for the sender {}",
                   s.name, office.cert.subject, subject);
    }
    return office;
  }
  return Error(Code::kBadSignature,
               "the certificate of {} (SHA-256 {}) is not in the chain",
               subject, cert_sha256);
}

// ---- revocation lists ----

void Verifier::AddKnownCrl(VerifiedCrl crl) {
  auto it = crls_.find(crl.crl.issuer);
  if (it == crls_.end() || it->second.crl.number < crl.crl.number) {
    std::string issuer = crl.crl.issuer;
    crls_[issuer] = std::move(crl);
  }
}

Status CheckSchoolListed(const std::map<std::string, VerifiedSchools>& lists,
                         std::string_view code,
                         const std::vector<std::string>& scopes,
                         std::string_view certifier) {
  if (lists.empty()) return Status::Ok();
  auto within = [&](const std::string& county) {
    return std::any_of(scopes.begin(), scopes.end(),
                       [&](const auto& s) { return county.starts_with(s); });
  };
  std::vector<std::string> held;  // the lists of counties within the scope
  for (const auto& [county, v] : lists) {
    const auto& schools = v.list.schools;
    auto at = std::lower_bound(schools.begin(), schools.end(), code,
                               [](const ft::SchoolEntry& e,
                                  std::string_view c) { return e.code < c; });
    bool listed = at != schools.end() && at->code == code;
    if (within(county)) {
      if (listed) return Status::Ok();
      held.push_back(fmt::format("{} version {}", county, v.list.version));
    } else if (listed) {
      return Error(Code::kRejected,
                   "school {} is on the province's school list under county "
                   "{}, and {} certified it (scope {}): a school has one "
                   "county",
                   code, county, certifier, fmt::join(scopes, " "));
    }
  }
  if (held.empty()) {
    return Error(Code::kRejected,
                 "this office holds no school list of the province for "
                 "{}'s scope {}, so school {} cannot be checked",
                 certifier, fmt::join(scopes, " "), code);
  }
  return Error(Code::kRejected,
               "school {} is not on the province's school list (county {}): "
               "{} certified a code no school has",
               code, fmt::join(held, ", "), certifier);
}

void CrlsSeen::Offer(const VerifiedCrl& crl) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_issuer_.find(crl.crl.issuer);
  if (it == by_issuer_.end() || it->second.crl.number < crl.crl.number)
    by_issuer_[crl.crl.issuer] = crl;
}

std::vector<VerifiedCrl> CrlsSeen::Newest() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<VerifiedCrl> out;
  for (const auto& [issuer, crl] : by_issuer_) out.push_back(crl);
  return out;
}

Result<TrustedOffice> Verifier::JudgeIssuedBy(
    const SignedText& s, std::string_view type, const std::string& id,
    const std::string& issuer_code, const std::vector<std::string>& issuer_keys,
    const std::vector<SignedText>& certs, std::string_view refuses) const {
  // The issuer's own certificate, judged up to the root.
  const SignedText* issuer = nullptr;
  TrustedOffice office;
  Status passed_over = Status::Ok();  // why a certificate of it was not
  for (const SignedText& c : certs) {
    Result<Parsed<ft::CertStatement>> q = ParseCertCached(c.text);
    if (!q.ok() || (*q)->subject != issuer_code) continue;
    // An issuer revoked by the lists already trusted publishes nothing.
    Result<TrustedOffice> t = Walk(c, certs);
    if (!t.ok()) {
      passed_over = t.status();
      continue;
    }
    if (Status revoked = CheckRevocation(*t, nullptr); !revoked.ok()) {
      passed_over = revoked;
      continue;
    }
    if (!HoldsKeys((*q)->keys, issuer_keys)) continue;
    issuer = &c;
    office = std::move(t).value();
    break;
  }
  if (issuer == nullptr && !passed_over.ok()) {
    return Error(Code::kBadSignature,
                 "{}: its issuer {} is not trusted to publish it: {}", s.name,
                 issuer_code, passed_over.message());
  }
  if (issuer == nullptr) {
    return Error(Code::kBadSignature,
                 "{}: no trusted certificate of its issuer {} with the keys {} "
                 "is in the chain",
                 s.name, issuer_code, fmt::join(issuer_keys, ", "));
  }
  const ft::CertStatement& p = office.cert;
  if (!p.issue_policy) {
    return Error(Code::kBadSignature,
                 "{}: its issuer {} may certify no one, so it {}", s.name,
                 Describe(p), refuses);
  }
  XJ_ASSIGN_OR_RETURN(
      Judgement j, JudgeSignatures(s, type, id, Only(p.keys, issuer_keys), ""));
  XJ_RETURN_IF_ERROR(MeetPolicyNamed(j.good, *p.issue_policy, [&] {
    return fmt::format("{} (issued by {})", s.name, p.subject);
  }));
  return office;
}

Status Verifier::AddSchools(const std::vector<SignedText>& lists,
                            const std::vector<SignedText>& certs) {
  for (const SignedText& s : lists) {
    Result<ft::SchoolsStatement> parsed = ft::ParseSchools(s.text);
    if (!parsed.ok()) return parsed.status().WithContext(s.name);
    const ft::SchoolsStatement& list = *parsed;
    XJ_ASSIGN_OR_RETURN(
        TrustedOffice office,
        JudgeIssuedBy(s, "schools", ft::SchoolsId(list.county, list.version),
                      list.issuer, list.issuer_keys, certs,
                      "lists no schools"));
    if (office.cert.level != ft::Level::kProvince) {
      return Error(Code::kBadSignature,
                   "{}: the school list is the province office's, and {} "
                   "is not it",
                   s.name, Describe(office.cert));
    }
    auto it = schools_.find(list.county);
    std::string sha = StatementSha256(s.text);
    if (it != schools_.end() && it->second.list.version == list.version &&
        it->second.sha256 != sha) {
      return Error(Code::kBadSignature,
                   "{}: two different school lists numbered {} for county {}",
                   s.name, list.version, list.county);
    }
    AddKnownSchools({list, s, sha});
  }
  return Status::Ok();
}

void Verifier::AddKnownSchools(VerifiedSchools list) {
  auto it = schools_.find(list.list.county);
  if (it == schools_.end() || it->second.list.version < list.list.version) {
    std::string county = list.list.county;
    schools_[county] = std::move(list);
  }
}

Status Verifier::AddCrls(const std::vector<SignedText>& crls,
                         const std::vector<SignedText>& certs) {
  for (const SignedText& s : crls) {
    Result<Parsed<ft::CrlStatement>> parsed = ParseCrlCached(s.text);
    if (!parsed.ok()) return parsed.status().WithContext(s.name);
    const ft::CrlStatement& crl = **parsed;
    std::string id = ft::CrlId(crl.issuer, crl.number);
    if (crl.issuer == "root") {
      const ft::RootStatement& root = roots_.back();
      XJ_ASSIGN_OR_RETURN(
          Judgement j,
          JudgeSignatures(s, "crl", id, Only(root.keys, crl.issuer_keys), ""));
      XJ_RETURN_IF_ERROR(MeetPolicyNamed(
          j.good, Threshold(root.threshold),
          [&] { return fmt::format("{} (the root's)", s.name); }));
    } else {
      XJ_RETURN_IF_ERROR(JudgeIssuedBy(s, "crl", id, crl.issuer,
                                       crl.issuer_keys, certs, "revokes no one")
                             .status());
    }
    VerifiedCrl v{crl, s, StatementSha256(s.text)};
    auto it = crls_.find(crl.issuer);
    if (it != crls_.end() && it->second.crl.number == crl.number &&
        it->second.sha256 != v.sha256) {
      return Error(Code::kBadSignature,
                   "{}: two different revocation lists numbered {} from {}",
                   s.name, crl.number, crl.issuer);
    }
    bool newer = it == crls_.end() || it->second.crl.number < crl.number;
    if (newer && crl.next_update < options_.now) {
      std::string what =
          fmt::format("{}: the revocation list of {} was due for renewal at {}",
                      s.name, crl.issuer, crl.next_update);
      if (options_.strict) return Status(Code::kBadSignature, what);
      warnings_.push_back(what);
    }
    AddKnownCrl(std::move(v));
  }
  return Status::Ok();
}

}  // namespace xj::pack::trust
