// Pins the xjtrust/1 bundle statement and the BagIt tag files: byte-exact
// round trips, and one named refusal for every way the text can be wrong.
#include <doctest/doctest.h>

#include <string>

#include "formats/bagit.h"
#include "formats/statement.h"
#include "formats/trust_statements.h"

namespace xj::formats {
namespace {

const std::string kH64(64, 'a');
const std::string kH128(128, 'b');

trust::BundleStatement Sample() {
  trust::BundleStatement b;
  b.id = "3401020001-340102-000007";
  b.sender = "3401020001";
  b.sender_ref = "none";
  b.recipient = "340102";
  b.copy_to = {"340100", "340104f"};
  b.kind = "census";
  b.period = "2026-09-30";
  b.seq = 7;
  b.prev = kH64;
  b.created = "2026-10-08T09:30:00Z";
  b.root_version = 1;
  b.schema = "anhui-registry 2026.1";
  b.schema_sha256 = kH64;
  b.allow_errors = 2;
  b.bag_tagmanifest_sha512 = kH128;
  b.bag_oxum = "123456.10";
  b.volumes = {{1, 4294967295, kH128}, {2, 17, kH128}};
  b.records = 950;
  b.children = {{kH64, "3401020002-340102-000001"}};
  b.audit = trust::AuditSummary{
      3,
      2,
      {{"merge.missing", 0, 2}, {"students.id-duplicate", 3, 0}},
      {"3401020003", "3401020004"},
      {"3401020009"}};
  b.crls = {{"340100", 3, kH64}};
  return b;
}

const char kSampleText[] =
    "xjtrust/1 bundle\n"
    "id: 3401020001-340102-000007\n"
    "sender: 3401020001\n"
    "sender-ref: none\n"
    "recipient: 340102\n"
    "copy-to: 340100\n"
    "copy-to: 340104f\n"
    "kind: census\n"
    "period: 2026-09-30\n"
    "seq: 7\n"
    "prev: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
    "created: 2026-10-08T09:30:00Z\n"
    "root-version: 1\n"
    "schema: anhui-registry 2026.1\n"
    "schema-sha256: "
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
    "allow-errors: 2\n"
    "bag-tagmanifest-sha512: "
    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n"
    "bag-oxum: 123456.10\n"
    "volume: 001 4294967295 "
    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n"
    "volume: 002 17 "
    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n"
    "records: 950\n"
    "child: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa "
    "3401020002-340102-000001\n"
    "audit: 3 2\n"
    "audit-rule: merge.missing 0 2\n"
    "audit-rule: students.id-duplicate 3 0\n"
    "audit-silent: 3401020003\n"
    "audit-silent: 3401020004\n"
    "audit-changed: 3401020009\n"
    "crl: 340100 3 "
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n";

// The sample with one line replaced (by its label), or removed ("").
std::string With(std::string_view label, std::string_view line) {
  std::string text = kSampleText;
  std::string key = "\n" + std::string(label) + ": ";
  std::size_t at = text.find(key);
  REQUIRE(at != std::string::npos);
  std::size_t end = text.find('\n', at + 1);
  std::string repl = line.empty() ? "" : "\n" + std::string(line);
  text.replace(at, end - at, repl);
  return text;
}

std::string Replace(std::string s, const std::string& from,
                    const std::string& to) {
  std::size_t at = s.find(from);
  REQUIRE(at != std::string::npos);
  return s.replace(at, from.size(), to);
}

void Refused(const std::string& text, std::string_view message) {
  INFO("expected: ", message);
  Result<trust::BundleStatement> r = trust::ParseBundle(text);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kMalformed);
  CHECK_MESSAGE(r.status().message().find(message) != std::string::npos,
                r.status().message());
}

TEST_CASE("a bundle statement serialises to fixed bytes and parses back") {
  std::string text = trust::SerializeBundle(Sample());
  CHECK(text == kSampleText);
  Result<trust::BundleStatement> r = trust::ParseBundle(text);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  CHECK(trust::SerializeBundle(*r) == text);
  CHECK(r->copy_to == std::vector<std::string>{"340100", "340104f"});
  CHECK(r->volumes.size() == 2);
  CHECK(r->volumes[0].size == 4294967295u);
  CHECK(r->allow_errors == 2u);
  CHECK(r->children[0].id == "3401020002-340102-000001");
  CHECK(r->crls[0].number == 3u);
  REQUIRE(r->audit.has_value());
  CHECK(r->audit->errors == 3u);
  CHECK(r->audit->rules[1].rule == "students.id-duplicate");
  CHECK(r->audit->silent[1] == "3401020004");
}

TEST_CASE("a merged bundle's audit: with its children, counted by rule") {
  const std::string good = kSampleText;
  {
    trust::BundleStatement no_audit = Sample();
    no_audit.audit.reset();
    Refused(trust::SerializeBundle(no_audit),
            "a merged bundle without its audit line");
  }
  Refused(With("audit", ""),
          "line 23: audit-rule: expected an audit line before it");
  trust::BundleStatement school = Sample();
  school.children.clear();
  Refused(trust::SerializeBundle(school),
          "an audit, and the bundle holds no child");
  Refused(With("audit", "audit: 4 2"),
          "the audit-rule lines count 3 errors and 2 warnings, the audit line "
          "4 and 2");
  Refused(Replace(good, "merge.missing 0 2", "merge.missing 0 0"),
          "line 24: audit-rule: expected \"<rule id> <errors> <warnings>\", "
          "not both 0");
  Refused(Replace(good, "merge.missing 0 2", "Merge.Missing 0 2"),
          "line 24: audit-rule: expected");
  Refused(Replace(good, "students.id-duplicate 3 0", "merge.missing 3 0"),
          "line 25: audit-rule: expected rules in increasing order, each once");
  Refused(
      Replace(good, "audit-silent: 3401020004", "audit-silent: 3401020003"),
      "line 27: repeated \"audit-silent\" lines must be sorted and distinct");
  Refused(Replace(good, "audit-silent: 3401020004", "audit-silent: nobody"),
          "line 27: audit-silent: expected an office code");
  Refused(Replace(good, "audit-changed: 3401020009", "audit-changed: x"),
          "line 28: audit-changed: expected an office code");
}

TEST_CASE("the minimal statement: optional lines absent") {
  trust::BundleStatement b = Sample();
  b.copy_to.clear();
  b.allow_errors.reset();
  b.children.clear();
  b.audit.reset();
  b.crls.clear();
  b.volumes.resize(1);
  std::string text = trust::SerializeBundle(b);
  CHECK(text.find("copy-to") == std::string::npos);
  CHECK(text.find("allow-errors") == std::string::npos);
  Result<trust::BundleStatement> r = trust::ParseBundle(text);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  CHECK(trust::SerializeBundle(*r) == text);
}

TEST_CASE("statement text rules: each violation is named") {
  std::string good = kSampleText;
  Refused("\xEF\xBB\xBF" + good, "line 1: byte order mark");
  std::string crlf = good;
  crlf.insert(crlf.find('\n'), "\r");
  Refused(crlf, "carriage return");
  Refused(good.substr(0, good.size() - 1), "does not end with a line feed");
  Refused("xjtrust/1 cert\n" + good.substr(good.find('\n') + 1),
          "line 1: expected \"xjtrust/1 bundle\"");
  Refused("hello\n", "line 1: not an xjtrust statement");
  Refused(With("kind", "kind: census\n"), "line 9: blank line");
  Refused(With("kind", "kind: census "),
          "line 8: kind: value begins or ends with a space");
  Refused(With("kind", "kind:census"), "line 8: expected \"label: value\"");
  Refused(With("kind", "note: hello"), "line 8: unknown label \"note\"");
  Refused(With("kind", "Kind: census"), "line 8: bad label");
  Refused(With("sender", ""), "\"sender\" is missing");
  Refused(With("records", ""), "\"records\" is missing");
  // Fixed order; a repeated label only where allowed, sorted and distinct.
  Refused(With("sender-ref", "recipient: 340102\nsender-ref: none"),
          "line 4: \"recipient\" is out of order: \"sender-ref\" comes "
          "before it");
  Refused(With("kind", "kind: census\nid: 3401020001-340102-000007"),
          "line 9: \"id\" is out of order");
  Refused(With("kind", "kind: census\nkind: census"),
          "line 9: \"kind\" appears twice");
  Refused(With("copy-to", "copy-to: 340104f\ncopy-to: 340100"),
          "repeated \"copy-to\" lines must be sorted and distinct");
  // Characters that would let two texts look alike.
  Refused(With("schema", "schema: anhui\xE2\x80\xAE registry"),
          "line 14: schema: value holds a control, bidi or invisible");
  Refused(With("schema", "schema: anhui\xE2\x80\x8B registry"),
          "value holds a control, bidi or invisible");
  Refused(With("schema", "schema: caf\x65\xCC\x81 1"),
          "value is not in Unicode normal form C");
  Refused(With("schema", "schema: anhui\x01 1"), "control");
  Refused(With("schema", "schema: \xFF 1"), "invalid UTF-8");
  Refused(std::string(kSampleText) + std::string(1 << 20, 'x') + "\n",
          "larger than 1048576 bytes");
  Refused(With("schema", "schema: " + std::string(5000, 'x')),
          "line 14: line too long");
}

TEST_CASE("bundle statement values: each bad value is named") {
  Refused(With("sender", "sender: 34"),
          "line 3: sender: expected an office code");
  Refused(With("recipient", "recipient: 340102X"), "expected an office code");
  Refused(With("prev", "prev: " + std::string(64, 'A')),
          "prev: expected 64 lowercase hex digits or none");
  Refused(With("kind", "kind: audit"), "kind: expected census, changes");
  Refused(With("period", "period: 2026-10-01"),
          "period: expected a census date YYYY-09-30");
  Refused(With("seq", "seq: 07"), "line 10: seq: expected a number from 1");
  Refused(With("seq", "seq: 0"), "seq: expected a number from 1");
  Refused(With("seq", "seq: 99999999999999999999999"),
          "seq: expected a number");
  Refused(With("created", "created: 2026-02-30T09:30:00Z"),
          "created: expected a UTC time");
  Refused(With("created", "created: 2026-10-08 09:30:00"),
          "created: expected a UTC time");
  Refused(With("allow-errors", "allow-errors: 0"),
          "allow-errors: expected a number from 1");
  Refused(With("bag-oxum", "bag-oxum: 12"),
          "bag-oxum: expected \"<octets>.<files>\"");
  Refused(With("bag-tagmanifest-sha512", "bag-tagmanifest-sha512: " + kH64),
          "expected 128 lowercase hex digits");
  Refused(With("records", "records: -1"), "records: expected a number");
  // Volumes are numbered 001, 002, ... with nothing skipped.
  std::string v = kSampleText;
  v.replace(v.find("volume: 002"), 11, "volume: 003");
  Refused(v, "volume: expected volume 002 next");
  std::string short_number = kSampleText;
  short_number.replace(short_number.find("volume: 002"), 11, "volume: 2");
  Refused(short_number, "line 20: volume: expected \"<nnn> <size> <sha512>\"");
  // The id is sender-recipient-seq; the recipient is no copy-to; only a
  // correction supersedes, and a correction must.
  Refused(With("id", "id: 3401020001-340102-000008"),
          "line 2: id: expected 3401020001-340102-000007");
  Refused(With("copy-to", "copy-to: 340102"),
          "the recipient is also listed as copy-to");
  Refused(With("copy-to", "copy-to: 3401020001"),
          "the sender is also a recipient of its own bundle");
  Refused(With("prev", "prev: none"), "only seq 1 may have prev none");
  {
    trust::BundleStatement first = Sample();
    first.seq = 1;
    first.id = "3401020001-340102-000001";
    CHECK(
        trust::ParseBundle(trust::SerializeBundle(first)).status().message() ==
        "seq 1 opens a stream: its prev must be none");
    first.prev = "none";
    CHECK(trust::ParseBundle(trust::SerializeBundle(first)).ok());
  }
  Refused(With("kind", "kind: correction"),
          "a correction, and only a correction, names what it supersedes");
  Refused(
      With("period",
           "period: 2026-09-30\nsupersedes: 3401020001-340102-000006 " + kH64),
      "a correction, and only a correction");
}

TEST_CASE("IsHex takes lower-case hex digits of the length asked, only") {
  CHECK(trust::IsHex("0123456789abcdef", 16));
  CHECK_FALSE(trust::IsHex("0123456789abcdef", 15));
  CHECK(trust::IsHex("", 0));
  // Every byte but the sixteen, in every position of a 64-digit string.
  for (int b = 0; b < 256; ++b) {
    char c = static_cast<char>(b);
    bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    for (std::size_t at : {0, 31, 63}) {
      std::string s(64, 'a');
      s[at] = c;
      CHECK(trust::IsHex(s, 64) == hex);
    }
  }
}

TEST_CASE("office codes and UTC times") {
  for (const char* ok : {"3401", "340102", "340104f", "3401020001"})
    CHECK_MESSAGE(trust::IsOfficeCode(ok), ok);
  for (const char* bad :
       {"", "34", "34010", "3401020", "340104F", "340104fg", "34010200011"})
    CHECK_MESSAGE(!trust::IsOfficeCode(bad), bad);
  CHECK(trust::IsUtcTime("2028-02-29T23:59:59Z"));
  CHECK_FALSE(trust::IsUtcTime("2027-02-29T00:00:00Z"));
  CHECK_FALSE(trust::IsUtcTime("2026-10-08T24:00:00Z"));
  CHECK(trust::BundleId("3401020001", "340102", 7) ==
        "3401020001-340102-000007");
}

TEST_CASE(
    "bag-info.txt: canonical form round trips, anything else is refused") {
  bagit::BagInfo info;
  info.agent = "xjpack 0.1.0";
  info.bagging_date = "2026-10-08";
  info.external_identifier = "3401020001-340102-000007";
  info.payload_oxum = "123.4";
  info.source_organization = "3401020001";
  info.schema = "anhui-registry 2026.1 " + kH64;
  std::string text = bagit::SerializeBagInfo(info);
  CHECK(text ==
        "Bag-Software-Agent: xjpack 0.1.0\n"
        "Bagging-Date: 2026-10-08\n"
        "External-Identifier: 3401020001-340102-000007\n"
        "Payload-Oxum: 123.4\n"
        "Source-Organization: 3401020001\n"
        "XJ-Schema: anhui-registry 2026.1 " +
            kH64 + "\n");
  Result<bagit::BagInfo> back = bagit::ParseBagInfo(text);
  REQUIRE_MESSAGE(back.ok(), back.status().ToString());
  CHECK(bagit::SerializeBagInfo(*back) == text);
  info.allow_errors = "电话号码正在与家长核实";
  std::string with_reason = bagit::SerializeBagInfo(info);
  CHECK(with_reason.find("\nXJ-Allow-Errors: 电话号码正在与家长核实\n") !=
        std::string::npos);
  REQUIRE(bagit::ParseBagInfo(with_reason).ok());
  CHECK(bagit::ParseBagInfo(with_reason)->allow_errors == info.allow_errors);

  auto refused = [](const std::string& t) {
    Result<bagit::BagInfo> r = bagit::ParseBagInfo(t);
    CHECK(r.status().code() == Code::kMalformed);
    return r.ok() ? std::string() : r.status().message();
  };
  std::string missing = text;
  missing.erase(missing.find("Payload-Oxum"),
                missing.find("Source-") - missing.find("Payload-Oxum"));
  CHECK(refused(missing).find("bag-info.txt: line 4: expected Payload-Oxum") !=
        std::string::npos);
  CHECK(!refused("Contact-Name: someone\n" + text).empty());
  std::string crlf = text;
  crlf.insert(crlf.find('\n'), "\r");
  CHECK(!refused(crlf).empty());
}

TEST_CASE("manifest lines and paths") {
  CHECK(bagit::ManifestLine(kH128, "data/registry/school.csv") ==
        kH128 + "  data/registry/school.csv\n");
  CHECK(bagit::Oxum(123, 4) == "123.4");
  Result<std::vector<std::pair<std::string, std::string>>> m =
      bagit::ParseManifest(kH128 + "  data/a.csv\n" + kH128 + "  data/b.csv\n");
  REQUIRE_MESSAGE(m.ok(), m.status().ToString());
  CHECK(m->size() == 2);
  CHECK((*m)[1].first == "data/b.csv");
  CHECK_FALSE(
      bagit::ParseManifest(kH128 + "  data/b.csv\n" + kH128 + "  data/a.csv\n")
          .ok());
  CHECK_FALSE(
      bagit::ParseManifest(kH128 + "  data/a.csv\n" + kH128 + "  data/a.csv\n")
          .ok());
  CHECK_FALSE(bagit::ParseManifest(kH128 + " data/a.csv\n").ok());

  for (const char* ok :
       {"data/registry/school.csv",
        "data/registry/photos/340102201001010011.jpg", "data/学校/名单.csv"}) {
    CHECK_MESSAGE(bagit::CheckPath(ok).ok(), ok);
  }
  for (const char* bad :
       {"", "/etc/passwd", "data/../x", "data/./x", "data//x", "data/x/",
        "data\\x", "data/a:b", "data/a*b", "data/CON", "data/nul.txt",
        "data/com1", "data/a\x01", "data/e\xCC\x81"}) {
    CHECK_MESSAGE(!bagit::CheckPath(bad).ok(), bad);
  }
  CHECK_FALSE(bagit::CheckPath("data/" + std::string(300, 'x')).ok());
}

// ---- root, cert, crl, receipt ----

trust::KeyEntry FakeKey(std::uint8_t n, std::string role) {
  trust::KeyEntry e;
  for (std::size_t i = 0; i < 8; ++i)
    e.key.key_id[i] = static_cast<std::uint8_t>(n + i);
  e.key.key.fill(n);
  e.role = std::move(role);
  return e;
}

std::string KeyLine(std::uint8_t n, const std::string& role) {
  return "key: " + trust::KeyEntryValue(FakeKey(n, role)) + "\n";
}

trust::CertStatement SampleCert() {
  trust::CertStatement c;
  c.serial = "3401-000017";
  c.issuer = "3401";
  c.issuer_keys = {"0807060504030201"};
  c.subject = "340104";
  c.subject_name = "蜀山区教育体育局";
  c.level = trust::Level::kCounty;
  c.scope = {"340104"};
  c.keys = {FakeKey(1, "clerk"), FakeKey(2, "clerk"), FakeKey(3, "leader"),
            FakeKey(4, "leader")};
  c.enc = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";
  c.may_certify = {trust::Level::kSchool};
  c.issue_policy = *trust::ParsePolicy("leader=1");
  c.deliver_policy = *trust::ParsePolicy("clerk=1");
  c.not_before = "2026-09-01T00:00:00Z";
  c.not_after = "2028-09-30T23:59:59Z";
  return c;
}

TEST_CASE("a certificate serialises to fixed bytes and parses back") {
  std::string text = trust::SerializeCert(SampleCert());
  CHECK(text ==
        "xjtrust/1 cert\n"
        "serial: 3401-000017\n"
        "issuer: 3401\n"
        "issuer-key: 0807060504030201\n"
        "subject: 340104\n"
        "subject-name: 蜀山区教育体育局\n"
        "level: county\n"
        "scope: 340104\n" +
            KeyLine(1, "clerk") + KeyLine(2, "clerk") + KeyLine(3, "leader") +
            KeyLine(4, "leader") +
            "enc: "
            "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p\n"
            "may-certify: school\n"
            "issue-policy: leader=1\n"
            "deliver-policy: clerk=1\n"
            "not-before: 2026-09-01T00:00:00Z\n"
            "not-after: 2028-09-30T23:59:59Z\n");
  Result<trust::CertStatement> c = trust::ParseCert(text);
  REQUIRE_MESSAGE(c.ok(), c.status().ToString());
  CHECK(trust::SerializeCert(*c) == text);
  CHECK(c->keys[2].role == "leader");
}

TEST_CASE("certificate values: each bad value is named") {
  std::string good = trust::SerializeCert(SampleCert());
  auto why = [&](const std::string& from, const std::string& to) {
    Result<trust::CertStatement> c = trust::ParseCert(Replace(good, from, to));
    REQUIRE_FALSE(c.ok());
    CHECK(c.status().code() == Code::kMalformed);
    return c.status().message();
  };
  CHECK(why("serial: 3401-000017", "serial: 3402-000017") ==
        "line 2: serial: expected 3401-NNNNNN (the issuer and six digits)");
  CHECK(why("level: county", "level: town") ==
        "line 7: level: expected province, city, county or school");
  CHECK(why("scope: 340104", "scope: 34010") ==
        "line 8: scope: expected a region code prefix of 2, 4 or 6 digits");
  CHECK(why("may-certify: school", "may-certify: county") ==
        "a county may not certify a county: only levels below its own");
  CHECK(why("may-certify: school\n", "") ==
        "issue-policy is given when, and only when, may-certify is");
  CHECK(why("deliver-policy: clerk=1", "deliver-policy: leader=1 clerk=1") ==
        "line 16: deliver-policy: expected groups like \"clerk=1 leader=1\" "
        "(clerk or leader, sorted, each once, counts 1-9)");
  CHECK(why("deliver-policy: clerk=1", "deliver-policy: clerk=3") ==
        "a policy needs 3 clerk signature(s), and only 2 clerk key(s) are "
        "listed");
  CHECK(why("enc: age1", "enc: AGE1") ==
        "line 13: enc: expected an age X25519 recipient (age1...)");
  CHECK(why("not-after: 2028-09-30T23:59:59Z",
            "not-after: 2026-09-01T00:00:00Z") ==
        "not-before (2026-09-01T00:00:00Z) is not before not-after "
        "(2026-09-01T00:00:00Z)");
  CHECK(why("subject: 340104", "subject: 3401") ==
        "an office cannot certify itself");
  // A key line's id must be the id inside the key.
  std::string line = KeyLine(1, "clerk");
  std::string wrong = Replace(line, "0807060504030201", "0807060504030202");
  CHECK(why(line, wrong)
            .find("key: the key id 0807060504030202 is not the id "
                  "inside the key (0807060504030201)") != std::string::npos);
  CHECK(why(line, Replace(line, " clerk ", " root "))
            .find("expected the role clerk or leader") != std::string::npos);
  // The same key bytes under two ids.
  trust::CertStatement dup = SampleCert();
  dup.keys[1].key.key = dup.keys[0].key.key;
  Result<trust::CertStatement> d = trust::ParseCert(trust::SerializeCert(dup));
  REQUIRE_FALSE(d.ok());
  CHECK(d.status().message().find("the same public key is listed twice") !=
        std::string::npos);
}

TEST_CASE("the schools statement: a county's school codes, by code") {
  trust::SchoolsStatement s;
  s.issuer = "340000";
  s.issuer_keys = {"FEDCBA9876543210", "0123456789ABCDEF"};
  s.county = "340102";
  s.version = 2;
  s.issued = "2026-09-01T00:00:00Z";
  s.schools = {{"3134000000", "31", "瑶海区第1初级中学"},
               {"2134000000", "21", "瑶海区 第1小学"}};
  std::string text = trust::SerializeSchools(s);
  CHECK(text ==
        "xjtrust/1 schools\nissuer: 340000\nissuer-key: 0123456789ABCDEF\n"
        "issuer-key: FEDCBA9876543210\ncounty: 340102\nversion: 2\n"
        "issued: 2026-09-01T00:00:00Z\n"
        "school: 2134000000 21 瑶海区 第1小学\n"
        "school: 3134000000 31 瑶海区第1初级中学\n");
  Result<trust::SchoolsStatement> back = trust::ParseSchools(text);
  REQUIRE(back.ok());
  CHECK(back->schools[0].name == "瑶海区 第1小学");
  CHECK(trust::SerializeSchools(*back) == text);
  CHECK(trust::SchoolsId("340102", 2) == "schools-340102-2");
  const std::string kShape = "school: expected \"<school code> <type> <name>\"";
  for (const auto& edit : std::vector<std::pair<std::string, std::string>>{
           {"2134000000 21 ", "2134000000 31 "},  // type not the code's
           {"2134000000 21 ", "2135000000 21 "},  // another province
           {"3134000000 31 ", "2134000000 21 "},  // twice, out of order
           {"2134000000 21 瑶海区 第1小学", "2134000000 21"},  // no name
           {"2134000000 21 ", "213400000 21 "}}) {             // nine digits
    // (a pair, not a binding: the check's lambda names it)
    CHECK_MESSAGE(trust::ParseSchools(Replace(text, edit.first, edit.second))
                          .status()
                          .message()
                          .find(kShape) != std::string::npos,
                  edit.second);
  }
  CHECK(trust::ParseSchools(Replace(text, "issuer: 340000", "issuer: 340100"))
            .status()
            .message() ==
        "line 2: issuer: expected the province office's code (six digits "
        "ending 0000)");
  CHECK(trust::ParseSchools(Replace(text, "county: 340102", "county: 350102"))
            .status()
            .message() ==
        "line 5: county: expected a county's code (six digits) of the "
        "issuer's province");
}

TEST_CASE("root, crl and receipt statements") {
  trust::RootStatement r;
  r.version = 1;
  r.province = "34";
  r.threshold = 2;
  r.keys = {FakeKey(9, "root"), FakeKey(1, "root"), FakeKey(5, "root")};
  r.created = "2026-01-01T00:00:00Z";
  r.expires = "2031-01-01T00:00:00Z";
  std::string text = trust::SerializeRoot(r);
  CHECK(text == "xjtrust/1 root\nversion: 1\nprovince: 34\nthreshold: 2\n" +
                    KeyLine(1, "root") + KeyLine(5, "root") +
                    KeyLine(9, "root") +
                    "created: 2026-01-01T00:00:00Z\n"
                    "expires: 2031-01-01T00:00:00Z\n");
  REQUIRE(trust::ParseRoot(text).ok());
  CHECK(trust::ParseRoot(Replace(text, "threshold: 2", "threshold: 4"))
            .status()
            .message() == "a threshold of 4 with only 3 key(s)");
  CHECK(trust::ParseRoot(Replace(text, KeyLine(1, "root"), KeyLine(1, "clerk")))
            .status()
            .message() == "line 5: key: expected the role root");
  CHECK(trust::ParseRoot(Replace(text, KeyLine(5, "root"), "")).ok());
  // Key lines sorted and distinct.
  CHECK(trust::ParseRoot(Replace(text, KeyLine(5, "root"), KeyLine(1, "root")))
            .status()
            .message() ==
        "line 6: repeated \"key\" lines must be sorted and distinct");

  trust::CrlStatement c;
  c.issuer = "340104";
  c.issuer_keys = {"0807060504030201"};
  c.number = 3;
  c.this_update = "2026-11-01T00:00:00Z";
  c.next_update = "2027-05-01T00:00:00Z";
  c.revoked = {{"340104-000009", "2026-10-30T00:00:00Z", "key-compromise"},
               {"340104-000002", "2026-10-01T00:00:00Z", "cessation"}};
  c.revoked_keys = {{"0A0B0C0D0E0F1011", "2026-10-30T00:00:00Z"}};
  text = trust::SerializeCrl(c);
  CHECK(text ==
        "xjtrust/1 crl\nissuer: 340104\nissuer-key: 0807060504030201\n"
        "number: 3\nthis-update: 2026-11-01T00:00:00Z\n"
        "next-update: 2027-05-01T00:00:00Z\n"
        "revoked: 340104-000002 2026-10-01T00:00:00Z cessation\n"
        "revoked: 340104-000009 2026-10-30T00:00:00Z key-compromise\n"
        "revoked-key: 0A0B0C0D0E0F1011 2026-10-30T00:00:00Z\n");
  Result<trust::CrlStatement> pc = trust::ParseCrl(text);
  REQUIRE(pc.ok());
  CHECK(trust::SerializeCrl(*pc) == text);
  CHECK(trust::ParseCrl(Replace(text, "340104-000009", "340105-000009"))
            .status()
            .message() ==
        "line 8: revoked: expected a serial issued by 340104");
  CHECK(trust::ParseCrl(Replace(text, "cessation", "lost"))
            .status()
            .message()
            .find("<key-compromise|superseded|cessation>") !=
        std::string::npos);

  trust::ReceiptStatement rc;
  rc.bundle = "2134000001-340104-000007";
  rc.bundle_sha256 = kH64;
  rc.sender = "2134000001";
  rc.recipient = "340104";
  rc.seq = 7;
  rc.received = "2026-10-09T10:00:00Z";
  rc.by = "340104";
  rc.ledger_rows = 12;
  rc.ledger_link = kH64;
  text = trust::SerializeReceipt(rc);
  CHECK(text ==
        "xjtrust/1 receipt\nbundle: 2134000001-340104-000007\n"
        "bundle-sha256: " +
            kH64 +
            "\nsender: 2134000001\nrecipient: 340104\nseq: 7\n"
            "received: 2026-10-09T10:00:00Z\ntaken-as: intake\nby: 340104\n"
            "ledger: 12 " +
            kH64 + "\n");
  CHECK(trust::ParseReceipt(Replace(text, "ledger: 12 ", "ledger: 0 "))
            .status()
            .message() ==
        "line 10: ledger: expected ROWS LINK (a number from 1, 64 lowercase "
        "hex digits)");
  REQUIRE(trust::ParseReceipt(text).ok());
  // Intake is signed by the recipient; a copy by an office that is neither
  // the sender nor the recipient.
  CHECK(trust::ParseReceipt(Replace(text, "by: 340104", "by: 3401"))
            .status()
            .message() ==
        "line 9: by: expected the recipient, which signs its intake");
  std::string copy = Replace(Replace(text, "by: 340104", "by: 3401"),
                             "taken-as: intake", "taken-as: copy");
  Result<trust::ReceiptStatement> pcopy = trust::ParseReceipt(copy);
  REQUIRE(pcopy.ok());
  CHECK(pcopy->taken_as == "copy");
  CHECK(pcopy->by == "3401");
  CHECK(trust::SerializeReceipt(*pcopy) == copy);
  CHECK(trust::ParseReceipt(Replace(copy, "by: 3401", "by: 340104"))
            .status()
            .message() ==
        "line 9: by: expected a copy-to office, neither sender nor recipient");
  CHECK(trust::ParseReceipt(Replace(text, "taken-as: intake", "taken-as: read"))
            .status()
            .message() == "line 8: taken-as: expected <intake|copy>");
  CHECK(trust::ParseReceipt(Replace(text, "seq: 7", "seq: 8"))
            .status()
            .message() ==
        "line 2: bundle: expected 2134000001-340104-000008 "
        "(sender-recipient-seq)");
  // Who signed the bundle and those held in it: one line a bundle, in the
  // order of their ids, written so whatever order they were given in.
  trust::ReceiptStatement by = rc;
  by.signed_by = {
      {"2134000002-340104-000003", "340104-000009", {"0123456789ABCDEF"}},
      {"2134000001-340104-000007",
       "340104-000002",
       {"0123456789ABCDEF", "FEDCBA9876543210"}}};
  std::string with_by = trust::SerializeReceipt(by);
  CHECK(with_by == text +
                       "signed-by: 2134000001-340104-000007 340104-000002 "
                       "0123456789ABCDEF,FEDCBA9876543210\n"
                       "signed-by: 2134000002-340104-000003 340104-000009 "
                       "0123456789ABCDEF\n");
  Result<trust::ReceiptStatement> pby = trust::ParseReceipt(with_by);
  REQUIRE(pby.ok());
  REQUIRE(pby->signed_by.size() == 2);
  CHECK(pby->signed_by[0].keys.size() == 2);
  CHECK(pby->signed_by[1].cert == "340104-000009");
  const std::string kShape =
      "expected \"<bundle id> <certificate serial> <KEYID>[,<KEYID>]\", one "
      "a bundle, in the order of their ids";
  for (const auto& edit : std::vector<std::pair<std::string, std::string>>{
           {"340104-000002 0123456789ABCDEF,FEDCBA",
            "340104-000002 0123456789ABCDEF,"},
           {"340104-000002 0123456789ABCDEF,FEDCBA9876543210",
            "340104-000002 0123456789abcdef"},
           {"2134000001-340104-000007 340104-000002",
            "2134000001-340104-07 340104-000002"},
           {"340104-000009", "340104-9"},
           {"2134000002-340104-000003", "2134000001-340104-000007"}}) {
    CHECK_MESSAGE(trust::ParseReceipt(Replace(with_by, edit.first, edit.second))
                          .status()
                          .message()
                          .find(kShape) != std::string::npos,
                  edit.second);
  }
  // A statement of one type is never read as another.
  CHECK(trust::ParseCert(text).status().message() ==
        "line 1: expected \"xjtrust/1 cert\"");
}

}  // namespace
}  // namespace xj::formats
