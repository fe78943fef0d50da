#include "libpack/tar.h"

#include <archive.h>
#include <archive_entry.h>
#include <locale.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <deque>
#include <optional>

#include "formats/bagit.h"

namespace xj::pack {

// ---- writing ----

struct TarWriter::Impl {
  archive* a = nullptr;
  Sink* out = nullptr;
  Status status;  // the sink's failure, kept across libarchive's -1
  std::int64_t mtime = 0;
  std::uint64_t left = 0;  // bytes still due for the current entry
  ~Impl() {
    if (a != nullptr) archive_write_free(a);
  }
  Status Fail(std::string_view what) {
    if (!status.ok()) return status;
    return Error(Code::kInternal, "tar: {}: {}", what,
                 archive_error_string(a) ? archive_error_string(a) : "?");
  }
};

namespace {
// libarchive converts names through the locale's character set, and in the
// "C" locale a UTF-8 name does not convert (the pax writer then crashes).
// Names here are always UTF-8, so libarchive runs under C.UTF-8 for this
// thread only, never changing the process's locale.
class Utf8Locale {
 public:
  Utf8Locale() {
    static locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", nullptr);
    if (utf8 != nullptr) old_ = uselocale(utf8);
  }
  ~Utf8Locale() {
    if (old_ != nullptr) uselocale(old_);
  }
  Utf8Locale(const Utf8Locale&) = delete;
  Utf8Locale& operator=(const Utf8Locale&) = delete;

 private:
  locale_t old_ = nullptr;
};

la_ssize_t WriteCallback(archive*, void* data, const void* buf,
                         std::size_t len) {
  auto* impl = static_cast<TarWriter::Impl*>(data);
  // Once the sink has failed, the rest is dropped and the failure reported
  // by the TarWriter call that caused the write. libarchive is never told
  // (a failed write callback leaves it in a state whose buffers
  // archive_write_free does not release: libarchive 3.6 leaks them).
  if (impl->status.ok()) {
    impl->status =
        impl->out->Write(ByteSpan(static_cast<const std::uint8_t*>(buf), len));
  }
  return static_cast<la_ssize_t>(len);
}
}  // namespace

TarWriter::TarWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TarWriter::~TarWriter() = default;

Result<std::unique_ptr<TarWriter>> TarWriter::Create(Sink* out,
                                                     std::int64_t mtime) {
  Utf8Locale utf8;
  auto impl = std::make_unique<Impl>();
  impl->a = archive_write_new();
  impl->out = out;
  impl->mtime = mtime;
  if (archive_write_set_format_pax_restricted(impl->a) != ARCHIVE_OK ||
      archive_write_set_bytes_per_block(impl->a, 10240) != ARCHIVE_OK ||
      archive_write_set_bytes_in_last_block(impl->a, 1) != ARCHIVE_OK ||
      archive_write_open(impl->a, impl.get(), nullptr, WriteCallback,
                         nullptr) != ARCHIVE_OK) {
    return impl->Fail("opening");
  }
  return std::unique_ptr<TarWriter>(new TarWriter(std::move(impl)));
}

Status TarWriter::Begin(const std::string& path, std::uint64_t size) {
  if (impl_->left != 0)
    return Status(Code::kInternal, "tar: previous entry short");
  Utf8Locale utf8;
  archive_entry* e = archive_entry_new();
  archive_entry_set_pathname_utf8(e, path.c_str());
  archive_entry_set_size(e, static_cast<la_int64_t>(size));
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0644);
  archive_entry_set_mtime(e, impl_->mtime, 0);
  archive_entry_set_uid(e, 0);
  archive_entry_set_gid(e, 0);
  int rc = archive_write_header(impl_->a, e);
  archive_entry_free(e);
  if (!impl_->status.ok()) return impl_->status;
  if (rc != ARCHIVE_OK)
    return impl_->Fail(fmt::format("writing the header of {}", path));
  impl_->left = size;
  return Status::Ok();
}

Status TarWriter::Data(ByteSpan data) {
  if (data.size() > impl_->left)
    return Status(Code::kInternal, "tar: entry longer than declared");
  while (!data.empty()) {
    la_ssize_t n = archive_write_data(impl_->a, data.data(), data.size());
    if (!impl_->status.ok()) return impl_->status;
    if (n <= 0) return impl_->Fail("writing data");
    data = data.subspan(static_cast<std::size_t>(n));
    impl_->left -= static_cast<std::uint64_t>(n);
  }
  return Status::Ok();
}

Status TarWriter::Finish() {
  if (impl_->left != 0) return Status(Code::kInternal, "tar: last entry short");
  if (archive_write_close(impl_->a) != ARCHIVE_OK)
    return impl_->Fail("closing");
  return impl_->status;
}

