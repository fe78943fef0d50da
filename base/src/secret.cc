#include "base/secret.h"

#include <sodium.h>

#include <cstring>
#include <mutex>
#include <utility>

namespace xj {

Status InitSodium() {
  static std::once_flag once;
  static int result = -1;
  std::call_once(once, [] { result = sodium_init(); });
  if (result < 0) {
    return Status(Code::kInternal, "libsodium failed to initialise");
  }
  return Status::Ok();
}

SecretBuffer::~SecretBuffer() {
  if (data_ != nullptr) sodium_free(data_);
}

SecretBuffer::SecretBuffer(SecretBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      capacity_(std::exchange(other.capacity_, 0)) {}

SecretBuffer& SecretBuffer::operator=(SecretBuffer&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) sodium_free(data_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    capacity_ = std::exchange(other.capacity_, 0);
  }
  return *this;
}

Result<SecretBuffer> SecretBuffer::Allocate(std::size_t capacity) {
  XJ_RETURN_IF_ERROR(InitSodium());
  SecretBuffer buffer;
  // sodium_malloc(0) is legal but pointless; keep one byte so data() is valid.
  void* p = sodium_malloc(capacity == 0 ? 1 : capacity);
  if (p == nullptr) {
    return Error(Code::kOutOfMemory,
                 "cannot allocate {} bytes of protected memory", capacity);
  }
  std::memset(p, 0, capacity == 0 ? 1 : capacity);
  buffer.data_ = static_cast<std::uint8_t*>(p);
  buffer.size_ = capacity;
  buffer.capacity_ = capacity;
  return buffer;
}

Result<SecretBuffer> SecretBuffer::CopyOf(ByteSpan data) {
  XJ_ASSIGN_OR_RETURN(SecretBuffer buffer, Allocate(data.size()));
  if (!data.empty()) std::memcpy(buffer.data(), data.data(), data.size());
  return buffer;
}

void SecretBuffer::Resize(std::size_t n) {
  if (n > capacity_) n = capacity_;
  if (n < size_) sodium_memzero(data_ + n, size_ - n);
  size_ = n;
}

bool SecretBuffer::Equals(ByteSpan other) const {
  if (other.size() != size_) return false;
  if (size_ == 0) return true;
  return sodium_memcmp(data_, other.data(), size_) == 0;
}

Status SecretSink::Write(ByteSpan data) {
  std::size_t size = out_->size();
  if (data.size() > out_->capacity() - size) {
    return Error(Code::kNoSpace, "secret larger than {} bytes",
                 out_->capacity());
  }
  out_->Resize(size + data.size());
  if (!data.empty()) std::memcpy(out_->data() + size, data.data(), data.size());
  return Status::Ok();
}

void Wipe(void* data, std::size_t size) {
  if (data != nullptr && size != 0) sodium_memzero(data, size);
}

}  // namespace xj
