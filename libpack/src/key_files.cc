#include "libpack/key_files.h"

#include <cstdio>

#include "base/os.h"
#include "formats/age_armor.h"
#include "formats/base64.h"
#include "libpack/age.h"

namespace xj::pack {
namespace {

constexpr std::size_t kMaxKeyFile = 1 << 16;

Status AlreadyExists(const std::string& path) {
  return Error(Code::kAlreadyExists, "{} already exists", path)
      .WithRemedy(Remedy::kReplaceKey);
}

// Files written for one new key: all land, or none does and whatever was
// moved aside comes back.
class KeyFileSet {
 public:
  KeyFileSet(bool force, std::int64_t now) : force_(force), now_(now) {}

  Status Add(const std::string& path, std::string_view content, unsigned mode) {
    if (!force_ && os::Exists(path)) return AlreadyExists(path);
    // With force the old file is moved aside just before the commit, so the
    // commit itself never replaces anything.
    XJ_ASSIGN_OR_RETURN(
        os::AtomicFile file,
        os::AtomicFile::Create(
            path, mode, force_ ? os::Replace::kAllowed : os::Replace::kNever));
    XJ_RETURN_IF_ERROR(file.sink().Write(AsBytes(content)));
    files_.push_back(std::move(file));
    return Status::Ok();
  }

  /// Moves existing files aside (with force), then commits every file.
  Result<std::vector<std::string>> Commit() {
    std::string stamp = os::FormatUtcCompact(now_);
    std::vector<std::pair<std::string, std::string>> moved;
    auto undo = [&](std::size_t committed) {
      for (std::size_t i = 0; i < committed; ++i) {
        std::remove(files_[i].path().c_str());
      }
      for (auto& [from, to] : moved) (void)os::RenameNoReplace(to, from);
    };
    for (const os::AtomicFile& f : files_) {
      if (force_ && os::Exists(f.path())) {
        std::string aside = f.path() + ".replaced-" + stamp;
        Status s = os::RenameNoReplace(f.path(), aside);
        if (!s.ok()) {
          undo(0);
          return s.WithContext("moving the old key aside");
        }
        moved.emplace_back(f.path(), aside);
      }
    }
    for (std::size_t i = 0; i < files_.size(); ++i) {
      Status s = files_[i].Commit();
      if (!s.ok()) {
        undo(i);
        return s;
      }
    }
    std::vector<std::string> replaced;
    for (auto& [from, to] : moved) replaced.push_back(to);
    return replaced;
  }

