#include "registry/check.h"

#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <chrono>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "base/os.h"

namespace xj::registry {
namespace {

namespace csv = formats::csv;

// The meaning of the codes the rules rely on (see AuditCodes()).
enum ChangeType {
  kAdmitted = 11,
  kResumed = 12,
  kTransferIn = 13,
  kGraduated = 21,
  kSuspension = 23,
  kWithdrawal = 24,
  kDeath = 26,
  kTransferOut = 27,
  kDropout = 28,
  kRepeat = 33,
  kSkip = 34,
  kExtension = 36,
};

bool LeavesSchool(int type) {
  return type == kGraduated || type == kWithdrawal || type == kDeath ||
         type == kTransferOut;
}
bool NeedsStudent(int type) {
  return type == kAdmitted || type == kResumed || type == kTransferIn ||
         type == kSuspension || type == kRepeat || type == kSkip ||
         type == kExtension || type == kDropout;
}

// Summary metrics that count change records, by change type.
constexpr std::pair<std::string_view, int> kChangeMetrics[] = {
    {"admitted", kAdmitted},
    {"resumed", kResumed},
    {"transferred-in", kTransferIn},
    {"graduated", kGraduated},
    {"suspension", kSuspension},
    {"withdrawal", kWithdrawal},
    {"death", kDeath},
    {"transferred-out", kTransferOut},
    {"dropout", kDropout},
    {"repeat", kRepeat},
    {"skip", kSkip},
    {"extension", kExtension},
};

// The fields each rule reads, which the schema must therefore have.
const std::map<std::string, std::vector<std::string>>& AuditFields() {
  static const std::map<std::string, std::vector<std::string>> kFields = {
      {"school.csv",
       {"school_code", "county_code", "school_type", "census_date"}},
      {"classes.csv", {"grade", "class_no"}},
      {"students.csv",
       {"student_no", "anhui_no", "sex", "birth_date", "id_type", "id_number",
        "hukou_place", "grade", "class_no", "status", "entry_date", "migrant",
        "migrant_note", "health", "disability", "inclusive", "photo"}},
      {"guardians.csv", {"student_no", "is_guardian", "id_number"}},
      {"changes.csv",
       {"change_id", "student_no", "change_type", "effective_date",
        "from_school", "approval_date"}},
      {"summary.csv", {"metric", "grade", "sex", "count"}},
  };
  return kFields;
}

std::string FormatDate(const Date& d) {
  return fmt::format("{:04}-{:02}-{:02}", d.y, d.m, d.d);
}

int ToInt(std::string_view s, int fallback = -1) {
  int v = fallback;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size() ? v : fallback;
}

// Exact 64-bit packing of a national student number or an 18-character
// citizen ID, for the cross-school key sets; 0 when the value has another
// shape (it is then left to the per-school rules).
std::uint64_t PackKey(std::string_view v) {
  int letter = 3;
  if (v.size() == 19) {
    letter = v[0] == 'G' ? 0 : v[0] == 'J' ? 1 : v[0] == 'L' ? 2 : -1;
    if (letter < 0) return 0;
    v.remove_prefix(1);
  }
  if (v.size() != 18) return 0;
  std::uint64_t n = 0;
  for (int i = 0; i < 17; ++i) {
    if (v[i] < '0' || v[i] > '9') return 0;
    n = n * 10 + static_cast<std::uint64_t>(v[i] - '0');
  }
  char last = v[17];
  std::uint64_t check = last == 'X' ? 10
                        : (last >= '0' && last <= '9')
                            ? static_cast<std::uint64_t>(last - '0')
                            : 99;
  if (check == 99) return 0;
  return (static_cast<std::uint64_t>(letter) << 61) | (n * 11 + check) | 0;
}

// Dense ids for string keys, given in insertion order. ID numbers and
// student numbers pack into 64 bits (PackKey) and live in one open-addressed
// table, with no allocation per key: a school of 300 000 students is looked
// up several times per student, and node-based maps of strings spent most of
// the check's time in cache misses and malloc. Any other key falls back to a
// string map. Keys are kept once, in an arena, for messages.
class KeyIndex {
 public:
  static constexpr std::uint32_t kNone = UINT32_MAX;

  // The id of `key`, and whether it was added now; *packed, if asked for,
  // is its PackKey().
  std::pair<std::uint32_t, bool> Insert(std::string_view key,
                                        std::uint64_t* packed = nullptr) {
    std::uint32_t next = size();
    std::uint64_t k = PackKey(key);
    if (packed != nullptr) *packed = k;
    if (k != 0) {
      if ((used_ + 1) * 2 > slots_.size()) Grow();
      std::size_t i = Slot(k);
      while (slots_[i].key != 0) {
        if (slots_[i].key == k) return {slots_[i].id, false};
        i = (i + 1) & (slots_.size() - 1);
      }
      slots_[i] = {k, next};
      ++used_;
    } else {
      // Other keys: by hash, compared with the copy kept in the arena.
      if ((others_ + 1) * 2 > other_slots_.size()) GrowOthers();
      std::uint64_t h = HashOf(key);
      std::size_t i = OtherSlot(h);
      for (; other_slots_[i].id != kNone;
           i = (i + 1) & (other_slots_.size() - 1)) {
        if (other_slots_[i].hash == h && Key(other_slots_[i].id) == key)
          return {other_slots_[i].id, false};
      }
      other_slots_[i] = {h, next};
      ++others_;
    }
    arena_.append(key);
    ends_.push_back(static_cast<std::uint32_t>(arena_.size()));
    return {next, true};
  }

  std::uint32_t Find(std::string_view key) const {
    if (std::uint64_t k = PackKey(key)) {
      if (slots_.empty()) return kNone;
      for (std::size_t i = Slot(k); slots_[i].key != 0;
           i = (i + 1) & (slots_.size() - 1)) {
        if (slots_[i].key == k) return slots_[i].id;
      }
      return kNone;
    }
    if (other_slots_.empty()) return kNone;
    std::uint64_t h = HashOf(key);
    for (std::size_t i = OtherSlot(h); other_slots_[i].id != kNone;
         i = (i + 1) & (other_slots_.size() - 1)) {
      if (other_slots_[i].hash == h && Key(other_slots_[i].id) == key)
        return other_slots_[i].id;
    }
    return kNone;
  }

  std::string_view Key(std::uint32_t id) const {
    std::uint32_t begin = id == 0 ? 0 : ends_[id - 1];
    return std::string_view(arena_).substr(begin, ends_[id] - begin);
  }

  std::uint32_t size() const {
    return static_cast<std::uint32_t>(ends_.size());
  }

 private:
  struct Entry {
    std::uint64_t key;
    std::uint32_t id;
  };

  std::size_t Slot(std::uint64_t k) const {
    return static_cast<std::size_t>((k * 0x9E3779B97F4A7C15ull) >> shift_);
  }

