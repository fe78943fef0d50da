// The office session: the time it judges at is the clock it was given,
// raised to the ledger's high-water mark; asking for the time makes no
// ledger; the keys of an office it is not are refused with a remedy.
#include "libpack/session.h"

#include <doctest/doctest.h>

#include "base/os.h"
#include "support/test_util.h"

namespace xj::pack {
namespace {

constexpr std::int64_t kClock = 1790000000;  // 2026-09-21T14:13:20Z

TEST_CASE("an office session judges at the trusted time and reads no clock") {
  test::TempDir dir;
  const std::string home = dir / "home";
  CHECK(OfficeSession::Open(home, 0).status().code() == Code::kInternal);

  Result<OfficeSession> s = OfficeSession::Open(home, kClock);
  REQUIRE_MESSAGE(s.ok(), s.status().ToString());
  CHECK_FALSE(s->is_office());
  CHECK(s->store() == nullptr);
  CHECK(s->clock() == kClock);
  // Without a ledger the trusted time is the clock, and asking makes none.
  CHECK(*s->TrustedNow() == "2026-09-21T14:13:20Z");
  CHECK_FALSE(os::Exists(home + "/ledger.sqlite"));

  // A bundle accepted with a creation time ahead of the clock (within the
  // day the ledger allows) raises the high-water mark: a clock set back
  // does not set the trusted time back.
  Result<Ledger*> ledger = s->ledger();
  REQUIRE_MESSAGE(ledger.ok(), ledger.status().ToString());
  CHECK(os::Exists(home + "/ledger.sqlite"));
  AcceptedBundle b;
  b.id = "2134000000-340102-000001";
  b.sender = "2134000000";
  b.recipient = "340102";
  b.sha256 = std::string(64, 'a');
  b.kind = "census";
  b.period = "2026";
  b.created = "2026-09-21T20:00:00Z";
  b.seq = 1;
  b.signers = "clerk 0123456789ABCDEF";
  REQUIRE((*ledger)->Accept(b, kClock).ok());
  CHECK(*s->TrustedNow() == "2026-09-21T20:00:00Z");

  Result<OfficeSession> later = OfficeSession::Open(home, kClock - 86400);
  REQUIRE(later.ok());
  CHECK(*later->TrustedNow() == "2026-09-21T20:00:00Z");

  // Not an office: no clerk key, and the remedy says what to do.
  NoPassphraseSource pw;  // nothing is loaded, so nothing is asked
  Result<const keys::SigningKey*> key = s->ClerkKey(pw);
  CHECK(key.status().code() == Code::kNotFound);
  CHECK(key.status().remedy() == Remedy::kInit);
  Result<const std::vector<keys::X25519Identity>*> ids = s->Identities({}, pw);
  CHECK(ids.status().remedy() == Remedy::kIdentity);
  // OpenOffice names what is missing.
  Result<OfficeSession> office = OfficeSession::OpenOffice(home, kClock);
  CHECK(office.status().code() == Code::kNotFound);
  CHECK(office.status().message().find("is not set up as an office") !=
        std::string::npos);
}

}  // namespace
}  // namespace xj::pack
