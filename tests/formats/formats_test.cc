// Pins the text and byte grammars: base64, Bech32, age header and armor,
// age key strings, minisign files, an office home's small files. Strict
// in, canonical out.
#include <doctest/doctest.h>

#include <random>

#include "formats/age_armor.h"
#include "formats/age_header.h"
#include "formats/age_keys.h"
#include "formats/audit.h"
#include "formats/bagit.h"
#include "formats/base64.h"
#include "formats/bech32.h"
#include "formats/home.h"
#include "formats/minisign.h"
#include "formats/utf8.h"
#include "support/test_util.h"

namespace xj::formats {
namespace {

TEST_CASE("base64 decoding accepts only the canonical encoding") {
  CHECK(*DecodeBase64("aGk", Base64::kUnpadded) == ToBytes("hi"));
  CHECK(*DecodeBase64("aGk=", Base64::kPadded) == ToBytes("hi"));
  CHECK_FAILS_WITH(DecodeBase64("aGk=", Base64::kUnpadded), Code::kMalformed,
                   "padding '=' is not allowed");
  CHECK_FAILS_WITH(DecodeBase64("aGk", Base64::kPadded), Code::kMalformed,
                   "not a multiple of 4");
  // "aGl" decodes to "hi" plus non-zero unused bits: not canonical.
  CHECK_FAILS_WITH(DecodeBase64("aGl", Base64::kUnpadded), Code::kMalformed,
                   "not canonical");
  CHECK_FAILS_WITH(DecodeBase64("aG k", Base64::kUnpadded), Code::kMalformed,
                   "invalid base64 byte 0x20 at position 3");
  CHECK_FAILS_WITH(DecodeBase64("aGk\n", Base64::kUnpadded), Code::kMalformed,
                   "invalid base64 byte 0x0a");
  std::uint8_t four[4];
  CHECK_FAILS_WITH(DecodeBase64Exact("aGk", Base64::kUnpadded, four),
                   Code::kMalformed, "expected 4 bytes, base64 holds 2");
  CHECK(EncodeBase64(AsBytes("hi"), Base64::kUnpadded) == "aGk");
  CHECK(EncodeBase64(AsBytes("hi"), Base64::kPadded) == "aGk=");
}

TEST_CASE(
    "base64 decoding refuses bytes above 0x7f, which libsodium reads as '/'") {
  // Found by fuzzing: libsodium 1.0.18 decoded "QUJ\xe3" as "QUJ/", so a
  // minisign signature, an age header or armor had more than one spelling.
  CHECK_FAILS_WITH(DecodeBase64("QUJ\xe3", Base64::kPadded), Code::kMalformed,
                   "invalid base64 byte 0xe3 at position 4");
  CHECK_FAILS_WITH(DecodeBase64("QUJ\x80", Base64::kUnpadded), Code::kMalformed,
                   "invalid base64 byte 0x80");
  std::uint8_t three[3];
  CHECK_FAILS_WITH(DecodeBase64Exact("QU\xffv", Base64::kPadded, three),
                   Code::kMalformed, "invalid base64 byte 0xff at position 3");
  std::uint8_t room[8];
  CHECK_FAILS_WITH(DecodeBase64Into("QUJ\xc3", Base64::kPadded, room),
                   Code::kMalformed, "invalid base64 byte 0xc3");
  CHECK(*DecodeBase64("QUJ/", Base64::kPadded) == ToBytes("AB\x7f"));
}

TEST_CASE("Bech32 encodes age keys as stock age does") {
  Bytes b42(32, 0x42);
  CHECK(EncodeBech32("AGE-SECRET-KEY-", b42, true) ==
        "AGE-SECRET-KEY-"
        "1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX");
  Result<Bech32> d = DecodeBech32(
      "age1xmwwc06ly3ee5rytxm9mflaz2u56jjj36s0mypdrwsvlul66mv4q47ryef");
  REQUIRE(d.ok());
  CHECK(d->hrp == "age");
  CHECK(ToHex(d->data) ==
        "36dcec3f5f24739a0c8b36cbb4ffa25729a94a51d41fb205a37419fe7f5adb2a");
  CHECK_FAILS_WITH(
      DecodeBech32(
          "age1xmwwc06ly3ee5rytxm9mflaz2u56jjj36s0mypdrwsvlul66mv4q47ryeg"),
      Code::kMalformed, "checksum mismatch");
  CHECK_FAILS_WITH(
      DecodeBech32(
          "age1Xmwwc06ly3ee5rytxm9mflaz2u56jjj36s0mypdrwsvlul66mv4q47ryef"),
      Code::kMalformed, "mixes upper and lower case");
  CHECK_FAILS_WITH(DecodeBech32("noseparator"), Code::kMalformed, "separator");
}

TEST_CASE("Bech32 round-trips every length and catches every typo") {
  std::mt19937 rng(20261204);
  for (std::size_t n = 0; n <= 64; ++n) {
    Bytes data(n);
    for (auto& b : data) b = static_cast<std::uint8_t>(rng());
    for (bool upper : {false, true}) {
      std::string hrp = upper ? "AGE-SECRET-KEY-" : "age";
      std::string text = EncodeBech32(hrp, data, upper);
      Result<Bech32> d = DecodeBech32(text);
      REQUIRE_MESSAGE(d.ok(), text);
      CHECK(d->hrp == hrp);
      CHECK(d->data == data);
      // One character changed anywhere after the separator, to another of
      // the alphabet or to one outside it: never the same bytes back.
      std::size_t sep = text.rfind('1');
      std::size_t at = sep + 1 + rng() % (text.size() - sep - 1);
      for (char c : std::string("qpzry9x8gf2tvdw0s3jn54khce6mua7lbio")) {
        std::string typo = text;
        typo[at] = upper ? static_cast<char>(std::toupper(c)) : c;
        if (typo == text) continue;
        Result<Bech32> t = DecodeBech32(typo);
        CHECK_MESSAGE(!t.ok(), typo);
      }
    }
  }
  // Under valid checksums: five bits left over, and two bits not zero.
  CHECK_FAILS_WITH(DecodeBech32("a1lmyple6"), Code::kMalformed, "padding");
  CHECK_FAILS_WITH(DecodeBech32("a1qpamnt9j"), Code::kMalformed, "padding");
  CHECK_FAILS_WITH(DecodeBech32("a1qqbqqqqqq"), Code::kMalformed,
                   "invalid Bech32 character 'b'");
}

TEST_CASE("age key strings parse strictly and name what is wrong") {
  Result<SecretBuffer> id = age::ParseIdentity(
      "AGE-SECRET-KEY-"
      "1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0");
  REQUIRE(id.ok());
  CHECK(ToHex(id->span()) ==
        "ca1626252c53cf1a4dc46695e7fcc46594cb4ccadedb6712dfda0753f3ae355e");
  CHECK_FAILS_WITH(
      age::ParseIdentity(
          "age-secret-key-"
          "1egtzvffv20835nwyv6270lxyvk2vknx2mmdkwyklmgr48uawx40q2p2lm0"),
      Code::kBadKey, "expected \"AGE-SECRET-KEY-1");
  CHECK_FAILS_WITH(age::ParseIdentity("AGE-SECRET-KEY-PQ-1ABC"),
                   Code::kUnsupported, "post-quantum");
  CHECK_FAILS_WITH(age::ParseRecipient("RWQf6LRCGA9i53mlYecO4IzT51TGPpvW"),
                   Code::kBadKey, "expected \"age1");
  // An X25519 recipient whose data happens to begin "tag" is one (it was
  // once taken for a hardware-tag recipient: one key in about 33 000);
  // those, and post-quantum ones, are told by their own prefix.
  std::string tagged =
      "age1tagac08k96gz6u9vzav9f3eqw6lk806lt7ygjc7a5tdgfkw7ft8qs4m5d5";
  REQUIRE(age::ParseRecipient(tagged).ok());
  CHECK(age::EncodeRecipient(*age::ParseRecipient(tagged)) == tagged);
  Bytes some(33, 7);
  CHECK_FAILS_WITH(age::ParseRecipient(EncodeBech32("age1tag", some, false)),
                   Code::kUnsupported, "hardware-tag");
  CHECK_FAILS_WITH(age::ParseRecipient(EncodeBech32("age1pq", some, false)),
                   Code::kUnsupported, "post-quantum");
  CHECK(
      age::EncodeRecipient(*age::ParseRecipient(
          "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj")) ==
      "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj");
}

TEST_CASE("identity files allow comments and CRLF, and name the bad line") {
  std::string file =
      "# created: now\r\n\r\n"
      "AGE-SECRET-KEY-"
      "1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0\r\n";
  Result<std::vector<SecretBuffer>> ids = age::ParseIdentityFile(file);
  REQUIRE(ids.ok());
  CHECK(ids->size() == 1);
  CHECK_FAILS_WITH(age::ParseIdentityFile("# only a comment\n"), Code::kBadKey,
                   "no identity found");
  CHECK_FAILS_WITH(age::ParseIdentityFile("# c\nhello\n"), Code::kBadKey,
                   "line 2: not an age identity");
}

age::Header Parse(std::string_view text, const age::HeaderLimits& limits = {}) {
  MemorySource src(AsBytes(text));
  BufferedReader r(&src);
  Result<age::Header> h = age::ReadHeader(r, limits);
  REQUIRE_MESSAGE(h.ok(), h.status().ToString());
  return std::move(h).value();
}

Status ParseError(std::string_view text, const age::HeaderLimits& limits = {}) {
  MemorySource src(AsBytes(text));
  BufferedReader r(&src);
  Result<age::Header> h = age::ReadHeader(r, limits);
  REQUIRE(!h.ok());
  return h.status();
}

constexpr std::string_view kHeader =
    "age-encryption.org/v1\n"
    "-> X25519 MoaJTNKEWm22oo+/BndgX4DlpiOFv04Qp5CuX942c2s\n"
    "rHqx5StqbCQrS0veldhnHavd2K305dkZ2rT2+wKD1mY\n"
    "--- ix1O6ll6grhqtoQo3drctCfffzb4+nR0Gea8ayyd7So\n";

TEST_CASE("an age header parses and re-encodes to the same bytes") {
  age::Header h = Parse(kHeader);
  REQUIRE(h.stanzas.size() == 1);
  CHECK(h.stanzas[0].type() == "X25519");
  CHECK(h.stanzas[0].line == 2);
  CHECK(h.stanzas[0].body.size() == 32);
  CHECK(h.size == kHeader.size());
  Bytes again = age::EncodeHeaderWithoutMac(h.stanzas);
  CHECK(AsChars(again) == kHeader.substr(0, kHeader.size() - 45));
  CHECK(again == h.mac_input);
  age::AppendMacLine(again, h.mac);
  CHECK(AsChars(again) == kHeader);
}

TEST_CASE("a stanza body of a multiple of 64 columns ends with an empty line") {
  age::Stanza s;
  s.args = {"test"};
  s.body = Bytes(48, 0);
  Bytes h = age::EncodeHeaderWithoutMac({s});
  CHECK(AsChars(h) ==
        "age-encryption.org/v1\n-> test\n" + std::string(64, 'A') + "\n\n---");
  age::AppendMacLine(h, Bytes(32, 0));
  age::Header back = Parse(AsChars(h));
  CHECK(back.stanzas[0].body == s.body);
}

TEST_CASE("malformed age headers are rejected with the line and the reason") {
  CHECK_FAILS_WITH(ParseError("age-encryption.org/v2\n"), Code::kUnsupported,
                   "header line 1: unsupported age format version");
  CHECK_FAILS_WITH(ParseError("age-encryption.org/v1\r\n"), Code::kMalformed,
                   "CRLF line endings");
  CHECK_FAILS_WITH(ParseError("PK\x03\x04zip"), Code::kMalformed,
                   "not an age file");
  CHECK_FAILS_WITH(ParseError(""), Code::kTruncated,
                   "ends inside the age header");
  CHECK_FAILS_WITH(ParseError("age-encryption.org/v1\n-> X25519  a\n\n---"),
                   Code::kMalformed, "header line 2: empty stanza argument");
  CHECK_FAILS_WITH(ParseError("age-encryption.org/v1\n->\n"), Code::kMalformed,
                   "stanza has no type");
  CHECK_FAILS_WITH(ParseError("age-encryption.org/v1\n-> a\naGl\n--- x\n"),
                   Code::kMalformed,
                   "header line 3: stanza body: base64 is not canonical");
  CHECK_FAILS_WITH(ParseError("age-encryption.org/v1\n-> a\n" +
                              std::string(64, 'A') + "\n--- x\n"),
                   Code::kMalformed, "ended without a short final body line");
  CHECK_FAILS_WITH(ParseError("age-encryption.org/v1\n-> a\n\n---  x\n"),
                   Code::kMalformed, "malformed MAC line");
  CHECK_FAILS_WITH(ParseError("age-encryption.org/v1\n---"
                              " AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"),
                   Code::kMalformed, "no recipient stanzas");
  CHECK_FAILS_WITH(ParseError("age-encryption.org/v1\n-> a\r\n\n"),
                   Code::kMalformed, "carriage return");
}

TEST_CASE("the header parser enforces its size and stanza limits") {
  std::string many = "age-encryption.org/v1\n";
  for (int i = 0; i < 5; ++i) many += "-> a\n\n";
  many += "--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n";
  age::HeaderLimits few;
  few.max_stanzas = 4;
  CHECK_FAILS_WITH(ParseError(many, few), Code::kMalformed,
                   "more than 4 recipient");
  age::HeaderLimits small;
  small.max_bytes = 40;
  CHECK_FAILS_WITH(ParseError(many, small), Code::kMalformed,
                   "header larger than 40 bytes");
  CHECK(Parse(many).stanzas.size() == 5);
}

std::string Armor(ByteSpan data) {
  Bytes out;
  MemorySink sink(&out);
  age::ArmorWriter w(&sink);
  REQUIRE(w.Write(data).ok());
  REQUIRE(w.Finish().ok());
  return std::string(AsChars(out));
}

Result<Bytes> Dearmor(std::string_view text) {
  MemorySource src(AsBytes(text));
  BufferedReader r(&src);
  age::ArmorReader a(&r);
  Bytes out;
  MemorySink sink(&out);
  Status s = Copy(a, sink, 7);
  if (!s.ok()) return s;
  return out;
}

TEST_CASE("armor round-trips every length without an empty line before END") {
  for (std::size_t n : {0, 1, 47, 48, 49, 96, 1000}) {
    Bytes data = test::Pattern(n);
    std::string text = Armor(data);
    CHECK(text.rfind("-----BEGIN AGE ENCRYPTED FILE-----\n", 0) == 0);
    CHECK(text.find("\n\n") == std::string::npos);
    Result<Bytes> back = Dearmor(text);
    REQUIRE(back.ok());
    CHECK(*back == data);
  }
}

TEST_CASE("armor reading tolerates outside whitespace and CRLF, nothing else") {
  std::string good = Armor(AsBytes("hello"));
  CHECK(Dearmor("\n  \t\n" + good + "\n\n ").ok());
  std::string crlf;
  for (char c : good) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  CHECK(Dearmor(crlf).ok());
  CHECK_FAILS_WITH(Dearmor(good + "x"), Code::kMalformed,
                   "data after the END line");
  CHECK_FAILS_WITH(
      Dearmor("junk\n" + good), Code::kMalformed,
      "armor: line 1: expected \"-----BEGIN AGE ENCRYPTED FILE-----\"");
  CHECK_FAILS_WITH(Dearmor(good.substr(0, good.size() - 33)), Code::kMalformed,
                   "without its END line");
  std::string spaced = good;
  spaced.insert(spaced.find('\n') + 1, "\n");
  CHECK_FAILS_WITH(Dearmor(spaced), Code::kMalformed,
                   "empty line inside the armor");
}

TEST_CASE("minisign public key files parse and re-encode exactly") {
  constexpr std::string_view kPub =
      "untrusted comment: minisign public key 0807060504030201\n"
      "RWQBAgMEBQYHCAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4\n";
  Result<minisign::PublicKey> pk = minisign::ParsePublicKeyFile(kPub);
  REQUIRE(pk.ok());
  CHECK(minisign::KeyIdToString(pk->key_id) == "0807060504030201");
  CHECK(minisign::KeyIdIs(pk->key_id, "0807060504030201"));
  CHECK_FALSE(minisign::KeyIdIs(pk->key_id, "0102030405060708"));
  CHECK_FALSE(minisign::KeyIdIs(pk->key_id, "080706050403020"));
  CHECK_FALSE(minisign::KeyIdIs(pk->key_id, "08070605040302010"));
  CHECK_FALSE(minisign::KeyIdIs(pk->key_id, "0807060504030200"));
  CHECK(ToHex(pk->key) ==
        "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8");
  CHECK(minisign::EncodePublicKeyFile(*pk) == kPub);
  CHECK_FAILS_WITH(minisign::ParsePublicKeyFile(kPub.substr(56)),
                   Code::kTruncated, "has 1 line(s), expected 2");
  CHECK_FAILS_WITH(minisign::ParsePublicKeyFile(std::string(kPub) + "more\n"),
                   Code::kTrailingData, "unexpected data after line 2");
  CHECK_FAILS_WITH(
      minisign::ParsePublicKeyString("RWQBAgMEBQYHCAOhB7/zzhC+HXDdGOdL"),
      Code::kBadKey, "not a minisign public key");
}

constexpr std::string_view kSig =
    "untrusted comment: signature from minisign secret key\n"
    "RUQf6LRCGA9i559r3g7V1qNyJDApGip8MfqcadIgT9CuhV3EMhHoN1mGTkUidF/"
    "z7SrlQgXdy8ofjb7bNJJylDOocrCo8KLzZwo=\n"
    "trusted comment: timestamp:1635443258\tfile:test\thashed\n"
    "/cj37GK60vryibFn+"
    "ftOgbCvW9NKhKYgjVpFFQUcWPAnjO23wrvVDTt7cloNC06maoBli9q6qwZDXXoaxweICQ==\n";

TEST_CASE("minisign signature files parse strictly and re-encode exactly") {
  Result<minisign::Signature> sig = minisign::ParseSignatureFile(kSig);
  REQUIRE(sig.ok());
  CHECK(sig->algorithm == minisign::SignatureAlgorithm::kPrehashed);
  CHECK(minisign::KeyIdToString(sig->key_id) == "E7620F1842B4E81F");
  CHECK(sig->trusted_comment == "timestamp:1635443258\tfile:test\thashed");
  CHECK(minisign::EncodeSignatureFile(*sig) == kSig);

  std::string crlf(kSig);
  crlf.insert(crlf.find('\n'), "\r");
  CHECK_FAILS_WITH(minisign::ParseSignatureFile(crlf), Code::kMalformed,
                   "CRLF line endings");
  CHECK_FAILS_WITH(minisign::ParseSignatureFile(std::string(kSig) + "x\n"),
                   Code::kTrailingData, "unexpected data after line 4");
  CHECK_FAILS_WITH(minisign::ParseSignatureFile(kSig.substr(0, 200)),
                   Code::kTruncated, "expected 4");
  std::string other(kSig);
  other.replace(other.find("trusted comment: timestamp"), 16,
                "trusted_comment:");
  CHECK_FAILS_WITH(minisign::ParseSignatureFile(other), Code::kMalformed,
                   "line 3: expected \"trusted comment: ...\"");
  std::string bad_b64(kSig);
  bad_b64[60] = '*';
  CHECK_FAILS_WITH(minisign::ParseSignatureFile(bad_b64), Code::kMalformed,
                   "line 2: invalid base64 character '*'");
}

TEST_CASE("trusted comments must be printable UTF-8 on one line") {
  CHECK(minisign::CheckTrustedComment("timestamp:1\tfile:x").ok());
  CHECK_FAILS_WITH(minisign::CheckTrustedComment("a\nb"),
                   Code::kInvalidArgument, "control character (0x0a)");
  CHECK_FAILS_WITH(minisign::CheckTrustedComment("\xff"),
                   Code::kInvalidArgument, "not valid UTF-8");
  CHECK_FAILS_WITH(minisign::CheckTrustedComment(std::string(8174, 'a')),
                   Code::kInvalidArgument, "longer than 8173");
}

TEST_CASE("UTF-8 validation rejects overlongs, surrogates and truncation") {
  CHECK(IsValidUtf8("学籍 abc"));
  CHECK_FALSE(IsValidUtf8("\xc0\x80"));
  CHECK_FALSE(IsValidUtf8("\xed\xa0\x80"));
  CHECK_FALSE(IsValidUtf8("\xe5\xad"));
  CHECK_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));
}

