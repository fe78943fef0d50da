// The audit rules. Every finding of a registry check or a merge's audit
// names one rule, and this table is the one place a rule is named: its
// stable id (what findings, reports and audit.json carry), its severity and
// its title in Chinese and English. The checker, the merge audit, the
// defect planter of synth, the tests and the check of the man pages
// (xjpack-check(1), xjpack-merge(1)) all read it; a rule id spelled
// anywhere else is a compile error, not a finding nobody expects.
//
// Ids are stable: a rule may be added, never renamed or removed.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace xj::registry {

enum class Severity { kError, kWarning };

// In the order of the man pages. A new rule goes at the end of its group,
// with its row at the same place in the table of rules.cc.
enum class Rule : std::uint8_t {
  // Reading the files
  kCsvMalformed,
  kCsvHeader,
  kFileMissing,
  kFileRows,

  // Values (the validators of xjpack-registry(5))
  kRequired,
  kTextControl,
  kTextWhitespace,
  kTextLength,
  kNameFormat,
  kIntFormat,
  kIntRange,
  kDateFormat,
  kDateInvalid,
  kYearMonthFormat,
  kCitizenIdLength,
  kCitizenIdCharset,
  kCitizenIdLowercaseX,
  kCitizenIdCheckDigit,
  kCitizenIdDate,
  kCitizenIdFuture,
  kCitizenIdRegion,
  kCitizenIdRegionRetired,
  kCitizenIdSequence,
  kXjhFormat,
  kXjhCharset,
  kXjhLowercaseX,
  kXjhCheckDigit,
  kXjhDate,
  kXjhFuture,
  kXjhAnhuiFormat,
  kXjhAnhuiCounty,
  kXjhAnhuiFeature,
  kXjhAnhuiSerial,
  kSchoolCodeFormat,
  kSchoolCodeType,
  kSchoolCodeProvince,
  kDivisionFormat,
  kDivisionUnknown,
  kAnhuiCountyFormat,
  kAnhuiCountyUnknown,
  kPostcodeFormat,
  kPhoneFormat,
  kCodeUnknown,
  kDocNoFormat,
  kDocNoYear,
  kClassNoFormat,
  kPhotoName,

  // school.csv
  kSchoolProvince,
  kSchoolType,

  // classes.csv
  kClassDuplicate,
  kGradeSchoolType,

  // students.csv
  kCitizenIdBirthDate,
  kCitizenIdSex,
  kStudentNoIdNumber,
  kStudentNoBirthDate,
  kXjhAnhuiSex,
  kUniqueStudentNo,
  kUniqueIdNumber,
  kClassMissing,
  kBirthDateFuture,
  kAgeGrade,
  kEntryDateFuture,
  kMigrantUnflagged,
  kMigrantInconsistent,
  kInclusiveDisability,
  kDisabilityHealth,
  kPhotoMissing,
  kPhotoSize,
  kPhotoJpeg,
  kPhotoUnreadable,
  kGuardianMissing,
  kGuardianIdRequired,

  // guardians.csv
  kGuardianStudent,

  // changes.csv
  kUniqueChangeId,
  kChangePeriod,
  kChangeApprovalDate,
  kChangeStudentPresent,
  kChangeStudentMissing,
  kChangeDropoutStatus,
  kChangeWithdrawalCompulsory,
  kChangeSelfTransfer,

  // summary.csv
  kSummaryShape,
  kSummaryDuplicate,
  kSummaryEnrolled,
  kSummaryStatus,
  kSummaryChanges,

  // Last year (check --previous)
  kPreviousNewSchool,
  kPreviousMissing,
  kPreviousMalformed,
  kYoyVanished,
  kYoySuspension,
  kYoySuspensionUnrecorded,
  kYoyDropout,
  kYoyGrade,
  kYoyNoOrigin,

  // Across schools
  kDuplicateAcrossSchools,

  // A merge's audit (xjpack-merge(1))
  kMergeSigner,
  kMergeTransferInMissing,
  kMergeTransferOutMissing,
  kMergeMissing,
  kMergeCertChanged,
  kMergeKeyChanged,

  kCount  // not a rule: how many there are
};

struct RuleInfo {
  Rule rule;
  std::string_view id;  ///< e.g. "citizen-id.check-digit"
  Severity severity;
  std::string_view title_zh;  ///< what a clerk reads, e.g. a report heading
  std::string_view title_en;
};

/// Every rule, in the order of the enum (the man pages' order).
std::span<const RuleInfo> AllRules();
const RuleInfo& Describe(Rule rule);
inline std::string_view RuleId(Rule rule) { return Describe(rule).id; }
inline Severity SeverityOf(Rule rule) { return Describe(rule).severity; }
/// The rule with this id, if any.
std::optional<Rule> FindRule(std::string_view id);
/// "error" or "warning", as findings and answer keys spell it.
std::string_view SeverityName(Severity severity);

}  // namespace xj::registry
