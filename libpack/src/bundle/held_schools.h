// The schools held in a bag, however deep: each school's registry and the
// school that signed it, counted once (by grade, sex, status and migrant
// flag) however many holders above ask, and a merged bag's summary.csv
// made from those counts. The held-bundle check (held.h) and merge use them.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "base/status.h"
#include "formats/csv.h"
#include "formats/trust_statements.h"
#include "libpack/file_view.h"
#include "registry/roster.h"

namespace xj::pack::bundle {

// A school's registry held in a bag, and the school that signed it.
struct Leaf {
  std::string registry;  // .../bag/data/registry
  std::string signer;    // the leaf bundle's sender
  std::string bundle;
};

// Rosters counted as they were extracted, by registry folder (kept by
// whoever made the map; each is moved into the counts of its school when
// they are made, once).
using Rosters =
    std::map<std::string, Result<registry::RosterCounter::ByValues>*>;

// A school's registry counted: its code, its students by grade, sex,
// status and migrant flag, and those counts as summary.csv lines.
struct SchoolCounts {
  std::string code;
  Status counted;  // why the roster could not be counted, if it could not
  registry::RosterCounter::ByValues by;
  std::uint64_t students = 0;
  std::string lines;  // "code,grade,sex,status,migrant,count\r\n", sorted
};

// Schools' counts by folder, shared by the threads that check held bundles.
struct CountCache {
  std::mutex mu;
  std::map<std::string, SchoolCounts> by;
};

/// A file's text, at most `max` bytes, as `files` has it.
Result<std::string> ReadText(const std::string& path, std::size_t max,
                             const FileView& files = DiskFiles());

/// What a bag holds: a school's bag data/registry (and data/check), a
/// merged bag data/children and data/merged; nothing else, and never both.
/// True for a merged bag.
Result<bool> CheckBagParts(const std::string& bag, const FileView& files);

/// The leaves below a bag: the bag itself when it holds a registry, else
/// the bags of its children.
Status CollectLeaves(const std::string& bag, const std::string& signer,
                     const std::string& bundle, std::vector<Leaf>* out,
                     const FileView& files = DiskFiles(), int depth = 0);

/// Some columns' values of a registry file, row by row ("" for a column
/// the file lacks).
Result<std::vector<std::vector<std::string>>> ReadColumns(
    formats::csv::Reader* r, const std::vector<std::string>& columns);
Result<std::vector<std::vector<std::string>>> ReadColumns(
    const std::string& path, const std::vector<std::string>& columns);

/// A school's code, from its school.csv as `files` has it.
Result<std::string> SchoolCode(const std::string& registry,
                               const FileView& files = DiskFiles());

/// A school's registry counted (or `counted`, what a RosterCounter made of
/// its students.csv as it was extracted).
Result<SchoolCounts> CountRegistry(
    const std::string& registry,
    Result<registry::RosterCounter::ByValues>* counted = nullptr,
    const FileView& files = DiskFiles());

/// One school's counts, read once however many holders above it ask.
Result<const SchoolCounts*> CountLeaf(const Leaf& l, CountCache* cache,
                                      const Rosters* rosters = nullptr,
                                      const FileView& files = DiskFiles());

/// summary.csv of the schools below a holder.
Result<std::string> SummaryOf(const std::vector<Leaf>& leaves,
                              CountCache* cache);

/// data/merged/summary.csv recomputed from every school held below `dir`
/// (a bag): counts by school, grade, sex, status and migrant flag.
Result<std::string> MergedSummary(const std::string& dir);

/// A school's own bag, as unpack extracted it (`bag` is its folder): it
/// holds only a registry (data/registry, and data/check), whose school.csv
/// names the bundle's sender and whose students.csv holds as many students
/// as the statement's `records` line; the checks a merge makes of every
/// school bundle it holds.
Status CheckSchoolBag(const std::string& bag,
                      const formats::trust::BundleStatement& statement);

}  // namespace xj::pack::bundle
