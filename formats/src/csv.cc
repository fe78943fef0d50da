#include "formats/csv.h"

#include <iconv.h>
#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/stringpiece.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "formats/utf8.h"

namespace xj::formats::csv {
namespace {

constexpr std::size_t kChunk = 1 << 20;

// Byte classes for the unquoted-field scan: 0 = ordinary.
struct ByteClass {
  std::uint8_t c[256] = {};
  constexpr ByteClass() {
    c[static_cast<unsigned char>(',')] = 1;
    c[static_cast<unsigned char>('"')] = 2;
    c[static_cast<unsigned char>('\r')] = 3;
    c[static_cast<unsigned char>('\n')] = 4;
    c[0] = 5;
  }
};
constexpr ByteClass kClass;

// The first byte in [p, end) that an unquoted field cannot hold as an
// ordinary byte (a kClass byte), or end. Sixteen bytes at a time where
// SSE2 is there (every x86-64): fields are short, but records are long.
inline std::size_t SkipOrdinary(const std::uint8_t* b, std::size_t p,
                                std::size_t end) {
#if defined(__SSE2__)
  const __m128i comma = _mm_set1_epi8(','), quote = _mm_set1_epi8('"'),
                cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n'),
                nul = _mm_setzero_si128();
  while (p + 16 <= end) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + p));
    __m128i m = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(v, comma), _mm_cmpeq_epi8(v, quote)),
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, lf)),
                     _mm_cmpeq_epi8(v, nul)));
    if (int bits = _mm_movemask_epi8(m))
      return p + static_cast<std::size_t>(__builtin_ctz(bits));
    p += 16;
  }
#endif
  while (p < end && kClass.c[b[p]] == 0) ++p;
  return p;
}

// The bytes that make a written field need quotes.
struct QuoteClass {
  bool c[256] = {};
  constexpr QuoteClass() {
    for (char ch : {',', '"', '\r', '\n'})
      c[static_cast<unsigned char>(ch)] = true;
  }
};
constexpr QuoteClass kNeedsQuotes;

const icu::Normalizer2* Nfc() {
  static const icu::Normalizer2* nfc = [] {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* n = icu::Normalizer2::getNFCInstance(status);
    return U_SUCCESS(status) ? n : nullptr;
  }();
  return nfc;
}

// The characters of the Basic Multilingual Plane that NFC leaves alone
// whatever surrounds them (ICU's "inert": no decomposition, combining
// class 0, composes with nothing): text of ASCII and such characters only
// is in NFC, with no need to ask ICU field by field. One bit a code
// point, 8 KiB, made once.
struct InertTable {
  std::uint64_t bits[0x10000 / 64] = {};
  InertTable() {
    const icu::Normalizer2* nfc = Nfc();
    if (nfc == nullptr) return;  // nothing is known to be inert
    for (UChar32 c = 0x80; c < 0x10000; ++c) {
      if (nfc->isInert(c)) bits[c >> 6] |= std::uint64_t{1} << (c & 63);
    }
  }
  bool Inert(std::uint32_t c) const { return (bits[c >> 6] >> (c & 63)) & 1; }
};

const InertTable& Inert() {
  static const InertTable table;
  return table;
}

// True when every non-ASCII character of valid UTF-8 is inert: such text
// is in NFC already, and ICU need not look at it.
bool AllInert(const std::uint8_t* p, std::size_t n) {
  const InertTable& inert = Inert();
  std::size_t i = 0;
  while (i < n) {
    std::uint8_t c = p[i];
    std::uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if (c < 0xE0) {
      cp = (c & 0x1Fu) << 6 | (p[i + 1] & 0x3Fu);
      i += 2;
    } else if (c < 0xF0) {
      cp = (c & 0x0Fu) << 12 | (p[i + 1] & 0x3Fu) << 6 | (p[i + 2] & 0x3Fu);
      i += 3;
    } else {
      return false;  // beyond the BMP: left to ICU
    }
    if (!inert.Inert(cp)) return false;
  }
  return true;
}

bool HasHighBit(const std::uint8_t* p, std::size_t n) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, p + i, 8);
    if (w & 0x8080808080808080ULL) return true;
  }
  for (; i < n; ++i) {
    if (p[i] & 0x80) return true;
  }
  return false;
}

