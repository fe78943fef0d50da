// Pins the pieces under a bundle: the deterministic tar and its strict
// reader, zstd with its window and output caps, volumes, and the library
// round trip pack → verify → unpack with a fixed clock.
#include "libpack/bundle.h"

#include <doctest/doctest.h>
#include <zstd.h>

#include <filesystem>

#include "base/io.h"
#include "base/os.h"
#include "keys/crypto.h"
#include "libpack/media.h"
#include "libpack/minisign.h"
#include "libpack/stick.h"
#include "libpack/tar.h"
#include "libpack/zstd_stream.h"
#include "support/test_util.h"
#include "synth/synth.h"

namespace xj::pack {
namespace {

using test::TempDir;

Bytes MakeTar(const std::vector<std::pair<std::string, std::string>>& files,
              std::int64_t mtime = 1790000000) {
  Bytes out;
  MemorySink sink(&out);
  Result<std::unique_ptr<TarWriter>> w = TarWriter::Create(&sink, mtime);
  REQUIRE(w.ok());
  for (const auto& [path, data] : files) {
    REQUIRE((*w)->Begin(path, data.size()).ok());
    REQUIRE((*w)->Data(AsBytes(data)).ok());
  }
  REQUIRE((*w)->Finish().ok());
  return out;
}

// Reads every entry; returns the first error, or the entries read.
Result<std::vector<std::pair<std::string, std::string>>> ReadTar(
    ByteSpan tar, const TarLimits& limits = {}) {
  MemorySource src(tar);
  XJ_ASSIGN_OR_RETURN(std::unique_ptr<TarReader> r,
                      TarReader::Open(&src, limits));
  std::vector<std::pair<std::string, std::string>> out;
  TarEntry e;
  for (;;) {
    XJ_ASSIGN_OR_RETURN(bool more, r->Next(&e));
    if (!more) break;
    std::string data;
    std::uint8_t buf[4096];
    for (;;) {
      XJ_ASSIGN_OR_RETURN(std::size_t n, r->Read(MutableByteSpan(buf)));
      if (n == 0) break;
      data.append(reinterpret_cast<const char*>(buf), n);
    }
    out.emplace_back(e.path, data);
  }
  XJ_RETURN_IF_ERROR(r->Finish());
  return out;
}

std::string ErrorOf(ByteSpan tar, const TarLimits& limits = {}) {
  auto r = ReadTar(tar, limits);
  return r.ok() ? std::string("(no error)") : r.status().message();
}

// Sets a header's checksum field (after any change to the header).
void Checksum(Bytes& h) {
  std::memset(h.data() + 148, ' ', 8);
  unsigned sum = 0;
  for (std::uint8_t b : h) sum += b;
  std::snprintf(reinterpret_cast<char*>(h.data()) + 148, 8, "%06o", sum);
}

// A ustar header for one entry, checksummed (to build what our writer never
// would).
Bytes RawHeader(const std::string& name, char type, std::uint64_t size,
                const std::string& link = "") {
  Bytes h(512, 0);
  std::memcpy(h.data(), name.data(), std::min<std::size_t>(name.size(), 100));
  std::snprintf(reinterpret_cast<char*>(h.data()) + 100, 8, "%07o", 0644);
  std::snprintf(reinterpret_cast<char*>(h.data()) + 108, 8, "%07o", 0);
  std::snprintf(reinterpret_cast<char*>(h.data()) + 116, 8, "%07o", 0);
  std::snprintf(reinterpret_cast<char*>(h.data()) + 124, 12, "%011llo",
                static_cast<unsigned long long>(size));
  std::snprintf(reinterpret_cast<char*>(h.data()) + 136, 12, "%011o", 0);
  h[156] = static_cast<std::uint8_t>(type);
  std::memcpy(h.data() + 157, link.data(),
              std::min<std::size_t>(link.size(), 100));
  std::memcpy(h.data() + 257, "ustar", 6);
  std::memcpy(h.data() + 263, "00", 2);
  Checksum(h);
  return h;
}

Bytes RawTar(const std::vector<Bytes>& headers) {
  Bytes out;
  for (const Bytes& h : headers) out.insert(out.end(), h.begin(), h.end());
  out.resize(out.size() + 1024, 0);
  return out;
}

TEST_CASE("tar: our archives read back, byte-identical for the same input") {
  std::string long_name = "b/data/学校/" + std::string(150, 'x') + ".csv";
  std::vector<std::pair<std::string, std::string>> files = {
      {"b/bag-info.txt", "Payload-Oxum: 3.1\n"},
      {"b/data/empty.csv", ""},
      {long_name, std::string(70000, 'y')},
  };
  Bytes a = MakeTar(files), b = MakeTar(files);
  CHECK(a == b);
  CHECK(a.size() % 512 == 0);
  CHECK(MakeTar(files, 1790000001) != a);
  auto back = ReadTar(a);
  REQUIRE_MESSAGE(back.ok(), back.status().ToString());
  CHECK(*back == files);
}

TEST_CASE("tar: the reader refuses unsafe entries by name") {
  CHECK(ErrorOf(RawTar({RawHeader("../x", '0', 0)}))
            .find("holds an unsafe path \"../x\"") != std::string::npos);
  CHECK(ErrorOf(RawTar({RawHeader("/etc/x", '0', 0)})).find("absolute") !=
        std::string::npos);
  CHECK(ErrorOf(RawTar({RawHeader("b/l", '2', 0, "/etc/passwd")}))
            .find("a symbolic link") != std::string::npos);
  CHECK(
      ErrorOf(RawTar({RawHeader("b/h", '1', 0, "b/x")})).find("a hard link") !=
      std::string::npos);
  CHECK(ErrorOf(RawTar({RawHeader("b/c", '3', 0)}))
            .find("a device, FIFO or socket") != std::string::npos);
  CHECK(ErrorOf(RawTar({RawHeader("b/p", '6', 0)}))
            .find("a device, FIFO or socket") != std::string::npos);
  CHECK(ErrorOf(RawTar({RawHeader("b/d/", '5', 0)})).find("a folder entry") !=
        std::string::npos);
  CHECK(ErrorOf(RawTar({RawHeader("b/x", '0', 0), RawHeader("b/x", '0', 0)}))
            .find("a name that appears twice") != std::string::npos);
  CHECK(ErrorOf(RawTar({RawHeader("b/x", '0', 0), RawHeader("b/X", '0', 0)}))
            .find("differs from another only in case") != std::string::npos);
  CHECK(ErrorOf(RawTar({RawHeader("b/a\\b", '0', 0)})).find("unsafe path") !=
        std::string::npos);
  // GNU tar's long-name record ('L', GNU magic) before the entry it names.
  auto gnu_magic = [](Bytes h) {
    std::memcpy(h.data() + 257, "ustar  ", 8);
    Checksum(h);
    return h;
  };
  Bytes name_block(512, 0);
  std::memcpy(name_block.data(), "b/xy", 4);
  CHECK(ErrorOf(RawTar({gnu_magic(RawHeader("././@LongLink", 'L', 4)),
                        name_block, gnu_magic(RawHeader("b/x", '0', 0))}))
            .find("a GNU tar header") != std::string::npos);
  // Nor the old v7 header, without the ustar magic.
  Bytes v7 = RawHeader("b/x", '0', 0);
  std::memset(v7.data() + 257, 0, 8);
  Checksum(v7);
  CHECK(ErrorOf(RawTar({v7})).find("not POSIX ustar or pax") !=
        std::string::npos);
}

// A pax extended header with these records, then the entry's own header.
std::vector<Bytes> PaxEntry(const std::string& records, const std::string& name,
                            std::uint64_t size) {
  Bytes data(records.begin(), records.end());
  data.resize((data.size() + 511) / 512 * 512, 0);
  Bytes pax = RawHeader("PaxHeader/x", 'x', records.size());
  pax.insert(pax.end(), data.begin(), data.end());
  return {pax, RawHeader(name, '0', size)};
}

// "LEN key=value\n", LEN counting itself.
std::string PaxRecord(const std::string& key, const std::string& value) {
  std::string body = " " + key + "=" + value + "\n";
  std::size_t len = body.size() + 1;
  while (std::to_string(len).size() + body.size() != len) ++len;
  return std::to_string(len) + body;
}

TEST_CASE("tar: a name is judged as stored, not as libarchive reads it") {
  // libarchive composes a UTF-8 pax path to NFC while reading it: the
  // decomposed name must still be refused, for what it is.
  std::vector<Bytes> nfd =
      PaxEntry(PaxRecord("path", "b/e\u0301.jpg"), "b/x", 0);
  std::string err = ErrorOf(RawTar(nfd));
  CHECK_MESSAGE(err.find("not in Unicode normal form C (as stored; it reads as "
                         "\"b/\u00e9.jpg\")") != std::string::npos,
                err);
  // The composed name, stored so, is fine; so is a pax size record.
  std::vector<Bytes> nfc =
      PaxEntry(PaxRecord("path", "b/\u00e9.jpg"), "b/x", 0);
  CHECK(ErrorOf(RawTar(nfc)) == "(no error)");
  std::vector<Bytes> sized =
      PaxEntry(PaxRecord("size", "3") + PaxRecord("path", "b/s"), "b/x", 0);
  Bytes body(512, 0);
  std::memcpy(body.data(), "abc", 3);
  sized.push_back(body);
  auto back = ReadTar(RawTar(sized));
  REQUIRE_MESSAGE(back.ok(), back.status().ToString());
  CHECK(back->at(0).first == "b/s");
  CHECK(back->at(0).second == "abc");
  // A size field with digits after its end: refused.
  Bytes odd = RawHeader("b/o", '0', 0);
  std::memcpy(odd.data() + 124, "0000000 003", 12);
  Checksum(odd);
  // (libarchive refuses it too, before the scanner can)
  CHECK(ErrorOf(RawTar({odd})) != "(no error)");
  // A pax record the scanner cannot follow is refused, not passed by.
  std::vector<Bytes> bad = PaxEntry("99 path=b/y\n", "b/x", 0);
  CHECK(ErrorOf(RawTar(bad)).find("(no error)") == std::string::npos);
}

TEST_CASE("tar: limits on files, file size and total size") {
  Bytes tar = MakeTar({{"b/1", "aaaa"}, {"b/2", "bbbb"}, {"b/3", "cccc"}});
  TarLimits limits;
  limits.max_files = 2;
  CHECK(ErrorOf(tar, limits) == "the archive holds more than 2 files");
  limits = {};
  limits.max_total = 11;
  CHECK(ErrorOf(tar, limits).find("more than 11 bytes") != std::string::npos);
  limits = {};
  limits.max_file_size = 3;
  CHECK(ErrorOf(tar, limits).find("a file larger than allowed") !=
        std::string::npos);
  limits.max_file_size = 4;
  limits.max_total = 12;
  limits.max_files = 3;
  CHECK(ReadTar(tar, limits).ok());
}

TEST_CASE("tar: only zeros may follow the end of the archive") {
  Bytes tar = MakeTar({{"b/1", "x"}});
  Bytes padded = tar;
  padded.resize(padded.size() + 100000, 0);
  CHECK(ReadTar(padded).ok());
  Bytes junk = padded;
  junk.back() = 1;
  auto r = ReadTar(junk);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kTrailingData);
  Bytes cut(tar.begin(), tar.begin() + 700);
  CHECK_FALSE(ReadTar(cut).ok());
}

Bytes Compress(ByteSpan data, int workers) {
  Bytes out;
  MemorySink sink(&out);
  auto z = ZstdCompressSink::Create(&sink, 3, workers);
  REQUIRE(z.ok());
  // In odd-sized pieces, as a stream would come.
  for (std::size_t at = 0; at < data.size(); at += 77777) {
    REQUIRE((*z)->Write(data.subspan(
                            at, std::min<std::size_t>(77777, data.size() - at)))
                .ok());
  }
  REQUIRE((*z)->Finish().ok());
  return out;
}

Result<Bytes> Decompress(ByteSpan data, std::uint64_t max) {
  MemorySource src(data);
  XJ_ASSIGN_OR_RETURN(auto z, ZstdDecompressSource::Create(&src, max));
  Bytes out, buf(1 << 16);
  for (;;) {
    XJ_ASSIGN_OR_RETURN(std::size_t n, z->Read(buf));
    if (n == 0) return out;
    out.insert(out.end(), buf.begin(), buf.begin() + static_cast<long>(n));
  }
}

TEST_CASE("zstd: same bytes whatever the worker count, and a round trip") {
  Bytes data(12 << 20);
  keys::RandomBytes(MutableByteSpan(data.data(), 1 << 20));
  for (std::size_t i = 1 << 20; i < data.size(); ++i) data[i] = data[i % 5000];
  Bytes one = Compress(data, 1), two = Compress(data, 2);
  CHECK(one == two);
  CHECK(one.size() < data.size() / 4);
  auto back = Decompress(one, data.size());
  REQUIRE_MESSAGE(back.ok(), back.status().ToString());
  CHECK(*back == data);
}

TEST_CASE("zstd: output cap, window cap, truncation and junk") {
  Bytes zeros(64 << 20, 0);
  Bytes bomb = Compress(zeros, 1);
  CHECK(bomb.size() < 100000);
  auto r = Decompress(bomb, 1 << 20);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kRejected);
  CHECK(r.status().message().find("more than 1048576 bytes") !=
        std::string::npos);

