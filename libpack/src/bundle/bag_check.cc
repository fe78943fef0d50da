#include "bundle/bag_check.h"

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <thread>

#include "base/os.h"
#include "bundle/file_hashers.h"
#include "bundle/volumes.h"
#include "formats/bagit.h"
#include "libpack/age.h"
#include "libpack/prefetch.h"
#include "libpack/stick.h"
#include "libpack/tar.h"
#include "libpack/zstd_stream.h"
#include "registry/roster.h"

namespace xj::pack::bundle {
namespace {

namespace bagit = formats::bagit;
namespace ft = formats::trust;
using keys::Sha512Hex;
using stick::VolumeNames;
// The bag's tag files: bagit.txt, bag-info.txt and the two manifests.
constexpr std::uint64_t kTagFiles = 4;

// The bag's files in order, with their data: from the payload's tar, or
// from a bag already placed in a folder.
class BagEntries {
 public:
  virtual ~BagEntries() = default;
  virtual Result<bool> Next(TarEntry* entry) = 0;
  virtual Result<std::size_t> Read(MutableByteSpan buf) = 0;
};

class TarEntries final : public BagEntries {
 public:
  explicit TarEntries(TarReader& tar) : tar_(tar) {}
  Result<bool> Next(TarEntry* entry) override { return tar_.Next(entry); }
  Result<std::size_t> Read(MutableByteSpan buf) override {
    return tar_.Read(buf);
  }

 private:
  TarReader& tar_;
};

// A placed bag's regular files, as its tar would list them (under the
// bag's folder name, in bytewise order of the whole path). Nothing is
// followed: a link, or anything but a file or folder, is refused.
class FolderEntries final : public BagEntries {
 public:
  static Result<std::unique_ptr<FolderEntries>> Open(const std::string& root,
                                                     std::string prefix) {
    std::unique_ptr<FolderEntries> out(new FolderEntries(std::move(prefix)));
    XJ_ASSIGN_OR_RETURN(os::Dir top, os::Dir::Open(root));
    XJ_RETURN_IF_ERROR(out->Walk(top, ""));
    std::sort(out->files_.begin(), out->files_.end(),
              [](const Placed& a, const Placed& b) { return a.path < b.path; });
    return out;
  }

  Result<bool> Next(TarEntry* entry) override {
    file_ = os::File();
    if (next_ == files_.size()) return false;
    const Placed& p = files_[next_++];
    XJ_ASSIGN_OR_RETURN(file_, p.dir->OpenFile(p.name));
    XJ_ASSIGN_OR_RETURN(entry->size, file_.Size());
    entry->path = prefix_ + p.path;
    source_ = std::make_unique<os::FdSource>(file_.fd());
    return true;
  }
  Result<std::size_t> Read(MutableByteSpan buf) override {
    if (source_ == nullptr) return std::size_t{0};
    return source_->Read(buf);
  }

 private:
  explicit FolderEntries(std::string prefix) : prefix_(std::move(prefix)) {}
  struct Placed {
    std::shared_ptr<os::Dir> dir;
    std::string name, path;
  };

  Status Walk(const os::Dir& dir, const std::string& rel) {
    XJ_ASSIGN_OR_RETURN(std::vector<std::string> names, dir.List());
    auto shared = std::make_shared<os::Dir>(dir);
    for (const std::string& name : names) {
      std::string path = rel + name;
      switch (dir.KindOf(name)) {
        case os::Dir::Kind::kFile:
          files_.push_back({shared, name, path});
          break;
        case os::Dir::Kind::kFolder: {
          XJ_ASSIGN_OR_RETURN(os::Dir sub,
                              os::Dir::Open(dir.path() + "/" + name));
          XJ_RETURN_IF_ERROR(Walk(sub, path + "/"));
          break;
        }
        default:
          return Error(Code::kRejected,
                       "\"{}\" in the bag is not a regular file or folder",
                       EscapeForDisplay(path));
      }
    }
    return Status::Ok();
  }

