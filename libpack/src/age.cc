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

Status WriteEncrypted(Source& in, Sink& raw_out,
                      std::vector<fa::Stanza> stanzas,
                      const SecretBuffer& file_key, const EncryptOptions& opt) {
  fa::ArmorWriter armor(&raw_out);
  Sink& out = opt.armor ? static_cast<Sink&>(armor) : raw_out;

  Bytes header = fa::EncodeHeaderWithoutMac(stanzas);
  XJ_ASSIGN_OR_RETURN(SecretBuffer hmac_key, SecretBuffer::Allocate(32));
  keys::HkdfSha256(file_key.span(), {}, "header", hmac_key.data());
  std::uint8_t mac[32];
  keys::HmacSha256(hmac_key.span(), header, mac);
  fa::AppendMacLine(header, ByteSpan(mac));

  std::uint8_t nonce[kNonceSize];
  Fill(nonce, opt.fixed ? &opt.fixed->nonce : nullptr);
  Append(header, ByteSpan(nonce));
  XJ_RETURN_IF_ERROR(out.Write(header));

  XJ_ASSIGN_OR_RETURN(SecretBuffer payload_key, SecretBuffer::Allocate(32));
  keys::HkdfSha256(file_key.span(), ByteSpan(nonce), "payload",
                   payload_key.data());
  XJ_ASSIGN_OR_RETURN(
      keys::ChaChaPoly aead,
      keys::ChaChaPoly::Create(payload_key.span(), opt.backend));

  // Room for a batch plus one chunk held back: a chunk is final only if the
  // input ends right after it, which is known only once more was read.
  Bytes plain((kBatch + 1) * kChunk);
  Bytes cipher((kBatch + 1) * kEncChunk);
  std::size_t have = 0;
  std::uint64_t counter = 0;
  bool eof = false;
  Status status;
  std::uint8_t chunk_nonce[12];
  while (status.ok()) {
    while (have < plain.size() && !eof) {
      Result<std::size_t> n = in.Read(MutableByteSpan(plain).subspan(have));
      if (!n.ok()) {
        status = n.status();
        break;
      }
      if (*n == 0) eof = true;
      have += *n;
    }
    if (!status.ok()) break;
    std::size_t off = 0, out_len = 0;
    if (eof) {
      // Seal the rest; the last chunk is final. It is empty only when the
      // whole input is (a full chunk was always held back otherwise).
      do {
        std::size_t len = std::min(kChunk, have - off);
        StreamNonce(counter++, off + len == have, chunk_nonce);
        aead.Seal(chunk_nonce, ByteSpan(plain.data() + off, len),
                  cipher.data() + out_len);
        off += len;
        out_len += len + kTag;
      } while (off < have);
    } else {
      // The buffer is full: seal all but the last chunk.
      for (std::size_t i = 0; i < kBatch; ++i) {
        StreamNonce(counter++, false, chunk_nonce);
        aead.Seal(chunk_nonce, ByteSpan(plain.data() + off, kChunk),
                  cipher.data() + out_len);
        off += kChunk;
        out_len += kEncChunk;
      }
    }
    status = out.Write(ByteSpan(cipher.data(), out_len));
    if (!status.ok() || eof) break;
    std::memmove(plain.data(), plain.data() + off, have - off);
    have -= off;
  }
  Wipe(plain.data(), plain.size());
  XJ_RETURN_IF_ERROR(status);
  if (opt.armor) XJ_RETURN_IF_ERROR(armor.Finish());
  return Status::Ok();
}

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