// Counts the lines of a file up to byte `offset` (for an error message).
Result<std::uint64_t> LineAt(const os::File& file, std::uint64_t offset) {
  std::uint64_t line = 1, pos = 0;
  std::unique_ptr<std::uint8_t[]> buf(new std::uint8_t[kChunk]);
  while (pos < offset) {
    XJ_ASSIGN_OR_RETURN(
        std::size_t n,
        file.ReadAt(MutableByteSpan(buf.get(), static_cast<std::size_t>(
                                                   std::min<std::uint64_t>(
                                                       kChunk, offset - pos))),
                    pos));
    if (n == 0) break;
    line += static_cast<std::uint64_t>(
        std::count(buf.get(), buf.get() + n, static_cast<std::uint8_t>('\n')));
    pos += static_cast<std::uint64_t>(n);
  }
  return line;
}

// What a scan of UTF-8 found.
struct Utf8Scan {
  std::size_t valid = 0;  // bytes checked, all of them valid
  bool bad = false;       // the byte at `valid` starts no valid sequence
  bool plain = true;      // every non-ASCII character is inert (InertTable)
};

// Scans b[0, n) as UTF-8, stopping at the first invalid byte, or, when
// more input follows (!final), before a sequence the end cuts short. It
// also finds whether the text is "plain" (see InertTable): a file that is
// needs no normalisation check at all.
Utf8Scan ScanUtf8(const std::uint8_t* b, std::size_t n, bool final) {
  Utf8Scan s;
  const InertTable& inert = Inert();
  std::size_t i = 0;
  while (i < n) {
    std::size_t stop = n;  // where the steps one character at a time end
#if defined(__SSE2__)
    if (i + 16 <= n) {
      // Sixteen bytes at once (i is where a character begins), when they
      // are ASCII and three-byte sequences, as nearly all Chinese text
      // is: each lead E1..EF but ED followed by exactly two continuation
      // bytes, nothing else above 0x7F. (E0 and ED limit their second
      // byte; they, and everything else, go one character at a time.)
      __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i));
      unsigned high = static_cast<unsigned>(_mm_movemask_epi8(v));
      if (high == 0) {
        i += 16;
        continue;
      }
      unsigned cont = static_cast<unsigned>(
          _mm_movemask_epi8(_mm_cmplt_epi8(v, _mm_set1_epi8(-64))));  // 80..BF
      unsigned lead = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(
          _mm_and_si128(v, _mm_set1_epi8(static_cast<char>(0xF0))),
          _mm_set1_epi8(static_cast<char>(0xE0)))));  // E0..EF
      unsigned odd = static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(
          _mm_cmpeq_epi8(v, _mm_set1_epi8(static_cast<char>(0xE0))),
          _mm_cmpeq_epi8(v, _mm_set1_epi8(static_cast<char>(0xED))))));
      if (odd == 0 && high == (cont | lead) &&
          cont == (((lead << 1) | (lead << 2)) & 0xFFFF)) {
        // A sequence the block cuts short is left for the next one.
        unsigned tail = lead & 0xC000;
        unsigned upto = tail ? static_cast<unsigned>(__builtin_ctz(tail)) : 16;
        if (s.plain) {
          for (unsigned m = lead & ((1u << upto) - 1); m != 0; m &= m - 1) {
            const std::uint8_t* q = b + i + __builtin_ctz(m);
            std::uint32_t cp =
                (q[0] & 0x0Fu) << 12 | (q[1] & 0x3Fu) << 6 | (q[2] & 0x3Fu);
            if (!inert.Inert(cp)) {
              s.plain = false;
              break;
            }
          }
        }
        i += upto;
        continue;
      }
      stop = i + 16;
    }
