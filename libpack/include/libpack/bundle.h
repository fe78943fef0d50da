// Bundles: a checked registry, carried on a stick (xjpack-bundle(5)).
//
// On the stick a bundle is a folder XJ/<bundle-id>/ with the signed
// statement (bundle.stmt and one bundle.stmt.<KEYID>.minisig per
// signature), the payload — a BagIt bag in a deterministic pax tar,
// compressed with zstd and encrypted with age, in one or more volumes —
// and a README.txt for people. The statement binds everything: each
// volume's size and SHA-512, and the SHA-512 of the bag's tag manifest.
//
// Pack builds the bundle in the office's outbox and then writes it to the
// stick under a temporary name, renamed into place only once complete and
// read back. Verify needs no secret: it checks layout, statement,
// signatures and volumes; with an identity it also decrypts (writing
// nothing) and checks the tar and the bag. Unpack verifies, copies each
// volume once into a private quarantine folder (hashing it as it goes),
// decrypts only that copy, extracts safely and validates the bag before
// anything is moved into place.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "formats/minisign.h"
#include "formats/statement.h"
#include "keys/signing_key.h"
#include "keys/x25519_identity.h"
#include "libpack/home.h"
#include "libpack/ledger.h"
#include "libpack/media.h"
#include "libpack/passphrase.h"
#include "libpack/session.h"
#include "libpack/trust_store.h"
#include "registry/check.h"

