// Pins the registry grammar: the installed schema parses and every example
// in it passes its own validator; schema errors name their line; each
// validator accepts and refuses what xjpack-registry(5) says, with the
// GB 11643 vectors of tests/data; masking hides what it must.
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "base/os.h"
#include "formats/utf8.h"
#include "registry/data.h"
#include "registry/schema.h"
#include "registry/values.h"
#include "support/registry_data.h"
#include "support/test_util.h"

namespace xj::registry {
namespace {

const RegistryData& Data() { return test::RegistryData(); }

ValueContext Context() {
  ValueContext c;
  c.divisions = &Data().divisions;
  c.census = {2026, 9, 30};
  return c;
}

TEST_CASE(
    "the installed schema parses, names itself and keeps the audit codes") {
  const Schema& s = *Data().schema;
  CHECK(s.id == "anhui-registry");
  CHECK(s.version == "2026.1");
  CHECK(s.sha256.size() == 64);
  for (const char* f : {"school.csv", "classes.csv", "students.csv",
                        "guardians.csv", "changes.csv", "summary.csv"}) {
    CHECK_MESSAGE(s.File(f) != nullptr, f);
  }
  CHECK(s.Table("nationality")->codes.size() == 249);
  CHECK(s.Table("ethnicity")->Contains("56"));
}

TEST_CASE("every example value in the schema passes its own field's check") {
  const Schema& s = *Data().schema;
  for (const FileSpec& file : s.files) {
    for (const FieldSpec& f : file.fields) {
      if (f.example.empty()) continue;
      ValueContext ctx = Context();
      ctx.type_value = "1";
      std::optional<Problem> p = CheckValue(f, f.example, ctx);
      CHECK_MESSAGE(
          !p, file.name << " " << f.name << " example \"" << f.example << "\": "
                        << (p ? std::string(RuleId(p->rule)) + " " + p->message
                              : ""));
    }
  }
}

Status ParseError(std::string text) {
  Result<std::unique_ptr<Schema>> s = ParseSchema(text);
  REQUIRE(!s.ok());
  return s.status();
}

constexpr std::string_view kMini =
    "xjschema/1\nid: t\nversion: 1\ntitle: T\n\n"
    "table: yn\ntitle: Y\ncode: 0 | 否 | no\ncode: 1 | 是 | yes\n\n"
    "file: a.csv\ntitle: A\nrows: many\npresence: required\n"
    "field: x | required | table:yn | none | 甲 | x | 1\n";

TEST_CASE("a schema parses strictly and says which line is wrong") {
  Result<std::unique_ptr<Schema>> ok = ParseSchema(kMini);
  REQUIRE_MESSAGE(ok.ok(), ok.status().ToString());
  CHECK((*ok)->File("a.csv")->fields[0].table->Contains("1"));
  std::string s(kMini);
  CHECK_FAILS_WITH(ParseError("xjschema/2\n"), Code::kMalformed,
                   "line 1: expected \"xjschema/1\"");
  CHECK_FAILS_WITH(ParseError(s.substr(0, s.size() - 1)), Code::kMalformed,
                   "must end with a newline");
  std::string trailing = s;
  trailing.insert(trailing.find("title: T") + 8, " ");
  CHECK_FAILS_WITH(ParseError(trailing), Code::kMalformed,
                   "line 4: trailing whitespace");
  std::string unknown = s;
  unknown.replace(unknown.find("table:yn"), 8, "colour");
  CHECK_FAILS_WITH(ParseError(unknown), Code::kMalformed,
                   "line 15: unknown validator \"colour\"");
  std::string twice =
      s + "field: x | required | date | none | 甲 | x | 2026-01-01\n";
  CHECK_FAILS_WITH(ParseError(twice), Code::kMalformed,
                   "line 16: field \"x\" appears twice");
  std::string no_table = s;
  no_table.replace(no_table.find("table:yn"), 8, "table:zz");
  CHECK_FAILS_WITH(ParseError(no_table), Code::kMalformed,
                   "no table named \"zz\"");
  std::string cond = s;
  cond.replace(cond.find("| required |"), 12, "| required-if y=1 |");
  CHECK_FAILS_WITH(ParseError(cond), Code::kMalformed,
                   "condition names unknown field \"y\"");
  Result<std::unique_ptr<Schema>> lacks =
      ParseSchema(kMini, {{"yn", {"0", "2"}}});
  CHECK_FAILS_WITH(lacks, Code::kMalformed,
                   "table \"yn\" lacks the code \"2\"");
}

// The GB 11643 vectors of tests/data: id,expect,kind,note.
TEST_CASE("GB 11643 vectors: valid, invalid and policy cases") {
  Result<Bytes> text = os::ReadFile(
      std::string(XJPACK_TESTDATA) + "/gb11643-vectors.csv", 1 << 20);
  REQUIRE_MESSAGE(text.ok(), text.status().ToString());
  std::istringstream in{std::string(AsChars(*text))};
  std::string line;
  int checked = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#' || line.rfind("id,", 0) == 0) continue;
    std::string id = line.substr(0, line.find(','));
    std::string rest = line.substr(line.find(',') + 1);
    std::string expect = rest.substr(0, rest.find(','));
    std::string kind = rest.substr(rest.find(',') + 1);
    kind = kind.substr(0, kind.find(','));
    CAPTURE(id);
    CAPTURE(kind);
    std::optional<Problem> p = CheckCitizenId(id, /*allow15=*/true, Context());
    if (expect == "valid" || expect == "valid-legacy") {
      // Valid numbers have no error; a historical region is at most a
      // warning (the national tables lack some pre-2002 codes).
      CHECK((!p || p->severity() == Severity::kWarning));
    } else if (expect == "invalid") {
      REQUIRE(p);
      if (kind == "zero-sequence" || kind == "unknown-region") {
        CHECK(p->severity() == Severity::kWarning);
      } else {
        CHECK(p->severity() == Severity::kError);
      }
      if (kind == "bad-check-digit")
        CHECK(p->rule == Rule::kCitizenIdCheckDigit);
      if (kind == "bad-date") CHECK(p->rule == Rule::kCitizenIdDate);
      if (kind == "future-date") CHECK(p->rule == Rule::kCitizenIdFuture);
      if (kind == "unknown-region") CHECK(p->rule == Rule::kCitizenIdRegion);
      if (kind == "zero-sequence") CHECK(p->rule == Rule::kCitizenIdSequence);
      if (kind == "bad-length") CHECK(p->rule == Rule::kCitizenIdLength);
      if (kind == "bad-charset") CHECK(p->rule == Rule::kCitizenIdCharset);
    } else if (expect == "policy") {
      // Decided once: a lowercase x is refused, with its own rule.
      REQUIRE(p);
      CHECK(p->rule == Rule::kCitizenIdLowercaseX);
    }
    ++checked;
  }
  CHECK(checked == 17);
  // The 15-digit form is for guardians only.
  CHECK(CheckCitizenId("340102870315123", false, Context())->rule ==
        Rule::kCitizenIdLength);
  CHECK(CitizenIdCheckChar("34010219870315123") == '9');
  // Taken apart without checking again, as CheckCitizenId would.
  CitizenId full;
  REQUIRE_FALSE(CheckCitizenId("340102198703151239", false, Context(), &full)
                    .has_value());
  std::optional<CitizenId> parts = CitizenIdParts("340102198703151239");
  REQUIRE(parts);
  CHECK(parts->region == full.region);
  CHECK(parts->birth == full.birth);
  CHECK(parts->sequence == full.sequence);
  CHECK(parts->male == full.male);
  CHECK(parts->male);  // sequence 123: odd
  CHECK_FALSE(CitizenIdParts("34010219870315123"));
  CHECK_FALSE(CitizenIdParts("3401021987031512A9"));
}

// One field of a made-up spec for each validator.
FieldSpec Spec(Validator v, std::int64_t min = 0, std::int64_t max = 0) {
  FieldSpec f;
  f.name = "f";
  f.validator = v;
  f.min = min;
  f.max = max;
  return f;
}

// The rule `v` breaks, or nullopt when it is fine.
std::optional<Rule> RuleOf(const FieldSpec& f, std::string_view v,
                           std::string type = "1") {
  ValueContext ctx = Context();
  ctx.type_value = type;
  std::optional<Problem> p = CheckValue(f, v, ctx);
  if (!p) return std::nullopt;
  return p->rule;
}

TEST_CASE("the table of rules: each rule once, with its id and titles") {
  std::set<std::string_view> ids;
  std::size_t i = 0;
  for (const RuleInfo& r : AllRules()) {
    CAPTURE(r.id);
    CHECK(static_cast<std::size_t>(r.rule) == i++);
    CHECK(ids.insert(r.id).second);
    // Lowercase words joined by '-' and '.', as findings print them.
    bool word = true;
    for (char c : r.id) {
      word = word && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.');
    }
    CHECK(word);
    CHECK(FindRule(r.id) == r.rule);
    CHECK(&Describe(r.rule) == &r);
    CHECK(!r.title_en.empty());
    CHECK(r.title_en.back() != '.');
    // A Chinese title is Chinese: valid UTF-8 with a character beyond
    // ASCII, and short enough for a report's column.
    CHECK(formats::IsValidUtf8(r.title_zh));
    CHECK(std::any_of(r.title_zh.begin(), r.title_zh.end(), [](char c) {
      return static_cast<unsigned char>(c) >= 0x80;
    }));
    CHECK(r.title_zh.size() <= 16 * 3 + 3);
  }
  CHECK(i == static_cast<std::size_t>(Rule::kCount));
  CHECK(!FindRule("citizen-id"));
  CHECK(!FindRule("CITIZEN-ID.CHECK-DIGIT"));
  CHECK(RuleId(Rule::kCitizenIdCheckDigit) == "citizen-id.check-digit");
  CHECK(SeverityOf(Rule::kCitizenIdCheckDigit) == Severity::kError);
  CHECK(SeverityOf(Rule::kMigrantUnflagged) == Severity::kWarning);
  // Each of the two situations that were once one id has its own.
  CHECK(SeverityOf(Rule::kPreviousNewSchool) == Severity::kWarning);
  CHECK(SeverityOf(Rule::kPreviousMissing) == Severity::kError);
}

TEST_CASE("a student number's GB 11643 errors are its own rules") {
  FieldSpec xjh = Spec(Validator::kXjhNational);
  auto rule = [&](std::string_view v) { return RuleOf(xjh, v); };
  CHECK(rule("G340102200203151232") == std::nullopt);
  CHECK(rule("G340102200203151233") == Rule::kXjhCheckDigit);
  CHECK(rule("G34010220020315123x") == Rule::kXjhLowercaseX);
  CHECK(rule("G3401022002031512A2") == Rule::kXjhCharset);
  CHECK(rule("G340102200202301235") == Rule::kXjhDate);
  CHECK(rule("G340102203001011235") == Rule::kXjhFuture);
}

TEST_CASE("a value that is not a code is not repeated in the message") {
  // Found by fuzzing: the message quoted the value, which the caller shows
  // only masked as the field's schema says.
  CodeTable t;
  t.name = "sex";
  t.codes = {{"1", "男", "male"}, {"2", "女", "female"}};
  FieldSpec sex = Spec(Validator::kTable);
  sex.table = &t;
  std::optional<Problem> p = CheckValue(sex, "3401021987", Context());
  REQUIRE(p);
  CHECK(p->rule == Rule::kCodeUnknown);
  CHECK(p->message == "not a code of sex (expected 1 男, 2 女)");
}

TEST_CASE("each validator accepts its form and names the rule it breaks") {
  FieldSpec text = Spec(Validator::kText, 0, 5);
  CHECK(RuleOf(text, "学籍数据") == std::nullopt);
  CHECK(RuleOf(text, "abcdef") == Rule::kTextLength);
  CHECK(RuleOf(text, " ab") == Rule::kTextWhitespace);
  CHECK(RuleOf(text, "a\tb") == Rule::kTextControl);
  FieldSpec name = Spec(Validator::kName);
  CHECK(RuleOf(name, "王小明") == std::nullopt);
  CHECK(RuleOf(name, "阿依古丽·买买提") == std::nullopt);
  CHECK(RuleOf(name, "John Smith") == std::nullopt);
  CHECK(RuleOf(name, "王2") == Rule::kNameFormat);
  CHECK(RuleOf(name, "王Smith") == Rule::kNameFormat);
  CHECK(RuleOf(name, "王·") == Rule::kNameFormat);
  CHECK(RuleOf(name, "阿·・买") == Rule::kNameFormat);
  CHECK(RuleOf(name, "阿・·买") == Rule::kNameFormat);
  FieldSpec grade = Spec(Validator::kInt, 1, 12);
  CHECK(RuleOf(grade, "12") == std::nullopt);
  CHECK(RuleOf(grade, "13") == Rule::kIntRange);
  CHECK(RuleOf(grade, "05") == Rule::kIntFormat);
  FieldSpec date = Spec(Validator::kDate);
  CHECK(RuleOf(date, "2016-02-29") == std::nullopt);
  CHECK(RuleOf(date, "2015-02-29") == Rule::kDateInvalid);
  CHECK(RuleOf(date, "2015/02/28") == Rule::kDateFormat);
  CHECK(RuleOf(Spec(Validator::kYearMonth), "2021-09") == std::nullopt);
  CHECK(RuleOf(Spec(Validator::kYearMonth), "2021-13") ==
        Rule::kYearMonthFormat);
  FieldSpec xjh = Spec(Validator::kXjhNational);
  CHECK(RuleOf(xjh, "G340102200203151232") == std::nullopt);
  CHECK(RuleOf(xjh, "G340102200203151233") == Rule::kXjhCheckDigit);
  CHECK(RuleOf(xjh, "L340102200202301234") == Rule::kXjhDate);
  CHECK(RuleOf(xjh, "L3401022002031512345") == Rule::kXjhFormat);
  CHECK(RuleOf(xjh, "X340102200203151232") == Rule::kXjhFormat);
  CHECK(RuleOf(xjh, "J340102200203151232") == std::nullopt);
  FieldSpec anhui = Spec(Validator::kXjhAnhui);
  CHECK(RuleOf(anhui, "3401021512310001") == std::nullopt);
  CHECK(RuleOf(anhui, "3201021512310001") == Rule::kXjhAnhuiFormat);
  CHECK(RuleOf(anhui, "3499991512310001") == Rule::kXjhAnhuiCounty);
  CHECK(RuleOf(anhui, "3401021512390001") == Rule::kXjhAnhuiFeature);
  CHECK(RuleOf(anhui, "3401021512310000") == Rule::kXjhAnhuiSerial);
  FieldSpec school = Spec(Validator::kSchoolCode);
  CHECK(RuleOf(school, "2134000123") == std::nullopt);
  CHECK(RuleOf(school, "213400012") == Rule::kSchoolCodeFormat);
  CHECK(RuleOf(school, "9934000123") == Rule::kSchoolCodeType);
  CHECK(RuleOf(school, "2199000123") == Rule::kSchoolCodeProvince);
  FieldSpec div = Spec(Validator::kDivision);
  CHECK(RuleOf(div, "341421") ==
        std::nullopt);  // retired (Chaohu), still known
  CHECK(RuleOf(div, "349999") == Rule::kDivisionUnknown);
  CHECK(RuleOf(div, "34010") == Rule::kDivisionFormat);
  FieldSpec county = Spec(Validator::kAnhuiCounty);
  CHECK(RuleOf(county, "340104") == std::nullopt);
  CHECK(RuleOf(county, "341421") == Rule::kAnhuiCountyUnknown);  // gone by 2026
  CHECK(RuleOf(county, "320102") == Rule::kAnhuiCountyUnknown);
  CHECK(RuleOf(county, "3401") == Rule::kAnhuiCountyFormat);
  CHECK(RuleOf(Spec(Validator::kPostcode), "230031") == std::nullopt);
  CHECK(RuleOf(Spec(Validator::kPostcode), "930031") == Rule::kPostcodeFormat);
  FieldSpec phone = Spec(Validator::kPhone);
  CHECK(RuleOf(phone, "13800000000") == std::nullopt);
  CHECK(RuleOf(phone, "0551-62345678") == std::nullopt);
  CHECK(RuleOf(phone, "0551-62345678-123") == std::nullopt);
  CHECK(RuleOf(phone, "055162345678") == Rule::kPhoneFormat);
  CHECK(RuleOf(phone, "12800000000") == Rule::kPhoneFormat);
  FieldSpec doc = Spec(Validator::kDocNo);
  CHECK(RuleOf(doc, "瑶教基〔2026〕12号") == std::nullopt);
  CHECK(RuleOf(doc, "瑶教基[2026]12号") == Rule::kDocNoFormat);
  CHECK(RuleOf(doc, "瑶教基〔2027〕12号") == Rule::kDocNoYear);
  CHECK(RuleOf(Spec(Validator::kClassNo), "12") == std::nullopt);
  CHECK(RuleOf(Spec(Validator::kClassNo), "012") == Rule::kClassNoFormat);
  CHECK(RuleOf(Spec(Validator::kPhoto), "photos/G340102200203151232.jpg") ==
        std::nullopt);
  CHECK(RuleOf(Spec(Validator::kPhoto), "photos/../x.jpg") == Rule::kPhotoName);
  CHECK(RuleOf(Spec(Validator::kPhoto), "G3401.png") == Rule::kPhotoName);
  FieldSpec idn = Spec(Validator::kIdNumber);
  CHECK(RuleOf(idn, "340102200203151232", "1") == std::nullopt);
  CHECK(RuleOf(idn, "340102200203151233", "1") == Rule::kCitizenIdCheckDigit);
  CHECK(RuleOf(idn, "E12345678", "A") ==
        std::nullopt);  // a passport: free text
  CHECK(RuleOf(Spec(Validator::kIdNumberAny), "340102870315123", "1") ==
        std::nullopt);
  FieldSpec table = Spec(Validator::kTable);
  table.table = Data().schema->Table("sex");
  CHECK(RuleOf(table, "2") == std::nullopt);
  CHECK(RuleOf(table, "0") == Rule::kCodeUnknown);
}

TEST_CASE("retired region codes pass, but not after they were retired") {
  // 341421 (庐江县 under Chaohu) was retired in 2011: fine for a 2001 birth.
  CHECK(!CheckCitizenId("341421200111300073", false, Context()));
  std::string late = "34142120150301001";
  late += CitizenIdCheckChar(late);
  std::optional<Problem> p = CheckCitizenId(late, false, Context());
  REQUIRE(p);
  CHECK(p->rule == Rule::kCitizenIdRegionRetired);
  CHECK(p->severity() == Severity::kWarning);
}

TEST_CASE(
    "masking keeps what places a record, never what identifies a person") {
  CHECK(MaskValue(Mask::kId, "34010219870315123X") == "3401**********123X");
  CHECK(MaskValue(Mask::kId, "G34010219870315123X") == "G3401**********123X");
  CHECK(MaskValue(Mask::kId, "photos/G34010219870315123X.jpg") ==
        "photos/G3401**********123X.jpg");
  CHECK(MaskValue(Mask::kName, "张三丰") == "张**");
  CHECK(MaskValue(Mask::kDate, "2015-03-01") == "2015-**-**");
  CHECK(MaskValue(Mask::kPhone, "13800001234") == "138****1234");
  CHECK(MaskValue(Mask::kAddress, "安徽省合肥市瑶海区示例街道12号") ==
        "安徽省合肥市…");
  CHECK(MaskValue(Mask::kNone, "340102") == "340102");
  // Masks count characters, not bytes: nothing is cut in half.
  CHECK(MaskValue(Mask::kId, "港澳通行证一二三四五六") ==
        "港澳通行***三四五六");
  CHECK(MaskValue(Mask::kPhone, "123") == "***");
  // Found by fuzzing: a date mask kept four bytes, half of a character.
  CHECK(MaskValue(Mask::kDate, "王建国") == "****-**-**");
  CHECK(MaskValue(Mask::kDate, "2015年3月") == "2015-**-**");
}

TEST_CASE("dates: parsing, ages and the year before") {
  CHECK(!ParseDate("2026-9-30"));
  CHECK(AgeAt({2015, 10, 1}, {2026, 9, 30}) == 10);
  CHECK(AgeAt({2015, 9, 30}, {2026, 9, 30}) == 11);
  Date d = YearBefore({2028, 2, 29});
  CHECK(d == Date{2027, 2, 28});
}

}  // namespace
}  // namespace xj::registry