TEST_CASE("audit.json: exact bytes, strings escaped") {
  audit::Audit a{"340102", 2, 3, 1, 1, {}};
  CHECK(audit::Serialize(a) ==
        "{\"office\":\"340102\",\"children\":2,\"schools\":3,\"errors\":1,"
        "\"warnings\":1,\"findings\":[\n  ]}\n");
  a.findings.push_back({true, "2134000000/students.csv", 7, "id_number",
                        "citizen-id.check-digit", "say \"x\"\\\n",
                        "3401**********123X"});
  a.findings.push_back({false, "学校", 0, "", "r", "m", ""});
  CHECK(
      audit::Serialize(a) ==
      "{\"office\":\"340102\",\"children\":2,\"schools\":3,\"errors\":1,"
      "\"warnings\":1,\"findings\":[\n"
      "  {\"severity\":\"error\",\"file\":\"2134000000/students.csv\","
      "\"line\":7,\"field\":\"id_number\",\"rule\":\"citizen-id.check-digit\","
      "\"message\":\"say "
      "\\\"x\\\"\\\\\\u000a\",\"value\":\"3401**********123X\"},\n"
      "  {\"severity\":\"warning\",\"file\":\"学校\",\"line\":0,\"field\":\"\","
      "\"rule\":\"r\",\"message\":\"m\",\"value\":\"\"}]}\n");
}

