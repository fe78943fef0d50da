// data/merged/audit.json: a merge's cross-school audit (xjpack-bundle(5)),
// one JSON object with the office, the numbers of children, schools,
// errors and warnings, and the findings (values masked).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace xj::formats::audit {

struct Finding {
  bool error = true;  ///< else a warning
  std::string file;
  std::uint64_t line = 0;
  std::string field, rule, message, value;
};

struct Audit {
  std::string office;
  std::uint64_t children = 0, schools = 0, errors = 0, warnings = 0;
  std::vector<Finding> findings;
};

/// The file's bytes: keys in a fixed order, a finding a line.
std::string Serialize(const Audit& audit);

}  // namespace xj::formats::audit
