#include "formats/statement.h"

#include <unicode/normalizer2.h>
#include <unicode/stringpiece.h>

#include <algorithm>
#include <charconv>

#include "base/bytes.h"

namespace xj::formats::trust {

bool IsDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// A decimal number without leading zeros (0 allowed on its own).
bool ParseNumber(std::string_view s, std::uint64_t* out) {
  if (!IsDigits(s) || (s.size() > 1 && s[0] == '0') || s.size() > 19)
    return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

std::vector<std::string_view> SplitSpaces(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    std::size_t sp = s.find(' ', start);
    out.push_back(s.substr(start, sp - start));
    if (sp == std::string_view::npos) break;
    start = sp + 1;
  }
  return out;
}

namespace {

bool IsLabel(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
      return false;
  }
  return true;
}

}  // namespace

bool IsHex(std::string_view s, std::size_t length) {
  if (s.size() != length) return false;
  // Every character looked at, without a branch for each (a manifest's
  // lines hold a city's hashes).
  unsigned bad = 0;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    bad |= static_cast<unsigned>(static_cast<unsigned char>(u - '0') > 9) &
           static_cast<unsigned>(static_cast<unsigned char>(u - 'a') > 5);
  }
  return bad == 0;
}

bool IsOfficeCode(std::string_view c) {
  if (c.size() == 10) return IsDigits(c);
  std::size_t digits = c.size();
  if (!c.empty() && c.back() >= 'a' && c.back() <= 'z') --digits;
  return (digits == 4 || digits == 6) && IsDigits(c.substr(0, digits));
}

bool IsUtcTime(std::string_view s) {
  if (s.size() != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
      s[13] != ':' || s[16] != ':' || s[19] != 'Z') {
    return false;
  }
  for (int i : {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  auto num = [&](int at, int len) {
    int v = 0;
    for (int i = at; i < at + len; ++i) v = v * 10 + (s[i] - '0');
    return v;
  };
  int y = num(0, 4), mo = num(5, 2), d = num(8, 2);
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1] ||
      (mo == 2 && d == 29 && !leap)) {
    return false;
  }
  return num(11, 2) < 24 && num(14, 2) < 60 && num(17, 2) < 60;
}

Status CheckValue(std::string_view v) {
  if (v.empty()) return Status(Code::kMalformed, "empty value");
  if (v.front() == ' ' || v.back() == ' ') {
    return Status(Code::kMalformed, "value begins or ends with a space");
  }
  if (!IsPlainText(v)) {
    return Status(
        Code::kMalformed,
        "value holds a control, bidi or invisible character, or invalid "
        "UTF-8");
  }
  // ASCII text is in every normal form (no ASCII character decomposes or
  // composes): most values are codes, hashes and times.
  if (std::all_of(v.begin(), v.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x80; }))
    return Status::Ok();
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_SUCCESS(status) &&
      !nfc->isNormalizedUTF8(
          icu::StringPiece(v.data(), static_cast<int32_t>(v.size())), status)) {
    return Status(Code::kMalformed, "value is not in Unicode normal form C");
  }
  return Status::Ok();
}