// ---- reading ----

namespace {
// Follows the archive's headers through the raw bytes libarchive is handed,
// to see each entry's name as it is stored. libarchive composes a UTF-8
// name to NFC as it reads it, so a name stored decomposed (or otherwise
// changed by its reading) would pass unseen; the reader compares the two.
class StoredNames {
 public:
  void Feed(ByteSpan data) {
    while (!data.empty() && state_ != State::kEnd && broken_.empty()) {
      switch (state_) {
        case State::kSkip: {
          std::uint64_t take = std::min<std::uint64_t>(skip_, data.size());
          skip_ -= take;
          data = data.subspan(static_cast<std::size_t>(take));
          if (skip_ == 0) state_ = State::kHeader;
          break;
        }
        case State::kHeader: {
          std::size_t take = std::min(kBlock - header_.size(), data.size());
          header_.insert(header_.end(), data.begin(), data.begin() + take);
          data = data.subspan(take);
          if (header_.size() == kBlock) Header();
          break;
        }
        case State::kPax: {
          std::size_t take = static_cast<std::size_t>(
              std::min<std::uint64_t>(pax_left_, data.size()));
          pax_.append(reinterpret_cast<const char*>(data.data()), take);
          pax_left_ -= take;
          data = data.subspan(take);
          if (pax_left_ == 0) Pax();
          break;
        }
        case State::kEnd:
          break;
      }
    }
  }
  // The stored name of the next entry, once its header went by.
  std::optional<std::string> Pop() {
    if (names_.empty()) return std::nullopt;
    std::string n = std::move(names_.front());
    names_.pop_front();
    return n;
  }
  const std::string& broken() const { return broken_; }

 private:
  static constexpr std::size_t kBlock = 512;
  static constexpr std::uint64_t kMaxPax = 64 << 10;
  enum class State { kHeader, kPax, kSkip, kEnd };

  static std::uint64_t Padded(std::uint64_t n) { return (n + 511) / 512 * 512; }
  std::string Field(std::size_t at, std::size_t len) const {
    const char* p = reinterpret_cast<const char*>(header_.data()) + at;
    return std::string(p, strnlen(p, len));
  }
  void Header() {
    if (std::all_of(header_.begin(), header_.end(),
                    [](std::uint8_t b) { return b == 0; })) {
      state_ = State::kEnd;  // the end-of-archive blocks
      return;
    }
    std::uint64_t size = 0;
    if (header_[124] & 0x80) {
      if (!pax_size_) broken_ = "a size in base-256";
    } else {
      // As libarchive reads it: spaces, octal digits, then the digits end;
      // anything but NUL or space after them is refused, so that the two
      // readers never disagree on where the next header is.
      std::size_t i = 124;
      while (i < 136 && header_[i] == ' ') ++i;
      for (; i < 136 && header_[i] >= '0' && header_[i] <= '7'; ++i)
        size = size * 8 + static_cast<std::uint64_t>(header_[i] - '0');
      for (; i < 136; ++i) {
        if (header_[i] != 0 && header_[i] != ' ') {
          broken_ = "a size that is not an octal number";
          break;
        }
      }
    }
    char type = static_cast<char>(header_[156]);
    if (type == 'x') {
      if (size > kMaxPax) broken_ = "a pax header over 64 KiB";
      pax_.clear();
      pax_left_ = size;
      pax_pad_ = Padded(size) - size;
      state_ = size == 0 ? State::kHeader : State::kPax;
      if (size == 0) Pax();
    } else if (type == 'g') {
      Skip(Padded(size));
    } else {
      std::string name = Field(0, 100);
      std::string prefix = Field(345, 155);
      if (pax_path_) {
        name = *pax_path_;
      } else if (!prefix.empty() && Field(257, 5) == "ustar") {
        name = prefix + "/" + name;
      }
      names_.push_back(std::move(name));
      if (pax_size_) size = *pax_size_;
      pax_path_.reset();
      pax_size_.reset();
      Skip(Padded(size));
    }
    header_.clear();
  }
  // "LEN key=value\n" records
  void Pax() {
    std::string_view rest = pax_;
    while (!rest.empty()) {
      std::size_t sp = rest.find(' ');
      std::uint64_t len = 0;
      bool ok = sp != std::string_view::npos && sp > 0 && sp < 20;
      for (std::size_t i = 0; ok && i < sp; ++i) {
        ok = rest[i] >= '0' && rest[i] <= '9';
        len = len * 10 + static_cast<std::uint64_t>(rest[i] - '0');
      }
      if (!ok || len <= sp + 1 || len > rest.size() || rest[len - 1] != '\n') {
        broken_ = "a pax record that is not \"LENGTH key=value\"";
        return;
      }
      std::string_view rec = rest.substr(sp + 1, len - sp - 2);
      rest.remove_prefix(len);
      std::size_t eq = rec.find('=');
      if (eq == std::string_view::npos) {
        broken_ = "a pax record without \"=\"";
        return;
      }
      std::string_view key = rec.substr(0, eq), value = rec.substr(eq + 1);
      if (key == "path") pax_path_ = std::string(value);
      if (key == "size") {
        std::uint64_t n = 0;
        bool digits = !value.empty() && value.size() < 20;
        for (char c : value) {
          digits = digits && c >= '0' && c <= '9';
          n = n * 10 + static_cast<std::uint64_t>(c - '0');
        }
        if (!digits) {
          broken_ = "a pax size that is not a number";
          return;
        }
        pax_size_ = n;
      }
    }
    Skip(pax_pad_);
  }
  void Skip(std::uint64_t n) {
    skip_ = n;
    state_ = n == 0 ? State::kHeader : State::kSkip;
  }

