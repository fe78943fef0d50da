#include "formats/trust_statements.h"

#include <algorithm>

#include "formats/age_keys.h"

namespace xj::formats::trust {
namespace {

using L = LabelRule;

// The error for a field whose value does not parse.
Status Bad(const Field& f, std::string_view expected) {
  return Status(Code::kMalformed, fmt::format("line {}: {}: expected {}",
                                              f.line, f.label, expected));
}

Status Whole(std::string what) {
  return Status(Code::kMalformed, std::move(what));
}

void Add(Statement* st, std::string label, std::string value) {
  st->fields.push_back({std::move(label), std::move(value), 0});
}

Result<KeyEntry> ParseKeyEntry(const Field& f, bool root) {
  std::vector<std::string_view> p = SplitSpaces(f.value);
  const char* roles = root ? "root" : "clerk or leader";
  std::string shape =
      fmt::format("\"<KEYID> <{}> <minisign public key>\"", roles);
  if (p.size() != 3 || !IsKeyId(p[0])) return Bad(f, shape);
  KeyEntry e;
  e.role = std::string(p[1]);
  if (root ? e.role != "root" : (e.role != "clerk" && e.role != "leader")) {
    return Bad(f, fmt::format("the role {}", roles));
  }
  Result<minisign::PublicKey> key = minisign::ParsePublicKeyString(p[2]);
  if (!key.ok()) return Bad(f, "a minisign public key (RW...)");
  if (!minisign::KeyIdIs(key->key_id, p[0])) {
    return Status(
        Code::kMalformed,
        fmt::format("line {}: key: the key id {} is not the id inside the "
                    "key ({})",
                    f.line, p[0], minisign::KeyIdToString(key->key_id)));
  }
  e.key = *key;
  return e;
}

// Public key bytes appear once in a statement, whatever their key ids.
Status CheckDistinctKeys(const std::vector<KeyEntry>& keys) {
  for (std::size_t i = 0; i < keys.size(); ++i) {
    for (std::size_t j = i + 1; j < keys.size(); ++j) {
      if (keys[i].key.key == keys[j].key.key) {
        return Whole(
            fmt::format("the same public key is listed twice ({} and "
                        "{})",
                        minisign::KeyIdToString(keys[i].key.key_id),
                        minisign::KeyIdToString(keys[j].key.key_id)));
      }
    }
  }
  return Status::Ok();
}

bool IsSerialFor(std::string_view serial, std::string_view issuer) {
  return serial.size() == issuer.size() + 7 &&
         serial.substr(0, issuer.size()) == issuer &&
         serial[issuer.size()] == '-' &&
         IsDigits(serial.substr(issuer.size() + 1));
}

Status CheckTimeOrder(std::string_view first, std::string_view first_label,
                      std::string_view second, std::string_view second_label) {
  if (!(first < second)) {
    return Whole(fmt::format("{} ({}) is not before {} ({})", first_label,
                             first, second_label, second));
  }
  return Status::Ok();
}

}  // namespace

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kSchool:
      return "school";
    case Level::kCounty:
      return "county";
    case Level::kCity:
      return "city";
    case Level::kProvince:
      return "province";
  }
  return "?";
}

std::optional<Level> ParseLevel(std::string_view name) {
  for (Level l :
       {Level::kSchool, Level::kCounty, Level::kCity, Level::kProvince}) {
    if (LevelName(l) == name) return l;
  }
  return std::nullopt;
}

bool IsKeyId(std::string_view s) {
  if (s.size() != 16) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'))) return false;
  }
  return true;
}

bool IsScope(std::string_view s) {
  return (s.size() == 2 || s.size() == 4 || s.size() == 6) && IsDigits(s);
}

std::string KeyEntryValue(const KeyEntry& e) {
  return fmt::format("{} {} {}", minisign::KeyIdToString(e.key.key_id), e.role,
                     minisign::EncodePublicKeyString(e.key));
}

std::string Policy::ToString() const {
  std::string out;
  for (const auto& [role, n] : groups) {
    if (!out.empty()) out += ' ';
    out += fmt::format("{}={}", role, n);
  }
  return out;
}