  std::string prefix_;
  std::vector<Placed> files_;
  std::size_t next_ = 0;
  os::File file_;
  std::unique_ptr<os::FdSource> source_;
};

// Validates the bag as its tar streams by; optionally writes the files.
class BagCheck {
 public:
  // `held`, if given, is told of each payload file once it is written.
  BagCheck(const ft::BundleStatement& st, std::string out_root,
           HeldCheck* held = nullptr)
      : st_(st), out_root_(std::move(out_root)), held_(held) {}

  Status Run(BagEntries& tar, BundleReport* report) {
    TarEntry e;
    std::string prefix = st_.id + "/";
    for (;;) {
      XJ_ASSIGN_OR_RETURN(bool more, tar.Next(&e));
      if (!more) break;
      if (e.path.compare(0, prefix.size(), prefix) != 0) {
        return Error(Code::kRejected,
                     "the archive holds \"{}\", outside the bag folder {}",
                     EscapeForDisplay(e.path), st_.id);
      }
      std::string path = e.path.substr(prefix.size());
      if (!last_.empty() && !(last_ < path)) {
        return Error(Code::kRejected,
                     "the archive's entries are out of order at \"{}\"",
                     EscapeForDisplay(path));
      }
      last_ = path;
      XJ_RETURN_IF_ERROR(Entry(tar, path, e.size));
    }
    if (stage_ != Stage::kDone) {
      return Status(Code::kRejected,
                    "the bag is incomplete: its tag manifest never came (a bag "
                    "file is missing)");
    }
    report->files = files_;
    report->payload_bytes = octets_;
    return Status::Ok();
  }

 private:
  enum class Stage { kBagInfo, kBagit, kData, kManifest, kTagManifest, kDone };

  Result<std::string> ReadSmall(BagEntries& tar, std::uint64_t size,
                                std::string_view what) {
    if (size > (1 << 24))
      return Error(Code::kRejected, "{} is implausibly large", what);
    std::string text(static_cast<std::size_t>(size), '\0');
    std::size_t got = 0;
    while (got < text.size()) {
      XJ_ASSIGN_OR_RETURN(
          std::size_t n, tar.Read(MutableByteSpan(
                             reinterpret_cast<std::uint8_t*>(text.data()) + got,
                             text.size() - got)));
      if (n == 0) break;
      got += n;
    }
    if (got != text.size())
      return Error(Code::kTruncated, "{} is cut short", what);
    if (!out_root_.empty())
      XJ_RETURN_IF_ERROR(Write(std::string(what), AsBytes(text)));
    return text;
  }

  // Exactly `into.size()` bytes: the rest of the entry `path`.
  Status ReadWhole(BagEntries& tar, const std::string& path,
                   MutableByteSpan into) {
    std::size_t got = 0;
    while (got < into.size()) {
      XJ_ASSIGN_OR_RETURN(std::size_t n, tar.Read(into.subspan(got)));
      if (n == 0)
        return Error(Code::kTruncated, "bag file {} is cut short", path);
      got += n;
    }
    // The entry ends here.
    XJ_ASSIGN_OR_RETURN(std::size_t n, tar.Read(MutableByteSpan(buf_)));
    if (n != 0) {
      return Error(Code::kRejected, "bag file {} is longer than its header",
                   path);
    }
    return Status::Ok();
  }

  Status Write(const std::string& path, ByteSpan data) {
    // Folders first: each component created here, in a folder we made.
    std::string dir = os::DirName(out_root_ + "/" + path);
    XJ_RETURN_IF_ERROR(os::MakeDirectories(dir, 0700));
    std::string full = out_root_ + "/" + path;
    XJ_ASSIGN_OR_RETURN(os::File f, os::CreateNewFile(full, 0600));
    os::FdSink sink(f.fd(), full);
    XJ_RETURN_IF_ERROR(sink.Write(data));
    return f.Close(full);
  }

