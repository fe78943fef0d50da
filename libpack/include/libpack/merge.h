// Merging children's bundles into one for the next hop (xjpack-merge(1)),
// and checking, at any later hop, the children a bundle holds.
//
// A merge verifies each child fully (its chain up to the root, addressed to
// this office, its stream in the ledger), decrypts it into a private work
// folder, and keeps it intact in the new bag:
//
//   data/children/<child-id>/bundle.stmt, its signatures, chain/, bag/
//   data/merged/summary.csv   counts by school, grade, sex, status, migrant
//   data/merged/audit.json    the cross-school audit
//
// byte for byte, so a later hop can check each school's own signature and
// bag. The audit runs the registry check over every school held (finding
// the same student in two schools), and adds: a school whose school.csv
// names another school than the one that signed; transfers out with no
// matching transfer in, and the reverse; schools this office certified that
// sent nothing. --strict refuses on errors.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "libpack/bundle.h"
#include "libpack/ledger.h"
#include "libpack/roster.h"

namespace xj::pack {

struct MergeRequest {
  /// Addressee, copies, key, role, home, store (required), media, volume
  /// size, clock, progress and schema, as for pack.
  PackRequest pack;
  /// Each child bundle: its folder(s) on the stick(s).
  std::vector<std::vector<std::string>> children;
  const std::vector<keys::X25519Identity>* identities = nullptr;
  Ledger* ledger = nullptr;  ///< required: children are streams too
  bool strict = false;       ///< audit errors refuse the merge
};

struct MergeResult {
  PackResult pack;
  std::vector<HeldSchool> schools;
  std::uint64_t errors = 0, warnings = 0;
};

Result<MergeResult> Merge(const MergeRequest& request, FindingSink& findings);

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
    const TrustSource& trust,
    std::vector<std::pair<formats::trust::BundleStatement, std::string>>* held =
        nullptr);

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
               Result<RosterCounter::ByValues>* roster = nullptr,
               const std::string* bytes = nullptr);
  /// Once the whole bag is extracted and its manifest checked: waits for
  /// the children begun, then as VerifyHeld.
  Result<std::vector<HeldSchool>> Finish(
      std::vector<std::pair<formats::trust::BundleStatement, std::string>>*
          held = nullptr);
  /// Wall seconds spent checking children while the bag was extracted.
  double early_seconds() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// data/merged/summary.csv recomputed from every school held below `dir`
/// (a bag): counts by school, grade, sex, status and migrant flag.
Result<std::string> MergedSummary(const std::string& dir);

/// A school's own bag, as unpack extracted it (`bag` is its folder): it
/// holds only a registry (data/registry, and data/check), whose school.csv
/// names the bundle's sender and whose students.csv holds as many students
/// as the statement's `records` line; the checks a merge makes of every
/// school bundle it holds.
Status CheckSchoolBag(const std::string& bag,
                      const formats::trust::BundleStatement& statement);

}  // namespace xj::pack