TEST_CASE("home files: canonical forms round trip, anything else is refused") {
  home::Office office{"340102", trust::Level::kCounty, "瑶海区教育体育局"};
  std::string text = home::SerializeOffice(office);
  CHECK(
      text ==
      "xjpack-office/1\ncode: 340102\nlevel: county\nname: 瑶海区教育体育局\n");
  Result<home::Office> back = home::ParseOffice(text, "office");
  REQUIRE(back.ok());
  CHECK(back->code == "340102");
  CHECK(back->level == trust::Level::kCounty);
  CHECK(back->name == office.name);
  CHECK_FAILS_WITH(home::ParseOffice("xjpack-office/2\n", "h/office"),
                   Code::kMalformed, "h/office: not an office file");
  CHECK_FAILS_WITH(home::ParseOffice(text + "x\n", "office"), Code::kMalformed,
                   "unexpected lines after name");
  CHECK_FAILS_WITH(
      home::ParseOffice("xjpack-office/1\ncode: 34\nlevel: county\nname: x\n",
                        "office"),
      Code::kMalformed, "code: not an office code");
  CHECK_FAILS_WITH(
      home::ParseOffice("xjpack-office/1\ncode: 340102\nlevel: town\nname: x\n",
                        "office"),
      Code::kMalformed, "level: expected province, city, county or school");

  std::string hash(64, 'a');
  CHECK(home::SerializeStream({7, hash}) == "seq 7\nprev " + hash + "\n");
  Result<home::Stream> st =
      home::ParseStream("seq 7\nprev " + hash + "\n", "s");
  REQUIRE(st.ok());
  CHECK(st->last_seq == 7);
  CHECK(st->last_hash == hash);
  CHECK(home::ParseStream("seq 0\nprev none\n", "s").ok());
  // What sscanf let through: leading zeros, an uppercase or short hash,
  // spaces, a missing line end, more lines.
  for (const std::string& bad : std::vector<std::string>{
           "seq 07\nprev none\n", "seq 7\nprev " + std::string(64, 'A') + "\n",
           "seq 7\nprev abc\n", "seq  7\nprev none\n", "seq 7\nprev none",
           "seq 7\nprev none\nseq 8\n", "seq -1\nprev none\n", ""}) {
    CAPTURE(bad);
    CHECK_FAILS_WITH(home::ParseStream(bad, "streams/a-b"), Code::kMalformed,
                     "streams/a-b: not a stream state");
  }

  CHECK(home::SerializeSerialCounter(12) == "12\n");
  CHECK(*home::ParseSerialCounter("12\n", "c") == 12);
  CHECK_FAILS_WITH(home::ParseSerialCounter("012\n", "counters/serial-3401"),
                   Code::kMalformed,
                   "counters/serial-3401: not a serial counter");
}

}  // namespace
}  // namespace xj::formats

