// Feeds bytes to the parsers of the trust hierarchy's xjtrust/1 statements
// (formats/trust_statements.h): root, cert, crl, receipt and request; the
// magic line decides which one can accept. Asserts that a statement that
// parses serialises to exactly the bytes it came from, that the
// serialisation parses again to the same bytes, and a few promises of the
// parsed values (key ids match their keys, an age recipient is in its one
// spelling, a certificate's levels are below its own).
#include <cstdint>

#include "formats/age_keys.h"
#include "formats/trust_statements.h"
#include "fuzz_util.h"

namespace {

using namespace xj;
namespace ft = formats::trust;

template <typename T>
void RoundTrip(std::string_view text, Result<T> (*parse)(std::string_view),
               std::string (*serialize)(const T&), void (*check)(const T&)) {
  Result<T> parsed = parse(text);
  if (!parsed.ok()) return;
  check(*parsed);
  std::string out = serialize(*parsed);
  FUZZ_CHECK(out == text);
  Result<T> again = parse(out);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(serialize(*again) == out);
}

void CheckKeys(const std::vector<ft::KeyEntry>& keys) {
  for (const ft::KeyEntry& k : keys) {
    FUZZ_CHECK(ft::IsKeyId(formats::minisign::KeyIdToString(k.key.key_id)));
    Result<formats::minisign::PublicKey> again =
        formats::minisign::ParsePublicKeyString(
            formats::minisign::EncodePublicKeyString(k.key));
    FUZZ_CHECK(again.ok() && again->key == k.key.key);
  }
}

void CheckEnc(const std::string& enc) {
  Result<formats::age::X25519Key> key = formats::age::ParseRecipient(enc);
  FUZZ_CHECK(key.ok());
  FUZZ_CHECK(formats::age::EncodeRecipient(*key) == enc);
}

void CheckRoot(const ft::RootStatement& r) {
  CheckKeys(r.keys);
  FUZZ_CHECK(r.threshold >= 1 && r.threshold <= r.keys.size());
  FUZZ_CHECK(r.created < r.expires);
}

void CheckCert(const ft::CertStatement& c) {
  CheckKeys(c.keys);
  CheckEnc(c.enc);
  for (ft::Level l : c.may_certify) FUZZ_CHECK(l < c.level);
  FUZZ_CHECK(c.may_certify.empty() != c.issue_policy.has_value());
  FUZZ_CHECK(c.subject != c.issuer);
  FUZZ_CHECK(c.not_before < c.not_after);
  Result<ft::Policy> p = ft::ParsePolicy(c.deliver_policy.ToString());
  FUZZ_CHECK(p.ok() && p->ToString() == c.deliver_policy.ToString());
}

void CheckCrl(const ft::CrlStatement& c) {
  FUZZ_CHECK(c.number >= 1);
  FUZZ_CHECK(c.this_update < c.next_update);
  for (std::size_t i = 1; i < c.revoked.size(); ++i)
    FUZZ_CHECK(c.revoked[i - 1].serial != c.revoked[i].serial);
  for (std::size_t i = 1; i < c.revoked_keys.size(); ++i)
    FUZZ_CHECK(c.revoked_keys[i - 1].first != c.revoked_keys[i].first);
}

void CheckReceipt(const ft::ReceiptStatement& r) {
  FUZZ_CHECK(r.bundle == ft::BundleId(r.sender, r.recipient, r.seq));
  FUZZ_CHECK((r.taken_as == "intake") == (r.by == r.recipient));
}

void CheckRequest(const ft::RequestStatement& r) {
  CheckKeys(r.keys);
  CheckEnc(r.enc);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  std::string_view text = fuzz::AsText(data, size);
  RoundTrip<ft::RootStatement>(text, ft::ParseRoot, ft::SerializeRoot,
                               CheckRoot);
  RoundTrip<ft::CertStatement>(text, ft::ParseCert, ft::SerializeCert,
                               CheckCert);
  RoundTrip<ft::CrlStatement>(text, ft::ParseCrl, ft::SerializeCrl, CheckCrl);
  RoundTrip<ft::ReceiptStatement>(text, ft::ParseReceipt, ft::SerializeReceipt,
                                  CheckReceipt);
  RoundTrip<ft::RequestStatement>(text, ft::ParseRequest, ft::SerializeRequest,
                                  CheckRequest);
  return 0;
}
