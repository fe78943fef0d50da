// Source and Sink: the streaming interfaces every format reads and writes.
//
// A Source hands out bytes until it reports end of input by returning 0; a
// Sink takes bytes. Both are deliberately tiny so that encryption, armor,
// compression and archives can be stacked on top of each other and on top of
// files, memory or pipes, with memory bounded by the largest buffer in the
// stack rather than by the size of the data.
#pragma once

#include <cstddef>
#include <string>

#include "base/bytes.h"
#include "base/status.h"

namespace xj {

class Source {
 public:
  virtual ~Source() = default;
  /// Reads up to buf.size() bytes; returns 0 only at end of input.
  virtual Result<std::size_t> Read(MutableByteSpan buf) = 0;
};

class Sink {
 public:
  virtual ~Sink() = default;
  /// Writes all of `data` or fails.
  virtual Status Write(ByteSpan data) = 0;
};

/// Reads until `buf` is full or the source ends; returns the count read.
Result<std::size_t> ReadFull(Source& source, MutableByteSpan buf);

/// Copies all of `source` into `sink` through a buffer of `buffer_size`.
Status Copy(Source& source, Sink& sink, std::size_t buffer_size = 1 << 20);

class MemorySource final : public Source {
 public:
  explicit MemorySource(ByteSpan data) : data_(data) {}
  Result<std::size_t> Read(MutableByteSpan buf) override;
  std::size_t remaining() const { return data_.size() - pos_; }

 private:
  ByteSpan data_;
  std::size_t pos_ = 0;
};

/// Appends everything written to a Bytes it does not own; fails with
/// kNoSpace once more than `limit` bytes would be held.
class MemorySink final : public Sink {
 public:
  explicit MemorySink(Bytes* out, std::size_t limit = SIZE_MAX)
      : out_(out), limit_(limit) {}
  Status Write(ByteSpan data) override;

 private:
  Bytes* out_;
  std::size_t limit_;
};

/// Counts what passes through on its way to another sink.
class CountingSink final : public Sink {
 public:
  explicit CountingSink(Sink* next) : next_(next) {}
  Status Write(ByteSpan data) override {
    count_ += data.size();
    return next_->Write(data);
  }
  std::uint64_t count() const { return count_; }

 private:
  Sink* next_;
  std::uint64_t count_ = 0;
};

/// A Source with lookahead and line reading on top of another Source.
class BufferedReader {
 public:
  explicit BufferedReader(Source* source, std::size_t buffer_size = 1 << 16);

  /// Makes at least `n` bytes available (fewer only at end of input) and
  /// returns what is buffered without consuming it.
  Result<ByteSpan> Peek(std::size_t n);
  /// Reads one line including its '\n' (or the rest of the input if it has
  /// none). Fails with kMalformed when no '\n' comes within `max` bytes.
  /// An empty result means end of input.
  Result<std::string> ReadLine(std::size_t max);
  /// Whether the last ReadLine failed for want of a '\n' within its `max`
  /// (rather than because the source failed: a broken armor line, say).
  bool overlong() const { return overlong_; }
  /// Reads up to buf.size() bytes, from the buffer first.
  Result<std::size_t> Read(MutableByteSpan buf);
  /// Bytes consumed so far (the offset of the next byte in the input).
  std::uint64_t offset() const { return offset_; }

 private:
  Status Fill(std::size_t want);

  Source* source_;
  Bytes buf_;
  std::size_t begin_ = 0, end_ = 0;
  bool eof_ = false;
  std::uint64_t offset_ = 0;
  bool overlong_ = false;
};

/// Adapts a BufferedReader back into a Source.
class BufferedSource final : public Source {
 public:
  explicit BufferedSource(BufferedReader* reader) : reader_(reader) {}
  Result<std::size_t> Read(MutableByteSpan buf) override {
    return reader_->Read(buf);
  }

 private:
  BufferedReader* reader_;
};

}  // namespace xj