#endif
    while (i < stop) {
      std::uint8_t c = b[i];
      if (c < 0x80) {
        ++i;
        continue;
      }
      std::size_t len = (c & 0xE0) == 0xC0   ? 2
                        : (c & 0xF0) == 0xE0 ? 3
                        : (c & 0xF8) == 0xF0 ? 4
                                             : 0;
      s.valid = i;
      if (len == 0) {
        s.bad = true;
        return s;
      }
      if (i + len > n) {
        // Cut short: invalid at the end of the input, else left for the
        // next call if what there is could still begin a sequence.
        bool ok = true;
        for (std::size_t k = i + 1; k < n; ++k)
          ok = ok && (b[k] & 0xC0) == 0x80;
        s.bad = final || !ok;
        return s;
      }
      // Continuation bytes, then no overlong forms, surrogates or values
      // above U+10FFFF.
      bool ok = true;
      for (std::size_t k = 1; k < len; ++k)
        ok = ok && (b[i + k] & 0xC0) == 0x80;
      std::uint8_t c1 = b[i + 1];
      if (!ok || (len == 2 && c < 0xC2) ||
          (len == 3 && c == 0xE0 && c1 < 0xA0) ||
          (len == 3 && c == 0xED && c1 >= 0xA0) ||
          (len == 4 && c == 0xF0 && c1 < 0x90) ||
          (len == 4 && (c > 0xF4 || (c == 0xF4 && c1 >= 0x90)))) {
        s.bad = true;
        return s;
      }
      if (s.plain) {
        std::uint32_t cp = len == 2   ? (c & 0x1Fu) << 6 | (c1 & 0x3Fu)
                           : len == 3 ? (c & 0x0Fu) << 12 | (c1 & 0x3Fu) << 6 |
                                            (b[i + 2] & 0x3Fu)
                                      : 0;  // beyond the BMP: not judged here
        s.plain = len < 4 && inert.Inert(cp);
      }
      i += len;
    }
  }
  s.valid = n;
  return s;
}

// Validates a whole file as UTF-8 in chunks, from byte `skip`. Returns 0
// when valid, else the 1-based line of the first invalid byte; *plain as
// in Utf8Scan, for the whole file (a property of each character alone, so
// chunks can be judged apart).
Result<std::uint64_t> FirstInvalidUtf8Line(const os::File& file,
                                           std::size_t skip, bool* plain) {
  std::unique_ptr<std::uint8_t[]> storage(new std::uint8_t[kChunk + 4]);
  std::uint8_t* buf = storage.get();
  std::size_t carry = 0;
  std::uint64_t base = skip;  // file offset of buf[0]
  *plain = true;
  for (;;) {
    XJ_ASSIGN_OR_RETURN(
        std::size_t got,
        file.ReadAt(MutableByteSpan(buf + carry, kChunk), base + carry));
    std::size_t have = carry + got;
    bool eof = got == 0;
    Utf8Scan s = ScanUtf8(buf, have, eof);
    *plain = *plain && s.plain;
    if (s.bad) return LineAt(file, base + s.valid);
    if (eof) return std::uint64_t{0};
    carry = have - s.valid;
    std::memmove(buf, buf + s.valid, carry);
    base += s.valid;
  }
}

// Decodes GB18030 from another source into UTF-8.
class Gb18030Source final : public Source {
 public:
  // Failures are also recorded in *err_line / *err_what for the Reader.
  Gb18030Source(Source* raw, std::string display, std::uint64_t* err_line,
                std::string* err_what)
      : raw_(raw),
        display_(std::move(display)),
        err_line_(err_line),
        err_what_(err_what),
        in_(kChunk) {
    cd_ = iconv_open("UTF-8", "GB18030");
  }
  ~Gb18030Source() override {
    if (cd_ != reinterpret_cast<iconv_t>(-1)) iconv_close(cd_);
  }

  Result<std::size_t> Read(MutableByteSpan out) override {
    if (cd_ == reinterpret_cast<iconv_t>(-1)) {
      return Status(Code::kUnsupported, "this system's iconv lacks GB18030");
    }
    for (;;) {
      if (in_end_ - in_pos_ < 4 && !raw_eof_) XJ_RETURN_IF_ERROR(Refill());
      if (in_pos_ == in_end_) return std::size_t{0};
      char* inp = reinterpret_cast<char*>(in_.data() + in_pos_);
      std::size_t inleft = in_end_ - in_pos_;
      char* outp = reinterpret_cast<char*>(out.data());
      std::size_t outleft = out.size();
      std::size_t rc = iconv(cd_, &inp, &inleft, &outp, &outleft);
      int err = rc == static_cast<std::size_t>(-1) ? errno : 0;
      std::size_t consumed = (in_end_ - in_pos_) - inleft;
      for (std::size_t k = 0; k < consumed; ++k)
        line_ += in_[in_pos_ + k] == '\n';
      in_pos_ += consumed;
      std::size_t produced = out.size() - outleft;
      if (err == EILSEQ) {
        if (produced > 0) return produced;  // report the error on the next call
        return Fail(
            fmt::format("bytes that are neither UTF-8 nor GB18030 (0x{:02X})",
                        in_[in_pos_]));
      }
      if (err == EINVAL && raw_eof_ && produced == 0) {
        return Fail("the file ends inside a GB18030 character");
      }
      if (produced > 0) return produced;
      if (err == E2BIG) {
        return Status(Code::kInternal,
                      "GB18030 decoding was given too little room");
      }
      if (err == EINVAL) {
        if (raw_eof_) continue;
        XJ_RETURN_IF_ERROR(Refill());
      }
    }
  }

