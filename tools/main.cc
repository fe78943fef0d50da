// xjpack: one binary, many verbs. This file only dispatches.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/os.h"
#include "common/completion.h"
#include "registry/data.h"
#include "verbs/verbs.h"

#ifndef XJPACK_VERSION
#define XJPACK_VERSION "unknown"
#endif

namespace xj::cli {

extern const char kBuildCommit[];  // build_info.cc, made at build time

namespace {

constexpr Verb kVerbs[] = {
    {"demo",
     "run the whole flow on a synthetic city in a scratch folder, step by step",
     RunDemo},
    {"keygen", "make a person's signing key or an office's encryption identity",
     RunKeygen},
    {"encrypt", "encrypt one file with age (emergencies and tests)",
     RunEncrypt},
    {"decrypt", "decrypt one age file, writing nothing until it authenticates",
     RunDecrypt},
    {"sign", "sign one file with a minisign signature", RunSign},
    {"sigcheck", "check one file's minisign signature", RunSigcheck},
    {"init", "set up an office: its home, keys and the province's root",
     RunInit},
    {"trust", "the province's root statement and its custodians' signatures",
     RunTrust},
    {"cert", "issue, install and revoke office certificates", RunCert},
    {"receipt", "check receipts for bundles sent; restore a lost counter",
     RunReceipt},
    {"check",
     "check a school's registry files against the schema and audit rules",
     RunCheck},
    {"pack", "pack a checked registry folder into a signed, encrypted bundle",
     RunPack},
    {"inspect", "show what a bundle says about itself, without secret keys",
     RunInspect},
    {"verify",
     "verify a bundle's signatures and volumes (and, with an "
     "identity, its contents)",
     RunVerify},
    {"unpack", "verify, decrypt and safely extract a bundle into a folder",
     RunUnpack},
    {"merge",
     "verify children's bundles, audit across schools, pack for the next hop",
     RunMerge},
    {"approve",
     "show a leader what a bundle holds and add the leader's signature",
     RunApprove},
    {"synth", "write a synthetic registry (tests, benchmarks, the demo)",
     RunSynth},
};

std::size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min(
          {row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

const Verb* Find(std::string_view name) {
  for (const Verb& v : kVerbs) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

void PrintHelp() {
  std::printf(
      "usage: xjpack <verb> [options] [arguments]\n"
      "       xjpack help [verb]\n"
      "       xjpack --version\n"
      "       xjpack --bash-completion\n\n"
      "xjpack packs, checks, encrypts, signs and verifies student-registry\n"
      "bundles carried on removable media between education offices.\n\n"
      "verbs:\n");
  for (const Verb& v : kVerbs) {
    std::printf("  %-10s %.*s\n", std::string(v.name).c_str(),
                static_cast<int>(v.summary.size()), v.summary.data());
  }
  std::printf(
      "\n'xjpack <verb> --help' shows a verb's options; xjpack(1) and\n"
      "xjpack-<verb>(1) are the manuals.\n");
}

// The version, the commit it was built from, and the data it runs with:
// what IT staff need to tell which xjpack answers and whether its
// installation is whole. Exit 3 when the data folder or schema is broken.
int PrintVersion() {
  std::printf("xjpack %s\ncommit: %s\n", XJPACK_VERSION, kBuildCommit);
  int code = kExitOk;
  Result<std::string> dir = registry::DataDir();
  if (dir.ok()) {
    std::printf("data folder: %s\n", EscapeControlsForDisplay(*dir).c_str());
    Result<registry::RegistryData> data = registry::LoadRegistryData();
    if (data.ok()) {
      std::printf("schema: %s\n", data->schema->Label().c_str());
    } else {
      std::printf("schema: not loaded: %s\n",
                  EscapeControlsForDisplay(data.status().message()).c_str());
      code = kExitIo;
    }
  } else {
    std::printf("data folder: not found: %s\n",
                EscapeControlsForDisplay(dir.status().message()).c_str());
    code = kExitIo;
  }
  std::printf(
      "formats: age-encryption.org/v1 (X25519, scrypt), minisign (ED; Ed "
      "accepted by sigcheck)\n"
      "licence: Apache-2.0\n");
  return code;
}

int UnknownVerb(std::string_view name) {
  std::fprintf(stderr, "xjpack: error: unknown verb '%s'\n",
               EscapeForDisplay(name).c_str());
  const Verb* best = nullptr;
  std::size_t best_d = 3;  // suggest only close matches
  for (const Verb& v : kVerbs) {
    bool prefix = name.size() >= 2 && v.name.substr(0, name.size()) == name;
    std::size_t d = prefix ? 0 : EditDistance(name, v.name);
    if (d < best_d) {
      best_d = d;
      best = &v;
    }
  }
  if (best != nullptr) {
    std::fprintf(stderr, "xjpack: hint: did you mean 'xjpack %s'?\n",
                 std::string(best->name).c_str());
  } else {
    std::fprintf(stderr, "xjpack: hint: 'xjpack help' lists the verbs\n");
  }
  return kExitUsage;
}

}  // namespace

std::span<const Verb> Verbs() { return kVerbs; }

int Main(int argc, char** argv) {
  // Results and messages interleave in the order they happen; bulk data
  // never goes through stdio.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  os::HardenProcess();
  os::InstallInterruptCleanup();
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    PrintHelp();
    return kExitUsage;
  }
  const std::string& first = args[0];
  if (first == "--version" || first == "-V") return PrintVersion();
  if (first == "--bash-completion" && args.size() == 1) {
    std::fputs(BashCompletion(kVerbs).c_str(), stdout);
    return std::fflush(stdout) == 0 ? kExitOk : kExitIo;
  }
  if (first == "help" || first == "--help" || first == "-h") {
    if (args.size() > 1) {
      const Verb* v = Find(args[1]);
      if (v == nullptr) return UnknownVerb(args[1]);
      Cli cli(std::string(v->name));
      return v->run(cli, {"--help"});
    }
    PrintHelp();
    return kExitOk;
  }
  const Verb* verb = Find(first);
  if (verb == nullptr) return UnknownVerb(first);
  Cli cli(std::string(verb->name));
  return verb->run(cli, std::vector<std::string>(args.begin() + 1, args.end()));
}

}  // namespace xj::cli

int main(int argc, char** argv) { return xj::cli::Main(argc, argv); }