namespace xj::formats::bagit {
namespace {

TEST_CASE("one rule for a bag's names: full Unicode case folding and NFC") {
  CHECK(FoldedPath("data/Photos/A.jpg") == FoldedPath("data/photos/a.JPG"));
  CHECK(FoldedPath("\u00c9.jpg") == FoldedPath("\u00e9.jpg"));  // É é
  CHECK(FoldedPath("\uff21.jpg") == FoldedPath("\uff41.jpg"));  // Ａ ａ
  CHECK(FoldedPath("Stra\u00dfe") == FoldedPath("STRASSE"));    // ß
  // Case, not compatibility: a full-width letter is not its ASCII one,
  // and NFC keeps a precomposed and a decomposed É together.
  CHECK(FoldedPath("\uff21") != FoldedPath("A"));
  CHECK(FoldedPath("E\u0301") == FoldedPath("\u00e9"));
  PathSet set;
  CHECK(set.Add("data/photos/\u00c9.jpg") == PathSet::Clash::kNone);
  CHECK(set.Add("data/photos/x.jpg") == PathSet::Clash::kNone);
  CHECK(set.Add("data/photos/\u00e9.jpg") == PathSet::Clash::kCase);
  CHECK(set.clashed_with() == "data/photos/\u00c9.jpg");
  CHECK(set.Add("data/photos/x.jpg") == PathSet::Clash::kSame);
  CHECK(set.Add("data/PHOTOS/X.JPG") == PathSet::Clash::kCase);
  CHECK(set.clashed_with() == "data/photos/x.jpg");
}

}  // namespace
}  // namespace xj::formats::bagit
