// The trust hierarchy: a province root, and certificates down to a school,
// judged by libpack/trust.h. One hierarchy is built in memory with fresh
// keys; each case bends one thing and asserts the exact refusal.
#include "libpack/trust.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "base/os.h"
#include "bundle/held.h"
#include "libpack/minisign.h"

namespace xj::pack::trust {
namespace {

using ft::Level;

// 2026-11-28T00:00:00Z and friends.
constexpr std::int64_t kNow = 1795824000;
const std::string kNowText = "2026-11-28T00:00:00Z";

keys::SigningKey NewKey() {
  Result<keys::SigningKey> k = keys::SigningKey::Generate();
  REQUIRE(k.ok());
  return std::move(k).value();
}

ft::KeyEntry Entry(const keys::SigningKey& k, std::string role) {
  return {minisign::PublicKeyOf(k), std::move(role)};
}

std::string Id(const keys::SigningKey& k) {
  return formats::minisign::KeyIdToString(k.key_id());
}

// Signs `s` (whose text is set) by each key in `signers` with `role`.
void Sign(SignedText* s, std::string_view type, std::string_view id,
          const std::vector<const keys::SigningKey*>& signers,
          std::string_view role, std::int64_t when = kNow - 86400) {
  for (const keys::SigningKey* k : signers) {
    Result<std::string> sig = SignStatement(s->text, type, id, role, *k, when);
    REQUIRE(sig.ok());
    s->signatures.push_back(
        {SignatureFileName(s->name, k->key_id()), std::move(sig).value()});
  }
}

struct Office {
  explicit Office(std::string c) : code(std::move(c)) {}
  std::string code;
  keys::SigningKey clerk = NewKey(), clerk2 = NewKey(), leader = NewKey(),
                   leader2 = NewKey();
  ft::CertStatement cert;
  SignedText signed_cert;
};

const char* kEnc =
    "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";

struct Hierarchy {
  keys::SigningKey r1 = NewKey(), r2 = NewKey(), r3 = NewKey();
  ft::RootStatement root;
  SignedText root_text;
  Office province{"340000"}, city{"3401"}, county{"340104"},
      school{"2134000001"};

  Hierarchy() {
    root.version = 1;
    root.province = "34";
    root.threshold = 2;
    root.keys = {Entry(r1, "root"), Entry(r2, "root"), Entry(r3, "root")};
    root.created = "2026-01-01T00:00:00Z";
    root.expires = "2031-01-01T00:00:00Z";
    root_text.name = "root-1.stmt";
    root_text.text = ft::SerializeRoot(root);
    Sign(&root_text, "root", "root-1", {&r1, &r2}, "root");

    Make(&province, "root", Level::kProvince, {"34"}, {Level::kCity},
         "clerk=1");
    IssueByRoot(&province, {&r1, &r3});
    Make(&city, province.code, Level::kCity, {"3401"}, {Level::kCounty},
         "clerk=1 leader=1");
    Issue(&city, province);
    Make(&county, city.code, Level::kCounty, {"340104"}, {Level::kSchool},
         "clerk=1");
    Issue(&county, city);
    Make(&school, county.code, Level::kSchool, {"340104"}, {}, "clerk=1");
    Issue(&school, county);
  }

  static void Make(Office* o, const std::string& issuer, Level level,
                   std::vector<std::string> scope,
                   std::vector<Level> may_certify, const char* deliver) {
    ft::CertStatement& c = o->cert;
    c.serial = issuer + "-000001";
    c.issuer = issuer;
    c.subject = o->code;
    c.subject_name = "教育局 " + o->code;
    c.level = level;
    c.scope = std::move(scope);
    c.keys = {Entry(o->clerk, "clerk"), Entry(o->clerk2, "clerk"),
              Entry(o->leader, "leader"), Entry(o->leader2, "leader")};
    c.enc = kEnc;
    c.may_certify = std::move(may_certify);
    if (!c.may_certify.empty()) c.issue_policy = *ft::ParsePolicy("leader=1");
    c.deliver_policy = *ft::ParsePolicy(deliver);
    c.not_before = "2026-09-01T00:00:00Z";
    c.not_after = "2028-09-30T23:59:59Z";
  }

  // Signs o's certificate with the root keys given.
  void IssueByRoot(Office* o, std::vector<const keys::SigningKey*> keys) {
    o->cert.issuer_keys.clear();
    for (const keys::SigningKey* k : keys)
      o->cert.issuer_keys.push_back(Id(*k));
    std::sort(o->cert.issuer_keys.begin(), o->cert.issuer_keys.end());
    Resign(o, keys, "root");
  }

  // Signs o's certificate by its issuer's leader.
  void Issue(Office* o, const Office& by) {
    o->cert.issuer_keys = {Id(by.leader)};
    Resign(o, {&by.leader}, "leader");
  }

  static void Resign(Office* o, std::vector<const keys::SigningKey*> keys,
                     std::string_view role) {
    o->signed_cert = {};
    o->signed_cert.name = "cert-" + o->cert.serial + ".stmt";
    o->signed_cert.text = ft::SerializeCert(o->cert);
    Sign(&o->signed_cert, "cert", o->cert.serial, keys, role);
  }

  std::vector<SignedText> Certs() const {
    return {province.signed_cert, city.signed_cert, county.signed_cert,
            school.signed_cert};
  }

