// Feeds bytes, as a file on disk, to libpack's key-file loaders
// (libpack/key_files.h): LoadPublicKey, LoadRecipients, LoadIdentities
// (plain identity files, and age-encrypted ones up to the passphrase,
// which is refused), LoadSigningKey (unencrypted keys open; encrypted ones
// stop at the passphrase) and LooksLikeSecretKey. Asserts that the loaders
// agree with the format parsers they wrap, and that whatever holds an
// identity or a signing key is recognised as a secret key (so --force
// never destroys it).
#include <cstdint>

#include "formats/age_keys.h"
#include "formats/minisign.h"
#include "fuzz_util.h"
#include "libpack/key_files.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  using namespace xj;
  std::string_view text = fuzz::AsText(data, size);
  fuzz::MemoryFile file(text);
  pack::NoPassphraseSource no_passphrase;

  Result<formats::minisign::PublicKey> pub = pack::LoadPublicKey(file.path());
  FUZZ_CHECK(pub.ok() == formats::minisign::ParsePublicKeyFile(text).ok());

  Result<std::vector<keys::X25519PublicKey>> recipients =
      pack::LoadRecipients(file.path());
  FUZZ_CHECK(recipients.ok() == formats::age::ParseRecipientsFile(text).ok());

  bool looks_secret = pack::LooksLikeSecretKey(file.path());
  Result<std::vector<keys::X25519Identity>> ids =
      pack::LoadIdentities(file.path(), no_passphrase);
  if (ids.ok()) {
    FUZZ_CHECK(!ids->empty());
    FUZZ_CHECK(looks_secret);
  }
  Result<keys::SigningKey> key =
      pack::LoadSigningKey(file.path(), no_passphrase);
  if (key.ok()) FUZZ_CHECK(looks_secret);
  Result<SecretBuffer> record = formats::minisign::ParseSecretKeyFile(text);
  if (record.ok() && record->data()[0] == 'E' && record->data()[1] == 'd')
    FUZZ_CHECK(looks_secret);
  return 0;
}