  Status Entry(BagEntries& tar, const std::string& path, std::uint64_t size) {
    // Each of the bag's files in its place: bag-info.txt, bagit.txt, the
    // payload, the manifest, the tag manifest.
    Stage want = path == bagit::kBagInfo       ? Stage::kBagInfo
                 : path == bagit::kBagit       ? Stage::kBagit
                 : path.starts_with("data/")   ? Stage::kData
                 : path == bagit::kManifest    ? Stage::kData
                 : path == bagit::kTagManifest ? Stage::kTagManifest
                                               : Stage::kDone;
    if (want == Stage::kDone || stage_ != want) {
      return Error(Code::kRejected, "unexpected file \"{}\" in the bag",
                   EscapeForDisplay(path));
    }
    if (path == bagit::kBagInfo) return BagInfoFile(tar, size);
    if (path == bagit::kBagit) return BagitFile(tar, size);
    if (path == bagit::kManifest) return ManifestFile(tar, size);
    if (path == bagit::kTagManifest) return TagManifestFile(tar, size);
    return PayloadFile(tar, path, size);
  }

  Status BagInfoFile(BagEntries& tar, std::uint64_t size) {
    XJ_ASSIGN_OR_RETURN(std::string text,
                        ReadSmall(tar, size, bagit::kBagInfo));
    XJ_ASSIGN_OR_RETURN(bagit::BagInfo info, bagit::ParseBagInfo(text));
    if (info.external_identifier != st_.id) {
      return Error(Code::kRejected,
                   "bag-info.txt names bundle {}, the statement {}",
                   EscapeForDisplay(info.external_identifier), st_.id);
    }
    if (info.payload_oxum != st_.bag_oxum) {
      return Error(Code::kRejected,
                   "bag-info.txt says Payload-Oxum {}, the statement {}",
                   EscapeForDisplay(info.payload_oxum), st_.bag_oxum);
    }
    tag_lines_ +=
        bagit::ManifestLine(Sha512Hex(AsBytes(text)), bagit::kBagInfo);
    stage_ = Stage::kBagit;
    return Status::Ok();
  }

  Status BagitFile(BagEntries& tar, std::uint64_t size) {
    XJ_ASSIGN_OR_RETURN(std::string text, ReadSmall(tar, size, bagit::kBagit));
    if (text != bagit::kBagitTxt)
      return Status(Code::kRejected, "bagit.txt is not BagIt 1.0 UTF-8");
    tag_lines_ += bagit::ManifestLine(Sha512Hex(AsBytes(text)), bagit::kBagit);
    stage_ = Stage::kData;
    return Status::Ok();
  }

  // A payload file's output (none when the bag is only checked).
  Result<os::File> OpenOutput(const std::string& path) {
    os::File out;
    if (!out_root_.empty()) {
      std::string full = out_root_ + "/" + path;
      // Files come folder by folder: each folder is made (or looked for)
      // once, for its first file.
      std::string dir = os::DirName(full);
      if (dir != made_dir_) {
        XJ_RETURN_IF_ERROR(os::MakeDirectories(dir, 0700));
        made_dir_ = std::move(dir);
      }
      XJ_ASSIGN_OR_RETURN(out, os::CreateNewFile(full, 0600));
    }
    return out;
  }

  // A small file is hashed and written here. And the small files of a
  // held child that its check reads (its statement, signatures, chain, tag
  // files and merged summary, and of a school's registry files only
  // school.csv) are kept, for the check to read from memory the bytes that
  // were hashed.
  Status SmallFile(BagEntries& tar, const std::string& path, std::uint64_t size,
                   os::File out) {
    std::string text(static_cast<std::size_t>(size), '\0');
    XJ_RETURN_IF_ERROR(
        ReadWhole(tar, path,
                  MutableByteSpan(reinterpret_cast<std::uint8_t*>(text.data()),
                                  text.size())));
    if (out.is_open()) {
      std::string full = out_root_ + "/" + path;
      os::FdSink sink(out.fd(), full);
      XJ_RETURN_IF_ERROR(sink.Write(AsBytes(text)));
      XJ_RETURN_IF_ERROR(out.Close(full));
    }
    std::string sha512 = Sha512Hex(AsBytes(text));
    std::optional<std::string> kept;
    if (held_ != nullptr && path.starts_with("data/children/") &&
        (path.find("/bag/data/registry/") == std::string::npos ||
         path.ends_with("/bag/data/registry/school.csv")) &&
        path.find("/bag/data/check/") == std::string::npos) {
      kept = std::move(text);
    }
    Listed(path, size, std::move(kept));
    return Lines(hashers_.Add(std::move(sha512)));
  }