  void Grow() {
    std::vector<Entry> old = std::move(slots_);
    std::size_t n = old.empty() ? 1024 : old.size() * 2;
    slots_.assign(n, Entry{0, 0});
    shift_ = 64 - static_cast<int>(std::countr_zero(n));
    for (const Entry& e : old) {
      if (e.key == 0) continue;
      std::size_t i = Slot(e.key);
      while (slots_[i].key != 0) i = (i + 1) & (n - 1);
      slots_[i] = e;
    }
  }

  struct OtherEntry {
    std::uint64_t hash;
    std::uint32_t id;  // kNone: free
  };

  static std::uint64_t HashOf(std::string_view key) {
    std::uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a
    for (char c : key) {
      h ^= static_cast<unsigned char>(c);
      h *= 0x100000001b3ull;
    }
    return h;
  }

  std::size_t OtherSlot(std::uint64_t h) const {
    return static_cast<std::size_t>((h * 0x9E3779B97F4A7C15ull) >>
                                    other_shift_);
  }

  void GrowOthers() {
    std::vector<OtherEntry> old = std::move(other_slots_);
    std::size_t n = old.empty() ? 256 : old.size() * 2;
    other_slots_.assign(n, OtherEntry{0, kNone});
    other_shift_ = 64 - static_cast<int>(std::countr_zero(n));
    for (const OtherEntry& e : old) {
      if (e.id == kNone) continue;
      std::size_t i = OtherSlot(e.hash);
      while (other_slots_[i].id != kNone) i = (i + 1) & (n - 1);
      other_slots_[i] = e;
    }
  }

  std::vector<Entry> slots_;
  std::size_t used_ = 0;
  int shift_ = 64;
  std::vector<OtherEntry> other_slots_;
  std::size_t others_ = 0;
  int other_shift_ = 64;
  std::string arena_;
  std::vector<std::uint32_t> ends_;  // where each key ends in arena_
};

}  // namespace

// Keys seen across the schools of a tree, to find one student in two.
struct CrossSchoolKeys {
  struct Entry {
    std::uint64_t key;
    std::uint32_t school;
    std::uint32_t line;
    bool operator<(const Entry& o) const {
      return key != o.key         ? key < o.key
             : school != o.school ? school < o.school
                                  : line < o.line;
    }
  };
  std::vector<Entry> student_nos, id_numbers;
  std::vector<std::string> schools;  // display prefix ("3401/3401040001/")
  std::vector<std::string> codes;    // school codes, for messages
};

namespace {

struct Student {
  std::uint64_t line = 0;
  int grade = 0;
  char sex = 0;
  char status = 0;
  bool has_id = false;
  bool guardian = false;     // has a guardian (is_guardian = 1)
  bool guardian_id = false;  // ... with an ID number
};

struct PrevStudent {
  std::uint64_t line = 0;
  int grade = 0;
  char status = 0;
};

struct Change {
  std::uint64_t line;
  int type;
  std::uint32_t student_no;  // its id in SchoolCheck::change_nos_
  int to_grade;
};

// The change types a student has, as a set: one bit a type below 64 (all
// the codes of the built-in table), the rest apart.
struct TypeSet {
  std::uint64_t bits = 0;
  std::vector<int> more;
  void Add(int t) {
    if (t >= 0 && t < 64) {
      bits |= std::uint64_t{1} << t;
    } else if (std::find(more.begin(), more.end(), t) == more.end()) {
      more.push_back(t);
    }
  }
  template <typename F>
  bool Any(F pred) const {
    for (int t = 0; t < 64; ++t) {
      if ((bits >> t & 1) && pred(t)) return true;
    }
    for (int t : more) {
      if (pred(t)) return true;
    }
    return false;
  }
};

// A record with its fields addressed by schema field index.
class Row {
 public:
  Row(const std::vector<std::string_view>& fields,
      const std::vector<int>& column, std::uint64_t line)
      : fields_(fields), column_(column), line_(line) {}
  std::string_view operator[](int field) const {
    if (field < 0) return {};
    int c = column_[static_cast<std::size_t>(field)];
    return c < 0 ? std::string_view() : fields_[static_cast<std::size_t>(c)];
  }
  std::uint64_t line() const { return line_; }

 private:
  const std::vector<std::string_view>& fields_;
  const std::vector<int>& column_;
  std::uint64_t line_;
};

class SchoolCheck {
 public:
  SchoolCheck(const RegistryData& data, const CheckOptions& options,
              std::string dir, std::string prefix, std::string prev_dir,
              FindingSink& sink, CheckTotals& totals, CrossSchoolKeys* keys)
      : data_(data),
        schema_(*data.schema),
        options_(options),
        dir_(std::move(dir)),
        prefix_(std::move(prefix)),
        prev_dir_(std::move(prev_dir)),
        sink_(sink),
        totals_(totals),
        keys_(keys) {}

  Status Run() {
    ++totals_.schools;
    if (keys_ != nullptr) {
      school_index_ = static_cast<std::uint32_t>(keys_->schools.size());
      keys_->schools.push_back(prefix_);
      keys_->codes.emplace_back();
    }
    XJ_RETURN_IF_ERROR(CheckSchool());
    XJ_RETURN_IF_ERROR(CheckClasses());
    XJ_RETURN_IF_ERROR(CheckStudents());
    XJ_RETURN_IF_ERROR(CheckGuardians());
    XJ_RETURN_IF_ERROR(CheckChanges());
    XJ_RETURN_IF_ERROR(CheckSummary());
    if (!prev_dir_.empty()) XJ_RETURN_IF_ERROR(CheckPrevious());
    return Status::Ok();
  }

 private:
  // ---- reporting ----

  // Reports that `file` (at `line`, 0 for the whole file) breaks `rule`;
  // the table of rules says whether that is an error or a warning.
  void Flag(std::string_view file, std::uint64_t line, std::string_view field,
            Rule rule, std::string message, Mask mask = Mask::kNone,
            std::string_view value = {}) {
    Finding f;
    f.rule = rule;
    f.file = prefix_ + std::string(file);
    f.line = line;
    f.field = std::string(field);
    f.message = std::move(message);
    if (!value.empty()) {
      f.value = MaskValue(mask, value);
      f.raw_value = std::string(value);
    }
    (f.severity() == Severity::kError ? totals_.errors : totals_.warnings)++;
    sink_.Report(f);
  }

  // ---- reading a file against its schema ----

  // Reads `spec`'s file, checking every field, and calls on_row for each
  // record. *complete is false when the file is missing or was abandoned.
  template <typename F>
  Status ForEachRow(const FileSpec& spec, bool* complete, F on_row) {
    Result<bool> r = ReadRows(spec, on_row);
    if (!r.ok()) return r.status();
    *complete = *r;
    return Status::Ok();
  }

