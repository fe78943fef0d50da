// zstd compression as a Sink and decompression as a Source (RFC 8878).
//
// Compression uses zstd's worker threads, whose output does not depend on
// how many threads there are, so the same input gives the same bytes. The
// window is at most 2^23 bytes both ways (no --long), so a decompressor
// needs no more than 8 MiB whatever it is fed; decompression also stops
// with an error once more than a set number of bytes would come out.
#pragma once

#include <cstdint>
#include <memory>

#include "base/io.h"
#include "base/status.h"

namespace xj::pack {

inline constexpr int kZstdWindowLog = 23;
inline constexpr int kZstdJobSize = 4 << 20;
// Level 1: on registry CSV with photos, level 3 makes payloads only 0.15%
// smaller for a fifth more compression time (bench/bundle_speed.sh data).
inline constexpr int kZstdLevel = 1;

class ZstdCompressSink final : public Sink {
 public:
  /// `workers` 0 means one per processor.
  static Result<std::unique_ptr<ZstdCompressSink>> Create(
      Sink* out, int level = kZstdLevel, int workers = 0);
  ~ZstdCompressSink() override;
  Status Write(ByteSpan data) override;
  /// Ends the frame. Call once.
  Status Finish();

  struct Impl;

 private:
  explicit ZstdCompressSink(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class ZstdDecompressSource final : public Source {
 public:
  /// Fails reads with kRejected once more than `max_output` bytes would be
  /// produced (a decompression bomb, or a payload larger than signed).
  static Result<std::unique_ptr<ZstdDecompressSource>> Create(
      Source* in, std::uint64_t max_output);
  ~ZstdDecompressSource() override;
  Result<std::size_t> Read(MutableByteSpan buf) override;
  std::uint64_t produced() const;

  struct Impl;

 private:
  explicit ZstdDecompressSource(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace xj::pack
