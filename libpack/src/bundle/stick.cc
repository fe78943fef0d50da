#include "libpack/stick.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/os.h"
#include "formats/bundle_readme.h"

namespace xj::pack::stick {

std::vector<std::string> VolumeNames(std::size_t count) {
  if (count == 1) return {std::string(kPayload)};
  std::vector<std::string> names;
  for (std::size_t i = 1; i <= count; ++i)
    names.push_back(NumberedVolumeName(i));
  return names;
}

std::string NumberedVolumeName(std::size_t n) {
  return fmt::format("{}.{:03}", kPayload, n);
}

bool IsVolumeName(std::string_view n) {
  if (n == kPayload) return true;
  if (n.size() != kPayload.size() + 4 ||
      n.substr(0, kPayload.size() + 1) != std::string(kPayload) + ".") {
    return false;
  }
  return std::all_of(n.begin() + kPayload.size() + 1, n.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

std::string SignatureName(const formats::minisign::KeyId& id) {
  return fmt::format("{}.{}.minisig", kStatement,
                     formats::minisign::KeyIdToString(id));
}

bool IsSignatureName(std::string_view n) {
  constexpr std::string_view kSuffix = ".minisig";
  const std::size_t prefix = kStatement.size() + 1;
  if (n.size() != prefix + 16 + kSuffix.size()) return false;
  if (n.substr(0, kStatement.size()) != kStatement ||
      n[kStatement.size()] != '.' ||
      n.substr(n.size() - kSuffix.size()) != kSuffix) {
    return false;
  }
  std::string_view id = n.substr(prefix, 16);
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
  });
}

bool IsLitter(std::string_view n) {
  return n.substr(0, 2) == "._" || n == "Thumbs.db" || n == ".DS_Store" ||
         n == "desktop.ini" || n == "System Volume Information" ||
         n == ".Trashes" || n == ".fseventsd" || n == ".Spotlight-V100";
}

Result<std::vector<std::string>> FindReceipts(const std::string& path) {
  if (os::Exists(In(path, kReceiptStatement))) return {{path}};
  std::string on_stick = In(In(path, kXj), kReceipts);
  std::string base = os::Exists(on_stick) ? on_stick : path;
  XJ_ASSIGN_OR_RETURN(std::vector<std::string> names, os::ListDirectory(base));
  std::vector<std::string> out;
  for (const std::string& n : names) {
    if (os::Exists(In(In(base, n), kReceiptStatement)))
      out.push_back(In(base, n));
  }
  if (out.empty()) {
    return Error(Code::kNotFound, "{}: no receipt folder found", path);
  }
  return out;
}

namespace {

constexpr std::string_view kRegistryFiles[] = {"school.csv",   "classes.csv",
                                               "students.csv", "guardians.csv",
                                               "changes.csv",  "summary.csv"};
constexpr std::string_view kBagTagFiles[] = {"bag-info.txt", "bagit.txt",
                                             "manifest-sha512.txt",
                                             "tagmanifest-sha512.txt"};

bool OneName(std::string_view n) {
  return !n.empty() && n.find('/') == std::string_view::npos;
}

// A school's: data/registry/<file>.csv, data/registry/photos/<name>,
// data/check/findings.csv.
bool SchoolPath(std::string_view p) {
  if (p == "data/check/findings.csv") return true;
  constexpr std::string_view kRegistry = "data/registry/";
  if (!p.starts_with(kRegistry)) return false;
  p.remove_prefix(kRegistry.size());
  if (std::find(std::begin(kRegistryFiles), std::end(kRegistryFiles), p) !=
      std::end(kRegistryFiles)) {
    return true;
  }
  constexpr std::string_view kPhotos = "photos/";
  return p.starts_with(kPhotos) && OneName(p.substr(kPhotos.size())) &&
         p[kPhotos.size()] != '.';
}

// A merge's: data/merged/{summary.csv,audit.json}, and for each child
// data/children/<id>/ its statement, signatures, chain/<name>, and its bag
// (the tag files, and under bag/data/ what a school's or a merge's holds).
bool MergedPath(std::string_view p) {
  if (p == "data/merged/summary.csv" || p == "data/merged/audit.json")
    return true;
  constexpr std::string_view kChildren = "data/children/";
  if (!p.starts_with(kChildren)) return false;
  p.remove_prefix(kChildren.size());
  std::size_t slash = p.find('/');
  if (slash == 0 || slash == std::string_view::npos) return false;
  std::string_view rest = p.substr(slash + 1);
  if (rest == kStatement || IsSignatureName(rest)) return true;
  if (rest.starts_with("chain/")) return OneName(rest.substr(6));
  if (!rest.starts_with("bag/")) return false;
  rest.remove_prefix(4);
  if (std::find(std::begin(kBagTagFiles), std::end(kBagTagFiles), rest) !=
      std::end(kBagTagFiles)) {
    return true;
  }
  return rest.starts_with("data/") && (SchoolPath(rest) || MergedPath(rest));
}

}  // namespace

Status CheckBagPayloadPath(std::string_view path, BagKind kind) {
  bool ok = kind == BagKind::kSchool   ? SchoolPath(path)
            : kind == BagKind::kMerged ? MergedPath(path)
                                       : SchoolPath(path) || MergedPath(path);
  if (ok) return Status::Ok();
  return Error(Code::kRejected,
               "the bag holds \"{}\", which {} bag does not hold (see "
               "xjpack-bundle(5))",
               EscapeForDisplay(path),
               kind == BagKind::kSchool   ? "a school's"
               : kind == BagKind::kMerged ? "a merged bundle's"
                                          : "a bundle's");
}

std::string ReadmeText(const formats::trust::BundleStatement& st,
                       const std::string& fingerprint) {
  return formats::BundleReadme(st, fingerprint, VolumeNames(st.volumes.size()),
                               kPayload);
}

}  // namespace xj::pack::stick