Result<Policy> ParsePolicy(std::string_view text) {
  Policy p;
  for (std::string_view g : SplitSpaces(text)) {
    std::size_t eq = g.find('=');
    if (eq == std::string_view::npos || g.size() != eq + 2 || g[eq + 1] < '1' ||
        g[eq + 1] > '9') {
      return Status(Code::kMalformed,
                    "expected groups like \"clerk=1 leader=1\"");
    }
    std::string role(g.substr(0, eq));
    if (role != "clerk" && role != "leader" && role != "root") {
      return Status(Code::kMalformed,
                    fmt::format("unknown role \"{}\" (clerk, leader or root)",
                                EscapeForDisplay(role)));
    }
    if (!p.groups.empty() && !(p.groups.back().first < role)) {
      return Status(Code::kMalformed, "roles must be sorted and distinct");
    }
    p.groups.push_back({role, g[eq + 1] - '0'});
  }
  return p;
}

std::string RootId(std::uint64_t version) {
  return fmt::format("root-{}", version);
}

std::string CrlId(std::string_view issuer, std::uint64_t number) {
  return fmt::format("crl-{}-{}", issuer, number);
}

// ---- root ----

namespace {
const std::vector<LabelRule>& RootLabels() {
  static const std::vector<LabelRule> kRules = {
      {"version", L::kOne},  {"province", L::kOne}, {"threshold", L::kOne},
      {"key", L::kRepeated}, {"created", L::kOne},  {"expires", L::kOne},
  };
  return kRules;
}
}  // namespace

Result<RootStatement> ParseRoot(std::string_view text) {
  XJ_ASSIGN_OR_RETURN(Statement st, ParseStatement(text, "root", RootLabels()));
  RootStatement r;
  for (const Field& f : st.fields) {
    const std::string& v = f.value;
    if (f.label == "version") {
      if (!ParseNumber(v, &r.version) || r.version == 0)
        return Bad(f, "a number from 1");
    } else if (f.label == "province") {
      if (v.size() != 2 || !IsDigits(v))
        return Bad(f, "a province's two-digit code");
      r.province = v;
    } else if (f.label == "threshold") {
      if (!ParseNumber(v, &r.threshold) || r.threshold == 0)
        return Bad(f, "a number from 1");
    } else if (f.label == "key") {
      XJ_ASSIGN_OR_RETURN(KeyEntry e, ParseKeyEntry(f, true));
      r.keys.push_back(std::move(e));
    } else if (f.label == "created" || f.label == "expires") {
      if (!IsUtcTime(v)) return Bad(f, "a UTC time YYYY-MM-DDTHH:MM:SSZ");
      (f.label == "created" ? r.created : r.expires) = v;
    }
  }
  XJ_RETURN_IF_ERROR(CheckDistinctKeys(r.keys));
  if (r.threshold > r.keys.size()) {
    return Whole(fmt::format("a threshold of {} with only {} key(s)",
                             r.threshold, r.keys.size()));
  }
  XJ_RETURN_IF_ERROR(
      CheckTimeOrder(r.created, "created", r.expires, "expires"));
  return r;
}

std::string SerializeRoot(const RootStatement& r) {
  Statement st;
  st.type = "root";
  Add(&st, "version", std::to_string(r.version));
  Add(&st, "province", r.province);
  Add(&st, "threshold", std::to_string(r.threshold));
  std::vector<std::string> keys;
  for (const KeyEntry& k : r.keys) keys.push_back(KeyEntryValue(k));
  std::sort(keys.begin(), keys.end());
  for (std::string& k : keys) Add(&st, "key", std::move(k));
  Add(&st, "created", r.created);
  Add(&st, "expires", r.expires);
  return SerializeStatement(st);
}

// ---- cert ----

namespace {
const std::vector<LabelRule>& CertLabels() {
  static const std::vector<LabelRule> kRules = {
      {"serial", L::kOne},
      {"issuer", L::kOne},
      {"issuer-key", L::kRepeated},
      {"subject", L::kOne},
      {"subject-name", L::kOne},
      {"level", L::kOne},
      {"scope", L::kRepeated},
      {"key", L::kRepeated},
      {"enc", L::kOne},
      {"may-certify", L::kRepeatedOptional},
      {"issue-policy", L::kOptional},
      {"deliver-policy", L::kOne},
      {"not-before", L::kOne},
      {"not-after", L::kOne},
  };
  return kRules;
}
}  // namespace

