// Merging children's bundles into one for the next hop (xjpack-merge(1)).
// (Every later hop checks the children a bundle holds with the bundle
// wing's held check, src/bundle/held.h, which merge uses too.)
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
#include <string>
#include <vector>

#include "base/status.h"
#include "libpack/bundle.h"
#include "libpack/ledger.h"

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
  /// Revocation lists the children's chains carried, newer than the
  /// office held, now kept in its store (file names); or why not.
  std::vector<std::string> learned;
  std::string learned_error;
};

Result<MergeResult> Merge(const MergeRequest& request,
                          registry::FindingSink& findings);

}  // namespace xj::pack