  template <typename F>
  Result<bool> ReadRows(const FileSpec& spec, F on_row) {
    std::string path = dir_ + "/" + spec.name;
    if (!os::Exists(path)) {
      if (!spec.optional) {
        Flag(spec.name, 0, "", Rule::kFileMissing,
             fmt::format("the file is missing ({})", spec.title));
      }
      return false;
    }
    csv::ReaderOptions ro;
    ro.encoding = options_.encoding;
    Result<std::unique_ptr<csv::Reader>> opened =
        csv::Reader::Open(path, spec.name, ro);
    if (!opened.ok()) {
      if (opened.status().code() != Code::kMalformed) return opened.status();
      // Open() fails before a Reader exists only for encoding trouble found
      // on the first line or by the UTF-8 scan; the message carries it.
      Abandon(spec.name, opened.status().message());
      return false;
    }
    csv::Reader& reader = **opened;
    Result<std::vector<std::string>> header = reader.ReadHeader();
    if (!header.ok()) return Abandoned(reader, spec, header.status());
    std::vector<int> column(spec.fields.size(), -1);
    for (std::size_t c = 0; c < header->size(); ++c) {
      int f = spec.FieldIndex((*header)[c]);
      if (f < 0) {
        Flag(spec.name, 1, "", Rule::kCsvHeader,
             fmt::format("unknown column \"{}\" (not in schema {})",
                         EscapeForDisplay((*header)[c]), schema_.Label()));
        ++totals_.abandoned_files;
        return false;
      }
      column[static_cast<std::size_t>(f)] = static_cast<int>(c);
    }
    for (std::size_t f = 0; f < spec.fields.size(); ++f) {
      if (column[f] < 0 &&
          spec.fields[f].requirement == Requirement::kRequired) {
        Flag(spec.name, 1, spec.fields[f].name, Rule::kCsvHeader,
             fmt::format("the required column \"{}\" ({}) is missing",
                         spec.fields[f].name, spec.fields[f].zh));
        ++totals_.abandoned_files;
        return false;
      }
    }
    // The normalised copy for a bundle, when asked for.
    std::unique_ptr<os::AtomicFile> copy;
    std::unique_ptr<formats::csv::Writer> writer;
    if (!options_.normalized_dir.empty()) {
      XJ_ASSIGN_OR_RETURN(
          os::AtomicFile f,
          os::AtomicFile::Create(options_.normalized_dir + "/" + spec.name,
                                 0600, os::Replace::kNever));
      copy = std::make_unique<os::AtomicFile>(std::move(f));
      writer = std::make_unique<formats::csv::Writer>(&copy->sink());
      std::vector<std::string_view> names(header->begin(), header->end());
      XJ_RETURN_IF_ERROR(writer->Write(names));
    }
    std::uint64_t count = 0;
    for (;;) {
      Result<bool> more = reader.Next();
      if (!more.ok()) return Abandoned(reader, spec, more.status());
      if (!*more) break;
      ++count;
      if (writer) XJ_RETURN_IF_ERROR(writer->Write(reader.fields()));
      Row row(reader.fields(), column, reader.line());
      bad_.assign(spec.fields.size(), false);
      CheckFields(spec, row);
      on_row(row);
    }
    if (writer) {
      XJ_RETURN_IF_ERROR(writer->Flush());
      XJ_RETURN_IF_ERROR(copy->Commit());
    }
    totals_.records[spec.name] += count;
    totals_.normalized_fields += reader.info().normalized_fields;
    if (reader.info().encoding == csv::Encoding::kGb18030)
      ++totals_.gb18030_files;
    if (spec.one_row && count != 1) {
      Flag(spec.name, 0, "", Rule::kFileRows,
           fmt::format("expected exactly one record, found {}", count));
    }
    return true;
  }

  void Abandon(std::string_view file, std::string_view message) {
    // The message is "file:line: what"; keep the line as the location.
    std::string_view m = message;
    std::uint64_t line = 0;
    if (m.substr(0, file.size()) == file && m.size() > file.size() &&
        m[file.size()] == ':') {
      m.remove_prefix(file.size() + 1);
      std::size_t colon = m.find(':');
      line = static_cast<std::uint64_t>(ToInt(m.substr(0, colon), 0));
      m.remove_prefix(colon + 2);
    }
    Flag(file, line, "", Rule::kCsvMalformed,
         fmt::format("{}; the file was not checked further", m));
    ++totals_.abandoned_files;
  }

  Result<bool> Abandoned(const csv::Reader& reader, const FileSpec& spec,
                         const Status& status) {
    if (status.code() != Code::kMalformed) return status;
    Flag(spec.name, reader.error_line(), "", Rule::kCsvMalformed,
         fmt::format("{}; the file was not checked further",
                     reader.error_what()));
    ++totals_.abandoned_files;
    return false;
  }

  void CheckFields(const FileSpec& spec, const Row& row) {
    ValueContext ctx;
    ctx.divisions = &data_.divisions;
    ctx.census = census_;
    if (!have_census_) {
      // school.csv carries the census date its own fields are judged by.
      int c = spec.FieldIndex("census_date");
      if (std::optional<Date> d = c >= 0 ? ParseDate(row[c]) : std::nullopt) {
        ctx.census = *d;
      }
    }
    for (std::size_t i = 0; i < spec.fields.size(); ++i) {
      const FieldSpec& f = spec.fields[i];
      std::string_view v = row[static_cast<int>(i)];
      if (v.empty()) {
        if (IsRequired(f, row)) {
          std::string why =
              f.requirement == Requirement::kRequired
                  ? std::string()
                  : fmt::format(" when {} is {}", f.condition_field,
                                row[spec.FieldIndex(f.condition_field)]);
          if (f.requirement == Requirement::kRequiredUnless) {
            why = fmt::format(" unless {} is {}", f.condition_field,
                              fmt::join(f.condition_values, " or "));
          }
          Flag(spec.name, row.line(), f.name, Rule::kRequired,
               fmt::format("{} ({}) is required{}", f.zh, f.en, why));
        }
        continue;
      }
      if (f.type_index >= 0) ctx.type_value = row[f.type_index];
      std::optional<Problem> p = CheckValue(f, v, ctx);
      if (p) {
        Flag(spec.name, row.line(), f.name, p->rule, p->message, f.mask, v);
        if (p->severity() == Severity::kError) bad_[i] = true;
      }
    }
  }

  bool IsRequired(const FieldSpec& f, const Row& row) {
    switch (f.requirement) {
      case Requirement::kRequired:
        return true;
      case Requirement::kOptional:
        return false;
      case Requirement::kRequiredIf:
      case Requirement::kRequiredUnless: {
        std::string_view cond = row[f.condition_index];
        bool match =
            std::find(f.condition_values.begin(), f.condition_values.end(),
                      cond) != f.condition_values.end();
        return f.requirement == Requirement::kRequiredIf ? match : !match;
      }
    }
    return false;
  }

  // Whether the field (by schema index) passed its own check in the
  // current row.
  bool Good(int field) const {
    return field >= 0 && !bad_[static_cast<std::size_t>(field)];
  }

  // ---- the files, in order ----