  // A payload file in the manifest's order (its hash comes later), and
  // what the bag holds so far.
  void Listed(const std::string& path, std::uint64_t size,
              std::optional<std::string> kept = std::nullopt) {
    paths_.push_back({path, size, std::move(kept)});
    octets_ += size;
    ++files_;
  }
  // The manifest lines of the files whose hashes are done.
  Status Lines(Result<std::vector<FileHashers::Done>> done) {
    XJ_RETURN_IF_ERROR(done.status());
    AddManifestLines(*done);
    return Status::Ok();
  }

  Status PayloadFile(BagEntries& tar, const std::string& path,
                     std::uint64_t size) {
    XJ_RETURN_IF_ERROR(hashers_.error());
    XJ_RETURN_IF_ERROR(stick::CheckBagPayloadPath(
        path, st_.children.empty() ? stick::BagKind::kSchool
                                   : stick::BagKind::kMerged));
    XJ_ASSIGN_OR_RETURN(os::File out, OpenOutput(path));
    // A held school's roster is counted as it streams by, for the
    // check of the bundles held (which would read it again).
    std::unique_ptr<registry::RosterCounter> roster;
    if (held_ != nullptr && !out_root_.empty() &&
        path.starts_with("data/children/") &&
        path.ends_with("/bag/data/registry/students.csv")) {
      roster =
          std::make_unique<registry::RosterCounter>(out_root_ + "/" + path);
    }
    if (roster == nullptr && size <= kInlineBytes)
      return SmallFile(tar, path, size, std::move(out));
    // One that fits a chunk is handed over whole (one handover).
    if (size < kChunkBytes) {
      Bytes whole(static_cast<std::size_t>(size));
      XJ_RETURN_IF_ERROR(ReadWhole(tar, path, MutableByteSpan(whole)));
      hashers_.Whole(std::move(out), path, std::move(roster), std::move(whole),
                     static_cast<std::size_t>(size));
      Listed(path, size);
      return Lines(hashers_.Take(false));
    }
    hashers_.Begin(std::move(out), path, std::move(roster));
    std::uint64_t got = 0;
    for (;;) {
      Bytes chunk = hashers_.Buffer(got < size ? size - got : 0);
      XJ_ASSIGN_OR_RETURN(std::size_t n, tar.Read(chunk));
      if (n == 0) {
        hashers_.Return(std::move(chunk));
        break;
      }
      hashers_.Data(std::move(chunk), n);
      got += n;
      if (got % (64 << 20) < n) XJ_RETURN_IF_ERROR(hashers_.error());
    }
    hashers_.End();
    if (got != size)
      return Error(Code::kTruncated, "bag file {} is cut short", path);
    Listed(path, size);
    return Lines(hashers_.Take(false));
  }

  Status ManifestFile(BagEntries& tar, std::uint64_t size) {
    // The payload's hashes, in the archive's order, make the manifest.
    XJ_ASSIGN_OR_RETURN(std::vector<FileHashers::Done> rest,
                        hashers_.Take(true));
    AddManifestLines(rest);
    XJ_ASSIGN_OR_RETURN(std::string text, ReadSmallOrStream(tar, size));
    (void)text;
    if (manifest_text_sha512_ != ToHex(manifest_.Finish())) {
      return ExplainMismatch();
    }
    tag_lines_ += bagit::ManifestLine(manifest_text_sha512_, bagit::kManifest);
    if (bagit::Oxum(octets_, files_) != st_.bag_oxum) {
      return Error(Code::kRejected,
                   "the bag holds {} bytes in {} files (Payload-Oxum {}), "
                   "the statement's bag-oxum says {}",
                   octets_, files_, bagit::Oxum(octets_, files_), st_.bag_oxum);
    }
    stage_ = Stage::kTagManifest;
    return Status::Ok();
  }