  // A frame that declares a 128 MiB window (zstd --long=27).
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog, 27);
  ZSTD_CCtx_setParameter(c, ZSTD_c_enableLongDistanceMatching, 1);
  Bytes wide(ZSTD_compressBound(zeros.size()));
  ZSTD_outBuffer out{wide.data(), wide.size(), 0};
  ZSTD_inBuffer in{zeros.data(), zeros.size(), 0};
  REQUIRE(ZSTD_compressStream2(c, &out, &in, ZSTD_e_end) == 0);
  ZSTD_freeCCtx(c);
  wide.resize(out.pos);
  r = Decompress(wide, zeros.size());
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("Frame requires too much memory") !=
        std::string::npos);

  Bytes small = Compress(AsBytes(std::string(1000, 'q')), 1);
  Bytes cut(small.begin(), small.end() - 3);
  r = Decompress(cut, 10000);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kTruncated);
  Bytes junk = small;
  junk.push_back(0x42);
  CHECK_FALSE(Decompress(junk, 10000).ok());
  // One frame only: a second, whole and sound, is refused.
  Bytes two = small;
  two.insert(two.end(), small.begin(), small.end());
  r = Decompress(two, 10000);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kTrailingData);
  CHECK(r.status().message().find("after its one zstd frame") !=
        std::string::npos);
}

