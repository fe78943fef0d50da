#include "keys/crypto.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <cerrno>
#include <cstring>

namespace xj::keys {

void HmacSha256(ByteSpan key, ByteSpan data, std::uint8_t out[32]) {
  static const std::uint8_t kNoKey = 0;  // init() is nonnull even for keylen 0
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, key.empty() ? &kNoKey : key.data(),
                              key.size());
  crypto_auth_hmacsha256_update(&st, data.data(), data.size());
  crypto_auth_hmacsha256_final(&st, out);
  sodium_memzero(&st, sizeof st);
}

void HkdfSha256(ByteSpan ikm, ByteSpan salt, std::string_view info,
                std::uint8_t out[32]) {
  std::uint8_t prk[32];
  HmacSha256(salt, ikm, prk);  // extract: the salt is the HMAC key
  std::uint8_t block[256];
  Bytes big;
  ByteSpan expand_input;
  if (info.size() + 1 <= sizeof block) {
    std::memcpy(block, info.data(), info.size());
    block[info.size()] = 0x01;
    expand_input = ByteSpan(block, info.size() + 1);
  } else {
    big = ToBytes(info);
    big.push_back(0x01);
    expand_input = big;
  }
  HmacSha256(ByteSpan(prk, sizeof prk), expand_input, out);
  sodium_memzero(prk, sizeof prk);
}

namespace {

// OpenSSL 3 looks a digest named by EVP_sha256() and its kin up again on
// every use; fetched once, a statement's hash takes 40% less time.
const EVP_MD* Fetched(const char* name, const EVP_MD* fallback) {
  const EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  return md != nullptr ? md : fallback;
}
const EVP_MD* Sha256Md() {
  static const EVP_MD* md = Fetched("SHA256", EVP_sha256());
  return md;
}
const EVP_MD* Sha512Md() {
  static const EVP_MD* md = Fetched("SHA512", EVP_sha512());
  return md;
}

}  // namespace

void Sha256(ByteSpan data, std::uint8_t out[32]) {
  // OpenSSL's, which uses the CPU's SHA instructions where it has them
  // (a third of the time of libsodium's on a statement): a held city's
  // check hashes each school's statements and certificates.
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, Sha256Md(), nullptr) !=
          1 ||
      len != 32) {
    crypto_hash_sha256(out, data.data(), data.size());
  }
}

void Blake2b512(std::initializer_list<ByteSpan> parts, std::uint8_t out[64]) {
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, 64);
  for (ByteSpan p : parts) crypto_generichash_update(&st, p.data(), p.size());
  crypto_generichash_final(&st, out, 64);
}

struct Hasher::State {
  EVP_MD_CTX* md = nullptr;
  crypto_generichash_state blake;  // CRYPTO_ALIGN(64); new honours it (C++17)
};

Hasher::Hasher(Algorithm algorithm)
    : algorithm_(algorithm), state_(std::make_unique<State>()) {
  if (algorithm == Algorithm::kBlake2b512) {
    crypto_generichash_init(&state_->blake, nullptr, 0, 64);
  } else {
    state_->md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(state_->md,
                      algorithm == Algorithm::kSha256 ? Sha256Md() : Sha512Md(),
                      nullptr);
  }
}

Hasher::~Hasher() {
  if (state_ && state_->md != nullptr) EVP_MD_CTX_free(state_->md);
}

std::size_t Hasher::digest_size() const {
  return algorithm_ == Algorithm::kSha256 ? 32 : 64;
}

void Hasher::Update(ByteSpan data) {
  if (algorithm_ == Algorithm::kBlake2b512) {
    crypto_generichash_update(&state_->blake, data.data(), data.size());
  } else {
    EVP_DigestUpdate(state_->md, data.data(), data.size());
  }
}

Bytes Hasher::Finish() {
  Bytes out(digest_size());
  if (algorithm_ == Algorithm::kBlake2b512) {
    crypto_generichash_final(&state_->blake, out.data(), out.size());
  } else {
    unsigned int len = 0;
    EVP_DigestFinal_ex(state_->md, out.data(), &len);
  }
  return out;
}

void X25519Base(const std::uint8_t secret[32], std::uint8_t public_key[32]) {
  crypto_scalarmult_base(public_key, secret);
}

bool X25519(const std::uint8_t secret[32], const std::uint8_t point[32],
            std::uint8_t shared[32]) {
  // libsodium returns -1 for small-order points and all-zero results.
  return crypto_scalarmult(shared, secret, point) == 0;
}

struct ChaChaPoly::Impl {
  AeadBackend backend;
  SecretBuffer key;               // sodium backend
  EVP_CIPHER_CTX* enc = nullptr;  // OpenSSL backend, key set once
  EVP_CIPHER_CTX* dec = nullptr;
  ~Impl() {
    if (enc != nullptr) EVP_CIPHER_CTX_free(enc);
    if (dec != nullptr) EVP_CIPHER_CTX_free(dec);
  }
};

