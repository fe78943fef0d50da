// Pins minisign signing and verification: the byte-exact known answer that
// stock minisign 0.11 reproduced, the public vectors of go-minisign (ED and
// legacy Ed), and a distinct failure for each tampered part.
#include "formats/minisign.h"

#include <doctest/doctest.h>

#include "base/io.h"
#include "libpack/minisign.h"
#include "support/test_util.h"

namespace xj::pack::minisign {
namespace {

keys::SigningKey KatKey() {
  Bytes seed(32);
  for (int i = 0; i < 32; ++i) seed[i] = static_cast<std::uint8_t>(i);
  return std::move(keys::SigningKey::FromSeed(seed, {1, 2, 3, 4, 5, 6, 7, 8}))
      .value();
}

Status VerifyText(std::string_view data, const PublicKey& key,
                  std::string_view sig_text, bool legacy_ok = false) {
  Result<Signature> sig = formats::minisign::ParseSignatureFile(sig_text);
  if (!sig.ok()) return sig.status();
  MemorySource src(AsBytes(data));
  VerifyOptions opt;
  opt.allow_legacy = legacy_ok;
  return Verify(src, key, *sig, opt);
}

TEST_CASE("signing reproduces stock minisign's signature byte for byte") {
  keys::SigningKey key = KatKey();
  MemorySource src(AsBytes("test"));
  Result<Signature> sig = Sign(src, key, "timestamp:0\tfile:test\thashed",
                               "signature from minisign secret key");
  REQUIRE(sig.ok());
  CHECK(formats::minisign::EncodeSignatureFile(*sig) ==
        "untrusted comment: signature from minisign secret key\n"
        "RUQBAgMEBQYHCO7bfJOJZsqfCwXF+z0sQ1VXJkH6b3IX+R7jgIZiK0baMSQj5407he+"
        "UPkHYBXBmR29ayQO7Zj5oIfpnYdZXcAQ=\n"
        "trusted comment: timestamp:0\tfile:test\thashed\n"
        "xC348OoA46To6Qw/"
        "n6maVLdIJ0nCcbSxUCXKu4vT7oE3CvmHjE0g2LdE5snPigO5eVhGKPqT73NVPCamky0QAw"
        "==\n");
  CHECK(DefaultTrustedComment("test", 0) == "timestamp:0\tfile:test\thashed");
}

constexpr std::string_view kReleaseKey =
    "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3";
constexpr std::string_view kPrehashed =
    "untrusted comment: signature from minisign secret key\n"
    "RUQf6LRCGA9i559r3g7V1qNyJDApGip8MfqcadIgT9CuhV3EMhHoN1mGTkUidF/"
    "z7SrlQgXdy8ofjb7bNJJylDOocrCo8KLzZwo=\n"
    "trusted comment: timestamp:1635443258\tfile:test\thashed\n"
    "/cj37GK60vryibFn+"
    "ftOgbCvW9NKhKYgjVpFFQUcWPAnjO23wrvVDTt7cloNC06maoBli9q6qwZDXXoaxweICQ==\n";
constexpr std::string_view kLegacy =
    "untrusted comment: signature from minisign secret key\n"
    "RWQf6LRCGA9i59SLOFxz6NxvASXDJeRtuZykwQepbDEGt87ig1BNpWaVWuNrm73YiIiJbq71Wi"
    "+dP9eKL8OC351vwIasSSbXxwA=\n"
    "trusted comment: timestamp:1635442742\tfile:test\n"
    "0YteLgV960ia80vnA/fHbvkyjl/IoP/HNOCaZfrF0CdhAlp7ok+Tpkya+VpWPX5C/Is3q8a/"
    "kEDSY7fBmmgJCg==\n";

TEST_CASE(
    "public minisign vectors verify: prehashed, and legacy when allowed") {
  PublicKey key = *formats::minisign::ParsePublicKeyString(kReleaseKey);
  CHECK(VerifyText("test", key, kPrehashed).ok());
  CHECK(VerifyText("test", key, kLegacy, /*legacy_ok=*/true).ok());
  CHECK_FAILS_WITH(VerifyText("test", key, kLegacy), Code::kUnsupported,
                   "legacy (non-prehashed \"Ed\") signature");
}

TEST_CASE("each tampered part of a signed file fails with its own message") {
  PublicKey key = *formats::minisign::ParsePublicKeyString(kReleaseKey);
  CHECK_FAILS_WITH(VerifyText("tesT", key, kPrehashed), Code::kBadSignature,
                   "the file does not match its signature");
  std::string comment(kPrehashed);
  comment.replace(comment.find("file:test"), 9, "file:TEST");
  CHECK_FAILS_WITH(VerifyText("test", key, comment), Code::kBadSignature,
                   "the trusted comment was altered");
  PublicKey other = PublicKeyOf(KatKey());
  CHECK_FAILS_WITH(VerifyText("test", other, kPrehashed), Code::kBadSignature,
                   "made by key E7620F1842B4E81F, not by the given key "
                   "0807060504030201");
}

TEST_CASE("signing refuses comments that would not survive the file format") {
  keys::SigningKey key = KatKey();
  MemorySource src(AsBytes("x"));
  CHECK_FAILS_WITH(Sign(src, key, "two\nlines"), Code::kInvalidArgument,
                   "control character");
  CHECK_FAILS_WITH(Sign(src, key, "ok", std::string(1100, 'u')),
                   Code::kInvalidArgument,
                   "untrusted comment must be one line");
}

TEST_CASE("what is signed verifies, over large inputs too") {
  keys::SigningKey key = KatKey();
  Bytes data = test::Pattern(3 << 20, 11);
  MemorySource src(data);
  Result<Signature> sig = Sign(src, key, "big");
  REQUIRE(sig.ok());
  MemorySource again(data);
  CHECK(Verify(again, PublicKeyOf(key), *sig).ok());
}

}  // namespace
}  // namespace xj::pack::minisign
