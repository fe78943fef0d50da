#include "bundle/volumes.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <optional>
#include <thread>

#include "formats/age_header.h"
#include "libpack/home.h"
#include "libpack/prefetch.h"
#include "libpack/stick.h"

namespace xj::pack::bundle {
namespace {

namespace ft = formats::trust;
using stick::IsVolumeName;
using stick::kChain;
using stick::kStatement;
using stick::VolumeNames;

// Runs `work` on up to one thread a core, at most `jobs` of them (the
// calling thread is one), and waits for all: each takes job after job
// from a counter of its own making.
void OnEveryCore(std::size_t jobs, const std::function<void()>& work) {
  std::size_t threads = std::min<std::size_t>(
      jobs, std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
}

}  // namespace

Status WriteFileSynced(const std::string& path, std::string_view data,
                       unsigned mode) {
  XJ_ASSIGN_OR_RETURN(os::File f, os::CreateNewFile(path, mode));
  os::FdSink sink(f.fd(), path);
  XJ_RETURN_IF_ERROR(sink.Write(AsBytes(data)));
  XJ_RETURN_IF_ERROR(f.Sync(path));
  return f.Close(path);
}

Status CopyFile(const os::Dir& from_dir, const std::string& name,
                const std::string& to, keys::Hasher* hasher, CopyTo where,
                const std::function<void(std::uint64_t)>& copied) {
  XJ_ASSIGN_OR_RETURN(os::File in, from_dir.OpenFile(name));
  XJ_ASSIGN_OR_RETURN(
      os::File out,
      os::CreateNewFile(to, where == CopyTo::kMedium ? 0644 : 0600));
  os::FdSource raw(in.fd());
  std::optional<PrefetchSource> ahead;
  Source* src = &raw;
  Result<std::uint64_t> size = in.Size();
  if (size.ok() && *size > (4 << 20)) {
    ahead.emplace(&raw);
    src = &*ahead;
  }
  os::FdSink sink(out.fd(), to);
  Bytes buf(1 << 20);
  for (;;) {
    XJ_ASSIGN_OR_RETURN(std::size_t n, src->Read(buf));
    if (n == 0) break;
    XJ_RETURN_IF_ERROR(sink.Write(ByteSpan(buf.data(), n)));
    if (hasher != nullptr) hasher->Update(ByteSpan(buf.data(), n));
    if (copied) copied(n);
  }
  if (where == CopyTo::kMedium) {
    XJ_RETURN_IF_ERROR(out.Sync(to));
    out.DropCache();
  }
  return out.Close(to);
}

// Where each signed volume is; fails on missing, extra or duplicated ones.
Result<std::vector<std::string>> LocateVolumes(const Inventory& inv,
                                               BundleReport* r, bool lenient) {
  if (r->statement.volumes.empty()) {
    return Status(Code::kRejected,
                  "the statement lists no volume: it describes a bundle held "
                  "inside another, not one on a stick");
  }
  if (r->statement.volumes.size() > 999) {
    return Status(Code::kRejected, "the statement lists over 999 volumes");
  }
  std::vector<std::string> names = VolumeNames(r->statement.volumes.size());
  std::vector<std::string> paths, missing;
  for (const auto& [name, where] : inv.volumes) {
    if (std::find(names.begin(), names.end(), name) == names.end() &&
        !lenient) {
      return Error(Code::kRejected,
                   "{}: volume {} is not in the statement (an extra file)",
                   inv.dirs[where[0]].path(), name);
    }
    if (where.size() > 1 && !lenient) {
      return Error(Code::kRejected,
                   "volume {} is in more than one of the folders given", name);
    }
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    VolumeReport v;
    v.name = names[i];
    v.size = r->statement.volumes[i].size;
    auto it = inv.volumes.find(names[i]);
    if (it == inv.volumes.end()) {
      v.state = VolumeState::kMissing;
      missing.push_back(names[i]);
      paths.emplace_back();
    } else {
      v.found_in = inv.dirs[it->second[0]].path();
      paths.push_back(v.found_in + "/" + names[i]);
      v.state = VolumeState::kPresent;
    }
    r->volumes.push_back(std::move(v));
  }
  if (!missing.empty() && !lenient) {
    return Error(Code::kNotFound, "volume(s) {} of {} missing",
                 fmt::join(missing, ", "), names.size())
        .WithRemedy(Remedy::kOtherSticks);
  }
  return paths;
}

// Copies the volumes into the quarantine, each hashed as it is copied and
// judged against the statement; several at once, one a core. Fails with
// the first volume, in order, that is not as signed.
Result<std::vector<std::string>> CopyVolumesIn(
    const std::vector<std::string>& paths, const BundleReport& r,
    const std::string& quarantine, const Progress& progress) {
  std::size_t n = paths.size();
  std::vector<std::string> copies(n);
  std::vector<Status> results(n, Status::Ok());
  std::uint64_t total = 0, done = 0;
  for (const auto& v : r.statement.volumes) total += v.size;
  std::mutex mu;  // guards done and the progress callback
  std::atomic<std::size_t> next{0};
  auto work = [&]() {
    for (std::size_t i = next++; i < n; i = next++) {
      results[i] = [&]() -> Status {
        XJ_ASSIGN_OR_RETURN(os::Dir dir, os::Dir::Open(os::DirName(paths[i])));
        copies[i] = quarantine + "/" + r.volumes[i].name;
        keys::Hasher h(keys::Hasher::Algorithm::kSha512);
        XJ_RETURN_IF_ERROR(CopyFile(dir, os::BaseName(paths[i]), copies[i], &h,
                                    CopyTo::kScratch, [&](std::uint64_t k) {
                                      std::lock_guard<std::mutex> lock(mu);
                                      done += k;
                                      if (progress)
                                        progress("copying", done, total);
                                    }));
        XJ_ASSIGN_OR_RETURN(std::uint64_t size, os::FileSize(copies[i]));
        const ft::Volume& want = r.statement.volumes[i];
        if (size != want.size) {
          return Error(size < want.size ? Code::kTruncated : Code::kIntegrity,
                       "volume {} is {} bytes, the statement says {}{}",
                       r.volumes[i].name, size, want.size,
                       size < want.size ? " (truncated)" : "");
        }
        if (ToHex(h.Finish()) != want.sha512) {
          return Error(Code::kIntegrity,
                       "volume {} does not match its SHA-512 in the "
                       "statement: damaged or altered",
                       r.volumes[i].name);
        }
        return Status::Ok();
      }();
    }
  };
  OnEveryCore(n, work);
  for (const Status& s : results) XJ_RETURN_IF_ERROR(s);
  return copies;
}

// Checks every volume's size and SHA-512, several at once (one a core),
// noting each volume's state; fails with the first bad one, in order.
Status HashVolumes(const std::vector<std::string>& paths, BundleReport* r,
                   const Progress& progress) {
  std::size_t n = paths.size();
  std::vector<Status> results(n, Status::Ok());
  std::vector<char> judged(n, 0);  // read to the end and judged
  std::uint64_t total = 0, done = 0;
  for (const auto& v : r->statement.volumes) total += v.size;
  std::mutex mu;  // guards done and the progress callback
  std::atomic<std::size_t> next{0};
  auto work = [&]() {
    Bytes buf(1 << 20);
    for (std::size_t i = next++; i < n; i = next++) {
      results[i] = [&]() -> Status {
        XJ_ASSIGN_OR_RETURN(os::Dir dir, os::Dir::Open(os::DirName(paths[i])));
        XJ_ASSIGN_OR_RETURN(os::File f, dir.OpenFile(os::BaseName(paths[i])));
        VolumeCheck check(r->statement.volumes[i], r->volumes[i].name);
        os::FdSource raw(f.fd());
        PrefetchSource src(&raw);
        for (;;) {
          XJ_ASSIGN_OR_RETURN(std::size_t k, src.Read(buf));
          if (k == 0) break;
          check.Update(ByteSpan(buf.data(), k));
          std::lock_guard<std::mutex> lock(mu);
          done += k;
          if (progress) progress("verifying", done, total);
        }
        judged[i] = 1;
        return check.Finish();
      }();
    }
  };
  OnEveryCore(n, work);
  for (std::size_t i = 0; i < n; ++i) {
    const Status& s = results[i];
    if (!judged[i]) continue;
    r->volumes[i].state =
        s.ok() ? VolumeState::kPresent
        : s.code() == Code::kIntegrity &&
                s.message().find("SHA-512") != std::string::npos
            ? VolumeState::kWrongHash
            : VolumeState::kWrongSize;
  }
  for (const Status& s : results) XJ_RETURN_IF_ERROR(s);
  return Status::Ok();
}

// The header of an age payload, read without keys: exactly one X25519
// stanza per addressed office, nothing else, at most 64 KiB.
Status CheckPayloadHeader(const std::string& first_volume,
                          std::size_t offices) {
  XJ_ASSIGN_OR_RETURN(os::Dir dir, os::Dir::Open(os::DirName(first_volume)));
  XJ_ASSIGN_OR_RETURN(os::File f, dir.OpenFile(os::BaseName(first_volume)));
  os::FdSource src(f.fd());
  BufferedReader reader(&src);
  formats::age::HeaderLimits limits;
  limits.max_bytes = kMaxHeader;
  limits.max_stanzas = 64;
  Result<formats::age::Header> h = formats::age::ReadHeader(reader, limits);
  if (!h.ok()) return h.status().WithContext("the payload's age header");
  std::size_t x25519 = 0;
  for (const auto& s : h->stanzas) {
    if (s.type() != "X25519") {
      return Error(Code::kRejected,
                   "the payload is also encrypted to a \"{}\" stanza; a bundle "
                   "is encrypted "
                   "only to its offices",
                   EscapeForDisplay(s.type()));
    }
    ++x25519;
  }
  if (x25519 != offices) {
    return Error(Code::kRejected,
                 "the payload is encrypted to {} key{}, but the statement "
                 "names {} office{}",
                 x25519, x25519 == 1 ? "" : "s", offices,
                 offices == 1 ? "" : "s");
  }
  return Status::Ok();
}

// The copy itself (CopyToStick): a temporary folder in XJ/, filled and
// synced, then emptied into `final_dir` file by file, the statement last.
Status PlaceOnStick(const std::string& outbox_dir, const std::string& xj,
                    const std::string& final_dir, std::uint64_t needed,
                    const Progress& progress) {
  struct MadeXj {  // an XJ folder made here goes again if it stays empty
    std::string dir;
    ~MadeXj() {
      if (!dir.empty()) os::RemoveEmptyDirectory(dir);
    }
  } made_xj;
  if (os::Exists(xj)) {
    XJ_RETURN_IF_ERROR(os::Dir::Open(xj).status());  // a folder, not a link
  } else if (Status made = os::MakeDirectory(xj, 0755); !made.ok()) {
    return made;
  } else {
    made_xj.dir = xj;
  }
  if (os::Exists(final_dir)) {
    return Error(Code::kAlreadyExists, "{} is already on the stick", final_dir);
  }
  // What an interrupted pack left is incomplete by definition: it is
  // removed first.
  XJ_ASSIGN_OR_RETURN(std::string media_tmp,
                      MakeOwnDir(xj, std::string(stick::kTempPrefix), 0755));
  struct MediaCleanup {
    std::string dir, partial;
    bool keep = false;
    ~MediaCleanup() {
      if (keep) return;
      if (!partial.empty()) {
        // The statement never arrived: take the statement-less folder away.
        RemoveTree(partial);
      }
      RemoveTree(dir);
    }
  } media_cleanup{media_tmp, ""};
  {
    XJ_ASSIGN_OR_RETURN(os::Dir from, os::Dir::Open(outbox_dir));
    XJ_ASSIGN_OR_RETURN(std::vector<std::string> names, from.List());
    // Volumes first, the statement last: an interrupted copy never holds a
    // statement beside a partial payload.
    std::stable_partition(names.begin(), names.end(), IsVolumeName);
    std::stable_partition(names.begin(), names.end(),
                          [](const std::string& n) { return n != kStatement; });
    std::uint64_t done = 0;
    auto written = [&](std::uint64_t n) {
      done += n;
      if (progress) progress("writing", done, needed);
    };
    std::vector<std::string> chain_names;
    for (const std::string& n : names) {
      if (n == kChain) {
        // The chain's statements and signatures, each a small file.
        std::string to = stick::In(media_tmp, kChain);
        XJ_RETURN_IF_ERROR(os::MakeDirectory(to, 0755));
        XJ_ASSIGN_OR_RETURN(os::Dir cd,
                            os::Dir::Open(stick::In(outbox_dir, kChain)));
        XJ_ASSIGN_OR_RETURN(chain_names, cd.List());
        for (const std::string& c : chain_names) {
          XJ_RETURN_IF_ERROR(
              CopyFile(cd, c, to + "/" + c, nullptr, CopyTo::kMedium, written)
                  .WithContext("writing the stick"));
        }
        XJ_RETURN_IF_ERROR(os::SyncDirectory(to));
        continue;
      }
      XJ_RETURN_IF_ERROR(CopyFile(from, n, media_tmp + "/" + n, nullptr,
                                  CopyTo::kMedium, written)
                             .WithContext("writing the stick"));
    }
    XJ_RETURN_IF_ERROR(os::SyncDirectory(media_tmp));
    // Into place file by file, the statement last: only the last rename
    // makes a bundle, and it is atomic. (Files, not the folder: renaming a
    // folder loses its contents on some FUSE FAT drivers.)
    XJ_RETURN_IF_ERROR(os::MakeDirectory(final_dir, 0755));
    media_cleanup.partial = final_dir;
    for (const std::string& n : names) {
      if (n == kChain) {
        std::string to = stick::In(final_dir, kChain);
        XJ_RETURN_IF_ERROR(os::MakeDirectory(to, 0755));
        for (const std::string& c : chain_names) {
          XJ_RETURN_IF_ERROR(
              os::RenameNoReplace(stick::In(media_tmp, kChain) + "/" + c,
                                  to + "/" + c)
                  .WithContext("writing the stick"));
        }
        XJ_RETURN_IF_ERROR(os::SyncDirectory(to));
        os::RemoveEmptyDirectory(stick::In(media_tmp, kChain));
        continue;
      }
      XJ_RETURN_IF_ERROR(
          os::RenameNoReplace(media_tmp + "/" + n, final_dir + "/" + n)
              .WithContext("writing the stick"));
    }
    media_cleanup.keep = true;
    os::RemoveEmptyDirectory(media_tmp);
  }
  return Status::Ok();
}

Result<std::string> CopyToStick(const std::string& from_dir,
                                const std::string& media,
                                const std::string& name, std::uint64_t needed,
                                const Progress& progress) {
  std::string xj = stick::In(media, stick::kXj);
  std::string final_dir = stick::In(xj, name);
  // Writing the stick: a failure here leaves nothing of the bundle on it
  // (and the bundle in the outbox). A full FAT stick often answers with
  // another errno than ENOSPC (fusefat: EPERM, or ENOENT for a folder it
  // could not give a cluster), so such failures carry a hint.
  if (Status s = PlaceOnStick(from_dir, xj, final_dir, needed, progress);
      !s.ok()) {
    if (s.hint().empty() &&
        (s.code() == Code::kIoError || s.code() == Code::kNotFound ||
         s.code() == Code::kNoSpace)) {
      return std::move(s)
          .WithHint(fmt::format(
              "the stick may be full or failing (some FAT drivers report a "
              "full "
              "disk as \"operation not permitted\" or \"no such file or "
              "directory\"); nothing of this bundle is left on it, and the "
              "bundle is kept in {}: copy that folder to {} on a stick with "
              "room, "
              "and verify the copy",
              from_dir, final_dir))
          .WithRemedy(Remedy::kVerifyCopy);
    }
    return s;
  }
  XJ_RETURN_IF_ERROR(os::SyncDirectory(final_dir));
  XJ_RETURN_IF_ERROR(os::SyncDirectory(xj));
  return final_dir;
}

}  // namespace xj::pack::bundle
