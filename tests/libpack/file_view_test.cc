// KeptFiles: what an extraction kept of a held child's files answers as the
// disk would, from memory where it can and from the disk where it cannot.
#include "libpack/file_view.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <map>

#include "support/test_util.h"

namespace xj::pack {
namespace {

using Kind = os::Dir::Kind;

// A bag as an extraction leaves it: a held child with a chain folder, a
// bag, and names that sort around '/' ("a-b" before "a/"); and another
// child the view does not cover.
struct Tree {
  test::TempDir dir;
  std::string root = dir / "bag";
  std::map<std::string, std::string> texts;  // what the views point into
  PathSizes sizes;
  PathBytes bytes;

  Tree() {
    const std::vector<std::pair<std::string, std::string>> files = {
        {"data/children/C1/bundle.stmt", "statement\n"},
        {"data/children/C1/bundle.stmt.AB.minisig", "signature\n"},
        {"data/children/C1/chain/cert-1.stmt", "cert\n"},
        {"data/children/C1/chain/root-1.stmt", "root\n"},
        {"data/children/C1/bag/data/a-b/x.csv", "ab\n"},
        {"data/children/C1/bag/data/a/x.csv", "a\n"},
        {"data/children/C1/bag/data/a0", "a0\n"},
        {"data/children/C1/bag/data/registry/students.csv", "big roster\n"},
        {"data/children/C2/bundle.stmt", "other\n"},
    };
    for (const auto& [rel, text] : files) {
      std::string full = root + "/" + rel;
      std::filesystem::create_directories(os::DirName(full));
      test::WriteFile(full, text);
      if (rel.starts_with("data/children/C1/")) {
        const auto& [path, kept] = *texts.emplace(rel, text).first;
        sizes[path] = kept.size();
        // The roster is not kept (as an extraction counts it instead).
        if (!rel.ends_with("students.csv")) bytes[path] = kept;
      }
    }
  }
};

TEST_CASE("kept files list, tell kinds and read as the disk does") {
  Tree t;
  KeptFiles kept(t.root, "data/children/C1", t.sizes, t.bytes);
  const FileView& disk = DiskFiles();
  const std::string c1 = t.root + "/data/children/C1";
  for (const std::string& dir :
       {c1, c1 + "/chain", c1 + "/bag/data", c1 + "//bag/data/",
        t.root + "/data/children", t.root + "/data/children/C2"}) {
    CAPTURE(dir);
    Result<std::vector<std::string>> a = kept.List(dir), b = disk.List(dir);
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    CHECK(*a == *b);
    CHECK(kept.IsDirectory(dir));
    Result<std::unique_ptr<Folder>> f = kept.Open(dir);
    REQUIRE(f.ok());
    Result<std::vector<std::string>> names = (*f)->List();
    REQUIRE(names.ok());
    CHECK(*names == *b);
    Result<os::Dir> d = os::Dir::Open(dir);
    REQUIRE(d.ok());
    for (const std::string& n : *names) {
      CAPTURE(n);
      CHECK((*f)->KindOf(n) == d->KindOf(n));
    }
    CHECK((*f)->KindOf("missing") == Kind::kMissing);
  }
  CHECK(*kept.List(c1 + "/bag/data") ==
        std::vector<std::string>{"a", "a-b", "a0", "registry"});
  // Every file reads the same, kept or not; sizes are the same.
  for (const auto& entry : t.sizes) {
    const std::string rel(entry.first);
    const std::uint64_t size = entry.second;
    CAPTURE(rel);
    Result<Bytes> a = kept.ReadFile(t.root + "/" + rel, 1 << 20);
    REQUIRE(a.ok());
    CHECK(*a == *disk.ReadFile(t.root + "/" + rel, 1 << 20));
    CHECK(*kept.Size(t.root + "/" + rel) == size);
  }
  // What the view cannot answer, the disk does, with the disk's errors.
  Result<std::vector<std::string>> gone = kept.List(c1 + "/nothing");
  REQUIRE_FALSE(gone.ok());
  CHECK(gone.status().code() == disk.List(c1 + "/nothing").status().code());
  CHECK_FALSE(kept.IsDirectory(c1 + "/bundle.stmt"));
  CHECK_FALSE(kept.Open(c1 + "/bundle.stmt").ok());
  Result<Bytes> small = kept.ReadFile(c1 + "/bundle.stmt", 4);
  REQUIRE_FALSE(small.ok());
  CHECK(small.status().code() ==
        disk.ReadFile(c1 + "/bundle.stmt", 4).status().code());
}

TEST_CASE("kept files read the bytes that were kept, not the disk's") {
  Tree t;
  KeptFiles kept(t.root, "data/children/C1", t.sizes, t.bytes);
  const std::string c1 = t.root + "/data/children/C1";
  // The disk changed after the extraction hashed and kept the file.
  test::WriteFile(c1 + "/chain/cert-1.stmt", "changed\n");
  // A folder below the scope is one the extraction wrote a file into,
  // whatever the disk holds now (outside the scope, the disk answers).
  std::filesystem::create_directories(c1 + "/extra");
  test::WriteFile(c1 + "/extra/x", "x\n");
  CHECK_FALSE(kept.IsDirectory(c1 + "/extra"));
  CHECK_FALSE(kept.IsDirectory(c1 + "/nothing"));
  CHECK(kept.IsDirectory(c1 + "/chain/"));
  std::filesystem::create_directories(t.root + "/data/extra");
  CHECK(kept.IsDirectory(t.root + "/data/extra"));
  CHECK(AsChars(*kept.ReadFile(c1 + "/chain/cert-1.stmt", 100)) == "cert\n");
  Result<std::unique_ptr<Folder>> chain = kept.Open(c1 + "/chain");
  REQUIRE(chain.ok());
  CHECK(AsChars(*(*chain)->ReadFile("cert-1.stmt", 100)) == "cert\n");
  // A file not kept (the roster), or outside the child, is the disk's.
  test::WriteFile(c1 + "/bag/data/registry/students.csv", "new roster\n");
  CHECK(AsChars(*kept.ReadFile(c1 + "/bag/data/registry/students.csv", 100)) ==
        "new roster\n");
  test::WriteFile(t.root + "/data/children/C2/bundle.stmt", "C2 now\n");
  CHECK(AsChars(*kept.ReadFile(t.root + "/data/children/C2/bundle.stmt",
                               100)) == "C2 now\n");
  // A path that only starts like the child is not the child's.
  std::string rel;
  CHECK_FALSE(kept.Covers(t.root + "/data/children/C10/x", &rel));
  CHECK(kept.Covers(t.root + "//data/children/C1//chain/", &rel));
  CHECK(rel == "data/children/C1/chain");
}

}  // namespace
}  // namespace xj::pack
