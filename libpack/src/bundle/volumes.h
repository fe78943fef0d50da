// The payload's volumes: where each is, copying and hashing them against
// the statement (one pass, several at once), the age header read without
// keys; and the file copying and synced writes the stick needs.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/io.h"
#include "base/os.h"
#include "bundle/authenticate.h"
#include "keys/crypto.h"
#include "libpack/bundle.h"

namespace xj::pack::bundle {

/// The largest age header a bundle's payload may have.
inline constexpr std::size_t kMaxHeader = 64 * 1024;

/// Writes a new file (never replacing one), synced before it is closed.
Status WriteFileSynced(const std::string& path, std::string_view data,
                       unsigned mode);

// Where a copy goes: to the medium being delivered (flushed, and its
// cached pages dropped so that reading back reads the medium itself), or
// into a private work folder that is removed afterwards (neither).
enum class CopyTo { kMedium, kScratch };

// Copies a file, hashing it when asked; `copied` hears of each piece. The
// source is read ahead by a second thread, so reading overlaps writing and
// hashing.
Status CopyFile(const os::Dir& from_dir, const std::string& name,
                const std::string& to, keys::Hasher* hasher, CopyTo where,
                const std::function<void(std::uint64_t)>& copied);

/// Where each signed volume is; fails on missing, extra or duplicated
/// ones (unless `lenient`: inspect shows what there is).
Result<std::vector<std::string>> LocateVolumes(const Inventory& inv,
                                               BundleReport* r, bool lenient);

// Checks a volume's size and SHA-512 as it streams by.
class VolumeCheck {
 public:
  VolumeCheck(const ft::Volume& v, std::string name)
      : v_(v), name_(std::move(name)) {}
  void Update(ByteSpan data) {
    h_.Update(data);
    size_ += data.size();
  }
  Status Finish() {
    if (size_ != v_.size) {
      return Error(size_ < v_.size ? Code::kTruncated : Code::kIntegrity,
                   "volume {} is {} bytes, the statement says {}{}", name_,
                   size_, v_.size, size_ < v_.size ? " (truncated)" : "");
    }
    if (ToHex(h_.Finish()) != v_.sha512) {
      return Error(Code::kIntegrity,
                   "volume {} does not match its SHA-512 in the statement: "
                   "damaged or altered",
                   name_);
    }
    return Status::Ok();
  }

 private:
  const ft::Volume& v_;
  std::string name_;
  keys::Hasher h_{keys::Hasher::Algorithm::kSha512};
  std::uint64_t size_ = 0;
};

// The volumes as one stream, each opened without following links, its
// size and SHA-512 checked against the statement as it ends. Reading a
// volume and checking it is one pass: what is decrypted is what was hashed.
class CheckedVolumes final : public Source {
 public:
  CheckedVolumes(const std::vector<std::string>& paths, BundleReport* r,
                 const Progress& progress, std::string_view what)
      : paths_(paths), r_(r), progress_(progress), what_(what) {
    for (const auto& v : r->statement.volumes) total_ += v.size;
  }

  Result<std::size_t> Read(MutableByteSpan buf) override {
    if (!failed_.ok()) return failed_;
    for (;;) {
      if (!file_.is_open()) {
        if (next_ == paths_.size()) return std::size_t{0};
        XJ_ASSIGN_OR_RETURN(os::Dir dir,
                            os::Dir::Open(os::DirName(paths_[next_])));
        XJ_ASSIGN_OR_RETURN(file_, dir.OpenFile(os::BaseName(paths_[next_])));
        check_ = std::make_unique<VolumeCheck>(r_->statement.volumes[next_],
                                               r_->volumes[next_].name);
      }
      os::FdSource src(file_.fd());
      XJ_ASSIGN_OR_RETURN(std::size_t n, src.Read(buf));
      if (n > 0) {
        check_->Update(ByteSpan(buf.data(), n));
        done_ += n;
        if (progress_) progress_(what_, done_, total_);
        return n;
      }
      file_ = os::File();
      Status s = check_->Finish();
      VolumeReport& v = r_->volumes[next_];
      v.state = s.ok() ? VolumeState::kPresent
                : s.code() == Code::kIntegrity &&
                        s.message().find("SHA-512") != std::string::npos
                    ? VolumeState::kWrongHash
                    : VolumeState::kWrongSize;
      ++next_;
      if (!s.ok()) {
        failed_ = s;
        return s;
      }
    }
  }

  /// Reads what is left (after a reader stopped early or failed) and says
  /// whether every volume checked.
  Status Drain() {
    Bytes buf(1 << 20);
    for (;;) {
      XJ_ASSIGN_OR_RETURN(std::size_t n, Read(buf));
      if (n == 0) return Status::Ok();
    }
  }

 private:
  const std::vector<std::string>& paths_;
  BundleReport* r_;
  const Progress& progress_;
  std::string_view what_;
  std::uint64_t total_ = 0, done_ = 0;
  std::size_t next_ = 0;
  os::File file_;
  std::unique_ptr<VolumeCheck> check_;
  Status failed_ = Status::Ok();
};

/// Copies the volumes into the quarantine, each hashed as it is copied and
/// judged against the statement; several at once, one a core. Fails with
/// the first volume, in order, that is not as signed.
Result<std::vector<std::string>> CopyVolumesIn(
    const std::vector<std::string>& paths, const BundleReport& r,
    const std::string& quarantine, const Progress& progress);

/// Checks every volume's size and SHA-512, several at once (one a core),
/// noting each volume's state; fails with the first bad one, in order.
Status HashVolumes(const std::vector<std::string>& paths, BundleReport* r,
                   const Progress& progress);

/// The header of an age payload, read without keys: exactly one X25519
/// stanza per addressed office, nothing else, at most kMaxHeader bytes.
Status CheckPayloadHeader(const std::string& first_volume, std::size_t offices);

/// Copies the bundle folder `from_dir` (volumes, statement, signatures,
/// chain/, README) to media/XJ/`name`: under a temporary name first, each
/// file flushed, then into place file by file with the statement last, so
/// that only a whole bundle ever looks like one (renaming the folder loses
/// its contents on some FUSE FAT drivers). A failure leaves nothing of it
/// on the stick. Returns the bundle folder on the stick.
Result<std::string> CopyToStick(const std::string& from_dir,
                                const std::string& media,
                                const std::string& name, std::uint64_t needed,
                                const Progress& progress);

}  // namespace xj::pack::bundle
