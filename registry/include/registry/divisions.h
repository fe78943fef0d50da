// GB/T 2260 administrative division codes, current and historical.
//
// Loaded from divisions.csv (installed with the tool; columns code, name,
// level, parent_code, first_seen, last_seen, current). A code's meaning is
// time-dependent: one code may have several names over the years and a
// retired code stays valid forever on the ID numbers issued under it, so
// lookups say when a code was in use rather than only whether it exists.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"

namespace xj::registry {

struct Division {
  std::string code;
  std::string name;    ///< the newest name
  std::string level;   ///< province | prefecture | county | ...placeholder
  std::string parent;  ///< the prefecture (or province) code
  int first_seen = 0;  ///< YYYYMM; 0 when only in undated pre-2002 lists
  int last_seen = 0;   ///< YYYYMM; 200112 for pre-2002-only codes
  bool current = false;

  /// In use at year-month `ym` (YYYYMM), as far as the table knows: from
  /// its first listing until a year after its last (the table has one
  /// revision a year at best), or on for good when it is current.
  bool InUseAt(int ym) const {
    return ym >= first_seen && (current || ym <= last_seen + 100);
  }
};

class Divisions {
 public:
  /// Parses divisions.csv. Strict: header, 7 columns, 6-digit codes.
  static Result<Divisions> Parse(std::string_view text);

  const Division* Find(std::string_view code) const;
  /// County-level divisions of other provinces that are current.
  std::vector<const Division*> CurrentCountiesOutsideAnhui() const;
  /// County-level Anhui (34xxxx) divisions in use at `ym`.
  std::vector<const Division*> AnhuiCountiesAt(int ym) const;
  /// Prefecture-level Anhui divisions in use at `ym`.
  std::vector<const Division*> AnhuiPrefecturesAt(int ym) const;
  std::size_t size() const { return divisions_.size(); }

 private:
  std::vector<Division> divisions_;  // file order, for determinism
  std::vector<std::int32_t> index_;  // 6-digit code → position, or -1
};

}  // namespace xj::registry
