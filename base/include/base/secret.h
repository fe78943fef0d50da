// SecretBuffer: key material and passphrases live here and nowhere else.
//
// The memory comes from sodium_malloc (guard pages, locked where the system
// allows it, never swapped when locking succeeds) and is wiped by sodium_free
// when the buffer dies. A SecretBuffer has a fixed capacity and a size that
// may shrink or grow up to it, so a passphrase can be read into it in place.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/bytes.h"
#include "base/io.h"
#include "base/status.h"

namespace xj {

/// Calls sodium_init() once; every crypto entry point calls this first.
Status InitSodium();

class SecretBuffer {
 public:
  SecretBuffer() = default;
  ~SecretBuffer();
  SecretBuffer(SecretBuffer&& other) noexcept;
  SecretBuffer& operator=(SecretBuffer&& other) noexcept;
  SecretBuffer(const SecretBuffer&) = delete;
  SecretBuffer& operator=(const SecretBuffer&) = delete;

  /// A zeroed buffer of `capacity` bytes whose size is `capacity`.
  /// Fails with kOutOfMemory.
  static Result<SecretBuffer> Allocate(std::size_t capacity);
  /// A buffer holding a copy of `data`.
  static Result<SecretBuffer> CopyOf(ByteSpan data);

  std::uint8_t* data() { return data_; }
  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }
  std::size_t capacity() const { return capacity_; }
  bool empty() const { return size_ == 0; }
  /// REQUIRES: n <= capacity(). Bytes beyond the new size are wiped.
  void Resize(std::size_t n);

  ByteSpan span() const { return {data_, size_}; }
  MutableByteSpan mutable_span() { return {data_, size_}; }
  std::string_view view() const {
    return {reinterpret_cast<const char*>(data_), size_};
  }

  /// Constant-time comparison of contents.
  bool Equals(ByteSpan other) const;

 private:
  std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

/// A Sink that collects into protected memory, up to a fixed capacity
/// (kNoSpace beyond it). For decrypted key files.
class SecretSink final : public Sink {
 public:
  explicit SecretSink(SecretBuffer* out) : out_(out) { out_->Resize(0); }
  Status Write(ByteSpan data) override;

 private:
  SecretBuffer* out_;
};

/// Wipes a region that held secrets (sodium_memzero: not optimised away).
void Wipe(void* data, std::size_t size);

}  // namespace xj