  Verifier MakeVerifier(std::string now = kNowText, bool strict = false) const {
    return Verifier({root}, {now, strict});
  }

  Result<TrustedOffice> JudgeSchool(std::string now = kNowText) const {
    return MakeVerifier(now).Judge(school.signed_cert, Certs());
  }
};

// The message of a failed result, for substring checks.
template <typename T>
std::string Why(const Result<T>& r) {
  REQUIRE_FALSE(r.ok());
  return r.status().message();
}
std::string Why(const Status& s) {
  REQUIRE_FALSE(s.ok());
  return s.message();
}

bool Has(const std::string& message, std::string_view part) {
  if (message.find(part) != std::string::npos) return true;
  MESSAGE("message: " << message);
  return false;
}

TEST_CASE("a school's certificate chain reaches the root") {
  Hierarchy h;
  Result<TrustedOffice> t = h.JudgeSchool();
  REQUIRE_MESSAGE(t.ok(), t.status().ToString());
  REQUIRE(t->path.size() == 4);
  CHECK(t->path[0].subject == "2134000001");
  CHECK(t->path[1].subject == "340104");
  CHECK(t->path[2].subject == "3401");
  CHECK(t->path[3].subject == "340000");
  CHECK(t->cert_sha256 == StatementSha256(h.school.signed_cert.text));
  // Found by the sender's certificate hash, as a bundle names it.
  Verifier v = h.MakeVerifier();
  CHECK(v.Office("2134000001", t->cert_sha256, h.Certs()).ok());
  CHECK(Has(Why(v.Office("2134000002", t->cert_sha256, h.Certs())),
            "is for 2134000001, not for the sender 2134000002"));
  CHECK(Has(Why(v.Office("2134000001", std::string(64, 'a'), h.Certs())),
            "is not in the chain"));
}

TEST_CASE("the root installs only by its fingerprint and its own threshold") {
  Hierarchy h;
  std::string fp = StatementSha256(h.root_text.text);
  CHECK(InstallRoot(h.root_text, fp).ok());
  // Printed in groups of four, upper case: still the same fingerprint.
  std::string grouped;
  for (std::size_t i = 0; i < fp.size(); i += 4) {
    if (i) grouped += ' ';
    for (char c : fp.substr(i, 4))
      grouped += static_cast<char>(std::toupper(c));
  }
  CHECK(InstallRoot(h.root_text, grouped).ok());
  std::string other = fp;
  other[0] = other[0] == 'a' ? 'b' : 'a';
  Result<ft::RootStatement> bad = InstallRoot(h.root_text, other);
  CHECK(bad.status().code() == Code::kBadSignature);
  CHECK(Has(Why(bad), "this is not the province's root"));
  // One custodian alone is short of the threshold of two.
  SignedText one = h.root_text;
  one.signatures.resize(1);
  CHECK(Has(Why(InstallRoot(one, StatementSha256(one.text))),
            "root-1.stmt (root version 1, its own keys) needs the signatures "
            "root=2 and has root=1"));
  // A threshold met by one key twice: the same signature listed twice.
  SignedText twice = one;
  twice.signatures.push_back(twice.signatures[0]);
  CHECK(Has(Why(InstallRoot(twice, StatementSha256(twice.text))),
            "needs the signatures root=2 and has root=1"));
}

TEST_CASE("validity is inclusive at both ends") {
  Hierarchy h;
  CHECK(h.JudgeSchool("2028-09-30T23:59:59Z").ok());
  CHECK(h.JudgeSchool("2026-09-01T00:00:00Z").ok());
  CHECK(Has(Why(h.JudgeSchool("2028-10-01T00:00:00Z")),
            "cert-340104-000001.stmt: the certificate of 2134000001 (教育局 "
            "2134000001, school) expired at 2028-09-30T23:59:59Z"));
  CHECK(Has(Why(h.JudgeSchool("2026-08-31T23:59:59Z")),
            "is not valid before 2026-09-01T00:00:00Z"));
  // An expired link above the school stops the chain too.
  h.city.cert.not_after = "2026-11-27T00:00:00Z";
  h.Issue(&h.city, h.province);
  CHECK(Has(Why(h.JudgeSchool()),
            "the certificate of 3401 (教育局 3401, "
            "city) expired at 2026-11-27T00:00:00Z"));
}

TEST_CASE("an altered certificate or a key beyond its role is refused") {
  Hierarchy h;
  SUBCASE("altered") {
    std::string& t = h.school.signed_cert.text;
    t.replace(t.find("scope: 340104"), 13, "scope: 340103");
    CHECK(Has(Why(h.JudgeSchool()), "does not verify"));
  }
  SUBCASE("signed as a leader by a clerk key") {
    h.school.cert.issuer_keys = {Id(h.county.clerk)};
    Hierarchy::Resign(&h.school, {&h.county.clerk}, "leader");
    CHECK(Has(Why(h.JudgeSchool()),
              "signed as leader, but it is certified "
              "as a clerk key"));
  }
  SUBCASE("a clerk where the issue policy wants a leader") {
    h.school.cert.issuer_keys = {Id(h.county.clerk)};
    Hierarchy::Resign(&h.school, {&h.county.clerk}, "clerk");
    CHECK(Has(Why(h.JudgeSchool()),
              "(issued by 340104) needs the signatures leader=1 and has "
              "clerk=1 (counting each key once): 0 of 1 leader missing"));
  }
  SUBCASE("a signature by a key the issuer does not list") {
    Office stranger{"340199"};
    h.school.cert.issuer_keys = {Id(stranger.leader)};
    Hierarchy::Resign(&h.school, {&stranger.leader}, "leader");
    CHECK(Has(Why(h.JudgeSchool()),
              "the certificate of its issuer 340104 "
              "with the keys"));
  }
  SUBCASE("a signature file under another key's name") {
    auto& sig = h.school.signed_cert.signatures[0];
    sig.first =
        SignatureFileName(h.school.signed_cert.name, h.county.leader2.key_id());
    CHECK(Has(Why(h.JudgeSchool()), "under another key's name"));
  }
  SUBCASE("a signature for another statement") {
    h.school.signed_cert.signatures.clear();
    Sign(&h.school.signed_cert, "cert", "340104-000002", {&h.county.leader},
         "leader");
    CHECK(Has(Why(h.JudgeSchool()),
              "does not say \"xjtrust/1 cert "
              "340104-000001 <role> <time>\""));
  }
}

TEST_CASE("scope narrows and levels descend at every link") {
  Hierarchy h;
  SUBCASE("a school outside its county") {
    h.school.cert.scope = {"340105"};
    h.Issue(&h.school, h.county);
    CHECK(Has(Why(h.JudgeSchool()),
              "scope widening: 2134000001's scope 340105 is not inside its "
              "issuer 340104's scope 340104"));
  }
  SUBCASE("widening at the middle link") {
    h.county.cert.scope = {"340104", "3402"};
    h.Issue(&h.county, h.city);
    CHECK(Has(Why(h.JudgeSchool()),
              "scope widening: 340104's scope 340104 3402 is not inside its "
              "issuer 3401's scope 3401"));
  }
  SUBCASE("a province office outside the root's province") {
    h.province.cert.scope = {"34", "35"};
    h.IssueByRoot(&h.province, {&h.r1, &h.r2});
    CHECK(Has(Why(h.JudgeSchool()), "is outside the province 34"));
  }
  SUBCASE("no office is certified under another's code") {
    // The city certifies a "county" with the province office's code, or a
    // school's ten digits: refused whatever the scope.
    h.county.cert.subject = "340000";
    h.Issue(&h.county, h.city);
    CHECK(Has(Why(h.MakeVerifier().Judge(h.county.signed_cert, h.Certs())),
              "a county certificate for office code 340000 with scope 340104: "
              "the code is not such an office's"));
    h.county.cert.subject = "2134000009";
    h.Issue(&h.county, h.city);
    CHECK(Has(Why(h.MakeVerifier().Judge(h.county.signed_cert, h.Certs())),
              "the code is not such an office's"));
  }
  SUBCASE("level skipping") {
    // The city may certify counties only; a school it certifies is refused.
    h.school.cert.serial = "3401-000009";
    h.school.cert.issuer = "3401";
    h.school.cert.scope = {"340104"};
    h.Issue(&h.school, h.city);
    CHECK(Has(Why(h.JudgeSchool()),
              "level skipping: 3401 (教育局 3401, city) may certify county, "
              "not a school (2134000001)"));
  }
  SUBCASE("the root certifies only the province office") {
    h.city.cert.serial = "root-000002";
    h.city.cert.issuer = "root";
    h.IssueByRoot(&h.city, {&h.r1, &h.r2});
    CHECK(Has(Why(h.JudgeSchool()),
              "the root certifies only the province "
              "office, and 3401 is a city"));
  }
  SUBCASE("the root's threshold for the province office") {
    h.IssueByRoot(&h.province, {&h.r1});
    CHECK(Has(Why(h.JudgeSchool()),
              "(issued by root version 1) needs the signatures root=2"));
  }
}

TEST_CASE("revocation lists: newest per issuer, keys refused everywhere") {
  Hierarchy h;
  auto crl_by = [&](const Office& issuer, std::uint64_t number,
                    std::vector<ft::Revoked> revoked,
                    std::vector<std::pair<std::string, std::string>> keys,
                    std::string next = "2027-06-01T00:00:00Z") {
    ft::CrlStatement c;
    c.issuer = issuer.code;
    c.issuer_keys = {Id(issuer.leader)};
    c.number = number;
    c.this_update = "2026-11-01T00:00:00Z";
    c.next_update = std::move(next);
    c.revoked = std::move(revoked);
    c.revoked_keys = std::move(keys);
    SignedText s;
    s.name = fmt::format("crl-{}-{}.stmt", issuer.code, number);
    s.text = ft::SerializeCrl(c);
    Sign(&s, "crl", ft::CrlId(issuer.code, number), {&issuer.leader}, "leader");
    return s;
  };
  SignedText revoke_school =
      crl_by(h.county, 2,
             {{"340104-000001", "2026-11-20T00:00:00Z", "cessation"}}, {});
  SignedText empty = crl_by(h.county, 1, {}, {});

  SUBCASE("a revoked certificate") {
    Verifier v = h.MakeVerifier();
    Status added = v.AddCrls({revoke_school}, h.Certs());
    REQUIRE_MESSAGE(added.ok(), added.ToString());
    CHECK(Has(Why(v.Judge(h.school.signed_cert, h.Certs())),
              "the certificate 340104-000001 of 2134000001 (教育局 "
              "2134000001, school) was revoked by 340104 (CRL 2) at "
              "2026-11-20T00:00:00Z: cessation"));
  }
  SUBCASE("an older list does not undo a newer one") {
    Verifier v = h.MakeVerifier();
    REQUIRE(v.AddCrls({revoke_school, empty}, h.Certs()).ok());
    CHECK(v.crls().at("340104").crl.number == 2);
    CHECK_FALSE(v.Judge(h.school.signed_cert, h.Certs()).ok());
  }
  SUBCASE("judged at an earlier time, a later revocation is reported") {
    // A held bundle is judged at its holder's time: a revocation after it
    // warns and does not refuse; one at or before it refuses.
    Verifier before = h.MakeVerifier("2026-11-19T00:00:00Z");
    REQUIRE(before.AddCrls({revoke_school}, h.Certs()).ok());
    Result<TrustedOffice> ok = before.Judge(h.school.signed_cert, h.Certs());
    REQUIRE_MESSAGE(ok.ok(), ok.status().ToString());
    REQUIRE(ok->warnings.size() == 1);
    CHECK(Has(ok->warnings[0],
              "was revoked by 340104 (CRL 2) at 2026-11-20T00:00:00Z: "
              "cessation, after 2026-11-19T00:00:00Z"));
    Verifier at = h.MakeVerifier("2026-11-20T00:00:00Z");
    REQUIRE(at.AddCrls({revoke_school}, h.Certs()).ok());
    CHECK(Has(Why(at.Judge(h.school.signed_cert, h.Certs())),
              "was revoked by 340104 (CRL 2)"));
    SignedText key =
        crl_by(h.city, 1, {}, {{Id(h.county.clerk2), "2026-11-20T00:00:00Z"}});
    Verifier key_before = h.MakeVerifier("2026-11-19T00:00:00Z");
    REQUIRE(key_before.AddCrls({key}, h.Certs()).ok());
    Result<TrustedOffice> k = key_before.Judge(h.school.signed_cert, h.Certs());
    REQUIRE(k.ok());
    CHECK(Has(k->warnings.at(0), "after 2026-11-19T00:00:00Z"));
  }
  SUBCASE("a list known already is not rolled back by an older one") {
    Verifier v = h.MakeVerifier();
    Result<ft::CrlStatement> parsed = ft::ParseCrl(revoke_school.text);
    REQUIRE(parsed.ok());
    v.AddKnownCrl(
        {*parsed, revoke_school, StatementSha256(revoke_school.text)});
    REQUIRE(v.AddCrls({empty}, h.Certs()).ok());
    CHECK(v.crls().at("340104").crl.number == 2);
    CHECK_FALSE(v.Judge(h.school.signed_cert, h.Certs()).ok());
    // ... and one of the same number with other content is a fork.
    SignedText other = crl_by(h.county, 2, {}, {});
    CHECK(Has(Why(v.AddCrls({other}, h.Certs())),
              "two different revocation lists numbered 2 from 340104"));
  }
  SUBCASE("a compromised key") {
    SignedText c =
        crl_by(h.city, 1, {}, {{Id(h.county.clerk2), "2026-11-20T00:00:00Z"}});
    Verifier v = h.MakeVerifier();
    REQUIRE(v.AddCrls({c}, h.Certs()).ok());
    CHECK(Has(Why(v.Judge(h.school.signed_cert, h.Certs())),
              fmt::format("key {} of 340104", Id(h.county.clerk2))));
  }
  SUBCASE("a revoked issuer publishes no list") {
    SignedText city_list =
        crl_by(h.city, 1,
               {{"3401-000001", "2026-11-20T00:00:00Z", "key-compromise"}}, {});
    Verifier v = h.MakeVerifier();
    CHECK(Has(Why(v.AddCrls({city_list, empty}, h.Certs())),
              "crl-340104-1.stmt: its issuer 340104 is not trusted to publish "
              "it: "));
    CHECK(Has(Why(v.AddCrls({city_list, empty}, h.Certs())),
              "was revoked by 3401 (CRL 1)"));
  }
  SUBCASE("an office cannot revoke the keys of those above it") {
    SignedText c = crl_by(h.county, 1, {},
                          {{Id(h.province.clerk), "2026-11-20T00:00:00Z"}});
    Verifier v = h.MakeVerifier();
    REQUIRE(v.AddCrls({c}, h.Certs()).ok());
    CHECK(v.Judge(h.school.signed_cert, h.Certs()).ok());
  }
  SUBCASE("a list signed by one who may not issue it") {
    SignedText forged = revoke_school;
    forged.signatures.clear();
    Sign(&forged, "crl", "crl-340104-2", {&h.county.clerk}, "clerk");
    Verifier v = h.MakeVerifier();
    CHECK(Has(Why(v.AddCrls({forged}, h.Certs())),
              "crl-340104-2.stmt (issued by 340104) needs the signatures "
              "leader=1 and has none"));
  }
  SUBCASE("two different lists with one number") {
    SignedText other = crl_by(h.county, 2, {}, {});
    Verifier v = h.MakeVerifier();
    CHECK(Has(Why(v.AddCrls({revoke_school, other}, h.Certs())),
              "two different revocation lists numbered 2 from 340104"));
  }
  SUBCASE("a stale list warns, or refuses under --strict") {
    SignedText stale = crl_by(h.county, 3, {}, {}, "2026-11-27T00:00:00Z");
    Verifier v = h.MakeVerifier();
    REQUIRE(v.AddCrls({stale}, h.Certs()).ok());
    REQUIRE(v.warnings().size() == 1);
    CHECK(Has(v.warnings()[0], "was due for renewal at 2026-11-27T00:00:00Z"));
    Verifier strict = h.MakeVerifier(kNowText, true);
    CHECK(Has(Why(strict.AddCrls({stale}, h.Certs())), "due for renewal"));
    // A stale list the reader already held counts the same way.
    Verifier held = h.MakeVerifier(kNowText, true);
    Result<ft::CrlStatement> parsed = ft::ParseCrl(stale.text);
    REQUIRE(parsed.ok());
    held.AddKnownCrl({*parsed, stale, StatementSha256(stale.text)});
    CHECK(Has(Why(held.Judge(h.school.signed_cert, h.Certs())),
              "the revocation list of 340104 (number 3) was due for renewal"));
    Verifier lenient = h.MakeVerifier();
    lenient.AddKnownCrl({*parsed, stale, StatementSha256(stale.text)});
    Result<TrustedOffice> ok = lenient.Judge(h.school.signed_cert, h.Certs());
    REQUIRE(ok.ok());
    CHECK(ok->warnings.size() == 1);
  }
}

TEST_CASE("root rotation: N+1 signed by N's threshold and its own") {
  Hierarchy h;
  keys::SigningKey n1 = NewKey(), n2 = NewKey(), n3 = NewKey();
  ft::RootStatement r2 = h.root;
  r2.version = 2;
  r2.keys = {Entry(n1, "root"), Entry(n2, "root"), Entry(n3, "root")};
  r2.created = "2026-11-01T00:00:00Z";
  SignedText s2{"root-2.stmt", ft::SerializeRoot(r2), {}};

  SUBCASE("a proper rotation re-signs only the province office") {
    Sign(&s2, "root", "root-2", {&h.r1, &h.r2, &n1, &n3}, "root");
    Verifier v = h.MakeVerifier();
    REQUIRE_MESSAGE(v.AddRoots({h.root_text, s2}).ok(), "rotation");
    CHECK(v.root().version == 2);
    CHECK(v.new_roots().size() == 1);
    // The old province certificate was signed by the old keys.
    CHECK(Has(Why(v.Judge(h.school.signed_cert, h.Certs())),
              "the signatures root=2 and has none"));
    h.IssueByRoot(&h.province, {&n2, &n3});
    CHECK(v.Judge(h.school.signed_cert, h.Certs()).ok());
  }
  SUBCASE("signed only by the new keys") {
    Sign(&s2, "root", "root-2", {&n1, &n2}, "root");
    Verifier v = h.MakeVerifier();
    CHECK(Has(Why(v.AddRoots({s2})),
              "root-2.stmt (root version 2, by version 1's keys) needs the "
              "signatures root=2 and has none"));
  }
  SUBCASE("N+2 without N+1") {
    ft::RootStatement r3 = r2;
    r3.version = 3;
    SignedText s3{"root-3.stmt", ft::SerializeRoot(r3), {}};
    Sign(&s3, "root", "root-3", {&n1, &n2}, "root");
    Verifier v = h.MakeVerifier();
    CHECK(Has(Why(v.AddRoots({s3})),
              "root-3.stmt: root version 3 follows version 1 without version "
              "2"));
  }
  SUBCASE("a different version 1 is a fork") {
    ft::RootStatement fork = h.root;
    fork.expires = "2032-01-01T00:00:00Z";
    SignedText f{"root-1.stmt", ft::SerializeRoot(fork), {}};
    Sign(&f, "root", "root-1", {&h.r1, &h.r2}, "root");
    Verifier v = h.MakeVerifier();
    CHECK(Has(Why(v.AddRoots({f})), "a forked root"));
  }
  SUBCASE("an expired root freezes everything") {
    Verifier v = h.MakeVerifier("2031-01-01T00:00:01Z");
    CHECK(Has(Why(v.Judge(h.school.signed_cert, h.Certs())),
              "the root (version 1) expired at 2031-01-01T00:00:00Z"));
  }
}

TEST_CASE("signature policies count each key once, in its role") {
  Hierarchy h;
  std::string text = "xjtrust/1 bundle\nid: x\n";  // any bytes will do
  SignedText s{"bundle.stmt", text, {}};
  Sign(&s, "bundle", "x", {&h.city.clerk}, "clerk");
  std::vector<ft::KeyEntry> keys = h.city.cert.keys;
  Result<Judgement> j = JudgeSignatures(s, "bundle", "x", keys, "");
  REQUIRE(j.ok());
  ft::Policy city = h.city.cert.deliver_policy;
  CHECK(Has(Why(MeetPolicy(j->good, city, "the bundle")),
            "the bundle needs the signatures clerk=1 leader=1 and has "
            "clerk=1 (counting each key once): 0 of 1 leader missing"));
  // Two clerks are not a clerk and a leader.
  Sign(&s, "bundle", "x", {&h.city.clerk2}, "clerk");
  j = JudgeSignatures(s, "bundle", "x", keys, "");
  REQUIRE(j.ok());
  CHECK_FALSE(MeetPolicy(j->good, city, "the bundle").ok());
  Sign(&s, "bundle", "x", {&h.city.leader}, "leader");
  j = JudgeSignatures(s, "bundle", "x", keys, "");
  REQUIRE(j.ok());
  CHECK(MeetPolicy(j->good, city, "the bundle").ok());
  // Signed before the statement was made.
  SignedText early{"bundle.stmt", text, {}};
  Sign(&early, "bundle", "x", {&h.city.clerk}, "clerk", kNow - 10 * 86400);
  CHECK(Has(
      Why(JudgeSignatures(early, "bundle", "x", keys, "2026-11-27T00:00:00Z")),
      "before the statement was made"));
}

TEST_CASE("a walk above a leaf is taken again only from the same bytes") {
  Hierarchy h;
  // A second school of the same county: the same chain above it.
  Office other("2134000002");
  Hierarchy::Make(&other, h.county.code, Level::kSchool, {"340104"}, {},
                  "clerk=1");
  other.cert.serial = "340104-000002";
  h.Issue(&other, h.county);
  auto certs_with = [&](const SignedText& leaf) {
    return std::vector<SignedText>{h.province.signed_cert, h.city.signed_cert,
                                   h.county.signed_cert, leaf};
  };
  Result<TrustedOffice> first =
      h.MakeVerifier().Judge(h.school.signed_cert, h.Certs());
  REQUIRE_MESSAGE(first.ok(), first.status().ToString());
  std::uint64_t hits = RememberedWalks();
  Result<TrustedOffice> second =
      h.MakeVerifier().Judge(other.signed_cert, certs_with(other.signed_cert));
  REQUIRE_MESSAGE(second.ok(), second.status().ToString());
  CHECK(RememberedWalks() == hits + 1);
  // The same office above, found as a walk of its own finds it.
  REQUIRE(second->path.size() == 4);
  CHECK(second->path[0].subject == "2134000002");
  CHECK(second->cert.serial == "340104-000002");
  for (std::size_t i = 1; i < 4; ++i) {
    CHECK(second->path[i].serial == first->path[i].serial);
    CHECK(second->path_names[i] == first->path_names[i]);
  }
  CHECK(second->path_names[0] == "cert-340104-000002.stmt");

  SUBCASE("a changed signature above is judged afresh") {
    std::vector<SignedText> certs = certs_with(other.signed_cert);
    std::string& sig = certs[1].signatures[0].second;  // the city's
    // The signature line (after the untrusted comment) with one character
    // changed: still base64, no longer the province's signature.
    std::size_t at = sig.find('\n') + 5;
    sig[at] = sig[at] == 'A' ? 'B' : 'A';
    Result<TrustedOffice> t = h.MakeVerifier().Judge(other.signed_cert, certs);
    CHECK_FALSE(t.ok());
    CHECK(RememberedWalks() == hits + 1);
  }
  SUBCASE("another time is judged afresh") {
    // A school certified for longer than its county: past the county's
    // end, only the walk above can refuse it.
    Office late("2134000003");
    Hierarchy::Make(&late, h.county.code, Level::kSchool, {"340104"}, {},
                    "clerk=1");
    late.cert.serial = "340104-000003";
    late.cert.not_after = "2030-09-30T23:59:59Z";
    h.Issue(&late, h.county);
    REQUIRE(h.MakeVerifier()
                .Judge(late.signed_cert, certs_with(late.signed_cert))
                .ok());
    Result<TrustedOffice> t =
        h.MakeVerifier("2028-10-01T00:00:00Z")
            .Judge(late.signed_cert, certs_with(late.signed_cert));
    CHECK(Has(Why(t), "the certificate of 340104"));
    CHECK(Has(Why(t), "expired at 2028-09-30T23:59:59Z"));
  }
  SUBCASE("a revocation list still refuses what it revokes") {
    ft::CrlStatement c;
    c.issuer = h.city.code;
    c.issuer_keys = {Id(h.city.leader)};
    c.number = 1;
    c.this_update = "2026-11-01T00:00:00Z";
    c.next_update = "2027-06-01T00:00:00Z";
    c.revoked = {{h.county.cert.serial, "2026-11-20T00:00:00Z", "superseded"}};
    SignedText crl{"crl-3401-1.stmt", ft::SerializeCrl(c), {}};
    Sign(&crl, "crl", ft::CrlId(h.city.code, 1), {&h.city.leader}, "leader");
    Verifier v = h.MakeVerifier();
    Status added = v.AddCrls({crl}, h.Certs());
    REQUIRE_MESSAGE(added.ok(), added.ToString());
    CHECK(Has(Why(v.Judge(other.signed_cert, certs_with(other.signed_cert))),
              "the certificate 3401-000001 of 340104"));
  }
  SUBCASE("a leaf whose office issued a certificate at hand walks afresh") {
    // The county judged with its school's certificate at hand.
    Result<TrustedOffice> t =
        h.MakeVerifier().Judge(h.county.signed_cert, h.Certs());
    REQUIRE(t.ok());
    std::uint64_t before = RememberedWalks();
    t = h.MakeVerifier().Judge(h.county.signed_cert, h.Certs());
    REQUIRE(t.ok());
    CHECK(RememberedWalks() == before);
  }
}

TEST_CASE("signatures verified ahead are remembered, and nothing more") {
  Hierarchy h;
  SignedText bundle{"bundle.stmt", "xjtrust/1 bundle\nid: x\n", {}};
  Sign(&bundle, "bundle", "x", {&h.school.clerk}, "clerk");
  std::vector<SignedText> folder = {bundle, h.root_text};
  for (const SignedText& c : h.Certs()) folder.push_back(c);
  // The bundle's, the root's two, the province's two (by the root) and
  // one for each of the city, the county and the school: all by keys
  // their certificates and the root list, none seen before.
  std::uint64_t before = SignatureVerifications();
  AheadCount first = VerifyAhead(folder);
  CHECK(first.verified == 8);
  CHECK(first.failed == 0);
  CHECK(SignatureVerifications() == before + 8);
  // Judged after, each is taken from memory.
  Result<Judgement> j =
      JudgeSignatures(bundle, "bundle", "x", h.school.cert.keys, "");
  REQUIRE(j.ok());
  CHECK(j->good.size() == 1);
  Result<TrustedOffice> t = h.JudgeSchool();
  REQUIRE_MESSAGE(t.ok(), t.status().ToString());
  CHECK(VerifyRemembered(bundle.text, bundle.signatures[0].second,
                         minisign::PublicKeyOf(h.school.clerk)));
  CHECK(VerifyAhead(folder).verified == 8);
  CHECK(SignatureVerifications() == before + 8);

  SUBCASE("verified is not trusted: the judgement still asks who signed") {
    // The school's clerk is not one of the county's keys.
    j = JudgeSignatures(bundle, "bundle", "x", h.county.cert.keys, "");
    REQUIRE(j.ok());
    CHECK(j->good.empty());
    REQUIRE(j->unknown.size() == 1);
    CHECK(j->unknown[0] == Id(h.school.clerk));
    // Nor is the signature good for other bytes, or under another key.
    CHECK_FALSE(VerifyRemembered("xjtrust/1 bundle\nid: y\n",
                                 bundle.signatures[0].second,
                                 minisign::PublicKeyOf(h.school.clerk)));
    CHECK_FALSE(VerifyRemembered(bundle.text, bundle.signatures[0].second,
                                 minisign::PublicKeyOf(h.school.clerk2)));
    // The clerk's id with another key's bytes: ids only pick candidates.
    formats::minisign::PublicKey other = minisign::PublicKeyOf(h.school.clerk2);
    other.key_id = h.school.clerk.key_id();
    CHECK_FALSE(
        VerifyRemembered(bundle.text, bundle.signatures[0].second, other));
  }
  SUBCASE("a signature that does not verify is not remembered") {
    SignedText bad = bundle;
    std::string& sig = bad.signatures[0].second;
    // A character of the signature line past the algorithm and key id
    // (base64 of 2 + 8 bytes): the same key, another signature.
    std::size_t at = sig.find('\n') + 1 + 40;
    sig[at] = sig[at] == 'A' ? 'B' : 'A';
    std::uint64_t n = SignatureVerifications();
    // (The school's certificate, by the county's key: from memory.)
    AheadCount a =
        VerifyAhead({bad, h.school.signed_cert, h.county.signed_cert});
    CHECK(a.verified == 1);
    CHECK(a.failed == 1);
    CHECK(SignatureVerifications() == n + 1);
    CHECK(Has(Why(JudgeSignatures(bad, "bundle", "x", h.school.cert.keys, "")),
              "bundle.stmt." + Id(h.school.clerk) +
                  ".minisig: the signature by key " + Id(h.school.clerk) +
                  " does not verify"));
    CHECK(SignatureVerifications() == n + 2);
  }
  SUBCASE("a key that no certificate at hand lists is passed over") {
    keys::SigningKey stranger = NewKey();
    SignedText s{"bundle.stmt", bundle.text, {}};
    Sign(&s, "bundle", "x", {&stranger}, "clerk");
    std::uint64_t n = SignatureVerifications();
    AheadCount a = VerifyAhead({s, h.school.signed_cert, h.county.signed_cert});
    CHECK(a.verified == 1);  // the school's, from memory
    CHECK(a.failed == 0);
    CHECK(SignatureVerifications() == n);
  }
  SUBCASE("only what the judgement would verify is verified ahead") {
    // A good signature under another key's name, and one under a name
    // that is no key id, are not verified: the judgement refuses both
    // by their names.
    keys::SigningKey k = NewKey();
    ft::CertStatement c = h.school.cert;
    c.keys = {Entry(k, "clerk")};
    SignedText cert{"chain/cert-x.stmt", ft::SerializeCert(c), {}};
    SignedText s{"bundle.stmt", "xjtrust/1 bundle\nid: z\n", {}};
    Sign(&s, "bundle", "z", {&k}, "clerk");
    std::string good = s.signatures[0].second;
    s.signatures = {{"bundle.stmt." + Id(h.school.clerk) + ".minisig", good},
                    {"bundle.stmt.ZZZZZZZZZZZZZZZZ.minisig", good},
                    {"bundle.stmt.minisig", good}};
    std::uint64_t n = SignatureVerifications();
    AheadCount a = VerifyAhead({s, cert});
    CHECK(a.verified == 0);
    CHECK(a.failed == 0);
    CHECK(SignatureVerifications() == n);
    // Named for its key, it is.
    s.signatures = {{"bundle.stmt." + Id(k) + ".minisig", good}};
    CHECK(VerifyAhead({s, cert}).verified == 1);
    CHECK(SignatureVerifications() == n + 1);
    // And never more than kMaxAhead signatures in all, whatever a folder
    // holds (here kMaxAhead + 10 statements, each signed once).
    std::vector<SignedText> many = {cert};
    for (std::size_t i = 0; i < kMaxAhead + 10; ++i) {
      SignedText one{"chain/s" + std::to_string(i) + ".stmt",
                     "xjtrust/1 bundle\nid: " + std::to_string(i) + "\n",
                     {}};
      Sign(&one, "bundle", std::to_string(i), {&k}, "clerk");
      many.push_back(std::move(one));
    }
    n = SignatureVerifications();
    a = VerifyAhead(many);
    CHECK(a.verified == kMaxAhead);
    CHECK(SignatureVerifications() == n + kMaxAhead);
  }
}

TEST_CASE("a held bundle folder's signatures are verified as its files pass") {
  Hierarchy h;
  SignedText bundle{"bundle.stmt", "xjtrust/1 bundle\nid: held\n", {}};
  Sign(&bundle, "bundle", "held", {&h.school.clerk}, "clerk");
  // A school's folder inside its county's, as the extraction hands its
  // files to the check: in path order, each with its bytes.
  const std::string dir = "data/children/C/bag/data/children/S/";
  std::vector<std::pair<std::string, std::string>> files = {
      {dir + "bag/data/registry/students.csv", "x"}};
  auto add = [&](const std::string& folder, const SignedText& t) {
    files.push_back({dir + folder + t.name, t.text});
    for (const auto& [name, content] : t.signatures)
      files.push_back({dir + folder + name, content});
  };
  add("", bundle);
  add("chain/", h.root_text);
  for (const SignedText& c : h.Certs()) add("chain/", c);
  std::sort(files.begin(), files.end());
  ft::BundleStatement holder;  // lists no child: nothing else is checked
  bundle::HeldCheck check("no-such-bag", holder, TrustSource{});
  std::uint64_t before = SignatureVerifications();
  for (const auto& [path, bytes] : files)
    check.Written(path, std::string(128, '0'), bytes.size(), nullptr, &bytes);
  // The next folder's first file ends this one's.
  std::string next = "y";
  check.Written("data/children/D/bag/data/registry/school.csv",
                std::string(128, '0'), 1, nullptr, &next);
  (void)check.Finish();  // (the holder's own checks find no bag)
  // The bundle's, the root's two, the province's two, and one each for
  // the city, the county and the school.
  CHECK(SignatureVerifications() == before + 8);
  CHECK(VerifyRemembered(bundle.text, bundle.signatures[0].second,
                         minisign::PublicKeyOf(h.school.clerk)));
  Result<TrustedOffice> t = h.JudgeSchool();
  REQUIRE_MESSAGE(t.ok(), t.status().ToString());
  CHECK(SignatureVerifications() == before + 8);
}

TEST_CASE("PolicyMet answers as MeetPolicy does") {
  // Signatures by keys A, B and C; A twice, in both roles; one with B's id
  // and another key (ids are not keys); and D, a second clerk.
  auto sig = [](char id, std::uint8_t key, std::string role) {
    GoodSignature g;
    g.key_id = std::string(16, id);
    g.role = std::move(role);
    g.key.key.fill(key);
    return g;
  };
  std::vector<GoodSignature> pool = {
      sig('A', 1, "clerk"), sig('A', 1, "leader"), sig('B', 2, "leader"),
      sig('B', 9, "clerk"), sig('C', 3, "clerk"),  sig('D', 1, "clerk"),
      sig('E', 5, "root"),  sig('F', 6, "root")};
  std::vector<ft::Policy> policies(4);
  policies[0].groups = {{"clerk", 1}, {"leader", 1}};
  policies[1].groups = {{"clerk", 2}};
  policies[2].groups = {{"root", 2}};
  policies[3].groups = {};
  int met = 0, unmet = 0;
  // Every list of up to three signatures from the pool, in every order.
  std::vector<std::vector<GoodSignature>> lists = {{}};
  for (int len = 0; len < 3; ++len) {
    std::size_t n = lists.size();
    for (std::size_t i = 0; i < n; ++i) {
      for (const GoodSignature& g : pool) {
        std::vector<GoodSignature> l = lists[i];
        l.push_back(g);
        if (l.size() == static_cast<std::size_t>(len) + 1) lists.push_back(l);
      }
    }
  }
  for (const auto& l : lists) {
    for (const ft::Policy& p : policies) {
      bool want = MeetPolicy(l, p, "x").ok();
      CHECK(PolicyMet(l, p) == want);
      (want ? met : unmet)++;
    }
  }
  CHECK(met > 100);
  CHECK(unmet > 100);
}

}  // namespace
}  // namespace xj::pack::trust