  Status CheckSchool() {
    const FileSpec& spec = *schema_.File("school.csv");
    int code = spec.FieldIndex("school_code"),
        county = spec.FieldIndex("county_code"),
        type = spec.FieldIndex("school_type"),
        census = spec.FieldIndex("census_date");
    // The census date is needed to check the school record's own fields.
    bool first = true;
    bool ok = false;
    XJ_RETURN_IF_ERROR(ForEachRow(spec, &ok, [&](const Row& row) {
      if (!first) return;
      first = false;
      school_code_ = std::string(row[code]);
      county_ = std::string(row[county]);
      school_type_ = std::string(row[type]);
      if (std::optional<Date> d = ParseDate(row[census])) {
        census_ = *d;
        have_census_ = true;
      }
      if (school_code_.size() == 10 && school_code_.compare(2, 2, "34") != 0) {
        Flag(spec.name, row.line(), "school_code", Rule::kSchoolProvince,
             "a school reporting here has an Anhui (34) school code",
             Mask::kNone, school_code_);
      }
      if (school_code_.size() == 10 &&
          school_code_.compare(0, 2, school_type_) != 0) {
        Flag(spec.name, row.line(), "school_type", Rule::kSchoolType,
             fmt::format("the school code begins {}, the school type is {}",
                         school_code_.substr(0, 2), school_type_));
      }
    }));
    school_ok_ = ok && !school_code_.empty();
    if (keys_ != nullptr) keys_->codes[school_index_] = school_code_;
    return Status::Ok();
  }

  // Grades a school of this type teaches.
  bool GradeFits(int grade) const {
    if (school_type_ == "21") return grade >= 1 && grade <= 6;
    if (school_type_ == "31") return grade >= 7 && grade <= 9;
    if (school_type_ == "34") return grade >= 10 && grade <= 12;
    return true;  // special schools, and unknown types, teach any grade
  }

  Status CheckClasses() {
    const FileSpec& spec = *schema_.File("classes.csv");
    int grade = spec.FieldIndex("grade"),
        class_no = spec.FieldIndex("class_no");
    XJ_RETURN_IF_ERROR(ForEachRow(spec, &classes_ok_, [&](const Row& row) {
      int g = ToInt(row[grade]), c = ToInt(row[class_no]);
      if (Good(grade) && Good(class_no) && g > 0 && c > 0) {
        if (!classes_.insert({g, c}).second) {
          Flag(spec.name, row.line(), "class_no", Rule::kClassDuplicate,
               fmt::format("grade {} class {} is listed twice", g, c));
        } else if (school_ok_ && !GradeFits(g)) {
          Flag(spec.name, row.line(), "grade", Rule::kGradeSchoolType,
               fmt::format("grade {} is not taught at a school of type {}", g,
                           school_type_));
        }
      }
    }));
    return Status::Ok();
  }

  Status CheckStudents() {
    const FileSpec& spec = *schema_.File("students.csv");
    const std::string& file = spec.name;
    int f_no = spec.FieldIndex("student_no"),
        f_anhui = spec.FieldIndex("anhui_no"), f_sex = spec.FieldIndex("sex"),
        f_birth = spec.FieldIndex("birth_date"),
        f_idtype = spec.FieldIndex("id_type"),
        f_id = spec.FieldIndex("id_number"),
        f_hukou = spec.FieldIndex("hukou_place"),
        f_grade = spec.FieldIndex("grade"),
        f_class = spec.FieldIndex("class_no"),
        f_status = spec.FieldIndex("status"),
        f_entry = spec.FieldIndex("entry_date"),
        f_migrant = spec.FieldIndex("migrant"),
        f_note = spec.FieldIndex("migrant_note"),
        f_health = spec.FieldIndex("health"),
        f_disab = spec.FieldIndex("disability"),
        f_incl = spec.FieldIndex("inclusive"),
        f_photo = spec.FieldIndex("photo");
    Mask id_mask = spec.fields[static_cast<std::size_t>(f_id)].mask;
    Mask no_mask = spec.fields[static_cast<std::size_t>(f_no)].mask;
    KeyIndex ids;
    std::vector<std::uint64_t> id_lines;  // by id in `ids`
    XJ_RETURN_IF_ERROR(ForEachRow(spec, &students_ok_, [&](const Row& row) {
      std::uint64_t line = row.line();
      std::string_view no = row[f_no];
      std::string_view id = row[f_id];
      Student s;
      s.line = line;
      s.grade = ToInt(row[f_grade], 0);
      s.sex = row[f_sex].size() == 1 ? row[f_sex][0] : 0;
      s.status = row[f_status].size() == 1 ? row[f_status][0] : 0;
      s.has_id = !id.empty();
      std::optional<Date> birth =
          Good(f_birth) ? ParseDate(row[f_birth]) : std::nullopt;
      // Identity: the ID number agrees with the birth date and sex.
      std::string_view idtype = row[f_idtype];
      bool id_card = idtype.size() == 1 && idtype[0] == '1';
      // (It passed its own check: when the schema checks it as an ID
      // number, its GB 11643 structure holds.)
      std::optional<CitizenId> cid;
      if (id_card && Good(f_id)) cid = CitizenIdParts(id);
      if (cid) {
        if (birth && cid->birth != *birth) {
          Flag(file, line, "id_number", Rule::kCitizenIdBirthDate,
               "the birth date inside the ID number differs from birth_date",
               id_mask, id);
        }
        if ((s.sex == '1' || s.sex == '2') && cid->male != (s.sex == '1')) {
          Flag(file, line, "id_number", Rule::kCitizenIdSex,
               "the ID number's sequence digit says the other sex (odd = "
               "male)",
               id_mask, id);
        }
        if (Good(f_no) && !no.empty() && no[0] == 'G' && no.substr(1) != id) {
          Flag(file, line, "student_no", Rule::kStudentNoIdNumber,
               "a G student number is normally G followed by the ID number",
               no_mask, no);
        }
      }
      if (Good(f_no) && birth) {
        std::optional<Date> in_number = StudentNumberBirthDate(no);
        if (in_number && *in_number != *birth) {
          Flag(file, line, "student_no", Rule::kStudentNoBirthDate,
               "the birth date inside the student number differs from "
               "birth_date",
               no_mask, no);
        }
      }
      std::string_view anhui = row[f_anhui];
      if (!anhui.empty() && Good(f_anhui) && (s.sex == '1' || s.sex == '2')) {
        bool odd = (anhui[11] - '0') % 2 == 1;
        if (odd != (s.sex == '1')) {
          Flag(file, line, "anhui_no", Rule::kXjhAnhuiSex,
               "the feature digit (12th) says the other sex (odd = male)",
               no_mask, anhui);
        }
      }
      // Uniqueness within the school.
      if (!no.empty()) {
        std::uint64_t k = 0;
        auto [sid, fresh] = student_ids_.Insert(no, &k);
        if (fresh) students_.push_back(s);
        if (!fresh) {
          Flag(file, line, "student_no", Rule::kUniqueStudentNo,
               fmt::format("the student number is already used on line {}",
                           students_[sid].line),
               no_mask, no);
        } else if (keys_ != nullptr && Good(f_no) && k != 0) {
          keys_->student_nos.push_back(
              {k, school_index_, static_cast<std::uint32_t>(line)});
        }
      }
      if (!id.empty() && id_card) {
        std::uint64_t k = 0;
        auto [iid, fresh] = ids.Insert(id, &k);
        if (fresh) id_lines.push_back(line);
        if (!fresh) {
          Flag(file, line, "id_number", Rule::kUniqueIdNumber,
               fmt::format("the ID number is already used on line {}",
                           id_lines[iid]),
               id_mask, id);
        } else if (keys_ != nullptr && Good(f_id) && k != 0) {
          keys_->id_numbers.push_back(
              {k, school_index_, static_cast<std::uint32_t>(line)});
        }
      }
      // Grade and class.
      if (s.grade > 0 && Good(f_grade) && Good(f_class)) {
        int c = ToInt(row[f_class], 0);
        if (school_ok_ && !GradeFits(s.grade)) {
          Flag(file, line, "grade", Rule::kGradeSchoolType,
               fmt::format("grade {} is not taught at a school of type {}",
                           s.grade, school_type_));
        } else if (classes_ok_ && c > 0 && classes_.count({s.grade, c}) == 0) {
          Flag(file, line, "class_no", Rule::kClassMissing,
               fmt::format("grade {} class {} is not in classes.csv", s.grade,
                           c));
        }
      }
      // Dates against the census.
      if (birth && have_census_) {
        if (census_ < *birth) {
          Flag(file, line, "birth_date", Rule::kBirthDateFuture,
               "the birth date is after the census date", Mask::kDate,
               row[f_birth]);
        } else if (s.grade > 0 && Good(f_grade)) {
          int age = AgeAt(*birth, census_);
          // Usual age on the census date is grade + 5 or grade + 6; allow a
          // year early and two late (late entry, a repeated grade).
          if (age < s.grade + 4 || age > s.grade + 8) {
            Flag(file, line, "birth_date", Rule::kAgeGrade,
                 fmt::format("aged {} on the census date, unusual for grade {} "
                             "(usually {} or {})",
                             age, s.grade, s.grade + 5, s.grade + 6),
                 Mask::kDate, row[f_birth]);
          }
        }
      }
      if (have_census_ && Good(f_entry) && !row[f_entry].empty()) {
        std::string_view e = row[f_entry];
        int ym = ToInt(e.substr(0, 4), 0) * 100 + ToInt(e.substr(5, 2), 0);
        if (ym > census_.ym()) {
          Flag(file, line, "entry_date", Rule::kEntryDateFuture,
               "the entry month is after the census date", Mask::kNone, e);
        }
      }
      // Migrant children: registered outside the school's county.
      std::string_view hukou = row[f_hukou];
      if (school_ok_ && hukou.size() == 6 && Good(f_hukou) && Good(f_migrant)) {
        bool outside = hukou != county_;
        std::string_view migrant = row[f_migrant];
        if (outside && migrant == "0" && row[f_note].empty()) {
          Flag(file, line, "migrant", Rule::kMigrantUnflagged,
               fmt::format("the household registration ({}) is outside the "
                           "school's county ({}) but the student is not marked "
                           "as a migrant child and no reason is given",
                           hukou, county_));
        } else if (!outside && migrant == "1") {
          Flag(file, line, "migrant", Rule::kMigrantInconsistent,
               "marked as a migrant child, but registered in the school's own "
               "county");
        }
      }
      // Disability codes agree with each other.
      if (Good(f_disab) && Good(f_incl) && Good(f_health)) {
        if (row[f_incl] != "0" && row[f_disab] == "0") {
          Flag(file, line, "inclusive", Rule::kInclusiveDisability,
               "taught in a regular class as a disabled student, but no "
               "disability is recorded");
        } else if (row[f_disab] != "0" && row[f_health] != "50") {
          Flag(file, line, "health", Rule::kDisabilityHealth,
               "a disability is recorded but health is not 50 (残疾)");
        }
      }
      std::string_view photo = row[f_photo];
      if (!photo.empty() && Good(f_photo)) CheckPhoto(file, line, photo);
      if (s.status == '1' && (s.sex == '1' || s.sex == '2') && s.grade > 0) {
        ++enrolled_[{s.grade, s.sex}];
      }
      if (s.status == '2') ++status_count_['2'];
      if (s.status == '3') ++status_count_['3'];
    }));
    return Status::Ok();
  }

