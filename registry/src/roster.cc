#include "registry/roster.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace xj::registry {
namespace {

// Where the bytes that matter to CSV structure are among 16 at `p` (`n`
// of them, at most 16), as bits: commas, and the rest (quote, CR, LF).
struct Marks {
  std::uint32_t commas = 0, others = 0;
};
Marks Structural(const std::uint8_t* p, std::size_t n) {
  Marks k;
#if defined(__SSE2__)
  if (n == 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    k.commas = static_cast<std::uint32_t>(
        _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(','))));
    __m128i o =
        _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                     _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\r')),
                                  _mm_cmpeq_epi8(v, _mm_set1_epi8('\n'))));
    k.others = static_cast<std::uint32_t>(_mm_movemask_epi8(o));
    return k;
  }
#endif
  for (std::size_t i = 0; i < n; ++i) {
    std::uint8_t c = p[i];
    if (c == ',') k.commas |= 1u << i;
    if (c == '"' || c == '\r' || c == '\n') k.others |= 1u << i;
  }
  return k;
}

// Bits set in a 16-bit mask, by table: std::popcount is a library call
// where the CPU's instruction is not assumed (plain x86-64).
std::size_t Popcount16(std::uint32_t m) {
  static constexpr auto kBits = [] {
    std::array<std::uint8_t, 256> t{};
    for (int i = 0; i < 256; ++i)
      t[static_cast<std::size_t>(i)] =
          static_cast<std::uint8_t>(std::popcount(static_cast<unsigned>(i)));
    return t;
  }();
  return kBits[m & 0xFF] + kBits[(m >> 8) & 0xFF];
}

}  // namespace

// Only the structural bytes are visited, sixteen at a time: a field's
// bytes are kept as a run (from `run` to the comma or line end that ends
// it, quotes included), and only for the header and the four columns.
Status RosterCounter::Feed(ByteSpan data) {
  const std::uint8_t* b = data.data();
  const std::size_t n = data.size();
  std::size_t start = 0;
  if (n > 0 && swallow_lf_) {
    swallow_lf_ = false;
    if (b[0] == '\n') start = 1;  // the LF of a CR LF split between pieces
  }
  constexpr std::size_t kNone = ~std::size_t{0};
  std::size_t run = start, skip = kNone, last_end = kNone;
  // The state in locals while the loop runs (kept in registers).
  bool quoted = quoted_;
  std::size_t kept_columns = slot_.size();
  for (std::size_t block = start & ~std::size_t{15}; block < n; block += 16) {
    Marks k = Structural(b + block, std::min<std::size_t>(16, n - block));
    if (block < start) {
      std::uint32_t from = ~((1u << (start - block)) - 1);
      k.commas &= from;
      k.others &= from;
    }
    // Most blocks hold only commas between fields nobody counts: step
    // over them at once.
    if (!quoted && k.others == 0 && records_ != 0) {
      std::size_t commas = Popcount16(k.commas);
      std::size_t next =
          field_ < next_kept_.size() ? next_kept_[field_] : kNone;
      if (commas == 0) continue;
      if (next > field_ + commas - 1) {
        field_ += commas;
        run = block + 32 - static_cast<std::size_t>(std::countl_zero(k.commas));
        continue;
      }
    }
    std::uint32_t m = k.commas | k.others;
    while (m != 0) {
      std::size_t q = block + static_cast<std::size_t>(std::countr_zero(m));
      m &= m - 1;
      std::uint8_t c = b[q];
      if (quoted) {
        quoted = c != '"';
        continue;
      }
      if (c == '"') {
        quoted = true;
        continue;
      }
      if (c == ',') {
        if (records_ == 0 || (field_ < kept_columns && slot_[field_] >= 0))
          Keep(b + run, b + q);
        ++field_;
        run = q + 1;
        continue;
      }
      if (q == skip) continue;  // the LF of a CR LF
      Keep(b + run, b + q);
      run = q + 1;
      XJ_RETURN_IF_ERROR(EndRecord());
      kept_columns = slot_.size();  // set by the header
      if (c == '\r') {
        if (q + 1 == n) {
          swallow_lf_ = true;
        } else if (b[q + 1] == '\n') {
          skip = q + 1;
          run = q + 2;
        }
      }
      last_end = run;
    }
  }
  quoted_ = quoted;
  Keep(b + run, b + n);
  if (last_end == kNone) {
    open_ = open_ || start < n;
  } else {
    open_ = last_end < n;
  }
  return Status::Ok();
}

