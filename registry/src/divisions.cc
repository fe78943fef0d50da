#include "registry/divisions.h"

#include <algorithm>
#include <charconv>

namespace xj::registry {
namespace {

std::vector<std::string_view> SplitComma(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    std::size_t c = line.find(',', start);
    out.push_back(line.substr(start, c - start));
    if (c == std::string_view::npos) break;
    start = c + 1;
  }
  return out;
}

bool ParseYm(std::string_view s, int* out, bool is_last) {
  if (s == "pre-2002") {
    *out = is_last ? 200112 : 0;
    return true;
  }
  if (s.size() != 6) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + 6;
}

bool SixDigits(std::string_view s) {
  return s.size() == 6 && std::all_of(s.begin(), s.end(), [](char c) {
           return c >= '0' && c <= '9';
         });
}

}  // namespace

Result<Divisions> Divisions::Parse(std::string_view text) {
  Divisions d;
  d.index_.assign(1000000, -1);
  int line_no = 0;
  bool header_seen = false;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(start, nl - start);
    start = nl + 1;
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    auto fail = [&](std::string_view what) {
      return Status(Code::kMalformed,
                    fmt::format("divisions.csv:{}: {}", line_no, what));
    };
    if (!header_seen) {
      if (line != "code,name,level,parent_code,first_seen,last_seen,current") {
        return fail("unexpected header");
      }
      header_seen = true;
      continue;
    }
    std::vector<std::string_view> f = SplitComma(line);
    if (f.size() != 7) return fail("expected 7 columns");
    if (!SixDigits(f[0])) return fail("code is not 6 digits");
    int first, last;
    if (!ParseYm(f[4], &first, false) || !ParseYm(f[5], &last, true)) {
      return fail("bad first_seen/last_seen");
    }
    if (f[6] != "yes" && f[6] != "no") return fail("current must be yes or no");
    std::string code(f[0]);
    std::int32_t& slot =
        d.index_[static_cast<std::size_t>(std::atoi(code.c_str()))];
    if (slot < 0) {
      slot = static_cast<std::int32_t>(d.divisions_.size());
      d.divisions_.push_back({code, std::string(f[1]), std::string(f[2]),
                              std::string(f[3]), first, last, f[6] == "yes"});
    } else {
      // The same code under another name: widen the span it was in use.
      Division& div = d.divisions_[static_cast<std::size_t>(slot)];
      if (last >= div.last_seen) {
        div.name = std::string(f[1]);
        div.level = std::string(f[2]);
        div.parent = std::string(f[3]);
      }
      div.first_seen = std::min(div.first_seen, first);
      div.last_seen = std::max(div.last_seen, last);
      div.current = div.current || f[6] == "yes";
    }
  }
  if (d.divisions_.empty()) {
    return Status(Code::kMalformed, "divisions.csv holds no divisions");
  }
  return d;
}

const Division* Divisions::Find(std::string_view code) const {
  if (!SixDigits(code) || index_.empty()) return nullptr;
  std::size_t n = 0;
  for (char c : code) n = n * 10 + static_cast<std::size_t>(c - '0');
  std::int32_t slot = index_[n];
  return slot < 0 ? nullptr : &divisions_[static_cast<std::size_t>(slot)];
}

std::vector<const Division*> Divisions::AnhuiCountiesAt(int ym) const {
  std::vector<const Division*> out;
  for (const Division& d : divisions_) {
    const std::string& code = d.code;
    if (code.compare(0, 2, "34") == 0 && d.level == "county" && d.InUseAt(ym)) {
      out.push_back(&d);
    }
  }
  return out;
}

std::vector<const Division*> Divisions::CurrentCountiesOutsideAnhui() const {
  std::vector<const Division*> out;
  for (const Division& d : divisions_) {
    const std::string& code = d.code;
    if (code.compare(0, 2, "34") != 0 && d.level == "county" && d.current) {
      out.push_back(&d);
    }
  }
  return out;
}

std::vector<const Division*> Divisions::AnhuiPrefecturesAt(int ym) const {
  std::vector<const Division*> out;
  for (const Division& d : divisions_) {
    const std::string& code = d.code;
    if (code.compare(0, 2, "34") == 0 && d.level == "prefecture" &&
        d.InUseAt(ym)) {
      out.push_back(&d);
    }
  }
  return out;
}

}  // namespace xj::registry