  void CheckPhoto(std::string_view file, std::uint64_t line,
                  std::string_view photo) {
    std::string path = dir_ + "/" + std::string(photo);
    // The path names the student, so messages never carry it unmasked.
    if (!os::Exists(path)) {
      Flag(file, line, "photo", Rule::kPhotoMissing,
           "the photo file is missing", Mask::kId, photo);
      return;
    }
    if (!os::IsRegularFile(path)) {
      Flag(file, line, "photo", Rule::kPhotoUnreadable,
           "the photo is not a regular file (a folder, link or device)",
           Mask::kId, photo);
      return;
    }
    Result<Bytes> data = os::ReadFile(path, 60 * 1024);
    if (!data.ok()) {
      if (data.status().code() == Code::kInvalidArgument) {
        Flag(file, line, "photo", Rule::kPhotoSize,
             "the photo is larger than 60 KB", Mask::kId, photo);
      } else {
        Flag(file, line, "photo", Rule::kPhotoUnreadable,
             fmt::format("the photo cannot be read ({})",
                         CodeName(data.status().code())),
             Mask::kId, photo);
      }
      return;
    }
    const Bytes& b = *data;
    if (b.size() < 4 || b[0] != 0xFF || b[1] != 0xD8 ||
        b[b.size() - 2] != 0xFF || b[b.size() - 1] != 0xD9) {
      Flag(file, line, "photo", Rule::kPhotoJpeg,
           "the photo is not a complete JPEG file", Mask::kId, photo);
    }
  }

  Status CheckGuardians() {
    const FileSpec& spec = *schema_.File("guardians.csv");
    int f_no = spec.FieldIndex("student_no"),
        f_is = spec.FieldIndex("is_guardian"),
        f_id = spec.FieldIndex("id_number");
    Mask no_mask = spec.fields[static_cast<std::size_t>(f_no)].mask;
    bool ok = false;
    XJ_RETURN_IF_ERROR(ForEachRow(spec, &ok, [&](const Row& row) {
      std::string_view no = row[f_no];
      std::uint32_t sid = student_ids_.Find(no);
      if (sid == KeyIndex::kNone) {
        if (students_ok_ && !no.empty()) {
          Flag(spec.name, row.line(), "student_no", Rule::kGuardianStudent,
               "no student with this number in students.csv", no_mask, no);
        }
      } else if (row[f_is] == "1") {
        students_[sid].guardian = true;
        if (!row[f_id].empty() && Good(f_id)) students_[sid].guardian_id = true;
      }
    }));
    if (!ok || !students_ok_) return Status::Ok();
    const std::string students_file = "students.csv";
    const FileSpec& sspec = *schema_.File("students.csv");
    Mask sno_mask =
        sspec.fields[static_cast<std::size_t>(sspec.FieldIndex("student_no"))]
            .mask;
    // Students are numbered in the order of their lines.
    for (std::uint32_t sid = 0; sid < students_.size(); ++sid) {
      const Student& s = students_[sid];
      if (!s.guardian) {
        Flag(students_file, s.line, "student_no", Rule::kGuardianMissing,
             "no guardian (is_guardian = 1) is listed in guardians.csv",
             sno_mask, student_ids_.Key(sid));
      } else if (!s.has_id && !s.guardian_id) {
        Flag(students_file, s.line, "id_number", Rule::kGuardianIdRequired,
             "a student without an ID number needs a guardian with one",
             sno_mask, student_ids_.Key(sid));
      }
    }
    return Status::Ok();
  }

