// Pins the base layer: Status context, display escaping, buffered reading,
// secret buffers, atomic files and the rest of the OS layer.
#include <doctest/doctest.h>

#include <filesystem>

#include "base/io.h"
#include "base/os.h"
#include "base/secret.h"
#include "base/status.h"
#include "support/test_util.h"

namespace xj {
namespace {

TEST_CASE("a Status gains context on the way up and keeps its code") {
  Status s = Status(Code::kMalformed, "bad magic").WithContext("reading x.age");
  CHECK(s.code() == Code::kMalformed);
  CHECK(s.message() == "reading x.age: bad magic");
  CHECK(Status::Ok().WithContext("ignored").ok());
  CHECK(CodeName(Code::kWrongPassphrase) == "wrong-passphrase");
}

TEST_CASE("a Status names its remedy, and keeps it through context") {
  Status s = Error(Code::kAlreadyExists, "x.key already exists")
                 .WithRemedy(Remedy::kRecipient, "3401")
                 .WithContext("writing the key");
  CHECK(s.message() == "writing the key: x.key already exists");
  CHECK(s.remedy() == Remedy::kRecipient);
  CHECK(s.remedy_arg() == "3401");
  CHECK(s.hint().empty());
  CHECK(Status(Code::kIoError, "e").remedy() == Remedy::kNone);
  // Success carries no remedy.
  CHECK(Status::Ok().WithRemedy(Remedy::kReplace).remedy() == Remedy::kNone);
}

TEST_CASE("a Result holds either a value or a failed Status") {
  Result<int> good = 7;
  REQUIRE(good.ok());
  CHECK(*good == 7);
  Result<int> bad = Status(Code::kNotFound, "gone");
  CHECK(!bad.ok());
  CHECK(bad.status().code() == Code::kNotFound);
  Result<int> from_ok = Status::Ok();  // misuse turns into an internal error
  CHECK(from_ok.status().code() == Code::kInternal);
}

TEST_CASE(
    "display escaping neutralises controls, bidi and invisible characters") {
  CHECK(EscapeForDisplay("张三 ok") == "张三 ok");
  CHECK(EscapeForDisplay("a\x1b[31mb") == "a\\u{1B}[31mb");
  CHECK(EscapeForDisplay("x\u202Ey") == "x\\u{202E}y");      // RLO
  CHECK(EscapeForDisplay("x\u200By") == "x\\u{200B}y");      // zero width
  CHECK(EscapeForDisplay("\xef\xbb\xbfz") == "\\u{FEFF}z");  // BOM
  CHECK(EscapeForDisplay("a\xff") == "a\\x{FF}");            // invalid UTF-8
  CHECK(EscapeForDisplay("\xc0\xaf") == "\\x{C0}\\x{AF}");   // overlong '/'
  CHECK(EscapeForDisplay("\xc2\x85") == "\\u{85}");          // C1 NEL
  CHECK(EscapeForDisplay("back\\slash") == "back\\\\slash");
  // Escaping what is escaped already: controls again, backslashes not.
  CHECK(EscapeControlsForDisplay(EscapeForDisplay("a\\b\u202Ec\x1b")) ==
        "a\\\\b\\u{202E}c\\u{1B}");
  CHECK(EscapeControlsForDisplay("x\u202Ey\\z") == "x\\u{202E}y\\z");
}

TEST_CASE("hex helpers round-trip and group by four") {
  Bytes b = test::Hex("00ff10AB");
  CHECK(ToHex(b) == "00ff10ab");
  CHECK(ToHexUpper(b) == "00FF10AB");
  CHECK(GroupedHex(b) == "00ff 10ab");
  Bytes out;
  CHECK_FALSE(FromHex("abc", &out));
  CHECK_FALSE(FromHex("zz", &out));
}

TEST_CASE("the buffered reader reads lines within a limit and peeks ahead") {
  std::string text = "one\ntwo\nlast-without-newline";
  MemorySource src(AsBytes(text));
  BufferedReader r(&src, 4);  // tiny buffer forces refills
  CHECK(r.Peek(3)->size() == 3);
  CHECK(*r.ReadLine(100) == "one\n");
  CHECK(*r.ReadLine(100) == "two\n");
  CHECK(r.offset() == 8);
  CHECK_FAILS_WITH(r.ReadLine(5), Code::kMalformed, "longer than 5");
  MemorySource src2(AsBytes(text));
  BufferedReader r2(&src2);
  (void)r2.ReadLine(100);
  (void)r2.ReadLine(100);
  CHECK(*r2.ReadLine(100) == "last-without-newline");
  CHECK(r2.ReadLine(100)->empty());  // end of input
}

TEST_CASE("a memory sink refuses to grow past its limit") {
  Bytes out;
  MemorySink sink(&out, 4);
  CHECK(sink.Write(AsBytes("abc")).ok());
  CHECK_FAILS_WITH(sink.Write(AsBytes("de")), Code::kNoSpace, "larger than 4");
}

TEST_CASE("secret buffers resize in place, wipe and compare in constant time") {
  Result<SecretBuffer> b = SecretBuffer::CopyOf(AsBytes("passphrase"));
  REQUIRE(b.ok());
  CHECK(b->view() == "passphrase");
  b->Resize(4);
  CHECK(b->view() == "pass");
  CHECK(b->Equals(AsBytes("pass")));
  CHECK_FALSE(b->Equals(AsBytes("pasS")));
  b->Resize(8);
  CHECK(b->view() == std::string("pass\0\0\0\0", 8));  // wiped, not stale
  SecretBuffer moved = std::move(b).value();
  CHECK(moved.size() == 8);
  Result<SecretBuffer> cap = SecretBuffer::Allocate(3);
  SecretSink sink(&*cap);
  CHECK(sink.Write(AsBytes("ab")).ok());
  CHECK_FAILS_WITH(sink.Write(AsBytes("cd")), Code::kNoSpace, "larger than 3");
}

TEST_CASE("an atomic file appears only on commit, with its mode") {
  test::TempDir dir;
  std::string path = dir / "out.bin";
  {
    Result<os::AtomicFile> f =
        os::AtomicFile::Create(path, 0600, os::Replace::kNever);
    REQUIRE(f.ok());
    REQUIRE(f->sink().Write(AsBytes("hello")).ok());
    CHECK_FALSE(test::Exists(path));
    CHECK(test::CountEntries(dir.path()) == 0);  // anonymous until commit
    REQUIRE(f->Commit().ok());
  }
  CHECK(test::ReadFile(path) == "hello");
  CHECK(test::Mode(path) == 0600);
}

TEST_CASE("an abandoned atomic file leaves nothing behind") {
  test::TempDir dir;
  {
    Result<os::AtomicFile> f =
        os::AtomicFile::Create(dir / "x", 0644, os::Replace::kNever);
    REQUIRE(f.ok());
    REQUIRE(f->sink().Write(AsBytes("partial")).ok());
  }
  CHECK(test::CountEntries(dir.path()) == 0);
}

TEST_CASE("an atomic file never replaces an existing file unless allowed") {
  test::TempDir dir;
  std::string path = dir / "keep";
  test::WriteFile(path, "old");
  CHECK_FAILS_WITH(os::AtomicFile::Create(path, 0644, os::Replace::kNever),
                   Code::kAlreadyExists, "already exists");
  // Appearing between create and commit is caught too.
  Result<os::AtomicFile> f =
      os::AtomicFile::Create(dir / "race", 0644, os::Replace::kNever);
  REQUIRE(f.ok());
  test::WriteFile(dir / "race", "someone else");
  CHECK_FAILS_WITH(f->Commit(), Code::kAlreadyExists, "already exists");
  CHECK(test::ReadFile(dir / "race") == "someone else");
  Result<os::AtomicFile> g =
      os::AtomicFile::Create(path, 0644, os::Replace::kAllowed);
  REQUIRE(g.ok());
  REQUIRE(g->sink().Write(AsBytes("new")).ok());
  REQUIRE(g->Commit().ok());
  CHECK(test::ReadFile(path) == "new");
  CHECK(test::CountEntries(dir.path()) == 2);
}

TEST_CASE("reading a file reports what is wrong with the path") {
  test::TempDir dir;
  CHECK_FAILS_WITH(os::ReadFile(dir / "missing", 10), Code::kNotFound,
                   "no such file");
  CHECK_FAILS_WITH(os::ReadFile(dir.path(), 10), Code::kInvalidArgument,
                   "is a folder");
  test::WriteFile(dir / "big", "0123456789A");
  CHECK_FAILS_WITH(os::ReadFile(dir / "big", 10), Code::kInvalidArgument,
                   "larger than 10 bytes");
  CHECK(os::ReadFile(dir / "big", 11)->size() == 11);
}

TEST_CASE("times format as RFC 3339 UTC") {
  CHECK(os::FormatUtc(0) == "1970-01-01T00:00:00Z");
  CHECK(os::FormatUtc(1795865295) == "2026-11-28T11:28:15Z");
  CHECK(os::FormatUtcCompact(0) == "19700101T000000Z");
}

TEST_CASE(
    "the OS layer: new files, folders, reads at offsets, links, programs") {
  test::TempDir dir;
  std::string f = dir.path() + "/new";
  {
    Result<os::File> made = os::CreateNewFile(f, 0600);
    REQUIRE_MESSAGE(made.ok(), made.status().ToString());
    os::FdSink sink(made->fd(), f);
    REQUIRE(sink.Write(AsBytes(std::string_view("0123456789"))).ok());
    CHECK(made->Sync(f).ok());
    CHECK(made->IsRegular());
    CHECK(*made->Size() == 10);
    REQUIRE(made->Close(f).ok());
  }
  CHECK_FAILS_WITH(os::CreateNewFile(f, 0600), Code::kAlreadyExists,
                   "creating " + f);
  Result<os::File> in = os::OpenForRead(f);
  REQUIRE(in.ok());
  std::uint8_t buf[4];
  CHECK(*in->ReadAt(MutableByteSpan(buf, 4), 6) == 4);
  CHECK(std::string_view(reinterpret_cast<char*>(buf), 4) == "6789");
  CHECK(*in->ReadAt(MutableByteSpan(buf, 4), 10) == 0);
  REQUIRE(in->Seek(8).ok());
  os::FdSource src(in->fd());
  CHECK(*src.Read(MutableByteSpan(buf, 4)) == 2);
  CHECK(buf[0] == '8');

  std::string sub = dir.path() + "/sub";
  REQUIRE(os::MakeDirectory(sub, 0700).ok());
  CHECK_FAILS_WITH(os::MakeDirectory(sub, 0700), Code::kAlreadyExists,
                   "creating " + sub);
  CHECK_FAILS_WITH(os::MakeDirectory(dir.path() + "/no/such", 0700),
                   Code::kNotFound, "creating");
  test::WriteFile(sub + "/x", "x");
  os::RemoveEmptyDirectory(sub);  // not empty: stays
  CHECK(os::IsDirectory(sub));
  REQUIRE(os::Rename(sub + "/x", f).ok());  // replaces
  CHECK(*os::ReadFile(f, 16) == ToBytes("x"));
  os::RemoveEmptyDirectory(sub);
  CHECK_FALSE(os::Exists(sub));
  os::RemoveFile(f);
  CHECK_FALSE(os::Exists(f));

  REQUIRE(os::MakeDirectory(sub, 0700).ok());
  std::string link = dir.path() + "/link";
  REQUIRE(std::filesystem::is_directory(sub));
  std::filesystem::create_directory_symlink(sub, link);
  CHECK(os::IsSymbolicLink(link));
  CHECK_FALSE(os::IsSymbolicLink(sub));
  CHECK(os::RealPath(link) == os::RealPath(sub));
  CHECK(os::RealPath(dir.path() + "/none").empty());
  CHECK(os::ProcessRuns(os::ProcessId()));

  Result<os::FileSystemInfo> fs = os::DescribeFileSystem(dir.path());
  REQUIRE(fs.ok());
  CHECK_FALSE(fs->type.empty());
  CHECK_FAILS_WITH(os::DescribeFileSystem(dir.path() + "/none"),
                   Code::kNotFound, "examining the file system of");

  // A program's exit status, its folder and its environment.
  Result<int> rc = os::RunProgram(
      "/bin/sh", {"-c", "test \"$XJ_T\" = yes && test -d sub && exit 7"},
      dir.path(), {{"XJ_T", "yes"}}, true);
  REQUIRE(rc.ok());
  CHECK(*rc == 7);
  rc = os::RunProgram("/bin/sh", {"-c", "kill -TERM $$"}, dir.path(), {}, true);
  REQUIRE(rc.ok());
  CHECK(*rc == 128 + 15);
  rc = os::RunProgram(dir.path() + "/none", {}, dir.path(), {}, true);
  REQUIRE(rc.ok());
  CHECK(*rc == 127);
}

}  // namespace
}  // namespace xj
