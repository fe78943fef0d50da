// Checking one registry value: dates, GB 11643 citizen IDs, student
// numbers, school codes, division codes, code tables and the rest.
//
// A check returns nothing when the value is fine, or a Problem: a rule of
// registry/rules.h (its id and severity) and a message that never
// contains the value itself (the caller shows the value masked or not,
// according to the field). Empty values are the caller's business
// (requiredness); these functions are given non-empty values.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "registry/divisions.h"
#include "registry/rules.h"
#include "registry/schema.h"

namespace xj::registry {

struct Date {
  int y = 0, m = 0, d = 0;
  int ym() const { return y * 100 + m; }
  auto operator<=>(const Date&) const = default;
};

/// Strict "YYYY-MM-DD" of a real calendar date (Gregorian, years 1800-2199).
std::optional<Date> ParseDate(std::string_view text);
/// Completed years of age at `when`.
int AgeAt(const Date& birth, const Date& when);
/// The same day a year earlier (Feb 29 becomes Feb 28).
Date YearBefore(const Date& d);

struct Problem {
  Rule rule;
  std::string message;
  Severity severity() const { return SeverityOf(rule); }
};

/// What a value check may need besides the value.
struct ValueContext {
  const Divisions* divisions = nullptr;
  Date census;                  ///< the report's census date
  std::string_view type_value;  ///< id-number: the document type's value
};

/// Checks `value` (non-empty) against `field`'s validator.
std::optional<Problem> CheckValue(const FieldSpec& field,
                                  std::string_view value,
                                  const ValueContext& context);

/// A GB 11643 citizen ID taken apart (18-character or 15-digit form).
struct CitizenId {
  std::string region;
  Date birth;
  int sequence = 0;
  bool male = false;
};

/// The ISO 7064 MOD 11-2 check character of 17 digits.
char CitizenIdCheckChar(std::string_view first17);

/// Checks a citizen ID (`allow15`: accept the old 15-digit form) and, when
/// it has no error, fills `*out`. Warnings (unknown or retired region,
/// sequence 000) still fill `*out`.
std::optional<Problem> CheckCitizenId(std::string_view id, bool allow15,
                                      const ValueContext& context,
                                      CitizenId* out = nullptr);

/// The parts of an 18-character citizen ID that CheckCitizenId has passed
/// (with no error), without checking it again; nullopt when it is not 17
/// digits and a check character.
std::optional<CitizenId> CitizenIdParts(std::string_view id);

/// The birth date held in a national student number (G: the ID number's;
/// J and L: characters 8-15), when it has one.
std::optional<Date> StudentNumberBirthDate(std::string_view number);

}  // namespace xj::registry
