#include "registry/values.h"

#include <algorithm>
#include <charconv>

#include "formats/utf8.h"

namespace xj::registry {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// The value of a run of digits (the caller has checked they are digits).
int Num(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

bool IsReal(int y, int m, int d) {
  return y >= 1800 && y <= 2199 && m >= 1 && m <= 12 && d >= 1 &&
         d <= DaysInMonth(y, m);
}

// A value breaks `rule` (registry/rules.h says whether that is an error or
// a warning).
Problem Flag(Rule rule, std::string message) {
  return {rule, std::move(message)};
}

// The student number's rule for an error that the GB 11643 check found in
// the ID number inside it.
Rule AsStudentNumberRule(Rule citizen_id_rule) {
  switch (citizen_id_rule) {
    case Rule::kCitizenIdCharset:
      return Rule::kXjhCharset;
    case Rule::kCitizenIdLowercaseX:
      return Rule::kXjhLowercaseX;
    case Rule::kCitizenIdCheckDigit:
      return Rule::kXjhCheckDigit;
    case Rule::kCitizenIdDate:
      return Rule::kXjhDate;
    case Rule::kCitizenIdFuture:
      return Rule::kXjhFuture;
    default:  // the 17 characters after G or J have no other errors
      return Rule::kXjhFormat;
  }
}

// Decodes one code point of valid UTF-8 at s[i], advancing i.
char32_t NextCodePoint(std::string_view s, std::size_t* i) {
  unsigned char c = static_cast<unsigned char>(s[*i]);
  int n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
  char32_t cp = n == 1 ? c : n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
  for (int k = 1; k < n && *i + k < s.size(); ++k) {
    cp = cp << 6 | (static_cast<unsigned char>(s[*i + k]) & 0x3F);
  }
  *i += n;
  return cp;
}

std::size_t CodePoints(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

bool IsCjk(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2EBEF) ||
         (c >= 0x30000 && c <= 0x3134F) || c == 0x3007;
}

std::optional<Problem> CheckText(std::string_view v, std::int64_t max) {
  // One pass: control characters, and the characters counted (every byte
  // that does not continue a UTF-8 sequence).
  std::int64_t chars = 0;
  bool control = false;
  for (char c : v) {
    unsigned char u = static_cast<unsigned char>(c);
    control |= u < 0x20 || u == 0x7f;
    chars += (u & 0xC0) != 0x80;
  }
  if (control) {
    return Flag(Rule::kTextControl, "holds a control character or line break");
  }
  if (v.front() == ' ' || v.back() == ' ' || v.substr(0, 3) == "\u3000" ||
      (v.size() >= 3 && v.substr(v.size() - 3) == "\u3000")) {
    return Flag(Rule::kTextWhitespace, "begins or ends with a space");
  }
  if (chars > max) {
    return Flag(Rule::kTextLength,
                fmt::format("longer than {} characters", max));
  }
  return std::nullopt;
}

// A person's name: CJK characters, or Latin letters with single spaces, and
// the middle dot of transliterated minority and foreign names.
std::optional<Problem> CheckName(std::string_view v) {
  std::size_t n = CodePoints(v);
  if (n > 30) return Flag(Rule::kNameFormat, "longer than 30 characters");
  bool cjk = false, latin = false;
  char32_t prev = 0;
  std::size_t i = 0;
  while (i < v.size()) {
    char32_t c = NextCodePoint(v, &i);
    bool ok = false;
    if (IsCjk(c)) {
      ok = cjk = true;
    } else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) {
      ok = latin = true;
    } else if (c == 0x00B7 || c == 0x30FB || c == ' ') {  // · ・ and space
      // A separator only between letters, never two in a row.
      ok = prev != 0 && prev != ' ' && prev != 0x00B7 && prev != 0x30FB;
    }
    if (!ok) {
      return Flag(Rule::kNameFormat,
                  "expected Chinese characters or Latin letters (a middle dot "
                  "between parts is allowed), no digits or symbols");
    }
    prev = c;
  }
  if (prev == ' ' || prev == 0x00B7 || prev == 0x30FB) {
    return Flag(Rule::kNameFormat, "ends with a separator");
  }
  if (cjk && latin) {
    return Flag(Rule::kNameFormat,
                "mixes Chinese characters and Latin letters");
  }
  return std::nullopt;
}

std::optional<Problem> CheckInt(std::string_view v, std::int64_t min,
                                std::int64_t max) {
  if (!AllDigits(v) || (v.size() > 1 && v[0] == '0') || v.size() > 12) {
    return Flag(Rule::kIntFormat,
                "expected a whole number without leading zeros");
  }
  std::int64_t n = 0;
  std::from_chars(v.data(), v.data() + v.size(), n);
  if (n < min || n > max) {
    return Flag(Rule::kIntRange, fmt::format("expected {} to {}", min, max));
  }
  return std::nullopt;
}

std::optional<Problem> CheckDate(std::string_view v) {
  if (v.size() != 10 || v[4] != '-' || v[7] != '-' ||
      !AllDigits(v.substr(0, 4)) || !AllDigits(v.substr(5, 2)) ||
      !AllDigits(v.substr(8, 2))) {
    return Flag(Rule::kDateFormat, "expected a date as YYYY-MM-DD");
  }
  if (!IsReal(Num(v.substr(0, 4)), Num(v.substr(5, 2)), Num(v.substr(8, 2))))
    return Flag(Rule::kDateInvalid, "not a real calendar date");
  return std::nullopt;
}

std::optional<Problem> CheckYearMonth(std::string_view v) {
  if (v.size() != 7 || v[4] != '-' || !AllDigits(v.substr(0, 4)) ||
      !AllDigits(v.substr(5, 2)) || Num(v.substr(5, 2)) < 1 ||
      Num(v.substr(5, 2)) > 12 || Num(v.substr(0, 4)) < 1900) {
    return Flag(Rule::kYearMonthFormat, "expected a month as YYYY-MM");
  }
  return std::nullopt;
}

// National student number: G + 18-character citizen ID, J + 18 characters
// built like one, L + 6-digit region + 8-digit birth date + 4 digits.
std::optional<Problem> CheckStudentNumber(std::string_view v,
                                          const ValueContext& ctx) {
  if (v.size() != 19 || (v[0] != 'G' && v[0] != 'J' && v[0] != 'L')) {
    return Flag(Rule::kXjhFormat,
                "expected G, J or L followed by 18 characters (national "
                "student number)");
  }
  std::string_view rest = v.substr(1);
  if (v[0] == 'L') {
    if (!AllDigits(rest)) {
      return Flag(Rule::kXjhFormat,
                  "a temporary (L) number has 18 digits after the L");
    }
    if (!IsReal(Num(rest.substr(6, 4)), Num(rest.substr(10, 2)),
                Num(rest.substr(12, 2)))) {
      return Flag(Rule::kXjhDate,
                  "the birth date inside the number is not a real date");
    }
    return std::nullopt;
  }
  // G and J: the GB 11643 structure, check digit included; region warnings
  // are left to the ID number field.
  ValueContext no_regions = ctx;
  no_regions.divisions = nullptr;
  std::optional<Problem> p = CheckCitizenId(rest, false, no_regions);
  if (p && p->severity() == Severity::kError)
    return Flag(AsStudentNumberRule(p->rule), p->message);
  return std::nullopt;
}

// Anhui's own 16-digit number: 34 + city 2 + county 2 + entry year 2 +
// school district 3 + feature 1 (1-8) + serial 4 (not 0000).
std::optional<Problem> CheckAnhuiNumber(std::string_view v,
                                        const ValueContext& ctx) {
  if (v.size() != 16 || !AllDigits(v) || v.substr(0, 2) != "34") {
    return Flag(Rule::kXjhAnhuiFormat, "expected 16 digits beginning 34");
  }
  if (ctx.divisions != nullptr) {
    const Division* d = ctx.divisions->Find(v.substr(0, 6));
    if (d == nullptr || d->level != "county") {
      return Flag(Rule::kXjhAnhuiCounty,
                  "the first six digits are not an Anhui county-level code");
    }
  }
  if (v[11] < '1' || v[11] > '8') {
    return Flag(Rule::kXjhAnhuiFeature,
                "the feature digit (12th) must be 1 to 8");
  }
  if (v.substr(12) == "0000") {
    return Flag(Rule::kXjhAnhuiSerial,
                "the serial number (last four digits) is 0000");
  }
  return std::nullopt;
}

std::optional<Problem> CheckSchoolCode(std::string_view v) {
  if (v.size() != 10 || !AllDigits(v)) {
    return Flag(Rule::kSchoolCodeFormat,
                "expected 10 digits (school identifier code)");
  }
  static constexpr std::string_view kTypes[] = {"21", "22", "31", "32", "33",
                                                "34", "35", "37", "51"};
  if (std::find(std::begin(kTypes), std::end(kTypes), v.substr(0, 2)) ==
      std::end(kTypes)) {
    return Flag(Rule::kSchoolCodeType,
                "the first two digits are not a school type");
  }
  int province = Num(v.substr(2, 2));
  if (province < 11 || province > 82) {
    return Flag(Rule::kSchoolCodeProvince,
                "digits 3-4 are not a province code (Anhui is 34)");
  }
  return std::nullopt;
}

std::optional<Problem> CheckDivision(std::string_view v,
                                     const ValueContext& ctx) {
  if (v.size() != 6 || !AllDigits(v)) {
    return Flag(Rule::kDivisionFormat,
                "expected a 6-digit division code (GB/T 2260)");
  }
  if (ctx.divisions != nullptr && ctx.divisions->Find(v) == nullptr) {
    return Flag(Rule::kDivisionUnknown, "not a known division code");
  }
  return std::nullopt;
}

std::optional<Problem> CheckAnhuiCounty(std::string_view v,
                                        const ValueContext& ctx) {
  if (v.size() != 6 || !AllDigits(v)) {
    return Flag(Rule::kAnhuiCountyFormat,
                "expected a 6-digit county code (GB/T 2260)");
  }
  if (ctx.divisions != nullptr) {
    const Division* d = ctx.divisions->Find(v);
    if (d == nullptr || v.substr(0, 2) != "34" || d->level != "county" ||
        !d->InUseAt(ctx.census.ym())) {
      return Flag(
          Rule::kAnhuiCountyUnknown,
          "not an Anhui county-level division in use at the census date");
    }
  }
  return std::nullopt;
}

std::optional<Problem> CheckPhone(std::string_view v) {
  // Mobile: 11 digits from 13x-19x. Landline: 0 + 2-3 digit area code, a
  // dash, 7-8 digits, and an optional -extension.
  if (v.size() == 11 && AllDigits(v) && v[0] == '1' && v[1] >= '3') {
    return std::nullopt;
  }
  std::size_t dash = v.find('-');
  if (v.size() > 0 && v[0] == '0' && dash != std::string_view::npos &&
      (dash == 3 || dash == 4) && AllDigits(v.substr(0, dash))) {
    std::string_view rest = v.substr(dash + 1);
    std::size_t ext = rest.find('-');
    std::string_view local = rest.substr(0, ext);
    if ((local.size() == 7 || local.size() == 8) && AllDigits(local) &&
        (ext == std::string_view::npos ||
         (AllDigits(rest.substr(ext + 1)) && rest.size() - ext - 1 <= 6))) {
      return std::nullopt;
    }
  }
  return Flag(Rule::kPhoneFormat,
              "expected a mobile number (11 digits) or a landline like "
              "0551-62345678");
}

// 瑶教基〔2026〕12号: an issuer prefix, the year in 〔〕, a number, 号.
std::optional<Problem> CheckDocNo(std::string_view v, const ValueContext& ctx) {
  constexpr std::string_view kOpen = "\u3014", kClose = "\u3015",
                             kHao = "\u53F7";
  std::size_t open = v.find(kOpen);
  std::size_t close = v.find(kClose);
  auto bad = [] {
    return Flag(Rule::kDocNoFormat,
                "expected an approval number like 瑶教基〔2026〕12号");
  };
  if (open == std::string_view::npos || open == 0 || close != open + 3 + 4) {
    return bad();
  }
  std::string_view year = v.substr(open + 3, 4);
  std::string_view tail = v.substr(close + 3);
  if (!AllDigits(year) || tail.size() < 4 ||
      tail.substr(tail.size() - 3) != kHao ||
      !AllDigits(tail.substr(0, tail.size() - 3))) {
    return bad();
  }
  if (ctx.census.y != 0 && Num(year) > ctx.census.y) {
    return Flag(Rule::kDocNoYear, "the year in the number is after the census");
  }
  return std::nullopt;
}

std::optional<Problem> CheckPhoto(std::string_view v) {
  constexpr std::string_view kDir = "photos/", kExt = ".jpg";
  if (v.size() <= kDir.size() + kExt.size() ||
      v.substr(0, kDir.size()) != kDir ||
      v.substr(v.size() - kExt.size()) != kExt) {
    return Flag(Rule::kPhotoName, "expected photos/<name>.jpg");
  }
  std::string_view stem =
      v.substr(kDir.size(), v.size() - kDir.size() - kExt.size());
  for (char c : stem) {
    if (!(IsDigit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
          c == '_' || c == '-')) {
      return Flag(Rule::kPhotoName,
                  "photo names use letters, digits, '_' and '-'");
    }
  }
  return std::nullopt;
}

std::optional<Problem> CheckTable(const CodeTable& t, std::string_view v) {
  if (t.Contains(v)) return std::nullopt;
  std::string expected;
  if (t.codes.size() <= 12) {
    for (const CodeEntry& c : t.codes) {
      if (!expected.empty()) expected += ", ";
      expected += c.code + " " + c.zh;
    }
  } else {
    expected =
        fmt::format("one of the {} codes of table {}", t.codes.size(), t.name);
  }
  // The value is not repeated: the caller shows it, masked as its field says.
  return Flag(Rule::kCodeUnknown,
              fmt::format("not a code of {} (expected {})", t.name, expected));
}

}  // namespace