 private:
  Status Refill() {
    std::memmove(in_.data(), in_.data() + in_pos_, in_end_ - in_pos_);
    in_end_ -= in_pos_;
    in_pos_ = 0;
    XJ_ASSIGN_OR_RETURN(std::size_t n,
                        raw_->Read(MutableByteSpan(in_).subspan(in_end_)));
    if (n == 0) raw_eof_ = true;
    in_end_ += n;
    return Status::Ok();
  }

  Status Fail(std::string what) {
    *err_line_ = line_;
    *err_what_ = what;
    return Status(Code::kMalformed,
                  fmt::format("{}:{}: {}", display_, line_, what));
  }

  Source* raw_;
  std::string display_;
  std::uint64_t* err_line_;
  std::string* err_what_;
  iconv_t cd_;
  Bytes in_;
  std::size_t in_pos_ = 0, in_end_ = 0;
  bool raw_eof_ = false;
  std::uint64_t line_ = 1;
};

// Large read buffers are kept for the next file: a check opens six files a
// school, and fresh pages from the kernel cost more than the parsing.
std::vector<std::unique_ptr<std::uint8_t[]>>& Pool() {
  static thread_local std::vector<std::unique_ptr<std::uint8_t[]>> pool;
  return pool;
}

}  // namespace

std::unique_ptr<std::uint8_t[]> Reader::TakeBuffer(std::size_t size) {
  auto& pool = Pool();
  if (size == kPooledSize && !pool.empty()) {
    std::unique_ptr<std::uint8_t[]> b = std::move(pool.back());
    pool.pop_back();
    return b;
  }
  return std::unique_ptr<std::uint8_t[]>(new std::uint8_t[size]);
}

std::string_view EncodingName(Encoding e) {
  switch (e) {
    case Encoding::kAuto:
      return "auto";
    case Encoding::kUtf8:
      return "utf-8";
    case Encoding::kGb18030:
      return "gb18030";
  }
  return "auto";
}

Result<Encoding> ParseEncoding(std::string_view name) {
  if (name == "auto") return Encoding::kAuto;
  if (name == "utf-8" || name == "utf8") return Encoding::kUtf8;
  if (name == "gb18030") return Encoding::kGb18030;
  return Error(Code::kInvalidArgument,
               "unknown encoding \"{}\" (expected auto, utf-8 or gb18030)",
               EscapeForDisplay(name));
}

Reader::~Reader() {
  if (buf_ && buf_size_ == kPooledSize && Pool().size() < 4)
    Pool().push_back(std::move(buf_));
}

Status Reader::Error(std::uint64_t line, std::string_view what) {
  error_line_ = line;
  error_what_ = std::string(what);
  return Status(Code::kMalformed,
                fmt::format("{}:{}: {}", display_, line, what));
}

// The first bytes of the input: UTF-16 is refused, a UTF-8 byte order
// mark noted. Returns how many bytes to skip.
Result<std::size_t> Reader::Start(ByteSpan head) {
  if (head.size() >= 2 && ((head[0] == 0xFF && head[1] == 0xFE) ||
                           (head[0] == 0xFE && head[1] == 0xFF))) {
    return Error(1,
                 "UTF-16 text is not accepted; save the file as UTF-8 or "
                 "GB18030 (Excel: CSV UTF-8)");
  }
  std::size_t skip = 0;
  if (head.size() >= 3 && head[0] == 0xEF && head[1] == 0xBB &&
      head[2] == 0xBF) {
    info_.bom = true;
    skip = 3;
  }
  if (info_.bom && options_.encoding == Encoding::kGb18030) {
    return Error(1,
                 "the file starts with a UTF-8 byte order mark but was to be "
                 "read as GB18030");
  }
  return skip;
}

