// Where trust statements live: a bundle's chain/ folder on a stick, and the
// office home's trust/ folder, in one format (xjpack-trust(5), FILES):
//
//   root-<N>.stmt              the root, version N
//   cert-<serial>.stmt         a certificate
//   crl-<issuer>-<number>.stmt a revocation list
//   <statement>.<KEYID>.minisig   one per signature
//
// Names are exact; anything else in a chain folder is refused, and each
// statement must be what its name says. A chain folder on a stick is read
// by the hostile-media rules (no links followed, caps on sizes and count).
//
// The office home also holds the office's own description (home/office:
// code, level, name) and its keys (home/keys/): the office identity that
// opens bundles addressed to it and the clerk's signing key, so everyday
// verbs need no key flags. A leader's key never lives in a home.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "formats/trust_statements.h"
#include "libpack/file_view.h"
#include "libpack/home.h"
#include "libpack/trust.h"

namespace xj::pack {

namespace ft = formats::trust;

/// The statements of a chain folder.
struct ChainFiles {
  std::vector<trust::SignedText> roots, certs, crls;
  /// The province's school lists (one a county), which receipts and
  /// certificates carry down.
  std::vector<trust::SignedText> schools;
  std::size_t files() const;
};

/// A city's receipt carries the school lists of all its counties.
inline constexpr std::size_t kMaxChainFiles = 256;

/// "root-4.stmt", "cert-3401-000017.stmt", "crl-3401-3.stmt",
/// "schools-340102-2.stmt".
std::string RootFileName(std::uint64_t version);
std::string CertFileName(std::string_view serial);
std::string CrlFileName(std::string_view issuer, std::uint64_t number);
std::string SchoolsFileName(std::string_view county, std::uint64_t version);

/// Reads a chain folder: exact names, regular files only (not followed
/// through links), statements of at most 1 MiB and signatures of 4 KiB,
/// at most `max_files` files; each statement parses as what its name says.
/// `display` prefixes file names in messages (e.g. "chain/").
Result<ChainFiles> ReadChainFolder(const std::string& path,
                                   std::string_view display,
                                   std::size_t max_files = kMaxChainFiles);
/// The same, read through `files` (what an extraction kept, say).
Result<ChainFiles> ReadChainFolder(const FileView& files,
                                   const std::string& path,
                                   std::string_view display,
                                   std::size_t max_files = kMaxChainFiles);

/// Writes statements and signatures into an existing folder (new files,
/// flushed; an identical existing file is left as it is).
Status WriteSignedText(const std::string& dir, const trust::SignedText& s);

struct OfficeInfo {
  std::string code;
  ft::Level level = ft::Level::kSchool;
  std::string name;
};

/// The office home's trust store and description.
class TrustStore {
 public:
  /// Reads home/office and home/trust/. An office not yet set up (no
  /// home/office) is kNotFound with a hint to run `xjpack init`.
  static Result<TrustStore> Open(const Home& home);

  /// The trust store of the home `flag` names, if that home is set up as
  /// an office; nothing (and nothing created) otherwise.
  static Result<std::optional<TrustStore>> OpenIfOffice(
      const std::string& flag);

  /// The age recipient of office `code`, from a certificate in the store
  /// that is trusted now.
  Result<std::string> RecipientOf(std::string_view code,
                                  const trust::VerifierOptions& options) const;

  /// Sets up an office: writes home/office and installs the root, checked
  /// by its fingerprint and its own threshold. Refuses a home already set
  /// up.
  static Result<TrustStore> Init(const Home& home, const OfficeInfo& office,
                                 const trust::SignedText& root,
                                 std::string_view fingerprint);

  const OfficeInfo& office() const { return office_; }
  const Home& home() const { return home_; }
  const ChainFiles& files() const { return files_; }
  std::string keys_dir() const { return home_.root + "/keys"; }
  std::string identity_path() const { return keys_dir() + "/office.key"; }
  std::string clerk_key_path() const { return keys_dir() + "/clerk.key"; }

  /// A verifier from the installed roots and the CRLs held.
  Result<trust::Verifier> MakeVerifier(trust::VerifierOptions options) const;

  /// Adds statements that have been verified (new roots, certificates,
  /// CRLs): each is written to home/trust/ unless already there.
  Status Add(const ChainFiles& verified);

  /// The office's own certificate: the newest (latest not-after) trusted
  /// certificate for its code, with the chain above it. kNotFound when the
  /// office has none installed.
  Result<trust::TrustedOffice> OwnCertificate(
      const trust::VerifierOptions& options) const;

  /// The chain/ a bundle of this office carries: the root history, the
  /// certificates from `own` up, and the newest CRL of each issuer on that
  /// path (and of the office itself).
  ChainFiles ChainFor(const trust::TrustedOffice& own) const;

  /// The next serial this office issues (reserved: written before use).
  Result<std::string> NextSerial(std::string_view issuer);
  /// The highest CRL number this office has issued as `issuer` (0: none),
  /// and that CRL.
  std::optional<trust::SignedText> LastCrl(std::string_view issuer) const;

  /// The newest school list of each county held (trusted: each was
  /// verified before it was kept), by county.
  const std::map<std::string, trust::VerifiedSchools>& school_lists() const {
    return school_lists_;
  }
  /// The newest lists of the counties whose codes begin with `scope`.
  std::vector<trust::SignedText> SchoolListsWithin(
      std::string_view scope) const;

 private:
  Home home_;
  OfficeInfo office_;
  // Parses `lists` into school_lists_, keeping the newest of each county.
  Status KeepNewestSchoolLists(const std::vector<trust::SignedText>& lists);

  ChainFiles files_;
  std::map<std::string, trust::VerifiedSchools> school_lists_;
};

}  // namespace xj::pack