Result<Statement> ParseStatement(std::string_view text, std::string_view type,
                                 const std::vector<LabelRule>& rules) {
  auto fail = [](int line, std::string what) {
    return Status(Code::kMalformed, fmt::format("line {}: {}", line, what));
  };
  if (text.size() > kMaxStatement) {
    return Status(Code::kMalformed,
                  fmt::format("larger than {} bytes", kMaxStatement));
  }
  if (text.substr(0, 3) == "\xEF\xBB\xBF") return fail(1, "byte order mark");
  if (text.find('\r') != std::string_view::npos) {
    return Status(
        Code::kMalformed,
        "carriage return: the statement was converted as text (CRLF)");
  }
  if (text.empty() || text.back() != '\n') {
    return Status(Code::kMalformed, "does not end with a line feed");
  }
  Statement st;
  st.fields.reserve(
      static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')));
  int line_no = 0;
  std::size_t rule = 0;
  std::size_t start = 0;
  std::string_view last_value;
  std::string_view last_label;
  std::vector<std::size_t> seen(rules.size(), 0);
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    std::string_view line = text.substr(start, nl - start);
    start = nl + 1;
    ++line_no;
    if (line.size() + 1 > kMaxLine) return fail(line_no, "line too long");
    if (line_no == 1) {
      if (!line.starts_with(kMagicPrefix) ||
          line.substr(kMagicPrefix.size()) != type) {
        if (line.substr(0, 8) != "xjtrust/")
          return fail(1, "not an xjtrust statement");
        return fail(1, fmt::format("expected \"{}{}\"", kMagicPrefix, type));
      }
      st.type = std::string(type);
      continue;
    }
    if (line.empty()) return fail(line_no, "blank line");
    std::size_t colon = line.find(": ");
    if (colon == std::string_view::npos)
      return fail(line_no, "expected \"label: value\"");
    std::string_view label = line.substr(0, colon),
                     value = line.substr(colon + 2);
    if (!IsLabel(label)) return fail(line_no, "bad label");
    // Find the label among the rules from the current position on.
    std::size_t r = rule;
    while (r < rules.size() && rules[r].label != label) ++r;
    if (r == rules.size()) {
      bool known =
          std::any_of(rules.begin(), rules.end(),
                      [&](const LabelRule& x) { return x.label == label; });
      return fail(line_no, known ? fmt::format("\"{}\" is out of order", label)
                                 : fmt::format("unknown label \"{}\"",
                                               EscapeForDisplay(label)));
    }
    for (std::size_t k = rule; k < r; ++k) {
      if ((rules[k].count == LabelRule::kOne ||
           rules[k].count == LabelRule::kRepeated) &&
          seen[k] == 0) {
        // Missing here; if it comes later, the order is what is wrong.
        std::string later = "\n" + std::string(rules[k].label) + ": ";
        if (start > 0 &&
            text.find(later, start - 1) != std::string_view::npos) {
          return fail(line_no,
                      fmt::format("\"{}\" is out of order: \"{}\" comes "
                                  "before it",
                                  label, rules[k].label));
        }
        return fail(line_no, fmt::format("\"{}\" is missing", rules[k].label));
      }
    }
    rule = r;
    bool repeated = rules[r].count == LabelRule::kRepeated ||
                    rules[r].count == LabelRule::kRepeatedOptional;
    if (seen[r] > 0) {
      if (!repeated)
        return fail(line_no, fmt::format("\"{}\" appears twice", label));
      if (label == last_label && !(last_value < value)) {
        return fail(line_no,
                    fmt::format("repeated \"{}\" lines must be sorted and "
                                "distinct",
                                label));
      }
    }
    ++seen[r];
    Status s = CheckValue(value);
    if (!s.ok())
      return fail(line_no, fmt::format("{}: {}", label, s.message()));
    st.fields.push_back({std::string(label), std::string(value), line_no});
    last_label = label;
    last_value = value;
  }
  if (line_no == 0) return fail(1, "empty statement");
  for (std::size_t k = rule; k < rules.size(); ++k) {
    if ((rules[k].count == LabelRule::kOne ||
         rules[k].count == LabelRule::kRepeated) &&
        seen[k] == 0) {
      return fail(line_no, fmt::format("\"{}\" is missing", rules[k].label));
    }
  }
  return st;
}

std::string SerializeStatement(const Statement& st) {
  std::string out = std::string(kMagicPrefix) + st.type + "\n";
  for (const Field& f : st.fields) out += f.label + ": " + f.value + "\n";
  return out;
}

