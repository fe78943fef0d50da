// Helpers shared by the fuzz targets: the oracle's assertion, and a file
// in memory for readers that take a path.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

/// Stops the run (libFuzzer saves the input as a crash) when an invariant
/// of the parser under test does not hold: a round trip that changed the
/// bytes, a value the parser promised not to return.
#define FUZZ_CHECK(cond)                                               \
  do {                                                                 \
    if (!(cond)) {                                                     \
      std::fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, \
                   __LINE__, #cond);                                   \
      __builtin_trap();                                                \
    }                                                                  \
  } while (0)

namespace xj::fuzz {

inline std::string_view AsText(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// An anonymous file holding `content`, reachable by a path
/// (/proc/self/fd/N) for as long as the object lives.
class MemoryFile {
 public:
  explicit MemoryFile(std::string_view content) {
    fd_ = ::memfd_create("fuzz", MFD_CLOEXEC);
    if (fd_ < 0) {
      std::perror("memfd_create");
      __builtin_trap();
    }
    std::size_t done = 0;
    while (done < content.size()) {
      ssize_t n = ::write(fd_, content.data() + done, content.size() - done);
      if (n <= 0) {
        std::perror("write");
        __builtin_trap();
      }
      done += static_cast<std::size_t>(n);
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~MemoryFile() { ::close(fd_); }
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

}  // namespace xj::fuzz