  Status CheckChanges() {
    const FileSpec& spec = *schema_.File("changes.csv");
    int f_id = spec.FieldIndex("change_id"),
        f_no = spec.FieldIndex("student_no"),
        f_type = spec.FieldIndex("change_type"),
        f_eff = spec.FieldIndex("effective_date"),
        f_from = spec.FieldIndex("from_school"),
        f_appr = spec.FieldIndex("approval_date"),
        f_to_grade = spec.FieldIndex("to_grade");
    Mask no_mask = spec.fields[static_cast<std::size_t>(f_no)].mask;
    KeyIndex ids;
    std::vector<std::uint64_t> id_lines;  // by id in `ids`
    Date period_start = YearBefore(census_);
    std::vector<Change> pending;  // checked against the roster afterwards
    XJ_RETURN_IF_ERROR(ForEachRow(spec, &changes_ok_, [&](const Row& row) {
      std::uint64_t line = row.line();
      std::string_view cid = row[f_id];
      if (!cid.empty()) {
        auto [at, fresh] = ids.Insert(cid);
        if (fresh) id_lines.push_back(line);
        if (!fresh) {
          Flag(spec.name, line, "change_id", Rule::kUniqueChangeId,
               fmt::format("the change number is already used on line {}",
                           id_lines[at]),
               Mask::kNone, cid);
        }
      }
      int type = Good(f_type) ? ToInt(row[f_type], 0) : 0;
      std::string_view no = row[f_no];
      std::uint32_t no_id = change_nos_.Insert(no).first;
      if (type != 0) ++change_count_[type];
      std::optional<Date> eff =
          Good(f_eff) ? ParseDate(row[f_eff]) : std::nullopt;
      if (eff && have_census_ && (*eff <= period_start || census_ < *eff)) {
        Flag(spec.name, line, "effective_date", Rule::kChangePeriod,
             fmt::format("the change is outside this report's year (after {}, "
                         "up to {})",
                         FormatDate(period_start), FormatDate(census_)),
             Mask::kNone, row[f_eff]);
      }
      std::optional<Date> appr =
          Good(f_appr) ? ParseDate(row[f_appr]) : std::nullopt;
      if (appr && have_census_ && census_ < *appr) {
        Flag(spec.name, line, "approval_date", Rule::kChangeApprovalDate,
             "the approval is dated after the census", Mask::kNone,
             row[f_appr]);
      }
      if (type != 0 && !no.empty() && Good(f_no))
        pending.push_back({line, type, no_id, 0});
      if (type == kWithdrawal && school_ok_ && school_type_ != "34") {
        Flag(spec.name, line, "change_type", Rule::kChangeWithdrawalCompulsory,
             "withdrawal (24) is possible only in senior high school; in "
             "compulsory education record a dropout (28)");
      }
      if (type == kTransferIn && school_ok_ && row[f_from] == school_code_) {
        Flag(spec.name, line, "from_school", Rule::kChangeSelfTransfer,
             "a transfer in from the school itself");
      }
      changes_.push_back({line, type, no_id, ToInt(row[f_to_grade], 0)});
    }));
    if (!changes_ok_ || !students_ok_) return Status::Ok();
    // Whether a change fits the roster depends on the student's other
    // changes this year: suspended, then transferred out, is not missing.
    std::vector<TypeSet> types(change_nos_.size());
    for (const Change& c : pending) types[c.student_no].Add(c.type);
    auto also = [&](std::uint32_t no, bool (*pred)(int)) {
      return types[no].Any(pred);
    };
    for (const Change& c : pending) {
      std::string_view no = change_nos_.Key(c.student_no);
      std::uint32_t sid = student_ids_.Find(no);
      bool present = sid != KeyIndex::kNone;
      if (LeavesSchool(c.type) && present && !also(c.student_no, [](int t) {
            return t == kAdmitted || t == kTransferIn;
          })) {
        Flag(spec.name, c.line, "student_no", Rule::kChangeStudentPresent,
             fmt::format("a change of type {} means the student left, but the "
                         "student is still in students.csv (line {})",
                         c.type, students_[sid].line),
             no_mask, no);
      } else if (NeedsStudent(c.type) && !present &&
                 !also(c.student_no, LeavesSchool)) {
        Flag(spec.name, c.line, "student_no", Rule::kChangeStudentMissing,
             fmt::format(
                 "a change of type {} needs the student in students.csv, and "
                 "there is none with this number",
                 c.type),
             no_mask, no);
      } else if (c.type == kDropout && present &&
                 students_[sid].status != '3') {
        Flag(spec.name, c.line, "student_no", Rule::kChangeDropoutStatus,
             "a dropout (28) is recorded but the student's status is not 3 "
             "(辍学)",
             no_mask, no);
      }
    }
    return Status::Ok();
  }