const std::vector<LabelRule>& BundleLabels() {
  using L = LabelRule;
  static const std::vector<LabelRule> kRules = {
      {"id", L::kOne},
      {"sender", L::kOne},
      {"sender-ref", L::kOne},
      {"recipient", L::kOne},
      {"copy-to", L::kRepeatedOptional},
      {"kind", L::kOne},
      {"period", L::kOne},
      {"supersedes", L::kOptional},
      {"seq", L::kOne},
      {"prev", L::kOne},
      {"created", L::kOne},
      {"root-version", L::kOne},
      {"schema", L::kOne},
      {"schema-sha256", L::kOne},
      {"allow-errors", L::kOptional},
      {"bag-tagmanifest-sha512", L::kOne},
      {"bag-oxum", L::kOne},
      {"volume", L::kRepeatedOptional},
      {"records", L::kOne},
      {"child", L::kRepeatedOptional},
      {"audit", L::kOptional},
      {"audit-rule", L::kRepeatedOptional},
      {"audit-silent", L::kRepeatedOptional},
      {"audit-changed", L::kRepeatedOptional},
      {"crl", L::kRepeatedOptional},
  };
  return kRules;
}

std::string BundleId(std::string_view sender, std::string_view recipient,
                     std::uint64_t seq) {
  return fmt::format("{}-{}-{:06}", sender, recipient, seq);
}

namespace {
// A rule id: lowercase letters, digits, '.', '-' and '_', starting with a
// letter ("students.id-checksum", "merge.missing").
bool IsRuleId(std::string_view s) {
  if (s.empty() || s.size() > 64 || s[0] < 'a' || s[0] > 'z') return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_';
  });
}
}  // namespace