  Status TagManifestFile(BagEntries& tar, std::uint64_t size) {
    XJ_ASSIGN_OR_RETURN(std::string text,
                        ReadSmall(tar, size, bagit::kTagManifest));
    if (Sha512Hex(AsBytes(text)) != st_.bag_tagmanifest_sha512) {
      return Status(Code::kIntegrity,
                    "the bag's tag manifest does not match the signed "
                    "statement: the bag "
                    "was altered");
    }
    if (text != tag_lines_) return ExplainTagMismatch(text);
    stage_ = Stage::kDone;
    return Status::Ok();
  }

  // The manifest may be large (a line a file): hash it as it streams, and
  // keep it only when writing the bag out.
  Result<std::string> ReadSmallOrStream(BagEntries& tar, std::uint64_t size) {
    keys::Hasher h(keys::Hasher::Algorithm::kSha512);
    os::File out;
    if (!out_root_.empty()) {
      std::string full = out_root_ + "/" + std::string(bagit::kManifest);
      XJ_ASSIGN_OR_RETURN(out, os::CreateNewFile(full, 0600));
    }
    std::uint64_t got = 0;
    for (;;) {
      XJ_ASSIGN_OR_RETURN(std::size_t n, tar.Read(buf_));
      if (n == 0) break;
      h.Update(ByteSpan(buf_.data(), n));
      if (out.is_open()) {
        os::FdSink sink(out.fd());
        XJ_RETURN_IF_ERROR(sink.Write(ByteSpan(buf_.data(), n)));
      }
      if (size <= kExplainLimit)
        manifest_text_ += AsChars(ByteSpan(buf_.data(), n));
      got += n;
    }
    if (got != size)
      return Status(Code::kTruncated, "manifest-sha512.txt is cut short");
    if (out.is_open()) XJ_RETURN_IF_ERROR(out.Close("manifest-sha512.txt"));
    manifest_text_sha512_ = ToHex(h.Finish());
    return std::string();
  }

  const ft::BundleStatement& st_;
  std::string out_root_;
  HeldCheck* held_;
  std::string made_dir_;  // the folder of the last payload file
  Stage stage_ = Stage::kBagInfo;
  std::string last_;
  std::string tag_lines_;
  // The first difference between the bag and its manifest, named.
  // Which tag file's line is wrong, missing or extra (the tag manifest is
  // signed, so the tag files, or the sender's tools, are what is wrong).
  Status ExplainTagMismatch(const std::string& text) const {
    constexpr std::string_view kTm = bagit::kTagManifest;
    Result<std::vector<std::pair<std::string, std::string>>> theirs =
        bagit::ParseManifest(text);
    if (!theirs.ok()) return theirs.status().WithContext(kTm);
    Result<std::vector<std::pair<std::string, std::string>>> ours =
        bagit::ParseManifest(tag_lines_);
    if (!ours.ok()) return ours.status().WithContext("the bag's tag files");
    std::map<std::string, std::string> listed(theirs->begin(), theirs->end());
    for (const auto& [path, hash] : *ours) {
      auto it = listed.find(path);
      if (it == listed.end()) {
        return Error(Code::kIntegrity, "{} has no line for {}", kTm, path);
      }
      if (it->second != hash) {
        return Error(Code::kIntegrity, "{} does not match its SHA-512 in {}",
                     path, kTm);
      }
      listed.erase(it);
    }
    if (!listed.empty()) {
      return Error(Code::kIntegrity,
                   "{} lists {}, which is not a tag file of "
                   "the bag",
                   kTm, EscapeForDisplay(listed.begin()->first));
    }
    return Error(Code::kIntegrity,
                 "{} lists the bag's tag files in another "
                 "order or form than a bag's",
                 kTm);
  }