Result<CertStatement> ParseCert(std::string_view text) {
  XJ_ASSIGN_OR_RETURN(Statement st, ParseStatement(text, "cert", CertLabels()));
  CertStatement c;
  int serial_line = 0;
  for (const Field& f : st.fields) {
    const std::string& v = f.value;
    if (f.label == "serial") {
      c.serial = v;
      serial_line = f.line;
    } else if (f.label == "issuer") {
      if (v != "root" && !IsOfficeCode(v))
        return Bad(f, "an office code or root");
      c.issuer = v;
    } else if (f.label == "issuer-key") {
      if (!IsKeyId(v)) return Bad(f, "a key id (16 uppercase hex digits)");
      c.issuer_keys.push_back(v);
    } else if (f.label == "subject") {
      if (!IsOfficeCode(v)) return Bad(f, "an office or school code");
      c.subject = v;
    } else if (f.label == "subject-name") {
      c.subject_name = v;
    } else if (f.label == "level") {
      std::optional<Level> l = ParseLevel(v);
      if (!l) return Bad(f, "province, city, county or school");
      c.level = *l;
    } else if (f.label == "scope") {
      if (!IsScope(v))
        return Bad(f, "a region code prefix of 2, 4 or 6 digits");
      c.scope.push_back(v);
    } else if (f.label == "key") {
      XJ_ASSIGN_OR_RETURN(KeyEntry e, ParseKeyEntry(f, false));
      c.keys.push_back(std::move(e));
    } else if (f.label == "enc") {
      if (!age::ParseRecipient(v).ok())
        return Bad(f, "an age X25519 recipient (age1...)");
      c.enc = v;
    } else if (f.label == "may-certify") {
      std::optional<Level> l = ParseLevel(v);
      if (!l) return Bad(f, "city, county or school");
      c.may_certify.push_back(*l);
    } else if (f.label == "issue-policy" || f.label == "deliver-policy") {
      Result<Policy> p = ParsePolicy(v);
      if (!p.ok()) {
        return Bad(f,
                   "groups like \"clerk=1 leader=1\" (clerk or leader, "
                   "sorted, each once, counts 1-9)");
      }
      for (const auto& g : p->groups) {
        if (g.first == "root") return Bad(f, "clerk or leader groups");
      }
      if (f.label == "issue-policy") {
        c.issue_policy = std::move(p).value();
      } else {
        c.deliver_policy = std::move(p).value();
      }
    } else if (f.label == "not-before" || f.label == "not-after") {
      if (!IsUtcTime(v)) return Bad(f, "a UTC time YYYY-MM-DDTHH:MM:SSZ");
      (f.label == "not-before" ? c.not_before : c.not_after) = v;
    }
  }
  if (!IsSerialFor(c.serial, c.issuer)) {
    return Status(Code::kMalformed,
                  fmt::format("line {}: serial: expected {}-NNNNNN (the "
                              "issuer and six digits)",
                              serial_line, c.issuer));
  }
  if (c.subject == c.issuer) return Whole("an office cannot certify itself");
  XJ_RETURN_IF_ERROR(CheckDistinctKeys(c.keys));
  for (Level l : c.may_certify) {
    if (l >= c.level) {
      return Whole(
          fmt::format("a {} may not certify a {}: only levels below "
                      "its own",
                      LevelName(c.level), LevelName(l)));
    }
  }
  // may-certify lines are sorted as text; keep them highest level first.
  std::sort(c.may_certify.begin(), c.may_certify.end(), std::greater<>());
  if (c.may_certify.empty() == c.issue_policy.has_value()) {
    return Whole("issue-policy is given when, and only when, may-certify is");
  }
  // Every role a policy needs has a key.
  for (const Policy* p :
       {&c.deliver_policy, c.issue_policy ? &*c.issue_policy : nullptr}) {
    if (p == nullptr) continue;
    for (const auto& [role, n] : p->groups) {
      // clang 14 cannot capture a structured binding: name it first.
      const std::string& needed = role;
      auto have = static_cast<int>(
          std::count_if(c.keys.begin(), c.keys.end(),
                        [&](const KeyEntry& k) { return k.role == needed; }));
      if (have < n) {
        return Whole(
            fmt::format("a policy needs {} {} signature(s), and "
                        "only {} {} key(s) are listed",
                        n, role, have, role));
      }
    }
  }
  XJ_RETURN_IF_ERROR(
      CheckTimeOrder(c.not_before, "not-before", c.not_after, "not-after"));
  return c;
}

