// BagIt 1.0 (RFC 8493) tag files, in the one canonical form xjpack writes
// and accepts (xjpack-bundle(5)): bagit.txt byte-exact, bag-info.txt with
// fixed labels in a fixed order, SHA-512 manifests with one line per file
// ("<128 hex>  <path>", two spaces, as sha512sum writes them) in byte order
// of the paths.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace xj::formats::bagit {

inline constexpr std::string_view kBagitTxt =
    "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n";
inline constexpr std::string_view kBagInfo = "bag-info.txt";
inline constexpr std::string_view kBagit = "bagit.txt";
inline constexpr std::string_view kManifest = "manifest-sha512.txt";
inline constexpr std::string_view kTagManifest = "tagmanifest-sha512.txt";

struct BagInfo {
  std::string agent;                ///< Bag-Software-Agent
  std::string bagging_date;         ///< Bagging-Date, YYYY-MM-DD
  std::string external_identifier;  ///< the bundle id
  std::string payload_oxum;         ///< "<octets>.<files>"
  std::string source_organization;  ///< the sending office's code
  std::string schema;               ///< XJ-Schema: "<id> <version> <sha256>"
  std::string allow_errors;         ///< XJ-Allow-Errors: the reason, or empty
};

std::string SerializeBagInfo(const BagInfo& info);
Result<BagInfo> ParseBagInfo(std::string_view text);

/// "<sha512 hex>  <path>\n".
std::string ManifestLine(std::string_view sha512_hex, std::string_view path);

/// Parses a manifest in canonical form: lines sorted by path, each path
/// once. Returns (path, hash) pairs.
Result<std::vector<std::pair<std::string, std::string>>> ParseManifest(
    std::string_view text);

/// "<octets>.<files>".
std::string Oxum(std::uint64_t octets, std::uint64_t files);

/// Checks a path inside a bag (e.g. "data/registry/school.csv"): relative,
/// '/'-separated, components not empty, "." or "..", no control characters,
/// no characters Windows or FAT refuse (\ : * ? " < > |), no component a
/// reserved device name (CON, NUL, COM1...), NFC, at most 240 characters.
Status CheckPath(std::string_view path);

/// The key under which a case-insensitive file system (FAT, exFAT, NTFS,
/// APFS) takes a path for another: full Unicode case folding (ICU) of its
/// NFC form, normalised to NFC again. "É" and "é", "Ａ" and "ａ", "Straße"
/// and "STRASSE" have one key.
std::string FoldedPath(std::string_view path);

/// The paths of one bag. Pack refuses to write, and unpack to extract, a
/// bag whose paths this refuses: one rule, decided here for both ends.
class PathSet {
 public:
  enum class Clash { kNone, kSame, kCase };
  /// Adds `path` (already through CheckPath). kSame: it is there already;
  /// kCase: another path of the set has its folded key (clashed_with()
  /// names it). Either way the set is unchanged.
  Clash Add(std::string_view path);
  const std::string& clashed_with() const { return clashed_with_; }

 private:
  std::map<std::string, std::string, std::less<>> by_key_;  // key → path
  std::string clashed_with_;
};

}  // namespace xj::formats::bagit