namespace xj::pack {

/// Called as bytes go by (for progress on a terminal). `done` of `total`
/// bytes of `what` ("packing", "verifying", "unpacking").
using Progress = std::function<void(std::string_view what, std::uint64_t done,
                                    std::uint64_t total)>;

/// An office a bundle is addressed to: its code and its age recipient(s).
struct Addressee {
  std::string code;
  std::vector<keys::X25519PublicKey> recipients;
};

/// A signing key a verifier trusts, with the office and role it stands for.
struct TrustedKey {
  formats::minisign::PublicKey key;
  std::string role = "clerk";  ///< clerk | leader
  std::string name;            ///< where it came from, for messages
};

struct PackRequest {
  const registry::RegistryData* data = nullptr;
  std::string registry_dir;  ///< one school's folder
  Addressee recipient;       ///< the addressee (the first --to)
  std::vector<Addressee> copy_to;
  std::string kind = "census";
  const keys::SigningKey* key = nullptr;
  std::string role = "clerk";
  Home home;
  /// The office's trust store, when the home is set up as an office: the
  /// statement then names the sender's certificate and root version, and
  /// the bundle carries chain/. Without one, sender-ref is none.
  const TrustStore* store = nullptr;
  std::string
      media;  ///< the stick (or folder): the bundle goes to media/XJ/<id>
  std::uint64_t volume_size = kMaxVolumeSize;
  std::string allow_errors;  ///< a reason; empty: errors refuse the pack
  std::int64_t now = 0;      ///< the clock, in seconds (required)
  /// The time certificates are judged at when the stick is read back
  /// (OfficeSession::TrustedNow); empty: the bundle's time, `now`.
  std::string trusted_now;
  formats::csv::Encoding encoding = formats::csv::Encoding::kAuto;
  Progress progress;
  /// After the outbox copy is complete, before the stick is written (tests
  /// use it to stop the process at a known point).
  std::function<void()> before_media;
};

struct PackResult {
  formats::trust::BundleStatement statement;
  std::string statement_sha256;
  std::string outbox_dir;  ///< the bundle in the home's outbox
  std::string media_dir;   ///< media/XJ/<id>
  MediaInfo media;
  registry::CheckTotals check;
  /// The sender's deliver-policy wants a leader too: the bundle is on the
  /// stick as XJ/<id>.unapproved/ until `approve` signs it.
  bool awaiting_approval = false;
  /// Wall seconds of the phases: the registry check, building the bundle
  /// in the outbox (bag, tar, zstd, age, statement), writing the stick and
  /// reading it back.
  double check_seconds = 0, build_seconds = 0, media_seconds = 0;
};

/// The checks Pack makes before any work (office codes, one recipient per
/// office, volume size, the reason's text, the registry folder when
/// `registry`, and the destination), for a caller to make before it asks
/// for a passphrase.
Status CheckPackRequest(const PackRequest& request, bool registry = true);

/// A file of a bag: where it goes in the bag and where it is read from.
struct BagFile {
  std::string path;    ///< inside the bag: "data/registry/school.csv"
  std::string source;  ///< where to read it from
  std::uint64_t size = 0;
};

/// What a bundle carries, however it was gathered (a school's checked
/// registry, or a merge of children).
struct BundleContent {
  std::string sender, period;
  std::vector<BagFile> files;  ///< any order; sorted when written
  registry::CheckTotals totals;
  std::uint64_t records = 0;         ///< students, for the statement
  std::uint64_t allowed_errors = 0;  ///< errors packed under --allow-errors
  std::vector<formats::trust::Child> children;
  /// A merge's audit, signed into the statement (with the children).
  std::optional<formats::trust::AuditSummary> audit;
  double check_seconds = 0;
};

/// Refuses to sign while this machine's clock is more than a day behind
/// the newest statement the office's ledger has accepted.
Status CheckSigningClock(const Home& home, std::int64_t now);

/// Packs prepared content (merge uses it): everything Pack does after the
/// registry check. `request.registry_dir` is not used.
Result<PackResult> PackContent(const PackRequest& request,
                               BundleContent content);

/// Checks the registry (findings go to `findings`), refuses on errors
/// unless allow_errors, and packs, signs and writes the bundle.
Result<PackResult> Pack(const PackRequest& request,
                        registry::FindingSink& findings);

// ---- reading a bundle ----

enum class VolumeState {
  kPresent,
  kMissing,
  kWrongSize,
  kWrongHash,
  kUnchecked
};

struct VolumeReport {
  std::string name;
  std::uint64_t size = 0;  ///< as signed
  VolumeState state = VolumeState::kUnchecked;
  std::string found_in;  ///< the folder holding it
};

struct SignatureReport {
  std::string key_id;
  std::string role;     ///< from the trusted comment
  std::string time;     ///< from the trusted comment
  std::string signer;   ///< the trusted key's name, if known
  bool valid = false;   ///< verified under a trusted key
  std::string problem;  ///< why not, when not
  /// A leader's reason for approving a bundle whose audit found errors,
  /// signed in the trusted comment ("" when none).
  std::string allow_errors;
};

/// The longest reason a leader may sign with an approval, in bytes.
inline constexpr std::size_t kMaxApprovalReason = 400;

struct HeldSchool {
  std::string bundle;             ///< the school's own bundle id
  std::string school;             ///< its sender
  std::string signer;             ///< the certificate that signed it
  std::vector<std::string> path;  ///< bundle ids from the top down to it
  std::uint64_t records = 0;
};

/// One school code at most once among `schools` (a merge's, at every
/// depth): refused naming both bundles otherwise, so that no school is
/// counted twice (held by two counties, or sent twice).
Status CheckSchoolsOnce(const std::vector<HeldSchool>& schools,
                        std::string_view where);

struct BundleReport {
  std::string dir;
  formats::trust::BundleStatement statement;
  std::string statement_sha256;
  std::string statement_text;  ///< the exact bytes judged
  /// The signature files read (name, content), and the chain/ folder.
  std::vector<std::pair<std::string, std::string>> signature_files;
  std::optional<ChainFiles> chain_files;
  std::string fingerprint;  ///< statement SHA-256 in groups of four
  std::vector<SignatureReport> signatures;
  std::vector<VolumeReport> volumes;
  std::vector<std::string>
      litter;  ///< OS files listed, not read (._*, Thumbs.db)
  std::vector<std::string> warnings;  ///< e.g. README.txt differs
  /// How the signatures were trusted: "" (not at all: intact only),
  /// "keys" (public keys given), or "chain" (the sender's certificate
  /// chain, judged up to this office's root).
  std::string trust;
  /// With "chain": the sender's certificate and those above it, as
  /// "<code> <name> (<level>, <serial>)", sender first.
  std::vector<std::string> chain;
  bool addressed = false;  ///< to, or copied to, this office (with a store)
  /// With "chain": the office codes of the chain, sender first.
  std::vector<std::string> chain_codes;
  /// The levels of the chain's offices, in the same order ("school", ...).
  std::vector<std::string> chain_levels;
  /// With "chain": the revocation lists it was judged with, the newest of
  /// each issuer (this office's, its chain's, its holders').
  std::vector<trust::VerifiedCrl> crls;
  /// With "chain": the sender's certificate (serial, not-after).
  std::string sender_cert, sender_cert_end;
  std::uint64_t payload_bytes = 0;  ///< plaintext checked (complete level)
  std::uint64_t files = 0;          ///< bag files checked (complete level)
  /// For a merged bundle checked complete: every school it holds, each
  /// checked down to its own signature.
  std::vector<HeldSchool> schools;
};

/// How a reader trusts signatures: public keys given directly, or the
/// office's trust store (the bundle's chain/ judged up to its root).
struct TrustSource {
  std::vector<TrustedKey> keys;
  const TrustStore* store = nullptr;
  bool strict = false;  ///< stale revocation lists reject
  /// now_eff, the time validity is judged at (the later of the clock and
  /// the ledger's high-water mark: OfficeSession::TrustedNow); required
  /// with a store.
  std::string now;
  /// Revocation lists judged already, which count beside the chain's: a
  /// held bundle is judged with those of the bundles holding it.
  std::vector<trust::VerifiedCrl> known_crls;
  /// If given, every list a judgement used is offered to it (an unpack
  /// keeps them).
  trust::CrlsSeen* crls_seen = nullptr;
  bool empty() const { return keys.empty() && store == nullptr; }
};

/// The signatures that counted, as the ledger records them ("clerk
/// 0123..., leader 4567...").
std::string Signers(const BundleReport& report);
/// Its sender's certificate and the keys whose signatures counted.
SignedBy SignedByOf(const BundleReport& report);

/// What is on the stick, without secrets and without failing on what is
/// missing or unknown (volumes elsewhere, unknown signers, a chain that does
/// not reach the root — reported as a warning): reads the statement and
/// signatures, lists volumes present.
Result<BundleReport> Inspect(const std::vector<std::string>& dirs,
                             const TrustSource& trust);

struct VerifyRequest {
  std::vector<std::string>
      dirs;           ///< the bundle folder(s): volumes may be spread
  TrustSource trust;  ///< empty: check integrity only ("intact")
  const std::vector<keys::X25519Identity>* identities =
      nullptr;  ///< "complete"
  Progress progress;
  /// Accept a folder XJ/<id>.unapproved (pack's read-back, and approve);
  /// every other reader refuses it.
  bool unapproved = false;
};

/// Checks a bundle; fails at the first problem with a distinct message.
Result<BundleReport> Verify(const VerifyRequest& request);

struct UnpackRequest {
  std::vector<std::string> dirs;
  TrustSource trust;  ///< required: unpack trusts no unsigned data
  const std::vector<keys::X25519Identity>* identities = nullptr;
  std::string output;  ///< the bag lands in output/<bundle-id>; the
                       ///< quarantine is made beside it
  Progress progress;
  std::uint64_t max_files = 2000000;
  /// The office's ledger: refuses replays and equivocation, records what
  /// was accepted. Without one (keys given with -p), nothing is recorded.
  Ledger* ledger = nullptr;
  /// Non-empty: the jump guard is overridden, and this is the reason the
  /// ledger records (the tool names the option that asked for it).
  std::string seq_jump_override;
  /// A period older than the newest accepted from the sender that this
  /// office has agreed to take late ("" none); logged with the bundle.
  std::string late_period;
  /// Signs the receipt (the recipient's clerk key); with a store and when
  /// this office is the recipient, the receipt goes to
  /// home/outbox/receipts/<bundle-id>/.
  const keys::SigningKey* receipt_key = nullptr;
  std::string receipts_dir;
  std::int64_t now = 0;  ///< the clock, in seconds (required)
  /// Checks a merged bundle's children only once the whole bag is
  /// extracted, not each as soon as its files are (the same checks; only
  /// slower): for measuring what the early check saves.
  bool held_after_extract = false;
};

/// A school whose records a bundle holds, found by following the children
/// down to the leaves.
struct UnpackResult {
  BundleReport report;
  std::string bag_dir;
  /// The revocation lists it was judged with, the newest of each issuer:
  /// its chain's, and those of the bundles it holds (which a merge keeps).
  std::vector<trust::VerifiedCrl> crls;
  /// When the ledger already held this very bundle: when it was accepted
  /// (nothing was done this time).
  std::string already_accepted;
  std::string receipt_dir;  ///< the receipt written, if any
  /// "intake" for this office's delivery, "copy" when it is a copy-to
  /// office ("" without an office home).
  std::string taken_as;
  /// Root versions and revocation lists the chain taught this office, and
  /// why not, if that failed (the bundle is accepted all the same).
  std::vector<std::string> learned;
  std::string learned_error;
  /// Wall seconds: of the whole unpack; of checking held bundles while
  /// the bag was extracted (alongside it, on a thread of its own); of the
  /// check after the extraction ended; of flushing the extracted files to
  /// the disk (which runs at the same time as that); and of the check
  /// beyond the end of the flush.
  double seconds = 0, held_early_seconds = 0, held_seconds = 0,
         flush_seconds = 0, held_beyond_flush_seconds = 0;
  /// For a merged bundle: every school it holds, each checked down to its
  /// own signature.
  std::vector<HeldSchool> schools;
  /// For a merged bundle: every bundle it holds, at every depth (statement
  /// and its SHA-256), as the check found them (before the ledger's
  /// filtering out of those it had seen).
  std::vector<HeldStatement> held;
};

Result<UnpackResult> Unpack(const UnpackRequest& request);

/// The steps before Unpack, in the order an office takes them: the bundle
/// is inspected and, if its signatures are not trusted, refused before any
/// passphrase is asked; the clerk's key (for the receipt) is loaded only
/// when the bundle is addressed to this office; then the identities
/// (`identity_files`, or the office's own); the quarantines of killed runs
/// are removed. Returns the request for Unpack, completed from the session
/// (the time, the ledger, the receipts folder, the keys, which the session
/// keeps); `request` gives the bundle, the trust, the output and options.
Result<UnpackRequest> PrepareUnpack(
    OfficeSession& session, UnpackRequest request,
    const std::vector<std::string>& identity_files,
    PassphraseSource& passphrases);

// ---- a leader's approval ----

/// A bundle waiting on the stick as XJ/<id>.unapproved/, and what its
/// leader is shown.
struct ApprovalView {
  std::string dir;  ///< the .unapproved folder
  BundleReport report;
  std::vector<TrustedKey> keys;   ///< the sender's certified keys
  formats::trust::Policy policy;  ///< its deliver-policy
  std::string summary_path;       ///< in the bag: data/merged/summary.csv
  std::string summary_csv;        ///< the counts, as kept in the home
};

/// Reads a bundle waiting for approval: its chain (judged by `store`), the
/// clerk's signature, every volume, and the counts kept in the home's
/// outbox, which must be those of the bag the statement names (tag
/// manifest, manifest, summary hashes).
Result<ApprovalView> ReadForApproval(const std::string& dir,
                                     const TrustStore& store, const Home& home,
                                     const std::string& now);

struct ApproveResult {
  std::string bundle_dir;  ///< XJ/<id>, in place and read back
  std::string signature;   ///< the leader's signature file
};

/// Appends the leader's signature (the key must be a leader key of the
/// sender's certificate), to the stick's folder and the outbox copy; with
/// the policy met, moves the bundle to XJ/<id>/ file by file (the
/// statement last) and reads it back. The ledger's audit log records it.
/// A bundle whose signed audit found errors is approved only with
/// `allow_errors`, the leader's reason, which the signature carries.
Result<ApproveResult> Approve(const ApprovalView& view, const TrustStore& store,
                              const Home& home, const keys::SigningKey& leader,
                              Ledger* ledger, std::int64_t now,
                              const std::string& allow_errors = "");

/// Refuses an approval of a bundle whose signed audit found errors without
/// the leader's reason, and a reason when there is no error to allow, or
/// one that is not a line of at most kMaxApprovalReason bytes.
Status CheckAllowErrors(const formats::trust::BundleStatement& statement,
                        const std::string& allow_errors);

/// The reason a valid leader signature gives for the audit's errors ("" when
/// none does).
std::string SignedAllowErrors(const BundleReport& report);

/// Judges a bundle held inside another's bag (data/children/<id>/: its
/// statement, signatures, chain/ and bag/, no volumes): statement and
/// signatures under `trust`; its files read through `files` (the disk, or
/// what the extraction kept of them). The report holds no chain_files.
Result<BundleReport> AuthenticateHeldBundle(const FileView& files,
                                            const std::string& dir,
                                            const TrustSource& trust);

}  // namespace xj::pack
