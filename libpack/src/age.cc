#include "libpack/age.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <map>

#include "formats/age_armor.h"
#include "formats/base64.h"

namespace xj::pack::age {
namespace {

namespace fa = formats::age;

constexpr std::size_t kChunk = 64 * 1024;
constexpr std::size_t kTag = keys::ChaChaPoly::kTagSize;
constexpr std::size_t kEncChunk = kChunk + kTag;
constexpr std::size_t kBatch = 16;  // chunks per read/write system call
constexpr std::size_t kFileKeySize = 16;
constexpr std::size_t kNonceSize = 16;

constexpr std::string_view kX25519Label = "age-encryption.org/v1/X25519";
constexpr std::string_view kScryptLabel = "age-encryption.org/v1/scrypt";
constexpr std::uint8_t kZeroNonce[12] = {};

void StreamNonce(std::uint64_t counter, bool last, std::uint8_t n[12]) {
  std::memset(n, 0, 12);
  for (int i = 0; i < 8; ++i)
    n[10 - i] = static_cast<std::uint8_t>(counter >> (8 * i));
  n[11] = last ? 1 : 0;
}

// Copies `fixed` (tests) or fresh randomness into `out`.
void Fill(MutableByteSpan out, const Bytes* fixed) {
  if (fixed != nullptr && fixed->size() == out.size()) {
    std::copy(fixed->begin(), fixed->end(), out.begin());
  } else {
    keys::RandomBytes(out);
  }
}

// ---- encryption ----

Result<SecretBuffer> NewFileKey(const EncryptOptions& opt) {
  XJ_ASSIGN_OR_RETURN(SecretBuffer key, SecretBuffer::Allocate(kFileKeySize));
  Fill(key.mutable_span(), opt.fixed ? &opt.fixed->file_key : nullptr);
  return key;
}

// ---- decryption helpers ----

// "18" → 18; rejects signs, leading zeros, non-digits and overflow.
bool ParseWorkFactor(const std::string& s, int* out) {
  if (s.empty() || s.size() > 2 || s[0] < '1' || s[0] > '9') return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  *out = std::stoi(s);
  return true;
}

std::string DescribeStanzas(const std::vector<fa::Stanza>& stanzas) {
  std::map<std::string, int> counts;
  for (const auto& s : stanzas) counts[EscapeForDisplay(s.type())]++;
  std::string out;
  for (const auto& [type, n] : counts) {
    if (!out.empty()) out += ", ";
    out += n == 1 ? type : fmt::format("{} ×{}", type, n);
  }
  return out;
}

}  // namespace

struct EncryptingSink::State {
  fa::ArmorWriter armor;
  Sink* out;  // armor, or the caller's sink
  keys::ChaChaPoly aead;
  Bytes plain, cipher;
  std::size_t have = 0;
  std::uint64_t counter = 0;
  bool finished = false;
  State(Sink* raw, bool armored, keys::ChaChaPoly a)
      : armor(raw),
        out(armored ? static_cast<Sink*>(&armor) : raw),
        aead(std::move(a)),
        plain((kBatch + 1) * kChunk),
        cipher((kBatch + 1) * kEncChunk) {}
  ~State() { Wipe(plain.data(), plain.size()); }
};

EncryptingSink::EncryptingSink(std::unique_ptr<State> state, bool armored)
    : state_(std::move(state)), armored_(armored) {}
EncryptingSink::~EncryptingSink() = default;

Result<std::unique_ptr<EncryptingSink>> EncryptingSink::Create(
    Sink* raw, std::vector<fa::Stanza> stanzas, const SecretBuffer& file_key,
    const EncryptOptions& opt) {
  Bytes header = fa::EncodeHeaderWithoutMac(stanzas);
  XJ_ASSIGN_OR_RETURN(SecretBuffer hmac_key, SecretBuffer::Allocate(32));
  keys::HkdfSha256(file_key.span(), {}, "header", hmac_key.data());
  std::uint8_t mac[32];
  keys::HmacSha256(hmac_key.span(), header, mac);
  fa::AppendMacLine(header, ByteSpan(mac));
  std::uint8_t nonce[kNonceSize];
  Fill(nonce, opt.fixed ? &opt.fixed->nonce : nullptr);
  Append(header, ByteSpan(nonce));
  XJ_ASSIGN_OR_RETURN(SecretBuffer payload_key, SecretBuffer::Allocate(32));
  keys::HkdfSha256(file_key.span(), ByteSpan(nonce), "payload",
                   payload_key.data());
  XJ_ASSIGN_OR_RETURN(
      keys::ChaChaPoly aead,
      keys::ChaChaPoly::Create(payload_key.span(), opt.backend));
  auto state = std::make_unique<State>(raw, opt.armor, std::move(aead));
  XJ_RETURN_IF_ERROR(state->out->Write(header));
  return std::unique_ptr<EncryptingSink>(
      new EncryptingSink(std::move(state), opt.armor));
}

Status EncryptingSink::Write(ByteSpan data) {
  State& s = *state_;
  if (s.finished) return Status(Code::kInternal, "write after Finish");
  while (!data.empty()) {
    std::size_t take = std::min(data.size(), s.plain.size() - s.have);
    std::memcpy(s.plain.data() + s.have, data.data(), take);
    s.have += take;
    data = data.subspan(take);
    if (s.have == s.plain.size()) {
      // Full: seal all but the last chunk, which is final only if the input
      // ends right after it.
      std::uint8_t nonce[12];
      std::size_t out_len = 0;
      for (std::size_t i = 0; i < kBatch; ++i) {
        StreamNonce(s.counter++, false, nonce);
        s.aead.Seal(nonce, ByteSpan(s.plain.data() + i * kChunk, kChunk),
                    s.cipher.data() + out_len);
        out_len += kEncChunk;
      }
      XJ_RETURN_IF_ERROR(s.out->Write(ByteSpan(s.cipher.data(), out_len)));
      std::memmove(s.plain.data(), s.plain.data() + kBatch * kChunk, kChunk);
      s.have = kChunk;
    }
  }
  return Status::Ok();
}

Status EncryptingSink::Finish() {
  State& s = *state_;
  if (s.finished) return Status(Code::kInternal, "Finish called twice");
  s.finished = true;
  // Seal the rest; the last chunk is final. It is empty only when the whole
  // input was (a full chunk was always held back otherwise).
  std::uint8_t nonce[12];
  std::size_t off = 0, out_len = 0;
  do {
    std::size_t len = std::min(kChunk, s.have - off);
    StreamNonce(s.counter++, off + len == s.have, nonce);
    s.aead.Seal(nonce, ByteSpan(s.plain.data() + off, len),
                s.cipher.data() + out_len);
    off += len;
    out_len += len + kTag;
  } while (off < s.have);
  XJ_RETURN_IF_ERROR(s.out->Write(ByteSpan(s.cipher.data(), out_len)));
  if (armored_) XJ_RETURN_IF_ERROR(s.armor.Finish());
  return Status::Ok();
}

Result<std::unique_ptr<EncryptingSink>> EncryptingSink::ToRecipients(
    Sink* out, const std::vector<keys::X25519PublicKey>& recipients,
    const EncryptOptions& opt) {
  if (recipients.empty()) {
    return Status(Code::kInvalidArgument, "no recipients to encrypt to");
  }
  XJ_ASSIGN_OR_RETURN(SecretBuffer file_key, NewFileKey(opt));
  std::vector<fa::Stanza> stanzas;
  for (std::size_t i = 0; i < recipients.size(); ++i) {
    const auto& pk = recipients[i];
    XJ_ASSIGN_OR_RETURN(SecretBuffer eph, SecretBuffer::Allocate(32));
    Fill(eph.mutable_span(), opt.fixed && i < opt.fixed->ephemeral.size()
                                 ? &opt.fixed->ephemeral[i]
                                 : nullptr);
    std::uint8_t share[32];
    keys::X25519Base(eph.data(), share);
    XJ_ASSIGN_OR_RETURN(SecretBuffer shared, SecretBuffer::Allocate(32));
    if (!keys::X25519(eph.data(), pk.data(), shared.data())) {
      return Error(Code::kBadKey,
                   "recipient {} is not a usable X25519 key (low-order point)",
                   i + 1);
    }
    std::uint8_t salt[64];
    std::memcpy(salt, share, 32);
    std::memcpy(salt + 32, pk.data(), 32);
    XJ_ASSIGN_OR_RETURN(SecretBuffer wrap, SecretBuffer::Allocate(32));
    keys::HkdfSha256(shared.span(), ByteSpan(salt), kX25519Label, wrap.data());
    fa::Stanza stanza;
    stanza.args = {"X25519", formats::EncodeBase64(ByteSpan(share),
                                                   formats::Base64::kUnpadded)};
    stanza.body.resize(kFileKeySize + kTag);
    keys::SealSmall(wrap.span(), kZeroNonce, file_key.span(),
                    stanza.body.data());
    stanzas.push_back(std::move(stanza));
  }
  return Create(out, std::move(stanzas), file_key, opt);
}

Status EncryptToRecipients(Source& in, Sink& out,
                           const std::vector<keys::X25519PublicKey>& recipients,
                           const EncryptOptions& opt) {
  XJ_ASSIGN_OR_RETURN(std::unique_ptr<EncryptingSink> sink,
                      EncryptingSink::ToRecipients(&out, recipients, opt));
  XJ_RETURN_IF_ERROR(Copy(in, *sink, kBatch * kChunk));
  return sink->Finish();
}

Status EncryptWithPassphrase(Source& in, Sink& out, ByteSpan passphrase,
                             int work_factor, const EncryptOptions& opt) {
  if (work_factor < 10 || work_factor > kMaxWorkFactor) {
    return Error(Code::kInvalidArgument,
                 "scrypt work factor {} is outside 10..{}", work_factor,
                 kMaxWorkFactor);
  }
  if (passphrase.empty()) {
    return Status(Code::kInvalidArgument, "the passphrase is empty");
  }
  XJ_ASSIGN_OR_RETURN(SecretBuffer file_key, NewFileKey(opt));
  std::uint8_t salt16[16];
  Fill(salt16, opt.fixed ? &opt.fixed->scrypt_salt : nullptr);
  Bytes salt = ToBytes(kScryptLabel);
  Append(salt, ByteSpan(salt16));
  XJ_ASSIGN_OR_RETURN(SecretBuffer wrap, SecretBuffer::Allocate(32));
  XJ_RETURN_IF_ERROR(
      keys::Scrypt(passphrase, salt, work_factor, 8, 1, wrap.mutable_span()));
  fa::Stanza stanza;
  stanza.args = {
      "scrypt",
      formats::EncodeBase64(ByteSpan(salt16), formats::Base64::kUnpadded),
      std::to_string(work_factor)};
  stanza.body.resize(kFileKeySize + kTag);
  keys::SealSmall(wrap.span(), kZeroNonce, file_key.span(), stanza.body.data());
  XJ_ASSIGN_OR_RETURN(
      std::unique_ptr<EncryptingSink> sink,
      EncryptingSink::Create(&out, {std::move(stanza)}, file_key, opt));
  XJ_RETURN_IF_ERROR(Copy(in, *sink, kBatch * kChunk));
  return sink->Finish();
}

Result<SecretBuffer> Decryptor::Unwrap() {
  const auto& stanzas = header_.stanzas;
  // Structure first, for every recognised stanza, before any key is tried:
  // a malformed stanza is an error, never "not mine".
  bool has_scrypt = false, has_x25519 = false, has_unknown = false;
  for (const fa::Stanza& s : stanzas) {
    auto fail = [&](std::string_view what) {
      stage_ = Stage::kHeader;
      return Error(Code::kMalformed, "header line {}: {} stanza: {}", s.line,
                   s.type(), what);
    };
    if (s.type() == "X25519") {
      has_x25519 = true;
      if (s.args.size() != 2) return fail("expected exactly one argument");
      std::uint8_t share[32];
      Status st = formats::DecodeBase64Exact(
          s.args[1], formats::Base64::kUnpadded, MutableByteSpan(share));
      if (!st.ok())
        return fail(fmt::format("ephemeral share: {}", st.message()));
      if (s.body.size() != kFileKeySize + kTag) {
        return fail(
            fmt::format("body is {} bytes, expected 32", s.body.size()));
      }
    } else if (s.type() == "scrypt") {
      has_scrypt = true;
      if (s.args.size() != 3) return fail("expected a salt and a work factor");
      std::uint8_t salt[16];
      Status st = formats::DecodeBase64Exact(
          s.args[1], formats::Base64::kUnpadded, MutableByteSpan(salt));
      if (!st.ok()) return fail(fmt::format("salt: {}", st.message()));
      int wf = 0;
      if (!ParseWorkFactor(s.args[2], &wf)) {
        return fail(fmt::format("work factor \"{}\" is not a decimal number",
                                EscapeForDisplay(s.args[2])));
      }
      if (wf > options_.max_work_factor) {
        return fail(fmt::format("work factor {} is above the limit of {}", wf,
                                options_.max_work_factor));
      }
      if (s.body.size() != kFileKeySize + kTag) {
        return fail(
            fmt::format("body is {} bytes, expected 32", s.body.size()));
      }
    } else {
      has_unknown = true;
      if (options_.reject_unknown_stanzas) {
        stage_ = Stage::kHeader;
        return Error(Code::kUnsupported,
                     "header line {}: unknown recipient stanza type \"{}\"",
                     s.line, EscapeForDisplay(s.type()));
      }
    }
  }
  if (has_scrypt && stanzas.size() != 1) {
    stage_ = Stage::kHeader;
    return Status(
        Code::kMalformed,
        "header: a passphrase (scrypt) stanza must be the only stanza");
  }

  XJ_ASSIGN_OR_RETURN(SecretBuffer file_key,
                      SecretBuffer::Allocate(kFileKeySize));
  if (has_scrypt) {
    const fa::Stanza& s = stanzas.front();
    if (!passphrase_) {
      stage_ = Stage::kUnwrap;
      return Status(
                 Code::kNoIdentity,
                 identities_.empty()
                     ? "the file is passphrase-encrypted and no passphrase was "
                       "given"
                     : "the file is passphrase-encrypted, not encrypted to an "
                       "identity")
          .WithRemedy(Remedy::kPassphraseNotIdentity);
    }
    XJ_ASSIGN_OR_RETURN(SecretBuffer passphrase, passphrase_());
    Bytes salt = ToBytes(kScryptLabel);
    std::uint8_t salt16[16];
    (void)formats::DecodeBase64Exact(s.args[1], formats::Base64::kUnpadded,
                                     MutableByteSpan(salt16));
    Append(salt, ByteSpan(salt16));
    int wf = std::stoi(s.args[2]);
    XJ_ASSIGN_OR_RETURN(SecretBuffer wrap, SecretBuffer::Allocate(32));
    XJ_RETURN_IF_ERROR(
        keys::Scrypt(passphrase.span(), salt, wf, 8, 1, wrap.mutable_span()));
    if (!keys::OpenSmall(wrap.span(), kZeroNonce, s.body, file_key.data())) {
      stage_ = Stage::kUnwrap;
      return Status(Code::kWrongPassphrase, "wrong passphrase");
    }
    return file_key;
  }

  for (const keys::X25519Identity* id : identities_) {
    for (const fa::Stanza& s : stanzas) {
      if (s.type() != "X25519") continue;
      std::uint8_t share[32];
      (void)formats::DecodeBase64Exact(s.args[1], formats::Base64::kUnpadded,
                                       MutableByteSpan(share));
      XJ_ASSIGN_OR_RETURN(SecretBuffer shared, SecretBuffer::Allocate(32));
      if (!keys::X25519(id->secret().data(), share, shared.data())) {
        stage_ = Stage::kHeader;
        return Error(Code::kMalformed,
                     "header line {}: X25519 stanza: the ephemeral share is a "
                     "low-order point",
                     s.line);
      }
      std::uint8_t salt[64];
      std::memcpy(salt, share, 32);
      std::memcpy(salt + 32, id->public_key().data(), 32);
      XJ_ASSIGN_OR_RETURN(SecretBuffer wrap, SecretBuffer::Allocate(32));
      keys::HkdfSha256(shared.span(), ByteSpan(salt), kX25519Label,
                       wrap.data());
      if (keys::OpenSmall(wrap.span(), kZeroNonce, s.body, file_key.data())) {
        return file_key;
      }
    }
  }
  stage_ = Stage::kUnwrap;
  std::string detail =
      fmt::format("the file is encrypted to {}", DescribeStanzas(stanzas));
  if (identities_.empty()) {
    return Error(Code::kNoIdentity, "no identity given; {}", detail);
  }
  if (!has_x25519 && has_unknown) {
    return Error(Code::kNoIdentity,
                 "no identity matches: {}, none of which xjpack supports",
                 detail);
  }
  return Error(Code::kNoIdentity,
               "no identity matches: {}, and none of them is the {} identit{} "
               "given",
               detail, identities_.size(),
               identities_.size() == 1 ? "y" : "ies");
}

// The readers between the raw input and the payload: a buffer, and armor
// with its own buffer when the input is armored. Heap-allocated together so
// the pointers between them stay valid for the payload source.
struct Decryptor::Chain {
  explicit Chain(Source* raw) : outer(raw), armor(&outer), inner(&armor) {}
  BufferedReader outer;
  fa::ArmorReader armor;
  BufferedReader inner;
  bool armored = false;
  BufferedReader& reader() { return armored ? inner : outer; }
};

namespace {

// Authenticated plaintext, chunk by chunk (C2SP age §"Payload"): a chunk is
// handed out only after its tag verifies; the first failure is sticky.
class PayloadSource final : public Source {
 public:
  PayloadSource(std::unique_ptr<Decryptor::Chain> chain, keys::ChaChaPoly aead,
                std::uint64_t base, Stage* stage, std::uint64_t* released,
                PlaceName place)
      : chain_(std::move(chain)),
        payload_(&chain_->reader()),
        aead_(std::move(aead)),
        base_(base),
        stage_(stage),
        released_(released),
        place_(chain_->armored ? PlaceName() : std::move(place)),
        cipher_((kBatch + 1) * kEncChunk),
        plain_((kBatch + 1) * kChunk) {}
  ~PayloadSource() override { Wipe(plain_.data(), plain_.size()); }

