// The bag inside a payload: decrypted, decompressed and checked as its tar
// streams by (BagIt, every file's SHA-512, the statement's Oxum and tag
// manifest), and written out when asked.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/io.h"
#include "bundle/held.h"
#include "keys/crypto.h"
#include "libpack/bundle.h"

namespace xj::pack::bundle {

// Limits for the payload, from what the statement signs.
struct PayloadLimits {
  std::uint64_t octets = 0, files = 0;
  std::uint64_t max_output() const {
    // The bag's files, its tag files (a manifest line a file), and tar
    // headers and padding.
    return octets + (files + 8) * (3 * 512 + 256) + (std::uint64_t{16} << 20);
  }
};

/// The limits a statement's bag-oxum sets; refuses implausible ones.
Result<PayloadLimits> LimitsOf(const formats::trust::BundleStatement& st);

/// Decrypts the volumes and checks the bag, writing it under `out_root`
/// when that is not empty; `held`, if given, hears of each payload file
/// once it is written.
Status OpenPayload(Source& volumes, BundleReport* report,
                   const std::vector<keys::X25519Identity>& identities,
                   const std::string& out_root, std::uint64_t max_files,
                   HeldCheck* held = nullptr);

/// Checks a bag already placed in `dir` as OpenPayload checks one in a
/// payload: exactly the bag's files, each against the manifest, the tag
/// manifest against the statement. For an unpack completed after an
/// interruption, which records only what it has read again.
Status CheckPlacedBag(const std::string& dir, BundleReport* report);

}  // namespace xj::pack::bundle
