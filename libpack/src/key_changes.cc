#include "libpack/key_changes.h"

#include <algorithm>
#include <set>

namespace xj::pack {
namespace {

// "school", "county" or "city", from the form of an office code.
std::string_view LevelOfCode(const std::string& code) {
  switch (code.size()) {
    case 10:
      return "school";
    case 6:
      return "county";
    case 4:
      return "city";
    default:
      return "office";
  }
}

std::string KeyWords(const std::string& keys) {
  return fmt::format(
      "{} {}", keys.find(' ') == std::string::npos ? "key" : "keys", keys);
}

// Why an old certificate no longer counts: revoked (by the newest list of
// its issuer among `crls`) or expired by `at`; "" if it still counts.
std::string Lapsed(const SignedBy& old, const std::string& at,
                   const std::vector<trust::VerifiedCrl>& crls) {
  std::string issuer = old.cert.substr(0, old.cert.rfind('-'));
  for (const trust::VerifiedCrl& c : crls) {
    if (c.crl.issuer != issuer) continue;
    for (const formats::trust::Revoked& r : c.crl.revoked) {
      if (r.serial == old.cert) {
        return fmt::format("certificate {} was revoked by {} at {} ({})",
                           old.cert, issuer, r.time, r.reason);
      }
    }
  }
  if (!old.cert_end.empty() && old.cert_end < at)
    return fmt::format("certificate {} expired at {}", old.cert, old.cert_end);
  return "";
}

}  // namespace

Result<std::vector<KeyChange>> FindKeyChanges(
    const Ledger& ledger, const std::vector<HeldStatement>& bundles,
    const std::vector<trust::VerifiedCrl>& crls) {
  std::vector<KeyChange> out;
  std::set<std::string> seen;
  for (const HeldStatement& b : bundles) {
    const formats::trust::BundleStatement& st = b.statement;
    if (b.by.cert.empty() || b.by.keys.empty() || !seen.insert(st.id).second)
      continue;
    XJ_ASSIGN_OR_RETURN(std::optional<Ledger::LastSigned> last,
                        ledger.LastSignedBy(st.sender, st.id, st.created));
    if (!last || (last->by.cert == b.by.cert && last->by.keys == b.by.keys))
      continue;
    KeyChange k;
    k.sender = st.sender;
    k.bundle = st.id;
    k.before = last->by;
    k.now = b.by;
    k.before_bundle = last->id;
    k.until = last->created;
    std::string_view level = LevelOfCode(st.sender);
    if (last->by.cert == b.by.cert) {
      k.excused = true;
      k.message = fmt::format(
          "{} {} now signs with {} of its certificate {} ({}); it signed with "
          "{} until {} ({})",
          level, st.sender, KeyWords(b.by.keys), b.by.cert, st.id,
          KeyWords(last->by.keys), last->created, last->id);
    } else {
      std::string lapsed = Lapsed(last->by, st.created, crls);
      k.excused = !lapsed.empty();
      k.message = fmt::format(
          "{} {} now signs with {} under certificate {} ({}); it signed with "
          "{} under certificate {} until {} ({}), {}",
          level, st.sender, KeyWords(b.by.keys), b.by.cert, st.id,
          KeyWords(last->by.keys), last->by.cert, last->created, last->id,
          lapsed.empty() ? "and that certificate was neither revoked nor "
                           "expired: whoever holds the new one may sign in "
                           "its name"
                         : "and the old " + lapsed);
    }
    out.push_back(std::move(k));
  }
  return out;
}

}  // namespace xj::pack