  Result<std::size_t> Read(MutableByteSpan out) override {
    while (pos_ == len_) {
      if (done_) {
        if (!status_.ok()) {
          if (chain_->armored && chain_->armor.failed())
            *stage_ = Stage::kArmor;
          return status_;
        }
        *stage_ = Stage::kNone;
        return std::size_t{0};
      }
      Step();
    }
    std::size_t n = std::min(out.size(), len_ - pos_);
    std::memcpy(out.data(), plain_.data() + pos_, n);
    pos_ += n;
    *released_ += n;
    return n;
  }

 private:
  // The input's bytes first to last, as messages name them.
  std::string Place(std::uint64_t first, std::uint64_t last) const {
    if (place_) return place_(first, last);
    if (first == last) return fmt::format("byte {}", first);
    return fmt::format("bytes {}–{}", first, last);
  }
  // The chunk at cipher_[off].
  std::string SpanOf(std::size_t off) const {
    return Place(base_ + off,
                 base_ + off + std::min(kEncChunk, have_ - off) - 1);
  }

  // Decrypts the next batch of chunks into plain_; sets done_ at the end
  // of the stream or at the first failure (after the chunks before it).
  void Step() {
    pos_ = len_ = 0;
    if (consumed_ > 0) {
      base_ += consumed_;
      std::memmove(cipher_.data(), cipher_.data() + consumed_,
                   have_ - consumed_);
      have_ -= consumed_;
      consumed_ = 0;
    }
    while (have_ < cipher_.size() && !eof_) {
      Result<std::size_t> n =
          payload_.Read(MutableByteSpan(cipher_).subspan(have_));
      if (!n.ok()) {
        Finish(n.status());
        return;
      }
      if (*n == 0) eof_ = true;
      have_ += *n;
    }
    std::size_t off = 0;
    std::uint8_t nonce[12];
    for (;;) {
      std::size_t rem = have_ - off;
      if (rem > kEncChunk) {
        // A full chunk with more after it: must be a non-final chunk.
        StreamNonce(counter_, false, nonce);
        ByteSpan c(cipher_.data() + off, kEncChunk);
        if (aead_.Open(nonce, c, plain_.data() + len_)) {
          len_ += kChunk;
          ++counter_;
          off += kEncChunk;
          continue;
        }
        StreamNonce(counter_, true, nonce);
        if (aead_.Open(nonce, c, plain_.data() + len_)) {
          len_ += kChunk;
          Finish(Error(
              Code::kTrailingData,
              "data after the final chunk (chunk {}, which ends at {})",
              counter_,
              Place(base_ + off + kEncChunk - 1, base_ + off + kEncChunk - 1)));
        } else {
          Finish(
              Error(Code::kIntegrity,
                    "chunk {} ({}) failed authentication: the file was altered "
                    "or damaged",
                    counter_, SpanOf(off)));
        }
        return;
      }
      if (!eof_) break;  // cannot tell yet whether the next chunk is final
      if (rem == 0) {
        Finish(
            counter_ == 0
                ? Status(
                      Code::kTruncated,
                      "the file ends right after the payload nonce (truncated)")
                : Error(Code::kTruncated,
                        "the file ends after chunk {} without a final chunk "
                        "(truncated)",
                        counter_ - 1));
        return;
      }
      if (rem < kTag) {
        Finish(Error(
            Code::kTruncated,
            "the file ends inside chunk {}: {} byte{} left, a chunk has at "
            "least {} (truncated)",
            counter_, rem, rem == 1 ? "" : "s", kTag));
        return;
      }
      if (rem == kTag && counter_ > 0) {
        Finish(
            Error(Code::kMalformed,
                  "chunk {} is an empty final chunk, which only an empty file "
                  "may have",
                  counter_));
        return;
      }
      StreamNonce(counter_, true, nonce);
      ByteSpan c(cipher_.data() + off, rem);
      if (aead_.Open(nonce, c, plain_.data() + len_)) {
        len_ += rem - kTag;
        Finish(Status::Ok());
        return;
      }
      StreamNonce(counter_, false, nonce);
      if (rem == kEncChunk && aead_.Open(nonce, c, plain_.data() + len_)) {
        len_ += kChunk;
        Finish(Error(
            Code::kTruncated,
            "the file ends after chunk {} without a final chunk (truncated)",
            counter_));
        return;
      }
      Finish(Error(
          Code::kIntegrity,
          "chunk {} ({}), the last in the file, failed authentication: the "
          "file was altered, damaged or cut short",
          counter_, SpanOf(off)));
      return;
    }
    consumed_ = off;
  }

