// The bag's payload files hashed (and written) on worker threads while the
// archive goes on streaming (the bag check's helper).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/os.h"
#include "base/status.h"
#include "registry/roster.h"

namespace xj::pack::bundle {

// Hashes (and writes) the bag's larger files on worker threads while the
// archive goes on streaming: SHA-512 of every file is the largest cost of
// checking a bag. Files are taken in order, one worker a file, and chunks
// of one file reach its worker in order; at most `max_bytes` of buffers
// wait at a time (counted whole, however little of each a small file
// fills). A small file is cheaper to hash where it was read than to hand
// over (a handover wakes a thread, tens of thousands of times a city):
// the reader hashes it and adds it as done (Add), in its place in order.
class FileHashers {
 public:
  explicit FileHashers(std::size_t workers, std::size_t max_bytes = 8 << 20);
  ~FileHashers();

  /// A file finished: its SHA-512 (hex), and its roster's counts if it
  /// was counted.
  struct Done {
    std::string sha512;
    std::shared_ptr<Result<registry::RosterCounter::ByValues>> roster;
  };
  /// A buffer to fill with the next chunk of a file with `left` bytes to
  /// come: 1 MiB, or as much as is left.
  Bytes Buffer(std::uint64_t left);
  /// Gives back a buffer that was not filled.
  void Return(Bytes buf);
  /// Starts the next file; `out` (may be closed) receives its bytes, and
  /// `roster` (if any) counts them as a roster. Waits while many files are
  /// unfinished (each may hold a descriptor).
  void Begin(os::File out, std::string name,
             std::unique_ptr<registry::RosterCounter> roster = nullptr);
  /// The next file, hashed (and written) by the caller, and then, as
  /// Take(false), the files finished so far. (With none before it
  /// unfinished, it is done at once: nothing is waited for or locked.)
  Result<std::vector<Done>> Add(std::string sha512);
  /// The next file, all of it (`n` bytes in `buf`): Begin, Data and End
  /// at once.
  void Whole(os::File out, std::string name,
             std::unique_ptr<registry::RosterCounter> roster, Bytes buf,
             std::size_t n);
  /// The next `n` bytes of the current file, in `buf`.
  void Data(Bytes buf, std::size_t n);
  void End();
  /// The first error so far (the reader stops early on one).
  Status error();
  /// The files finished so far, in the order they were begun, each given
  /// once; with `all`, waits for every file begun.
  Result<std::vector<Done>> Take(bool all);

 private:
  Result<std::vector<Done>> TakeLocked();

  static constexpr std::size_t kChunk = 1 << 20;
  // Files handed over and not yet done (each may hold a descriptor), and
  // files begun and not yet taken.
  static constexpr std::size_t kMaxOpen = 256, kMaxJobs = 8192;
  struct Chunk {
    Bytes data;
    std::size_t size;
  };
  struct Job {
    os::File out;
    std::string name;
    std::deque<Chunk> chunks;
    bool ended = false, done = false;
    std::string sha512;
    std::unique_ptr<registry::RosterCounter> roster;
    std::shared_ptr<Result<registry::RosterCounter::ByValues>> counted;
  };

  // Until fewer files are unfinished (of those handed over, if `open`),
  // or the first is done (it is taken).
  void WaitForRoom(std::unique_lock<std::mutex>& lock, bool open);

  void Work();

  std::size_t max_bytes_;
  std::mutex mu_;
  std::condition_variable work_;           // the workers wait on it
  std::condition_variable room_;           // the reader waits on it
  std::deque<std::shared_ptr<Job>> jobs_;  // begun, not yet taken
  std::deque<std::shared_ptr<Job>> unclaimed_;
  std::shared_ptr<Job> current_;
  std::vector<Bytes> spare_;
  std::size_t queued_ = 0, open_ = 0;
  Status error_;
  std::atomic<bool> failed_{false};  // error_ is set
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace xj::pack::bundle
