// Who may sign for whom (xjpack-trust(5)): statement signatures, signature
// policies, the root and its rotations, certificate chains, revocation.
//
// Every statement is signed by minisign ED signatures over its exact bytes,
// one file per key, each with the trusted comment
// "xjtrust/1 <type> <id> <role> <UTC time>". A signature counts only when
// it verifies under a key the statement's issuer lists, in the role the
// issuer gives that key, each key once. Key ids only pick candidates.
//
// A Verifier starts from the installed root (placed out of band and
// compared by fingerprint), learns rotations N -> N+1 from a chain folder,
// and judges a certificate chain from an office up to the root: signatures
// against the issuer's policy, validity (inclusive at both ends), levels
// strictly decreasing and allowed by may-certify, scope narrowing at every
// link, revocation by the newest CRL of each issuer. Each failure is its own
// message. Library code: nothing is printed, nothing is written.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "formats/minisign.h"
#include "formats/trust_statements.h"
#include "keys/signing_key.h"

namespace xj::pack::trust {

namespace ft = formats::trust;

/// A statement file with its signature files, as read from a folder.
struct SignedText {
  std::string name;  ///< e.g. "chain/cert-3401-000002.stmt", for messages
  std::string text;
  /// (file name, content) of each <name>.<KEYID>.minisig
  std::vector<std::pair<std::string, std::string>> signatures;
};

/// "<statement file>.<KEYID>.minisig"
std::string SignatureFileName(std::string_view statement_file,
                              const formats::minisign::KeyId& id);

/// Signs a statement's exact bytes: returns the signature file's text.
Result<std::string> SignStatement(std::string_view text, std::string_view type,
                                  std::string_view id, std::string_view role,
                                  const keys::SigningKey& key,
                                  std::int64_t now);

/// A signature that verified under a candidate key, in its role.
struct GoodSignature {
  std::string key_id;
  std::string role;
  std::string time;
  formats::minisign::PublicKey key;
};

struct Judgement {
  std::vector<GoodSignature> good;
  std::vector<std::string> unknown;  ///< key ids of signatures not counted
};

/// Judges every signature of `s`: each must be well formed, named for its
/// key, of algorithm ED, with the trusted comment for (type, id) and a time
/// no earlier than `not_before`; a signature by a candidate key must verify
/// and claim that key's role. Others are listed as unknown.
Result<Judgement> JudgeSignatures(const SignedText& s, std::string_view type,
                                  std::string_view id,
                                  const std::vector<ft::KeyEntry>& candidates,
                                  std::string_view not_before);

/// Whether the good signatures meet `policy`: each key counts once, in its
/// role. `what` names the statement for the message.
Status MeetPolicy(const std::vector<GoodSignature>& good,
                  const ft::Policy& policy, std::string_view what);

/// MeetPolicy's answer alone, with no message made (checked for every
/// link of every chain of a merged bundle).
bool PolicyMet(const std::vector<GoodSignature>& good,
               const ft::Policy& policy);

/// MeetPolicy, with the statement named by `what()` only when the policy
/// is not met.
template <typename What>
Status MeetPolicyNamed(const std::vector<GoodSignature>& good,
                       const ft::Policy& policy, What what) {
  if (PolicyMet(good, policy)) return Status::Ok();
  return MeetPolicy(good, policy, what());
}

/// How many walks from a leaf's issuer to the root were taken from those
/// made before, for the process (see Verifier::Judge); for tests.
std::uint64_t RememberedWalks();

/// Of two certificates of one office, whether `a` is the one to use: the
/// later not-after, then the later not-before, then the later serial.
bool Newer(const ft::CertStatement& a, const ft::CertStatement& b);

/// A statement parsed once and shared by all who read the same bytes.
template <typename T>
using Parsed = std::shared_ptr<const T>;

/// ft::ParseCert, remembered for the process (the chains of a merged
/// bundle's schools repeat the same certificates).
Result<Parsed<ft::CertStatement>> ParseCertCached(std::string_view text);
/// The same for root statements.
Result<Parsed<ft::RootStatement>> ParseRootCached(std::string_view text);
/// The same for revocation lists.
Result<Parsed<ft::CrlStatement>> ParseCrlCached(std::string_view text);
/// Bundle statements: a merged bundle's schools are each read by every
/// holder above them.
Result<Parsed<ft::BundleStatement>> ParseBundleCached(std::string_view text);

/// Verifies the signatures of a bundle folder's statements ahead of their
/// judgement (its bundle.stmt and its chain/, as read), each under the key
/// of its id that one of the certificates or roots among `texts` lists, and
/// remembers for the process those that verify, so that JudgeSignatures
/// takes them from memory. Nothing is judged or trusted here: whether a
/// key may sign a statement is JudgeSignatures' question, asked as before;
/// a signature that is malformed, misnamed, by a key not listed, or does
/// not verify is passed over and met again there. Only signature files
/// named <statement>.<KEYID>.minisig for the key that made them count (one
/// a key and statement, as the judgement reads them), at most kMaxAhead in
/// all; remembered only while the memory is less than half full.
struct AheadCount {
  std::size_t verified = 0;  ///< remembered ones included
  std::size_t failed = 0;
};
/// A school's folder holds about ten signatures (its statement's, the
/// root's, and one or two a certificate above it).
constexpr std::size_t kMaxAhead = 64;
AheadCount VerifyAhead(const std::vector<SignedText>& texts);

/// Whether the signature file `signature_file` (its exact bytes) is a good
/// minisign signature of `text` by `key`, remembered for the process: one
/// that verified before, or ahead (VerifyAhead), is not verified again.
/// Only the signature is checked: its form, role and time are the caller's.
bool VerifyRemembered(std::string_view text, std::string_view signature_file,
                      const formats::minisign::PublicKey& key);

/// How many signatures the process has verified with Ed25519 (not taken
/// from memory), for tests.
std::uint64_t SignatureVerifications();

/// SHA-256 of a statement's bytes, lowercase hex.
std::string StatementSha256(std::string_view text);

struct VerifiedCrl {
  ft::CrlStatement crl;
  SignedText file;  ///< as it came: name, text and signatures
  std::string sha256;
};

/// A school list (of one county) whose signatures were judged.
struct VerifiedSchools {
  ft::SchoolsStatement list;
  SignedText file;
  std::string sha256;
};

/// Whether school `code`, certified by `certifier` whose scope is
/// `scopes`, is on the province's school list of a county within that
/// scope. With no list at all (none published yet) every code passes;
/// otherwise a code on no list, on the list of a county outside the
/// scope, or whose county's list is not held, is refused.
Status CheckSchoolListed(const std::map<std::string, VerifiedSchools>& lists,
                         std::string_view code,
                         const std::vector<std::string>& scopes,
                         std::string_view certifier);

/// The revocation lists met while judging, the newest of each issuer: the
/// bundles a merged bundle holds are judged on several threads, and the
/// lists their chains carry are kept by the office that took them in.
class CrlsSeen {
 public:
  void Offer(const VerifiedCrl& crl);
  std::vector<VerifiedCrl> Newest() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, VerifiedCrl> by_issuer_;
};

/// An office whose certificate chain reached the root.
struct TrustedOffice {
  ft::CertStatement cert;  ///< the leaf
  std::string cert_sha256;
  std::vector<ft::CertStatement> path;  ///< leaf first, up to the province
  std::vector<std::string> path_names;  ///< the files they came from
  std::vector<std::string> warnings;
};

struct VerifierOptions {
  std::string now;  ///< now_eff as a UTC time; every validity is judged here
  bool strict = false;  ///< a stale CRL rejects rather than warns
};

class Verifier {
 public:
  /// `installed`: the root history this office holds, oldest first; the
  /// last is the trusted root. Each must already be parsed and verified
  /// (InstallRoot) — they come from the home, not from a stick.
  Verifier(std::vector<ft::RootStatement> installed, VerifierOptions options);
  /// The same, with each root's statement text as the home holds it (the
  /// texts a chain's root statements are compared with).
  Verifier(std::vector<ft::RootStatement> installed,
           std::vector<std::string> texts, VerifierOptions options);

