#include "libpack/roster.h"

#include <algorithm>
#include <cstring>

namespace xj::pack {
namespace {

// The bytes that end an unquoted run in a CSV record.
struct CsvSpecial {
  bool c[256] = {};
  constexpr CsvSpecial() {
    for (char ch : {',', '"', '\r', '\n'})
      c[static_cast<unsigned char>(ch)] = true;
  }
};
constexpr CsvSpecial kSpecial;

}  // namespace

Status RosterCounter::Feed(ByteSpan data) {
  const std::uint8_t* p = data.data();
  const std::uint8_t* end = p + data.size();
  while (p < end) {
    if (swallow_lf_) {
      swallow_lf_ = false;
      if (*p == '\n') {
        ++p;
        continue;
      }
    }
    open_ = true;
    if (quoted_) {
      // Inside quotes only a quote matters.
      const std::uint8_t* q = static_cast<const std::uint8_t*>(
          std::memchr(p, '"', static_cast<std::size_t>(end - p)));
      const std::uint8_t* stop = q == nullptr ? end : q;
      Keep(p, stop);
      p = stop;
      if (q == nullptr) break;
      Keep(p, p + 1);
      quoted_ = false;
      ++p;
      continue;
    }
    const std::uint8_t* stop = p;
    while (stop < end && !kSpecial.c[*stop]) ++stop;
    Keep(p, stop);
    p = stop;
    if (p == end) break;
    std::uint8_t c = *p++;
    if (c == '"') {
      Keep(p - 1, p);
      quoted_ = true;
    } else if (c == ',') {
      ++field_;
    } else {
      XJ_RETURN_IF_ERROR(EndRecord());
      swallow_lf_ = c == '\r';
    }
  }
  return Status::Ok();
}

Result<RosterCounter::ByValues> RosterCounter::Finish() {
  if (open_) XJ_RETURN_IF_ERROR(EndRecord());
  if (records_ == 0) return Error(Code::kRejected, "{}: no header", path_);
  ByValues out;
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
    return Status::Ok();
  }
  if (fields != columns_) {
    return Error(Code::kRejected, "{}:{}: {} fields, the header has {}", path_,
                 records_, fields, columns_);
  }
  key_.clear();
  for (std::size_t i = 0; i < 4; ++i) {
    if (i) key_ += '\x1f';
    key_ += value_[i];
    value_[i].clear();
  }
  ++by_[key_];
  return Status::Ok();
}

}  // namespace xj::pack