Result<RosterCounter::ByValues> RosterCounter::Finish() {
  if (open_) XJ_RETURN_IF_ERROR(EndRecord());
  if (records_ == 0) return Error(Code::kRejected, "{}: no header", path_);
  ByValues out;
  for (const auto& [k, n] : packed_by_) {
    std::array<std::string, 4> v;
    std::size_t at = 0;
    for (std::size_t i = 0; i < 4; ++i) {
      std::size_t len = (k >> (48 + 3 * i)) & 7;
      for (std::size_t j = 0; j < len; ++j, ++at)
        v[i] += static_cast<char>((k >> (8 * at)) & 0xFF);
    }
    out[v] += n;
  }
  for (const auto& [k, n] : by_) {
    std::array<std::string, 4> v;
    std::string_view rest = k;
    for (std::size_t i = 0; i < 4; ++i) {
      std::size_t sep = rest.find('\x1f');
      v[i] = std::string(rest.substr(0, sep));
      rest = sep == std::string_view::npos ? std::string_view()
                                           : rest.substr(sep + 1);
    }
    out[v] += n;
  }
  return out;
}

// Bytes of the current field: kept only for the header and the four
// counted columns.
void RosterCounter::Keep(const std::uint8_t* from, const std::uint8_t* to) {
  if (from == to) return;
  if (records_ == 0) {
    if (field_ >= header_.size()) header_.resize(field_ + 1);
    header_[field_].append(reinterpret_cast<const char*>(from),
                           static_cast<std::size_t>(to - from));
    return;
  }
  if (field_ < slot_.size() && slot_[field_] >= 0) {
    value_[static_cast<std::size_t>(slot_[field_])].append(
        reinterpret_cast<const char*>(from),
        static_cast<std::size_t>(to - from));
  }
}

Status RosterCounter::EndRecord() {
  std::size_t fields = field_ + 1;
  field_ = 0;
  open_ = false;
  quoted_ = false;
  if (records_++ == 0) {
    header_.resize(fields);
    columns_ = fields;
    slot_.assign(fields, -1);
    const char* names[4] = {"grade", "sex", "status", "migrant"};
    for (int i = 0; i < 4; ++i) {
      auto h = std::find(header_.begin(), header_.end(), names[i]);
      if (h == header_.end()) {
        return Error(Code::kRejected, "{}: no {} column", path_, names[i]);
      }
      std::size_t at = static_cast<std::size_t>(h - header_.begin());
      if (slot_[at] < 0) slot_[at] = i;
    }
    // For each column, the first counted one at or after it.
    next_kept_.assign(fields + 1, ~std::size_t{0});
    for (std::size_t f = fields; f-- > 0;)
      next_kept_[f] = slot_[f] >= 0 ? f : next_kept_[f + 1];
    return Status::Ok();
  }
  if (fields != columns_) {
    return Error(Code::kRejected, "{}:{}: {} fields, the header has {}", path_,
                 records_, fields, columns_);
  }
  // Short values (nearly always: "11", "1", "1", "0") make one number:
  // three bits of length each, then their bytes, six at most.
  std::uint64_t packed = 0;
  std::size_t bytes = 0;
  bool fits = true;
  for (std::size_t i = 0; i < 4; ++i) {
    const std::string& v = value_[i];
    fits = bytes + v.size() <= 6;
    if (!fits) break;
    packed |= std::uint64_t{v.size()} << (48 + 3 * i);
    for (char c : v)
      packed |= std::uint64_t{static_cast<unsigned char>(c)} << (8 * bytes++);
  }
  if (fits) {
    ++packed_by_[packed];
  } else {
    key_.clear();
    for (std::size_t i = 0; i < 4; ++i) {
      if (i) key_ += '\x1f';
      key_ += value_[i];
    }
    ++by_[key_];
  }
  for (std::string& v : value_) v.clear();
  return Status::Ok();
}

}  // namespace xj::registry