Result<BundleStatement> ParseBundle(std::string_view text) {
  XJ_ASSIGN_OR_RETURN(Statement st,
                      ParseStatement(text, "bundle", BundleLabels()));
  BundleStatement b;
  for (const Field& f : st.fields) {
    auto bad = [&](std::string_view expected) {
      return Status(Code::kMalformed, fmt::format("line {}: {}: expected {}",
                                                  f.line, f.label, expected));
    };
    const std::string& v = f.value;
    if (f.label == "id") {
      b.id = v;
    } else if (f.label == "sender" || f.label == "recipient" ||
               f.label == "copy-to") {
      if (!IsOfficeCode(v)) return bad("an office code");
      if (f.label == "sender") b.sender = v;
      if (f.label == "recipient") b.recipient = v;
      if (f.label == "copy-to") b.copy_to.push_back(v);
    } else if (f.label == "sender-ref" || f.label == "prev") {
      if (v != "none" && !IsHex(v, 64))
        return bad("64 lowercase hex digits or none");
      (f.label == "prev" ? b.prev : b.sender_ref) = v;
    } else if (f.label == "kind") {
      if (v != "census" && v != "changes" && v != "graduation" &&
          v != "correction") {
        return bad("census, changes, graduation or correction");
      }
      b.kind = v;
    } else if (f.label == "period") {
      if (v.size() != 10 || v.substr(4) != "-09-30" ||
          !IsDigits(v.substr(0, 4))) {
        return bad("a census date YYYY-09-30");
      }
      b.period = v;
    } else if (f.label == "supersedes") {
      std::vector<std::string_view> p = SplitSpaces(v);
      if (p.size() != 2 || !IsHex(p[1], 64))
        return bad("\"<bundle id> <sha256>\"");
      b.supersedes = std::pair{std::string(p[0]), std::string(p[1])};
    } else if (f.label == "seq") {
      if (!ParseNumber(v, &b.seq) || b.seq == 0) return bad("a number from 1");
    } else if (f.label == "created") {
      if (!IsUtcTime(v)) return bad("a UTC time YYYY-MM-DDTHH:MM:SSZ");
      b.created = v;
    } else if (f.label == "root-version") {
      if (!ParseNumber(v, &b.root_version)) return bad("a number");
    } else if (f.label == "schema") {
      std::vector<std::string_view> p = SplitSpaces(v);
      if (p.size() != 2) return bad("\"<schema id> <version>\"");
      b.schema = v;
    } else if (f.label == "schema-sha256") {
      if (!IsHex(v, 64)) return bad("64 lowercase hex digits");
      b.schema_sha256 = v;
    } else if (f.label == "allow-errors") {
      std::uint64_t n;
      if (!ParseNumber(v, &n) || n == 0) return bad("a number from 1");
      b.allow_errors = n;
    } else if (f.label == "bag-tagmanifest-sha512") {
      if (!IsHex(v, 128)) return bad("128 lowercase hex digits");
      b.bag_tagmanifest_sha512 = v;
    } else if (f.label == "bag-oxum") {
      std::size_t dot = v.find('.');
      std::uint64_t a, c;
      if (dot == std::string::npos ||
          !ParseNumber(std::string_view(v).substr(0, dot), &a) ||
          !ParseNumber(std::string_view(v).substr(dot + 1), &c)) {
        return bad("\"<octets>.<files>\"");
      }
      b.bag_oxum = v;
    } else if (f.label == "volume") {
      std::vector<std::string_view> p = SplitSpaces(v);
      Volume vol;
      std::uint64_t n = 0;
      if (p.size() != 3 || p[0].size() != 3 || !IsDigits(p[0]) ||
          !ParseNumber(p[1], &vol.size) || !IsHex(p[2], 128)) {
        return bad("\"<nnn> <size> <sha512>\"");
      }
      std::from_chars(p[0].data(), p[0].data() + 3, n);
      vol.number = static_cast<int>(n);
      if (vol.number != static_cast<int>(b.volumes.size()) + 1) {
        return bad(fmt::format("volume {:03} next", b.volumes.size() + 1));
      }
      vol.sha512 = std::string(p[2]);
      b.volumes.push_back(std::move(vol));
    } else if (f.label == "records") {
      if (!ParseNumber(v, &b.records)) return bad("a number");
    } else if (f.label == "child") {
      std::vector<std::string_view> p = SplitSpaces(v);
      if (p.size() != 2 || !IsHex(p[0], 64))
        return bad("\"<sha256> <bundle id>\"");
      b.children.push_back({std::string(p[0]), std::string(p[1])});
    } else if (f.label == "audit") {
      std::vector<std::string_view> p = SplitSpaces(v);
      AuditSummary a;
      if (p.size() != 2 || !ParseNumber(p[0], &a.errors) ||
          !ParseNumber(p[1], &a.warnings)) {
        return bad("\"<errors> <warnings>\"");
      }
      b.audit = std::move(a);
    } else if (f.label == "audit-rule") {
      std::vector<std::string_view> p = SplitSpaces(v);
      AuditRuleCount r;
      if (p.size() != 3 || !IsRuleId(p[0]) || !ParseNumber(p[1], &r.errors) ||
          !ParseNumber(p[2], &r.warnings) || r.errors + r.warnings == 0) {
        return bad("\"<rule id> <errors> <warnings>\", not both 0");
      }
      r.rule = std::string(p[0]);
      if (!b.audit) return bad("an audit line before it");
      if (!b.audit->rules.empty() && !(b.audit->rules.back().rule < r.rule))
        return bad("rules in increasing order, each once");
      b.audit->rules.push_back(std::move(r));
    } else if (f.label == "audit-silent") {
      if (!IsOfficeCode(v)) return bad("an office code");
      if (!b.audit) return bad("an audit line before it");
      b.audit->silent.push_back(v);  // sorted and distinct, as every list
    } else if (f.label == "audit-changed") {
      if (!IsOfficeCode(v)) return bad("an office code");
      if (!b.audit) return bad("an audit line before it");
      b.audit->changed.push_back(v);
    } else if (f.label == "crl") {
      std::vector<std::string_view> p = SplitSpaces(v);
      CrlRef c;
      if (p.size() != 3 || (p[0] != "root" && !IsOfficeCode(p[0])) ||
          !ParseNumber(p[1], &c.number) || !IsHex(p[2], 64)) {
        return bad("\"<issuer> <number> <sha256>\"");
      }
      c.issuer = std::string(p[0]);
      c.sha256 = std::string(p[2]);
      b.crls.push_back(std::move(c));
    }
  }
  if (b.id != BundleId(b.sender, b.recipient, b.seq)) {
    return Status(Code::kMalformed,
                  fmt::format("line 2: id: expected {} (sender-recipient-seq)",
                              BundleId(b.sender, b.recipient, b.seq)));
  }
  if (std::find(b.copy_to.begin(), b.copy_to.end(), b.recipient) !=
      b.copy_to.end()) {
    return Status(Code::kMalformed, "the recipient is also listed as copy-to");
  }
  if (b.sender == b.recipient || std::find(b.copy_to.begin(), b.copy_to.end(),
                                           b.sender) != b.copy_to.end()) {
    return Status(Code::kMalformed,
                  "the sender is also a recipient of its own bundle");
  }
  if ((b.seq == 1) != (b.prev == "none")) {
    return Status(Code::kMalformed,
                  b.seq == 1 ? "seq 1 opens a stream: its prev must be none"
                             : "only seq 1 may have prev none");
  }
  if (b.children.empty() == b.audit.has_value()) {
    return Status(Code::kMalformed,
                  b.audit ? "an audit, and the bundle holds no child"
                          : "a merged bundle without its audit line");
  }
  if (b.audit) {
    std::uint64_t e = 0, w = 0;
    for (const AuditRuleCount& r : b.audit->rules) {
      e += r.errors;
      w += r.warnings;
    }
    if (e != b.audit->errors || w != b.audit->warnings) {
      return Status(Code::kMalformed,
                    fmt::format("the audit-rule lines count {} errors and {} "
                                "warnings, the audit line {} and {}",
                                e, w, b.audit->errors, b.audit->warnings));
    }
  }
  if ((b.kind == "correction") != b.supersedes.has_value()) {
    return Status(
        Code::kMalformed,
        "a correction, and only a correction, names what it supersedes");
  }
  return b;
}