std::string SerializeCert(const CertStatement& c) {
  Statement st;
  st.type = "cert";
  Add(&st, "serial", c.serial);
  Add(&st, "issuer", c.issuer);
  std::vector<std::string> ik = c.issuer_keys;
  std::sort(ik.begin(), ik.end());
  for (std::string& k : ik) Add(&st, "issuer-key", std::move(k));
  Add(&st, "subject", c.subject);
  Add(&st, "subject-name", c.subject_name);
  Add(&st, "level", std::string(LevelName(c.level)));
  std::vector<std::string> scope = c.scope;
  std::sort(scope.begin(), scope.end());
  for (std::string& s : scope) Add(&st, "scope", std::move(s));
  std::vector<std::string> keys;
  for (const KeyEntry& k : c.keys) keys.push_back(KeyEntryValue(k));
  std::sort(keys.begin(), keys.end());
  for (std::string& k : keys) Add(&st, "key", std::move(k));
  Add(&st, "enc", c.enc);
  std::vector<std::string> mc;
  for (Level l : c.may_certify) mc.emplace_back(LevelName(l));
  std::sort(mc.begin(), mc.end());
  for (std::string& m : mc) Add(&st, "may-certify", std::move(m));
  if (c.issue_policy) Add(&st, "issue-policy", c.issue_policy->ToString());
  Add(&st, "deliver-policy", c.deliver_policy.ToString());
  Add(&st, "not-before", c.not_before);
  Add(&st, "not-after", c.not_after);
  return SerializeStatement(st);
}

// ---- crl ----

namespace {
const std::vector<LabelRule>& CrlLabels() {
  static const std::vector<LabelRule> kRules = {
      {"issuer", L::kOne},
      {"issuer-key", L::kRepeated},
      {"number", L::kOne},
      {"this-update", L::kOne},
      {"next-update", L::kOne},
      {"revoked", L::kRepeatedOptional},
      {"revoked-key", L::kRepeatedOptional},
  };
  return kRules;
}
}  // namespace

Result<CrlStatement> ParseCrl(std::string_view text) {
  XJ_ASSIGN_OR_RETURN(Statement st, ParseStatement(text, "crl", CrlLabels()));
  CrlStatement c;
  for (const Field& f : st.fields) {
    const std::string& v = f.value;
    if (f.label == "issuer") {
      if (v != "root" && !IsOfficeCode(v))
        return Bad(f, "an office code or root");
      c.issuer = v;
    } else if (f.label == "issuer-key") {
      if (!IsKeyId(v)) return Bad(f, "a key id (16 uppercase hex digits)");
      c.issuer_keys.push_back(v);
    } else if (f.label == "number") {
      if (!ParseNumber(v, &c.number) || c.number == 0)
        return Bad(f, "a number from 1");
    } else if (f.label == "this-update" || f.label == "next-update") {
      if (!IsUtcTime(v)) return Bad(f, "a UTC time YYYY-MM-DDTHH:MM:SSZ");
      (f.label == "this-update" ? c.this_update : c.next_update) = v;
    } else if (f.label == "revoked") {
      std::vector<std::string_view> p = SplitSpaces(v);
      if (p.size() != 3 || !IsUtcTime(p[1]) ||
          (p[2] != "key-compromise" && p[2] != "superseded" &&
           p[2] != "cessation")) {
        return Bad(f,
                   "\"<serial> <time> <key-compromise|superseded|cessation>\"");
      }
      if (!IsSerialFor(p[0], c.issuer))
        return Bad(f, fmt::format("a serial issued by {}", c.issuer));
      if (!c.revoked.empty() && c.revoked.back().serial == p[0])
        return Bad(f, "each serial once");
      c.revoked.push_back(
          {std::string(p[0]), std::string(p[1]), std::string(p[2])});
    } else if (f.label == "revoked-key") {
      std::vector<std::string_view> p = SplitSpaces(v);
      if (p.size() != 2 || !IsKeyId(p[0]) || !IsUtcTime(p[1]))
        return Bad(f, "\"<KEYID> <time>\"");
      if (!c.revoked_keys.empty() && c.revoked_keys.back().first == p[0])
        return Bad(f, "each key once");
      c.revoked_keys.push_back({std::string(p[0]), std::string(p[1])});
    }
  }
  XJ_RETURN_IF_ERROR(CheckTimeOrder(c.this_update, "this-update", c.next_update,
                                    "next-update"));
  return c;
}

