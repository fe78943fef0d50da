#include "formats/age_header.h"

#include <string_view>

#include "formats/base64.h"

namespace xj::formats::age {
namespace {

bool IsVchar(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  return u >= 0x21 && u <= 0x7e;
}

// Splits "X a b c" (without LF) at single spaces.
std::vector<std::string> SplitArgs(std::string_view line) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    std::size_t sp = line.find(' ', start);
    parts.emplace_back(line.substr(start, sp - start));
    if (sp == std::string_view::npos) break;
    start = sp + 1;
  }
  return parts;
}

std::string Quote(std::string_view s) {
  return fmt::format("\"{}\"", EscapeForDisplay(s.substr(0, 80)));
}

class Parser {
 public:
  Parser(BufferedReader& in, const HeaderLimits& limits)
      : in_(in), limits_(limits) {}

  Result<Header> Parse() {
    // The first line is judged before anything else, so that a file which
    // is not age at all is called that, not "truncated".
    ++line_no_;
    XJ_ASSIGN_OR_RETURN(ByteSpan head, in_.Peek(kVersionLine.size()));
    if (AsChars(head) != kVersionLine) {
      if (kVersionLine.substr(0, head.size()) == AsChars(head)) {
        return Fail(Code::kTruncated, "file ends inside the age header");
      }
      XJ_ASSIGN_OR_RETURN(ByteSpan more, in_.Peek(64));
      std::string_view text = AsChars(more);
      return BadIntro(text.substr(0, text.find('\n')));
    }
    XJ_ASSIGN_OR_RETURN(std::string first, in_.ReadLine(kVersionLine.size()));
    used_ += first.size();
    Append(header_.mac_input, first);
    for (;;) {
      XJ_ASSIGN_OR_RETURN(ByteSpan peek, in_.Peek(3));
      std::string_view start = AsChars(peek);
      if (start == "---") return ParseMacLine();
      if (header_.stanzas.size() >= limits_.max_stanzas) {
        return Fail(Code::kMalformed, "more than {} recipient stanzas",
                    limits_.max_stanzas);
      }
      XJ_RETURN_IF_ERROR(ParseStanza());
    }
  }

 private:
  template <typename... Args>
  Status Fail(Code code, fmt::format_string<Args...> f, Args&&... args) {
    return Status(code,
                  fmt::format("header line {}: {}", line_no_,
                              fmt::format(f, std::forward<Args>(args)...)));
  }

  // The next header line including its LF; fails at end of input.
  Result<std::string> NextLine() {
    std::size_t budget = limits_.max_bytes - std::min(limits_.max_bytes, used_);
    if (budget == 0) {
      return Status(Code::kMalformed, fmt::format("header larger than {} bytes",
                                                  limits_.max_bytes));
    }
    ++line_no_;
    Result<std::string> line = in_.ReadLine(budget);
    if (!line.ok()) {
      // (a source that failed, such as a broken armor line, says so itself)
      if (in_.overlong()) {
        return Status(
            Code::kMalformed,
            fmt::format("header larger than {} bytes", limits_.max_bytes));
      }
      return line;
    }
    if (line->empty() || line->back() != '\n') {
      return Fail(Code::kTruncated, "file ends inside the age header");
    }
    used_ += line->size();
    return line;
  }

  Status BadIntro(std::string_view line) {
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    if (line == "age-encryption.org/v1\r") {
      return Fail(
          Code::kMalformed,
          "the header has CRLF line endings: the file was converted as "
          "text (by a Windows tool or shell redirection) and is damaged");
    }
    if (line.substr(0, 19) == "age-encryption.org/") {
      return Fail(Code::kUnsupported, "unsupported age format version {}",
                  Quote(line));
    }
    return Fail(Code::kMalformed,
                "not an age file: expected \"age-encryption.org/v1\", got {}",
                Quote(line));
  }