ChaChaPoly::ChaChaPoly(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ChaChaPoly::ChaChaPoly(ChaChaPoly&&) noexcept = default;
ChaChaPoly& ChaChaPoly::operator=(ChaChaPoly&&) noexcept = default;
ChaChaPoly::~ChaChaPoly() = default;

Result<ChaChaPoly> ChaChaPoly::Create(ByteSpan key, AeadBackend backend) {
  if (key.size() != 32) {
    return Status(Code::kInternal, "ChaCha20-Poly1305 key must be 32 bytes");
  }
  auto impl = std::make_unique<Impl>();
  impl->backend = backend;
  if (backend == AeadBackend::kSodium) {
    XJ_ASSIGN_OR_RETURN(impl->key, SecretBuffer::CopyOf(key));
  } else {
    impl->enc = EVP_CIPHER_CTX_new();
    impl->dec = EVP_CIPHER_CTX_new();
    if (impl->enc == nullptr || impl->dec == nullptr ||
        EVP_EncryptInit_ex(impl->enc, EVP_chacha20_poly1305(), nullptr,
                           key.data(), nullptr) != 1 ||
        EVP_DecryptInit_ex(impl->dec, EVP_chacha20_poly1305(), nullptr,
                           key.data(), nullptr) != 1) {
      return Status(Code::kInternal, "OpenSSL ChaCha20-Poly1305 unavailable");
    }
  }
  return ChaChaPoly(std::move(impl));
}

void ChaChaPoly::Seal(const std::uint8_t nonce[12], ByteSpan plaintext,
                      std::uint8_t* out) {
  if (impl_->backend == AeadBackend::kSodium) {
    crypto_aead_chacha20poly1305_ietf_encrypt(
        out, nullptr, plaintext.data(), plaintext.size(), nullptr, 0, nullptr,
        nonce, impl_->key.data());
    return;
  }
  EVP_CIPHER_CTX* ctx = impl_->enc;
  int len = 0;
  EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce);
  EVP_EncryptUpdate(ctx, out, &len, plaintext.data(),
                    static_cast<int>(plaintext.size()));
  int fin = 0;
  EVP_EncryptFinal_ex(ctx, out + len, &fin);
  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, kTagSize,
                      out + plaintext.size());
}

bool ChaChaPoly::Open(const std::uint8_t nonce[12], ByteSpan ciphertext,
                      std::uint8_t* out) {
  if (ciphertext.size() < kTagSize) return false;
  std::size_t n = ciphertext.size() - kTagSize;
  if (impl_->backend == AeadBackend::kSodium) {
    unsigned long long len = 0;
    return crypto_aead_chacha20poly1305_ietf_decrypt(
               out, &len, nullptr, ciphertext.data(), ciphertext.size(),
               nullptr, 0, nonce, impl_->key.data()) == 0;
  }
  EVP_CIPHER_CTX* ctx = impl_->dec;
  int len = 0, fin = 0;
  std::uint8_t tag[kTagSize];
  std::memcpy(tag, ciphertext.data() + n, kTagSize);
  bool ok =
      EVP_DecryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce) == 1 &&
      EVP_DecryptUpdate(ctx, out, &len, ciphertext.data(),
                        static_cast<int>(n)) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, kTagSize, tag) == 1 &&
      EVP_DecryptFinal_ex(ctx, out + len, &fin) == 1;
  if (!ok) sodium_memzero(out, n);
  return ok;
}

void SealSmall(ByteSpan key, const std::uint8_t nonce[12], ByteSpan plaintext,
               std::uint8_t* out) {
  crypto_aead_chacha20poly1305_ietf_encrypt(out, nullptr, plaintext.data(),
                                            plaintext.size(), nullptr, 0,
                                            nullptr, nonce, key.data());
}

bool OpenSmall(ByteSpan key, const std::uint8_t nonce[12], ByteSpan ciphertext,
               std::uint8_t* out) {
  unsigned long long len = 0;
  return crypto_aead_chacha20poly1305_ietf_decrypt(
             out, &len, nullptr, ciphertext.data(), ciphertext.size(), nullptr,
             0, nonce, key.data()) == 0;
}

Status Scrypt(ByteSpan passphrase, ByteSpan salt, int log_n, std::uint32_t r,
              std::uint32_t p, MutableByteSpan out) {
  XJ_RETURN_IF_ERROR(InitSodium());
  if (log_n < 1 || log_n > 40) {
    return Error(Code::kInvalidArgument, "scrypt work factor {} out of range",
                 log_n);
  }
  errno = 0;
  int rc = crypto_pwhash_scryptsalsa208sha256_ll(
      passphrase.data(), passphrase.size(), salt.data(), salt.size(),
      std::uint64_t{1} << log_n, r, p, out.data(), out.size());
  if (rc != 0) {
    if (errno == ENOMEM || errno == 0) {
      return Error(Code::kOutOfMemory,
                   "not enough memory for scrypt (work factor {} needs {} MiB)",
                   log_n, (std::uint64_t{128} * r << log_n) >> 20);
    }
    return Error(Code::kInvalidArgument, "scrypt refused its parameters");
  }
  return Status::Ok();
}

bool ConstantTimeEqual(ByteSpan a, ByteSpan b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

void RandomBytes(MutableByteSpan out) {
  (void)InitSodium();
  randombytes_buf(out.data(), out.size());
}

std::string Sha256Hex(ByteSpan data) {
  std::uint8_t d[32];
  Sha256(data, d);
  return ToHex(ByteSpan(d));
}

std::string Sha512Hex(ByteSpan data) {
  Hasher h(Hasher::Algorithm::kSha512);
  h.Update(data);
  return ToHex(h.Finish());
}

}  // namespace xj::keys