// The whole input is in buf_ (`have` bytes after the mark): parsed from
// there if it is UTF-8 (true). If it is not, an error when UTF-8 was named
// or marked, else false (it is GB18030, to be decoded).
Result<bool> Reader::TakeWhole(std::size_t have) {
  Utf8Scan scan = ScanUtf8(buf_.get(), have, true);
  if (!scan.bad) {
    info_.encoding = Encoding::kUtf8;
    nfc_ = scan.plain;
    end_ = have;
    eof_ = true;
    return true;
  }
  if (options_.encoding == Encoding::kUtf8 || info_.bom) {
    std::uint64_t line = 1 + static_cast<std::uint64_t>(std::count(
                                 buf_.get(), buf_.get() + scan.valid, '\n'));
    return Error(line, "bytes that are not valid UTF-8");
  }
  return false;
}

Result<std::unique_ptr<Reader>> Reader::FromBytes(
    std::string_view bytes, std::string display, const ReaderOptions& options) {
  std::unique_ptr<Reader> r(new Reader());
  r->display_ = std::move(display);
  r->options_ = options;
  ByteSpan all = AsBytes(bytes);
  XJ_ASSIGN_OR_RETURN(
      std::size_t skip,
      r->Start(all.first(std::min<std::size_t>(all.size(), 4))));
  ByteSpan text = all.subspan(skip);
  // No field is longer than the input (a small file's reader stays small).
  r->scratch_.reserve(std::min(options.max_record, bytes.size()));
  if (options.encoding != Encoding::kGb18030) {
    // Room to spare at the end, as a file read whole has.
    std::size_t size = std::max<std::size_t>(text.size() + 64, 4096);
    r->buf_ = TakeBuffer(size);
    r->buf_size_ = size;
    if (!text.empty()) std::memcpy(r->buf_.get(), text.data(), text.size());
    XJ_ASSIGN_OR_RETURN(bool utf8, r->TakeWhole(text.size()));
    if (utf8) return r;
  }
  r->info_.encoding = Encoding::kGb18030;
  r->owned_.assign(bytes);  // (only GB18030 is read from them in pieces)
  r->raw_ = std::make_unique<MemorySource>(AsBytes(r->owned_).subspan(skip));
  r->decoder_ = std::make_unique<Gb18030Source>(
      r->raw_.get(), r->display_, &r->error_line_, &r->error_what_);
  r->source_ = r->decoder_.get();
  std::size_t want = std::max(kChunk, 2 * options.max_record);
  r->buf_ = TakeBuffer(want);
  r->buf_size_ = want;
  r->pos_ = r->end_ = 0;
  return r;
}

