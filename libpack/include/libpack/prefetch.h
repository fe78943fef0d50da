// A Source read ahead by a thread of its own, so that two halves of a
// stream pipeline (say, hashing and decrypting volumes, then checking and
// writing the archive inside) run on two cores at once.
//
// The upstream Source is used only by the reading thread from construction
// until the end of input, an error, or destruction; memory is bounded by
// `buffers` × `buffer_size`. Errors come out of Read() in order, after the
// bytes read before them.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <thread>

#include "base/io.h"

namespace xj::pack {

class PrefetchSource final : public Source {
 public:
  PrefetchSource(Source* upstream, std::size_t buffers = 4,
                 std::size_t buffer_size = 1 << 20);
  ~PrefetchSource() override;
  PrefetchSource(const PrefetchSource&) = delete;
  PrefetchSource& operator=(const PrefetchSource&) = delete;

  Result<std::size_t> Read(MutableByteSpan buf) override;

 private:
  void Run();

  struct Chunk {
    Bytes data;
    std::size_t used = 0;  ///< bytes already handed out
  };
  Source* upstream_;
  std::size_t buffers_, buffer_size_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<Chunk> ready_;  ///< filled, in order
  std::deque<Bytes> free_;   ///< empty buffers to fill
  Status status_;            ///< the upstream's error, after ready_
  bool done_ = false;        ///< the reader has stopped (end or error)
  bool stop_ = false;        ///< the consumer has gone
  std::thread thread_;
};

}  // namespace xj::pack
