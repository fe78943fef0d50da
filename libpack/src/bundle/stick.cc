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

std::string ReadmeText(const formats::trust::BundleStatement& st,
                       const std::string& fingerprint) {
  return formats::BundleReadme(st, fingerprint, VolumeNames(st.volumes.size()),
                               kPayload);
}

}  // namespace xj::pack::stick
