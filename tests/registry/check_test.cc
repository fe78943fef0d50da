// Pins the registry audit: a synthetic school checks clean; with planted
// defects the check reports exactly the answer key; and each record-level
// rule the defects do not cover fails on a small edit of a clean school,
// with exactly the findings expected and nothing else.
#include "registry/check.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "base/os.h"
#include "formats/csv.h"
#include "support/registry_data.h"
#include "support/test_util.h"
#include "synth/synth.h"

namespace xj::registry {
namespace {

using pack::Synthesize;
using pack::SynthOptions;
using pack::SynthTotals;

const RegistryData& Data() { return test::RegistryData(); }

class Collect final : public FindingSink {
 public:
  void Report(const Finding& f) override { findings.push_back(f); }
  std::vector<Finding> findings;
  std::multiset<Rule> Rules() const {
    std::multiset<Rule> r;
    for (const Finding& f : findings) r.insert(f.rule);
    return r;
  }
};

// A CSV file loaded for editing; saved back with CRLF like Excel.
struct Csv {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;

  static Csv Load(const std::string& path) {
    Result<std::unique_ptr<formats::csv::Reader>> r =
        formats::csv::Reader::Open(path, "x");
    REQUIRE(r.ok());
    Csv c;
    c.header = *(*r)->ReadHeader();
    while (*(*r)->Next())
      c.rows.emplace_back((*r)->fields().begin(), (*r)->fields().end());
    return c;
  }
  void Save(const std::string& path) const {
    Bytes out;
    MemorySink sink(&out);
    formats::csv::Writer w(&sink);
    std::vector<std::string_view> v(header.begin(), header.end());
    REQUIRE(w.Write(v).ok());
    for (const auto& row : rows) {
      v.assign(row.begin(), row.end());
      REQUIRE(w.Write(v).ok());
    }
    REQUIRE(w.Flush().ok());
    test::WriteFile(path, out);
  }
  std::size_t Col(std::string_view f) const {
    auto it = std::find(header.begin(), header.end(), f);
    REQUIRE(it != header.end());
    return static_cast<std::size_t>(it - header.begin());
  }
  std::string& At(std::size_t row, std::string_view f) {
    return rows[row][Col(f)];
  }
  /// First row where `f` equals `v` (and, if given, `g` equals `w`).
  std::size_t Find(std::string_view f, std::string_view v,
                   std::string_view g = {}, std::string_view w = {}) {
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (At(i, f) == v && (g.empty() || At(i, g) == w)) return i;
    }
    FAIL("no row with " << f << " = " << v);
    return 0;
  }
  /// Adds `delta` to a summary count.
  void Bump(std::string_view metric, std::string_view grade,
            std::string_view sex, int delta) {
    for (auto& r : rows) {
      if (r[Col("metric")] == metric && r[Col("grade")] == grade &&
          r[Col("sex")] == sex) {
        r[Col("count")] = std::to_string(std::stoi(r[Col("count")]) + delta);
        return;
      }
    }
    rows.push_back({std::string(metric), std::string(grade), std::string(sex),
                    std::to_string(delta)});
  }
};

// A clean synthetic school in dir/s, last year's in dir/p.
struct School {
  test::TempDir dir;
  std::string s = dir / "s", p = dir / "p";
  explicit School(bool photos = false, std::uint64_t seed = 21) {
    SynthOptions o;
    o.output = s;
    o.previous = p;
    o.seed = seed;
    o.students = 240;
    o.photos = photos;
    Result<SynthTotals> t = Synthesize(Data(), o);
    REQUIRE_MESSAGE(t.ok(), t.status().ToString());
  }
  std::string F(const std::string& file) const { return s + "/" + file; }
  Collect Check(bool previous = true) const {
    CheckOptions o;
    o.dir = s;
    if (previous) o.previous = p;
    Collect c;
    Result<CheckTotals> t = CheckRegistry(Data(), o, c);
    REQUIRE_MESSAGE(t.ok(), t.status().ToString());
    return c;
  }
};

std::multiset<Rule> Rules(std::initializer_list<Rule> r) {
  return std::multiset<Rule>(r.begin(), r.end());
}

TEST_CASE("a synthetic school and last year's registry check clean") {
  School school;
  CHECK(school.Check().findings.empty());
  CheckOptions o;
  o.dir = school.p;
  Collect c;
  Result<CheckTotals> t = CheckRegistry(Data(), o, c);
  REQUIRE(t.ok());
  CHECK(c.findings.empty());
  CHECK(t->records.at("students.csv") > 200);
  CHECK(t->schools == 1);
}

std::set<std::tuple<std::string, std::string, std::uint64_t, std::string,
                    std::string>>
AnswerKey(const std::string& path) {
  Csv key = Csv::Load(path);
  std::set<std::tuple<std::string, std::string, std::uint64_t, std::string,
                      std::string>>
      out;
  for (std::size_t i = 0; i < key.rows.size(); ++i) {
    out.insert({key.At(i, "severity"), key.At(i, "file"),
                std::stoull(key.At(i, "line")), key.At(i, "field"),
                key.At(i, "rule")});
  }
  return out;
}

TEST_CASE("with every defect planted, check reports exactly the answer key") {
  for (std::uint64_t seed : {3, 4}) {
    CAPTURE(seed);
    test::TempDir dir;
    SynthOptions o;
    o.output = dir / "s";
    o.previous = dir / "p";
    o.seed = seed;
    o.photos = true;
    o.defects = {"all"};
    o.answer_key = dir / "key.csv";
    Result<SynthTotals> t = Synthesize(Data(), o);
    REQUIRE_MESSAGE(t.ok(), t.status().ToString());
    CHECK(t->defects >= 30);
    CheckOptions co;
    co.dir = o.output;
    co.previous = o.previous;
    Collect c;
    REQUIRE(CheckRegistry(Data(), co, c).ok());
    std::set<std::tuple<std::string, std::string, std::uint64_t, std::string,
                        std::string>>
        got;
    for (const Finding& f : c.findings) {
      got.insert({std::string(SeverityName(f.severity())), f.file, f.line,
                  f.field, std::string(RuleId(f.rule))});
    }
    CHECK(got.size() == c.findings.size());  // no finding twice
    CHECK(got == AnswerKey(o.answer_key));
    CHECK(got.size() == t->expected_findings);
  }
}

TEST_CASE("findings show personal values masked, never in full") {
  test::TempDir dir;
  SynthOptions o;
  o.output = dir / "s";
  o.defects = {"check-digit", "bad-phone"};
  o.answer_key = dir / "key.csv";
  REQUIRE(Synthesize(Data(), o).ok());
  Csv students = Csv::Load(dir / "s/students.csv");
  CheckOptions co;
  co.dir = o.output;
  Collect c;
  REQUIRE(CheckRegistry(Data(), co, c).ok());
  REQUIRE(c.findings.size() == 2);
  for (const Finding& f : c.findings) {
    std::string shown = FormatFinding(f);
    CHECK(shown.find(f.raw_value) == std::string::npos);
    CHECK(f.value != f.raw_value);
    CHECK(shown.find("*") != std::string::npos);
  }
}

TEST_CASE("record rules: each small edit gives exactly its findings") {
  SUBCASE("file.missing") {
    School x;
    std::remove(x.F("guardians.csv").c_str());
    CHECK(x.Check().Rules() == Rules({Rule::kFileMissing}));
  }
  SUBCASE("file.rows") {
    School x;
    Csv c = Csv::Load(x.F("school.csv"));
    c.rows.push_back(c.rows[0]);
    c.Save(x.F("school.csv"));
    CHECK(x.Check().Rules() == Rules({Rule::kFileRows}));
  }
  SUBCASE("csv.header: an unknown column") {
    School x;
    Csv c = Csv::Load(x.F("classes.csv"));
    c.header.push_back("nickname");
    for (auto& r : c.rows) r.push_back("x");
    c.Save(x.F("classes.csv"));
    Collect got = x.Check();
    CHECK(got.Rules() == Rules({Rule::kCsvHeader}));
    CHECK(got.findings[0].message.find("unknown column \"nickname\"") !=
          std::string::npos);
  }
  SUBCASE("csv.header: a required column missing") {
    School x;
    Csv c = Csv::Load(x.F("classes.csv"));
    std::size_t col = c.Col("head_teacher");
    c.header.erase(c.header.begin() + static_cast<long>(col));
    for (auto& r : c.rows) r.erase(r.begin() + static_cast<long>(col));
    c.Save(x.F("classes.csv"));
    CHECK(x.Check().Rules() == Rules({Rule::kCsvHeader}));
  }
  SUBCASE("school.province and school.type") {
    School x;
    Csv c = Csv::Load(x.F("school.csv"));
    std::string code = c.At(0, "school_code");
    c.At(0, "school_code") = code.substr(0, 2) + "32" + code.substr(4);
    c.Save(x.F("school.csv"));
    CHECK(x.Check().Rules() == Rules({Rule::kSchoolProvince}));
    c.At(0, "school_code") = "31" + code.substr(2);
    c.Save(x.F("school.csv"));
    CHECK(x.Check().Rules() == Rules({Rule::kSchoolType}));
  }
  SUBCASE("class.duplicate") {
    School x;
    Csv c = Csv::Load(x.F("classes.csv"));
    c.rows.push_back(c.rows[0]);
    c.Save(x.F("classes.csv"));
    CHECK(x.Check().Rules() == Rules({Rule::kClassDuplicate}));
  }
  SUBCASE("unique.student-no and unique.id-number name the first line") {
    // ID-shaped numbers take the packed index, others the string map: both
    // must find the repeat and the line it repeats.
    for (std::string no : {std::string(), std::string("34ABC")}) {
      School x;
      Csv st = Csv::Load(x.F("students.csv"));
      std::size_t a = 3, b = 7;
      if (!no.empty()) st.At(a, "student_no") = no;
      st.At(b, "student_no") = st.At(a, "student_no");
      st.At(b, "id_number") = st.At(a, "id_number");
      st.Save(x.F("students.csv"));
      Collect got = x.Check(false);
      int nos = 0, ids = 0;
      for (const Finding& f : got.findings) {
        if (f.rule == Rule::kUniqueStudentNo) {
          ++nos;
          CHECK(f.line == b + 2);
          CHECK(f.message == fmt::format("the student number is already "
                                         "used on line {}",
                                         a + 2));
        }
        if (f.rule == Rule::kUniqueIdNumber) {
          ++ids;
          CHECK(f.line == b + 2);
          CHECK(f.message.find(fmt::format("line {}", a + 2)) !=
                std::string::npos);
        }
      }
      CHECK(nos == 1);
      CHECK(ids == 1);
    }
  }
  SUBCASE("guardian.student") {
    School x;
    Csv g = Csv::Load(x.F("guardians.csv"));
    g.rows.push_back(g.rows[0]);
    g.rows.back()[g.Col("student_no")] = "G340102200203151232";
    g.Save(x.F("guardians.csv"));
    CHECK(x.Check().Rules() == Rules({Rule::kGuardianStudent}));
  }
  SUBCASE("guardian.id-required") {
    School x;
    Csv st = Csv::Load(x.F("students.csv"));
    std::size_t i = st.Find("status", "1", "migrant", "0");
    std::string no = st.At(i, "student_no");
    st.At(i, "id_type") = "Z";
    st.At(i, "id_number") = "";
    st.Save(x.F("students.csv"));
    Csv g = Csv::Load(x.F("guardians.csv"));
    for (auto& r : g.rows) {
      if (r[g.Col("student_no")] == no)
        r[g.Col("id_type")] = r[g.Col("id_number")] = "";
    }
    g.Save(x.F("guardians.csv"));
    CHECK(x.Check().Rules() == Rules({Rule::kGuardianIdRequired}));
  }
  SUBCASE("change.approval-date and change.self-transfer") {
    School x;
    Csv c = Csv::Load(x.F("changes.csv"));
    std::size_t i = c.Find("change_type", "13");
    c.At(i, "approval_date") = "2026-10-01";
    c.Save(x.F("changes.csv"));
    CHECK(x.Check().Rules() == Rules({Rule::kChangeApprovalDate}));
    c.At(i, "approval_date") = "2026-01-05";
    c.At(i, "from_school") = Csv::Load(x.F("school.csv")).At(0, "school_code");
    c.Save(x.F("changes.csv"));
    CHECK(x.Check().Rules() == Rules({Rule::kChangeSelfTransfer}));
  }
  SUBCASE(
      "a suspension and a transfer out in one year fit a student who left") {
    School x;
    Csv c = Csv::Load(x.F("changes.csv"));
    std::size_t i = c.Find("change_type", "27");
    c.rows.push_back(c.rows[i]);
    c.rows.back()[c.Col("change_id")] = "2026-9998";
    c.rows.back()[c.Col("change_type")] = "23";
    c.rows.back()[c.Col("to_school")] = "";
    c.Save(x.F("changes.csv"));
    Csv sum = Csv::Load(x.F("summary.csv"));
    sum.Bump("suspension", "", "", 1);
    sum.Save(x.F("summary.csv"));
    CHECK(x.Check().findings.empty());
    // Without the transfer out, the suspension names a missing student.
    c.rows.erase(c.rows.begin() + static_cast<long>(i));
    c.Save(x.F("changes.csv"));
    sum.Bump("transferred-out", "", "", -1);
    sum.Save(x.F("summary.csv"));
    CHECK(x.Check().Rules() ==
          Rules({Rule::kChangeStudentMissing, Rule::kYoyVanished}));
  }
  SUBCASE("unique.change-id names the first line") {
    School x;
    Csv c = Csv::Load(x.F("changes.csv"));
    REQUIRE(c.rows.size() > 4);
    c.At(4, "change_id") = c.At(1, "change_id");
    c.Save(x.F("changes.csv"));
    Collect got = x.Check();
    REQUIRE(got.Rules() == Rules({Rule::kUniqueChangeId}));
    CHECK(got.findings[0].line == 6);
    CHECK(got.findings[0].message ==
          "the change number is already used on line 3");
  }
  SUBCASE("change.student-present") {
    School x;
    Csv st = Csv::Load(x.F("students.csv"));
    std::size_t row = st.Find("status", "1");
    std::string no = st.At(row, "student_no");
    Csv c = Csv::Load(x.F("changes.csv"));
    c.rows.push_back(c.rows[c.Find("change_type", "27")]);
    c.rows.back()[c.Col("change_id")] = "2026-9997";
    c.rows.back()[c.Col("student_no")] = no;
    c.Save(x.F("changes.csv"));
    Csv sum = Csv::Load(x.F("summary.csv"));
    sum.Bump("transferred-out", "", "", 1);
    sum.Save(x.F("summary.csv"));
    Collect got = x.Check();
    REQUIRE(got.Rules() == Rules({Rule::kChangeStudentPresent}));
    CHECK(got.findings[0].line == c.rows.size() + 1);
    CHECK(got.findings[0].message ==
          fmt::format("a change of type 27 means the student left, but the "
                      "student is still in students.csv (line {})",
                      row + 2));
  }
  SUBCASE("citizen-id.sex") {
    // The ID number says the other sex; the Anhui number and the summary
    // are made to agree with the new sex, so only the ID number is wrong.
    School x;
    Csv st = Csv::Load(x.F("students.csv"));
    std::size_t row = st.Find("status", "1");
    std::string grade = st.At(row, "grade");
    std::string old_sex = st.At(row, "sex");
    std::string new_sex = old_sex == "1" ? "2" : "1";
    st.At(row, "sex") = new_sex;
    std::string& anhui = st.At(row, "anhui_no");
    if (!anhui.empty()) anhui[11] = new_sex == "1" ? '1' : '2';
    st.Save(x.F("students.csv"));
    Csv sum = Csv::Load(x.F("summary.csv"));
    sum.Bump("enrolled", grade, old_sex, -1);
    sum.Bump("enrolled", grade, new_sex, 1);
    sum.Save(x.F("summary.csv"));
    Collect got = x.Check();
    REQUIRE(got.Rules() == Rules({Rule::kCitizenIdSex}));
    CHECK(got.findings[0].line == row + 2);
  }
  SUBCASE("change.dropout-status") {
    School x;
    Csv st = Csv::Load(x.F("students.csv"));
    std::string no = st.At(st.Find("status", "1"), "student_no");
    Csv c = Csv::Load(x.F("changes.csv"));
    c.rows.push_back(c.rows[0]);
    c.rows.back()[c.Col("change_id")] = "2026-9999";
    c.rows.back()[c.Col("student_no")] = no;
    c.rows.back()[c.Col("change_type")] = "28";
    c.rows.back()[c.Col("from_school")] = c.rows.back()[c.Col("to_school")] =
        "";
    c.Save(x.F("changes.csv"));
    Csv sum = Csv::Load(x.F("summary.csv"));
    sum.Bump("dropout", "", "", 1);
    sum.Save(x.F("summary.csv"));
    CHECK(x.Check().Rules() == Rules({Rule::kChangeDropoutStatus}));
  }
  SUBCASE("summary.shape and summary.duplicate") {
    School x;
    Csv sum = Csv::Load(x.F("summary.csv"));
    sum.rows.push_back({"admitted", "1", "1", "5"});
    sum.Save(x.F("summary.csv"));
    CHECK(x.Check().Rules() == Rules({Rule::kSummaryShape}));
    sum.rows.back() = sum.rows[sum.Find("metric", "resumed")];
    sum.Save(x.F("summary.csv"));
    CHECK(x.Check().Rules() == Rules({Rule::kSummaryDuplicate}));
  }
  SUBCASE("birth-date.future") {
    School x;
    Csv st = Csv::Load(x.F("students.csv"));
    st.At(st.Find("status", "1", "id_type", "1"), "birth_date") = "2027-01-01";
    st.Save(x.F("students.csv"));
    CHECK(x.Check().Rules() ==
          Rules({Rule::kBirthDateFuture, Rule::kCitizenIdBirthDate,
                 Rule::kStudentNoBirthDate}));
  }
  SUBCASE("entry-date.future") {
    School x;
    Csv st = Csv::Load(x.F("students.csv"));
    st.At(0, "entry_date") = "2027-09";
    st.Save(x.F("students.csv"));
    CHECK(x.Check().Rules() == Rules({Rule::kEntryDateFuture}));
  }
  SUBCASE("migrant.inconsistent and disability.health") {
    School x;
    Csv st = Csv::Load(x.F("students.csv"));
    std::string county = Csv::Load(x.F("school.csv")).At(0, "county_code");
    std::size_t i = st.Find("hukou_place", county, "migrant", "0");
    st.At(i, "migrant") = "1";
    st.Save(x.F("students.csv"));
    CHECK(x.Check().Rules() == Rules({Rule::kMigrantInconsistent}));
    st.At(i, "migrant") = "0";
    st.At(i, "disability") = "1";
    st.Save(x.F("students.csv"));
    CHECK(x.Check().Rules() == Rules({Rule::kDisabilityHealth}));
  }
  SUBCASE("xjh-anhui.sex") {
    School x;
    Csv st = Csv::Load(x.F("students.csv"));
    std::size_t i = st.Find("sex", "1");
    st.At(i, "anhui_no")[11] = '2';
    st.Save(x.F("students.csv"));
    CHECK(x.Check().Rules() == Rules({Rule::kXjhAnhuiSex}));
  }
  SUBCASE("yoy.suspension-unrecorded") {
    School x;
    Csv st = Csv::Load(x.F("students.csv"));
    Csv prev = Csv::Load(x.p + "/students.csv");
    std::size_t i = st.Find("status", "1");
    std::string no = st.At(i, "student_no");
    // Someone enrolled both years, now suspended without a record; the
    // declared counts follow, so only the missing record is wrong.
    for (; i < st.rows.size(); ++i) {
      no = st.At(i, "student_no");
      bool both =
          std::any_of(prev.rows.begin(), prev.rows.end(), [&](const auto& r) {
            return r[prev.Col("student_no")] == no &&
                   r[prev.Col("status")] == "1";
          });
      if (both && st.At(i, "status") == "1") break;
    }
    REQUIRE(i < st.rows.size());
    std::string grade = st.At(i, "grade"), sex = st.At(i, "sex");
    st.At(i, "status") = "2";
    st.Save(x.F("students.csv"));
    Csv sum = Csv::Load(x.F("summary.csv"));
    sum.Bump("enrolled", grade, sex, -1);
    sum.Bump("suspended", "", "", 1);
    sum.Save(x.F("summary.csv"));
    CHECK(x.Check().Rules() == Rules({Rule::kYoySuspensionUnrecorded}));
    CHECK(x.Check(/*previous=*/false).findings.empty());
  }
  SUBCASE("previous.missing and previous.malformed") {
    School x;
    std::remove((x.p + "/students.csv").c_str());
    CHECK(x.Check().Rules() == Rules({Rule::kPreviousMissing}));
    CHECK(x.Check().findings[0].severity() == Severity::kError);
    test::WriteFile(x.p + "/students.csv", "student_no,grade\nG1,\"2\n");
    CHECK(x.Check().Rules() == Rules({Rule::kPreviousMalformed}));
  }
  SUBCASE("previous.new-school") {
    // In a tree, a school that last year's tree lacks is a new school: a
    // warning, and no year-over-year rule runs.
    School x;
    std::filesystem::create_directories(x.dir / "tree");
    std::filesystem::rename(x.s, x.dir / "tree/a");
    std::filesystem::create_directories(x.dir / "last-year");
    CheckOptions o;
    o.dir = x.dir / "tree";
    o.previous = x.dir / "last-year";
    Collect c;
    REQUIRE(CheckRegistry(Data(), o, c).ok());
    CHECK(c.Rules() == Rules({Rule::kPreviousNewSchool}));
    CHECK(c.findings[0].severity() == Severity::kWarning);
    CHECK(c.findings[0].file == "a/students.csv");
  }
  SUBCASE("photo.jpeg and photo.size") {
    School x(/*photos=*/true);
    Csv st = Csv::Load(x.F("students.csv"));
    std::string a = x.F(st.At(0, "photo")), b = x.F(st.At(1, "photo"));
    std::string data = test::ReadFile(a);
    test::WriteFile(a, data.substr(0, data.size() - 1));
    CHECK(x.Check().Rules() == Rules({Rule::kPhotoJpeg}));
    test::WriteFile(a, data);
    test::WriteFile(b, std::string(61 * 1024, '\xFF'));
    CHECK(x.Check().Rules() == Rules({Rule::kPhotoSize}));
    std::remove(b.c_str());
    REQUIRE(os::MakeDirectories(b, 0755).ok());
    Collect folder = x.Check();
    CHECK(folder.Rules() == Rules({Rule::kPhotoUnreadable}));
    CHECK(FormatFinding(folder.findings[0]).find(st.At(1, "student_no")) ==
          std::string::npos);
  }
}

TEST_CASE(
    "a tree of schools is found, and one student in two schools reported") {
  test::TempDir dir;
  SynthOptions o;
  o.output = dir / "county";
  o.level = "county";
  o.code = "340104";
  o.defects = {"duplicate-across-schools"};
  o.answer_key = dir / "key.csv";
  Result<SynthTotals> t = Synthesize(Data(), o);
  REQUIRE_MESSAGE(t.ok(), t.status().ToString());
  CheckOptions co;
  co.dir = o.output;
  Collect c;
  Result<CheckTotals> totals = CheckRegistry(Data(), co, c);
  REQUIRE(totals.ok());
  CHECK(totals->schools == t->schools);
  CHECK(c.Rules() ==
        Rules({Rule::kDuplicateAcrossSchools, Rule::kDuplicateAcrossSchools}));
  CHECK(c.findings[0].message.find("is registered at school 21340") !=
        std::string::npos);
}

TEST_CASE("the check refuses what it cannot run on") {
  test::TempDir dir;
  CheckOptions o;
  o.dir = dir / "missing";
  Collect c;
  CHECK_FAILS_WITH(CheckRegistry(Data(), o, c), Code::kNotFound,
                   "no such folder");
  o.dir = dir.path();
  CHECK_FAILS_WITH(CheckRegistry(Data(), o, c), Code::kNotFound,
                   "no school.csv");
}

TEST_CASE("synth is deterministic and refuses to write over data") {
  test::TempDir dir;
  for (const char* out : {"a", "b"}) {
    SynthOptions o;
    o.output = dir / out;
    o.seed = 9;
    o.students = 60;
    REQUIRE(Synthesize(Data(), o).ok());
  }
  for (const char* f :
       {"school.csv", "students.csv", "guardians.csv", "changes.csv"}) {
    CHECK(test::ReadFile(dir / "a/" + std::string(f)) ==
          test::ReadFile(dir / "b/" + std::string(f)));
  }
  SynthOptions again;
  again.output = dir / "a";
  CHECK_FAILS_WITH(Synthesize(Data(), again), Code::kAlreadyExists,
                   "is not empty");
  SynthOptions needs;
  needs.output = dir / "c";
  needs.defects = {"vanished"};
  CHECK_FAILS_WITH(Synthesize(Data(), needs), Code::kInvalidArgument,
                   "defect vanished needs --previous");
  needs.defects = {"no-such-defect"};
  CHECK_FAILS_WITH(Synthesize(Data(), needs), Code::kInvalidArgument,
                   "unknown defect");
}

}  // namespace
}  // namespace xj::registry
