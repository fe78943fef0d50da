#include "formats/age_armor.h"

#include <algorithm>
#include <cstring>

#include "formats/base64.h"

namespace xj::formats::age {
namespace {

constexpr std::size_t kMaxOutsideWhitespace = 1024;
constexpr std::size_t kColumns = 64;
constexpr std::size_t kLineBytes = 48;

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
         c == '\f';
}

bool AllSpace(std::string_view s) {
  return std::all_of(s.begin(), s.end(), IsSpace);
}

}  // namespace

bool LooksArmored(ByteSpan prefix) {
  std::string_view s = AsChars(prefix);
  std::size_t i = 0;
  while (i < s.size() && IsSpace(s[i])) ++i;
  return s.substr(i).substr(0, 5) == "-----";
}

template <typename... Args>
Status ArmorReader::Fail(fmt::format_string<Args...> f, Args&&... args) {
  status_ = Status(Code::kMalformed,
                   fmt::format("armor: line {}: {}", line_no_,
                               fmt::format(f, std::forward<Args>(args)...)));
  return status_;
}

// One line without its LF and at most one CR before it.
Result<std::string> ArmorReader::GetLine(std::size_t max) {
  ++line_no_;
  Result<std::string> line = in_->ReadLine(max);
  if (!line.ok()) {
    if (in_->overlong()) {
      return Fail("line longer than {} characters", max - 3);
    }
    return line;
  }
  if (line->empty()) return Fail("armor ends without its END line");
  std::string s = std::move(line).value();
  if (s.back() == '\n') s.pop_back();
  if (!s.empty() && s.back() == '\r') s.pop_back();
  return s;
}

Status ArmorReader::DrainTrailing() {
  done_ = true;
  XJ_ASSIGN_OR_RETURN(ByteSpan rest, in_->Peek(kMaxOutsideWhitespace + 1));
  std::string_view text = AsChars(rest);
  if (!AllSpace(text)) return Fail("data after the END line");
  if (text.size() > kMaxOutsideWhitespace) {
    return Fail("more than {} bytes of whitespace after the END line",
                kMaxOutsideWhitespace);
  }
  return Status::Ok();
}

Status ArmorReader::NextLine() {
  if (!started_) {
    std::size_t whitespace = 0;
    for (;;) {
      XJ_ASSIGN_OR_RETURN(std::string line, GetLine(kMaxOutsideWhitespace + 3));
      if (AllSpace(line)) {
        whitespace += line.size() + 1;
        if (whitespace > kMaxOutsideWhitespace) {
          return Fail("more than {} bytes of whitespace before the BEGIN line",
                      kMaxOutsideWhitespace);
        }
        continue;
      }
      if (line != kArmorBegin) {
        return Fail("expected \"{}\"", kArmorBegin);
      }
      started_ = true;
      break;
    }
  }
  if (last_) {
    XJ_ASSIGN_OR_RETURN(std::string end, GetLine(kColumns + 3));
    if (end != kArmorEnd) {
      return Fail("expected \"{}\" after a short line", kArmorEnd);
    }
    return DrainTrailing();
  }
  XJ_ASSIGN_OR_RETURN(std::string line, GetLine(kColumns + 3));
  if (line == kArmorEnd) return DrainTrailing();
  if (line.empty()) return Fail("empty line inside the armor");
  if (line.size() > kColumns) {
    return Fail("line longer than {} characters", kColumns);
  }
  Result<std::size_t> n =
      DecodeBase64Into(line, Base64::kPadded, MutableByteSpan(decoded_));
  if (!n.ok()) return Fail("{}", n.status().message());
  pos_ = 0;
  len_ = *n;
  if (len_ < kLineBytes) last_ = true;
  return Status::Ok();
}

Result<std::size_t> ArmorReader::Read(MutableByteSpan buf) {
  if (!status_.ok()) return status_;
  while (pos_ == len_) {
    if (done_) return std::size_t{0};
    Status s = NextLine();
    if (!s.ok()) {
      status_ = s;
      return s;
    }
  }
  std::size_t n = std::min(buf.size(), len_ - pos_);
  std::memcpy(buf.data(), decoded_ + pos_, n);
  pos_ += n;
  return n;
}

Status ArmorWriter::Flush() {
  if (text_.empty()) return Status::Ok();
  Status s = out_->Write(AsBytes(text_));
  text_.clear();
  return s;
}

Status ArmorWriter::Write(ByteSpan data) {
  if (!begun_) {
    begun_ = true;
    text_.append(kArmorBegin).push_back('\n');
  }
  while (!data.empty()) {
    std::size_t take = std::min(data.size(), kLineBytes - pending_len_);
    std::memcpy(pending_ + pending_len_, data.data(), take);
    pending_len_ += take;
    data = data.subspan(take);
    if (pending_len_ == kLineBytes) {
      text_ += EncodeBase64(ByteSpan(pending_, kLineBytes), Base64::kPadded);
      text_.push_back('\n');
      pending_len_ = 0;
      if (text_.size() >= (1 << 16)) XJ_RETURN_IF_ERROR(Flush());
    }
  }
  return Status::Ok();
}

Status ArmorWriter::Finish() {
  XJ_RETURN_IF_ERROR(Write({}));
  if (pending_len_ > 0) {
    text_ += EncodeBase64(ByteSpan(pending_, pending_len_), Base64::kPadded);
    text_.push_back('\n');
    pending_len_ = 0;
  }
  text_.append(kArmorEnd).push_back('\n');
  return Flush();
}

}  // namespace xj::formats::age