  State state_ = State::kHeader;
  Bytes header_;
  std::string pax_;
  std::uint64_t pax_left_ = 0, pax_pad_ = 0, skip_ = 0;
  std::optional<std::string> pax_path_;
  std::optional<std::uint64_t> pax_size_;
  std::deque<std::string> names_;
  std::string broken_;
};
}  // namespace

struct TarReader::Impl {
  archive* a = nullptr;
  Source* in = nullptr;
  Bytes buf = Bytes(1 << 20);
  Status status;
  TarLimits limits;
  std::uint64_t files = 0, total = 0;
  // Bytes handed to libarchive, and the position just past the last
  // non-zero one: after the end-of-archive blocks only zeros may follow.
  std::uint64_t delivered = 0, end_of_data = 0;
  bool at_end = false;
  formats::bagit::PathSet paths;
  StoredNames stored;
  ~Impl() {
    if (a != nullptr) archive_read_free(a);
  }
  void Account(ByteSpan data) {
    stored.Feed(data);
    for (std::size_t i = data.size(); i > 0; --i) {
      if (data[i - 1] != 0) {
        end_of_data = delivered + i;
        break;
      }
    }
    delivered += data.size();
  }
  Status Fail(std::string_view what) {
    if (!status.ok()) return status;
    const char* err = archive_error_string(a);
    return Error(Code::kMalformed, "the archive is damaged: {}: {}", what,
                 err ? err : "?");
  }
};

namespace {
la_ssize_t ReadCallback(archive*, void* data, const void** out) {
  auto* impl = static_cast<TarReader::Impl*>(data);
  Result<std::size_t> n = impl->in->Read(impl->buf);
  if (!n.ok()) {
    impl->status = n.status();
    return -1;
  }
  impl->Account(ByteSpan(impl->buf.data(), *n));
  *out = impl->buf.data();
  return static_cast<la_ssize_t>(*n);
}

}  // namespace

TarReader::TarReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TarReader::~TarReader() = default;

Result<std::unique_ptr<TarReader>> TarReader::Open(Source* in,
                                                   const TarLimits& limits) {
  Utf8Locale utf8;
  auto impl = std::make_unique<Impl>();
  impl->a = archive_read_new();
  impl->in = in;
  impl->limits = limits;
  if (archive_read_support_format_tar(impl->a) != ARCHIVE_OK ||
      archive_read_open(impl->a, impl.get(), nullptr, ReadCallback, nullptr) !=
          ARCHIVE_OK) {
    return impl->Fail("opening");
  }
  return std::unique_ptr<TarReader>(new TarReader(std::move(impl)));
}

