// Progress on a terminal: bytes, rate, time left, redrawn a few times a
// second on standard error; nothing at all when standard error is not a
// terminal or under -q.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "libpack/bundle.h"

namespace xj::cli {

class ProgressLine {
 public:
  explicit ProgressLine(bool enabled);
  ~ProgressLine();
  pack::Progress Callback();
  /// Clears the line (before other output).
  void Clear();

 private:
  void Draw(std::string_view what, std::uint64_t done, std::uint64_t total);
  bool enabled_;
  bool drawn_ = false;
  std::string what_;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace xj::cli