std::string SerializeBundle(const BundleStatement& b) {
  Statement st;
  st.type = "bundle";
  auto add = [&](std::string label, std::string value) {
    st.fields.push_back({std::move(label), std::move(value), 0});
  };
  add("id", b.id);
  add("sender", b.sender);
  add("sender-ref", b.sender_ref);
  add("recipient", b.recipient);
  std::vector<std::string> copy = b.copy_to;
  std::sort(copy.begin(), copy.end());
  for (const std::string& c : copy) add("copy-to", c);
  add("kind", b.kind);
  add("period", b.period);
  if (b.supersedes)
    add("supersedes", b.supersedes->first + " " + b.supersedes->second);
  add("seq", std::to_string(b.seq));
  add("prev", b.prev);
  add("created", b.created);
  add("root-version", std::to_string(b.root_version));
  add("schema", b.schema);
  add("schema-sha256", b.schema_sha256);
  if (b.allow_errors) add("allow-errors", std::to_string(*b.allow_errors));
  add("bag-tagmanifest-sha512", b.bag_tagmanifest_sha512);
  add("bag-oxum", b.bag_oxum);
  for (const Volume& v : b.volumes) {
    add("volume", fmt::format("{:03} {} {}", v.number, v.size, v.sha512));
  }
  add("records", std::to_string(b.records));
  std::vector<Child> children = b.children;
  std::sort(children.begin(), children.end(),
            [](const Child& x, const Child& y) {
              return x.sha256 + " " + x.id < y.sha256 + " " + y.id;
            });
  for (const Child& c : children) add("child", c.sha256 + " " + c.id);
  if (b.audit) {
    add("audit", fmt::format("{} {}", b.audit->errors, b.audit->warnings));
    std::vector<AuditRuleCount> rules = b.audit->rules;
    std::sort(rules.begin(), rules.end(),
              [](const auto& x, const auto& y) { return x.rule < y.rule; });
    for (const AuditRuleCount& r : rules)
      add("audit-rule", fmt::format("{} {} {}", r.rule, r.errors, r.warnings));
    std::vector<std::string> silent = b.audit->silent;
    std::sort(silent.begin(), silent.end());
    for (const std::string& c : silent) add("audit-silent", c);
    std::vector<std::string> changed = b.audit->changed;
    std::sort(changed.begin(), changed.end());
    for (const std::string& c : changed) add("audit-changed", c);
  }
  std::vector<std::string> crls;
  for (const CrlRef& c : b.crls)
    crls.push_back(fmt::format("{} {} {}", c.issuer, c.number, c.sha256));
  std::sort(crls.begin(), crls.end());
  for (const std::string& c : crls) add("crl", c);
  return SerializeStatement(st);
}

}  // namespace xj::formats::trust