  Status CheckSummary() {
    const FileSpec& spec = *schema_.File("summary.csv");
    int f_metric = spec.FieldIndex("metric"),
        f_grade = spec.FieldIndex("grade"), f_sex = spec.FieldIndex("sex"),
        f_count = spec.FieldIndex("count");
    std::map<std::tuple<std::string, int, char>, std::pair<int, std::uint64_t>>
        declared;
    bool ok = false;
    XJ_RETURN_IF_ERROR(ForEachRow(spec, &ok, [&](const Row& row) {
      std::string metric(row[f_metric]);
      int grade = row[f_grade].empty() ? 0 : ToInt(row[f_grade], 0);
      char sex = row[f_sex].empty() ? 0 : row[f_sex][0];
      int count = ToInt(row[f_count], -1);
      if (!Good(f_metric) || !Good(f_grade) || !Good(f_sex) || count < 0) {
        return;
      }
      bool by_cell = metric == "enrolled";
      if (by_cell != (grade != 0) || by_cell != (sex != 0)) {
        Flag(spec.name, row.line(), "metric", Rule::kSummaryShape,
             by_cell ? "an enrolled count is given per grade and sex; fill both"
                     : "only enrolled counts are split by grade and sex; leave "
                       "both empty");
      } else if (!declared
                      .emplace(std::tuple{metric, grade, sex},
                               std::pair{count, row.line()})
                      .second) {
        Flag(spec.name, row.line(), "metric", Rule::kSummaryDuplicate,
             "the same count is declared twice");
      }
    }));
    if (!ok) return Status::Ok();
    auto declared_of = [&](const std::string& metric, int grade,
                           char sex) -> std::pair<int, std::uint64_t> {
      auto it = declared.find({metric, grade, sex});
      return it == declared.end() ? std::pair{0, std::uint64_t{0}} : it->second;
    };
    auto compare = [&](const std::string& metric, int grade, char sex,
                       int actual, std::string_view what) {
      auto [count, line] = declared_of(metric, grade, sex);
      if (count != actual) {
        std::string cell =
            grade == 0 ? std::string(metric)
                       : fmt::format("{} grade {} sex {}", metric, grade, sex);
        Flag(spec.name, line, "count",
             metric == "enrolled" ? Rule::kSummaryEnrolled
             : (metric == "suspended" || metric == "dropped-out")
                 ? Rule::kSummaryStatus
                 : Rule::kSummaryChanges,
             fmt::format("{}: declared {}, but {} holds {}", cell, count, what,
                         actual));
      }
    };
    if (students_ok_) {
      std::set<std::pair<int, char>> cells;
      for (const auto& [cell, n] : enrolled_) cells.insert(cell);
      for (const auto& [key, v] : declared) {
        if (std::get<0>(key) == "enrolled")
          cells.insert({std::get<1>(key), std::get<2>(key)});
      }
      for (const auto& [grade, sex] : cells) {
        auto it = enrolled_.find({grade, sex});
        compare("enrolled", grade, sex, it == enrolled_.end() ? 0 : it->second,
                "students.csv (status 1)");
      }
      compare("suspended", 0, 0, status_count_['2'], "students.csv (status 2)");
      compare("dropped-out", 0, 0, status_count_['3'],
              "students.csv (status 3)");
    }
    if (changes_ok_) {
      for (const auto& [metric, type] : kChangeMetrics) {
        compare(std::string(metric), 0, 0, change_count_[type],
                fmt::format("changes.csv (type {})", type));
      }
    }
    return Status::Ok();
  }

  // ---- last year ----

  Status CheckPrevious() {
    const std::string file = "students.csv";
    std::string path = prev_dir_ + "/" + file;
    if (!students_ok_ || !changes_ok_) return Status::Ok();
    std::unordered_map<std::string, PrevStudent> prev;
    {
      if (!os::IsDirectory(prev_dir_)) {
        Flag(file, 0, "", Rule::kPreviousNewSchool,
             "the school has no registry last year (a new school?); "
             "year-over-year "
             "rules skipped");
        return Status::Ok();
      }
      if (!os::Exists(path)) {
        Flag(file, 0, "", Rule::kPreviousMissing,
             "last year's registry of this school has no students.csv");
        return Status::Ok();
      }
      csv::ReaderOptions ro;
      ro.encoding = options_.encoding;
      Result<std::unique_ptr<csv::Reader>> r =
          csv::Reader::Open(path, "previous " + file, ro);
      if (!r.ok()) {
        if (r.status().code() != Code::kMalformed) return r.status();
        Flag(file, 0, "", Rule::kPreviousMalformed, r.status().message());
        return Status::Ok();
      }
      Result<std::vector<std::string>> header = (*r)->ReadHeader();
      auto col = [&](std::string_view name) -> int {
        if (!header.ok()) return -1;
        auto it = std::find(header->begin(), header->end(), name);
        return it == header->end() ? -1
                                   : static_cast<int>(it - header->begin());
      };
      int c_no = col("student_no"), c_grade = col("grade"),
          c_status = col("status");
      if (!header.ok() || c_no < 0 || c_grade < 0 || c_status < 0) {
        Flag(file, 0, "", Rule::kPreviousMalformed,
             "last year's students.csv lacks student_no, grade or status");
        return Status::Ok();
      }
      for (;;) {
        Result<bool> more = (*r)->Next();
        if (!more.ok()) {
          if (more.status().code() != Code::kMalformed) return more.status();
          Flag(file, 0, "", Rule::kPreviousMalformed, more.status().message());
          return Status::Ok();
        }
        if (!*more) break;
        const auto& f = (*r)->fields();
        PrevStudent p;
        p.line = (*r)->line();
        p.grade = ToInt(f[static_cast<std::size_t>(c_grade)], 0);
        p.status = f[static_cast<std::size_t>(c_status)].empty()
                       ? 0
                       : f[static_cast<std::size_t>(c_status)][0];
        prev.emplace(std::string(f[static_cast<std::size_t>(c_no)]), p);
      }
    }
    // Which change types each student has this year.
    std::unordered_map<std::string, std::set<int>> types;
    for (const Change& c : changes_) {
      if (c.type != 0)
        types[std::string(change_nos_.Key(c.student_no))].insert(c.type);
    }
    auto has = [&](const std::string& no, std::initializer_list<int> wanted) {
      auto it = types.find(no);
      if (it == types.end()) return false;
      for (int t : wanted) {
        if (it->second.count(t)) return true;
      }
      return false;
    };
    const FileSpec& spec = *schema_.File("students.csv");
    Mask no_mask =
        spec.fields[static_cast<std::size_t>(spec.FieldIndex("student_no"))]
            .mask;
    // Last year's students, in last year's order.
    std::vector<std::pair<std::uint64_t, const std::string*>> order;
    for (const auto& [no, p] : prev) order.push_back({p.line, &no});
    std::sort(order.begin(), order.end());
    for (const auto& [pline, no] : order) {
      const PrevStudent& p = prev.at(*no);
      std::uint32_t sid = student_ids_.Find(*no);
      if (sid == KeyIndex::kNone) {
        if (!has(*no, {kGraduated, kWithdrawal, kDeath, kTransferOut})) {
          Flag(file, 0, "student_no", Rule::kYoyVanished,
               fmt::format("on last year's roster (line {}) but gone, with no "
                           "graduation, transfer, withdrawal or death recorded",
                           pline),
               no_mask, *no);
        }
        continue;
      }
      const Student& s = students_[sid];
      // Last year's suspension: resumed (12) or extended (36); a dropout
      // since then is the dropout rule's business.
      if (p.status == '2' && s.status != '3') {
        bool fine =
            s.status == '2' ? has(*no, {kExtension}) : has(*no, {kResumed});
        if (!fine) {
          Flag(
              file, s.line, "status", Rule::kYoySuspension,
              s.status == '2'
                  ? "suspended last year and still suspended, with no "
                    "extension "
                    "(36) recorded"
                  : "suspended last year and back now, with no resumption (12) "
                    "recorded",
              no_mask, *no);
        }
      }
      if (p.status == '1' && s.status == '2' && !has(*no, {kSuspension})) {
        Flag(file, s.line, "status", Rule::kYoySuspensionUnrecorded,
             "suspended this year, with no suspension (23) recorded", no_mask,
             *no);
      }
      if (p.status != '3' && s.status == '3' && !has(*no, {kDropout})) {
        Flag(file, s.line, "status", Rule::kYoyDropout,
             "dropped out this year, with no dropout (28) recorded", no_mask,
             *no);
      }
      // Grades move up one a year, except as recorded.
      if (p.grade > 0 && s.grade > 0) {
        int expected = p.grade + 1;
        // A year not enrolled (suspended, or dropped out) holds the grade.
        bool held = s.grade == p.grade && (p.status != '1' || s.status != '1');
        bool repeat = s.grade == p.grade && has(*no, {kRepeat});
        bool skip = s.grade == p.grade + 2 && has(*no, {kSkip});
        if (s.grade != expected && !held && !repeat && !skip) {
          Flag(file, s.line, "grade", Rule::kYoyGrade,
               fmt::format(
                   "grade {} last year, grade {} now, with no repeat (33) "
                   "or skip (34) recorded",
                   p.grade, s.grade),
               no_mask, *no);
        }
      }
    }
    // This year's new students came from somewhere.
    for (std::uint32_t sid = 0; sid < students_.size(); ++sid) {
      std::string no(student_ids_.Key(sid));
      if (prev.count(no) == 0 && !has(no, {kAdmitted, kTransferIn})) {
        Flag(file, students_[sid].line, "student_no", Rule::kYoyNoOrigin,
             "new this year, with no admission (11) or transfer in (13) "
             "recorded",
             no_mask, no);
      }
    }
    return Status::Ok();
  }