  /// Learns rotations from a chain folder's root statements: each root
  /// N+1 is signed by root N's threshold of N's keys and by its own
  /// threshold of its own keys. Versions at or below the trusted one must
  /// be byte-identical to what is held (else: a forked root); a gap (N+2
  /// without N+1) is refused.
  Status AddRoots(const std::vector<SignedText>& roots);

  /// Verifies CRLs against their issuers, which must be the root or an
  /// office whose certificate is among `certs` on a path to the root; keeps
  /// the highest number per issuer. An older copy than one known is
  /// ignored (not an error).
  Status AddCrls(const std::vector<SignedText>& crls,
                 const std::vector<SignedText>& certs);
  /// CRLs verified earlier (the office's cache) count as well.
  void AddKnownCrl(VerifiedCrl crl);

  /// Verifies the province's school lists (each a county's) against the
  /// province office's certificate among `certs`, under its issue policy;
  /// keeps the highest version per county.
  Status AddSchools(const std::vector<SignedText>& lists,
                    const std::vector<SignedText>& certs);
  void AddKnownSchools(VerifiedSchools list);
  const std::map<std::string, VerifiedSchools>& schools() const {
    return schools_;
  }

  /// The office `subject` whose certificate, among `certs`, has SHA-256
  /// `cert_sha256`, judged up to the trusted root.
  Result<TrustedOffice> Office(std::string_view subject,
                               std::string_view cert_sha256,
                               const std::vector<SignedText>& certs) const;

