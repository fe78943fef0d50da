#include "libpack/passphrase.h"

#include <cstring>

#include "base/os.h"

namespace xj::pack {

Result<SecretBuffer> FilePassphraseSource::Get(std::string_view, bool) {
  if (!cached_) {
    Result<SecretBuffer> raw =
        path_ == "-" ? os::ReadSecretStdin(kMaxPassphrase + 2)
                     : os::ReadSecretFile(path_, kMaxPassphrase + 2);
    if (!raw.ok()) {
      return raw.status().WithContext("reading the passphrase file");
    }
    SecretBuffer text = std::move(raw).value();
    std::string_view view = text.view();
    std::size_t end = view.find('\n');
    if (end == std::string_view::npos) end = view.size();
    if (end > 0 && view[end - 1] == '\r') --end;
    if (end > kMaxPassphrase) {
      return Error(Code::kInvalidArgument,
                   "the passphrase in {} is longer than {} bytes",
                   path_ == "-" ? "standard input" : path_, kMaxPassphrase);
    }
    text.Resize(end);
    cached_ = std::move(text);
  }
  return SecretBuffer::CopyOf(cached_->span());
}

Result<SecretBuffer> NoPassphraseSource::Get(std::string_view purpose, bool) {
  return Error(Code::kWrongPassphrase,
               "{} needs a passphrase and none was given", purpose)
      .WithRemedy(Remedy::kPassphraseFile);
}

Status CheckNewPassphrase(const SecretBuffer& passphrase) {
  if (passphrase.empty()) {
    return Status(Code::kInvalidArgument,
                  "the passphrase is empty; a key without one would lie open "
                  "on disk");
  }
  if (passphrase.size() < kMinNewPassphrase) {
    return Error(Code::kInvalidArgument,
                 "the passphrase is shorter than {} characters",
                 kMinNewPassphrase);
  }
  return Status::Ok();
}

}  // namespace xj::pack
