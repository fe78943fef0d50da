// xjpack keygen: make a signing key or an office identity.
#include <cstdio>

#include "base/os.h"
#include "libpack/key_files.h"
#include "verbs/verbs.h"

namespace xj::cli {

int RunKeygen(Cli& cli, const std::vector<std::string>& args) {
  bool signing = false, office = false;
  pack::KeygenRequest req;
  req.now = os::NowUnix();  // the library reads no clock
  po::options_description desc("options");
  desc.add_options()(
      "signing", po::bool_switch(&signing),
      "make a person's signing key (minisign NAME.key and NAME.pub)")(
      "office", po::bool_switch(&office),
      "make an office's encryption identity (age, passphrase-protected)")(
      "output,o", po::value(&req.secret_path)->value_name("FILE"),
      "the secret key file to create (required)")(
      "public", po::value(&req.public_path)->value_name("FILE"),
      "the public key file (default: FILE with .key replaced by .pub)")(
      "work-factor", po::value(&req.work_factor)->value_name("N"),
      "scrypt cost, log2 of N (default 18: 256 MiB; 10..22)");
  AddCommonOptions(desc, cli, /*force=*/true, /*passphrase=*/true);
  po::positional_options_description pos;
  po::variables_map vm;
  int code;
  if (!ParseArgs(
          cli, args, desc, pos,
          "xjpack keygen (--signing | --office) -o FILE [options]",
          "Makes a new key protected by a passphrase and prints its public "
          "key, key id and fingerprint.",
          &vm, &code)) {
    return code;
  }
  if (signing == office) {
    return cli.Usage("say which key to make: --signing or --office");
  }
  if (req.secret_path.empty()) return cli.Usage("-o FILE is required");
  req.force = cli.flags.force;

  cli.Detail(fmt::format(
      "scrypt work factor {}: N = 2^{}, r = 8, p = 1, {} MiB", req.work_factor,
      req.work_factor, (std::uint64_t{1024} << req.work_factor) >> 20));
  Result<pack::GeneratedKey> key =
      signing ? pack::GenerateSigningKeyFiles(req, cli.passphrases())
              : pack::GenerateOfficeIdentityFiles(req, cli.passphrases());
  if (!key.ok()) return cli.Fail(key.status());
  for (const std::string& old : key->replaced) {
    cli.Info(fmt::format("kept the replaced file as {}", old));
  }
  if (cli.flags.json) {
    std::printf(
        "{\"ok\":true,\"verb\":\"keygen\",\"type\":%s,\"public_key\":%s,"
        "\"key_id\":%s,\"fingerprint\":%s,\"secret_file\":%s,\"public_file\":%"
        "s}\n",
        JsonString(signing ? "signing" : "office").c_str(),
        JsonString(key->public_key).c_str(), JsonString(key->key_id).c_str(),
        JsonString(key->fingerprint).c_str(),
        JsonString(key->secret_path).c_str(),
        JsonString(key->public_path).c_str());
    return kExitOk;
  }
  std::printf("public key:  %s\nkey id:      %s\nfingerprint: %s\n",
              key->public_key.c_str(), key->key_id.c_str(),
              key->fingerprint.c_str());
  cli.Info(fmt::format("wrote {} (secret, mode 0600) and {}", key->secret_path,
                       key->public_path));
  cli.Info(
      "keep the secret key file and its passphrase apart, and never on the "
      "transport stick");
  return kExitOk;
}

}  // namespace xj::cli