TEST_CASE("volumes: split at the size, the last one short, names") {
  TempDir dir;
  for (std::uint64_t total : {0ull, 1ull, 1000ull, 3000ull, 3001ull}) {
    std::string d = dir / std::to_string(total);
    REQUIRE(os::MakeDirectories(d, 0700).ok());
    VolumeWriter w(d, 1000);
    Bytes data(total, 0x5a);
    REQUIRE(w.Write(data).ok());
    auto v = w.Finish();
    REQUIRE(v.ok());
    std::size_t want = total <= 1000 ? 1 : (total + 999) / 1000;
    CHECK(v->size() == want);
    CHECK((*v)[0].name ==
          (want == 1 ? "payload.tar.zst.age" : "payload.tar.zst.age.001"));
    std::uint64_t sum = 0;
    for (const VolumeFile& f : *v) {
      CHECK(f.size <= 1000);
      CHECK(test::ReadFile(d + "/" + f.name).size() == f.size);
      keys::Hasher h(keys::Hasher::Algorithm::kSha512);
      h.Update(AsBytes(test::ReadFile(d + "/" + f.name)));
      CHECK(ToHex(h.Finish()) == f.sha512);
      sum += f.size;
    }
    CHECK(sum == total);
  }
  CHECK(stick::VolumeNames(3) ==
        std::vector<std::string>{"payload.tar.zst.age.001",
                                 "payload.tar.zst.age.002",
                                 "payload.tar.zst.age.003"});
}

