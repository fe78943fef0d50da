// The bundles a merged bundle holds, checked down to the schools: each
// child's statement and signatures under its own chain, its bag against
// what the holder's bag says of it, and every merged summary against the
// schools below it. Verify, unpack and merge call it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "formats/trust_statements.h"
#include "libpack/bundle.h"
#include "registry/roster.h"

namespace xj::pack::bundle {

/// Checks every child held in the extracted bag at `bag_dir` (whose own
/// statement is `holder`), down to the leaves: each child's statement and
/// signatures (judged under `trust`, its certificates at the holder's
/// created time), addressed to the holder's sender, listed by the holder
/// with that statement's SHA-256 and nothing else held; each held bag
/// equal to what its statement names (tag manifest SHA-512, Oxum, every
/// file's hash as the outer bag's manifest has it); and each merged
/// summary.csv equal to the one recomputed from the schools below it.
/// Every held bundle's statement and SHA-256 (at all depths) goes to
/// `held` when given, for the ledger's nested streams.
Result<std::vector<HeldSchool>> VerifyHeld(
    const std::string& bag_dir, const formats::trust::BundleStatement& holder,
    const TrustSource& trust, std::vector<HeldStatement>* held = nullptr);

/// VerifyHeld, begun while the bag is still being extracted: each child
/// the holder lists is checked, on a thread of its own, as soon as every
/// file below data/children/<child-id>/ has been written and hashed (the
/// archive holds a child's files one after another), against those
/// hashes. The extraction itself then checks that they are the bag's
/// manifest; a bag that fails there fails whatever the children gave. The
/// children are checked exactly as VerifyHeld checks them, and Finish does
/// the rest (the children not yet checked, and the holder's own checks)
/// and reports the first failure in the holder's order, as VerifyHeld.
/// A bundle folder's statements at any depth (its bundle.stmt, their
/// signatures, its chain/) have their signatures verified on that thread
/// as soon as the folder's files are written (trust::VerifyAhead): a
/// school's come before its county's statement, which its judgement
/// needs. Only what verified is remembered; every judgement is made as
/// VerifyHeld makes it.
class HeldCheck {
 public:
  HeldCheck(std::string bag_dir, const formats::trust::BundleStatement& holder,
            const TrustSource& trust);
  ~HeldCheck();  ///< stops, after the child being checked
  HeldCheck(const HeldCheck&) = delete;
  HeldCheck& operator=(const HeldCheck&) = delete;

  /// A payload file of the bag ("data/..."), written, closed and hashed
  /// (SHA-512, hex), of `size` bytes; in the bag's order. For a held
  /// school's students.csv, `roster` may give its counts, taken (moved
  /// from) as it was written (else the file is counted when the school is
  /// checked); and `bytes`, if given, is the file's content, copied to be
  /// read from memory when the child is checked.
  void Written(std::string_view path, std::string_view sha512,
               std::uint64_t size,
               Result<registry::RosterCounter::ByValues>* roster = nullptr,
               const std::string* bytes = nullptr);
  /// Once the whole bag is extracted and its manifest checked: waits for
  /// the children begun, then as VerifyHeld.
  Result<std::vector<HeldSchool>> Finish(
      std::vector<HeldStatement>* held = nullptr);
  /// Wall seconds spent checking children while the bag was extracted.
  double early_seconds() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace xj::pack::bundle