std::string SerializeCrl(const CrlStatement& c) {
  Statement st;
  st.type = "crl";
  Add(&st, "issuer", c.issuer);
  std::vector<std::string> ik = c.issuer_keys;
  std::sort(ik.begin(), ik.end());
  for (std::string& k : ik) Add(&st, "issuer-key", std::move(k));
  Add(&st, "number", std::to_string(c.number));
  Add(&st, "this-update", c.this_update);
  Add(&st, "next-update", c.next_update);
  std::vector<std::string> lines;
  for (const Revoked& r : c.revoked)
    lines.push_back(r.serial + " " + r.time + " " + r.reason);
  std::sort(lines.begin(), lines.end());
  for (std::string& l : lines) Add(&st, "revoked", std::move(l));
  lines.clear();
  for (const auto& [id, t] : c.revoked_keys) lines.push_back(id + " " + t);
  std::sort(lines.begin(), lines.end());
  for (std::string& l : lines) Add(&st, "revoked-key", std::move(l));
  return SerializeStatement(st);
}

// ---- schools ----

namespace {
const std::vector<LabelRule>& SchoolsLabels() {
  static const std::vector<LabelRule> kRules = {
      {"issuer", L::kOne}, {"issuer-key", L::kRepeated},
      {"county", L::kOne}, {"version", L::kOne},
      {"issued", L::kOne}, {"school", L::kRepeatedOptional},
  };
  return kRules;
}
}  // namespace

std::string SchoolsId(std::string_view county, std::uint64_t version) {
  return fmt::format("schools-{}-{}", county, version);
}

Result<SchoolsStatement> ParseSchools(std::string_view text) {
  XJ_ASSIGN_OR_RETURN(Statement st,
                      ParseStatement(text, "schools", SchoolsLabels()));
  SchoolsStatement s;
  for (const Field& f : st.fields) {
    const std::string& v = f.value;
    if (f.label == "issuer") {
      if (v.size() != 6 || !IsDigits(v) || !v.ends_with("0000"))
        return Bad(f, "the province office's code (six digits ending 0000)");
      s.issuer = v;
    } else if (f.label == "issuer-key") {
      if (!IsKeyId(v)) return Bad(f, "a key id (16 uppercase hex digits)");
      s.issuer_keys.push_back(v);
    } else if (f.label == "county") {
      if (v.size() != 6 || !IsDigits(v) || v.ends_with("00") ||
          v.substr(0, 2) != s.issuer.substr(0, 2)) {
        return Bad(f, "a county's code (six digits) of the issuer's province");
      }
      s.county = v;
    } else if (f.label == "version") {
      if (!ParseNumber(v, &s.version) || s.version == 0)
        return Bad(f, "a number from 1");
    } else if (f.label == "issued") {
      if (!IsUtcTime(v)) return Bad(f, "a UTC time YYYY-MM-DDTHH:MM:SSZ");
      s.issued = v;
    } else if (f.label == "school") {
      constexpr std::string_view kShape =
          "\"<school code> <type> <name>\": ten digits of the province, the "
          "code's first two digits, a name; by code, each once";
      // The name is the rest of the line, and may hold spaces.
      std::vector<std::string_view> p = SplitSpaces(v);
      if (p.size() < 3) return Bad(f, kShape);
      SchoolEntry e{std::string(p[0]), std::string(p[1]),
                    v.substr(p[0].size() + p[1].size() + 2)};
      if (e.code.size() != 10 || !IsDigits(e.code) ||
          e.type != e.code.substr(0, 2) ||
          e.code.substr(2, 2) != s.county.substr(0, 2) ||
          (!s.schools.empty() && !(s.schools.back().code < e.code))) {
        return Bad(f, kShape);
      }
      s.schools.push_back(std::move(e));
    }
  }
  return s;
}