Result<std::unique_ptr<Reader>> Reader::Open(const std::string& path,
                                             std::string display,
                                             const ReaderOptions& options) {
  std::unique_ptr<Reader> r(new Reader());
  r->display_ = std::move(display);
  r->options_ = options;
  XJ_ASSIGN_OR_RETURN(r->file_, os::OpenForRead(path));
  const os::File& file = r->file_;
  std::uint8_t head[4] = {};
  Result<std::size_t> got = file.ReadAt(MutableByteSpan(head, sizeof head), 0);
  if (!got.ok()) return got.status().WithContext(path);
  XJ_ASSIGN_OR_RETURN(std::size_t skip, r->Start(ByteSpan(head, *got)));
  Encoding enc = options.encoding;
  r->scratch_.reserve(options.max_record);
  bool regular = file.IsRegular();
  Result<std::uint64_t> file_size = file.Size();
  std::size_t size =
      regular && file_size.ok() ? static_cast<std::size_t>(*file_size) : kChunk;
  if (enc == Encoding::kAuto || enc == Encoding::kUtf8) {
    // A file that fits in one buffer (a school's files nearly always do) is
    // read once: checked as UTF-8 there, then parsed from it while it is
    // still in the cache.
    constexpr std::size_t kRoom = kPooledSize - 64;
    if (regular && size <= kRoom + skip && 2 * options.max_record <= kChunk) {
      std::unique_ptr<std::uint8_t[]> buf = TakeBuffer(kPooledSize);
      std::size_t have = 0;
      bool eof = false;
      while (have < kRoom) {
        Result<std::size_t> n = file.ReadAt(
            MutableByteSpan(buf.get() + have, kRoom - have), skip + have);
        if (!n.ok()) return n.status().WithContext(path);
        if (*n == 0) {
          eof = true;
          break;
        }
        have += *n;
      }
      r->buf_ = std::move(buf);
      r->buf_size_ = kPooledSize;
      // (A file that grew past the buffer meanwhile is read the long way.)
      if (eof) {
        XJ_ASSIGN_OR_RETURN(bool utf8, r->TakeWhole(have));
        if (utf8) return r;
        enc = Encoding::kGb18030;
      }
    }
  }
  if (enc == Encoding::kAuto || enc == Encoding::kUtf8) {
    bool plain = false;
    XJ_ASSIGN_OR_RETURN(std::uint64_t bad,
                        FirstInvalidUtf8Line(file, skip, &plain));
    if (bad != 0) {
      if (enc == Encoding::kUtf8 || r->info_.bom) {
        return r->Error(bad, "bytes that are not valid UTF-8");
      }
      enc = Encoding::kGb18030;
    } else {
      enc = Encoding::kUtf8;
      r->nfc_ = plain;
    }
  }
  r->info_.encoding = enc;
  XJ_RETURN_IF_ERROR(file.Seek(skip).WithContext(path));
  r->raw_ = std::make_unique<os::FdSource>(file.fd());
  if (enc == Encoding::kGb18030) {
    r->decoder_ = std::make_unique<Gb18030Source>(
        r->raw_.get(), r->display_, &r->error_line_, &r->error_what_);
    r->source_ = r->decoder_.get();
  } else {
    r->source_ = r->raw_.get();
  }
  if (r->buf_) return r;  // the whole-file buffer, now to be refilled
  // The buffer holds a chunk, or the whole of a small file; it need not be
  // zeroed (a school has many small files).
  std::size_t want = std::max(kChunk, 2 * options.max_record);
  // Decoded GB18030 is larger than the file, so only UTF-8 files shrink it.
  if (enc != Encoding::kGb18030 && size + 64 < want) {
    want = std::max<std::size_t>(size + 64, 4096);
  }
  r->buf_ = TakeBuffer(want);
  r->buf_size_ = want;
  r->scratch_.reserve(options.max_record);
  return r;
}

Status Reader::Fill() {
  if (pos_ > 0) {
    std::memmove(buf_.get(), buf_.get() + pos_, end_ - pos_);
    end_ -= pos_;
    pos_ = 0;
  }
  // Stop with a few bytes to spare: a decoder cannot split a character.
  while (buf_size_ - end_ >= 8 && !eof_) {
    XJ_ASSIGN_OR_RETURN(
        std::size_t n,
        source_->Read(MutableByteSpan(buf_.get(), buf_size_).subspan(end_)));
    if (n == 0) {
      eof_ = true;
      break;
    }
    end_ += n;
    if (end_ - pos_ >= options_.max_record) break;  // enough for one record
  }
  return Status::Ok();
}