  Status ExplainMismatch() const {
    constexpr std::string_view kGeneric =
        "the bag's files do not match manifest-sha512.txt: a file was "
        "altered, added or removed";
    if (lines_overflow_ || manifest_text_.empty()) {
      return Status(Code::kIntegrity, std::string(kGeneric));
    }
    // A manifest that is not well formed (lines out of order, say) is
    // named as such, before any file is blamed.
    if (auto parsed = bagit::ParseManifest(manifest_text_); !parsed.ok()) {
      return parsed.status().WithContext(bagit::kManifest);
    }
    auto split = [](std::string_view text) {
      std::vector<std::pair<std::string_view, std::string_view>>
          out;  // path, hash
      while (!text.empty()) {
        std::size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        std::size_t sp = line.find("  ");
        if (sp != std::string_view::npos)
          out.emplace_back(line.substr(sp + 2), line.substr(0, sp));
        if (nl == std::string_view::npos) break;
        text.remove_prefix(nl + 1);
      }
      return out;
    };
    auto ours = split(lines_), theirs = split(manifest_text_);
    std::size_t i = 0, j = 0;
    while (i < ours.size() || j < theirs.size()) {
      if (j == theirs.size() ||
          (i < ours.size() && ours[i].first < theirs[j].first)) {
        return Error(Code::kIntegrity,
                     "the bag holds {}, which manifest-sha512.txt does not "
                     "list (an added file)",
                     EscapeForDisplay(ours[i].first));
      }
      if (i == ours.size() || theirs[j].first < ours[i].first) {
        return Error(Code::kIntegrity,
                     "manifest-sha512.txt lists {}, which the bag lacks (a "
                     "missing file)",
                     EscapeForDisplay(theirs[j].first));
      }
      if (ours[i].second != theirs[j].second) {
        return Error(Code::kIntegrity,
                     "{} does not match its SHA-512 in manifest-sha512.txt "
                     "(an altered file)",
                     EscapeForDisplay(ours[i].first));
      }
      ++i;
      ++j;
    }
    return Status(Code::kIntegrity, std::string(kGeneric));
  }

