#include "bundle/held_schools.h"

#include <algorithm>
#include <array>

#include "base/bytes.h"
#include "base/os.h"
#include "libpack/stick.h"
#include "libpack/trust.h"

namespace xj::pack::bundle {
namespace {

namespace ft = formats::trust;

}  // namespace

Result<std::string> ReadText(const std::string& path, std::size_t max,
                             const FileView& files) {
  XJ_ASSIGN_OR_RETURN(Bytes b, files.ReadFile(path, max));
  return std::string(AsChars(b));
}

// What a bag holds: a school's bag data/registry (and data/check), a
// merged bag data/children and data/merged; nothing else, and never both.
// True for a merged bag.
Result<bool> CheckBagParts(const std::string& bag, const FileView& files) {
  std::vector<std::string> parts;
  if (files.IsDirectory(bag + "/data")) {
    XJ_ASSIGN_OR_RETURN(parts, files.List(bag + "/data"));
  }
  bool merged =
      std::find(parts.begin(), parts.end(), "children") != parts.end();
  for (const std::string& p : parts) {
    bool fits = merged ? (p == "children" || p == "merged")
                       : (p == "registry" || p == "check");
    if (!fits) {
      return Error(Code::kRejected, "{}/data/{}: not part of a {} bag", bag,
                   EscapeForDisplay(p), merged ? "merged" : "school's");
    }
  }
  if (!merged &&
      std::find(parts.begin(), parts.end(), "registry") == parts.end())
    return Error(Code::kRejected, "{}: a bag with no registry", bag);
  return merged;
}

// The leaves below a bag: the bag itself when it holds a registry, else
// the bags of its children.
Status CollectLeaves(const std::string& bag, const std::string& signer,
                     const std::string& bundle, std::vector<Leaf>* out,
                     const FileView& files, int depth) {
  if (depth > 6) return Error(Code::kRejected, "{}: nested too deep", bag);
  XJ_ASSIGN_OR_RETURN(bool merged, CheckBagParts(bag, files));
  if (!merged) {
    out->push_back({bag + "/data/registry", signer, bundle});
    return Status::Ok();
  }
  std::string children = bag + "/data/children";
  XJ_ASSIGN_OR_RETURN(std::vector<std::string> ids, files.List(children));
  for (const std::string& id : ids) {
    std::string dir = children + "/" + id;
    XJ_ASSIGN_OR_RETURN(std::string text, ReadText(dir + "/bundle.stmt",
                                                   ft::kMaxStatement, files));
    Result<trust::Parsed<ft::BundleStatement>> st =
        trust::ParseBundleCached(text);
    if (!st.ok()) return st.status().WithContext(dir + "/bundle.stmt");
    XJ_RETURN_IF_ERROR(
        CollectLeaves(dir + "/bag", (*st)->sender, id, out, files, depth + 1));
  }
  return Status::Ok();
}

// Some columns' values of a registry file, row by row.
Result<std::vector<std::vector<std::string>>> ReadColumns(
    formats::csv::Reader* r, const std::vector<std::string>& columns) {
  XJ_ASSIGN_OR_RETURN(std::vector<std::string> header, r->ReadHeader());
  std::vector<int> at;
  for (const std::string& c : columns) {
    auto it = std::find(header.begin(), header.end(), c);
    at.push_back(it == header.end() ? -1
                                    : static_cast<int>(it - header.begin()));
  }
  std::vector<std::vector<std::string>> rows;
  for (;;) {
    XJ_ASSIGN_OR_RETURN(bool more, r->Next());
    if (!more) break;
    std::vector<std::string> row;
    for (int i : at) {
      row.push_back(
          i < 0 || static_cast<std::size_t>(i) >= r->fields().size()
              ? std::string()
              : std::string(r->fields()[static_cast<std::size_t>(i)]));
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

Result<std::vector<std::vector<std::string>>> ReadColumns(
    const std::string& path, const std::vector<std::string>& columns) {
  XJ_ASSIGN_OR_RETURN(std::unique_ptr<formats::csv::Reader> r,
                      formats::csv::Reader::Open(path, os::BaseName(path)));
  return ReadColumns(r.get(), columns);
}

// A school's code, from its school.csv as `files` has it (a held school's
// from the very bytes its extraction hashed).
Result<std::string> SchoolCode(const std::string& registry,
                               const FileView& files) {
  // One record: far less than this.
  constexpr std::size_t kMaxSchoolFile = 1 << 20;
  std::string path = registry + "/school.csv";
  Result<Bytes> bytes = files.ReadFile(path, kMaxSchoolFile);
  if (!bytes.ok()) {
    if (bytes.status().code() == Code::kInvalidArgument) {
      return Error(Code::kRejected,
                   "{}: larger than {} bytes, and a school.csv holds one "
                   "record",
                   path, kMaxSchoolFile);
    }
    return bytes.status();
  }
  XJ_ASSIGN_OR_RETURN(
      std::unique_ptr<formats::csv::Reader> r,
      formats::csv::Reader::FromBytes(AsChars(*bytes), "school.csv"));
  XJ_ASSIGN_OR_RETURN(auto rows, ReadColumns(r.get(), {"school_code"}));
  if (rows.size() != 1)
    return Error(Code::kRejected, "{}/school.csv: not one record", registry);
  return rows[0][0];
}

// A school's registry counted: its code, and its students.csv streamed
// through a RosterCounter in pieces (memory stays small whatever the file),
// or `counted`, what a RosterCounter made of it as it was extracted.
Result<SchoolCounts> CountRegistry(
    const std::string& registry,
    Result<registry::RosterCounter::ByValues>* counted, const FileView& files) {
  SchoolCounts c;
  XJ_ASSIGN_OR_RETURN(c.code, SchoolCode(registry, files));
  std::string path = registry + "/students.csv";
  auto count = [&]() -> Result<registry::RosterCounter::ByValues> {
    if (counted != nullptr) return std::move(*counted);
    // No roster (packed with --allow-errors): no students.
    if (!os::Exists(path)) return registry::RosterCounter::ByValues();
    XJ_ASSIGN_OR_RETURN(os::File f, os::OpenForRead(path));
    registry::RosterCounter counter(path);
    os::FdSource src(f.fd());
    // One buffer a thread, kept: zeroing a fresh one for each of thousands
    // of schools cost more than counting them.
    static thread_local Bytes buf(1 << 20);
    for (;;) {
      XJ_ASSIGN_OR_RETURN(std::size_t n, src.Read(buf));
      if (n == 0) break;
      XJ_RETURN_IF_ERROR(counter.Feed(ByteSpan(buf.data(), n)));
    }
    return counter.Finish();
  };
  Result<registry::RosterCounter::ByValues> by = count();
  if (!by.ok()) {
    c.counted = by.status();
    return c;
  }
  c.by = std::move(*by);
  // The values sort as the summary's columns do (a map of them).
  for (const auto& [v, n] : c.by) {
    c.students += n;
    c.lines += c.code;
    for (const std::string& x : v) {
      c.lines += ',';
      c.lines += x;
    }
    c.lines += ',';
    c.lines += std::to_string(n);
    c.lines += "\r\n";
  }
  return c;
}

// One school's counts, read once however many holders above it ask (and
// taken from `rosters` when it was counted as it was extracted). An entry
// of the cache stays where it is: it is read without the lock.
Result<const SchoolCounts*> CountLeaf(const Leaf& l, CountCache* cache,
                                      const Rosters* rosters,
                                      const FileView& files) {
  // One spelling of each folder ("a//b" and "a/b" are one school).
  std::string key;
  for (char c : l.registry) {
    if (c != '/' || key.empty() || key.back() != '/') key += c;
  }
  {
    std::lock_guard<std::mutex> lock(cache->mu);
    auto it = cache->by.find(key);
    if (it != cache->by.end()) return &it->second;
  }
  Result<registry::RosterCounter::ByValues>* counted = nullptr;
  if (rosters != nullptr) {
    auto it = rosters->find(key);
    if (it != rosters->end()) counted = it->second;
  }
  XJ_ASSIGN_OR_RETURN(SchoolCounts c, CountRegistry(key, counted, files));
  std::lock_guard<std::mutex> lock(cache->mu);
  return &cache->by.emplace(key, std::move(c)).first->second;
}

// summary.csv of the schools below a holder: counts by school, grade, sex,
// status and migrant flag, in that order. Each school's lines are made
// once; a holder's are theirs in school order (summed where two folders
// hold registries of one school).
Result<std::string> SummaryOf(const std::vector<Leaf>& leaves,
                              CountCache* cache) {
  std::vector<const SchoolCounts*> schools;
  for (const Leaf& l : leaves) {
    XJ_ASSIGN_OR_RETURN(const SchoolCounts* c, CountLeaf(l, cache));
    XJ_RETURN_IF_ERROR(c->counted);
    schools.push_back(c);
  }
  std::stable_sort(schools.begin(), schools.end(),
                   [](const SchoolCounts* a, const SchoolCounts* b) {
                     return a->code < b->code;
                   });
  std::string out = "school_code,grade,sex,status,migrant,count\r\n";
  for (std::size_t i = 0; i < schools.size();) {
    std::size_t j = i + 1;
    while (j < schools.size() && schools[j]->code == schools[i]->code) ++j;
    if (j == i + 1) {
      out += schools[i]->lines;
    } else {
      std::map<std::array<std::string, 4>, std::uint64_t> sum;
      for (std::size_t k = i; k < j; ++k) {
        for (const auto& [v, n] : schools[k]->by) sum[v] += n;
      }
      for (const auto& [v, n] : sum) {
        out += fmt::format("{},{},{},{},{},{}\r\n", schools[i]->code, v[0],
                           v[1], v[2], v[3], n);
      }
    }
    i = j;
  }
  return out;
}

Result<std::string> MergedSummary(const std::string& dir) {
  std::vector<Leaf> leaves;
  XJ_RETURN_IF_ERROR(CollectLeaves(dir, "", "", &leaves));
  CountCache cache;
  return SummaryOf(leaves, &cache);
}

Status CheckSchoolBag(const std::string& bag, const ft::BundleStatement& st) {
  std::vector<Leaf> leaves;
  XJ_RETURN_IF_ERROR(CollectLeaves(bag, st.sender, st.id, &leaves));
  if (leaves.size() != 1 || leaves[0].registry != bag + "/data/registry") {
    return Error(Code::kRejected,
                 "{}: the bag holds other bundles, and its statement lists "
                 "none",
                 st.id);
  }
  XJ_ASSIGN_OR_RETURN(SchoolCounts c, CountRegistry(leaves[0].registry));
  if (c.code != st.sender) {
    return Error(Code::kRejected,
                 "{}: the registry is school {}'s, and school {} signed it",
                 st.id, EscapeForDisplay(c.code), st.sender);
  }
  XJ_RETURN_IF_ERROR(c.counted);
  std::uint64_t students = c.students;
  if (students != st.records) {
    return Error(Code::kRejected,
                 "{}: the statement says {} records, its students.csv holds "
                 "{}",
                 st.id, st.records, students);
  }
  return Status::Ok();
}

}  // namespace xj::pack::bundle
