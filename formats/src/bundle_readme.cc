#include "formats/bundle_readme.h"

#include <fmt/format.h>

namespace xj::formats {

std::string BundleReadme(const trust::BundleStatement& st,
                         std::string_view fingerprint,
                         const std::vector<std::string>& volume_names,
                         std::string_view payload) {
  const std::vector<std::string>& names = volume_names;
  std::string volumes = fmt::format("{}", fmt::join(names, " "));
  std::string cat = names.size() == 1 ? names[0] : std::string(payload) + ".*";
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

}  // namespace xj::formats