  static constexpr std::size_t kExplainLimit = 32 << 20;
  std::string lines_, manifest_text_;
  bool lines_overflow_ = false;
  keys::Hasher manifest_{
      keys::Hasher::Algorithm::kSha512};  // the rebuilt manifest
  std::string manifest_text_sha512_;
  std::uint64_t octets_ = 0, files_ = 0;
  Bytes buf_ = Bytes(1 << 20);
  // Payload files whose hash is to come, their sizes, and the bytes of
  // those kept for the held check.
  struct Pending {
    std::string path;
    std::uint64_t size;
    std::optional<std::string> kept;
  };
  // Files up to this size are hashed where they are read (and kept, when
  // held).
  static constexpr std::uint64_t kInlineBytes = 64 << 10;
  static constexpr std::uint64_t kChunkBytes = 1 << 20;  // as FileHashers
  std::deque<Pending> paths_;
  // The manifest lines of the next files in order, from their hashes.
  void AddManifestLines(const std::vector<FileHashers::Done>& done) {
    for (const FileHashers::Done& d : done) {
      const std::string& h = d.sha512;
      Pending& p = paths_.front();
      std::string line = bagit::ManifestLine(h, p.path);
      if (held_ != nullptr) {
        held_->Written(p.path, h, p.size, d.roster.get(),
                       p.kept ? &*p.kept : nullptr);
      }
      paths_.pop_front();
      manifest_.Update(AsBytes(line));
      if (lines_.size() + line.size() <= kExplainLimit) {
        lines_ += line;
      } else {
        lines_overflow_ = true;
      }
    }
  }
  FileHashers hashers_{
      std::max<std::size_t>(2, std::thread::hardware_concurrency())};
};

// Names the payload's bytes first to last (offsets in the volumes joined)
// by the volumes that hold them: "payload.tar.zst.age.003 bytes 10–99", or
// "... .003 byte 65530 to ... .004 byte 9" across a volume's end. The sizes
// are the statement's, which every volume has had by the time a decryption
// error is told (a volume that does not is refused as such first).
age::PlaceName VolumePlaces(const ft::BundleStatement& st) {
  if (st.volumes.empty()) return {};
  std::vector<std::string> names = VolumeNames(st.volumes.size());
  std::vector<std::uint64_t> starts;
  std::uint64_t at = 0;
  for (const ft::Volume& v : st.volumes) {
    starts.push_back(at);
    at += v.size;
  }
  return [names = std::move(names), starts = std::move(starts)](
             std::uint64_t first, std::uint64_t last) {
    // The last volume starting at or before x (an empty one holds nothing).
    auto find = [&](std::uint64_t x) {
      std::size_t i =
          std::upper_bound(starts.begin(), starts.end(), x) - starts.begin();
      return i == 0 ? std::size_t{0} : i - 1;
    };
    std::size_t i = find(first), j = find(last);
    std::uint64_t a = first - starts[i], b = last - starts[j];
    if (i != j)
      return fmt::format("{} byte {} to {} byte {}", names[i], a, names[j], b);
    if (a == b) return fmt::format("{} byte {}", names[i], a);
    return fmt::format("{} bytes {}–{}", names[i], a, b);
  };
}

}  // namespace

Result<PayloadLimits> LimitsOf(const ft::BundleStatement& st) {
  PayloadLimits l;
  std::size_t dot = st.bag_oxum.find('.');
  l.octets = std::stoull(st.bag_oxum.substr(0, dot));
  l.files = std::stoull(st.bag_oxum.substr(dot + 1));
  // Caps that keep the arithmetic below far from overflow, and far above
  // any real registry (a province is a few hundred GiB and files).
  if (l.octets > (std::uint64_t{1} << 50) || l.files > 1000000000) {
    return Error(Code::kRejected,
                 "the statement claims an implausible bag size (bag-oxum {})",
                 st.bag_oxum);
  }
  return l;
}

// Decrypts the volumes and checks (or extracts) the bag.
Status OpenPayload(Source& volumes, BundleReport* report,
                   const std::vector<keys::X25519Identity>& identities,
                   const std::string& out_root, std::uint64_t max_files,
                   HeldCheck* held) {
  const ft::BundleStatement& st = report->statement;
  age::DecryptOptions opt;
  opt.reject_unknown_stanzas = true;
  opt.limits.max_bytes = kMaxHeader;
  opt.place = VolumePlaces(st);
  age::Decryptor dec(opt);
  for (const auto& id : identities) dec.AddIdentity(&id);
  Result<std::unique_ptr<Source>> plain = dec.Open(volumes);
  if (!plain.ok()) {
    if (plain.status().code() == Code::kNoIdentity) {
      return Status(
          Code::kNoIdentity,
          "none of the identities given opens this bundle: it is addressed "
          "to " +
              st.recipient +
              (st.copy_to.empty()
                   ? std::string()
                   : " (copies to " +
                         fmt::format("{}", fmt::join(st.copy_to, ", ")) + ")"));
    }
    return plain.status().WithContext("decrypting the payload");
  }
  XJ_ASSIGN_OR_RETURN(PayloadLimits limits, LimitsOf(st));
  XJ_ASSIGN_OR_RETURN(
      std::unique_ptr<ZstdDecompressSource> zstd,
      ZstdDecompressSource::Create(plain->get(), limits.max_output()));
  TarLimits tl;
  tl.max_files = std::min<std::uint64_t>(limits.files + kTagFiles, max_files);
  tl.max_files_why =
      tl.max_files < max_files
          ? fmt::format(
                "the statement's bag-oxum counts {} payload files, "
                "and a bag has {} tag files",
                limits.files, kTagFiles)
          : std::string("the most a bundle may hold");
  tl.max_total = limits.max_output();
  // Two cores: one reads, hashes, decrypts and decompresses the volumes,
  // the other checks (and writes) the archive.
  PrefetchSource ahead(zstd.get());
  XJ_ASSIGN_OR_RETURN(std::unique_ptr<TarReader> tar,
                      TarReader::Open(&ahead, tl));
  BagCheck check(st, out_root, held);
  TarEntries entries(*tar);
  XJ_RETURN_IF_ERROR(check.Run(entries, report));
  // Only zeros may follow the archive, and they too must authenticate.
  XJ_RETURN_IF_ERROR(tar->Finish());
  return Status::Ok();
}

Status CheckPlacedBag(const std::string& dir, BundleReport* report) {
  XJ_ASSIGN_OR_RETURN(std::unique_ptr<FolderEntries> entries,
                      FolderEntries::Open(dir, report->statement.id + "/"));
  BagCheck check(report->statement, std::string());
  return check.Run(*entries, report).WithContext(dir);
}

}  // namespace xj::pack::bundle