Status EncryptToRecipients(Source& in, Sink& out,
                           const std::vector<keys::X25519PublicKey>& recipients,
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
  return WriteEncrypted(in, out, std::move(stanzas), file_key, opt);
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
  return WriteEncrypted(in, out, {std::move(stanza)}, file_key, opt);
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
          .WithHint("decrypt it without -i to be asked for the passphrase");
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

Status Decryptor::DecryptPayload(Source& in, Sink& out, ByteSpan file_key) {
  std::uint8_t nonce[kNonceSize];
  XJ_ASSIGN_OR_RETURN(std::size_t got, ReadFull(in, MutableByteSpan(nonce)));
  if (got < kNonceSize) {
    stage_ = Stage::kHeader;
    return Error(Code::kTruncated,
                 "the file ends {} after the header (truncated)",
                 got == 0 ? "right" : fmt::format("{} bytes", got));
  }
  XJ_ASSIGN_OR_RETURN(SecretBuffer payload_key, SecretBuffer::Allocate(32));
  keys::HkdfSha256(file_key, ByteSpan(nonce), "payload", payload_key.data());
  XJ_ASSIGN_OR_RETURN(
      keys::ChaChaPoly aead,
      keys::ChaChaPoly::Create(payload_key.span(), options_.backend));

  stage_ = Stage::kPayload;
  Bytes cipher((kBatch + 1) * kEncChunk);
  Bytes plain((kBatch + 1) * kChunk);
  std::size_t have = 0;
  std::uint64_t counter = 0;
  std::uint64_t base = header_.size + kNonceSize;  // file offset of cipher[0]
  bool eof = false;
  std::uint8_t chunk_nonce[12];

  auto span_of = [&](std::size_t off) {
    return fmt::format("bytes {}–{}", base + off,
                       base + off + std::min(kEncChunk, have - off) - 1);
  };
  // Every path out of the loop flushes what authenticated so far, so the
  // sink sees exactly the chunks that verified, in order.
  Status status;
  while (status.ok()) {
    while (have < cipher.size() && !eof) {
      Result<std::size_t> n = in.Read(MutableByteSpan(cipher).subspan(have));
      if (!n.ok()) return n.status();
      if (*n == 0) eof = true;
      have += *n;
    }
    std::size_t off = 0, out_len = 0;
    bool done = false;
    for (;;) {
      std::size_t rem = have - off;
      if (rem > kEncChunk) {
        // A full chunk with more after it: must be a non-final chunk.
        StreamNonce(counter, false, chunk_nonce);
        ByteSpan c(cipher.data() + off, kEncChunk);
        if (aead.Open(chunk_nonce, c, plain.data() + out_len)) {
          out_len += kChunk;
        } else {
          StreamNonce(counter, true, chunk_nonce);
          if (aead.Open(chunk_nonce, c, plain.data() + out_len)) {
            out_len += kChunk;
            status = Error(Code::kTrailingData,
                           "data after the final chunk (chunk {}, ending at "
                           "byte {})",
                           counter, base + off + kEncChunk);
          } else {
            status = Error(Code::kIntegrity,
                           "chunk {} ({}) failed authentication: the file was "
                           "altered or damaged",
                           counter, span_of(off));
          }
          done = true;
          break;
        }
        ++counter;
        off += kEncChunk;
        continue;
      }
      if (!eof) break;  // cannot tell yet whether the next chunk is final
      done = true;
      if (rem == 0) {
        status = counter == 0
                     ? Status(Code::kTruncated,
                              "the file ends right after the payload nonce "
                              "(truncated)")
                     : Error(Code::kTruncated,
                             "the file ends after chunk {} without a final "
                             "chunk (truncated)",
                             counter - 1);
        break;
      }
      if (rem < kTag) {
        status = Error(Code::kTruncated,
                       "the file ends inside chunk {}: {} bytes left, a chunk "
                       "has at least {} (truncated)",
                       counter, rem, kTag);
        break;
      }
      if (rem == kTag && counter > 0) {
        status = Error(Code::kMalformed,
                       "chunk {} is an empty final chunk, which only an empty "
                       "file may have",
                       counter);
        break;
      }
      StreamNonce(counter, true, chunk_nonce);
      ByteSpan c(cipher.data() + off, rem);
      if (aead.Open(chunk_nonce, c, plain.data() + out_len)) {
        out_len += rem - kTag;
        break;  // success
      }
      StreamNonce(counter, false, chunk_nonce);
      if (rem == kEncChunk &&
          aead.Open(chunk_nonce, c, plain.data() + out_len)) {
        out_len += kChunk;
        status = Error(Code::kTruncated,
                       "the file ends after chunk {} without a final chunk "
                       "(truncated)",
                       counter);
        break;
      }
      status = Error(Code::kIntegrity,
                     "chunk {} ({}), the last in the file, failed "
                     "authentication: the file was altered, damaged or cut "
                     "short",
                     counter, span_of(off));
      break;
    }
    if (out_len > 0) {
      Status w = out.Write(ByteSpan(plain.data(), out_len));
      released_ += out_len;
      if (!w.ok()) {
        stage_ = Stage::kNone;
        status = w;
      }
    }
    if (done || !status.ok()) break;
    base += off;
    std::memmove(cipher.data(), cipher.data() + off, have - off);
    have -= off;
  }
  Wipe(plain.data(), plain.size());
  if (status.ok()) stage_ = Stage::kNone;
  return status;
}

Status Decryptor::Decrypt(Source& raw, Sink& out) {
  stage_ = Stage::kNone;
  released_ = 0;
  BufferedReader outer(&raw);
  XJ_ASSIGN_OR_RETURN(ByteSpan prefix, outer.Peek(1100));
  bool armored =
      options_.armor == ArmorMode::kArmored ||
      (options_.armor == ArmorMode::kDetect && fa::LooksArmored(prefix));
  fa::ArmorReader armor(&outer);
  BufferedReader inner(&armor);
  BufferedReader& reader = armored ? inner : outer;
  auto classify = [&](Status s) {
    if (armored && armor.failed()) stage_ = Stage::kArmor;
    return s;
  };

  Result<fa::Header> header = fa::ReadHeader(reader, options_.limits);
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

  BufferedSource payload(&reader);
  return classify(DecryptPayload(payload, out, file_key->span()));
}

}  // namespace xj::pack::age
