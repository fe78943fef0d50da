// The registry schema: which files a school's registry has, which fields
// each file has, and how each field is checked — as data, not code.
//
// The schema is a versioned text file (`xjschema/1`, see xjpack-registry(5))
// installed with the tool, so the province can change a field's
// requiredness, validator or code table without a rebuild. Parsing is
// strict: every line has one meaning, unknown labels and validators are
// errors naming the line. A schema is identified by its id, version and the
// SHA-256 of its exact bytes; every check result and bundle records them.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"

namespace xj::registry {

inline constexpr std::string_view kSchemaMagic = "xjschema/1";

/// One entry of a code table: the code and its names.
struct CodeEntry {
  std::string code;
  std::string zh;
  std::string en;
};

struct CodeTable {
  std::string name;
  std::string title;
  std::vector<CodeEntry> codes;
  std::unordered_map<std::string, std::size_t> index;  ///< code → position

  bool Contains(std::string_view code) const { return Find(code) != nullptr; }
  const CodeEntry* Find(std::string_view code) const;
  /// Makes Find faster once `codes` is complete (every code is packed into
  /// a number, when all are short); Find works without it.
  void Seal();

 private:
  std::vector<std::pair<std::uint64_t, std::size_t>> packed_;  // sorted
};

/// The built-in checks a field can name. Adding one is a code change; which
/// field uses which (and with what argument) is schema data.
enum class Validator {
  kText,          ///< text:MAX — any text up to MAX characters, one line
  kName,          ///< a person's name (CJK or Latin, middle dot allowed)
  kInt,           ///< int:MIN-MAX
  kDate,          ///< YYYY-MM-DD, a real date
  kYearMonth,     ///< YYYY-MM
  kCitizenId,     ///< GB 11643 18-character citizen ID
  kCitizenIdAny,  ///< GB 11643, 18 characters or the old 15-digit form
  kIdNumber,      ///< id-number:TYPEFIELD — citizen ID when TYPEFIELD is 1
  kIdNumberAny,   ///< id-number-any:TYPEFIELD — the same, 15 digits allowed
  kXjhNational,   ///< national 学籍号: G/J/L + 18 characters
  kXjhAnhui,      ///< Anhui 16-digit 学籍号
  kSchoolCode,    ///< 10-digit school identifier
  kDivision,      ///< a GB/T 2260 division code known to the tables
  kAnhuiCounty,   ///< an Anhui county-level division code
  kPostcode,      ///< 6 digits
  kPhone,         ///< mobile or landline
  kTable,         ///< table:NAME — a code from the schema's table NAME
  kDocNo,         ///< an approval document number (批准文号)
  kClassNo,       ///< a class number within a grade, 1-2 digits
  kPhoto,         ///< photos/<name>.jpg
};

/// What kind of personal value a field holds, which decides how it is
/// masked wherever it is shown outside the encrypted bag.
enum class Mask { kNone, kName, kId, kDate, kAddress, kPhone };

enum class Requirement { kRequired, kOptional, kRequiredIf, kRequiredUnless };

struct FieldSpec {
  std::string name;
  Requirement requirement = Requirement::kRequired;
  std::string condition_field;                ///< for kRequiredIf/Unless
  int condition_index = -1;                   ///< its index in the file
  std::vector<std::string> condition_values;  ///< for kRequiredIf/Unless
  Validator validator = Validator::kText;
  std::string validator_text;        ///< as written, e.g. "table:sex"
  std::int64_t min = 0, max = 0;     ///< kText: max length; kInt: range
  const CodeTable* table = nullptr;  ///< kTable
  std::string type_field;            ///< kIdNumber, kIdNumberAny
  int type_index = -1;               ///< its index in the file
  Mask mask = Mask::kNone;
  std::string zh, en, example;
  int line = 0;  ///< schema line, for messages
};

struct FileSpec {
  std::string name;  ///< "students.csv"
  std::string title;
  bool one_row = false;  ///< school.csv holds exactly one record
  bool optional = false;
  std::vector<FieldSpec> fields;

  /// Index of a field by name, or -1.
  int FieldIndex(std::string_view field) const;
};

struct Schema {
  std::string id;
  std::string version;
  std::string title;
  std::string sha256;  ///< hex SHA-256 of the schema file's bytes
  std::map<std::string, std::unique_ptr<CodeTable>> tables;
  std::vector<FileSpec> files;

  const FileSpec* File(std::string_view name) const;
  const CodeTable* Table(std::string_view name) const;
  /// "anhui-registry 2026.1"
  std::string Label() const { return id + " " + version; }
};

/// Parses a schema file. Messages are "line N: ...". `required_codes`
/// lists, per table name, codes the audit rules rely on: a schema lacking
/// one is refused (the rules would silently never fire).
Result<std::unique_ptr<Schema>> ParseSchema(
    std::string_view text,
    const std::map<std::string, std::vector<std::string>>& required_codes = {});

/// The masked form of a personal value: "3401**********123X" for ids,
/// "张*" for names, "2015-**-**" for dates, "138****1234" for phones, the
/// first six characters and "…" for addresses.
std::string MaskValue(Mask mask, std::string_view value);

}  // namespace xj::registry