  void Finish(Status s) {
    done_ = true;
    status_ = std::move(s);
  }

  std::unique_ptr<Decryptor::Chain> chain_;
  BufferedSource payload_;
  keys::ChaChaPoly aead_;
  std::uint64_t base_;  // file offset of cipher_[0]
  Stage* stage_;
  std::uint64_t* released_;
  PlaceName place_;
  Bytes cipher_, plain_;
  std::size_t have_ = 0, consumed_ = 0, pos_ = 0, len_ = 0;
  std::uint64_t counter_ = 0;
  bool eof_ = false, done_ = false;
  Status status_;
};

}  // namespace

Result<std::unique_ptr<Source>> Decryptor::Open(Source& raw) {
  stage_ = Stage::kNone;
  released_ = 0;
  auto chain = std::make_unique<Chain>(&raw);
  XJ_ASSIGN_OR_RETURN(ByteSpan prefix, chain->outer.Peek(1100));
  chain->armored =
      options_.armor == ArmorMode::kArmored ||
      (options_.armor == ArmorMode::kDetect && fa::LooksArmored(prefix));
  Chain* c = chain.get();
  auto classify = [&](Status s) {
    if (c->armored && c->armor.failed()) stage_ = Stage::kArmor;
    return s;
  };

  Result<fa::Header> header = fa::ReadHeader(c->reader(), options_.limits);
  if (!header.ok()) {
    stage_ = Stage::kHeader;
    return classify(header.status());
  }
  header_ = std::move(header).value();

  Result<SecretBuffer> file_key = Unwrap();
  if (!file_key.ok()) return classify(file_key.status());

  XJ_ASSIGN_OR_RETURN(SecretBuffer hmac_key, SecretBuffer::Allocate(32));
  keys::HkdfSha256(file_key->span(), {}, "header", hmac_key.data());
  std::uint8_t mac[32];
  keys::HmacSha256(hmac_key.span(), header_.mac_input, mac);
  if (!keys::ConstantTimeEqual(ByteSpan(mac), header_.mac)) {
    stage_ = Stage::kMac;
    return Status(Code::kIntegrity,
                  "header MAC mismatch: the header was altered or damaged");
  }

  std::uint8_t nonce[kNonceSize];
  BufferedSource nonce_source(&c->reader());
  Result<std::size_t> got = ReadFull(nonce_source, MutableByteSpan(nonce));
  if (!got.ok()) return classify(got.status());
  if (*got < kNonceSize) {
    stage_ = Stage::kHeader;
    return classify(Error(Code::kTruncated,
                          "the file ends {} after the header (truncated)",
                          *got == 0 ? "right" : fmt::format("{} bytes", *got)));
  }
  XJ_ASSIGN_OR_RETURN(SecretBuffer payload_key, SecretBuffer::Allocate(32));
  keys::HkdfSha256(file_key->span(), ByteSpan(nonce), "payload",
                   payload_key.data());
  XJ_ASSIGN_OR_RETURN(
      keys::ChaChaPoly aead,
      keys::ChaChaPoly::Create(payload_key.span(), options_.backend));
  stage_ = Stage::kPayload;  // until the payload ends well
  return std::unique_ptr<Source>(std::make_unique<PayloadSource>(
      std::move(chain), std::move(aead), header_.size + kNonceSize, &stage_,
      &released_, options_.place));
}

Status Decryptor::Decrypt(Source& raw, Sink& out) {
  XJ_ASSIGN_OR_RETURN(std::unique_ptr<Source> payload, Open(raw));
  Bytes buf(kBatch * kChunk);
  for (;;) {
    Result<std::size_t> n = payload->Read(buf);
    if (!n.ok()) {
      Wipe(buf.data(), buf.size());
      return n.status();
    }
    if (*n == 0) break;
    Status w = out.Write(ByteSpan(buf.data(), *n));
    if (!w.ok()) {
      stage_ = Stage::kNone;
      Wipe(buf.data(), buf.size());
      return w;
    }
  }
  Wipe(buf.data(), buf.size());
  return Status::Ok();
}

}  // namespace xj::pack::age
