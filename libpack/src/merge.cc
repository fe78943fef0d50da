#include "libpack/merge.h"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <tuple>
#include <unordered_map>

#include "base/bytes.h"
#include "base/os.h"
#include "formats/bagit.h"
#include "formats/csv.h"
#include "keys/crypto.h"
#include "libpack/file_view.h"
#include "libpack/roster.h"
#include "libpack/stick.h"
#include "libpack/trust.h"

namespace xj::pack {
namespace {

namespace ft = formats::trust;
namespace bagit = formats::bagit;

using keys::Sha512Hex;

Result<std::string> ReadText(const std::string& path, std::size_t max,
                             const FileView& files = DiskFiles()) {
  XJ_ASSIGN_OR_RETURN(Bytes b, files.ReadFile(path, max));
  return std::string(AsChars(b));
}

// A school's registry held in a bag, and the school that signed it.
struct Leaf {
  std::string registry;  // .../bag/data/registry
  std::string signer;    // the leaf bundle's sender
  std::string bundle;
};

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
                     const FileView& files = DiskFiles(), int depth = 0) {
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
                               const FileView& files = DiskFiles()) {
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

// Rosters counted as they were extracted, by registry folder (kept by
// whoever made the map; each is moved into the counts of its school when
// they are made, once).
using Rosters = std::map<std::string, Result<RosterCounter::ByValues>*>;

// A school's registry counted: its code, its students by grade, sex,
// status and migrant flag, and those counts as summary.csv lines.
struct SchoolCounts {
  std::string code;
  Status counted;  // why the roster could not be counted, if it could not
  RosterCounter::ByValues by;
  std::uint64_t students = 0;
  std::string lines;  // "code,grade,sex,status,migrant,count\r\n", sorted
};

// A school's registry counted: its code, and its students.csv streamed
// through a RosterCounter in pieces (memory stays small whatever the file),
// or `counted`, what a RosterCounter made of it as it was extracted.
Result<SchoolCounts> CountRegistry(
    const std::string& registry,
    Result<RosterCounter::ByValues>* counted = nullptr,
    const FileView& files = DiskFiles()) {
  SchoolCounts c;
  XJ_ASSIGN_OR_RETURN(c.code, SchoolCode(registry, files));
  std::string path = registry + "/students.csv";
  auto count = [&]() -> Result<RosterCounter::ByValues> {
    if (counted != nullptr) return std::move(*counted);
    // No roster (packed with --allow-errors): no students.
    if (!os::Exists(path)) return RosterCounter::ByValues();
    XJ_ASSIGN_OR_RETURN(os::File f, os::OpenForRead(path));
    RosterCounter counter(path);
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
  Result<RosterCounter::ByValues> by = count();
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

// Schools' counts by folder, shared by the threads that check held bundles.
struct CountCache {
  std::mutex mu;
  std::map<std::string, SchoolCounts> by;
};

// One school's counts, read once however many holders above it ask (and
// taken from `rosters` when it was counted as it was extracted). An entry
// of the cache stays where it is: it is read without the lock.
Result<const SchoolCounts*> CountLeaf(const Leaf& l, CountCache* cache,
                                      const Rosters* rosters = nullptr,
                                      const FileView& files = DiskFiles()) {
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
  Result<RosterCounter::ByValues>* counted = nullptr;
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

// One held bundle checked: what it adds to its holder's results.
struct ChildResult {
  Status status = Status::Ok();
  std::vector<HeldSchool> out;
  std::vector<std::pair<ft::BundleStatement, std::string>> bundles;
  std::uint64_t records = 0;
  std::vector<Leaf> leaves;  // the schools' registries below it
};

// Paths (relative to the outer bag) to SHA-512s (hex): views of strings
// kept by whoever made the map.
using PathHashes = std::map<std::string_view, std::string_view, std::less<>>;

struct Held {
  const std::string& root;
  // The outer bag's files (path, SHA-512): its manifest, or the files
  // below one child as they were extracted.
  const PathHashes& manifest;
  const TrustSource& trust;
  std::vector<HeldSchool>* out;
  std::vector<std::pair<ft::BundleStatement, std::string>>* bundles;
  CountCache* counts;
  bool parallel;  // the children of the first holder with many (below
                  // here) may be checked on a thread a core
  // The outer holder's children checked already (by index), while the bag
  // was extracted; the rest are checked here.
  std::vector<std::optional<ChildResult>>* early = nullptr;
  // The sizes of the files in `manifest`, when known (else each is asked
  // of the file system).
  const PathSizes* sizes = nullptr;
  // The schools' rosters counted as they were extracted, if any.
  const Rosters* rosters = nullptr;
  // Where the files are read: the disk, or what the extraction kept.
  const FileView* files = &DiskFiles();
};

Status VerifyHeldAt(const Held& h, const std::string& prefix,
                    const ft::BundleStatement& holder,
                    std::vector<std::string> path, int depth,
                    std::vector<Leaf>* leaves);

// Checks one bundle a holder lists: its statement and signatures under its
// chain (judged at the holder's time), what it must be to sit there, its
// bag against the outer manifest, then what it holds. Adds its records,
// and the schools' registries below it to `leaves`.
Status VerifyChild(const Held& h, const std::string& prefix,
                   const ft::BundleStatement& holder, const ft::Child& c,
                   const std::vector<std::string>& path, int depth,
                   std::uint64_t* records, std::vector<Leaf>* leaves) {
  std::string where = prefix + "data/children/" + c.id;
  // Certificates are judged at the time the holder was made.
  TrustSource t = h.trust;
  t.now = holder.created;
  Result<BundleReport> r =
      AuthenticateHeldBundle(*h.files, h.root + "/" + where, t);
  if (!r.ok()) return r.status().WithContext(where);
  const ft::BundleStatement& st = r->statement;
  if (r->statement_sha256 != c.sha256 || st.id != c.id) {
    return Error(Code::kRejected,
                 "{}: its statement is not the one {} lists (SHA-256 {})",
                 where, holder.id, c.sha256);
  }
  if (st.recipient != holder.sender) {
    return Error(Code::kRejected,
                 "{}: addressed to {}, and it is held by {}'s bundle", where,
                 st.recipient, holder.sender);
  }
  if (std::find(r->chain_codes.begin() + 1, r->chain_codes.end(),
                holder.sender) == r->chain_codes.end()) {
    return Error(Code::kRejected, "{}: its sender {} is not certified under {}",
                 where, st.sender, holder.sender);
  }
  if (st.created > holder.created || st.period != holder.period ||
      (st.kind != holder.kind && st.kind != "correction")) {
    return Error(Code::kRejected,
                 "{}: a child must be of the holder's period and kind and "
                 "made before it ({} {} {}; the holder {} {} {})",
                 where, st.period, st.kind, st.created, holder.period,
                 holder.kind, holder.created);
  }
  // The held bag is the one the child's statement names: its tag
  // manifest, and every file as the outer bag's manifest hashed it.
  std::string bag = where + "/bag/";
  XJ_ASSIGN_OR_RETURN(
      std::string tm,
      ReadText(h.root + "/" + bag + std::string(bagit::kTagManifest), 1 << 20,
               *h.files));
  if (Sha512Hex(AsBytes(tm)) != st.bag_tagmanifest_sha512) {
    return Error(Code::kIntegrity,
                 "{}: the held bag's tag manifest is not the one its "
                 "statement names",
                 where);
  }
  XJ_ASSIGN_OR_RETURN(auto tags, bagit::ParseManifest(tm));
  std::string manifest_text;
  for (const auto& [p, hash] : tags) {
    auto outer = h.manifest.find(bag + p);
    if (outer == h.manifest.end() || outer->second != hash) {
      return Error(Code::kIntegrity, "{}{}: not as its tag manifest says", bag,
                   p);
    }
  }
  XJ_ASSIGN_OR_RETURN(manifest_text, ReadText(h.root + "/" + bag +
                                                  std::string(bagit::kManifest),
                                              64 << 20, *h.files));
  XJ_ASSIGN_OR_RETURN(auto files, bagit::ParseManifest(manifest_text));
  std::uint64_t octets = 0;
  std::string data_prefix = bag + "data/";
  // The manifest's lines and the outer bag's files come in one order (by
  // path): each is most likely the one after the last, else looked up.
  auto next_outer = h.manifest.lower_bound(data_prefix);
  PathSizes::const_iterator next_size;
  if (h.sizes != nullptr) next_size = h.sizes->lower_bound(data_prefix);
  for (const auto& [p, hash] : files) {
    std::string full = bag + p;
    auto outer = next_outer != h.manifest.end() && next_outer->first == full
                     ? next_outer
                     : h.manifest.find(full);
    if (outer == h.manifest.end() || outer->second != hash) {
      return Error(Code::kIntegrity, "{}{}: not as its manifest says", bag, p);
    }
    next_outer = std::next(outer);
    std::optional<std::uint64_t> size;
    if (h.sizes != nullptr) {
      auto known = next_size != h.sizes->end() && next_size->first == full
                       ? next_size
                       : h.sizes->find(full);
      if (known != h.sizes->end()) {
        size = known->second;
        next_size = std::next(known);
      }
    }
    if (!size) {
      XJ_ASSIGN_OR_RETURN(size, h.files->Size(h.root + "/" + bag + p));
    }
    octets += *size;
  }
  std::size_t payload = 0;
  for (auto it = h.manifest.lower_bound(data_prefix);
       it != h.manifest.end() &&
       it->first.compare(0, data_prefix.size(), data_prefix) == 0;
       ++it) {
    ++payload;
  }
  if (payload != files.size()) {
    return Error(Code::kRejected,
                 "{}: the held bag has {} payload file(s), its manifest "
                 "lists {}",
                 where, payload, files.size());
  }
  if (bagit::Oxum(octets, files.size()) != st.bag_oxum) {
    return Error(Code::kIntegrity,
                 "{}: the held bag holds {}, its statement says {}", where,
                 bagit::Oxum(octets, files.size()), st.bag_oxum);
  }
  if (h.bundles != nullptr) h.bundles->push_back({st, r->statement_sha256});
  XJ_RETURN_IF_ERROR(VerifyHeldAt(h, bag, st, path, depth + 1, leaves));
  if (st.children.empty()) {
    h.out->back().signer = r->chain.empty() ? "" : r->chain[0];
  }
  *records += st.records;
  return Status::Ok();
}

Status VerifyHeldAt(const Held& h, const std::string& prefix,
                    const ft::BundleStatement& holder,
                    std::vector<std::string> path, int depth,
                    std::vector<Leaf>* leaves) {
  if (depth > 6)
    return Error(Code::kRejected, "{}: children nested too deep", prefix);
  path.push_back(holder.id);
  std::string dir = h.root + "/" + prefix;
  // The bag's own folder (no "/" at the end), as messages name it.
  std::string bag_dir = dir;
  while (bag_dir.size() > h.root.size() && bag_dir.back() == '/')
    bag_dir.pop_back();
  std::string children = dir + "data/children";
  std::vector<std::string> held;
  if (h.files->IsDirectory(children)) {
    XJ_ASSIGN_OR_RETURN(held, h.files->List(children));
  }
  std::set<std::string> listed, senders;
  for (const ft::Child& c : holder.children) {
    listed.insert(c.id);
    // One bundle per sender: a snapshot never holds two of one office.
    if (!senders.insert(c.id.substr(0, c.id.find('-'))).second) {
      return Error(Code::kRejected,
                   "{} holds two bundles from {}: a merge holds one per sender",
                   holder.id, c.id.substr(0, c.id.find('-')));
    }
  }
  for (const std::string& id : held) {
    if (listed.count(id) == 0) {
      return Error(Code::kRejected,
                   "{}data/children/{} is held but not listed in {}'s "
                   "statement",
                   prefix, EscapeForDisplay(id), holder.id);
    }
  }
  for (const ft::Child& c : holder.children) {
    if (std::find(held.begin(), held.end(), c.id) == held.end()) {
      return Error(Code::kRejected,
                   "{}'s statement lists child {}, which it does not hold",
                   holder.id, c.id);
    }
  }
  XJ_ASSIGN_OR_RETURN(bool merged, CheckBagParts(bag_dir, *h.files));
  if (holder.children.empty()) {
    if (merged) {
      return Error(Code::kRejected, "{}: a school's bag with data/children",
                   bag_dir);
    }
    // The records are the signing school's own,
    Leaf me{dir + "data/registry", holder.sender, holder.id};
    XJ_ASSIGN_OR_RETURN(const SchoolCounts* c,
                        CountLeaf(me, h.counts, h.rosters, *h.files));
    if (leaves != nullptr) leaves->push_back(me);
    if (c->code != holder.sender) {
      return Error(Code::kRejected,
                   "{}: the registry is school {}'s, and school {} signed it",
                   holder.id, EscapeForDisplay(c->code), holder.sender);
    }
    // as many students as the statement says.
    XJ_RETURN_IF_ERROR(c->counted);
    std::uint64_t students = c->students;
    if (students != holder.records) {
      return Error(Code::kRejected,
                   "{}: the statement says {} records, its students.csv holds "
                   "{}",
                   holder.id, holder.records, students);
    }
    h.out->push_back({holder.id, holder.sender, "", path, holder.records});
    return Status::Ok();
  }
  std::uint64_t held_records = 0;
  std::size_t n = holder.children.size();
  // Each child's result, taken in the holder's order: the first failure in
  // that order is the one reported (children after it are not started).
  std::vector<ChildResult> results(n);
  std::vector<char> done(n, 0);
  std::size_t first_bad_early = n;
  if (h.early != nullptr && prefix.empty()) {
    for (std::size_t i = 0; i < n && i < h.early->size(); ++i) {
      std::optional<ChildResult>& e = (*h.early)[i];
      if (!e) continue;
      results[i] = std::move(*e);
      e.reset();
      done[i] = 1;
      if (!results[i].status.ok())
        first_bad_early = std::min(first_bad_early, i);
    }
  }
  auto check = [&](std::size_t i, bool parallel) {
    Held mine{h.root,
              h.manifest,
              h.trust,
              &results[i].out,
              h.bundles == nullptr ? nullptr : &results[i].bundles,
              h.counts,
              parallel,
              nullptr,
              h.sizes,
              h.rosters,
              h.files};
    results[i].status =
        VerifyChild(mine, prefix, holder, holder.children[i], path, depth,
                    &results[i].records, &results[i].leaves);
  };
  std::size_t threads = std::min<std::size_t>(
      n, std::max(1u, std::thread::hardware_concurrency()));
  // Threads share out the children of the first holder with many: a
  // city's few counties go one after another, and each county's schools
  // are shared out, so no thread waits long for another at the end.
  constexpr std::size_t kMany = 16;
  if (!h.parallel || threads < 2 || n < kMany) {
    for (std::size_t i = 0; i < n && i <= first_bad_early; ++i) {
      if (!done[i]) check(i, h.parallel);
      if (!results[i].status.ok()) break;
    }
  } else {
    // Each child on its own, a thread a core.
    std::atomic<std::size_t> next{0}, first_bad{first_bad_early};
    auto work = [&]() {
      for (std::size_t i = next++; i < n && i < first_bad; i = next++) {
        if (done[i]) continue;
        check(i, false);
        if (!results[i].status.ok()) {
          std::size_t bad = first_bad.load();
          while (i < bad && !first_bad.compare_exchange_weak(bad, i)) {
          }
        }
      }
    };
    std::vector<std::thread> pool;
    for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
    for (std::thread& t : pool) t.join();
  }
  // (The checks above each child are its own, as they were on the disk.)
  std::vector<Leaf> below;
  for (ChildResult& r : results) {
    XJ_RETURN_IF_ERROR(r.status);
    for (HeldSchool& s1 : r.out) h.out->push_back(std::move(s1));
    if (h.bundles != nullptr) {
      for (auto& b : r.bundles) h.bundles->push_back(std::move(b));
    }
    held_records += r.records;
    for (Leaf& l : r.leaves) below.push_back(std::move(l));
  }
  if (held_records != holder.records) {
    return Error(Code::kRejected,
                 "{}: the statement says {} records, the bundles it holds {}",
                 holder.id, holder.records, held_records);
  }
  // A merged summary must be what the schools below say.
  XJ_ASSIGN_OR_RETURN(std::string want, SummaryOf(below, h.counts));
  Result<std::string> have =
      ReadText(dir + "data/merged/summary.csv", 64 << 20, *h.files);
  if (!have.ok() || *have != want) {
    return Error(Code::kRejected,
                 "{}data/merged/summary.csv differs from the counts of the "
                 "schools {} holds",
                 prefix, holder.id);
  }
  if (leaves != nullptr) {
    for (Leaf& l : below) leaves->push_back(std::move(l));
  }
  return Status::Ok();
}

// Every regular file below `dir`, as paths relative to it.
Status WalkFiles(const std::string& dir, const std::string& rel,
                 std::vector<std::string>* out) {
  XJ_ASSIGN_OR_RETURN(os::Dir d,
                      os::Dir::Open(rel.empty() ? dir : dir + "/" + rel));
  XJ_ASSIGN_OR_RETURN(std::vector<std::string> names, d.List());
  for (const std::string& n : names) {
    std::string r = rel.empty() ? n : rel + "/" + n;
    switch (d.KindOf(n)) {
      case os::Dir::Kind::kFile:
        out->push_back(r);
        break;
      case os::Dir::Kind::kFolder:
        XJ_RETURN_IF_ERROR(WalkFiles(dir, r, out));
        break;
      default:
        return Error(Code::kRejected, "{}/{} is neither file nor folder", dir,
                     r);
    }
  }
  return Status::Ok();
}

Status WriteNew(const std::string& path, std::string_view content) {
  XJ_ASSIGN_OR_RETURN(os::AtomicFile f,
                      os::AtomicFile::Create(path, 0600, os::Replace::kNever));
  XJ_RETURN_IF_ERROR(f.sink().Write(AsBytes(content)));
  return f.Commit();
}

std::string JsonText(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<int>(c));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// Findings forwarded to the caller and kept for audit.json.
class AuditSink final : public FindingSink {
 public:
  explicit AuditSink(FindingSink* next) : next_(next) {}
  void Report(const Finding& f) override {
    next_->Report(f);
    (f.severity == Severity::kError ? errors : warnings)++;
    json += fmt::format(
        "{}{{\"severity\":\"{}\",\"file\":{},\"line\":{},\"field\":{},"
        "\"rule\":{},\"message\":{},\"value\":{}}}",
        json.empty() ? "" : ",\n  ",
        f.severity == Severity::kError ? "error" : "warning", JsonText(f.file),
        f.line, JsonText(f.field), JsonText(f.rule), JsonText(f.message),
        JsonText(f.value));
  }
  std::uint64_t errors = 0, warnings = 0;
  std::string json;

 private:
  FindingSink* next_;
};

}  // namespace

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

namespace {

// The holder's checks over the extracted bag, with what was checked of its
// children before (`early`, if any) and the school counts read so far.
Result<std::vector<HeldSchool>> VerifyHeldIn(
    const std::string& bag_dir, const ft::BundleStatement& holder,
    const TrustSource& trust,
    std::vector<std::pair<ft::BundleStatement, std::string>>* held,
    CountCache* counts, std::vector<std::optional<ChildResult>>* early) {
  // The bag's manifest is what the children not checked yet are held to.
  std::vector<std::pair<std::string, std::string>> lines;
  PathHashes manifest;
  if (early == nullptr ||
      std::any_of(early->begin(), early->end(),
                  [](const auto& e) { return !e.has_value(); })) {
    XJ_ASSIGN_OR_RETURN(
        std::string text,
        ReadText(bag_dir + "/" + std::string(bagit::kManifest), 256 << 20));
    XJ_ASSIGN_OR_RETURN(lines, bagit::ParseManifest(text));
    for (const auto& [path, hash] : lines) manifest.emplace(path, hash);
  }
  std::vector<HeldSchool> out;
  Held h{bag_dir, manifest, trust, &out, held, counts, true, early};
  XJ_RETURN_IF_ERROR(VerifyHeldAt(h, "", holder, {}, 0, nullptr));
  return out;
}

}  // namespace

Result<std::vector<HeldSchool>> VerifyHeld(
    const std::string& bag_dir, const ft::BundleStatement& holder,
    const TrustSource& trust,
    std::vector<std::pair<ft::BundleStatement, std::string>>* held) {
  CountCache counts;
  return VerifyHeldIn(bag_dir, holder, trust, held, &counts, nullptr);
}

struct HeldCheck::Impl {
  using Clock = std::chrono::steady_clock;
  // A payload file as the extraction handed it over: its path, SHA-512
  // (hex) and kept bytes are runs of its child's `text`, one buffer that
  // grows at its end while the extraction's own strings are freed at once
  // (and made again, warm, for the next file).
  struct Entry {
    std::size_t at, path_size, hash_size, bytes_size;  // in that order
    bool kept;
    std::uint64_t size;
    std::optional<Result<RosterCounter::ByValues>> roster;
  };
  struct Job {
    std::size_t index;  // of the child, or kAhead
    std::string text;
    std::vector<Entry> entries;  // below the child, in path order
    std::size_t kept = 0;        // bytes kept in them (or in `ahead`)
    std::vector<trust::SignedText> ahead;
  };
  // A job that only verifies one bundle folder's signatures ahead.
  static constexpr std::size_t kAhead = static_cast<std::size_t>(-1);
  // At most this much of the held files is kept in memory for the children
  // not yet checked; beyond it they are read from the disk. (Those checked
  // are freed when the next child is handed over.)
  static constexpr std::size_t kMaxKept = 8 << 20;

  std::string root;
  ft::BundleStatement holder;
  TrustSource trust;
  std::map<std::string, std::size_t, std::less<>> index;  // of each child
  std::size_t last = 0;  // the listed child whose files come last
  CountCache counts;

  // The child whose files are arriving (the extracting thread only). The
  // extraction's own pace is what the unpack waits for, so it only hands
  // the files over; the check's thread sorts them into what it reads.
  std::string current;  // "data/children/<id>/"
  bool collecting = false;
  std::string text;  // of `entries`
  std::vector<Entry> entries;
  std::size_t kept_bytes = 0;  // of files in `text`
  // The statements of the bundle folder ("<...>/") whose bundle.stmt came
  // last, and its chain/, with their signatures, as they pass: held at any
  // depth, a folder's files come before its holder's statement (bag/ sorts
  // before bundle.stmt), so a county is judged only once all its schools
  // are extracted. Their signatures are verified ahead, as each folder
  // ends (trust::VerifyAhead), and the county's check takes them from
  // memory; the last county's schools are not all left to the end.
  // (Only a bundle's own: at most kMaxAheadFiles files a folder, each
  // signature right after its statement; and none after a signature
  // failed ahead, which no good bundle has: the judgement finds it.)
  std::string ahead_dir;
  std::vector<trust::SignedText> ahead;
  std::size_t ahead_bytes = 0, ahead_files = 0;
  static constexpr std::size_t kMaxAheadFiles = 2 * trust::kMaxAhead;
  std::atomic<bool> ahead_failed{false};

  std::mutex mu;
  std::atomic<std::size_t> kept_queued{0};  // in the jobs not yet done
  std::condition_variable ready;
  std::deque<Job> jobs;
  // Jobs checked, handed back to the extracting thread to be freed: their
  // buffers are that thread's memory, and a free from another thread takes
  // its malloc arena's lock from under it.
  std::vector<Job> spent;
  bool closed = false, stop = false;
  std::vector<std::optional<ChildResult>> results;
  Clock::time_point finish_start = Clock::time_point::max();
  double early = 0;
  std::thread worker;

  // The bundle folder's statements have all passed: their signatures are
  // verified, before the check of the child that holds them.
  void QueueAhead() {
    ahead_dir.clear();
    if (ahead.empty()) return;
    std::vector<Job> done;
    {
      std::lock_guard<std::mutex> lock(mu);
      jobs.push_back({kAhead, {}, {}, ahead_bytes, std::move(ahead)});
      kept_queued += ahead_bytes;
      done.swap(spent);
      ready.notify_one();
    }
    ahead.clear();
    ahead_bytes = 0;
    ahead_files = 0;
  }

  // A statement or a signature file of the folder `ahead_dir` (or one
  // that begins a folder), copied for QueueAhead.
  void Ahead(std::string_view path, const std::string* bytes) {
    constexpr std::string_view kStatement = stick::kStatement;
    if (!ahead_dir.empty() && !path.starts_with(ahead_dir)) QueueAhead();
    if (bytes == nullptr || ahead_failed.load(std::memory_order_relaxed))
      return;
    std::string_view rest =
        ahead_dir.empty() ? path : path.substr(ahead_dir.size());
    bool begins = path.ends_with(kStatement) &&
                  (path.size() == kStatement.size() ||
                   path[path.size() - kStatement.size() - 1] == '/') &&
                  !rest.starts_with("chain/");
    if (begins) {
      QueueAhead();
      ahead_dir.assign(path, 0, path.size() - kStatement.size());
      rest = kStatement;
    } else if (ahead_dir.empty()) {
      return;
    }
    // At most what may be kept of the held files altogether.
    if (ahead_files >= kMaxAheadFiles ||
        kept_queued.load() + kept_bytes + ahead_bytes + bytes->size() >
            kMaxKept)
      return;
    if (begins || (rest.starts_with("chain/") && rest.ends_with(".stmt") &&
                   rest.find('/', 6) == std::string_view::npos)) {
      ahead.push_back({std::string(path), *bytes, {}});
    } else if (!ahead.empty()) {
      // <statement>.<KEYID>.minisig comes right after its statement (and
      // its other signatures) in path order; any other is left to the
      // judgement.
      const std::string& st = ahead.back().name;
      constexpr std::string_view kSuffix = ".minisig";
      if (path.size() != st.size() + 1 + 16 + kSuffix.size() ||
          !path.starts_with(st) || path[st.size()] != '.' ||
          !path.ends_with(kSuffix))
        return;
      ahead.back().signatures.emplace_back(std::string(path), *bytes);
    } else {
      return;
    }
    ahead_bytes += bytes->size();
    ++ahead_files;
  }

  // The current child's files are all there: it is checked.
  void Close() {
    if (!collecting) return;
    collecting = false;
    constexpr std::string_view kChildren = "data/children/";
    std::string_view id(current);
    id = id.substr(kChildren.size(), id.size() - kChildren.size() - 1);
    auto it = index.find(id);
    std::vector<Job> done;
    if (it != index.end()) {
      std::lock_guard<std::mutex> lock(mu);
      jobs.push_back(
          {it->second, std::move(text), std::move(entries), kept_bytes, {}});
      kept_queued += kept_bytes;
      done.swap(spent);
      ready.notify_one();
    }
    text.clear();
    entries.clear();
    kept_bytes = 0;
  }

  // Checks one child from the files handed over (which go back whole, but
  // for the rosters, moved into the school counts).
  ChildResult Check(Job& job) {
    PathHashes files;
    PathSizes sizes;
    PathBytes bytes;
    Rosters rosters;  // keyed by registry folder, as CountLeaf looks it up
    const std::string_view runs = job.text;
    for (Entry& e : job.entries) {
      std::string_view path = runs.substr(e.at, e.path_size);
      std::string_view sha512 = runs.substr(e.at + e.path_size, e.hash_size);
      // In path order: each goes at the end.
      files.emplace_hint(files.end(), path, sha512);
      sizes.emplace_hint(sizes.end(), path, e.size);
      if (e.kept) {
        bytes.emplace_hint(
            bytes.end(), path,
            runs.substr(e.at + e.path_size + e.hash_size, e.bytes_size));
      }
      if (e.roster) {
        rosters.emplace(root + "/" + os::DirName(std::string(path)),
                        &*e.roster);
      }
    }
    ChildResult r;
    // Its files as they were extracted: the small ones from memory.
    KeptFiles kept(root, "data/children/" + holder.children[job.index].id,
                   sizes, bytes);
    // The last child is checked on every core: the bag has little left
    // to extract by then.
    Held h{root,
           files,
           trust,
           &r.out,
           &r.bundles,
           &counts,
           job.index == last,
           nullptr,
           &sizes,
           &rosters,
           &kept};
    r.status = VerifyChild(h, "", holder, holder.children[job.index],
                           {holder.id}, 0, &r.records, &r.leaves);
    return r;
  }

  // Checks children as they come, until closed and none is left.
  void Work() {
    std::unique_lock<std::mutex> lock(mu);
    for (;;) {
      ready.wait(lock, [&] { return stop || closed || !jobs.empty(); });
      if (stop || jobs.empty()) return;
      Job job = std::move(jobs.front());
      jobs.pop_front();
      lock.unlock();
      Clock::time_point start = Clock::now();
      std::optional<ChildResult> r;
      if (job.index == kAhead) {
        if (trust::VerifyAhead(job.ahead).failed > 0)
          ahead_failed.store(true, std::memory_order_relaxed);
      } else {
        r = Check(job);
      }
      Clock::time_point end = Clock::now();
      lock.lock();
      kept_queued -= job.kept;
      if (r) results[job.index] = std::move(*r);
      spent.push_back(std::move(job));
      if (start < finish_start) {
        early +=
            std::chrono::duration<double>(std::min(end, finish_start) - start)
                .count();
      }
    }
  }
};

HeldCheck::HeldCheck(std::string bag_dir, const ft::BundleStatement& holder,
                     const TrustSource& trust)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.root = std::move(bag_dir);
  m.holder = holder;
  m.trust = trust;
  for (std::size_t i = 0; i < holder.children.size(); ++i) {
    const std::string& id = holder.children[i].id;
    m.index.emplace(id, i);
    if (id > holder.children[m.last].id) m.last = i;
  }
  m.results.resize(holder.children.size());
  // The bag's extraction comes first: the children are checked in the
  // time it leaves.
  m.worker = std::thread([&m] {
    os::LowerThreadPriority();
    m.Work();
  });
}

HeldCheck::~HeldCheck() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stop = true;
  }
  impl_->ready.notify_all();
  if (impl_->worker.joinable()) impl_->worker.join();
}

void HeldCheck::Written(std::string_view path, std::string_view sha512,
                        std::uint64_t size,
                        Result<RosterCounter::ByValues>* roster,
                        const std::string* bytes) {
  Impl& m = *impl_;
  constexpr std::string_view kChildren = "data/children/";
  bool held = path.starts_with(kChildren);
  m.Ahead(path, held ? bytes : nullptr);
  if (m.collecting && (!held || !path.starts_with(m.current))) m.Close();
  if (!held) return;
  if (!m.collecting) {
    // "data/children/<id>/" (a file right in data/children/ belongs to no
    // child: it is left to the holder's check).
    std::size_t end = path.find('/', kChildren.size());
    if (end == std::string_view::npos) return;
    m.current.assign(path, 0, end + 1);
    m.collecting = true;
  }
  bool kept = bytes != nullptr && m.kept_queued.load() + m.kept_bytes +
                                          m.ahead_bytes + bytes->size() <=
                                      Impl::kMaxKept;
  Impl::Entry e{
      m.text.size(), path.size(), sha512.size(), kept ? bytes->size() : 0,
      kept,          size,        std::nullopt};
  m.text.append(path);
  m.text.append(sha512);
  if (kept) {
    m.text.append(*bytes);
    m.kept_bytes += bytes->size();
  }
  if (roster != nullptr) e.roster = std::move(*roster);
  m.entries.push_back(std::move(e));
}

Result<std::vector<HeldSchool>> HeldCheck::Finish(
    std::vector<std::pair<ft::BundleStatement, std::string>>* held) {
  Impl& m = *impl_;
  m.QueueAhead();
  m.Close();
  {
    std::lock_guard<std::mutex> lock(m.mu);
    m.closed = true;
    m.finish_start = Impl::Clock::now();
  }
  m.ready.notify_all();
  m.Work();  // this thread helps with what is left
  m.worker.join();
  return VerifyHeldIn(m.root, m.holder, m.trust, held, &m.counts, &m.results);
}

double HeldCheck::early_seconds() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->early;
}