std::string SerializeSchools(const SchoolsStatement& s) {
  Statement st;
  st.type = "schools";
  Add(&st, "issuer", s.issuer);
  std::vector<std::string> ik = s.issuer_keys;
  std::sort(ik.begin(), ik.end());
  for (std::string& k : ik) Add(&st, "issuer-key", std::move(k));
  Add(&st, "county", s.county);
  Add(&st, "version", std::to_string(s.version));
  Add(&st, "issued", s.issued);
  std::vector<SchoolEntry> schools = s.schools;
  std::sort(schools.begin(), schools.end(),
            [](const auto& a, const auto& b) { return a.code < b.code; });
  for (const SchoolEntry& e : schools)
    Add(&st, "school", fmt::format("{} {} {}", e.code, e.type, e.name));
  return SerializeStatement(st);
}

// ---- receipt ----

namespace {
// "<sender>-<recipient>-<seq of six digits>".
bool IsBundleIdForm(std::string_view id) {
  std::size_t a = id.find('-');
  if (a == std::string_view::npos) return false;
  std::size_t b = id.find('-', a + 1);
  if (b == std::string_view::npos) return false;
  std::string_view seq = id.substr(b + 1);
  return IsOfficeCode(id.substr(0, a)) &&
         IsOfficeCode(id.substr(a + 1, b - a - 1)) && seq.size() == 6 &&
         IsDigits(seq);
}

const std::vector<LabelRule>& ReceiptLabels() {
  static const std::vector<LabelRule> kRules = {
      {"bundle", L::kOne},   {"bundle-sha256", L::kOne},
      {"sender", L::kOne},   {"recipient", L::kOne},
      {"seq", L::kOne},      {"received", L::kOne},
      {"taken-as", L::kOne}, {"by", L::kOne},
      {"ledger", L::kOne},   {"signed-by", L::kRepeatedOptional},
  };
  return kRules;
}
}  // namespace

Result<ReceiptStatement> ParseReceipt(std::string_view text) {
  XJ_ASSIGN_OR_RETURN(Statement st,
                      ParseStatement(text, "receipt", ReceiptLabels()));
  ReceiptStatement r;
  for (const Field& f : st.fields) {
    const std::string& v = f.value;
    if (f.label == "bundle") {
      r.bundle = v;
    } else if (f.label == "bundle-sha256") {
      if (!IsHex(v, 64)) return Bad(f, "64 lowercase hex digits");
      r.bundle_sha256 = v;
    } else if (f.label == "sender" || f.label == "recipient") {
      if (!IsOfficeCode(v)) return Bad(f, "an office code");
      (f.label == "sender" ? r.sender : r.recipient) = v;
    } else if (f.label == "seq") {
      if (!ParseNumber(v, &r.seq) || r.seq == 0)
        return Bad(f, "a number from 1");
    } else if (f.label == "received") {
      if (!IsUtcTime(v)) return Bad(f, "a UTC time YYYY-MM-DDTHH:MM:SSZ");
      r.received = v;
    } else if (f.label == "taken-as") {
      if (v != "intake" && v != "copy") return Bad(f, "<intake|copy>");
      r.taken_as = v;
    } else if (f.label == "by") {
      if (!IsOfficeCode(v)) return Bad(f, "an office code");
      // Intake is signed by the recipient; a copy by another office.
      if ((r.taken_as == "intake") != (v == r.recipient) || v == r.sender) {
        return Bad(f, r.taken_as == "intake"
                          ? "the recipient, which signs its intake"
                          : "a copy-to office, neither sender nor recipient");
      }
      r.by = v;
    } else if (f.label == "ledger") {
      std::size_t sp = v.find(' ');
      if (sp == std::string::npos ||
          !ParseNumber(v.substr(0, sp), &r.ledger_rows) || r.ledger_rows == 0 ||
          !IsHex(v.substr(sp + 1), 64)) {
        return Bad(f, "ROWS LINK (a number from 1, 64 lowercase hex digits)");
      }
      r.ledger_link = v.substr(sp + 1);
    } else if (f.label == "signed-by") {
      constexpr std::string_view kShape =
          "\"<bundle id> <certificate serial> <KEYID>[,<KEYID>]\", one a "
          "bundle, in the order of their ids";
      std::vector<std::string_view> p = SplitSpaces(v);
      if (p.size() != 3) return Bad(f, kShape);
      ReceiptStatement::SignedBy s;
      s.bundle = p[0];
      s.cert = p[1];
      std::size_t serial_dash = s.cert.rfind('-');
      if (!IsBundleIdForm(s.bundle) || serial_dash == std::string::npos ||
          !IsSerialFor(s.cert, s.cert.substr(0, serial_dash)) ||
          (!r.signed_by.empty() && r.signed_by.back().bundle >= s.bundle)) {
        return Bad(f, kShape);
      }
      std::string_view keys = p[2];
      for (;;) {
        std::size_t comma = keys.find(',');
        std::string_view k = keys.substr(0, comma);
        if (!IsKeyId(k)) return Bad(f, kShape);
        s.keys.emplace_back(k);
        if (comma == std::string_view::npos) break;
        keys.remove_prefix(comma + 1);
      }
      r.signed_by.push_back(std::move(s));
    }
  }
  if (r.bundle != BundleId(r.sender, r.recipient, r.seq)) {
    return Status(Code::kMalformed,
                  fmt::format("line 2: bundle: expected {} (sender-recipient-"
                              "seq)",
                              BundleId(r.sender, r.recipient, r.seq)));
  }
  return r;
}

