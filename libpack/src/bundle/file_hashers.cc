#include "bundle/file_hashers.h"

#include <algorithm>

#include "keys/crypto.h"

namespace xj::pack::bundle {

FileHashers::FileHashers(std::size_t workers, std::size_t max_bytes)
    : max_bytes_(max_bytes) {
  for (std::size_t i = 0; i < workers; ++i)
    threads_.emplace_back([this] { Work(); });
}

FileHashers::~FileHashers() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  work_.notify_all();
  for (std::thread& t : threads_) t.join();
}

Bytes FileHashers::Buffer(std::uint64_t left) {
  if (left < kChunk) return Bytes(static_cast<std::size_t>(left) + 1);
  std::lock_guard<std::mutex> lock(mu_);
  if (!spare_.empty()) {
    Bytes b = std::move(spare_.back());
    spare_.pop_back();
    return b;
  }
  return Bytes(kChunk);
}

void FileHashers::Return(Bytes buf) {
  if (buf.size() != kChunk) return;
  std::lock_guard<std::mutex> lock(mu_);
  spare_.push_back(std::move(buf));
}

void FileHashers::Begin(os::File out, std::string name,
                        std::unique_ptr<registry::RosterCounter> roster) {
  auto f = std::make_shared<Job>();
  f->out = std::move(out);
  f->name = std::move(name);
  f->roster = std::move(roster);
  std::unique_lock<std::mutex> lock(mu_);
  WaitForRoom(lock, true);
  ++open_;
  jobs_.push_back(f);
  unclaimed_.push_back(f);
  current_ = f;
  work_.notify_all();
}

Result<std::vector<FileHashers::Done>> FileHashers::Add(std::string sha512) {
  std::vector<Done> out;
  // Only this thread changes jobs_ (workers change what a job holds).
  if (jobs_.empty()) {
    XJ_RETURN_IF_ERROR(error());
    out.push_back({std::move(sha512), nullptr});
    return out;
  }
  auto f = std::make_shared<Job>();
  f->sha512 = std::move(sha512);
  f->done = true;
  std::unique_lock<std::mutex> lock(mu_);
  WaitForRoom(lock, false);
  jobs_.push_back(std::move(f));
  return TakeLocked();
}

void FileHashers::Whole(os::File out, std::string name,
                        std::unique_ptr<registry::RosterCounter> roster,
                        Bytes buf, std::size_t n) {
  auto f = std::make_shared<Job>();
  f->out = std::move(out);
  f->name = std::move(name);
  f->roster = std::move(roster);
  f->ended = true;
  std::size_t bytes = buf.size();
  f->chunks.push_back({std::move(buf), n});
  std::unique_lock<std::mutex> lock(mu_);
  room_.wait(lock, [&] { return queued_ < max_bytes_ || !error_.ok(); });
  WaitForRoom(lock, true);
  queued_ += bytes;
  ++open_;
  jobs_.push_back(f);
  unclaimed_.push_back(std::move(f));
  // No worker waits for more of a file now (the last one streamed was
  // ended): whichever wakes takes this one.
  work_.notify_one();
}

void FileHashers::Data(Bytes buf, std::size_t n) {
  std::unique_lock<std::mutex> lock(mu_);
  room_.wait(lock, [&] { return queued_ < max_bytes_ || !error_.ok(); });
  queued_ += buf.size();
  current_->chunks.push_back({std::move(buf), n});
  work_.notify_all();
}

void FileHashers::End() {
  std::lock_guard<std::mutex> lock(mu_);
  current_->ended = true;
  work_.notify_all();
}

Status FileHashers::error() {
  if (!failed_.load(std::memory_order_acquire)) return Status::Ok();
  std::lock_guard<std::mutex> lock(mu_);
  return error_;
}

Result<std::vector<FileHashers::Done>> FileHashers::Take(bool all) {
  std::unique_lock<std::mutex> lock(mu_);
  if (all) {
    room_.wait(lock, [&] {
      return !error_.ok() || std::all_of(jobs_.begin(), jobs_.end(),
                                         [](const auto& j) { return j->done; });
    });
  }
  return TakeLocked();
}

Result<std::vector<FileHashers::Done>> FileHashers::TakeLocked() {
  if (!error_.ok()) return error_;
  std::vector<Done> out;
  while (!jobs_.empty() && jobs_.front()->done) {
    out.push_back(
        {std::move(jobs_.front()->sha512), std::move(jobs_.front()->counted)});
    jobs_.pop_front();
  }
  return out;
}

void FileHashers::WaitForRoom(std::unique_lock<std::mutex>& lock, bool open) {
  room_.wait(lock, [&] {
    return (jobs_.size() < kMaxJobs && (!open || open_ < kMaxOpen)) ||
           !error_.ok() || jobs_.front()->done;
  });
}

void FileHashers::Work() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    work_.wait(lock, [&] { return stop_ || !unclaimed_.empty(); });
    if (stop_) return;
    std::shared_ptr<Job> j = unclaimed_.front();
    unclaimed_.pop_front();
    keys::Hasher h(keys::Hasher::Algorithm::kSha512);
    Status failed, miscounted;
    for (;;) {
      work_.wait(lock, [&] { return stop_ || !j->chunks.empty() || j->ended; });
      if (stop_) return;
      if (j->chunks.empty()) break;  // ended
      Chunk c = std::move(j->chunks.front());
      j->chunks.pop_front();
      lock.unlock();
      ByteSpan data(c.data.data(), c.size);
      h.Update(data);
      if (j->roster != nullptr && miscounted.ok())
        miscounted = j->roster->Feed(data);
      if (failed.ok() && j->out.is_open()) {
        os::FdSink sink(j->out.fd());
        failed = sink.Write(data);
      }
      lock.lock();
      queued_ -= c.data.size();
      if (c.data.size() == kChunk) spare_.push_back(std::move(c.data));
      room_.notify_all();
    }
    lock.unlock();
    if (failed.ok() && j->out.is_open()) failed = j->out.Close(j->name);
    std::string hex = ToHex(h.Finish());
    std::shared_ptr<Result<registry::RosterCounter::ByValues>> counted;
    if (j->roster != nullptr) {
      counted = std::make_shared<Result<registry::RosterCounter::ByValues>>(
          miscounted.ok()
              ? j->roster->Finish()
              : Result<registry::RosterCounter::ByValues>(miscounted));
    }
    lock.lock();
    j->sha512 = std::move(hex);
    j->counted = std::move(counted);
    j->done = true;
    --open_;
    if (!failed.ok() && error_.ok()) {
      error_ = failed;
      failed_.store(true, std::memory_order_release);
    }
    room_.notify_all();
  }
}

}  // namespace xj::pack::bundle
