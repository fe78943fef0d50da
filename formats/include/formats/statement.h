// xjtrust/1 statements: the signed text at the heart of every bundle,
// certificate, revocation list and receipt (xjpack-trust(5)).
//
// A statement is strict UTF-8 text: a magic line "xjtrust/1 <type>", then
// "label: value" lines in a fixed order. Repeated labels are adjacent and
// sorted bytewise; unknown labels, CR, BOM, blank lines, trailing spaces,
// control, bidi and default-ignorable characters are refused. A statement
// that parses serialises to exactly the bytes it came from, so a signature
// over the bytes is a signature over the meaning.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace xj::formats::trust {

inline constexpr std::string_view kMagicPrefix = "xjtrust/1 ";
inline constexpr std::size_t kMaxStatement = 1 << 20;
inline constexpr std::size_t kMaxLine = 4096;

struct Field {
  std::string label;
  std::string value;
  int line = 0;
};

struct Statement {
  std::string type;  ///< root, cert, crl, bundle, receipt
  std::vector<Field> fields;
};

/// How a label may appear in a statement of some type.
struct LabelRule {
  std::string_view label;
  enum { kOne, kOptional, kRepeated, kRepeatedOptional } count;
};

/// Parses a statement whose type must be `type`, against the label rules
/// of that type (their order is the order fields must appear in). Errors
/// are kMalformed "line N: ...".
Result<Statement> ParseStatement(std::string_view text, std::string_view type,
                                 const std::vector<LabelRule>& rules);

std::string SerializeStatement(const Statement& statement);

/// Whether a value is acceptable text: non-empty, NFC, no control, bidi or
/// default-ignorable characters, no space at either end.
Status CheckValue(std::string_view value);

// ---- the bundle statement ----

struct Volume {
  int number = 1;  ///< 1-based; written as three digits
  std::uint64_t size = 0;
  std::string sha512;  ///< 128 lowercase hex
};

struct Child {
  std::string sha256;  ///< of the child's bundle.stmt
  std::string id;      ///< the child's bundle id
};

struct CrlRef {
  std::string issuer;
  std::uint64_t number = 0;
  std::string sha256;
};

/// A merge's audit as its statement signs it: the error and warning
/// counts, by rule, and the offices certified below the sender that sent
/// nothing (xjpack-trust(5), audit).
struct AuditRuleCount {
  std::string rule;  ///< the rule id, "merge.missing"
  std::uint64_t errors = 0, warnings = 0;
};
struct AuditSummary {
  std::uint64_t errors = 0, warnings = 0;
  std::vector<AuditRuleCount> rules;  ///< sorted by rule id
  std::vector<std::string> silent;    ///< office codes, sorted
  /// Senders whose certificate or keys changed (merge.cert-changed,
  /// merge.key-changed), sorted.
  std::vector<std::string> changed;
};

struct BundleStatement {
  std::string id;          ///< <sender>-<recipient>-<seq, 6 digits>
  std::string sender;      ///< office code (or 10-digit school code)
  std::string sender_ref;  ///< SHA-256 of the sender's certificate, or "none"
  std::string recipient;
  std::vector<std::string> copy_to;  ///< sorted
  std::string kind;    ///< census | changes | graduation | correction
  std::string period;  ///< YYYY-09-30
  std::optional<std::pair<std::string, std::string>>
      supersedes;  ///< id, sha256
  std::uint64_t seq = 0;
  std::string
      prev;  ///< SHA-256 of the previous statement of the stream, or "none"
  std::string created;  ///< YYYY-MM-DDTHH:MM:SSZ
  std::uint64_t root_version = 0;
  std::string schema;  ///< "<id> <version>"
  std::string schema_sha256;
  std::optional<std::uint64_t>
      allow_errors;  ///< error findings allowed through
  std::string bag_tagmanifest_sha512;
  std::string bag_oxum;  ///< "<octets>.<files>"
  std::vector<Volume> volumes;
  std::uint64_t records = 0;
  std::vector<Child> children;
  /// A merged bundle's audit (present exactly when it holds children).
  std::optional<AuditSummary> audit;
  std::vector<CrlRef> crls;
};

const std::vector<LabelRule>& BundleLabels();
Result<BundleStatement> ParseBundle(std::string_view text);
std::string SerializeBundle(const BundleStatement& bundle);

/// "<sender>-<recipient>-<seq>" with the sequence as six digits.
std::string BundleId(std::string_view sender, std::string_view recipient,
                     std::uint64_t seq);
/// An office code: 4 or 6 digits and an optional lowercase letter, or a
/// 10-digit school code.
bool IsOfficeCode(std::string_view code);
bool IsHex(std::string_view s, std::size_t length);
bool IsDigits(std::string_view s);
/// A decimal number without leading zeros (0 on its own), below 2^64.
bool ParseNumber(std::string_view s, std::uint64_t* out);
/// The words of `s` between single spaces (empty words kept).
std::vector<std::string_view> SplitSpaces(std::string_view s);
/// "YYYY-MM-DDTHH:MM:SSZ", a real time.
bool IsUtcTime(std::string_view s);

}  // namespace xj::formats::trust
