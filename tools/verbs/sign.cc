// xjpack sign / sigcheck: minisign signatures on single files.
#include <cstdio>

#include "base/os.h"
#include "formats/minisign.h"
#include "libpack/file_crypto.h"
#include "libpack/key_files.h"
#include "verbs/verbs.h"

namespace xj::cli {

int RunSign(Cli& cli, const std::vector<std::string>& args) {
  pack::SignFileRequest req;
  req.now = os::NowUnix();  // the library reads no clock
  std::string key_file;
  po::options_description desc("options");
  desc.add_options()("input", po::value(&req.input)->value_name("FILE"),
                     "the file to sign")(
      "key,k", po::value(&key_file)->value_name("FILE"),
      "the signing secret key (required)")(
      "trusted-comment,t", po::value(&req.trusted_comment)->value_name("TEXT"),
      "the signed comment (default: timestamp and file name)")(
      "signature,x", po::value(&req.signature_path)->value_name("FILE"),
      "write the signature here (default: FILE.minisig)");
  AddCommonOptions(desc, cli, /*force=*/true, /*passphrase=*/true);
  po::positional_options_description pos;
  pos.add("input", 1);
  po::variables_map vm;
  int code;
  if (!ParseArgs(cli, args, desc, pos,
                 "xjpack sign FILE -k KEY [-t TEXT] [-x SIG]",
                 "Signs FILE with a minisign (prehashed) signature that stock "
                 "'minisign -V' accepts.",
                 &vm, &code)) {
    return code;
  }
  if (req.input.empty()) return cli.Usage("the file to sign is required");
  if (key_file.empty()) return cli.Usage("-k KEY is required");
  req.force = cli.flags.force;
  std::string kept;
  req.kept_aside = &kept;
  Result<keys::SigningKey> key =
      pack::LoadSigningKey(key_file, cli.passphrases());
  if (!key.ok()) return cli.Fail(key.status());
  Result<pack::minisign::Signature> sig = pack::SignFile(req, *key);
  if (!sig.ok()) return cli.Fail(sig.status());
  if (!kept.empty())
    cli.Info(fmt::format("kept the secret key that was there as {}", kept));
  std::string sig_path = req.signature_path.empty()
                             ? pack::DefaultSignaturePath(req.input)
                             : req.signature_path;
  std::string key_id = formats::minisign::KeyIdToString(sig->key_id);
  if (cli.flags.json) {
    std::printf(
        "{\"ok\":true,\"verb\":\"sign\",\"signature\":%s,\"key_id\":%s,"
        "\"trusted_comment\":%s}\n",
        JsonString(sig_path).c_str(), JsonString(key_id).c_str(),
        JsonString(sig->trusted_comment).c_str());
    return kExitOk;
  }
  cli.Info(fmt::format("wrote {} (key {}), checked after signing", sig_path,
                       key_id));
  return kExitOk;
}

int RunSigcheck(Cli& cli, const std::vector<std::string>& args) {
  pack::VerifyFileRequest req;
  std::string pub_file, pub_string;
  bool only_prehashed = false;
  po::options_description desc("options");
  desc.add_options()("input", po::value(&req.input)->value_name("FILE"),
                     "the signed file")(
      "public-key,p", po::value(&pub_file)->value_name("FILE"),
      "the signer's minisign public key file")(
      "public-key-string,P", po::value(&pub_string)->value_name("RW..."),
      "the signer's public key, inline")(
      "signature,x", po::value(&req.signature_path)->value_name("FILE"),
      "the signature (default: FILE.minisig)")(
      "prehashed-only,H", po::bool_switch(&only_prehashed),
      "refuse legacy (non-prehashed \"Ed\") signatures");
  AddCommonOptions(desc, cli, /*force=*/false, /*passphrase=*/false);
  po::positional_options_description pos;
  pos.add("input", 1);
  po::variables_map vm;
  int code;
  if (!ParseArgs(cli, args, desc, pos,
                 "xjpack sigcheck FILE (-p PUB | -P RW...) [-x SIG]",
                 "Checks a minisign signature on FILE and prints its trusted "
                 "comment.",
                 &vm, &code)) {
    return code;
  }
  if (req.input.empty()) return cli.Usage("the signed file is required");
  if (pub_file.empty() == pub_string.empty()) {
    return cli.Usage("give the public key with -p FILE or -P RW..., once");
  }
  req.allow_legacy = !only_prehashed;
  Result<formats::minisign::PublicKey> key =
      pub_file.empty() ? formats::minisign::ParsePublicKeyString(pub_string)
                       : pack::LoadPublicKey(pub_file);
  if (!key.ok()) return cli.Fail(key.status());
  Result<pack::minisign::Signature> sig = pack::VerifyFileSignature(req, *key);
  if (!sig.ok()) return cli.Fail(sig.status());
  std::string key_id = formats::minisign::KeyIdToString(sig->key_id);
  bool legacy =
      sig->algorithm == formats::minisign::SignatureAlgorithm::kLegacy;
  if (cli.flags.json) {
    std::printf(
        "{\"ok\":true,\"verb\":\"sigcheck\",\"key_id\":%s,"
        "\"algorithm\":%s,\"trusted_comment\":%s}\n",
        JsonString(key_id).c_str(), JsonString(legacy ? "Ed" : "ED").c_str(),
        JsonString(sig->trusted_comment).c_str());
    return kExitOk;
  }
  if (legacy) cli.Warn("legacy (non-prehashed) signature");
  if (!cli.flags.quiet) {
    std::printf("signature verified: key %s\ntrusted comment: %s\n",
                key_id.c_str(), EscapeForDisplay(sig->trusted_comment).c_str());
  }
  return kExitOk;
}

}  // namespace xj::cli