 private:
  bool force_;
  std::int64_t now_;
  std::vector<os::AtomicFile> files_;
};

Result<SecretBuffer> NewPassphrase(PassphraseSource& source,
                                   std::string_view purpose) {
  XJ_ASSIGN_OR_RETURN(SecretBuffer pass, source.Get(purpose, /*confirm=*/true));
  XJ_RETURN_IF_ERROR(CheckNewPassphrase(pass));
  return pass;
}

Status CheckWorkFactor(int wf) {
  if (wf < keys::kMinWorkFactor || wf > keys::kMaxWorkFactor) {
    return Error(Code::kInvalidArgument, "work factor {} is outside {}..{}", wf,
                 keys::kMinWorkFactor, keys::kMaxWorkFactor);
  }
  return Status::Ok();
}

// The paths a keygen request will write, refused early (before any
// passphrase is asked) when they are in the way.
Result<GeneratedKey> PlanKeyFiles(const KeygenRequest& request) {
  if (request.now <= 0) return Status(Code::kInternal, "no time was given");
  XJ_RETURN_IF_ERROR(CheckWorkFactor(request.work_factor));
  GeneratedKey out;
  out.secret_path = request.secret_path;
  out.public_path = request.public_path.empty()
                        ? DefaultPublicPath(request.secret_path)
                        : request.public_path;
  if (out.public_path == out.secret_path) {
    return Status(Code::kInvalidArgument,
                  "the public and secret key files must differ");
  }
  for (const std::string& p : {out.secret_path, out.public_path}) {
    if (!request.force && os::Exists(p)) return AlreadyExists(p);
  }
  return out;
}

}  // namespace

std::string DefaultPublicPath(const std::string& secret_path) {
  constexpr std::string_view kSuffix = ".key";
  if (secret_path.size() > kSuffix.size() &&
      secret_path.compare(secret_path.size() - kSuffix.size(), kSuffix.size(),
                          kSuffix) == 0) {
    return secret_path.substr(0, secret_path.size() - kSuffix.size()) + ".pub";
  }
  return secret_path + ".pub";
}

Result<GeneratedKey> GenerateSigningKeyFiles(const KeygenRequest& request,
                                             PassphraseSource& passphrases) {
  XJ_ASSIGN_OR_RETURN(GeneratedKey out, PlanKeyFiles(request));
  KeyFileSet files(request.force, request.now);
  XJ_ASSIGN_OR_RETURN(SecretBuffer pass,
                      NewPassphrase(passphrases, "the new signing key"));
  XJ_ASSIGN_OR_RETURN(keys::SigningKey key, keys::SigningKey::Generate());
  XJ_ASSIGN_OR_RETURN(SecretBuffer record,
                      key.Seal(pass.span(), keys::KdfLimits::ForWorkFactor(
                                                request.work_factor)));
  // Open what was sealed, as a reader would, before it is written.
  XJ_ASSIGN_OR_RETURN(keys::SigningKey reopened,
                      keys::SigningKey::Open(record.span(), pass.span()));
  if (reopened.public_key() != key.public_key()) {
    return Status(Code::kInternal, "sealed key does not reopen to itself");
  }
  formats::minisign::PublicKey pk{key.key_id(), key.public_key()};
  keys::KeyNames names =
      keys::NamesForSigningKey(key.key_id(), key.public_key());
  XJ_RETURN_IF_ERROR(files.Add(
      out.secret_path,
      formats::minisign::EncodeSecretKeyFile(
          record.span(), fmt::format("xjpack signing key {}", names.key_id)),
      0600));
  XJ_RETURN_IF_ERROR(files.Add(
      out.public_path, formats::minisign::EncodePublicKeyFile(pk), 0644));
  XJ_ASSIGN_OR_RETURN(out.replaced, files.Commit());
  out.public_key = formats::minisign::EncodePublicKeyString(pk);
  out.key_id = names.key_id;
  out.fingerprint = names.fingerprint;
  return out;
}

Result<GeneratedKey> GenerateOfficeIdentityFiles(
    const KeygenRequest& request, PassphraseSource& passphrases) {
  XJ_ASSIGN_OR_RETURN(GeneratedKey out, PlanKeyFiles(request));
  XJ_ASSIGN_OR_RETURN(SecretBuffer pass,
                      NewPassphrase(passphrases, "the new office identity"));
  XJ_ASSIGN_OR_RETURN(keys::X25519Identity id,
                      keys::X25519Identity::Generate());
  std::string recipient = formats::age::EncodeRecipient(id.public_key());
  keys::KeyNames names = keys::NamesForIdentity(id.public_key());

  XJ_ASSIGN_OR_RETURN(SecretBuffer id_string,
                      formats::age::EncodeIdentity(id.secret().span()));
  std::string head =
      fmt::format("# xjpack office identity, created {}\n# public key: {}\n",
                  os::FormatUtc(request.now), recipient);
  XJ_ASSIGN_OR_RETURN(
      SecretBuffer text,
      SecretBuffer::Allocate(head.size() + id_string.size() + 1));
  {
    SecretSink sink(&text);
    XJ_RETURN_IF_ERROR(sink.Write(AsBytes(head)));
    XJ_RETURN_IF_ERROR(sink.Write(id_string.span()));
    XJ_RETURN_IF_ERROR(sink.Write(AsBytes("\n")));
  }
  Bytes sealed;
  MemorySink sealed_sink(&sealed);
  MemorySource plain(text.span());
  age::EncryptOptions opt;
  opt.armor = true;
  XJ_RETURN_IF_ERROR(age::EncryptWithPassphrase(plain, sealed_sink, pass.span(),
                                                request.work_factor, opt));
  KeyFileSet files(request.force, request.now);
  XJ_RETURN_IF_ERROR(files.Add(out.secret_path, AsChars(sealed), 0600));
  XJ_RETURN_IF_ERROR(
      files.Add(out.public_path,
                fmt::format("# xjpack office recipient, key id {}\n{}\n",
                            names.key_id, recipient),
                0644));
  XJ_ASSIGN_OR_RETURN(out.replaced, files.Commit());
  out.public_key = recipient;
  out.key_id = names.key_id;
  out.fingerprint = names.fingerprint;
  return out;
}

Result<keys::SigningKey> LoadSigningKey(const std::string& path,
                                        PassphraseSource& passphrases) {
  Result<SecretBuffer> text = os::ReadSecretFile(path, kMaxKeyFile);
  if (!text.ok()) return text.status();
  Result<SecretBuffer> record =
      formats::minisign::ParseSecretKeyFile(text->view());
  if (!record.ok()) {
    return Status(Code::kBadKey, record.status().message()).WithContext(path);
  }
  SecretBuffer pass;
  if (keys::SigningKey::IsProtected(record->span())) {
    Result<SecretBuffer> p =
        passphrases.Get(fmt::format("the signing key {}", path), false);
    if (!p.ok()) return p.status().WithContext(path);
    pass = std::move(p).value();
  }
  Result<keys::SigningKey> key =
      keys::SigningKey::Open(record->span(), pass.span());
  if (!key.ok()) return key.status().WithContext(path);
  return key;
}

Result<std::vector<keys::X25519Identity>> LoadIdentities(
    const std::string& path, PassphraseSource& passphrases) {
  XJ_ASSIGN_OR_RETURN(SecretBuffer text, os::ReadSecretFile(path, kMaxKeyFile));
  SecretBuffer plain_text;
  std::string_view view = text.view();
  if (view.substr(0, formats::age::kVersionLine.size()) ==
          formats::age::kVersionLine ||
      formats::age::LooksArmored(text.span())) {
    // A passphrase-protected identity (xjpack keygen --office, or age -p).
    XJ_ASSIGN_OR_RETURN(plain_text, SecretBuffer::Allocate(kMaxKeyFile));
    SecretSink sink(&plain_text);
    MemorySource source(text.span());
    age::Decryptor dec;
    dec.SetPassphraseCallback([&]() {
      return passphrases.Get(fmt::format("the identity {}", path), false);
    });
    Status s = dec.Decrypt(source, sink);
    if (!s.ok()) {
      if (s.code() == Code::kNoIdentity) {
        return Error(Code::kBadKey,
                     "{}: an age-encrypted file, but not passphrase-protected: "
                     "not an identity file",
                     path);
      }
      if (s.code() != Code::kWrongPassphrase &&
          s.code() != Code::kOutOfMemory) {
        return Status(Code::kBadKey, s.message()).WithContext(path);
      }
      return s.WithContext(path);
    }
    view = plain_text.view();
  }
  Result<std::vector<SecretBuffer>> secrets =
      formats::age::ParseIdentityFile(view);
  if (!secrets.ok()) return secrets.status().WithContext(path);
  std::vector<keys::X25519Identity> ids;
  for (SecretBuffer& s : *secrets) {
    XJ_ASSIGN_OR_RETURN(keys::X25519Identity id,
                        keys::X25519Identity::FromSecret(std::move(s)));
    ids.push_back(std::move(id));
  }
  return ids;
}

Result<formats::minisign::PublicKey> LoadPublicKey(const std::string& path) {
  XJ_ASSIGN_OR_RETURN(Bytes text, os::ReadFile(path, kMaxKeyFile));
  Result<formats::minisign::PublicKey> key =
      formats::minisign::ParsePublicKeyFile(AsChars(text));
  if (!key.ok()) {
    Code code = key.status().code() == Code::kUnsupported ? Code::kUnsupported
                                                          : Code::kBadKey;
    return Status(code, key.status().message()).WithContext(path);
  }
  return key;
}

Result<std::vector<keys::X25519PublicKey>> LoadRecipients(
    const std::string& path) {
  XJ_ASSIGN_OR_RETURN(Bytes text, os::ReadFile(path, kMaxKeyFile));
  Result<std::vector<keys::X25519PublicKey>> r =
      formats::age::ParseRecipientsFile(AsChars(text));
  if (!r.ok()) return r.status().WithContext(path);
  return r;
}

bool LooksLikeSecretKey(const std::string& path) {
  Result<os::File> file = os::OpenForRead(path);
  if (!file.ok()) return false;
  // As much as the loaders read: an identity after long comments is still
  // an identity, and --force must not overwrite it.
  Result<SecretBuffer> head = SecretBuffer::Allocate(kMaxKeyFile);
  if (!head.ok()) return false;
  os::FdSource source(file->fd());
  Result<std::size_t> n = ReadFull(source, head->mutable_span());
  if (!n.ok()) return false;
  head->Resize(*n);
  std::string_view text = head->view();
  if (text.find("AGE-SECRET-KEY-") != std::string_view::npos) return true;
  // A minisign secret key: its second line holds the 158-byte record.
  std::size_t nl = text.find('\n');
  if (nl != std::string_view::npos) {
    std::string_view line2 = text.substr(nl + 1);
    line2 = line2.substr(0, line2.find('\n'));
    Result<SecretBuffer> record =
        SecretBuffer::Allocate(formats::minisign::kSecretKeySize + 3);
    if (record.ok()) {
      Result<std::size_t> size = formats::DecodeBase64Into(
          line2, formats::Base64::kPadded, record->mutable_span());
      if (size.ok() && *size == formats::minisign::kSecretKeySize &&
          record->data()[0] == 'E' && record->data()[1] == 'd') {
        return true;
      }
    }
  }
  // A passphrase-protected age file: its only stanza is scrypt.
  Bytes header;
  if (formats::age::LooksArmored(head->span())) {
    MemorySource src(head->span());
    BufferedReader reader(&src);
    formats::age::ArmorReader armor(&reader);
    header.resize(64);
    Result<std::size_t> got = ReadFull(armor, header);
    header.resize(got.ok() ? *got : 0);
  } else {
    header.assign(head->data(),
                  head->data() + std::min<std::size_t>(64, head->size()));
  }
  std::string_view h = AsChars(header);
  return h.substr(0, formats::age::kVersionLine.size()) ==
             formats::age::kVersionLine &&
         h.substr(formats::age::kVersionLine.size(), 10) == "-> scrypt ";
}

Result<std::string> SetAsideIfSecretKey(const std::string& path,
                                        std::int64_t now) {
  if (!LooksLikeSecretKey(path)) return std::string();
  if (now <= 0) return Status(Code::kInternal, "no time was given");
  std::string aside = path + ".replaced-" + os::FormatUtcCompact(now);
  XJ_RETURN_IF_ERROR(
      os::RenameNoReplace(path, aside)
          .WithContext("keeping the secret key it would replace"));
  return aside;
}

}  // namespace xj::pack
