#include "libpack/stick.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/os.h"

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
  std::vector<std::string> names = VolumeNames(st.volumes.size());
  std::string volumes = fmt::format("{}", fmt::join(names, " "));
  std::string cat = names.size() == 1 ? names[0] : std::string(kPayload) + ".*";
  std::string copy_b;
  for (std::size_t i = 0; i < names.size(); ++i)
    copy_b += (i ? "+" : "") + names[i];
  std::string text = fmt::format(
      "学籍数据包 · Student registry bundle\n"
      "==================================\n"
      "\n"
      "编号 Bundle: {id}\n"
      "发送单位 From: {sender}\n"
      "接收单位 To: {recipient}{copies}\n"
      "类别 Kind: {kind}    学年统计时点 Period: {period}    序号 Seq: {seq}\n"
      "生成时间 Created: {created}\n"
      "记录数 Records: {records}\n"
      "数据卷 Volumes: {volumes}\n"
      "声明指纹 Statement fingerprint (SHA-256):\n"
      "  {fp}\n"
      "\n"
      "本数据包含学生个人信息，已加密，只有接收单位能够打开。请勿复制给无关人员"
      "。\n"
      "This bundle holds children's personal records, encrypted so that only "
      "the\n"
      "addressed offices can open it. Do not copy it to anyone else.\n"
      "\n"
      "核验 How to verify (only this proves anything; this README does not):\n"
      "  xjpack verify XJ/{id} -p <sender's public key>\n"
      "  minisign -V -p <sender's public key> -m XJ/{id}/bundle.stmt \\\n"
      "    -x XJ/{id}/bundle.stmt.<KEYID>.minisig\n"
      "\n"
      "打开 How to open (recipient):\n"
      "  xjpack unpack XJ/{id} -o <folder> -p <sender's public key> \\\n"
      "    -i <office identity>\n"
      "\n"
      "没有 xjpack 时的恢复方法 Recovery with stock tools, if xjpack is gone:\n"
      "  Linux:   cat {cat} | age -d -i <identity> | zstd -d | tar -x\n"
      "  Windows: copy /b {copyb} payload.age\n"
      "           then: age -d -i <identity> payload.age | zstd -d | tar -x\n"
      "  Inside the bag: sha512sum -c manifest-sha512.txt\n",
      fmt::arg("id", st.id), fmt::arg("sender", st.sender),
      fmt::arg("recipient", st.recipient),
      fmt::arg("copies", st.copy_to.empty()
                             ? std::string()
                             : fmt::format("  抄送 Copies: {}",
                                           fmt::join(st.copy_to, ", "))),
      fmt::arg("kind", st.kind), fmt::arg("period", st.period),
      fmt::arg("seq", st.seq), fmt::arg("created", st.created),
      fmt::arg("records", st.records), fmt::arg("volumes", volumes),
      fmt::arg("fp", fingerprint), fmt::arg("cat", cat),
      fmt::arg("copyb", copy_b));
  // UTF-8 with a byte order mark and CRLF line ends, for Notepad.
  std::string out = "\xEF\xBB\xBF";
  for (char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

}  // namespace xj::pack::stick
