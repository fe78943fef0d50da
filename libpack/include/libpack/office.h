// Setting up offices and their certificates (xjpack-init(1),
// xjpack-trust(1), xjpack-cert(1)):
//
//   province   MakeRoot -> custodians SignStatementFile -> each office's
//              InitOffice installs it by fingerprint
//   an office  InitOffice: home, keys, root; writes a certificate request
//   its parent IssueCertificate from the request (the root's custodians for
//              the province office), signed under the parent's issue policy
//   the office InstallCertificates: the certificate and the chain above it,
//              judged up to the installed root
//   a parent   Revoke: the next numbered CRL
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "formats/trust_statements.h"
#include "keys/signing_key.h"
#include "libpack/home.h"
#include "libpack/passphrase.h"
#include "libpack/trust.h"
#include "libpack/trust_store.h"

namespace xj::pack {

/// Reads a statement file and the signature files beside it
/// (<file>.<KEYID>.minisig); for files the person handles directly.
Result<trust::SignedText> ReadStatementFile(const std::string& path);

// ---- the root ----

struct RootRequest {
  std::string province;  ///< two digits
  std::vector<formats::minisign::PublicKey> keys;
  std::uint64_t threshold = 2;
  std::uint64_t version = 1;
  std::int64_t now = 0;  ///< created
  int valid_years = 5;
};

/// The text of a root statement (unsigned). Refuses fewer than two keys,
/// a threshold of one, or more than the keys.
Result<std::string> MakeRoot(const RootRequest& request);

/// The next root: `keys` and `threshold` for version N+1 of the trusted
/// root held in `store`, to be signed by N's custodians and the new ones.
Result<std::string> MakeNextRoot(const TrustStore& store,
                                 const RootRequest& request);

/// Appends a signature by `key` to the statement file at `path` (writing
/// <path>.<KEYID>.minisig). The type and id come from the statement; the
/// role is root for root statements and what the root issues, else
/// `role` (clerk or leader). Bundle statements are refused (approve
/// signs those).
struct SignFileResult {
  std::string signature_path;
  std::string type, id, role;
};
Result<SignFileResult> SignStatementFile(const std::string& path,
                                         const keys::SigningKey& key,
                                         const std::string& role,
                                         std::int64_t now);

// ---- an office ----

struct InitRequest {
  Home home;
  OfficeInfo office;
  trust::SignedText root;
  std::string fingerprint;
  /// Public keys of the office's leaders (made on their own media) and of
  /// further clerks, listed in the request.
  std::vector<formats::minisign::PublicKey> leaders, clerks;
  int work_factor = 0;   ///< 0: the default
  std::int64_t now = 0;  ///< the clock, in seconds (required)
};

struct InitResult {
  formats::trust::RequestStatement request;
  std::string request_path;  ///< home/request.stmt
  std::string identity_path, clerk_key_path;
  std::string root_fingerprint;
  std::uint64_t root_version = 0;
};

/// Sets up an office home: installs the root (fingerprint and threshold
/// checked before anything is made), makes the office identity and the
/// clerk's signing key (passphrase-protected), writes home/office and the
/// certificate request.
Result<InitResult> InitOffice(const InitRequest& request,
                              PassphraseSource& passphrases);

// ---- certificates ----

struct IssueRequest {
  Home home;
  formats::trust::RequestStatement subject;
  std::vector<std::string> scope;  ///< empty: the request's level decides
  std::optional<std::vector<formats::trust::Level>> may_certify;
  std::optional<formats::trust::Policy> issue_policy, deliver_policy;
  std::string not_before, not_after;  ///< empty: now, and by level
  bool by_root = false;  ///< the root issues (the province office's cert)
  const keys::SigningKey* key = nullptr;
  std::string role = "leader";
  std::string output;  ///< a new folder: the certificate and chain above
  std::int64_t now = 0;
};

struct IssueResult {
  formats::trust::CertStatement cert;
  std::string cert_path;
  /// Empty when the certificate is complete; else what its issue policy
  /// still needs ("1 more root signature").
  std::string needs;
  std::vector<std::string> warnings;
};

Result<IssueResult> IssueCertificate(const IssueRequest& request);

struct InstallResult {
  trust::TrustedOffice office;
  std::vector<std::string> added;  ///< file names added to the store
  std::vector<std::string> warnings;
};

/// Installs this office's certificate from a folder `cert issue` wrote:
/// judged up to the installed root (learning rotations and CRLs on the
/// way); its keys must include this office's clerk key and its enc this
/// office's identity.
Result<InstallResult> InstallCertificates(const Home& home,
                                          const std::string& dir,
                                          std::int64_t now);

struct RevokeRequest {
  Home home;
  std::vector<std::string> serials;
  std::string reason = "cessation";  ///< key-compromise|superseded|cessation
  std::vector<std::string> key_ids;  ///< keys compromised
  const keys::SigningKey* key = nullptr;
  std::string role = "leader";
  int valid_days = 180;  ///< next-update
  std::string output;    ///< also copy the CRL here (a folder), if given
  std::int64_t now = 0;
};

struct RevokeResult {
  formats::trust::CrlStatement crl;
  std::string path;
  std::string needs;
};

/// Issues the next CRL of this office (or of the root, at the province
/// with root keys): every earlier entry carried forward, the new ones
/// added.
Result<RevokeResult> Revoke(const RevokeRequest& request);

// ---- the province's school list ----

struct PublishSchoolsRequest {
  Home home;
  /// A CSV with the columns school_code, school_name, county_code and
  /// school_type (as school.csv names them), one school a row.
  std::string csv;
  const keys::SigningKey* key = nullptr;  ///< a leader key of the province
  std::string output;                     ///< also copy the lists here
  std::int64_t now = 0;
};

struct PublishSchoolsResult {
  struct County {
    std::string county, path;
    std::uint64_t version = 0, schools = 0;
  };
  std::vector<County> published;  ///< the counties whose list changed
  std::size_t unchanged = 0;      ///< counties whose list is as held
};

/// The province office signs its school list, one statement a county
/// (the next version of each county whose schools changed), keeps it in
/// its trust store and, with `output`, copies it there. Every row is
/// checked first (its line named): a code of ten digits of this province
/// whose first two are its type, a county of this province, a name, each
/// code once.
Result<PublishSchoolsResult> PublishSchools(const PublishSchoolsRequest& req);

/// Takes in what a chain folder teaches this office: root rotations it can
/// verify (N -> N+1 signed by both key sets) and revocation lists newer
/// than those it holds, verified against their issuers. Returns the file
/// names added to home/trust/.
Result<std::vector<std::string>> LearnFromChain(const Home& home,
                                                const ChainFiles& chain,
                                                const std::string& now);

/// Keeps revocation lists verified already (by the judgement of the
/// bundles a merged bundle holds, whose chains carry their issuers' lists)
/// that are newer than those the office holds; an older one is never kept
/// over a newer. Returns the file names added to home/trust/.
Result<std::vector<std::string>> KeepVerifiedCrls(
    const Home& home, const std::vector<trust::VerifiedCrl>& crls);

/// The province installs its own next root (made by MakeNextRoot and
/// signed by both custodian sets) from a statement file with its
/// signatures beside it. Returns the new version.
Result<std::uint64_t> AddRoot(const Home& home, const std::string& path,
                              std::int64_t now);

// ---- receipts ----

struct ReceiptResult {
  formats::trust::ReceiptStatement receipt;
  std::string signer;           ///< "<code> <role> key <KEYID>"
  bool outbox_cleared = false;  ///< the outbox copy was removed
  bool counter_restored = false;
  std::uint64_t next_seq = 0;        ///< the stream's next seq after this
  std::vector<std::string> learned;  ///< roots and CRLs added to the store
  std::vector<std::string> warnings;
  /// The receipt's signed-by lines of this office's own bundles, for
  /// people: "<bundle> signed under its certificate <serial> with key ...".
  std::vector<std::string> own_bundles;
  /// The receipt acknowledges another office's bundle, which held this
  /// office's (read, nothing else changes).
  bool held_only = false;
};

/// Takes a receipt folder (receipt.stmt, its signatures, chain/) that came
/// back down: judged up to this office's root (learning root rotations and
/// revocation lists on the way), it must acknowledge a bundle this office
/// sent. The bundle's outbox copy is then removed; a stream counter behind
/// the receipt (a reinstalled machine) resumes 20 past its seq.
Result<ReceiptResult> TakeReceipt(const Home& home, const std::string& dir,
                                  std::int64_t now);

}  // namespace xj::pack