std::optional<Date> ParseDate(std::string_view v) {
  if (v.size() != 10 || v[4] != '-' || v[7] != '-' ||
      !AllDigits(v.substr(0, 4)) || !AllDigits(v.substr(5, 2)) ||
      !AllDigits(v.substr(8, 2))) {
    return std::nullopt;
  }
  Date d{Num(v.substr(0, 4)), Num(v.substr(5, 2)), Num(v.substr(8, 2))};
  if (!IsReal(d.y, d.m, d.d)) return std::nullopt;
  return d;
}

int AgeAt(const Date& birth, const Date& when) {
  int age = when.y - birth.y;
  if (when.m < birth.m || (when.m == birth.m && when.d < birth.d)) --age;
  return age;
}

Date YearBefore(const Date& d) {
  Date out{d.y - 1, d.m, d.d};
  if (out.m == 2 && out.d == 29 && !IsLeap(out.y)) out.d = 28;
  return out;
}

char CitizenIdCheckChar(std::string_view first17) {
  static constexpr int kWeights[17] = {7, 9, 10, 5,  8, 4, 2, 1, 6,
                                       3, 7, 9,  10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (first17[i] - '0') * kWeights[i];
  return "10X98765432"[sum % 11];
}

std::optional<Problem> CheckCitizenId(std::string_view v, bool allow15,
                                      const ValueContext& ctx, CitizenId* out) {
  CitizenId id;
  if (v.size() == 15 && allow15) {
    if (!AllDigits(v)) {
      return Flag(Rule::kCitizenIdCharset,
                  "a 15-digit ID number has digits only");
    }
    id.birth = {1900 + Num(v.substr(6, 2)), Num(v.substr(8, 2)),
                Num(v.substr(10, 2))};
    id.sequence = Num(v.substr(12, 3));
  } else if (v.size() == 18) {
    // The digits checked and weighed in one pass.
    static constexpr int kWeights[17] = {7, 9, 10, 5,  8, 4, 2, 1, 6,
                                         3, 7, 9,  10, 5, 8, 4, 2};
    unsigned d[17];
    unsigned bad = 0;
    int sum = 0;
    for (int i = 0; i < 17; ++i) {
      d[i] = static_cast<unsigned>(static_cast<unsigned char>(v[i]) - '0');
      bad |= d[i] > 9;
      sum += static_cast<int>(d[i]) * kWeights[i];
    }
    if (bad || !(IsDigit(v[17]) || v[17] == 'X')) {
      if (v[17] == 'x' && !bad) {
        return Flag(Rule::kCitizenIdLowercaseX,
                    "the check character X must be uppercase");
      }
      return Flag(Rule::kCitizenIdCharset,
                  "expected 17 digits and a check digit or X");
    }
    if ("10X98765432"[sum % 11] != v[17]) {
      return Flag(Rule::kCitizenIdCheckDigit,
                  "the check digit does not match the other 17 digits");
    }
    id.birth = {static_cast<int>(d[6] * 1000 + d[7] * 100 + d[8] * 10 + d[9]),
                static_cast<int>(d[10] * 10 + d[11]),
                static_cast<int>(d[12] * 10 + d[13])};
    id.sequence = static_cast<int>(d[14] * 100 + d[15] * 10 + d[16]);
  } else {
    return Flag(Rule::kCitizenIdLength,
                allow15 ? "expected 18 characters (or the old 15 digits)"
                        : "expected 18 characters");
  }
  if (!IsReal(id.birth.y, id.birth.m, id.birth.d)) {
    return Flag(Rule::kCitizenIdDate,
                "the birth date inside the number is not a real date");
  }
  if (ctx.census.y != 0 && ctx.census < id.birth) {
    return Flag(Rule::kCitizenIdFuture,
                "the birth date inside the number is after the census");
  }
  id.male = id.sequence % 2 == 1;
  if (out != nullptr) {
    *out = id;
    out->region = std::string(v.substr(0, 6));
  }
  if (ctx.divisions != nullptr) {
    const Division* d = ctx.divisions->Find(v.substr(0, 6));
    if (d == nullptr) {
      return Flag(Rule::kCitizenIdRegion,
                  "the region code (first six digits) is not in the division "
                  "tables (old codes may be missing)");
    }
    if (!d->current && d->last_seen + 100 < id.birth.ym()) {
      return Flag(Rule::kCitizenIdRegionRetired,
                  "the region code was retired before the birth date inside "
                  "the number");
    }
  }
  if (id.sequence == 0) {
    return Flag(Rule::kCitizenIdSequence,
                "the sequence code 000 is never assigned");
  }
  return std::nullopt;
}

std::optional<CitizenId> CitizenIdParts(std::string_view v) {
  if (v.size() != 18 || !AllDigits(v.substr(0, 17))) return std::nullopt;
  CitizenId id;
  id.region = std::string(v.substr(0, 6));
  id.birth = {Num(v.substr(6, 4)), Num(v.substr(10, 2)), Num(v.substr(12, 2))};
  id.sequence = Num(v.substr(14, 3));
  id.male = id.sequence % 2 == 1;
  return id;
}

std::optional<Date> StudentNumberBirthDate(std::string_view v) {
  if (v.size() != 19) return std::nullopt;
  std::string_view digits = v.substr(7, 8);
  if (!AllDigits(digits)) return std::nullopt;
  int y = Num(digits.substr(0, 4)), m = Num(digits.substr(4, 2)),
      d = Num(digits.substr(6, 2));
  if (!IsReal(y, m, d)) return std::nullopt;
  return Date{y, m, d};
}

std::optional<Problem> CheckValue(const FieldSpec& f, std::string_view v,
                                  const ValueContext& ctx) {
  switch (f.validator) {
    case Validator::kText:
      return CheckText(v, f.max);
    case Validator::kName:
      return CheckName(v);
    case Validator::kInt:
      return CheckInt(v, f.min, f.max);
    case Validator::kDate:
      return CheckDate(v);
    case Validator::kYearMonth:
      return CheckYearMonth(v);
    case Validator::kCitizenId:
      return CheckCitizenId(v, false, ctx);
    case Validator::kCitizenIdAny:
      return CheckCitizenId(v, true, ctx);
    case Validator::kIdNumber:
    case Validator::kIdNumberAny:
      // Only a resident identity card (type 1) has GB 11643 structure;
      // other documents are free text.
      if (ctx.type_value.size() == 1 && ctx.type_value[0] == '1') {
        return CheckCitizenId(v, f.validator == Validator::kIdNumberAny, ctx);
      }
      return CheckText(v, 40);
    case Validator::kXjhNational:
      return CheckStudentNumber(v, ctx);
    case Validator::kXjhAnhui:
      return CheckAnhuiNumber(v, ctx);
    case Validator::kSchoolCode:
      return CheckSchoolCode(v);
    case Validator::kDivision:
      return CheckDivision(v, ctx);
    case Validator::kAnhuiCounty:
      return CheckAnhuiCounty(v, ctx);
    case Validator::kPostcode:
      if (v.size() != 6 || !AllDigits(v) || v[0] == '9') {
        return Flag(Rule::kPostcodeFormat, "expected a 6-digit postcode");
      }
      return std::nullopt;
    case Validator::kPhone:
      return CheckPhone(v);
    case Validator::kTable:
      return CheckTable(*f.table, v);
    case Validator::kDocNo:
      return CheckDocNo(v, ctx);
    case Validator::kClassNo:
      if (v.empty() || v.size() > 2 || !AllDigits(v) || v[0] == '0') {
        return Flag(Rule::kClassNoFormat, "expected a class number 1 to 99");
      }
      return std::nullopt;
    case Validator::kPhoto:
      return CheckPhoto(v);
  }
  return std::nullopt;
}

}  // namespace xj::registry