  const RegistryData& data_;
  const Schema& schema_;
  const CheckOptions& options_;
  std::string dir_, prefix_, prev_dir_;
  FindingSink& sink_;
  CheckTotals& totals_;
  CrossSchoolKeys* keys_;
  std::uint32_t school_index_ = 0;

  std::vector<bool> bad_;  // fields of the current row that failed their check
  std::string school_code_, county_, school_type_;
  Date census_;
  bool have_census_ = false;
  bool school_ok_ = false, classes_ok_ = false, students_ok_ = false,
       changes_ok_ = false;
  std::set<std::pair<int, int>> classes_;
  KeyIndex student_ids_;
  std::vector<Student> students_;  // by id in student_ids_
  std::map<std::pair<int, char>, int> enrolled_;
  std::map<char, int> status_count_;
  std::map<int, int> change_count_;
  std::vector<Change> changes_;
  KeyIndex change_nos_;  // the student numbers changes.csv names
};

// Schools below `dir`, as paths relative to it ("" for dir itself).
Status FindSchools(const std::string& root, const std::string& rel,
                   std::vector<std::string>* out, int depth) {
  std::string dir = rel.empty() ? root : root + "/" + rel;
  if (os::Exists(dir + "/school.csv")) {
    out->push_back(rel);
    return Status::Ok();
  }
  if (depth > 12) return Status::Ok();
  XJ_ASSIGN_OR_RETURN(std::vector<std::string> names, os::ListDirectory(dir));
  for (const std::string& n : names) {
    if (n[0] == '.') continue;
    std::string child = rel.empty() ? n : rel + "/" + n;
    if (os::IsDirectory(root + "/" + child)) {
      XJ_RETURN_IF_ERROR(FindSchools(root, child, out, depth + 1));
    }
  }
  return Status::Ok();
}

void ReportDuplicates(std::vector<CrossSchoolKeys::Entry>& entries,
                      const CrossSchoolKeys& keys, std::string_view field,
                      std::string_view what, FindingSink& sink,
                      CheckTotals& totals) {
  std::sort(entries.begin(), entries.end());
  std::size_t origin_index = 0;
  for (std::size_t i = 1; i < entries.size(); ++i) {
    const auto& e = entries[i];
    if (e.key != entries[i - 1].key) {
      origin_index = i;
      continue;
    }
    // Each later occurrence is reported against the first (the run is
    // sorted by school, then line).
    const auto& origin = entries[origin_index];
    if (origin.school == e.school) continue;  // the school's own rule saw it
    Finding f;
    f.rule = Rule::kDuplicateAcrossSchools;
    f.file = keys.schools[e.school] + "students.csv";
    f.line = e.line;
    f.field = std::string(field);
    f.message = fmt::format(
        "the same {} is registered at school {} ({}students.csv "
        "line {})",
        what, keys.codes[origin.school], keys.schools[origin.school],
        origin.line);
    ++totals.errors;
    sink.Report(f);
  }
}

}  // namespace

Result<CheckTotals> CheckRegistry(const RegistryData& data,
                                  const CheckOptions& options,
                                  FindingSink& sink) {
  if (data.schema == nullptr)
    return Status(Code::kInternal, "no schema loaded");
  for (const auto& [file, fields] : AuditFields()) {
    const FileSpec* spec = data.schema->File(file);
    if (spec == nullptr) {
      return Error(Code::kMalformed,
                   "schema {} has no {}, which the audit rules need",
                   data.schema->Label(), file);
    }
    for (const std::string& f : fields) {
      if (spec->FieldIndex(f) < 0) {
        return Error(
            Code::kMalformed,
            "schema {}: {} has no field {}, which the audit rules need",
            data.schema->Label(), file, f);
      }
    }
  }
  if (!os::IsDirectory(options.dir)) {
    return Error(Code::kNotFound, "{}: no such folder", options.dir);
  }
  if (!options.previous.empty() && !os::IsDirectory(options.previous)) {
    return Error(Code::kNotFound, "{}: no such folder (last year's registry)",
                 options.previous);
  }
  std::vector<std::string> schools;
  XJ_RETURN_IF_ERROR(FindSchools(options.dir, "", &schools, 0));
  if (schools.empty()) {
    return Error(Code::kNotFound,
                 "{}: no school.csv in this folder or any folder below it",
                 options.dir);
  }
  CheckTotals totals;
  bool tree = !(schools.size() == 1 && schools[0].empty());
  CrossSchoolKeys keys;
  for (const std::string& rel : schools) {
    std::string dir = rel.empty() ? options.dir : options.dir + "/" + rel;
    std::string prefix = rel.empty() ? "" : rel + "/";
    std::string prev;
    if (!options.previous.empty()) {
      prev = rel.empty() ? options.previous : options.previous + "/" + rel;
    }
    SchoolCheck check(data, options, dir, prefix, prev, sink, totals,
                      tree ? &keys : nullptr);
    XJ_RETURN_IF_ERROR(check.Run());
  }
  if (tree) {
    auto start = std::chrono::steady_clock::now();
    totals.cross_school_keys = keys.student_nos.size() + keys.id_numbers.size();
    ReportDuplicates(keys.student_nos, keys, "student_no", "student number",
                     sink, totals);
    ReportDuplicates(keys.id_numbers, keys, "id_number", "ID number", sink,
                     totals);
    totals.cross_school_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
  }
  return totals;
}

std::string FormatFinding(const Finding& f) {
  std::string out = f.file;
  if (f.line != 0) out += fmt::format(":{}", f.line);
  out += f.severity() == Severity::kError ? ": error: " : ": warning: ";
  if (!f.field.empty()) out += f.field + ": ";
  out += EscapeForDisplay(f.message);
  out += fmt::format(" [{}]", RuleId(f.rule));
  if (!f.value.empty()) out += fmt::format(" ({})", EscapeForDisplay(f.value));
  return out;
}

}  // namespace xj::registry
