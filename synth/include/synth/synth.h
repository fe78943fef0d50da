// Synthetic registries for tests, benchmarks and the demo.
//
// Deterministic: the same seed, options and installed data give the same
// bytes. A registry is simulated over two school years (last year's census,
// the year's status changes, this year's census), so this year's files,
// last year's files (--previous) and the change records agree with each
// other and with every audit rule; no real person is described. Schools are
// generated and written one at a time, so memory does not grow with the
// number of students. Chosen defects can be planted, each recorded in an
// answer key that lists exactly the findings `xjpack check` must report.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "registry/data.h"

namespace xj::pack {

struct SynthOptions {
  std::string output;  ///< folder to create (must not exist, or be empty)
  std::string level = "school";  ///< school | county | city | province
  std::string code;              ///< county (school, county), prefecture (city)
  std::uint64_t seed = 1;
  int year = 2026;             ///< census on 30 September of this year
  std::uint64_t students = 0;  ///< approximate total; 0 = a default per level
  std::string school_type = "21";  ///< for --level school: 21, 31 or 34
  std::string previous;            ///< also write last year's registry here
  bool photos = false;   ///< write photos/<student_no>.jpg for each student
  bool gb18030 = false;  ///< write the CSV files in GB18030
  std::vector<std::string>
      defects;             ///< kinds to plant (DefectKinds()), or "all"
  std::string answer_key;  ///< where to write the answer key (CSV)
};

struct SynthTotals {
  std::uint64_t schools = 0;
  std::uint64_t students = 0;
  std::uint64_t previous_students = 0;
  std::uint64_t defects = 0;
  std::uint64_t expected_findings = 0;
};

/// The defect kinds --defects accepts, each with what it plants.
struct DefectKind {
  std::string_view name;
  std::string_view description;
  bool needs_previous;
  bool needs_tree;
  bool needs_photos;
};
const std::vector<DefectKind>& DefectKinds();

/// Writes the registry. Fails without writing when the options cannot be
/// met (an unknown code, a defect that needs --previous, an output in the
/// way).
Result<SynthTotals> Synthesize(const registry::RegistryData& data,
                               const SynthOptions& options);

}  // namespace xj::pack
