#include "synth/synth.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <unordered_map>

#include "base/os.h"
#include "formats/csv.h"
#include "registry/values.h"

namespace xj::pack {
namespace {

namespace reg = registry;
using reg::Date;

// ---- randomness: xoshiro256**, seeded through splitmix64 ----

class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    for (auto& w : s_) w = SplitMix(seed);
  }
  std::uint64_t Next() {
    std::uint64_t r = Rotl(s_[1] * 5, 7) * 9, t = s_[1] << 17;
    s_[2] ^= s_[0], s_[3] ^= s_[1], s_[1] ^= s_[2], s_[0] ^= s_[3];
    s_[2] ^= t, s_[3] = Rotl(s_[3], 45);
    return r;
  }
  /// Uniform in [0, n).
  std::uint64_t Below(std::uint64_t n) { return n == 0 ? 0 : Next() % n; }
  int Range(int lo, int hi) {
    return lo +
           static_cast<int>(Below(static_cast<std::uint64_t>(hi - lo + 1)));
  }
  bool Chance(double p) {
    return static_cast<double>(Next() >> 11) * 0x1.0p-53 < p;
  }
  static std::uint64_t SplitMix(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

 private:
  static std::uint64_t Rotl(std::uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
  }
  std::uint64_t s_[4];
};

// ---- dates ----

std::int64_t DaysFromCivil(int y, int m, int d) {
  y -= m <= 2;
  std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  std::int64_t yoe = y - era * 400;
  std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

Date CivilFromDays(std::int64_t z) {
  z += 719468;
  std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  std::int64_t doe = z - era * 146097;
  std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t y = yoe + era * 400;
  std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  std::int64_t mp = (5 * doy + 2) / 153;
  int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {static_cast<int>(y + (m <= 2)), m, d};
}

std::int64_t Days(const Date& d) { return DaysFromCivil(d.y, d.m, d.d); }
std::string Fmt(const Date& d) {
  return fmt::format("{:04}-{:02}-{:02}", d.y, d.m, d.d);
}
Date RandomDay(Rng& rng, const Date& after, const Date& upto) {
  std::int64_t a = Days(after) + 1, b = Days(upto);
  return CivilFromDays(a + static_cast<std::int64_t>(rng.Below(
                               static_cast<std::uint64_t>(b - a + 1))));
}

// ---- names ----

struct Weighted {
  std::vector<std::string> values;
  std::vector<std::uint64_t> cumulative;
  void Add(std::string v, std::uint64_t w) {
    values.push_back(std::move(v));
    cumulative.push_back((cumulative.empty() ? 0 : cumulative.back()) +
                         std::max<std::uint64_t>(w, 1));
  }
  const std::string& Pick(Rng& rng) const {
    std::uint64_t r = rng.Below(cumulative.back());
    return values[static_cast<std::size_t>(
        std::upper_bound(cumulative.begin(), cumulative.end(), r) -
        cumulative.begin())];
  }
};

struct Names {
  Weighted surnames;
  Weighted first[2], second[2], single[2];  // [0] male, [1] female

  std::string Given(Rng& rng, bool male) const {
    int s = male ? 0 : 1;
    if (rng.Chance(0.2)) return single[s].Pick(rng);
    return first[s].Pick(rng) + second[s].Pick(rng);
  }
};

Result<Names> LoadNames(const std::string& path) {
  XJ_ASSIGN_OR_RETURN(Bytes text, os::ReadFile(path, 4 << 20));
  Names n;
  std::string_view all = AsChars(text);
  std::size_t start = 0;
  bool header = false;
  while (start < all.size()) {
    std::size_t nl = all.find('\n', start);
    if (nl == std::string_view::npos) nl = all.size();
    std::string_view line = all.substr(start, nl - start);
    start = nl + 1;
    if (line.empty() || line[0] == '#') continue;
    if (!header) {
      header = true;
      continue;
    }
    std::vector<std::string_view> f;
    std::size_t s = 0;
    for (;;) {
      std::size_t c = line.find(',', s);
      f.push_back(line.substr(s, c - s));
      if (c == std::string_view::npos) break;
      s = c + 1;
    }
    if (f.size() < 6) return Error(Code::kMalformed, "{}: a short line", path);
    auto w = static_cast<std::uint64_t>(
        std::max(1, std::atoi(std::string(f[5]).c_str())));
    if (f[0] == "surname") {
      n.surnames.Add(std::string(f[1]), w);
    } else if (f[0] == "given_char") {
      for (int sex = 0; sex < 2; ++sex) {
        bool fits =
            f[2] == "any" || (sex == 0 ? f[2] == "male" : f[2] == "female");
        if (!fits) continue;
        Weighted& pool = f[3] == "first"    ? n.first[sex]
                         : f[3] == "second" ? n.second[sex]
                                            : n.single[sex];
        pool.Add(std::string(f[1]), w);
      }
    }
  }
  for (int sex = 0; sex < 2; ++sex) {
    if (n.surnames.values.empty() || n.first[sex].values.empty() ||
        n.second[sex].values.empty() || n.single[sex].values.empty()) {
      return Error(Code::kMalformed, "{}: missing name parts", path);
    }
  }
  return n;
}

// ---- tables: one file's rows, with tags for the answer key ----

struct Table {
  std::string name;
  std::vector<std::string> header;
  struct Row {
    std::vector<std::string> cells;
    int tag = -1;         // answer-key reference
    bool broken = false;  // written with a stray quote (csv-quote defect)
  };
  std::vector<Row> rows;

  int Col(std::string_view field) const {
    auto it = std::find(header.begin(), header.end(), field);
    return it == header.end() ? -1 : static_cast<int>(it - header.begin());
  }
  std::string& At(std::size_t row, std::string_view field) {
    return rows[row].cells[static_cast<std::size_t>(Col(field))];
  }
  const std::string& At(std::size_t row, std::string_view field) const {
    return rows[row].cells[static_cast<std::size_t>(Col(field))];
  }
  Row& Add() {
    rows.emplace_back();
    rows.back().cells.resize(header.size());
    return rows.back();
  }
};

Table MakeTable(const reg::Schema& schema, std::string_view file) {
  Table t;
  t.name = std::string(file);
  for (const reg::FieldSpec& f : schema.File(file)->fields)
    t.header.push_back(f.name);
  return t;
}

struct Expected {
  std::string defect;
  std::string file;
  int tag;  // -1: line 0
  std::string field;
  reg::Rule rule;  // its severity is the table's
};

// ---- one simulated student ----

struct Person {
  std::string surname;
  bool male = true;
  Date birth;
  std::string id, id_type = "1", student_no, anhui_no, name;
  std::string birthplace, hukou;
  int grade = 1;
  char status = '1';
  std::string entry_date;
  std::string migrant = "0", migrant_note;
  std::string disability = "0", inclusive = "0", health = "10";
  std::string ethnicity = "01", hukou_nature = "1", boarding = "1";
  std::string left_behind = "0", only_child = "0", orphan = "0";
  std::string phone, address;
  std::string father, mother, father_id, mother_id, father_phone, mother_phone;
};

struct SchoolPlan {
  std::string county;  // county code
  std::string county_name;
  int county_order = 0;  // position among the year's Anhui counties
  std::string type;      // 21, 31, 34
  int index = 0;         // within the county
  std::string code;      // 10-digit school code
  int students = 0;
  std::string rel;           // folder relative to the output
  std::uint64_t global = 0;  // generation order
};

struct SchoolOut {
  Table school, classes, students, guardians, changes, summary;
  std::vector<std::string> photos;  // student numbers with photo files
};

class Generator {
 public:
  Generator(const registry::RegistryData& data, std::string names_path,
            const SynthOptions& opt)
      : data_(data), names_path_(std::move(names_path)), opt_(opt) {}

  Status Plan();
  Result<SynthTotals> Run();

  // Used by the defect planter.
  void AddChangePublic(SchoolOut& out, Rng& rng, const SchoolPlan& s, int year,
                       const std::string& no, int type, const Date& when,
                       int from_grade, int to_grade) {
    AddChange(out, rng, s, year, no, type, when, from_grade, to_grade);
  }
  void AddStudentPublic(SchoolOut& out, const SchoolPlan& s, const Person& p,
                        int class_no, bool photo) {
    AddStudentRow(out, s, p, class_no, photo);
  }
  void AddGuardiansPublic(SchoolOut& out, const SchoolPlan& s,
                          const Person& p) {
    AddGuardians(out, s, p);
  }
  /// A valid student number of someone never registered anywhere.
  std::string StrangerNumber(const SchoolPlan& s) {
    Date birth;
    return "G" + NewId(s.county, opt_.year - 20, true, &birth);
  }
  const std::pair<Person, std::string>* Donor(const std::string& type) const {
    auto it = donors_.find(type);
    return it == donors_.end() ? nullptr : &it->second;
  }

  // identity: IDs unique across everything generated, without remembering
  // them (see NewId)
  std::string NewId(const std::string& region, int window_start_year, bool male,
                    Date* birth);
  std::string PickRegion(Rng& rng, const SchoolPlan& s, int birth_ym);
  Person MakePerson(Rng& rng, const SchoolPlan& s, int grade, int census_year,
                    int serial);
  std::string Name(Rng& rng, const std::string& surname, bool male) {
    return surname + names_->Given(rng, male);
  }
  std::string Phone(Rng& rng) {
    return fmt::format("1{}{:09}", rng.Range(3, 9), rng.Below(1000000000));
  }
  std::string DocNo(Rng& rng, const SchoolPlan& s, int year) {
    std::string abbrev = s.county_name.substr(0, 3);  // one CJK character
    return fmt::format("{}教基〔{}〕{}号", abbrev, year, rng.Range(1, 199));
  }
  // tables
  void AddStudentRow(SchoolOut& out, const SchoolPlan& s, const Person& p,
                     int class_no, bool photo);
  void AddGuardians(SchoolOut& out, const SchoolPlan& s, const Person& p);
  void AddChange(SchoolOut& out, Rng& rng, const SchoolPlan& s, int year,
                 const std::string& no, int type, const Date& when,
                 int from_grade, int to_grade);
  void FillSchool(SchoolOut& out, const SchoolPlan& s, const Date& census);
  void FillClasses(SchoolOut& out, const std::map<int, int>& classes_per_grade);
  void FillSummary(SchoolOut& out);
  // writing
  Status WriteSchool(const std::string& dir, SchoolOut& out, Rng& rng,
                     std::map<int, std::uint64_t>* lines);
  Status WriteTable(const std::string& dir, Table& t,
                    std::map<int, std::uint64_t>* lines);
  // simulation of one school, and defects
  Status Simulate(const SchoolPlan& s, const std::vector<std::string>& defects);

  const registry::RegistryData& data_;
  std::string names_path_;
  const Names* names_ = nullptr;
  const SynthOptions& opt_;
  std::vector<SchoolPlan> plans_;
  std::vector<const registry::Division*> outside_;
  std::vector<const registry::Division*> anhui_counties_;
  std::vector<Expected> expected_;
  int next_tag_ = 0;
  SynthTotals totals_;
  // The first student of each school type, for the cross-school duplicate.
  std::map<std::string, std::pair<Person, std::string>> donors_;
  std::vector<std::string> answer_rows_;
  std::unordered_map<std::uint64_t, std::uint32_t> id_counters_;
  std::map<std::string, std::uint32_t> l_counters_;
};

constexpr std::string_view kAnswerHeader =
    "defect,severity,file,line,field,rule";

int FirstGrade(const std::string& type) {
  return type == "21" ? 1 : type == "31" ? 7 : 10;
}
int LastGrade(const std::string& type) {
  return type == "21" ? 6 : type == "31" ? 9 : 12;
}

std::string MakeCheckedId(const std::string& first17) {
  return first17 + reg::CitizenIdCheckChar(first17);
}

// The k-th person of a region, sex and twelve-month birth window (from 1
// September) gets day k*97 mod 365 of the window and sequence slot k/365:
// every (region, birth date, sequence) is used once, with a counter per
// window instead of a set of every number issued.
std::string Generator::NewId(const std::string& region, int window_start_year,
                             bool male, Date* birth) {
  std::uint64_t key =
      (static_cast<std::uint64_t>(std::atoi(region.c_str())) << 20) |
      (static_cast<std::uint64_t>(window_start_year) << 1) | (male ? 1 : 0);
  std::uint32_t k = id_counters_[key]++;
  int day = static_cast<int>((static_cast<std::uint64_t>(k) * 97) % 365);
  int seq =
      2 * static_cast<int>((k / 365) % 499) + (male ? 1 : 2);  // odd = male
  *birth = CivilFromDays(DaysFromCivil(window_start_year, 9, 1) + day);
  return MakeCheckedId(fmt::format("{}{:04}{:02}{:02}{:03}", region, birth->y,
                                   birth->m, birth->d, seq));
}

std::string Generator::PickRegion(Rng& rng, const SchoolPlan& s, int) {
  double r = static_cast<double>(rng.Below(1000)) / 1000.0;
  if (r < 0.85 || anhui_counties_.size() < 2) return s.county;
  if (r < 0.95) {
    const auto* d = anhui_counties_[rng.Below(anhui_counties_.size())];
    return d->code;
  }
  return outside_[rng.Below(outside_.size())]->code;
}

Person Generator::MakePerson(Rng& rng, const SchoolPlan& s, int grade,
                             int census_year, int serial) {
  Person p;
  p.male = rng.Chance(0.515);
  p.surname = names_->surnames.Pick(rng);
  p.name = Name(rng, p.surname, p.male);
  // Age 6 by 31 August on entering grade 1; some a year older or younger.
  int cohort = census_year - grade - 6;  // born 1 Sep cohort .. 31 Aug cohort+1
  if (rng.Chance(0.05)) {
    --cohort;
  } else if (rng.Chance(0.01)) {
    ++cohort;
  }
  p.birthplace = PickRegion(rng, s, cohort * 100 + 9);
  p.hukou = rng.Chance(0.9) ? p.birthplace : s.county;
  if (p.hukou != s.county) {
    if (rng.Chance(0.8)) {
      p.migrant = "1";
    } else {
      p.migrant_note = "父母在本县工作，户口尚未迁入";
    }
  }
  p.id = NewId(p.birthplace, cohort, p.male, &p.birth);
  if (rng.Chance(0.02)) {
    // No usable ID number: type Z, a temporary L number, guardians' IDs.
    p.id_type = "Z";
    std::uint32_t k = l_counters_[s.county]++;
    p.student_no = fmt::format("L{}{:04}{:02}{:02}{:04}", s.county, p.birth.y,
                               p.birth.m, p.birth.d, k % 10000);
    p.id.clear();
  } else {
    p.student_no = "G" + p.id;
  }
  int stage_first = FirstGrade(s.type);
  int entry_year = census_year - (grade - stage_first);
  p.entry_date = fmt::format("{}-09", entry_year);
  p.anhui_no = fmt::format("{}{:02}{:03}{}{:04}", s.county,
                           (census_year - grade + 1) % 100, s.index % 1000,
                           p.male ? 1 : 2, serial % 9999 + 1);
  p.grade = grade;
  if (rng.Chance(0.01)) p.ethnicity = rng.Chance(0.5) ? "03" : "11";
  p.hukou_nature = rng.Chance(0.6) ? "1" : rng.Chance(0.5) ? "2" : "3";
  p.boarding = rng.Chance(s.type == "34"   ? 0.8
                          : s.type == "31" ? 0.5
                                           : 0.1)
                   ? "2"
                   : "1";
  p.left_behind = rng.Chance(0.3) ? (rng.Chance(0.5) ? "1" : "2") : "0";
  p.only_child = rng.Chance(0.3) ? "1" : "0";
  p.orphan = rng.Chance(0.002) ? "1" : "0";
  if (rng.Chance(0.005)) {
    p.disability = std::to_string(rng.Range(1, 7));
    p.health = "50";
    if (rng.Chance(0.5)) p.inclusive = rng.Chance(0.5) ? "1" : "9";
  }
  p.phone = Phone(rng);
  static const char* kStreets[] = {"和平路", "建设路", "人民路", "长江路",
                                   "解放路", "文化路", "淮河路", "黄山路",
                                   "新华街", "光明街"};
  p.address = fmt::format("安徽省{}{}{}号", s.county_name,
                          kStreets[rng.Below(10)], rng.Range(1, 300));
  p.father = Name(rng, p.surname, true);
  p.mother = Name(rng, names_->surnames.Pick(rng), false);
  Date fb, mb;
  p.father_id = NewId(p.hukou, p.birth.y - rng.Range(25, 38), true, &fb);
  p.mother_id = NewId(p.hukou, p.birth.y - rng.Range(23, 36), false, &mb);
  p.father_phone = Phone(rng);
  p.mother_phone = Phone(rng);
  return p;
}

void Generator::AddStudentRow(SchoolOut& out, const SchoolPlan& s,
                              const Person& p, int class_no, bool photo) {
  Table& t = out.students;
  Table::Row& r = t.Add();
  auto set = [&](std::string_view f, std::string v) {
    int c = t.Col(f);
    if (c >= 0) r.cells[static_cast<std::size_t>(c)] = std::move(v);
  };
  set("student_no", p.student_no);
  set("anhui_no", p.anhui_no);
  set("name", p.name);
  set("sex", p.male ? "1" : "2");
  set("birth_date", Fmt(p.birth));
  set("ethnicity", p.ethnicity);
  set("nationality", "CHN");
  set("id_type", p.id_type);
  set("id_number", p.id);
  set("hmt", "0");
  set("health", p.health);
  set("birthplace", p.birthplace);
  set("native_place", p.birthplace);
  set("hukou_place", p.hukou);
  set("hukou_nature", p.hukou_nature);
  set("grade", std::to_string(p.grade));
  set("class_no", std::to_string(class_no));
  set("status", std::string(1, p.status));
  set("entry_date", p.entry_date);
  set("entry_mode", s.type == "34" ? "21" : "11");
  set("boarding", p.boarding);
  set("address", p.address);
  set("phone", p.phone);
  set("postcode", "23" + s.county.substr(2));
  set("only_child", p.only_child);
  set("preschool", "1");
  set("left_behind", p.left_behind);
  set("migrant", p.migrant);
  set("migrant_note", p.migrant_note);
  set("orphan", p.orphan);
  set("martyr", "0");
  set("disability", p.disability);
  set("inclusive", p.inclusive);
  if (photo) {
    set("photo", "photos/" + p.student_no + ".jpg");
    out.photos.push_back(p.student_no);
  }
}

void Generator::AddGuardians(SchoolOut& out, const SchoolPlan&,
                             const Person& p) {
  Table& t = out.guardians;
  for (int k = 0; k < 2; ++k) {
    Table::Row& r = t.Add();
    auto set = [&](std::string_view f, std::string v) {
      int c = t.Col(f);
      if (c >= 0) r.cells[static_cast<std::size_t>(c)] = std::move(v);
    };
    set("student_no", p.student_no);
    set("name", k == 0 ? p.father : p.mother);
    set("relation", k == 0 ? "51" : "52");
    set("is_guardian", "1");
    set("id_type", "1");
    set("id_number", k == 0 ? p.father_id : p.mother_id);
    set("phone", k == 0 ? p.father_phone : p.mother_phone);
    set("address", p.address);
    set("hukou_place", p.hukou);
  }
}

void Generator::AddChange(SchoolOut& out, Rng& rng, const SchoolPlan& s,
                          int year, const std::string& no, int type,
                          const Date& when, int from_grade, int to_grade) {
  Table& t = out.changes;
  Table::Row& r = t.Add();
  auto set = [&](std::string_view f, std::string v) {
    int c = t.Col(f);
    if (c >= 0) r.cells[static_cast<std::size_t>(c)] = std::move(v);
  };
  set("change_id", fmt::format("{}-{:04}", year, t.rows.size()));
  set("student_no", no);
  set("change_type", std::to_string(type));
  set("effective_date", Fmt(when));
  // Schools elsewhere: of the same kind, in Anhui or a neighbouring province.
  static const char* kProvinces[] = {"34", "34", "32", "41", "36", "42", "33"};
  if (type == 13 || type == 27) {
    std::string other = fmt::format(
        "{}{}{:06}", s.type, kProvinces[rng.Below(7)], rng.Below(1000000));
    if (other == s.code) other[9] = other[9] == '0' ? '1' : '0';
    set(type == 13 ? "from_school" : "to_school", other);
  }
  if (from_grade > 0) set("from_grade", std::to_string(from_grade));
  if (to_grade > 0) set("to_grade", std::to_string(to_grade));
  Date approved = CivilFromDays(Days(when) - rng.Range(0, 10));
  set("approval_no", DocNo(rng, s, approved.y));
  set("approval_date", Fmt(approved));
  set("authority", s.county);
}

void Generator::FillSchool(SchoolOut& out, const SchoolPlan& s,
                           const Date& census) {
  Table& t = out.school;
  Table::Row& r = t.Add();
  auto set = [&](std::string_view f, std::string v) {
    int c = t.Col(f);
    if (c >= 0) r.cells[static_cast<std::size_t>(c)] = std::move(v);
  };
  static const char* kKind[] = {"小学", "初级中学", "高级中学"};
  int k = s.type == "21" ? 0 : s.type == "31" ? 1 : 2;
  set("school_code", s.code);
  set("school_name",
      fmt::format("{}第{}{}", s.county_name, s.index + 1, kKind[k]));
  set("county_code", s.county);
  set("school_type", s.type);
  set("census_date", Fmt(census));
  set("address", fmt::format("安徽省{}学府路{}号", s.county_name, s.index + 1));
  set("postcode", "23" + s.county.substr(2));
  set("phone", fmt::format("0551-6{:07}", (s.global * 7919) % 10000000));
}

void Generator::FillClasses(SchoolOut& out,
                            const std::map<int, int>& per_grade) {
  Table& t = out.classes;
  for (const auto& [grade, n] : per_grade) {
    for (int c = 1; c <= n; ++c) {
      Table::Row& r = t.Add();
      r.cells[static_cast<std::size_t>(t.Col("grade"))] = std::to_string(grade);
      r.cells[static_cast<std::size_t>(t.Col("class_no"))] = std::to_string(c);
      r.cells[static_cast<std::size_t>(t.Col("class_name"))] =
          fmt::format("{}年级{}班", grade, c);
      r.cells[static_cast<std::size_t>(t.Col("head_teacher"))] = "王老师";
      int ct = t.Col("class_type");
      if (ct >= 0) {
        r.cells[static_cast<std::size_t>(ct)] = grade <= 6   ? "10"
                                                : grade <= 9 ? "20"
                                                             : "40";
      }
    }
  }
}

void Generator::FillSummary(SchoolOut& out) {
  std::map<std::pair<int, std::string>, int> enrolled;
  int suspended = 0, dropped = 0;
  const Table& st = out.students;
  for (std::size_t i = 0; i < st.rows.size(); ++i) {
    const std::string& status = st.At(i, "status");
    if (status == "1")
      ++enrolled[{std::atoi(st.At(i, "grade").c_str()), st.At(i, "sex")}];
    if (status == "2") ++suspended;
    if (status == "3") ++dropped;
  }
  std::map<int, int> by_type;
  for (std::size_t i = 0; i < out.changes.rows.size(); ++i) {
    ++by_type[std::atoi(out.changes.At(i, "change_type").c_str())];
  }
  Table& t = out.summary;
  auto add = [&](std::string metric, std::string grade, std::string sex,
                 int n) {
    Table::Row& r = t.Add();
    r.cells[static_cast<std::size_t>(t.Col("metric"))] = std::move(metric);
    r.cells[static_cast<std::size_t>(t.Col("grade"))] = std::move(grade);
    r.cells[static_cast<std::size_t>(t.Col("sex"))] = std::move(sex);
    r.cells[static_cast<std::size_t>(t.Col("count"))] = std::to_string(n);
  };
  for (const auto& [cell, n] : enrolled)
    add("enrolled", std::to_string(cell.first), cell.second, n);
  add("suspended", "", "", suspended);
  add("dropped-out", "", "", dropped);
  static const std::pair<const char*, int> kMetrics[] = {
      {"admitted", 11},       {"resumed", 12},
      {"transferred-in", 13}, {"graduated", 21},
      {"suspension", 23},     {"withdrawal", 24},
      {"death", 26},          {"transferred-out", 27},
      {"dropout", 28},        {"repeat", 33},
      {"skip", 34},           {"extension", 36}};
  for (const auto& [metric, type] : kMetrics)
    add(metric, "", "", by_type[type]);
}

// A small file that passes the check: JPEG start and end markers around
// filler (not a viewable image; the registry checks size and markers).
Bytes FakeJpeg(Rng& rng) {
  std::size_t n = static_cast<std::size_t>(rng.Range(15, 25)) * 1024;
  Bytes b(n);
  for (auto& x : b) x = static_cast<std::uint8_t>(rng.Next());
  b[0] = 0xFF, b[1] = 0xD8, b[2] = 0xFF, b[3] = 0xE0;
  b[n - 2] = 0xFF, b[n - 1] = 0xD9;
  return b;
}

Status Generator::WriteTable(const std::string& dir, Table& t,
                             std::map<int, std::uint64_t>* lines) {
  std::string path = dir + "/" + t.name;
  XJ_ASSIGN_OR_RETURN(os::AtomicFile file,
                      os::AtomicFile::Create(path, 0644, os::Replace::kNever));
  Bytes out;
  MemorySink mem(&out);
  formats::csv::Writer w(&mem);
  std::vector<std::string_view> view;
  for (const std::string& h : t.header) view.push_back(h);
  XJ_RETURN_IF_ERROR(w.Write(view));
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    Table::Row& r = t.rows[i];
    if (r.tag >= 0) (*lines)[r.tag] = i + 2;
    if (r.broken) {
      XJ_RETURN_IF_ERROR(w.Flush());
      // A quote inside an unquoted field: what a hand edit leaves behind.
      std::string raw;
      for (std::size_t c = 0; c < r.cells.size(); ++c) {
        if (c) raw += ',';
        raw += c == 1 ? r.cells[c] + "\"" : r.cells[c];
      }
      raw += "\r\n";
      Append(out, raw);
      continue;
    }
    view.clear();
    for (const std::string& c : r.cells) view.push_back(c);
    XJ_RETURN_IF_ERROR(w.Write(view));
  }
  XJ_RETURN_IF_ERROR(w.Flush());
  if (opt_.gb18030) {
    XJ_ASSIGN_OR_RETURN(std::string gb,
                        formats::csv::Utf8ToGb18030(AsChars(out)));
    XJ_RETURN_IF_ERROR(file.sink().Write(AsBytes(gb)));
  } else {
    XJ_RETURN_IF_ERROR(file.sink().Write(out));
  }
  return file.Commit();
}

Status Generator::WriteSchool(const std::string& dir, SchoolOut& out, Rng& rng,
                              std::map<int, std::uint64_t>* lines) {
  XJ_RETURN_IF_ERROR(os::MakeDirectories(dir, 0755));
  for (Table* t : {&out.school, &out.classes, &out.students, &out.guardians,
                   &out.changes, &out.summary}) {
    XJ_RETURN_IF_ERROR(WriteTable(dir, *t, lines));
  }
  if (!out.photos.empty()) {
    XJ_RETURN_IF_ERROR(os::MakeDirectories(dir + "/photos", 0755));
    for (const std::string& no : out.photos) {
      XJ_ASSIGN_OR_RETURN(os::AtomicFile f,
                          os::AtomicFile::Create(dir + "/photos/" + no + ".jpg",
                                                 0644, os::Replace::kNever));
      XJ_RETURN_IF_ERROR(f.sink().Write(FakeJpeg(rng)));
      XJ_RETURN_IF_ERROR(f.Commit());
    }
  }
  return Status::Ok();
}

// ---- defects ----

const std::vector<DefectKind> kDefectKinds = {
    {"check-digit", "a student's ID number with a wrong check digit", false,
     false, false},
    {"blank-required", "a required field (ethnicity) left blank", false, false,
     false},
    {"bad-code", "a code not in its table (ethnicity 99)", false, false, false},
    {"id-region", "an ID number whose region code is in no division table",
     false, false, false},
    {"sex-parity", "an ID number whose sequence digit says the other sex",
     false, false, false},
    {"birth-date", "a birth date that differs from the ID number's", false,
     false, false},
    {"age-grade", "a student four years too old for the grade", false, false,
     false},
    {"bad-division", "a household registration code that does not exist", false,
     false, false},
    {"bad-phone", "a telephone number of the wrong shape", false, false, false},
    {"bad-postcode", "a postcode of four digits", false, false, false},
    {"bad-anhui-no", "an Anhui student number with feature digit 9", false,
     false, false},
    {"class-missing", "a student in a class that classes.csv lacks", false,
     false, false},
    {"class-grade", "a class in a grade the school does not teach", false,
     false, false},
    {"duplicate-row", "one student registered twice in the same school", false,
     false, false},
    {"unflagged-migrant",
     "a student registered in another county, not flagged migrant", false,
     false, false},
    {"inclusive", "inclusive education recorded without a disability", false,
     false, false},
    {"guardian-missing", "a student with no guardian listed", false, false,
     false},
    {"csv-quote", "a stray quote that breaks guardians.csv", false, false,
     false},
    {"blank-approval", "a status change without its approval number", false,
     false, false},
    {"bad-doc-no", "an approval number in the wrong form", false, false, false},
    {"bad-date", "a status change on 30 February", false, false, false},
    {"change-period", "a status change dated before this report's year", false,
     false, false},
    {"duplicate-change-id", "two status changes with one number", false, false,
     false},
    {"change-student-present", "a transfer out of a student still registered",
     false, false, false},
    {"change-student-missing", "a transfer in of a student not registered",
     false, false, false},
    {"withdrawal-compulsory", "a withdrawal (24) in compulsory education",
     false, false, false},
    {"count-mismatch", "an enrolled count that does not match the records",
     false, false, false},
    {"change-count-mismatch",
     "a declared number of admissions that does not match", false, false,
     false},
    {"photo-missing", "a photo the records name but the folder lacks", false,
     false, true},
    {"vanished", "a student gone since last year without a change record", true,
     false, false},
    {"suspension-unresolved",
     "last year's suspension neither resumed nor extended", true, false, false},
    {"no-origin", "a new student without an admission or transfer record", true,
     false, false},
    {"grade-not-advanced",
     "a student left in last year's grade without a record", true, false,
     false},
    {"dropout-unrecorded", "a dropout without a dropout record", true, false,
     false},
    {"duplicate-across-schools", "one student registered in two schools", false,
     true, false},
};

const DefectKind* FindKind(std::string_view name) {
  for (const DefectKind& k : kDefectKinds) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

// Everything one school's simulation produced, for planting defects.
struct Sim {
  SchoolOut cur, prev;
  std::set<std::string> changed;  // student numbers with a change this year
  std::set<std::string> in_prev;  // student numbers on last year's roster
  std::string extend_no;          // the student whose 36 may be removed
  std::set<std::size_t> used;     // student rows a defect has taken
  std::set<std::size_t> used_changes;
};

class Planter {
 public:
  Planter(Generator* g, Sim* sim, Rng* rng, const SchoolPlan* plan,
          std::vector<Expected>* out, int* next_tag, int year, bool photos)
      : g_(g),
        sim_(sim),
        rng_(rng),
        plan_(plan),
        out_(out),
        next_tag_(next_tag),
        opt_year_(year),
        opt_photos_(photos) {}

  void RemoveGuardians(const std::string& no) {
    Table& g = sim_->cur.guardians;
    std::size_t col = static_cast<std::size_t>(g.Col("student_no"));
    g.rows.erase(
        std::remove_if(g.rows.begin(), g.rows.end(),
                       [&](const Table::Row& r) { return r.cells[col] == no; }),
        g.rows.end());
  }

  // After student row `i` was removed, later rows move up by one.
  void RenumberUsed(std::size_t i) {
    std::set<std::size_t> shifted;
    for (std::size_t u : sim_->used) {
      if (u != i) shifted.insert(u > i ? u - 1 : u);
    }
    sim_->used = shifted;
  }

  Table& St() { return sim_->cur.students; }
  Table& Ch() { return sim_->cur.changes; }

  int Tag(Table::Row& r) {
    if (r.tag < 0) r.tag = (*next_tag_)++;
    return r.tag;
  }
  void Expect(std::string_view defect, const std::string& file, int tag,
              std::string field, reg::Rule rule) {
    out_->push_back({std::string(defect),
                     (plan_->rel.empty() ? "" : plan_->rel + "/") + file, tag,
                     std::move(field), rule});
  }

  // A student row for a defect: enrolled, with an ID, registered in the
  // school's county, not taken by another defect, and (when `steady`) on
  // last year's roster with no change this year.
  Result<std::size_t> Victim(bool steady = false) {
    Table& t = St();
    std::vector<std::size_t> ok;
    for (std::size_t i = 0; i < t.rows.size(); ++i) {
      if (sim_->used.count(i)) continue;
      const std::string& no = t.At(i, "student_no");
      if (t.At(i, "status") != "1" || t.At(i, "id_type") != "1" ||
          t.At(i, "hukou_place") != plan_->county ||
          t.At(i, "migrant") != "0" || t.At(i, "disability") != "0" ||
          sim_->changed.count(no)) {
        continue;
      }
      if (steady && !sim_->in_prev.count(no)) continue;
      ok.push_back(i);
    }
    if (ok.empty()) {
      return Error(Code::kInvalidArgument,
                   "school {} is too small for the defects asked of it",
                   plan_->code);
    }
    std::size_t i = ok[rng_->Below(ok.size())];
    sim_->used.insert(i);
    return i;
  }

  Result<std::size_t> ChangeRow(std::initializer_list<std::string_view> types) {
    Table& t = Ch();
    std::vector<std::size_t> ok;
    for (std::size_t i = 0; i < t.rows.size(); ++i) {
      if (sim_->used_changes.count(i)) continue;
      for (std::string_view type : types) {
        if (t.At(i, "change_type") == type) ok.push_back(i);
      }
    }
    if (ok.empty()) {
      return Error(Code::kInvalidArgument,
                   "school {} has no status change to plant a defect in",
                   plan_->code);
    }
    std::size_t i = ok[rng_->Below(ok.size())];
    sim_->used_changes.insert(i);
    return i;
  }

  // A new ID for region and birth date: sequence 999 (odd, male) or 998,
  // which the generator never reaches, so the number is nobody else's.
  static std::string Rebuild(const std::string& region,
                             const std::string& date8, bool male) {
    return MakeCheckedId(region + date8 + (male ? "999" : "998"));
  }

  Status Plant(std::string_view kind);
  Status PlantSummary(std::string_view kind);

 private:
  Generator* g_;
  Sim* sim_;
  Rng* rng_;
  const SchoolPlan* plan_;
  std::vector<Expected>* out_;
  int* next_tag_;
  int opt_year_;
  bool opt_photos_;
};

Status Planter::Plant(std::string_view kind) {
  using Rule = reg::Rule;
  const std::string st = "students.csv", ch = "changes.csv";
  Table& t = St();
  if (kind == "check-digit") {
    XJ_ASSIGN_OR_RETURN(std::size_t i, Victim());
    std::string& id = t.At(i, "id_number");
    id.back() = id.back() == '0' ? '1'
                : id.back() == 'X'
                    ? '3'
                    : static_cast<char>(id.back() == '9' ? 'X' : id.back() + 1);
    if (reg::CitizenIdCheckChar(id.substr(0, 17)) == id.back())
      id.back() = id.back() == '1' ? '2' : '1';
    Expect(kind, st, Tag(t.rows[i]), "id_number", Rule::kCitizenIdCheckDigit);
  } else if (kind == "blank-required" || kind == "bad-code") {
    XJ_ASSIGN_OR_RETURN(std::size_t i, Victim());
    t.At(i, "ethnicity") = kind == "bad-code" ? "99" : "";
    Expect(kind, st, Tag(t.rows[i]), "ethnicity",
           kind == "bad-code" ? Rule::kCodeUnknown : Rule::kRequired);
  } else if (kind == "id-region" || kind == "sex-parity") {
    XJ_ASSIGN_OR_RETURN(std::size_t i, Victim());
    std::string& id = t.At(i, "id_number");
    bool region = kind == "id-region";
    bool male = t.At(i, "sex") == "1";
    id = Rebuild(region ? "349900" : id.substr(0, 6), id.substr(6, 8),
                 region ? male : !male);
    int tag = Tag(t.rows[i]);
    Expect(kind, st, tag, "id_number",
           region ? Rule::kCitizenIdRegion : Rule::kCitizenIdSex);
    // The student number still holds the old ID number.
    Expect(kind, st, tag, "student_no", Rule::kStudentNoIdNumber);
  } else if (kind == "birth-date") {
    XJ_ASSIGN_OR_RETURN(std::size_t i, Victim());
    std::string& b = t.At(i, "birth_date");
    std::optional<Date> d = reg::ParseDate(b);
    Date moved = CivilFromDays(Days(*d) + (d->d < 28 ? 1 : -1));
    b = Fmt(moved);
    int tag = Tag(t.rows[i]);
    Expect(kind, st, tag, "id_number", Rule::kCitizenIdBirthDate);
    Expect(kind, st, tag, "student_no", Rule::kStudentNoBirthDate);
  } else if (kind == "age-grade") {
    XJ_ASSIGN_OR_RETURN(std::size_t i, Victim());
    std::string& id = t.At(i, "id_number");
    std::optional<Date> d = reg::ParseDate(t.At(i, "birth_date"));
    Date older{d->y - 4, d->m, d->d == 29 && d->m == 2 ? 28 : d->d};
    t.At(i, "birth_date") = Fmt(older);
    id = Rebuild(id.substr(0, 6),
                 fmt::format("{:04}{:02}{:02}", older.y, older.m, older.d),
                 t.At(i, "sex") == "1");
    int tag = Tag(t.rows[i]);
    Expect(kind, st, tag, "birth_date", Rule::kAgeGrade);
    Expect(kind, st, tag, "student_no", Rule::kStudentNoIdNumber);
    Expect(kind, st, tag, "student_no", Rule::kStudentNoBirthDate);
  } else if (kind == "bad-division") {
    XJ_ASSIGN_OR_RETURN(std::size_t i, Victim());
    t.At(i, "hukou_place") = "349999";
    Expect(kind, st, Tag(t.rows[i]), "hukou_place", Rule::kDivisionUnknown);
  } else if (kind == "bad-phone") {
    XJ_ASSIGN_OR_RETURN(std::size_t i, Victim());
    t.At(i, "phone") = "12345";
    Expect(kind, st, Tag(t.rows[i]), "phone", Rule::kPhoneFormat);
  } else if (kind == "bad-postcode") {
    XJ_ASSIGN_OR_RETURN(std::size_t i, Victim());
    t.At(i, "postcode") = "2300";
    Expect(kind, st, Tag(t.rows[i]), "postcode", Rule::kPostcodeFormat);
  } else if (kind == "bad-anhui-no") {
    XJ_ASSIGN_OR_RETURN(std::size_t i, Victim());
    t.At(i, "anhui_no")[11] = '9';
    Expect(kind, st, Tag(t.rows[i]), "anhui_no", Rule::kXjhAnhuiFeature);
  } else if (kind == "class-missing") {
    XJ_ASSIGN_OR_RETURN(std::size_t i, Victim());
    t.At(i, "class_no") = "99";
    Expect(kind, st, Tag(t.rows[i]), "class_no", Rule::kClassMissing);
  } else if (kind == "class-grade") {
    Table& c = sim_->cur.classes;
    Table::Row row = c.rows.front();
    int grade = plan_->type == "21" ? 8 : plan_->type == "31" ? 3 : 5;
    row.cells[static_cast<std::size_t>(c.Col("grade"))] = std::to_string(grade);
    row.cells[static_cast<std::size_t>(c.Col("class_name"))] =
        fmt::format("{}年级1班", grade);
    row.tag = -1;
    c.rows.push_back(row);
    Expect(kind, "classes.csv", Tag(c.rows.back()), "grade",
           Rule::kGradeSchoolType);
  } else if (kind == "duplicate-row") {
    XJ_ASSIGN_OR_RETURN(std::size_t i, Victim());
    Table::Row copy = t.rows[i];
    copy.tag = -1;
    t.rows.push_back(copy);
    sim_->used.insert(t.rows.size() - 1);
    int tag = Tag(t.rows.back());
    Expect(kind, st, tag, "student_no", Rule::kUniqueStudentNo);
    Expect(kind, st, tag, "id_number", Rule::kUniqueIdNumber);
  } else if (kind == "unflagged-migrant") {
    XJ_ASSIGN_OR_RETURN(std::size_t i, Victim());
    t.At(i, "hukou_place") = plan_->county == "340102" ? "340103" : "340102";
    Expect(kind, st, Tag(t.rows[i]), "migrant", Rule::kMigrantUnflagged);
  } else if (kind == "inclusive") {
    XJ_ASSIGN_OR_RETURN(std::size_t i, Victim());
    t.At(i, "inclusive") = "1";
    Expect(kind, st, Tag(t.rows[i]), "inclusive", Rule::kInclusiveDisability);
  } else if (kind == "guardian-missing") {
    XJ_ASSIGN_OR_RETURN(std::size_t i, Victim());
    const std::string no = t.At(i, "student_no");
    RemoveGuardians(no);
    Expect(kind, st, Tag(t.rows[i]), "student_no", Rule::kGuardianMissing);
  } else if (kind == "csv-quote") {
    Table& g = sim_->cur.guardians;
    std::size_t i = rng_->Below(g.rows.size());
    g.rows[i].broken = true;
    Expect(kind, "guardians.csv", Tag(g.rows[i]), "", Rule::kCsvMalformed);
  } else if (kind == "blank-approval" || kind == "bad-doc-no" ||
             kind == "bad-date" || kind == "change-period") {
    XJ_ASSIGN_OR_RETURN(std::size_t i, ChangeRow({"11", "13", "21", "27"}));
    Table& c = Ch();
    std::string field = kind == "blank-approval" || kind == "bad-doc-no"
                            ? "approval_no"
                            : "effective_date";
    Rule rule = kind == "blank-approval" ? Rule::kRequired
                : kind == "bad-doc-no"   ? Rule::kDocNoFormat
                : kind == "bad-date"     ? Rule::kDateInvalid
                                         : Rule::kChangePeriod;
    if (kind == "blank-approval") c.At(i, field) = "";
    if (kind == "bad-doc-no")
      c.At(i, field) = fmt::format("教基{}第12号", opt_year_);
    if (kind == "bad-date") c.At(i, field) = fmt::format("{}-02-30", opt_year_);
    if (kind == "change-period")
      c.At(i, field) = fmt::format("{}-06-01", opt_year_ - 1);
    Expect(kind, ch, Tag(c.rows[i]), field, rule);
  } else if (kind == "duplicate-change-id") {
    XJ_ASSIGN_OR_RETURN(std::size_t a, ChangeRow({"11", "13", "21", "27"}));
    XJ_ASSIGN_OR_RETURN(std::size_t b, ChangeRow({"11", "13", "21", "27"}));
    Table& c = Ch();
    std::size_t first = std::min(a, b), second = std::max(a, b);
    c.At(second, "change_id") = c.At(first, "change_id");
    Expect(kind, ch, Tag(c.rows[second]), "change_id", Rule::kUniqueChangeId);
  } else if (kind == "change-student-present") {
    XJ_ASSIGN_OR_RETURN(std::size_t i, Victim());
    const std::string no = t.At(i, "student_no");
    g_->AddChangePublic(sim_->cur, *rng_, *plan_, opt_year_, no, 27,
                        Date{opt_year_, 3, 2}, 0, 0);
    sim_->used_changes.insert(Ch().rows.size() - 1);
    Expect(kind, ch, Tag(Ch().rows.back()), "student_no",
           Rule::kChangeStudentPresent);
  } else if (kind == "change-student-missing" ||
             kind == "withdrawal-compulsory") {
    std::string no = g_->StrangerNumber(*plan_);
    bool withdrawal = kind == "withdrawal-compulsory";
    g_->AddChangePublic(sim_->cur, *rng_, *plan_, opt_year_, no,
                        withdrawal ? 24 : 13, Date{opt_year_, 3, 2}, 0, 0);
    sim_->used_changes.insert(Ch().rows.size() - 1);
    Expect(kind, ch, Tag(Ch().rows.back()),
           withdrawal ? "change_type" : "student_no",
           withdrawal ? Rule::kChangeWithdrawalCompulsory
                      : Rule::kChangeStudentMissing);
  } else if (kind == "photo-missing") {
    XJ_ASSIGN_OR_RETURN(std::size_t i, Victim());
    const std::string no = t.At(i, "student_no");
    auto& photos = sim_->cur.photos;
    photos.erase(std::remove(photos.begin(), photos.end(), no), photos.end());
    Expect(kind, st, Tag(t.rows[i]), "photo", Rule::kPhotoMissing);
  } else if (kind == "vanished") {
    XJ_ASSIGN_OR_RETURN(std::size_t i, Victim(/*steady=*/true));
    const std::string no = t.At(i, "student_no");
    t.rows.erase(t.rows.begin() + static_cast<long>(i));
    RenumberUsed(i);
    RemoveGuardians(no);
    Expect(kind, st, -1, "student_no", Rule::kYoyVanished);
  } else if (kind == "suspension-unresolved") {
    Table& c = Ch();
    std::size_t i = c.rows.size();
    for (std::size_t k = 0; k < c.rows.size(); ++k) {
      if (c.At(k, "change_type") == "36" &&
          c.At(k, "student_no") == sim_->extend_no)
        i = k;
    }
    if (i == c.rows.size()) {
      return Error(Code::kInternal, "no suspension extension to remove at {}",
                   plan_->code);
    }
    c.rows.erase(c.rows.begin() + static_cast<long>(i));
    std::set<std::size_t> shifted;
    for (std::size_t u : sim_->used_changes) shifted.insert(u > i ? u - 1 : u);
    sim_->used_changes = shifted;
    for (std::size_t k = 0; k < t.rows.size(); ++k) {
      if (t.At(k, "student_no") == sim_->extend_no) {
        Expect(kind, st, Tag(t.rows[k]), "status", Rule::kYoySuspension);
      }
    }
  } else if (kind == "no-origin") {
    XJ_ASSIGN_OR_RETURN(std::size_t i, ChangeRow({"11"}));
    Table& c = Ch();
    const std::string no = c.At(i, "student_no");
    c.rows.erase(c.rows.begin() + static_cast<long>(i));
    std::set<std::size_t> shifted;
    for (std::size_t u : sim_->used_changes) {
      if (u != i) shifted.insert(u > i ? u - 1 : u);
    }
    sim_->used_changes = shifted;
    for (std::size_t k = 0; k < t.rows.size(); ++k) {
      if (t.At(k, "student_no") == no) {
        sim_->used.insert(k);
        Expect(kind, st, Tag(t.rows[k]), "student_no", Rule::kYoyNoOrigin);
      }
    }
  } else if (kind == "grade-not-advanced" || kind == "dropout-unrecorded") {
    XJ_ASSIGN_OR_RETURN(std::size_t i, Victim(/*steady=*/true));
    int grade = std::atoi(t.At(i, "grade").c_str()) - 1;
    t.At(i, "grade") = std::to_string(grade);
    t.At(i, "class_no") = "1";
    bool dropout = kind == "dropout-unrecorded";
    if (dropout) t.At(i, "status") = "3";
    Expect(kind, st, Tag(t.rows[i]), dropout ? "status" : "grade",
           dropout ? Rule::kYoyDropout : Rule::kYoyGrade);
  } else if (kind == "duplicate-across-schools") {
    const auto* donor = g_->Donor(plan_->type);
    if (donor == nullptr) {
      return Error(Code::kInternal, "no earlier school of type {} to copy from",
                   plan_->type);
    }
    Person copy = donor->first;
    if (copy.hukou != plan_->county && copy.migrant_note.empty())
      copy.migrant = "1";
    g_->AddStudentPublic(sim_->cur, *plan_, copy, 1, opt_photos_);
    g_->AddGuardiansPublic(sim_->cur, *plan_, donor->first);
    g_->AddChangePublic(sim_->cur, *rng_, *plan_, opt_year_,
                        donor->first.student_no, 13, Date{opt_year_, 3, 2}, 0,
                        0);
    Table& c = Ch();
    c.At(c.rows.size() - 1, "from_school") = donor->second;
    sim_->used_changes.insert(c.rows.size() - 1);
    sim_->used.insert(t.rows.size() - 1);
    int tag = Tag(t.rows.back());
    Expect(kind, st, tag, "student_no", Rule::kDuplicateAcrossSchools);
    Expect(kind, st, tag, "id_number", Rule::kDuplicateAcrossSchools);
  } else {
    return Error(Code::kInternal, "unplanted defect {}", kind);
  }
  return Status::Ok();
}

Status Planter::PlantSummary(std::string_view kind) {
  Table& t = sim_->cur.summary;
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    const std::string& metric = t.At(i, "metric");
    bool hit =
        kind == "count-mismatch" ? metric == "enrolled" : metric == "admitted";
    if (!hit) continue;
    std::string& count = t.At(i, "count");
    count = std::to_string(std::atoi(count.c_str()) + 1);
    Expect(kind, "summary.csv", Tag(t.rows[i]), "count",
           kind == "count-mismatch" ? reg::Rule::kSummaryEnrolled
                                    : reg::Rule::kSummaryChanges);
    return Status::Ok();
  }
  return Error(Code::kInternal, "no summary row for {}", kind);
}

Status Generator::Simulate(const SchoolPlan& s,
                           const std::vector<std::string>& defects) {
  std::uint64_t mix = opt_.seed * 0x9E3779B97F4A7C15ULL ^ (s.global + 1);
  Rng rng(Rng::SplitMix(mix));
  const int y = opt_.year;
  const Date census{y, 9, 30}, prev_census{y - 1, 9, 30},
      prev_prev{y - 2, 9, 30};
  const int first = FirstGrade(s.type), last = LastGrade(s.type);
  const int grades = last - first + 1;
  const int per_grade = std::max(4, s.students / grades);
  auto wants = [&](std::string_view k) {
    return std::find(defects.begin(), defects.end(), k) != defects.end();
  };

  Sim sim;
  const reg::Schema& schema = *data_.schema;
  for (SchoolOut* o : {&sim.cur, &sim.prev}) {
    o->school = MakeTable(schema, "school.csv");
    o->classes = MakeTable(schema, "classes.csv");
    o->students = MakeTable(schema, "students.csv");
    o->guardians = MakeTable(schema, "guardians.csv");
    o->changes = MakeTable(schema, "changes.csv");
    o->summary = MakeTable(schema, "summary.csv");
  }

  // Last year's roster.
  std::vector<Person> prev;
  int serial = 0;
  for (int g = first; g <= last; ++g) {
    int n = per_grade +
            static_cast<int>(
                rng.Below(static_cast<std::uint64_t>(per_grade / 5 + 1))) -
            per_grade / 10;
    for (int i = 0; i < n; ++i) {
      Person p = MakePerson(rng, s, g, y - 1, serial++);
      if (rng.Chance(0.003)) {
        p.status = '2';
      } else if (s.type == "31" && rng.Chance(0.002)) {
        p.status = '3';
      }
      prev.push_back(std::move(p));
    }
  }
  if (wants("suspension-unresolved")) {
    // Someone must be suspended last year and extended this year.
    Person& p = prev[static_cast<std::size_t>(
        per_grade + rng.Below(static_cast<std::uint64_t>(per_grade)))];
    p.status = '2';
    sim.extend_no = p.student_no;
  }

  // The year between the two censuses.
  std::vector<Person> cur;
  auto change = [&](const std::string& no, int type, const Date& when,
                    int from_grade = 0, int to_grade = 0) {
    AddChange(sim.cur, rng, s, y, no, type, when, from_grade, to_grade);
    sim.changed.insert(no);
  };
  auto day = [&] { return RandomDay(rng, prev_census, Date{y, 7, 15}); };
  for (const Person& p : prev) {
    sim.in_prev.insert(p.student_no);
    Person q = p;
    if (p.status == '1') {
      if (p.grade == last) {
        change(p.student_no, 21, Date{y, 7, 1});
        continue;
      }
      double r = static_cast<double>(rng.Below(100000)) / 100000.0;
      if (r < 0.015) {
        change(p.student_no, 27, day());
        continue;
      }
      if (r < 0.0152) {
        change(p.student_no, 26, day());
        continue;
      }
      if (s.type == "34" && r < 0.02) {
        change(p.student_no, 24, day());
        continue;
      }
      if (s.type == "31" && r < 0.018) {
        q.status = '3';
        change(p.student_no, 28, day());
      } else if (r < 0.0205) {
        q.status = '2';
        change(p.student_no, 23, day());
      } else if (s.type == "34" && r < 0.024) {
        change(p.student_no, 33, Date{y, 7, 10}, p.grade, p.grade);
      } else if (r < 0.0243 && p.grade + 2 <= last &&
                 reg::AgeAt(p.birth, census) >= p.grade + 2 + 4) {
        // A skip, for someone old enough to look right two grades up.
        q.grade = p.grade + 2;
        change(p.student_no, 34, Date{y, 7, 10}, p.grade, q.grade);
      } else {
        q.grade = p.grade + 1;
      }
    } else if (p.status == '2') {
      if (p.student_no == sim.extend_no || rng.Chance(0.5)) {
        change(p.student_no, 36, day());
      } else {
        q.status = '1';
        change(p.student_no, 12, day());
      }
    }
    cur.push_back(std::move(q));
  }
  int admitted = per_grade +
                 static_cast<int>(
                     rng.Below(static_cast<std::uint64_t>(per_grade / 5 + 1))) -
                 per_grade / 10;
  for (int i = 0; i < admitted; ++i) {
    Person p = MakePerson(rng, s, first, y, serial++);
    change(p.student_no, 11, Date{y, 9, 1});
    cur.push_back(std::move(p));
  }
  int transfers = std::max(1, static_cast<int>(cur.size() / 60));
  for (int i = 0; i < transfers && last > first; ++i) {
    Person p = MakePerson(rng, s, rng.Range(first + 1, last), y, serial++);
    change(p.student_no, 13, day());
    cur.push_back(std::move(p));
  }
  if (donors_.count(s.type) == 0) {
    for (const Person& p : cur) {
      if (p.status == '1' && p.id_type == "1" &&
          !sim.changed.count(p.student_no)) {
        donors_[s.type] = {p, s.code};
        break;
      }
    }
  }

  // Last year's own change records: admissions, suspensions and dropouts of
  // its roster, and the graduates and transfers who left before it.
  for (const Person& p : prev) {
    Date when = RandomDay(rng, prev_prev, Date{y - 1, 7, 15});
    if (p.grade == first) {
      AddChange(sim.prev, rng, s, y - 1, p.student_no, 11, Date{y - 1, 9, 1}, 0,
                0);
    } else if (p.status == '2') {
      AddChange(sim.prev, rng, s, y - 1, p.student_no, 23, when, 0, 0);
    } else if (p.status == '3') {
      AddChange(sim.prev, rng, s, y - 1, p.student_no, 28, when, 0, 0);
    } else if (rng.Chance(0.01)) {
      AddChange(sim.prev, rng, s, y - 1, p.student_no, 13, when, 0, 0);
    }
  }
  for (int i = 0; i < per_grade; ++i) {
    AddChange(sim.prev, rng, s, y - 1, StrangerNumber(s), 21, Date{y - 1, 7, 1},
              0, 0);
  }

  // Tables.
  auto build = [&](SchoolOut& out, const std::vector<Person>& roster,
                   const Date& when, bool photos) {
    FillSchool(out, s, when);
    std::map<int, int> count, classes, next;
    for (const Person& p : roster) ++count[p.grade];
    // Classes of about 45; a school too large for that (a benchmark's
    // city-sized "school") gets larger classes, as class numbers end at
    // 99 (and 99 itself is kept for the class-missing defect).
    for (const auto& [g, n] : count)
      classes[g] = std::clamp((n + 44) / 45, 1, 90);
    FillClasses(out, classes);
    for (const Person& p : roster) {
      int c = next[p.grade]++ % classes[p.grade] + 1;
      AddStudentRow(out, s, p, c, photos);
      AddGuardians(out, s, p);
    }
  };
  build(sim.cur, cur, census, opt_.photos);
  build(sim.prev, prev, prev_census, false);

  // Defects, then the declared counts (which the roster defects must not
  // disturb), then the defects in the declared counts.
  Planter planter(this, &sim, &rng, &s, &expected_, &next_tag_, y, opt_.photos);
  for (const std::string& d : defects) {
    if (d != "count-mismatch" && d != "change-count-mismatch") {
      XJ_RETURN_IF_ERROR(planter.Plant(d));
    }
  }
  FillSummary(sim.cur);
  FillSummary(sim.prev);
  for (const std::string& d : defects) {
    if (d == "count-mismatch" || d == "change-count-mismatch") {
      XJ_RETURN_IF_ERROR(planter.PlantSummary(d));
    }
  }

  std::map<int, std::uint64_t> lines;
  std::string dir = s.rel.empty() ? opt_.output : opt_.output + "/" + s.rel;
  XJ_RETURN_IF_ERROR(WriteSchool(dir, sim.cur, rng, &lines));
  if (!opt_.previous.empty()) {
    std::string pdir =
        s.rel.empty() ? opt_.previous : opt_.previous + "/" + s.rel;
    std::map<int, std::uint64_t> unused;
    XJ_RETURN_IF_ERROR(WriteSchool(pdir, sim.prev, rng, &unused));
    totals_.previous_students += sim.prev.students.rows.size();
  }
  for (const Expected& e : expected_) {
    std::uint64_t line = e.tag < 0 ? 0 : lines.at(e.tag);
    answer_rows_.push_back(
        fmt::format("{},{},{},{},{},{}", e.defect,
                    reg::SeverityName(reg::SeverityOf(e.rule)), e.file, line,
                    e.field, reg::RuleId(e.rule)));
  }
  totals_.defects += defects.size();
  totals_.expected_findings += expected_.size();
  expected_.clear();
  ++totals_.schools;
  totals_.students += sim.cur.students.rows.size();
  return Status::Ok();
}

Status Generator::Plan() {
  const int ym = opt_.year * 100 + 9;
  // Counties in use at both census dates, so last year's registry names
  // only counties that existed then too.
  for (const auto* d : data_.divisions.AnhuiCountiesAt(ym)) {
    if (d->InUseAt(ym - 100)) anhui_counties_.push_back(d);
  }
  outside_ = data_.divisions.CurrentCountiesOutsideAnhui();
  if (anhui_counties_.empty() || outside_.empty()) {
    return Error(Code::kInvalidArgument, "no Anhui counties are known for {}",
                 opt_.year);
  }
  std::vector<const registry::Division*> counties;
  const std::string& level = opt_.level;
  std::string code = opt_.code;
  if (level == "school" || level == "county") {
    if (code.empty()) code = "340102";
    for (const auto* d : anhui_counties_) {
      if (d->code == code) counties.push_back(d);
    }
    if (counties.empty()) {
      return Error(Code::kInvalidArgument,
                   "{} is not an Anhui county-level division in use in {}",
                   code, opt_.year);
    }
  } else if (level == "city") {
    if (code.empty()) code = "340100";
    for (const auto* d : anhui_counties_) {
      if (d->code.compare(0, 4, code.substr(0, 4)) == 0 && code.size() == 6 &&
          code.substr(4) == "00") {
        counties.push_back(d);
      }
    }
    if (counties.empty()) {
      return Error(Code::kInvalidArgument,
                   "{} is not an Anhui prefecture with counties in {}", code,
                   opt_.year);
    }
  } else if (level == "province") {
    counties = anhui_counties_;
  } else {
    return Error(
        Code::kInvalidArgument,
        "unknown level \"{}\" (expected school, county, city or province)",
        level);
  }
  std::map<std::string, int> order;
  for (std::size_t i = 0; i < anhui_counties_.size(); ++i) {
    order[anhui_counties_[i]->code] = static_cast<int>(i);
  }
  std::uint64_t total = opt_.students;
  for (const auto* d : counties) {
    struct Kind {
      const char* type;
      int n;
      int size;
    };
    std::vector<Kind> kinds;
    if (level == "school") {
      kinds = {
          {opt_.school_type.c_str(), 1, total ? static_cast<int>(total) : 300}};
    } else if (total == 0) {
      kinds = {{"21", 4, 300}, {"31", 1, 600}, {"34", 1, 1200}};
    } else {
      // About 636 students a school: 70 % primary (420), 22 % junior
      // (900), 8 % senior (1800).
      double per_county =
          static_cast<double>(total) / static_cast<double>(counties.size());
      int schools =
          std::max(3, static_cast<int>(std::lround(per_county / 636.0)));
      int junior = std::max(1, static_cast<int>(std::lround(schools * 0.22)));
      int senior = std::max(1, static_cast<int>(std::lround(schools * 0.08)));
      int primary = std::max(1, schools - junior - senior);
      double f =
          per_county / (primary * 420.0 + junior * 900.0 + senior * 1800.0);
      kinds = {{"21", primary, static_cast<int>(420 * f)},
               {"31", junior, static_cast<int>(900 * f)},
               {"34", senior, static_cast<int>(1800 * f)}};
    }
    for (const Kind& k : kinds) {
      if (std::string(k.type) != "21" && std::string(k.type) != "31" &&
          std::string(k.type) != "34") {
        return Error(Code::kInvalidArgument,
                     "school type must be 21, 31 or 34, not {}", k.type);
      }
      for (int i = 0; i < k.n; ++i) {
        SchoolPlan p;
        p.county = d->code;
        p.county_name = d->name;
        p.county_order = order[d->code];
        p.type = k.type;
        p.index = i;
        p.code = fmt::format("{}34{:03}{:03}", k.type, p.county_order, i);
        p.students = std::max(12, k.size);
        if (level == "school") {
          p.rel = "";
        } else if (level == "county") {
          p.rel = p.code;
        } else if (level == "city") {
          p.rel = d->code + "/" + p.code;
        } else {
          p.rel = d->code.substr(0, 4) + "00/" + d->code + "/" + p.code;
        }
        plans_.push_back(std::move(p));
      }
    }
  }
  std::sort(
      plans_.begin(), plans_.end(),
      [](const SchoolPlan& a, const SchoolPlan& b) { return a.rel < b.rel; });
  for (std::size_t i = 0; i < plans_.size(); ++i) plans_[i].global = i;
  return Status::Ok();
}

Status CheckOutput(const std::string& dir, std::string_view what) {
  if (!os::Exists(dir)) return Status::Ok();
  if (!os::IsDirectory(dir))
    return Error(Code::kAlreadyExists, "{} exists and is not a folder", dir);
  XJ_ASSIGN_OR_RETURN(std::vector<std::string> names, os::ListDirectory(dir));
  if (!names.empty()) {
    return Error(Code::kAlreadyExists, "{} ({}) is not empty", dir, what)
        .WithHint("synthetic data is written only into a new or empty folder");
  }
  return Status::Ok();
}

Result<SynthTotals> Generator::Run() {
  XJ_RETURN_IF_ERROR(Plan());
  // Which defects go where.
  std::vector<std::string> kinds;
  bool all = std::find(opt_.defects.begin(), opt_.defects.end(), "all") !=
             opt_.defects.end();
  bool tree = plans_.size() > 1;
  for (const DefectKind& k : kDefectKinds) {
    bool asked = all || std::find(opt_.defects.begin(), opt_.defects.end(),
                                  k.name) != opt_.defects.end();
    if (!asked) continue;
    bool possible = (!k.needs_previous || !opt_.previous.empty()) &&
                    (!k.needs_tree || tree) && (!k.needs_photos || opt_.photos);
    // One school cannot hold both a broken guardians.csv and a missing
    // guardian.
    if (all && !tree && k.name == "csv-quote") possible = false;
    if (!possible) {
      if (all) continue;
      return Error(Code::kInvalidArgument, "defect {} needs {}", k.name,
                   k.needs_previous ? "--previous"
                   : k.needs_tree   ? "more than one school"
                                    : "--photos");
    }
    kinds.emplace_back(k.name);
  }
  for (const std::string& d : opt_.defects) {
    if (d != "all" && FindKind(d) == nullptr) {
      return Error(Code::kInvalidArgument,
                   "unknown defect \"{}\" (xjpack synth --list-defects)",
                   EscapeForDisplay(d));
    }
  }
  std::vector<std::vector<std::string>> per_school(plans_.size());
  std::uint64_t mix = opt_.seed ^ 0xD1B54A32D192ED03ULL;
  Rng rng(Rng::SplitMix(mix));
  for (const std::string& k : kinds) {
    std::vector<std::size_t> eligible;
    for (std::size_t i = 0; i < plans_.size(); ++i) {
      const SchoolPlan& p = plans_[i];
      if (k == "withdrawal-compulsory" && p.type == "34") continue;
      if (k == "duplicate-across-schools") {
        bool earlier = false;
        for (std::size_t j = 0; j < i; ++j)
          earlier = earlier || plans_[j].type == p.type;
        if (!earlier) continue;
      }
      auto& here = per_school[i];
      bool clash = (k == "csv-quote" &&
                    std::count(here.begin(), here.end(), "guardian-missing")) ||
                   (k == "guardian-missing" &&
                    std::count(here.begin(), here.end(), "csv-quote"));
      if (!clash) eligible.push_back(i);
    }
    if (eligible.empty()) {
      return Error(Code::kInvalidArgument, "no school can take defect {}", k);
    }
    per_school[eligible[rng.Below(eligible.size())]].push_back(k);
  }
  XJ_RETURN_IF_ERROR(CheckOutput(opt_.output, "the output"));
  if (!opt_.previous.empty()) {
    XJ_RETURN_IF_ERROR(CheckOutput(opt_.previous, "--previous"));
  }
  if (!opt_.answer_key.empty() && os::Exists(opt_.answer_key)) {
    return Error(Code::kAlreadyExists, "{} already exists", opt_.answer_key)
        .WithHint("remove it, or name another answer key");
  }
  XJ_ASSIGN_OR_RETURN(Names names, LoadNames(names_path_));
  names_ = &names;
  for (std::size_t i = 0; i < plans_.size(); ++i) {
    XJ_RETURN_IF_ERROR(Simulate(plans_[i], per_school[i]));
  }
  names_ = nullptr;
  if (!opt_.answer_key.empty()) {
    std::string text = std::string(kAnswerHeader) + "\n";
    for (const std::string& r : answer_rows_) text += r + "\n";
    XJ_ASSIGN_OR_RETURN(
        os::AtomicFile f,
        os::AtomicFile::Create(opt_.answer_key, 0644, os::Replace::kNever));
    XJ_RETURN_IF_ERROR(f.sink().Write(AsBytes(text)));
    XJ_RETURN_IF_ERROR(f.Commit());
  }
  return totals_;
}

}  // namespace

const std::vector<DefectKind>& DefectKinds() { return kDefectKinds; }

Result<SynthTotals> Synthesize(const registry::RegistryData& data,
                               const SynthOptions& options) {
  if (options.output.empty())
    return Status(Code::kInvalidArgument, "no output folder");
  if (options.year < 2005 || options.year > 2100) {
    return Error(Code::kInvalidArgument, "census year {} is out of range",
                 options.year);
  }
  XJ_ASSIGN_OR_RETURN(std::string dir, registry::DataDir());
  Generator g(data, dir + "/zh-names.csv", options);
  return g.Run();
}

}  // namespace xj::pack
