#include "libpack/file_crypto.h"

#include "base/os.h"
#include "libpack/key_files.h"

namespace xj::pack {
namespace {

constexpr std::size_t kMaxSignatureFile = 16 * 1024;
constexpr std::string_view kTrustPrefix = "xjtrust/";

// An input: standard input or an opened file.
struct Input {
  os::File file;
  int fd = -1;
};

Result<Input> OpenInput(const std::string& path) {
  Input in;
  if (path == kStdio) {
    in.fd = os::kStdin;
    return in;
  }
  XJ_ASSIGN_OR_RETURN(in.file, os::OpenForRead(path));
  in.fd = in.file.fd();
  return in;
}

Status CheckDistinct(const std::string& input, const std::string& output) {
  if (input != kStdio && output != kStdio && os::SameFile(input, output)) {
    return Error(Code::kInvalidArgument,
                 "the output {} is the input file; it would be destroyed",
                 output);
  }
  return Status::Ok();
}

// Commits `out`; with force, a secret key in the way is kept aside first.
Status CommitOutput(os::AtomicFile& out, bool force, std::int64_t now,
                    std::string* kept_aside) {
  if (force) {
    XJ_ASSIGN_OR_RETURN(std::string aside,
                        SetAsideIfSecretKey(out.path(), now));
    if (kept_aside != nullptr) *kept_aside = aside;
  }
  return out.Commit();
}

std::string Name(const std::string& path) {
  return path == kStdio ? "standard input" : path;
}

}  // namespace

Status EncryptFile(const EncryptFileRequest& req) {
  XJ_RETURN_IF_ERROR(CheckDistinct(req.input, req.output));
  if (req.output == kStdio && !req.armor && os::IsTerminal(os::kStdout)) {
    return Status(Code::kInvalidArgument,
                  "refusing to write binary ciphertext to a terminal")
        .WithRemedy(Remedy::kArmorOrOutput);
  }
  XJ_ASSIGN_OR_RETURN(Input in, OpenInput(req.input));
  os::FdSource source(in.fd);
  age::EncryptOptions opt;
  opt.armor = req.armor;
  auto run = [&](Sink& sink) {
    if (req.passphrase != nullptr) {
      return age::EncryptWithPassphrase(source, sink, req.passphrase->span(),
                                        req.work_factor, opt);
    }
    return age::EncryptToRecipients(source, sink, req.recipients, opt);
  };
  if (req.output == kStdio) {
    os::FdSink sink(os::kStdout);
    return run(sink).WithContext(fmt::format("encrypting {}", Name(req.input)));
  }
  XJ_ASSIGN_OR_RETURN(os::AtomicFile out,
                      os::AtomicFile::Create(req.output, 0644,
                                             req.force ? os::Replace::kAllowed
                                                       : os::Replace::kNever));
  XJ_RETURN_IF_ERROR(
      run(out.sink())
          .WithContext(fmt::format("encrypting {}", Name(req.input))));
  return CommitOutput(out, req.force, req.now, req.kept_aside);
}

Status DecryptFile(const DecryptFileRequest& req, age::Decryptor& decryptor) {
  XJ_RETURN_IF_ERROR(CheckDistinct(req.input, req.output));
  XJ_ASSIGN_OR_RETURN(Input in, OpenInput(req.input));
  os::FdSource source(in.fd);
  std::string context = Name(req.input);
  if (req.output == kStdio) {
    // Nothing reaches standard output before the last chunk authenticates.
    XJ_ASSIGN_OR_RETURN(os::File spool, os::CreateAnonymousTempFile());
    os::FdSink spool_sink(spool.fd());
    XJ_RETURN_IF_ERROR(
        decryptor.Decrypt(source, spool_sink).WithContext(context));
    os::FdSink out(os::kStdout);
    return os::CopyFromStart(spool, out);
  }
  XJ_ASSIGN_OR_RETURN(os::AtomicFile out,
                      os::AtomicFile::Create(req.output, 0600,
                                             req.force ? os::Replace::kAllowed
                                                       : os::Replace::kNever));
  XJ_RETURN_IF_ERROR(
      decryptor.Decrypt(source, out.sink()).WithContext(context));
  return CommitOutput(out, req.force, req.now, req.kept_aside);
}

std::string DefaultSignaturePath(const std::string& path) {
  return path + ".minisig";
}

Result<minisign::Signature> SignFile(const SignFileRequest& req,
                                     const keys::SigningKey& key) {
  if (req.input == kStdio) {
    return Status(Code::kInvalidArgument,
                  "sign needs a file, not standard input");
  }
  if (req.trusted_comment.substr(0, kTrustPrefix.size()) == kTrustPrefix) {
    return Status(
        Code::kInvalidArgument,
        "trusted comments beginning \"xjtrust/\" are reserved for "
        "trust statements, which only the verbs that check them sign");
  }
  std::string sig_path = req.signature_path.empty()
                             ? DefaultSignaturePath(req.input)
                             : req.signature_path;
  XJ_RETURN_IF_ERROR(CheckDistinct(req.input, sig_path));
  XJ_ASSIGN_OR_RETURN(os::File file, os::OpenForRead(req.input));
  os::FdSource source(file.fd());
  BufferedReader reader(&source);
  XJ_ASSIGN_OR_RETURN(ByteSpan head, reader.Peek(kTrustPrefix.size()));
  if (AsChars(head) == kTrustPrefix) {
    return Error(Code::kInvalidArgument,
                 "{} is an xjtrust statement; statements are signed only by "
                 "the verbs that issue them",
                 req.input);
  }
  std::string comment =
      req.trusted_comment.empty()
          ? minisign::DefaultTrustedComment(os::BaseName(req.input), req.now)
          : req.trusted_comment;
  XJ_ASSIGN_OR_RETURN(os::AtomicFile out,
                      os::AtomicFile::Create(sig_path, 0644,
                                             req.force ? os::Replace::kAllowed
                                                       : os::Replace::kNever));
  BufferedSource data(&reader);
  Result<minisign::Signature> sig = minisign::Sign(data, key, comment);
  if (!sig.ok())
    return sig.status().WithContext(fmt::format("signing {}", req.input));
  XJ_RETURN_IF_ERROR(
      out.sink().Write(AsBytes(formats::minisign::EncodeSignatureFile(*sig))));
  XJ_RETURN_IF_ERROR(CommitOutput(out, req.force, req.now, req.kept_aside));
  return sig;
}

Result<minisign::Signature> VerifyFileSignature(
    const VerifyFileRequest& req, const minisign::PublicKey& key) {
  std::string sig_path = req.signature_path.empty()
                             ? DefaultSignaturePath(req.input)
                             : req.signature_path;
  XJ_ASSIGN_OR_RETURN(Bytes sig_text,
                      os::ReadFile(sig_path, kMaxSignatureFile));
  Result<minisign::Signature> sig =
      formats::minisign::ParseSignatureFile(AsChars(sig_text));
  if (!sig.ok()) return sig.status().WithContext(sig_path);
  XJ_ASSIGN_OR_RETURN(Input in, OpenInput(req.input));
  os::FdSource source(in.fd);
  minisign::VerifyOptions opt;
  opt.allow_legacy = req.allow_legacy;
  XJ_RETURN_IF_ERROR(
      minisign::Verify(source, key, *sig, opt).WithContext(Name(req.input)));
  return sig;
}

}  // namespace xj::pack
