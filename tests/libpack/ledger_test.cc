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
  damaged("UPDATE meta SET value='2' || value WHERE key='format'",
          "its format is \"22\", and this xjpack reads format 2");
  damaged("UPDATE meta SET value='soon' WHERE key='high-water-mark'",
          "its high-water mark \"soon\" is not a UTC time");
  damaged("DELETE FROM meta WHERE key='format'", "it names no format");
  damaged("ALTER TABLE accepted DROP COLUMN link",
          "its rows are not a ledger's (no such column: link)");
}

}  // namespace
}  // namespace xj::pack