class Discard final : public registry::FindingSink {
 public:
  void Report(const registry::Finding&) override {}
};

TEST_CASE("pack, verify and unpack through the library, with a fixed clock") {
  TempDir dir;
  Result<registry::RegistryData> data = registry::LoadRegistryData();
  REQUIRE_MESSAGE(data.ok(), data.status().ToString());
  SynthOptions so;
  so.output = dir / "school";
  so.photos = true;
  so.seed = 11;
  Discard discard;
  REQUIRE(Synthesize(*data, so).ok());
  Result<keys::SigningKey> made_key = keys::SigningKey::Generate();
  Result<keys::X25519Identity> made_county = keys::X25519Identity::Generate();
  REQUIRE(made_key.ok());
  REQUIRE(made_county.ok());
  const keys::SigningKey& key = *made_key;
  const keys::X25519Identity& county = *made_county;

  auto pack_once = [&](const std::string& name) {
    REQUIRE(os::MakeDirectories(dir / name, 0700).ok());
    REQUIRE(os::MakeDirectories(dir / (name + "-home"), 0700).ok());
    PackRequest req;
    req.data = &*data;
    req.registry_dir = dir / "school";
    req.recipient = {"340102", {county.public_key()}};
    req.key = &key;
    Result<Home> home = OpenHome(dir / (name + "-home"));
    REQUIRE_MESSAGE(home.ok(), home.status().ToString());
    req.home = *home;
    req.media = dir / name;
    req.now = 1790000000;
    req.volume_size = 256 << 10;
    Result<PackResult> r = Pack(req, discard);
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    return std::move(r).value();
  };
  PackResult a = pack_once("a"), b = pack_once("b");
  CHECK(a.statement.id == "2134000000-340102-000001");
  CHECK(a.statement.created == "2026-09-21T14:13:20Z");
  CHECK(a.statement.volumes.size() > 1);
  // Same input, key and clock: the same bag (its tag manifest and size).
  CHECK(a.statement.bag_tagmanifest_sha512 ==
        b.statement.bag_tagmanifest_sha512);
  CHECK(a.statement.bag_oxum == b.statement.bag_oxum);

  std::vector<TrustedKey> trusted = {
      TrustedKey{minisign::PublicKeyOf(key), "clerk", "test key"}};
  std::vector<keys::X25519Identity> ids;
  ids.push_back(std::move(made_county).value());
  VerifyRequest v;
  v.dirs = {a.media_dir};
  v.trust.keys = trusted;
  v.identities = &ids;
  Result<BundleReport> report = Verify(v);
  REQUIRE_MESSAGE(report.ok(), report.status().ToString());
  CHECK(report->signatures.size() == 1);
  CHECK(report->signatures[0].valid);
  CHECK(report->payload_bytes > 0);

  UnpackRequest u;
  u.dirs = {a.media_dir};
  u.trust.keys = trusted;
  u.identities = &ids;
  u.output = dir / "out";
  // The library reads no clock: without the time it refuses.
  CHECK(Unpack(u).status().code() == Code::kInternal);
  u.now = 1790000000 + 86400;
  Result<UnpackResult> un = Unpack(u);
  REQUIRE_MESSAGE(un.ok(), un.status().ToString());
  CHECK(test::ReadFile(un->bag_dir + "/data/registry/photos/" +
                       os::ListDirectory(so.output + "/photos")->front()) ==
        test::ReadFile(so.output + "/photos/" +
                       os::ListDirectory(so.output + "/photos")->front()));
  // Nothing else is left beside the bag.
  CHECK(*os::ListDirectory(dir / "out") ==
        std::vector<std::string>{"2134000000-340102-000001"});

  // Unpack refuses without trust, and a wrong identity leaves nothing.
  u.trust.keys.clear();
  CHECK(Unpack(u).status().code() == Code::kInvalidArgument);
  u.trust.keys = trusted;
  std::vector<keys::X25519Identity> wrong;
  wrong.push_back(keys::X25519Identity::Generate().value());
  u.identities = &wrong;
  u.output = dir / "out2";
  Result<UnpackResult> w = Unpack(u);
  CHECK(w.status().code() == Code::kNoIdentity);
  CHECK_FALSE(test::Exists(dir / "out2"));
}

}  // namespace
}  // namespace xj::pack
