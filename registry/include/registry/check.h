// Checking a registry: every field against the schema, every record against
// the school's other files, the declared counts against the records, and —
// given last year's registry — this year against last year.
//
// The check reads each file once, streaming; memory grows only with the
// number of students of one school and with the key sets used to find the
// same student in two schools. Every finding is reported, in file order,
// through a FindingSink; a file that is not well-formed CSV is reported
// once and abandoned, and the rules that need it are skipped for that
// school. Personal values appear in findings only masked, except in the
// raw_value that only encrypted reports may carry.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "formats/csv.h"
#include "registry/data.h"
#include "registry/rules.h"
#include "registry/values.h"

namespace xj::registry {

struct Finding {
  Rule rule = Rule::kCsvMalformed;  ///< its id and severity: registry/rules.h
  std::string file;                 ///< relative to the checked folder
  std::uint64_t line = 0;           ///< 0: the file (or school) as a whole
  std::string field;                ///< may be empty
  std::string message;              ///< never holds a personal value
  std::string value;                ///< the value, masked as the schema says
  std::string raw_value;            ///< unmasked: only for encrypted reports

  Severity severity() const { return SeverityOf(rule); }
};

class FindingSink {
 public:
  virtual ~FindingSink() = default;
  virtual void Report(const Finding& finding) = 0;
};

struct CheckOptions {
  std::string dir;       ///< a school folder, or a tree of them
  std::string previous;  ///< last year's registry (same shape), or empty
  formats::csv::Encoding encoding = formats::csv::Encoding::kAuto;
  /// When set (one school only): each CSV file is also written here as it
  /// was read — UTF-8, NFC, CRLF, the same columns — for the bundle's bag.
  std::string normalized_dir;
};

struct CheckTotals {
  std::uint64_t schools = 0;
  std::uint64_t errors = 0;
  std::uint64_t warnings = 0;
  std::map<std::string, std::uint64_t> records;  ///< per file name
  std::uint64_t abandoned_files = 0;
  std::uint64_t normalized_fields = 0;
  std::uint64_t gb18030_files = 0;
  /// Over a tree of schools: the student numbers and ID numbers compared
  /// across schools, and the seconds that comparison took (the keys are
  /// gathered as each school's students.csv is checked).
  std::uint64_t cross_school_keys = 0;
  double cross_school_seconds = 0;
};

/// Checks `options.dir`: one school when it holds school.csv, otherwise
/// every folder below it that does (sorted), plus duplicates across them.
/// Fails only when the check cannot run (no such folder, no school found,
/// unreadable files); findings are not failures.
Result<CheckTotals> CheckRegistry(const RegistryData& data,
                                  const CheckOptions& options,
                                  FindingSink& sink);

/// The human form of a finding:
/// "students.csv:17: error: id_number: ... [rule] (3401**********123X)".
std::string FormatFinding(const Finding& finding);

}  // namespace xj::registry