std::string SerializeReceipt(const ReceiptStatement& r) {
  Statement st;
  st.type = "receipt";
  Add(&st, "bundle", r.bundle);
  Add(&st, "bundle-sha256", r.bundle_sha256);
  Add(&st, "sender", r.sender);
  Add(&st, "recipient", r.recipient);
  Add(&st, "seq", std::to_string(r.seq));
  Add(&st, "received", r.received);
  Add(&st, "taken-as", r.taken_as);
  Add(&st, "by", r.by);
  Add(&st, "ledger", fmt::format("{} {}", r.ledger_rows, r.ledger_link));
  std::vector<ReceiptStatement::SignedBy> by = r.signed_by;
  std::sort(by.begin(), by.end(),
            [](const auto& a, const auto& b) { return a.bundle < b.bundle; });
  for (const auto& s : by) {
    Add(&st, "signed-by",
        fmt::format("{} {} {}", s.bundle, s.cert, fmt::join(s.keys, ",")));
  }
  return SerializeStatement(st);
}

// ---- request ----

namespace {
const std::vector<LabelRule>& RequestLabels() {
  static const std::vector<LabelRule> kRules = {
      {"subject", L::kOne},  {"subject-name", L::kOne}, {"level", L::kOne},
      {"key", L::kRepeated}, {"enc", L::kOne},
  };
  return kRules;
}
}  // namespace

Result<RequestStatement> ParseRequest(std::string_view text) {
  XJ_ASSIGN_OR_RETURN(Statement st,
                      ParseStatement(text, "request", RequestLabels()));
  RequestStatement r;
  for (const Field& f : st.fields) {
    const std::string& v = f.value;
    if (f.label == "subject") {
      if (!IsOfficeCode(v)) return Bad(f, "an office or school code");
      r.subject = v;
    } else if (f.label == "subject-name") {
      r.subject_name = v;
    } else if (f.label == "level") {
      std::optional<Level> l = ParseLevel(v);
      if (!l) return Bad(f, "province, city, county or school");
      r.level = *l;
    } else if (f.label == "key") {
      XJ_ASSIGN_OR_RETURN(KeyEntry e, ParseKeyEntry(f, false));
      r.keys.push_back(std::move(e));
    } else if (f.label == "enc") {
      if (!age::ParseRecipient(v).ok())
        return Bad(f, "an age X25519 recipient (age1...)");
      r.enc = v;
    }
  }
  XJ_RETURN_IF_ERROR(CheckDistinctKeys(r.keys));
  return r;
}

std::string SerializeRequest(const RequestStatement& r) {
  Statement st;
  st.type = "request";
  Add(&st, "subject", r.subject);
  Add(&st, "subject-name", r.subject_name);
  Add(&st, "level", std::string(LevelName(r.level)));
  std::vector<std::string> keys;
  for (const KeyEntry& k : r.keys) keys.push_back(KeyEntryValue(k));
  std::sort(keys.begin(), keys.end());
  for (std::string& k : keys) Add(&st, "key", std::move(k));
  Add(&st, "enc", r.enc);
  return SerializeStatement(st);
}

}  // namespace xj::formats::trust
