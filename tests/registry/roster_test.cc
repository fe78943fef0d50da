// RosterCounter: a students.csv counted by grade, sex, status and migrant,
// whatever the pieces it arrives in.
#include "registry/roster.h"

#include <doctest/doctest.h>

#include <random>

#include "support/test_util.h"

namespace xj::registry {
namespace {

using ByValues = RosterCounter::ByValues;

// Counts `text` fed in pieces of `piece` bytes (0: all at once).
Result<ByValues> Count(std::string_view text, std::size_t piece = 0) {
  RosterCounter c("students.csv");
  ByteSpan all = AsBytes(text);
  if (piece == 0) piece = all.size() + 1;
  for (std::size_t at = 0; at < all.size(); at += piece) {
    XJ_RETURN_IF_ERROR(
        c.Feed(all.subspan(at, std::min(piece, all.size() - at))));
  }
  return c.Finish();
}

constexpr std::string_view kRoster =
    "student_no,name,grade,sex,address,status,migrant\r\n"
    "1,\"张三\",1,1,\"合肥市, 长江路 1 号\",1,0\r\n"
    "2,李四,1,2,\"两行\r\n地址\",1,0\r\n"
    "3,\"王\"\"五\",2,1,,3,1\r\n"
    "4,赵六,1,1,x,1,0\r\n";

TEST_CASE("a roster is counted by its four columns, quoted fields and all") {
  Result<ByValues> r = Count(kRoster);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  ByValues want = {{{"1", "1", "1", "0"}, 2},
                   {{"1", "2", "1", "0"}, 1},
                   {{"2", "1", "3", "1"}, 1}};
  CHECK(*r == want);
}

TEST_CASE("long values are counted apart from short ones, byte for byte") {
  // Values of up to six bytes in all are counted by a packed number, longer
  // ones by their text: both must keep every spelling apart and give it
  // back exactly.
  Result<ByValues> r = Count(
      "grade,sex,status,migrant\r\n"
      "11,1,1,0\r\n"
      "\"11\",1,1,0\r\n"
      "11,1,1,0\r\n"
      "110,1,1,0\r\n"
      "1,11,1,0\r\n"
      ",,,\r\n"
      "\"one grade\",\"\xE7\x94\xB7\",1,0\r\n"
      ",,,\r\n");
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  ByValues want = {{{"11", "1", "1", "0"}, 2},
                   {{"\"11\"", "1", "1", "0"}, 1},
                   {{"110", "1", "1", "0"}, 1},
                   {{"1", "11", "1", "0"}, 1},
                   {{"", "", "", ""}, 2},
                   {{"\"one grade\"", "\"\xE7\x94\xB7\"", "1", "0"}, 1}};
  CHECK(*r == want);
}

TEST_CASE("the counts do not depend on where the pieces end") {
  Result<ByValues> whole = Count(kRoster);
  REQUIRE(whole.ok());
  for (std::size_t piece : {1, 2, 3, 5, 7, 64}) {
    Result<ByValues> r = Count(kRoster, piece);
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    CHECK_MESSAGE(*r == *whole, "pieces of ", piece);
  }
}

TEST_CASE(
    "line ends: CR LF, LF and CR each end a record, and the last may lack "
    "one") {
  std::string lf = "grade,sex,status,migrant\n1,1,1,0\n2,2,1,0";
  std::string cr = "grade,sex,status,migrant\r1,1,1,0\r2,2,1,0\r";
  for (const std::string& t : {lf, cr}) {
    Result<ByValues> r = Count(t, 1);
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    CHECK(r->size() == 2);
    CHECK(r->at({"2", "2", "1", "0"}) == 1);
  }
}

TEST_CASE("a record with the wrong number of fields is refused with its line") {
  CHECK_FAILS_WITH(Count("grade,sex,status,migrant\r\n1,1,1,0\r\n1,1,1\r\n"),
                   Code::kRejected,
                   "students.csv:3: 3 fields, the header has 4");
  // A blank line is a record of one empty field.
  CHECK_FAILS_WITH(Count("grade,sex,status,migrant\r\n1,1,1,0\r\n\r\n", 1),
                   Code::kRejected, "students.csv:3: 1 fields");
  // A comma inside quotes is no separator; outside it is.
  CHECK_FAILS_WITH(Count("grade,sex,status,migrant\r\n1,\"1,1\",0\r\n"),
                   Code::kRejected, "students.csv:2: 3 fields");
}

TEST_CASE("the header must name the four columns") {
  CHECK_FAILS_WITH(Count("grade,sex,status\r\n1,1,1\r\n"), Code::kRejected,
                   "students.csv: no migrant column");
  CHECK_FAILS_WITH(Count(""), Code::kRejected, "students.csv: no header");
  // A quoted header name is not the name.
  CHECK_FAILS_WITH(Count("\"grade\",sex,status,migrant\r\n"), Code::kRejected,
                   "no grade column");
}

TEST_CASE("random rosters in random pieces count alike") {
  std::mt19937 rng(7);
  const char* alphabet[] = {"1", "2", "\"", ",", "\r", "\n", "\r\n", "x", "王"};
  for (int round = 0; round < 200; ++round) {
    std::string t = "grade,sex,status,migrant\r\n";
    int n = static_cast<int>(rng() % 60);
    for (int i = 0; i < n; ++i) t += alphabet[rng() % 9];
    Result<ByValues> whole = Count(t);
    for (std::size_t piece : {1, 2, 3, 11}) {
      Result<ByValues> r = Count(t, piece);
      CHECK(r.ok() == whole.ok());
      if (r.ok() && whole.ok()) CHECK(*r == *whole);
      if (!r.ok() && !whole.ok())
        CHECK(r.status().message() == whole.status().message());
    }
  }
}

}  // namespace
}  // namespace xj::registry
