// The xjtrust/1 statements of the trust hierarchy (xjpack-trust(5)):
//
//   root     the province's root keys: a version, a threshold, an expiry;
//            version N+1 is signed by N's threshold and its own
//   cert     an office's certificate, issued by its parent office (the
//            province office's by the root): scope, level, keys and their
//            roles, the office's age recipient, what it may certify, how
//            many signatures its certificates and its bundles need
//   crl      an issuer's numbered revocation list
//   receipt  a recipient's signed acknowledgement of one bundle
//
// The text rules are those of every statement (formats/statement.h); this
// file adds each type's labels and the meaning of their values. Whether a
// statement is *trusted* is libpack/trust.h's business.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "formats/minisign.h"
#include "formats/statement.h"

namespace xj::formats::trust {

/// Office levels, highest first; a certificate's level is strictly below
/// its issuer's.
enum class Level { kSchool = 1, kCounty = 2, kCity = 3, kProvince = 4 };
std::string_view LevelName(Level level);
std::optional<Level> ParseLevel(std::string_view name);

/// A signing key in a statement: "key: <KEYID> <role> <minisign key>".
struct KeyEntry {
  minisign::PublicKey key;
  std::string role;  ///< root (in a root), clerk or leader (in a cert)
};
std::string KeyEntryValue(const KeyEntry& entry);

/// How many signatures, in which roles: "clerk=1 leader=1" (roles sorted,
/// each once, counts 1-9). Each key counts once, in its one role.
struct Policy {
  std::vector<std::pair<std::string, int>> groups;
  std::string ToString() const;
};
Result<Policy> ParsePolicy(std::string_view text);

struct RootStatement {
  std::uint64_t version = 1;
  std::string province;  ///< two digits (GB/T 2260), e.g. 34
  std::uint64_t threshold = 2;
  std::vector<KeyEntry> keys;  ///< role root; sorted by key id
  std::string created;
  std::string expires;
};
Result<RootStatement> ParseRoot(std::string_view text);
std::string SerializeRoot(const RootStatement& root);

struct CertStatement {
  std::string serial;  ///< <issuer>-<6 digits>, e.g. 3401-000017, root-000001
  std::string issuer;  ///< the issuing office's code, or "root"
  std::vector<std::string> issuer_keys;  ///< KEYIDs that sign it, sorted
  std::string subject;                   ///< office code or school code
  std::string subject_name;
  Level level = Level::kSchool;
  std::vector<std::string> scope;      ///< GB/T 2260 prefixes, sorted
  std::vector<KeyEntry> keys;          ///< roles clerk | leader
  std::string enc;                     ///< the office's age recipient (age1...)
  std::vector<Level> may_certify;      ///< highest first
  std::optional<Policy> issue_policy;  ///< present iff may_certify is not
  Policy deliver_policy;
  std::string not_before, not_after;
};
Result<CertStatement> ParseCert(std::string_view text);
std::string SerializeCert(const CertStatement& cert);

struct Revoked {
  std::string serial;
  std::string time;
  std::string reason;  ///< key-compromise | superseded | cessation
};

struct CrlStatement {
  std::string issuer;
  std::vector<std::string> issuer_keys;
  std::uint64_t number = 1;
  std::string this_update, next_update;
  std::vector<Revoked> revoked;  ///< by serial
  /// Keys refused wherever they appear (a key compromise): KEYID and time.
  std::vector<std::pair<std::string, std::string>> revoked_keys;
};
Result<CrlStatement> ParseCrl(std::string_view text);
std::string SerializeCrl(const CrlStatement& crl);

/// The province's list of the school codes of one county (xjpack-trust(5),
/// THE SCHOOLS STATEMENT): "xjtrust/1 schools", signed by the province
/// office under its issue policy, numbered per county; the newest counts.
struct SchoolEntry {
  std::string code;  ///< 10 digits
  std::string type;  ///< the code's first two digits (21 primary, ...)
  std::string name;
};
struct SchoolsStatement {
  std::string issuer;  ///< the province office
  std::vector<std::string> issuer_keys;
  std::string county;  ///< 6 digits
  std::uint64_t version = 1;
  std::string issued;
  std::vector<SchoolEntry> schools;  ///< by code, each once
};
Result<SchoolsStatement> ParseSchools(std::string_view text);
std::string SerializeSchools(const SchoolsStatement& schools);
/// "schools-<COUNTY>-<N>": the id its signatures' trusted comments name.
std::string SchoolsId(std::string_view county, std::uint64_t version);

struct ReceiptStatement {
  std::string bundle;         ///< the acknowledged bundle's id
  std::string bundle_sha256;  ///< of its bundle.stmt
  std::string sender;
  std::string recipient;  ///< the bundle's recipient
  std::uint64_t seq = 0;
  std::string received;
  /// "intake" (the recipient took the bundle in) or "copy" (a copy-to
  /// office read it: never intake).
  std::string taken_as = "intake";
  /// The office that signs the receipt: the recipient for intake, the
  /// copy-to office for a copy.
  std::string by;
  /// The head of the signing office's ledger once the bundle was
  /// recorded: its number of rows and the last row's link (xjpack-trust(5),
  /// THE LEDGER).
  std::uint64_t ledger_rows = 0;
  std::string ledger_link;
  /// Who signed the bundle and each bundle it holds that the office took
  /// in with it ("signed-by: <bundle id> <certificate serial>
  /// <KEYID>[,<KEYID>]"), by bundle id: so that a school can see what was
  /// sent in its name.
  struct SignedBy {
    std::string bundle, cert;
    std::vector<std::string> keys;
  };
  std::vector<SignedBy> signed_by;
};
Result<ReceiptStatement> ParseReceipt(std::string_view text);
std::string SerializeReceipt(const ReceiptStatement& receipt);

/// What an office sends its parent to be certified (unsigned: the parent
/// confirms the keys out of band before it issues): "xjtrust/1 request".
struct RequestStatement {
  std::string subject;
  std::string subject_name;
  Level level = Level::kSchool;
  std::vector<KeyEntry> keys;
  std::string enc;
};
Result<RequestStatement> ParseRequest(std::string_view text);
std::string SerializeRequest(const RequestStatement& request);

/// The id a statement's signatures name in their trusted comment
/// ("xjtrust/1 <type> <id> <role> <time>"): root-<N>, the cert's serial,
/// crl-<issuer>-<number>, the receipt's bundle id.
std::string RootId(std::uint64_t version);
std::string CrlId(std::string_view issuer, std::uint64_t number);

/// Whether `s` is 16 uppercase hex digits (a minisign key id as shown).
bool IsKeyId(std::string_view s);
/// Whether `s` is a region-code prefix: 2, 4 or 6 digits.
bool IsScope(std::string_view s);

}  // namespace xj::formats::trust