  Status ParseStanza() {
    XJ_ASSIGN_OR_RETURN(std::string line, NextLine());
    Append(header_.mac_input, line);
    std::string_view content(line.data(), line.size() - 1);
    std::vector<std::string> parts = SplitArgs(content);
    if (parts[0] != "->") {
      return Fail(Code::kMalformed,
                  "expected a stanza (\"-> \") or \"---\", got {}",
                  Quote(content));
    }
    if (parts.size() < 2) {
      return Fail(Code::kMalformed, "stanza has no type");
    }
    Stanza stanza;
    stanza.line = line_no_;
    for (std::size_t i = 1; i < parts.size(); ++i) {
      const std::string& arg = parts[i];
      if (arg.empty()) {
        return Fail(Code::kMalformed,
                    "empty stanza argument (two spaces, or a "
                    "trailing space)");
      }
      for (char c : arg) {
        if (c == '\r') {
          return Fail(Code::kMalformed,
                      "carriage return in stanza line: the file was converted "
                      "as text and is damaged");
        }
        if (!IsVchar(c)) {
          return Fail(Code::kMalformed,
                      "invalid character in stanza argument {}", Quote(arg));
        }
      }
      stanza.args.push_back(arg);
    }
    // Body: full 64-column lines, then one short line (possibly empty).
    for (;;) {
      XJ_ASSIGN_OR_RETURN(std::string body_line, NextLine());
      Append(header_.mac_input, body_line);
      std::string_view text(body_line.data(), body_line.size() - 1);
      if (text.size() > kBodyColumns) {
        return Fail(Code::kMalformed, "stanza body line longer than {} columns",
                    kBodyColumns);
      }
      Result<Bytes> decoded = DecodeBase64(text, Base64::kUnpadded);
      if (!decoded.ok()) {
        if (text.substr(0, 2) == "->" || text.substr(0, 3) == "---") {
          return Fail(Code::kMalformed,
                      "stanza ended without a short final body line");
        }
        return Fail(Code::kMalformed, "stanza body: {}",
                    decoded.status().message());
      }
      Append(stanza.body, *decoded);
      if (text.size() < kBodyColumns) break;
    }
    header_.stanzas.push_back(std::move(stanza));
    return Status::Ok();
  }

  Result<Header> ParseMacLine() {
    XJ_ASSIGN_OR_RETURN(std::string line, NextLine());
    std::string_view content(line.data(), line.size() - 1);
    std::vector<std::string> parts = SplitArgs(content);
    if (parts[0] != "---" || parts.size() != 2) {
      return Fail(Code::kMalformed,
                  "malformed MAC line: expected \"--- \" and 43 base64 "
                  "characters, got {}",
                  Quote(content));
    }
    Status s = DecodeBase64Exact(parts[1], Base64::kUnpadded, header_.mac);
    if (!s.ok()) return Fail(Code::kMalformed, "MAC: {}", s.message());
    if (header_.stanzas.empty()) {
      return Fail(Code::kMalformed, "header has no recipient stanzas");
    }
    Append(header_.mac_input, std::string_view("---"));
    header_.size = used_;
    return std::move(header_);
  }

  BufferedReader& in_;
  const HeaderLimits& limits_;
  Header header_;
  std::size_t used_ = 0;
  int line_no_ = 0;
};

}  // namespace

Result<Header> ReadHeader(BufferedReader& in, const HeaderLimits& limits) {
  return Parser(in, limits).Parse();
}

Bytes EncodeHeaderWithoutMac(const std::vector<Stanza>& stanzas) {
  Bytes out = ToBytes(kVersionLine);
  for (const Stanza& s : stanzas) {
    Append(out, std::string_view("->"));
    for (const std::string& arg : s.args) {
      out.push_back(' ');
      Append(out, arg);
    }
    out.push_back('\n');
    std::string b64 = EncodeBase64(s.body, Base64::kUnpadded);
    // Full lines, then a short one; an exact multiple of 64 ends with an
    // empty line.
    for (std::size_t i = 0;; i += kBodyColumns) {
      std::string_view chunk =
          std::string_view(b64).substr(std::min(i, b64.size()), kBodyColumns);
      Append(out, chunk);
      out.push_back('\n');
      if (chunk.size() < kBodyColumns) break;
    }
  }
  Append(out, std::string_view("---"));
  return out;
}

void AppendMacLine(Bytes& header, ByteSpan mac) {
  header.push_back(' ');
  Append(header, EncodeBase64(mac, Base64::kUnpadded));
  header.push_back('\n');
}

}  // namespace xj::formats::age
