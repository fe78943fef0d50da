#include "libpack/prefetch.h"

#include <algorithm>
#include <cstring>

namespace xj::pack {

PrefetchSource::PrefetchSource(Source* upstream, std::size_t buffers,
                               std::size_t buffer_size)
    : upstream_(upstream),
      buffers_(std::max<std::size_t>(2, buffers)),
      buffer_size_(buffer_size) {
  for (std::size_t i = 0; i < buffers_; ++i) free_.emplace_back(buffer_size_);
  thread_ = std::thread([this] { Run(); });
}

PrefetchSource::~PrefetchSource() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void PrefetchSource::Run() {
  for (;;) {
    Bytes buf;
    {
      std::unique_lock<std::mutex> lock(mu_);
      changed_.wait(lock, [&] { return stop_ || !free_.empty(); });
      if (stop_) return;
      buf = std::move(free_.front());
      free_.pop_front();
    }
    buf.resize(buffer_size_);
    // Fill the buffer; the bytes before an error or the end still count.
    std::size_t got = 0;
    Status error;
    bool end = false;
    while (got < buf.size()) {
      Result<std::size_t> n =
          upstream_->Read(MutableByteSpan(buf).subspan(got));
      if (!n.ok()) {
        error = n.status();
        break;
      }
      if (*n == 0) {
        end = true;
        break;
      }
      got += *n;
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (got > 0) {
      buf.resize(got);
      ready_.push_back({std::move(buf), 0});
    }
    if (!error.ok() || end) {
      status_ = error;
      done_ = true;
    }
    changed_.notify_all();
    if (done_) return;
  }
}

Result<std::size_t> PrefetchSource::Read(MutableByteSpan out) {
  if (out.empty()) return std::size_t{0};
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait(lock, [&] { return !ready_.empty() || done_; });
  if (ready_.empty()) {
    if (!status_.ok()) return status_;
    return std::size_t{0};
  }
  Chunk& c = ready_.front();
  std::size_t n = std::min(out.size(), c.data.size() - c.used);
  std::memcpy(out.data(), c.data.data() + c.used, n);
  c.used += n;
  if (c.used == c.data.size()) {
    free_.push_back(std::move(c.data));
    ready_.pop_front();
    changed_.notify_all();
  }
  return n;
}

}  // namespace xj::pack
