// xjpack encrypt / decrypt: one file at a time with age.
#include <cstdio>

#include "base/os.h"
#include "formats/age_keys.h"
#include "libpack/file_crypto.h"
#include "libpack/key_files.h"
#include "verbs/verbs.h"

namespace xj::cli {

int RunEncrypt(Cli& cli, const std::vector<std::string>& args) {
  pack::EncryptFileRequest req;
  req.now = os::NowUnix();  // the library reads no clock
  std::vector<std::string> recipient_args, recipient_files;
  bool use_passphrase = false;
  req.input = "-";
  req.output = "-";
  po::options_description desc("options");
  desc.add_options()("input", po::value(&req.input)->value_name("FILE"),
                     "the file to encrypt")(
      "recipient,r", po::value(&recipient_args)->value_name("age1..."),
      "encrypt to this recipient (repeatable)")(
      "recipients-file,R", po::value(&recipient_files)->value_name("FILE"),
      "encrypt to every recipient listed in FILE (repeatable)")(
      "passphrase,p", po::bool_switch(&use_passphrase),
      "encrypt to a passphrase instead (asked on the terminal, or "
      "--passphrase-file)")("armor,a", po::bool_switch(&req.armor),
                            "write ASCII armor (text)")(
      "output,o", po::value(&req.output)->value_name("FILE"),
      "write here (default: standard output)")(
      "work-factor", po::value(&req.work_factor)->value_name("N"),
      "scrypt cost for --passphrase, log2 of N (default 18; 10..22)");
  AddCommonOptions(desc, cli, /*force=*/true, /*passphrase=*/true);
  po::positional_options_description pos;
  pos.add("input", 1);
  po::variables_map vm;
  int code;
  if (!ParseArgs(
          cli, args, desc, pos,
          "xjpack encrypt [FILE] (-r age1... | -R FILE | -p) [-a] [-o OUT]",
          "Encrypts FILE (or standard input) with age, for emergencies and "
          "tests; bundles are made by 'xjpack pack'.",
          &vm, &code)) {
    return code;
  }
  if (cli.flags.json && req.output == "-") {
    return cli.Usage("--json needs -o FILE: standard output carries the data");
  }
  bool has_keys = !recipient_args.empty() || !recipient_files.empty();
  if (use_passphrase == has_keys) {
    return cli.Usage("give recipients (-r, -R) or --passphrase, and not both");
  }
  req.force = cli.flags.force;
  for (const std::string& r : recipient_args) {
    Result<formats::age::X25519Key> key = formats::age::ParseRecipient(r);
    if (!key.ok()) {
      return cli.Fail(key.status().WithContext(
          fmt::format("-r {}", EscapeForDisplay(r.substr(0, 70)))));
    }
    req.recipients.push_back(*key);
  }
  for (const std::string& f : recipient_files) {
    Result<std::vector<keys::X25519PublicKey>> keys = pack::LoadRecipients(f);
    if (!keys.ok()) return cli.Fail(keys.status());
    req.recipients.insert(req.recipients.end(), keys->begin(), keys->end());
  }
  SecretBuffer passphrase;
  if (use_passphrase) {
    Result<SecretBuffer> p =
        cli.passphrases().Get("the encrypted file", /*confirm=*/true);
    if (!p.ok()) return cli.Fail(p.status());
    passphrase = std::move(p).value();
    Status s = pack::CheckNewPassphrase(passphrase);
    if (!s.ok()) return cli.Fail(s);
    req.passphrase = &passphrase;
  }
  std::string kept;
  req.kept_aside = &kept;
  if (use_passphrase) {
    cli.Detail(fmt::format("encrypting to a passphrase, scrypt work factor {}",
                           req.work_factor));
  } else {
    cli.Detail(
        fmt::format("encrypting to {} recipient(s)", req.recipients.size()));
  }
  Status s = pack::EncryptFile(req);
  if (!s.ok()) return cli.Fail(s);
  if (!kept.empty())
    cli.Info(fmt::format("kept the secret key that was there as {}", kept));
  if (cli.flags.json) {
    std::printf("{\"ok\":true,\"verb\":\"encrypt\",\"output\":%s}\n",
                JsonString(req.output).c_str());
  }
  return kExitOk;
}

int RunDecrypt(Cli& cli, const std::vector<std::string>& args) {
  pack::DecryptFileRequest req;
  req.now = os::NowUnix();  // the library reads no clock
  std::vector<std::string> identity_files;
  req.input = "-";
  req.output = "-";
  po::options_description desc("options");
  desc.add_options()("input", po::value(&req.input)->value_name("FILE"),
                     "the file to decrypt")(
      "identity,i", po::value(&identity_files)->value_name("FILE"),
      "an identity file: an xjpack office identity or an age-keygen file "
      "(repeatable); without -i the file must be passphrase-encrypted")(
      "output,o", po::value(&req.output)->value_name("FILE"),
      "write here (default: standard output)");
  AddCommonOptions(desc, cli, /*force=*/true, /*passphrase=*/true);
  po::positional_options_description pos;
  pos.add("input", 1);
  po::variables_map vm;
  int code;
  if (!ParseArgs(
          cli, args, desc, pos, "xjpack decrypt [FILE] [-i ID]... [-o OUT]",
          "Decrypts an age file. Nothing is written until the whole file "
          "has authenticated.",
          &vm, &code)) {
    return code;
  }
  if (cli.flags.json && req.output == "-") {
    return cli.Usage("--json needs -o FILE: standard output carries the data");
  }
  req.force = cli.flags.force;
  std::string kept;
  req.kept_aside = &kept;
  std::vector<keys::X25519Identity> identities;
  for (const std::string& f : identity_files) {
    Result<std::vector<keys::X25519Identity>> ids =
        pack::LoadIdentities(f, cli.passphrases());
    if (!ids.ok()) return cli.Fail(ids.status());
    for (auto& id : *ids) identities.push_back(std::move(id));
  }
  pack::age::Decryptor dec;
  for (const auto& id : identities) dec.AddIdentity(&id);
  if (identity_files.empty()) {
    dec.SetPassphraseCallback([&]() {
      return cli.passphrases().Get(
          fmt::format("{}", req.input == "-" ? "standard input" : req.input),
          false);
    });
  }
  cli.Detail(fmt::format("trying {} identit{}", identities.size(),
                         identities.size() == 1 ? "y" : "ies"));
  Status s = pack::DecryptFile(req, dec);
  if (!s.ok()) return cli.Fail(s);
  cli.Detail(fmt::format("{} bytes authenticated and written to {}",
                         dec.released(),
                         req.output == "-" ? "standard output" : req.output));
  if (!kept.empty())
    cli.Info(fmt::format("kept the secret key that was there as {}", kept));
  if (cli.flags.json) {
    std::printf(
        "{\"ok\":true,\"verb\":\"decrypt\",\"output\":%s,\"bytes\":%llu}\n",
        JsonString(req.output).c_str(),
        static_cast<unsigned long long>(dec.released()));
  }
  return kExitOk;
}

}  // namespace xj::cli
