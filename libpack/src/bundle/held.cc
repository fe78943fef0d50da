#include "bundle/held.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <tuple>
#include <unordered_map>

#include "base/bytes.h"
#include "base/os.h"
#include "bundle/authenticate.h"
#include "bundle/held_schools.h"
#include "formats/bagit.h"
#include "keys/crypto.h"
#include "libpack/file_view.h"
#include "libpack/stick.h"
#include "libpack/trust.h"

namespace xj::pack::bundle {
namespace {

namespace ft = formats::trust;
namespace bagit = formats::bagit;

using keys::Sha512Hex;

// One held bundle checked: what it adds to its holder's results.
struct ChildResult {
  Status status = Status::Ok();
  std::vector<HeldSchool> out;
  std::vector<HeldStatement> bundles;
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
  std::vector<HeldStatement>* bundles;
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
  if (Status route = CheckRoute(*r, holder.sender); !route.ok()) {
    return std::move(route).WithContext(where);
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
  const stick::BagKind kind =
      st.children.empty() ? stick::BagKind::kSchool : stick::BagKind::kMerged;
  for (const auto& [p, hash] : files) {
    if (Status layout = stick::CheckBagPayloadPath(p, kind); !layout.ok())
      return std::move(layout).WithContext(where);
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
  if (h.bundles != nullptr)
    h.bundles->push_back({st, r->statement_sha256, SignedByOf(*r)});
  if (!st.children.empty()) {
    // What it holds is judged with the lists it was judged with too.
    TrustSource below = HeldTrust(h.trust, *r, nullptr);
    Held hb{h.root,     h.manifest, below,   h.out,     h.bundles, h.counts,
            h.parallel, h.early,    h.sizes, h.rosters, h.files};
    XJ_RETURN_IF_ERROR(VerifyHeldAt(hb, bag, st, path, depth + 1, leaves));
  } else {
    XJ_RETURN_IF_ERROR(VerifyHeldAt(h, bag, st, path, depth + 1, leaves));
  }
  if (st.children.empty()) {
    h.out->back().signer = r->chain.empty() ? "" : r->chain[0];
  }
  *records += st.records;
  return Status::Ok();
}

// The children a holder holds are exactly those its statement lists, one
// per sender.
Status CheckListed(const Held& h, const std::string& prefix,
                   const std::string& dir, const ft::BundleStatement& holder) {
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
  return Status::Ok();
}

// A school's bag (the holder lists no child): its records are the signing
// school's own, as many as the statement says.
Status CheckSchoolLeaf(const Held& h, const std::string& dir,
                       const ft::BundleStatement& holder,
                       const std::vector<std::string>& path,
                       std::vector<Leaf>* leaves) {
  Leaf me{dir + "data/registry", holder.sender, holder.id};
  XJ_ASSIGN_OR_RETURN(const SchoolCounts* c,
                      CountLeaf(me, h.counts, h.rosters, *h.files));
  if (leaves != nullptr) leaves->push_back(me);
  if (c->code != holder.sender) {
    return Error(Code::kRejected,
                 "{}: the registry is school {}'s, and school {} signed it",
                 holder.id, EscapeForDisplay(c->code), holder.sender);
  }
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

// Every child a holder lists, checked: each result in the holder's order,
// the first failure in that order the one that counts (children after it
// are not started).
std::vector<ChildResult> CheckChildren(const Held& h, const std::string& prefix,
                                       const ft::BundleStatement& holder,
                                       const std::vector<std::string>& path,
                                       int depth) {
  std::size_t n = holder.children.size();
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
  return results;
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
  XJ_RETURN_IF_ERROR(CheckListed(h, prefix, dir, holder));
  XJ_ASSIGN_OR_RETURN(bool merged, CheckBagParts(bag_dir, *h.files));
  if (holder.children.empty()) {
    if (merged) {
      return Error(Code::kRejected, "{}: a school's bag with data/children",
                   bag_dir);
    }
    return CheckSchoolLeaf(h, dir, holder, path, leaves);
  }
  std::uint64_t held_records = 0;
  std::vector<ChildResult> results =
      CheckChildren(h, prefix, holder, path, depth);
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

// The holder's checks over the extracted bag, with what was checked of its
// children before (`early`, if any) and the school counts read so far.
Result<std::vector<HeldSchool>> VerifyHeldIn(
    const std::string& bag_dir, const ft::BundleStatement& holder,
    const TrustSource& trust, std::vector<HeldStatement>* held,
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
  XJ_RETURN_IF_ERROR(CheckSchoolsOnce(out, holder.id));
  return out;
}

}  // namespace

Result<std::vector<HeldSchool>> VerifyHeld(const std::string& bag_dir,
                                           const ft::BundleStatement& holder,
                                           const TrustSource& trust,
                                           std::vector<HeldStatement>* held) {
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
    std::optional<Result<registry::RosterCounter::ByValues>> roster;
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
                        Result<registry::RosterCounter::ByValues>* roster,
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
    std::vector<HeldStatement>* held) {
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

}  // namespace xj::pack::bundle
