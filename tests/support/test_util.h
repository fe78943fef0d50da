// Helpers shared by the unit tests: scratch folders, files, tampering.
#pragma once

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "base/bytes.h"
#include "base/status.h"

namespace xj::test {

/// A fresh folder under $TMPDIR (or /tmp), removed with everything in it
/// when the test ends, whether it passed or not.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl =
        std::string(base && *base ? base : "/tmp") + "/xjtest-XXXXXX";
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const {
    return path_ + "/" + name;
  }

 private:
  std::string path_;
};

inline void WriteFile(const std::string& path, std::string_view data) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(data.data(), static_cast<std::streamsize>(data.size()));
}
inline void WriteFile(const std::string& path, ByteSpan data) {
  WriteFile(path, AsChars(data));
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

inline bool Exists(const std::string& path) {
  return std::filesystem::exists(std::filesystem::symlink_status(path));
}

inline unsigned Mode(const std::string& path) {
  struct stat st;
  ::stat(path.c_str(), &st);
  return st.st_mode & 07777;
}

/// Number of entries in a folder.
inline std::size_t CountEntries(const std::string& dir) {
  std::size_t n = 0;
  for (auto it = std::filesystem::directory_iterator(dir);
       it != std::filesystem::directory_iterator(); ++it) {
    ++n;
  }
  return n;
}

/// Flips the low bit of byte `i`.
inline Bytes FlipByte(Bytes data, std::size_t i) {
  data.at(i) ^= 1;
  return data;
}

/// Deterministic pseudo-random bytes (not cryptographic).
inline Bytes Pattern(std::size_t n, std::uint32_t seed = 1) {
  Bytes out(n);
  std::uint32_t x = seed * 2654435761u + 1;
  for (auto& b : out) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    b = static_cast<std::uint8_t>(x);
  }
  return out;
}

inline Bytes Hex(std::string_view hex) {
  Bytes out;
  REQUIRE(FromHex(hex, &out));
  return out;
}

}  // namespace xj::test

/// Asserts a Status / Result failed with `code` and a message containing
/// `substring`.
#define CHECK_FAILS_WITH(expr, code_, substring)                        \
  do {                                                                  \
    auto xj_s_ = ::xj::test::StatusOf(expr);                            \
    CHECK_MESSAGE(xj_s_.code() == (code_), xj_s_.ToString());           \
    CHECK_MESSAGE(xj_s_.message().find(substring) != std::string::npos, \
                  xj_s_.ToString());                                    \
  } while (0)

namespace xj::test {
inline Status StatusOf(const Status& s) { return s; }
template <typename T>
Status StatusOf(const Result<T>& r) {
  return r.ok() ? Status::Ok() : r.status();
}
}  // namespace xj::test