  /// Of the certificates of office `subject` among `candidates`, the newest
  /// (Newer) that Judge trusts with the issuers in `certs`. Nothing when
  /// there is none; the last refusal when none is trusted.
  Result<std::optional<TrustedOffice>> Newest(
      std::string_view subject, const std::vector<SignedText>& candidates,
      const std::vector<SignedText>& certs) const;

  /// Judges a certificate given as text (one just issued, before it is
  /// installed) with the issuing certificates in `certs`.
  Result<TrustedOffice> Judge(const SignedText& cert,
                              const std::vector<SignedText>& certs) const;

  const ft::RootStatement& root() const { return roots_.back(); }
  const std::vector<ft::RootStatement>& roots() const { return roots_; }
  /// Roots learned by AddRoots beyond those installed (to persist).
  const std::vector<SignedText>& new_roots() const { return new_roots_; }
  const std::map<std::string, VerifiedCrl>& crls() const { return crls_; }
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  struct Link;
  Result<TrustedOffice> Walk(const SignedText& leaf,
                             const std::vector<SignedText>& certs) const;
  Status WalkFrom(const SignedText& cur, const std::vector<SignedText>& certs,
                  int depth, std::vector<std::string>* visited,
                  TrustedOffice* out) const;
  Status WalkAbove(const SignedText& leaf, const ft::CertStatement& leaf_cert,
                   const SignedText& parent,
                   const std::vector<SignedText>& certs,
                   std::vector<std::string>* visited, TrustedOffice* out) const;
  // A revocation dated after the time judged at (a held bundle's, judged
  // at its holder's time) is not fatal: it goes to `later`.
  // The office `issuer` that signed `s` (a statement of `type`, named `id`)
  // with `issuer_keys` under its issue policy: its certificate among
  // `certs`, judged up to the root and not revoked. `refuses` ends the
  // refusal of an office that may certify no one ("revokes no one").
  Result<TrustedOffice> JudgeIssuedBy(
      const SignedText& s, std::string_view type, const std::string& id,
      const std::string& issuer_code,
      const std::vector<std::string>& issuer_keys,
      const std::vector<SignedText>& certs, std::string_view refuses) const;
  Status CheckRevocation(const TrustedOffice& office,
                         std::vector<std::string>* later) const;

  std::vector<ft::RootStatement> roots_;
  std::vector<std::string> root_texts_;  // of roots_, one for one
  std::vector<SignedText> new_roots_;
  VerifierOptions options_;
  std::map<std::string, VerifiedCrl> crls_;         // by issuer
  std::map<std::string, VerifiedSchools> schools_;  // by county
  std::vector<std::string> warnings_;
};

/// Checks a root statement and its own signatures (threshold of its own
/// keys) for installation; `fingerprint` (SHA-256 hex, with or without
/// spaces) must match its bytes.
Result<ft::RootStatement> InstallRoot(const SignedText& root,
                                      std::string_view fingerprint);

/// The root-version-1 statement's own check, shared with InstallRoot.
Result<ft::RootStatement> CheckRootSelfSigned(const SignedText& root);

}  // namespace xj::pack::trust
