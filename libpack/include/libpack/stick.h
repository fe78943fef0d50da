// The stick's layout: every file and folder name xjpack writes on
// removable media and reads back, and the README.txt a bundle carries.
// xjpack-bundle(5) specifies them; changing the layout means this header,
// src/bundle/stick.cc and that page, nothing else.
//
//   XJ/<bundle-id>/                 a bundle (bundle.stmt written last)
//     bundle.stmt                   the signed statement
//     bundle.stmt.<KEYID>.minisig   a signature, one per key
//     payload.tar.zst.age[.NNN]     the payload, whole or in volumes
//     chain/                        the sender's certificate chain
//     README.txt                    what the statement says, for people
//   XJ/<bundle-id>.unapproved/      a bundle that waits for a leader
//   XJ/receipts/<bundle-id>/        a receipt carried back: receipt.stmt,
//                                   its signature, chain/
//   XJ/.xjtmp-*                     a bundle being written
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "formats/minisign.h"
#include "formats/trust_statements.h"

namespace xj::pack::stick {

/// The folder on a stick that holds bundles and receipts.
inline constexpr std::string_view kXj = "XJ";
/// XJ/receipts/<bundle-id>/: receipts going back to the sender.
inline constexpr std::string_view kReceipts = "receipts";
/// A bundle folder's signed statement.
inline constexpr std::string_view kStatement = "bundle.stmt";
/// A bundle folder's README, for people; only the statement counts.
inline constexpr std::string_view kReadme = "README.txt";
/// A bundle folder's certificate chain.
inline constexpr std::string_view kChain = "chain";
/// The suffix of a bundle folder that waits for a leader's approval.
inline constexpr std::string_view kUnapproved = ".unapproved";
/// The prefix of a folder being written, beside its final place.
inline constexpr std::string_view kTempPrefix = ".xjtmp-";
/// The payload, when it is one volume; volumes add .001, .002, ...
inline constexpr std::string_view kPayload = "payload.tar.zst.age";
/// A receipt folder's signed statement (XJ/receipts/<bundle-id>/).
inline constexpr std::string_view kReceiptStatement = "receipt.stmt";
/// The largest signature file a bundle folder may hold.
inline constexpr std::size_t kMaxSignatureFile = 4096;

/// `name` in `folder`: folder/name.
inline std::string In(const std::string& folder, std::string_view name) {
  std::string out = folder;
  out += '/';
  out += name;
  return out;
}

/// The volume file names for `count` volumes: kPayload alone, or
/// kPayload.001 to kPayload.NNN.
std::vector<std::string> VolumeNames(std::size_t count);
/// The name of volume `n` (1-based) of several: kPayload.NNN.
std::string NumberedVolumeName(std::size_t n);
/// A volume's name, whole or numbered (.001 to .999).
bool IsVolumeName(std::string_view name);

/// bundle.stmt.<KEYID>.minisig, the signature by key `id`.
std::string SignatureName(const formats::minisign::KeyId& id);
/// A signature file's name: bundle.stmt.<16 upper-case hex digits>.minisig.
bool IsSignatureName(std::string_view name);

/// Files that operating systems leave on sticks (Thumbs.db, ._*, ...):
/// listed, never read.
bool IsLitter(std::string_view name);

/// The receipt folders `path` names, in name order: `path` itself when it
/// holds a receipt statement; else those in path/XJ/receipts (a stick) or
/// in `path` (a folder of receipts). Fails when it names none.
Result<std::vector<std::string>> FindReceipts(const std::string& path);

/// What a bundle's bag may hold under data/ (xjpack-bundle(5)): a
/// school's registry files, its photos and its findings; or a merge's
/// children and its data/merged/ files. kEither is for a path inside a
/// held child's bag, before the child's own statement says which it is.
enum class BagKind { kSchool, kMerged, kEither };
/// Whether `path` (relative to the bag, "data/...") is one the bag may
/// hold; kRejected naming the path otherwise. Pack and merge refuse to
/// write what this refuses, and every reader refuses a bag holding it.
Status CheckBagPayloadPath(std::string_view path, BagKind kind);

/// The README.txt of a bundle, from its statement alone: bilingual, UTF-8
/// with a byte order mark and CRLF line ends, for Notepad.
std::string ReadmeText(const formats::trust::BundleStatement& statement,
                       const std::string& fingerprint);

}  // namespace xj::pack::stick
