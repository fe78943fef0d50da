#include "base/io.h"

#include <algorithm>
#include <cstring>

namespace xj {

Result<std::size_t> ReadFull(Source& source, MutableByteSpan buf) {
  std::size_t got = 0;
  while (got < buf.size()) {
    XJ_ASSIGN_OR_RETURN(std::size_t n, source.Read(buf.subspan(got)));
    if (n == 0) break;
    got += n;
  }
  return got;
}

Status Copy(Source& source, Sink& sink, std::size_t buffer_size) {
  Bytes buf(buffer_size);
  for (;;) {
    XJ_ASSIGN_OR_RETURN(std::size_t n, source.Read(buf));
    if (n == 0) return Status::Ok();
    XJ_RETURN_IF_ERROR(sink.Write(ByteSpan(buf.data(), n)));
  }
}

Result<std::size_t> MemorySource::Read(MutableByteSpan buf) {
  std::size_t n = std::min(buf.size(), data_.size() - pos_);
  if (n) std::memcpy(buf.data(), data_.data() + pos_, n);
  pos_ += n;
  return n;
}

Status MemorySink::Write(ByteSpan data) {
  if (data.size() > limit_ - std::min(limit_, out_->size())) {
    return Error(Code::kNoSpace, "output larger than {} bytes", limit_);
  }
  out_->insert(out_->end(), data.begin(), data.end());
  return Status::Ok();
}

BufferedReader::BufferedReader(Source* source, std::size_t buffer_size)
    : source_(source), buf_(buffer_size) {}

Status BufferedReader::Fill(std::size_t want) {
  if (end_ - begin_ >= want || eof_) return Status::Ok();
  if (want > buf_.size()) buf_.resize(want);
  if (begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  while (end_ < want && !eof_) {
    XJ_ASSIGN_OR_RETURN(std::size_t n,
                        source_->Read(MutableByteSpan(buf_).subspan(end_)));
    if (n == 0) eof_ = true;
    end_ += n;
  }
  return Status::Ok();
}

Result<ByteSpan> BufferedReader::Peek(std::size_t n) {
  XJ_RETURN_IF_ERROR(Fill(n));
  return ByteSpan(buf_.data() + begin_, std::min(n, end_ - begin_));
}

Result<std::string> BufferedReader::ReadLine(std::size_t max) {
  overlong_ = false;
  std::size_t scanned = 0;
  for (;;) {
    const std::uint8_t* start = buf_.data() + begin_;
    std::size_t avail = std::min(end_ - begin_, max);
    const void* nl = avail > scanned
                         ? std::memchr(start + scanned, '\n', avail - scanned)
                         : nullptr;
    if (nl != nullptr) {
      std::size_t len = static_cast<const std::uint8_t*>(nl) - start + 1;
      std::string line(reinterpret_cast<const char*>(start), len);
      begin_ += len;
      offset_ += len;
      return line;
    }
    scanned = avail;
    if (end_ - begin_ >= max) {
      overlong_ = true;
      return Error(Code::kMalformed, "line longer than {} bytes", max);
    }
    if (eof_) {
      std::string rest(reinterpret_cast<const char*>(start), end_ - begin_);
      offset_ += rest.size();
      begin_ = end_;
      return rest;
    }
    XJ_RETURN_IF_ERROR(Fill(std::min(max, end_ - begin_ + 4096)));
  }
}

Result<std::size_t> BufferedReader::Read(MutableByteSpan buf) {
  if (begin_ == end_) {
    if (eof_) return std::size_t{0};
    // Large reads bypass the buffer.
    if (buf.size() >= buf_.size()) {
      XJ_ASSIGN_OR_RETURN(std::size_t n, source_->Read(buf));
      if (n == 0) eof_ = true;
      offset_ += n;
      return n;
    }
    XJ_RETURN_IF_ERROR(Fill(1));
  }
  std::size_t n = std::min(buf.size(), end_ - begin_);
  std::memcpy(buf.data(), buf_.data() + begin_, n);
  begin_ += n;
  offset_ += n;
  return n;
}

}  // namespace xj