// Parses one record at pos_. Returns 1 with the record in spans_, 0 when
// more input is needed, -1 at the end of the input.
Result<bool> Reader::ParseRecord() {
  for (;;) {
    if (pos_ == end_ && !eof_) {
      XJ_RETURN_IF_ERROR(Fill());
      continue;
    }
    if (pos_ == end_ && eof_) return false;
    std::size_t p = pos_;
    std::uint64_t line = line_;
    spans_.clear();
    scratch_.clear();
    const std::uint8_t* b = buf_.get();
    bool need_more = false;
    bool done = false;
    while (!done && !need_more) {
      Span span{false, p, 0};
      if (p < end_ && b[p] == '"') {
        std::uint64_t open_line = line;
        std::size_t start = ++p;
        bool escaped = false;
        for (;;) {
          if (p == end_) {
            if (!eof_) {
              need_more = true;
              break;
            }
            return Error(open_line, "a quoted field is never closed");
          }
          std::uint8_t c = b[p];
          if (c == '"') {
            if (p + 1 == end_ && !eof_) {
              need_more = true;
              break;
            }
            if (p + 1 < end_ && b[p + 1] == '"') {
              escaped = true;
              p += 2;
              continue;
            }
            break;  // the closing quote
          }
          if (c == 0) return Error(line, "NUL byte");
          line += c == '\n';
          ++p;
        }
        if (need_more) break;
        std::size_t close = p++;
        if (escaped) {
          span.scratch = true;
          span.offset = scratch_.size();
          for (std::size_t k = start; k < close; ++k) {
            scratch_.push_back(static_cast<char>(b[k]));
            if (b[k] == '"') ++k;  // "" → "
          }
          span.size = scratch_.size() - span.offset;
        } else {
          span.offset = start;
          span.size = close - start;
        }
      } else {
        std::size_t start = p;
        p = SkipOrdinary(b, p, end_);
        if (p == end_ && !eof_) {
          need_more = true;
          break;
        }
        if (p < end_ && b[p] == '"') {
          return Error(
              line, fmt::format("a quote inside unquoted field {} (quote the "
                                "whole field and double the quote)",
                                spans_.size() + 1));
        }
        if (p < end_ && b[p] == 0) return Error(line, "NUL byte");
        span.offset = start;
        span.size = p - start;
      }
      if (span.size > options_.max_field) {
        return Error(line, fmt::format("field {} is longer than {} bytes",
                                       spans_.size() + 1, options_.max_field));
      }
      spans_.push_back(span);
      // The delimiter after the field.
      if (p == end_) {
        done = true;  // end of input ends the last record
        break;
      }
      std::uint8_t c = b[p];
      if (c == ',') {
        ++p;
        if (p == end_ && eof_) {
          spans_.push_back({false, p, 0});  // "a," at the very end
          done = true;
        }
        continue;
      }
      if (c == '\n') {
        ++p;
        ++line;
        done = true;
      } else if (c == '\r') {
        if (p + 1 == end_ && !eof_) {
          need_more = true;
          break;
        }
        if (p + 1 < end_ && b[p + 1] == '\n') {
          p += 2;
          ++line;
          done = true;
        } else {
          return Error(line, "a carriage return without a line feed");
        }
      } else {
        return Error(
            line, fmt::format("characters after the closing quote of field {}",
                              spans_.size()));
      }
    }
    if (need_more) {
      if (end_ - pos_ >= options_.max_record) {
        return Error(line_, fmt::format("a record longer than {} bytes",
                                        options_.max_record));
      }
      if (eof_) return Error(line_, "the file ends inside a record");
      XJ_RETURN_IF_ERROR(Fill());
      continue;
    }
    if (p - pos_ > options_.max_record) {
      return Error(line_, fmt::format("a record longer than {} bytes",
                                      options_.max_record));
    }
    record_line_ = line_;
    pos_ = p;
    line_ = line;
    return true;
  }
}

Result<std::vector<std::string>> Reader::ReadHeader() {
  XJ_ASSIGN_OR_RETURN(bool any, ParseRecord());
  if (!any) return Error(1, "the file is empty; expected a header line");
  std::vector<std::string> names;
  for (const Span& s : spans_) {
    std::string name =
        s.scratch
            ? scratch_.substr(s.offset, s.size)
            : std::string(AsChars(ByteSpan(buf_.get() + s.offset, s.size)));
    if (name.empty()) {
      return Error(
          1, fmt::format("header column {} has no name", names.size() + 1));
    }
    // U+FEFF in a name is a byte order mark in the wrong place (a file
    // saved twice with one): refused, not dropped, since a writer would
    // put it back at the start of the file where readers take it for one.
    if (name.find("\xEF\xBB\xBF") != std::string::npos) {
      return Error(1, fmt::format("header column {} holds a byte order mark "
                                  "(U+FEFF); save the file once as UTF-8",
                                  names.size() + 1));
    }
    if (std::find(names.begin(), names.end(), name) != names.end()) {
      return Error(1, fmt::format("header names column \"{}\" twice",
                                  EscapeForDisplay(name)));
    }
    names.push_back(std::move(name));
  }
  columns_ = names.size();
  return names;
}