Result<MergeResult> Merge(const MergeRequest& req, FindingSink& findings) {
  const PackRequest& pr = req.pack;
  if (pr.store == nullptr || req.ledger == nullptr ||
      req.identities == nullptr || pr.data == nullptr || pr.key == nullptr) {
    return Status(Code::kInternal,
                  "merge needs the office home's store and ledger, its "
                  "identity, the schema and a signing key");
  }
  if (req.children.empty())
    return Status(Code::kInvalidArgument, "no child bundle to merge");
  XJ_RETURN_IF_ERROR(CheckPackRequest(pr, /*registry=*/false));
  std::int64_t clock = pr.now != 0 ? pr.now : os::NowUnix();
  XJ_RETURN_IF_ERROR(CheckSigningClock(pr.home, clock));
  XJ_ASSIGN_OR_RETURN(std::string now_eff, req.ledger->EffectiveNow(clock));
  XJ_ASSIGN_OR_RETURN(trust::TrustedOffice own,
                      pr.store->OwnCertificate({now_eff, req.strict}));
  const std::string sender = own.cert.subject;
  if (own.cert.may_certify.empty()) {
    return Error(Code::kRejected,
                 "{} certifies no one, so it has no children to merge", sender);
  }
  if (pr.recipient.code == sender ||
      std::any_of(pr.copy_to.begin(), pr.copy_to.end(),
                  [&](const Addressee& a) { return a.code == sender; })) {
    return Error(Code::kInvalidArgument,
                 "office {} cannot address a bundle to itself", sender);
  }
  XJ_ASSIGN_OR_RETURN(std::string work, MakeWorkDir(pr.home));
  struct Cleanup {
    std::string dir;
    ~Cleanup() { RemoveTree(dir); }
  } cleanup{work};
  std::string bags = work + "/bags", kept = work + "/held";
  XJ_RETURN_IF_ERROR(os::MakeDirectories(bags, 0700));
  XJ_RETURN_IF_ERROR(os::MakeDirectories(kept, 0700));

  TrustSource trust;
  trust.store = pr.store;
  trust.strict = req.strict;
  trust.now = now_eff;
  MergeResult result;
  BundleContent content;
  content.sender = sender;
  std::string kind;
  std::set<std::string> senders;
  std::vector<BundleReport> accepted;  // new to the ledger
  std::vector<std::pair<ft::BundleStatement, std::string>> held_new;
  std::vector<Leaf> leaves;
  // A first look at every child's statement, before anything is decrypted.
  {
    std::map<std::string, std::string> first;
    for (const std::vector<std::string>& dirs : req.children) {
      Result<BundleReport> look = Inspect(dirs, TrustSource{});
      if (!look.ok()) return look.status().WithContext(dirs[0]);
      const ft::BundleStatement& st = look->statement;
      auto [it, fresh] = first.emplace(st.sender, st.id);
      if (!fresh) {
        return Error(Code::kRejected,
                     "two bundles from {} ({} and {}): a merge holds one per "
                     "sender",
                     st.sender, it->second, st.id);
      }
    }
  }
  for (const std::vector<std::string>& dirs : req.children) {
    UnpackRequest u;
    u.dirs = dirs;
    u.trust = trust;
    u.identities = req.identities;
    u.output = bags;
    u.progress = pr.progress;
    u.now = clock;
    Result<UnpackResult> ur = Unpack(u);
    if (!ur.ok()) return ur.status().WithContext(dirs[0]);
    const BundleReport& r = ur->report;
    const ft::BundleStatement& st = r.statement;
    if (st.recipient != sender) {
      return Error(Code::kRejected,
                   "{}: only its addressee {} may merge it, and this office "
                   "is {}",
                   st.id, st.recipient, sender);
    }
    if (std::find(r.chain_codes.begin() + 1, r.chain_codes.end(), sender) ==
        r.chain_codes.end()) {
      return Error(Code::kRejected,
                   "{}: its sender {} is not certified under "
                   "this office",
                   st.id, st.sender);
    }
    if (!senders.insert(st.sender).second) {
      return Error(Code::kRejected,
                   "two bundles from {} (one is {}): a merge holds one per "
                   "sender",
                   st.sender, st.id);
    }
    if (content.period.empty()) {
      content.period = st.period;
      kind = st.kind;
    } else if (st.period != content.period || st.kind != kind) {
      return Error(Code::kRejected,
                   "{} is {} {}, and the others are {} {}: a merge has one "
                   "period and kind",
                   st.id, st.kind, st.period, kind, content.period);
    }
    // The child's stream: a replayed or equivocating child is refused.
    XJ_ASSIGN_OR_RETURN(Admission a,
                        req.ledger->Admit(st, r.statement_sha256, false));
    if (a.kind == Admission::kNew) accepted.push_back(r);
    XJ_ASSIGN_OR_RETURN(auto last, req.ledger->LastOf(st.sender, st.recipient));
    if (a.kind == Admission::kAlreadyAccepted && last.first > st.seq) {
      return Error(Code::kRejected,
                   "replay: bundle {} has seq {}, and this office has since "
                   "accepted seq {} from {}; a merge holds the newest",
                   st.id, st.seq, last.first, st.sender);
    }
    // The children it holds, as its unpack checked them down to the
    // schools.
    XJ_ASSIGN_OR_RETURN(std::vector<HeldStatement> fresh,
                        req.ledger->NewHeld(ur->held));
    held_new.insert(held_new.end(), fresh.begin(), fresh.end());
    for (HeldSchool& s : ur->schools) result.schools.push_back(std::move(s));
    // A school's own bundle (its unpack checked its registry is the
    // school's, as many records as it says).
    if (st.children.empty()) {
      result.schools.push_back({st.id,
                                st.sender,
                                r.chain.empty() ? "" : r.chain[0],
                                {st.id},
                                st.records});
    }
    XJ_RETURN_IF_ERROR(CollectLeaves(ur->bag_dir, st.sender, st.id, &leaves));
    // Kept intact: statement, signatures, chain and bag.
    std::string held = kept + "/" + st.id;
    XJ_RETURN_IF_ERROR(os::MakeDirectories(held + "/chain", 0700));
    std::string base = "data/children/" + st.id + "/";
    std::string statement = stick::In(held, stick::kStatement);
    XJ_RETURN_IF_ERROR(WriteNew(statement, r.statement_text));
    content.files.push_back({base + std::string(stick::kStatement), statement,
                             r.statement_text.size()});
    for (const auto& [name, text] : r.signature_files) {
      XJ_RETURN_IF_ERROR(WriteNew(held + "/" + name, text));
      content.files.push_back({base + name, held + "/" + name, text.size()});
    }
    if (r.chain_files) {
      for (const auto* list : {&r.chain_files->roots, &r.chain_files->certs,
                               &r.chain_files->crls}) {
        for (const trust::SignedText& t : *list) {
          XJ_RETURN_IF_ERROR(WriteSignedText(held + "/chain", t));
          std::string n = os::BaseName(t.name);
          content.files.push_back(
              {base + "chain/" + n, held + "/chain/" + n, t.text.size()});
          for (const auto& sig : t.signatures) {
            std::string sn = os::BaseName(sig.first);
            content.files.push_back({base + "chain/" + sn,
                                     held + "/chain/" + sn, sig.second.size()});
          }
        }
      }
    }
    std::vector<std::string> rel;
    XJ_RETURN_IF_ERROR(WalkFiles(ur->bag_dir, "", &rel));
    for (const std::string& f : rel) {
      std::string src = ur->bag_dir + "/" + f;
      XJ_ASSIGN_OR_RETURN(std::uint64_t size, os::FileSize(src));
      content.files.push_back({base + "bag/" + f, src, size});
    }
    content.children.push_back({r.statement_sha256, st.id});
    content.records += st.records;
  }

  // The audit: every school against the schema and each other, then what
  // only a merge can see.
  AuditSink audit(&findings);
  CheckOptions co;
  co.dir = bags;
  XJ_ASSIGN_OR_RETURN(CheckTotals totals, CheckRegistry(*pr.data, co, audit));
  std::set<std::string> schools;
  std::map<std::string, std::string> registry_of;  // school code → folder
  for (const Leaf& l : leaves) {
    XJ_ASSIGN_OR_RETURN(std::string code, SchoolCode(l.registry));
    if (code != l.signer) {
      audit.Report({Severity::kError, l.bundle + "/school.csv", 2,
                    "school_code", "merge.signer",
                    fmt::format("the registry is school {}'s, and school {} "
                                "signed it",
                                code, l.signer),
                    code, ""});
    }
    schools.insert(l.signer);
    registry_of[l.signer] = l.registry;
  }
  // Transfers between schools of this merge: each side must record it.
  std::set<std::tuple<std::string, std::string, std::string>> outs, ins;
  for (const auto& [school, registry] : registry_of) {
    if (!os::Exists(registry + "/changes.csv")) continue;
    XJ_ASSIGN_OR_RETURN(auto rows, ReadColumns(registry + "/changes.csv",
                                               {"student_no", "change_type",
                                                "from_school", "to_school"}));
    for (const auto& r : rows) {
      if (r[1] == "27" && !r[3].empty()) outs.insert({school, r[3], r[0]});
      if (r[1] == "13" && !r[2].empty()) ins.insert({r[2], school, r[0]});
    }
  }
  for (const auto& [from, to, student] : outs) {
    if (schools.count(to) && !ins.count({from, to, student})) {
      audit.Report({Severity::kError, from + "/changes.csv", 0, "student_no",
                    "merge.transfer-in-missing",
                    fmt::format("school {} records a transfer out to {}, "
                                "which records no transfer in",
                                from, to),
                    student.size() > 6 ? student.substr(0, 6) + "********"
                                       : std::string("***"),
                    ""});
    }
  }
  for (const auto& [from, to, student] : ins) {
    if (schools.count(from) && !outs.count({from, to, student})) {
      audit.Report({Severity::kError, to + "/changes.csv", 0, "student_no",
                    "merge.transfer-out-missing",
                    fmt::format("school {} records a transfer in from {}, "
                                "which records no transfer out",
                                to, from),
                    student.size() > 6 ? student.substr(0, 6) + "********"
                                       : std::string("***"),
                    ""});
    }
  }
  // Offices this office certified that sent nothing.
  std::set<std::string> sent;
  for (const ft::Child& c : content.children) {
    sent.insert(c.id.substr(0, c.id.find('-')));
  }
  std::set<std::string> warned;
  for (const trust::SignedText& t : pr.store->files().certs) {
    Result<ft::CertStatement> c = ft::ParseCert(t.text);
    if (!c.ok() || c->issuer != sender || c->not_after < now_eff ||
        sent.count(c->subject) || !warned.insert(c->subject).second) {
      continue;
    }
    audit.Report(
        {Severity::kWarning, sender, 0, "", "merge.missing",
         fmt::format("{} ({}, {}) is certified by this office and "
                     "sent nothing",
                     c->subject, c->subject_name, ft::LevelName(c->level)),
         c->subject, ""});
  }
  result.errors = audit.errors;
  result.warnings = audit.warnings;
  if (req.strict && audit.errors > 0) {
    return Error(Code::kRejected,
                 "the cross-school audit found {} error(s); nothing was merged "
                 "(--strict)",
                 audit.errors);
  }
  // data/merged/: the counts and the audit.
  CountCache cache;
  XJ_ASSIGN_OR_RETURN(std::string summary, SummaryOf(leaves, &cache));
  std::string merged = work + "/merged";
  XJ_RETURN_IF_ERROR(os::MakeDirectories(merged, 0700));
  XJ_RETURN_IF_ERROR(WriteNew(merged + "/summary.csv", summary));
  content.files.push_back(
      {"data/merged/summary.csv", merged + "/summary.csv", summary.size()});
  std::string audit_json = fmt::format(
      "{{\"office\":{},\"children\":{},\"schools\":{},\"errors\":{},"
      "\"warnings\":{},\"findings\":[\n  {}]}}\n",
      JsonText(sender), content.children.size(), schools.size(), audit.errors,
      audit.warnings, audit.json);
  XJ_RETURN_IF_ERROR(WriteNew(merged + "/audit.json", audit_json));
  content.files.push_back(
      {"data/merged/audit.json", merged + "/audit.json", audit_json.size()});
  content.totals = totals;
  content.totals.errors = audit.errors;
  content.totals.warnings = audit.warnings;

  PackRequest p = pr;
  p.kind = kind;
  XJ_ASSIGN_OR_RETURN(result.pack, PackContent(p, std::move(content)));
  // The children are accepted with the merge that holds them, and what
  // they hold in turn: one transaction.
  std::vector<AcceptedBundle> all;
  for (const auto& [n, sha] : held_new)
    all.push_back(AcceptedFrom(n, sha, "held in " + result.pack.statement.id));
  for (const BundleReport& r : accepted) {
    all.push_back(AcceptedFrom(r.statement, r.statement_sha256,
                               fmt::format("{}, merged into {}", Signers(r),
                                           result.pack.statement.id)));
  }
  XJ_RETURN_IF_ERROR(req.ledger->AcceptAll(all, clock));
  return result;
}

}  // namespace xj::pack
