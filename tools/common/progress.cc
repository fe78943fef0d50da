#include "common/progress.h"

#include <cstdio>

#include "base/os.h"

namespace xj::cli {

ProgressLine::ProgressLine(bool enabled)
    : enabled_(enabled && os::IsTerminal(os::kStderr)) {}
ProgressLine::~ProgressLine() { Clear(); }

void ProgressLine::Clear() {
  if (drawn_) {
    std::fprintf(stderr, "\r\033[K");
    drawn_ = false;
  }
}

pack::Progress ProgressLine::Callback() {
  if (!enabled_) return nullptr;
  return [this](std::string_view what, std::uint64_t done,
                std::uint64_t total) { Draw(what, done, total); };
}

void ProgressLine::Draw(std::string_view what, std::uint64_t done,
                        std::uint64_t total) {
  auto now = std::chrono::steady_clock::now();
  if (what != what_) {
    what_ = std::string(what);
    start_ = now;
  } else if (now - last_ < std::chrono::milliseconds(200) && done < total) {
    return;
  }
  last_ = now;
  double secs = std::chrono::duration<double>(now - start_).count();
  double rate = secs > 0.05 ? static_cast<double>(done) / secs : 0;
  std::string left = "";
  if (rate > 0 && total > done) {
    int s = static_cast<int>(static_cast<double>(total - done) / rate);
    left = fmt::format(", {}:{:02} left", s / 60, s % 60);
  }
  std::fprintf(stderr, "\r\033[K%s %.1f of %.1f MiB, %.0f MB/s%s",
               what_.c_str(), static_cast<double>(done) / 1048576.0,
               static_cast<double>(total) / 1048576.0, rate / 1e6,
               left.c_str());
  drawn_ = true;
}

}  // namespace xj::cli
