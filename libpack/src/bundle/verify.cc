// Inspecting and verifying a bundle on a stick: its folder, statement,
// signatures and volumes; with the office identity, its decrypted bag and,
// for a merged bundle, every bundle it holds.

#include "base/os.h"
#include "bundle/authenticate.h"
#include "bundle/bag_check.h"
#include "bundle/held.h"
#include "bundle/volumes.h"
#include "libpack/bundle.h"
#include "libpack/media.h"
#include "libpack/office.h"
#include "libpack/prefetch.h"

namespace xj::pack {
namespace {

using bundle::Authenticate;
using bundle::CheckedVolumes;
using bundle::CheckPayloadHeader;
using bundle::CopyVolumesIn;
using bundle::HashVolumes;
using bundle::HeldCheck;
using bundle::Inventory;
using bundle::LimitsOf;
using bundle::LocateVolumes;
using bundle::OpenPayload;
using bundle::PayloadLimits;
using bundle::TakeInventory;

}  // namespace

Result<BundleReport> Inspect(const std::vector<std::string>& dirs,
                             const TrustSource& trust) {
  XJ_ASSIGN_OR_RETURN(Inventory inv, TakeInventory(dirs, /*unapproved=*/true));
  XJ_ASSIGN_OR_RETURN(BundleReport r, Authenticate(inv, trust, false));
  XJ_RETURN_IF_ERROR(LocateVolumes(inv, &r, /*lenient=*/true).status());
  return r;
}

Result<BundleReport> Verify(const VerifyRequest& req) {
  XJ_ASSIGN_OR_RETURN(Inventory inv, TakeInventory(req.dirs, req.unapproved));
  XJ_ASSIGN_OR_RETURN(BundleReport r,
                      Authenticate(inv, req.trust, !req.trust.empty()));
  XJ_ASSIGN_OR_RETURN(std::vector<std::string> paths,
                      LocateVolumes(inv, &r, false));
  XJ_RETURN_IF_ERROR(
      CheckPayloadHeader(paths[0], 1 + r.statement.copy_to.size()));
  if (req.identities == nullptr) {
    XJ_RETURN_IF_ERROR(HashVolumes(paths, &r, req.progress));
    return r;
  }
  if (!r.statement.children.empty()) {
    // A merged bundle: the bundles it holds are judged from their own
    // files, so its bag is extracted, as unpack would, into a private work
    // folder of the home that is removed whatever happens.
    if (req.trust.store == nullptr) {
      return Status(Code::kInvalidArgument,
                    "a merged bundle's children are judged by their "
                    "certificates, which only an office home holds")
          .WithRemedy(Remedy::kVerifyInOffice);
    }
    XJ_ASSIGN_OR_RETURN(std::string work, MakeWorkDir(req.trust.store->home()));
    struct Cleanup {
      std::string dir;
      ~Cleanup() { RemoveTree(dir); }
    } cleanup{work};
    XJ_ASSIGN_OR_RETURN(MediaInfo where, ProbeMedia(work));
    XJ_ASSIGN_OR_RETURN(PayloadLimits limits, LimitsOf(r.statement));
    std::uint64_t needed = limits.octets + (limits.files + 8) * 4096;
    for (const auto& v : r.statement.volumes) needed += v.size;
    XJ_RETURN_IF_ERROR(CheckRoom(where, work, needed,
                                 "checking the bundles it holds (the volumes "
                                 "and the bag, for a while)",
                                 "free some space in the office home"));
    XJ_ASSIGN_OR_RETURN(std::vector<std::string> copies,
                        CopyVolumesIn(paths, r, work, req.progress));
    XJ_RETURN_IF_ERROR(
        CheckPayloadHeader(copies[0], 1 + r.statement.copy_to.size()));
    std::string bag = work + "/" + r.statement.id;
    XJ_RETURN_IF_ERROR(os::MakeDirectory(bag, 0700));
    // Each child is checked as soon as its files are extracted.
    HeldCheck held(bag, r.statement, bundle::HeldTrust(req.trust, r, nullptr));
    VolumeReader plain(copies);
    XJ_RETURN_IF_ERROR(
        OpenPayload(plain, &r, *req.identities, bag, 2000000, &held));
    XJ_ASSIGN_OR_RETURN(r.schools, held.Finish());
    return r;
  }
  CheckedVolumes volumes(paths, &r, req.progress, "verifying");
  // One pass: the volumes are hashed as they are decrypted, and a damaged
  // volume is named as such rather than as a failed decryption. Reading
  // and hashing them has a thread of its own, ahead of the decryption.
  Status opened;
  {
    PrefetchSource ahead(&volumes);
    opened = OpenPayload(ahead, &r, *req.identities, "", 2000000);
  }  // the read-ahead has stopped: what it did not read, Drain reads
  XJ_RETURN_IF_ERROR(volumes.Drain());
  XJ_RETURN_IF_ERROR(opened);
  return r;
}

}  // namespace xj::pack
