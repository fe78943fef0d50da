#include "libpack/file_view.h"

#include <algorithm>

namespace xj::pack {
namespace {

class DiskFolder : public Folder {
 public:
  explicit DiskFolder(os::Dir d) : d_(std::move(d)) {}
  Result<std::vector<std::string>> List() const override { return d_.List(); }
  os::Dir::Kind KindOf(const std::string& name) const override {
    return d_.KindOf(name);
  }
  Result<Bytes> ReadFile(const std::string& name,
                         std::size_t max) const override {
    return d_.ReadFile(name, max);
  }
  const std::string& path() const override { return d_.path(); }

 private:
  os::Dir d_;
};

// A folder the extraction wrote: its names from the paths written, its
// small files from memory, the rest from the disk.
class KeptFolder : public Folder {
 public:
  KeptFolder(const KeptFiles& view, std::string path, std::string rel)
      : view_(view), path_(std::move(path)), rel_(std::move(rel)) {}
  Result<std::vector<std::string>> List() const override {
    std::vector<std::string> names = view_.ListRel(rel_);
    if (!names.empty()) return names;
    XJ_ASSIGN_OR_RETURN(const os::Dir* d, DiskPtr());
    return d->List();
  }
  os::Dir::Kind KindOf(const std::string& name) const override {
    os::Dir::Kind k = view_.KindOfRel(rel_ + "/" + name);
    if (k != os::Dir::Kind::kMissing) return k;
    Result<const os::Dir*> d = DiskPtr();
    return d.ok() ? (*d)->KindOf(name) : os::Dir::Kind::kMissing;
  }
  Result<Bytes> ReadFile(const std::string& name,
                         std::size_t max) const override {
    const std::string_view* b = view_.BytesOf(rel_ + "/" + name);
    if (b != nullptr && b->size() <= max) return ToBytes(*b);
    XJ_ASSIGN_OR_RETURN(const os::Dir* d, DiskPtr());
    return d->ReadFile(name, max);
  }
  const std::string& path() const override { return path_; }

 private:
  // The folder on the disk, opened the first time the memory cannot
  // answer.
  Result<const os::Dir*> DiskPtr() const {
    if (!disk_) {
      Result<os::Dir> d = os::Dir::Open(path_);
      if (!d.ok()) return d.status();
      disk_ = std::make_unique<os::Dir>(std::move(*d));
    }
    return disk_.get();
  }

  const KeptFiles& view_;
  std::string path_, rel_;
  mutable std::unique_ptr<os::Dir> disk_;
};

}  // namespace

Result<std::unique_ptr<Folder>> FileView::Open(const std::string& path) const {
  XJ_ASSIGN_OR_RETURN(os::Dir d, os::Dir::Open(path));
  return std::unique_ptr<Folder>(std::make_unique<DiskFolder>(std::move(d)));
}
Result<Bytes> FileView::ReadFile(const std::string& path,
                                 std::size_t max) const {
  return os::ReadFile(path, max);
}
bool FileView::IsDirectory(const std::string& path) const {
  return os::IsDirectory(path);
}
Result<std::vector<std::string>> FileView::List(const std::string& path) const {
  return os::ListDirectory(path);
}
Result<std::uint64_t> FileView::Size(const std::string& path) const {
  return os::FileSize(path);
}

const FileView& DiskFiles() {
  static const FileView disk;
  return disk;
}

KeptFiles::KeptFiles(std::string root, std::string scope,
                     const PathSizes& sizes, const PathBytes& bytes)
    : root_(std::move(root)),
      scope_(std::move(scope)),
      sizes_(sizes),
      bytes_(bytes) {
  while (!root_.empty() && root_.back() == '/') root_.pop_back();
}

bool KeptFiles::Covers(const std::string& path, std::string* rel) const {
  if (path.size() <= root_.size() ||
      path.compare(0, root_.size(), root_) != 0 || path[root_.size()] != '/') {
    return false;
  }
  rel->clear();
  for (std::size_t i = root_.size() + 1; i < path.size(); ++i) {
    char c = path[i];
    if (c == '/' && (rel->empty() || rel->back() == '/')) continue;
    *rel += c;
  }
  while (!rel->empty() && rel->back() == '/') rel->pop_back();
  return *rel == scope_ || (rel->size() > scope_.size() &&
                            rel->compare(0, scope_.size(), scope_) == 0 &&
                            (*rel)[scope_.size()] == '/');
}

os::Dir::Kind KeptFiles::KindOfRel(const std::string& rel) const {
  if (sizes_.count(rel) != 0) return os::Dir::Kind::kFile;
  std::string below = rel + "/";
  auto it = sizes_.lower_bound(below);
  if (it != sizes_.end() && it->first.compare(0, below.size(), below) == 0)
    return os::Dir::Kind::kFolder;
  return os::Dir::Kind::kMissing;
}

std::vector<std::string> KeptFiles::ListRel(const std::string& rel) const {
  std::string below = rel + "/";
  std::vector<std::string> names;
  auto it = sizes_.lower_bound(below);
  while (it != sizes_.end() && it->first.compare(0, below.size(), below) == 0) {
    std::size_t end = it->first.find('/', below.size());
    std::string name(it->first.substr(below.size(), end - below.size()));
    if (end == std::string::npos) {
      ++it;
    } else {
      // Past the files below this name: every "<name>/..." sorts before
      // "<name>0" ('/' is just before '0').
      it = sizes_.lower_bound(below + name + "0");
    }
    names.push_back(std::move(name));
  }
  // Paths sort as strings, names below a folder as names: "a-b/x" comes
  // before "a/x", and "a" before "a-b".
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

const std::string_view* KeptFiles::BytesOf(const std::string& rel) const {
  auto it = bytes_.find(rel);
  return it == bytes_.end() ? nullptr : &it->second;
}

Result<std::unique_ptr<Folder>> KeptFiles::Open(const std::string& path) const {
  std::string rel;
  if (Covers(path, &rel) && KindOfRel(rel) == os::Dir::Kind::kFolder) {
    return std::unique_ptr<Folder>(
        std::make_unique<KeptFolder>(*this, path, rel));
  }
  return FileView::Open(path);
}

Result<Bytes> KeptFiles::ReadFile(const std::string& path,
                                  std::size_t max) const {
  std::string rel;
  if (Covers(path, &rel)) {
    const std::string_view* b = BytesOf(rel);
    if (b != nullptr && b->size() <= max) return ToBytes(*b);
  }
  return FileView::ReadFile(path, max);
}

bool KeptFiles::IsDirectory(const std::string& path) const {
  // Below the scope every file is known, and a folder holds at least one
  // (the archive makes no empty ones).
  std::string rel;
  if (Covers(path, &rel)) return KindOfRel(rel) == os::Dir::Kind::kFolder;
  return FileView::IsDirectory(path);
}

Result<std::vector<std::string>> KeptFiles::List(
    const std::string& path) const {
  std::string rel;
  if (Covers(path, &rel)) {
    std::vector<std::string> names = ListRel(rel);
    if (!names.empty()) return names;
  }
  return FileView::List(path);
}

Result<std::uint64_t> KeptFiles::Size(const std::string& path) const {
  std::string rel;
  if (Covers(path, &rel)) {
    auto it = sizes_.find(rel);
    if (it != sizes_.end()) return it->second;
  }
  return FileView::Size(path);
}

}  // namespace xj::pack
