// The verb table: it drives dispatch, `xjpack help` and "did you mean".
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/cli.h"

namespace xj::cli {

struct Verb {
  std::string_view name;
  std::string_view summary;  ///< one line for `xjpack help`
  int (*run)(Cli& cli, const std::vector<std::string>& args);
};

int RunKeygen(Cli& cli, const std::vector<std::string>& args);
int RunEncrypt(Cli& cli, const std::vector<std::string>& args);
int RunDecrypt(Cli& cli, const std::vector<std::string>& args);
int RunSign(Cli& cli, const std::vector<std::string>& args);
int RunSigcheck(Cli& cli, const std::vector<std::string>& args);
int RunCheck(Cli& cli, const std::vector<std::string>& args);
int RunSynth(Cli& cli, const std::vector<std::string>& args);
int RunPack(Cli& cli, const std::vector<std::string>& args);
int RunInspect(Cli& cli, const std::vector<std::string>& args);
int RunVerify(Cli& cli, const std::vector<std::string>& args);
int RunUnpack(Cli& cli, const std::vector<std::string>& args);
int RunMerge(Cli& cli, const std::vector<std::string>& args);
int RunApprove(Cli& cli, const std::vector<std::string>& args);
int RunDemo(Cli& cli, const std::vector<std::string>& args);
int RunInit(Cli& cli, const std::vector<std::string>& args);
int RunTrust(Cli& cli, const std::vector<std::string>& args);
int RunCert(Cli& cli, const std::vector<std::string>& args);
int RunReceipt(Cli& cli, const std::vector<std::string>& args);

std::span<const Verb> Verbs();

}  // namespace xj::cli
