// The ledger's hash chain: each accepted row links to the one before, the
// head moves with every acceptance, and an opening refuses a ledger whose
// chain or values were changed behind its back.
#include "libpack/ledger.h"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include "base/os.h"
#include "support/test_util.h"

namespace xj::pack {
namespace {

constexpr std::int64_t kClock = 1790000000;  // 2026-09-21T14:13:20Z

AcceptedBundle Row(std::uint64_t seq) {
  AcceptedBundle b;
  b.sender = "2134000000";
  b.recipient = "340102";
  b.seq = seq;
  b.id = fmt::format("2134000000-340102-{:06}", seq);
  b.sha256 = std::string(64, static_cast<char>('a' + seq));
  b.kind = "census";
  b.period = "2026-09-30";
  b.created = "2026-09-21T10:00:00Z";
  b.signers = "clerk 0123456789ABCDEF";
  b.by = {"340102-000001", "2027-09-30T23:59:59Z", "0123456789ABCDEF"};
  return b;
}

void Sql(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  CHECK(sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
}

TEST_CASE("the ledger's rows are a hash chain, checked at every opening") {
  test::TempDir dir;
  Home home{dir / "home"};
  REQUIRE(os::MakeDirectories(home.root, 0700).ok());
  std::string path = home.root + "/ledger.sqlite";
  {
    Result<Ledger> l = Ledger::Open(home);
    REQUIRE_MESSAGE(l.ok(), l.status().ToString());
    CHECK(l->head().n == 0);
    CHECK(l->head().link == std::string(64, '0'));
    REQUIRE(l->Accept(Row(1), kClock).ok());
    std::string first = l->head().link;
    CHECK(l->head().n == 1);
    REQUIRE(l->AcceptAll({Row(2), Row(3)}, kClock).ok());
    CHECK(l->head().n == 3);
    CHECK(l->head().link != first);
  }
  // Opened again: the same head, recomputed from the rows.
  Result<Ledger> again = Ledger::Open(home);
  REQUIRE(again.ok());
  CHECK(again->head().n == 3);
  again = Status(Code::kInternal, "closed");  // closes the database

  auto damaged = [&](const char* sql, std::string_view what) {
    test::TempDir copy;
    Home h{copy / "home"};
    REQUIRE(os::MakeDirectories(h.root, 0700).ok());
    test::WriteFile(h.root + "/ledger.sqlite", test::ReadFile(path));
    Sql(h.root + "/ledger.sqlite", sql);
    Result<Ledger> l = Ledger::Open(h);
    REQUIRE_FALSE(l.ok());
    CHECK(l.status().code() == Code::kIntegrity);
    CHECK(l.status().remedy() == Remedy::kRestoreLedger);
    CHECK_MESSAGE(l.status().message().find(what) != std::string::npos,
                  l.status().message());
  };
  damaged("UPDATE accepted SET period='2025-09-30' WHERE n=2",
          "row 2 (bundle 2134000000-340102-000002) does not follow the row "
          "before it: it was changed");
  damaged("DELETE FROM accepted WHERE n=2",
          "row 2 is missing (the next is row 3");
  damaged("UPDATE accepted SET taken_as='copy' WHERE n=3",
          "row 3 (bundle 2134000000-340102-000003) does not follow");
  // Who signed a row is part of it: a certificate swapped in is seen.
  damaged("UPDATE accepted SET cert='340102-000009' WHERE n=1",
          "row 1 (bundle 2134000000-340102-000001) does not follow");
  damaged("UPDATE accepted SET keys='FEDCBA9876543210' WHERE n=3",
          "row 3 (bundle 2134000000-340102-000003) does not follow");
  damaged("UPDATE meta SET value='2' || value WHERE key='format'",
          "its format is \"23\", and this xjpack reads format 3");
  damaged("UPDATE meta SET value='soon' WHERE key='high-water-mark'",
          "its high-water mark \"soon\" is not a UTC time");
  damaged("DELETE FROM meta WHERE key='format'", "it names no format");
  damaged("ALTER TABLE accepted DROP COLUMN link",
          "its rows are not a ledger's (no such column: link)");
}

TEST_CASE("a receipt still being written is not a receipt the ledger signed") {
  // An unpack killed while it wrote its receipt leaves NAME.xjtmp; the
  // rerun opens the ledger before it writes the receipt again.
  test::TempDir dir;
  Home home{dir / "home"};
  std::string tmp = home.outbox() + "/receipts/2134000000-340102-000001.xjtmp";
  REQUIRE(os::MakeDirectories(tmp, 0700).ok());
  test::WriteFile(tmp + "/receipt.stmt", "xjtrust/1 receipt\nbundle: 21");
  Result<Ledger> l = Ledger::Open(home);
  CHECK_MESSAGE(l.ok(), l.status().ToString());
  // A whole receipt folder with that content is refused, as before.
  std::string whole = home.outbox() + "/receipts/2134000000-340102-000001";
  REQUIRE(os::MakeDirectories(whole, 0700).ok());
  test::WriteFile(whole + "/receipt.stmt", "xjtrust/1 receipt\nbundle: 21");
  l = Status(Code::kInternal, "closed");
  CHECK_FALSE(Ledger::Open(home).ok());
}

TEST_CASE("the ledger remembers who signed what each sender sent") {
  test::TempDir dir;
  Home home{dir / "home"};
  REQUIRE(os::MakeDirectories(home.root, 0700).ok());
  Result<Ledger> l = Ledger::Open(home);
  REQUIRE(l.ok());
  AcceptedBundle one = Row(1), two = Row(2), copy = Row(3), held = Row(4);
  two.created = "2026-09-22T10:00:00Z";
  two.by.cert = "340102-000002";
  copy.created = "2026-09-23T10:00:00Z";
  copy.by.cert = "340102-000003";
  copy.taken_as = "copy";
  held.sender = "3134000000";
  held.id = "3134000000-340102-000004";
  held.signers = "held in 340102-3401-000001";
  held.taken_as = "held";
  REQUIRE(l->AcceptAll({one, two, copy, held}, kClock).ok());
  // The newest other bundle made no later than the one asked about; a
  // copy is never what a sender delivered.
  auto last = l->LastSignedBy("2134000000", "2134000000-340102-000009",
                              "2026-09-30T00:00:00Z");
  REQUIRE(last.ok());
  REQUIRE(last->has_value());
  CHECK((*last)->id == "2134000000-340102-000002");
  CHECK((*last)->by.cert == "340102-000002");
  last = l->LastSignedBy("2134000000", "2134000000-340102-000002",
                         "2026-09-22T10:00:00Z");
  REQUIRE(last.ok());
  CHECK((*last)->id == "2134000000-340102-000001");
  last = l->LastSignedBy("2134000000", "x", "2026-09-01T00:00:00Z");
  REQUIRE(last.ok());
  CHECK_FALSE(last->has_value());
  // What a bundle brought with it, for its receipt.
  auto in = l->HeldIn("340102-3401-000001");
  REQUIRE(in.ok());
  REQUIRE(in->size() == 1);
  CHECK((*in)[0].first == "3134000000-340102-000004");
  CHECK((*in)[0].second.keys == "0123456789ABCDEF");
  in = l->HeldIn("2134000000-340102-000001");
  REQUIRE(in.ok());
  CHECK(in->empty());
}

}  // namespace
}  // namespace xj::pack
