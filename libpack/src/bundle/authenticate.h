// Reading a bundle folder and judging its statement and signatures: the
// inventory of a stick's bundle folder(s), the sender's keys from the
// chain it carries, and the signatures against them and the policy.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/os.h"
#include "libpack/bundle.h"
#include "libpack/trust_store.h"

namespace xj::pack::bundle {

namespace ft = formats::trust;

struct Inventory {
  std::vector<os::Dir> dirs;  // a stick's folders (none for a held bundle)
  std::string path;           // the first folder
  std::string statement_text;
  std::vector<std::pair<std::string, Bytes>> signatures;  // name, content
  std::map<std::string, std::vector<std::size_t>>
      volumes;  // name → dirs holding it
  std::vector<std::string> litter;
  std::optional<std::string> readme;
  std::optional<ChainFiles> chain;  // the first folder's chain/
  // A bundle held inside another's bag: its report gets no copy of the
  // chain files (a merged city's check would copy every school's).
  bool held = false;
};

/// The folders of one bundle (one per stick it spans), listed and their
/// small files read: only the names a bundle folder may hold, no links.
/// A folder waiting for approval (XJ/<id>.unapproved) only when
/// `unapproved`.
Result<Inventory> TakeInventory(const std::vector<std::string>& paths,
                                bool unapproved = false);

/// The statement, and each signature judged against `keys` (bad ones
/// fail; unknown keys are noted); `require_trust`: fail unless one
/// verifies. `keys_from_chain`: the keys are the sender's certified ones
/// (not given with -p), which a refusal names.
Result<BundleReport> ReadStatementAndSignatures(
    const Inventory& inv, const std::vector<TrustedKey>& keys,
    bool require_trust, bool keys_from_chain = false);

/// The sender's keys from the bundle's chain/, judged up to the root this
/// office holds, and the policy the bundle's signatures must meet.
Result<std::vector<TrustedKey>> KeysFromChain(const Inventory& inv,
                                              const TrustSource& source,
                                              BundleReport* r,
                                              formats::trust::Policy* policy);

/// The route the notice lays down: a bundle is delivered only to the
/// office that certified its sender (the province, for an office the
/// province certified). `r` was judged under its chain; `office` is the
/// office that would take it in. Refused naming the expected route.
Status CheckRoute(const BundleReport& r, const std::string& office);

/// The statement's recipient and its copies.
std::vector<std::string> AllRecipients(
    const formats::trust::BundleStatement& st);

/// How the bundles `holder` holds are judged: as `t` says, with the
/// revocation lists the holder was judged with counting beside their own
/// chains' (a county's newer list than its school's chain carries), and
/// every list met offered to `seen`, if given.
TrustSource HeldTrust(const TrustSource& t, const BundleReport& holder,
                      pack::trust::CrlsSeen* seen);

/// Reads the statement and judges its signatures by `source`; `require`:
/// fail unless they are trusted.
Result<BundleReport> Authenticate(const Inventory& inv,
                                  const TrustSource& source, bool require);

/// The trusted comment of a bundle statement's signature: "xjtrust/1
/// bundle <id> <role> <time>", and for a leader who allows the audit's
/// errors " allow-errors <reason>".
std::string TrustedComment(const std::string& id, const std::string& role,
                           std::int64_t t,
                           const std::string& allow_errors = "");

}  // namespace xj::pack::bundle