Result<bool> Reader::Next() {
  XJ_ASSIGN_OR_RETURN(bool any, ParseRecord());
  if (!any) return false;
  if (spans_.size() != columns_) {
    if (spans_.size() == 1 && spans_[0].size == 0) {
      return Error(record_line_,
                   fmt::format("a blank line (expected {} fields)", columns_));
    }
    return Error(record_line_,
                 fmt::format("{} fields, expected {} as in the header",
                             spans_.size(), columns_));
  }
  ++info_.records;
  // Unicode NFC: only fields with non-ASCII bytes can change, and none in
  // a file found in NFC when it was opened.
  const icu::Normalizer2* nfc = nfc_ ? nullptr : Nfc();
  for (Span& s : spans_) {
    if (nfc == nullptr) break;
    const std::uint8_t* data =
        s.scratch
            ? reinterpret_cast<const std::uint8_t*>(scratch_.data()) + s.offset
            : buf_.get() + s.offset;
    if (!HasHighBit(data, s.size) || AllInert(data, s.size)) continue;
    UErrorCode status = U_ZERO_ERROR;
    icu::StringPiece piece(reinterpret_cast<const char*>(data),
                           static_cast<int32_t>(s.size));
    if (nfc->isNormalizedUTF8(piece, status) && U_SUCCESS(status)) continue;
    normalized_.clear();
    icu::StringByteSink<std::string> sink(&normalized_);
    status = U_ZERO_ERROR;
    nfc->normalizeUTF8(0, piece, sink, nullptr, status);
    if (U_FAILURE(status)) {
      return Error(record_line_,
                   "a field cannot be normalised (invalid Unicode)");
    }
    s.scratch = true;
    s.offset = scratch_.size();
    s.size = normalized_.size();
    scratch_ += normalized_;
    ++info_.normalized_fields;
  }
  fields_.resize(spans_.size());
  const char* raw = reinterpret_cast<const char*>(buf_.get());
  for (std::size_t i = 0; i < spans_.size(); ++i) {
    const Span& s = spans_[i];
    fields_[i] = std::string_view(
        s.scratch ? scratch_.data() + s.offset : raw + s.offset, s.size);
  }
  return true;
}

void Writer::Field(std::string_view f) {
  // One pass over the bytes with a table (find_first_of would call memchr
  // once per byte); most fields need no quotes and are appended whole.
  std::size_t i = 0;
  while (i < f.size() && !kNeedsQuotes.c[static_cast<unsigned char>(f[i])]) ++i;
  if (i == f.size()) {
    buf_.append(f);
    return;
  }
  buf_.push_back('"');
  for (;;) {
    std::size_t q = f.find('"');
    if (q == std::string_view::npos) break;
    buf_.append(f.substr(0, q + 1));
    buf_.push_back('"');
    f.remove_prefix(q + 1);
  }
  buf_.append(f);
  buf_.push_back('"');
}

Status Writer::Write(const std::vector<std::string_view>& fields) {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i) buf_.push_back(',');
    Field(fields[i]);
  }
  buf_ += eol_;
  if (buf_.size() >= (1 << 20)) return Flush();
  return Status::Ok();
}

Status Writer::Write(std::initializer_list<std::string_view> fields) {
  bool first = true;
  for (std::string_view f : fields) {
    if (!first) buf_.push_back(',');
    first = false;
    Field(f);
  }
  buf_ += eol_;
  if (buf_.size() >= (1 << 20)) return Flush();
  return Status::Ok();
}

Status Writer::Flush() {
  if (buf_.empty()) return Status::Ok();
  Status s = out_->Write(AsBytes(buf_));
  buf_.clear();
  return s;
}

Result<std::string> Utf8ToGb18030(std::string_view utf8) {
  iconv_t cd = iconv_open("GB18030", "UTF-8");
  if (cd == reinterpret_cast<iconv_t>(-1)) {
    return Status(Code::kUnsupported, "this system's iconv lacks GB18030");
  }
  std::string out(utf8.size() * 2 + 16, '\0');
  char* inp = const_cast<char*>(utf8.data());
  std::size_t inleft = utf8.size();
  char* outp = out.data();
  std::size_t outleft = out.size();
  std::size_t rc = iconv(cd, &inp, &inleft, &outp, &outleft);
  iconv_close(cd);
  if (rc == static_cast<std::size_t>(-1)) {
    return Status(Code::kInvalidArgument, "text cannot be written as GB18030");
  }
  out.resize(out.size() - outleft);
  return out;
}

}  // namespace xj::formats::csv