Result<bool> TarReader::Next(TarEntry* entry) {
  Impl& r = *impl_;
  Utf8Locale utf8;
  archive_entry* e = nullptr;
  int rc = archive_read_next_header(r.a, &e);
  if (rc == ARCHIVE_EOF) {
    r.at_end = true;
    return false;
  }
  if (rc != ARCHIVE_OK) return r.Fail("reading an entry header");
  const char* name = archive_entry_pathname_utf8(e);
  // The name as messages show it (made only for one).
  auto shown = [name] {
    return name ? EscapeForDisplay(std::string_view(name).substr(0, 200))
                : std::string("?");
  };
  auto refuse = [&](std::string_view why) {
    return Error(Code::kRejected,
                 "the archive holds \"{}\", {}; nothing is extracted", shown(),
                 why);
  };
  if (name == nullptr) return refuse("a name that is not UTF-8");
  // POSIX ustar headers, with pax extended headers where needed: not GNU
  // tar's long-name records, nor the old v7 header without ustar magic.
  int format = archive_format(r.a);
  if (format != ARCHIVE_FORMAT_TAR_USTAR &&
      format != ARCHIVE_FORMAT_TAR_PAX_INTERCHANGE &&
      format != ARCHIVE_FORMAT_TAR_PAX_RESTRICTED) {
    return refuse(format == ARCHIVE_FORMAT_TAR_GNUTAR
                      ? "a GNU tar header (the format is POSIX ustar and pax)"
                      : "a header that is not POSIX ustar or pax");
  }
  if (archive_entry_hardlink(e) != nullptr) return refuse("a hard link");
  if (archive_entry_symlink(e) != nullptr ||
      archive_entry_filetype(e) == AE_IFLNK) {
    return refuse("a symbolic link");
  }
  if (archive_entry_filetype(e) == AE_IFDIR) return refuse("a folder entry");
  if (archive_entry_filetype(e) != AE_IFREG)
    return refuse("a device, FIFO or socket");
  if (archive_entry_sparse_count(e) > 0) return refuse("a sparse file");
  if (!archive_entry_size_is_set(e) || archive_entry_size(e) < 0)
    return refuse("no size");
  Status path_ok = formats::bagit::CheckPath(name);
  if (!path_ok.ok()) {
    // (the message names the path)
    return Error(Code::kRejected,
                 "the archive holds an {}; nothing is extracted",
                 path_ok.message());
  }
  // The name as stored, not only as libarchive read it.
  if (!r.stored.broken().empty()) {
    return Error(Code::kRejected,
                 "the archive holds a header with {} (at or after \"{}\"); "
                 "nothing is extracted",
                 r.stored.broken(), shown());
  }
  std::optional<std::string> stored = r.stored.Pop();
  if (!stored) return refuse("a header that could not be followed");
  if (*stored != name) {
    Status as_stored = formats::bagit::CheckPath(*stored);
    if (!as_stored.ok()) {
      return Error(Code::kRejected,
                   "the archive holds an {} (as stored; it reads as \"{}\"); "
                   "nothing is extracted",
                   as_stored.message(), shown());
    }
    return refuse(fmt::format("stored as \"{}\"",
                              EscapeForDisplay(stored->substr(0, 200))));
  }
  std::string path(name);
  switch (r.paths.Add(path)) {
    case formats::bagit::PathSet::Clash::kNone:
      break;
    case formats::bagit::PathSet::Clash::kSame:
      return refuse("a name that appears twice");
    case formats::bagit::PathSet::Clash::kCase:
      return refuse(
          fmt::format("a name that differs from another only in case (\"{}\")",
                      EscapeForDisplay(r.paths.clashed_with().substr(0, 200))));
  }
  auto size = static_cast<std::uint64_t>(archive_entry_size(e));
  if (++r.files > r.limits.max_files) {
    return Error(Code::kRejected, "the archive holds more than {} files{}",
                 r.limits.max_files,
                 r.limits.max_files_why.empty()
                     ? std::string()
                     : " (" + r.limits.max_files_why + ")");
  }
  if (size > r.limits.max_file_size)
    return refuse("a file larger than allowed");
  r.total += size;
  if (r.total > r.limits.max_total) {
    return Error(Code::kRejected,
                 "the archive holds more than {} bytes, more than its "
                 "signed size allows",
                 r.limits.max_total);
  }
  entry->path = std::move(path);
  entry->size = size;
  return true;
}

Result<std::size_t> TarReader::Read(MutableByteSpan buf) {
  la_ssize_t n = archive_read_data(impl_->a, buf.data(), buf.size());
  if (n < 0) return impl_->Fail("reading file data");
  return static_cast<std::size_t>(n);
}

Status TarReader::Finish() {
  Impl& r = *impl_;
  if (!r.at_end) return Status(Code::kInternal, "tar: Finish before the end");
  if (!r.stored.broken().empty()) {
    return Error(Code::kRejected, "the archive holds a header with {}",
                 r.stored.broken());
  }
  for (;;) {
    XJ_ASSIGN_OR_RETURN(std::size_t n, r.in->Read(r.buf));
    if (n == 0) break;
    r.Account(ByteSpan(r.buf.data(), n));
  }
  auto consumed = static_cast<std::uint64_t>(archive_filter_bytes(r.a, 0));
  if (r.end_of_data > consumed) {
    return Status(Code::kTrailingData,
                  "data other than zeros follows the end of the archive");
  }
  return Status::Ok();
}

}  // namespace xj::pack
