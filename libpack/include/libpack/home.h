// The office home: the folder where an office keeps what must survive
// between runs and must never travel on a stick — the outbox of bundles
// not yet acknowledged, the stream counters, private work folders.
//
// Found from --home, else $XJPACK_HOME, else $XDG_DATA_HOME/xjpack (or
// ~/.local/share/xjpack). Created 0700.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace xj::pack {

struct Home {
  std::string root;
  std::string outbox() const { return root + "/outbox"; }
  std::string streams() const { return root + "/streams"; }
  std::string work() const { return root + "/work"; }
};

/// Opens (creating when missing) the home named by `flag` or the
/// environment.
Result<Home> OpenHome(const std::string& flag);
/// The home `flag` or the environment names, without creating anything.
Result<std::string> HomePath(const std::string& flag);

/// The state of the stream of bundles from `sender` to `recipient`.
struct StreamState {
  std::uint64_t last_seq = 0;
  std::string last_hash = "none";  ///< SHA-256 of the last bundle statement
};
Result<StreamState> ReadStream(const Home& home, const std::string& sender,
                               const std::string& recipient);
/// Replaces the stream state atomically (written, flushed, renamed).
Status WriteStream(const Home& home, const std::string& sender,
                   const std::string& recipient, const StreamState& state);

/// A new private work folder (0700) under the home, named
/// .xjpack-work-<pid>-<random>; stale ones left by dead processes are
/// removed first.
Result<std::string> MakeWorkDir(const Home& home);
/// The same in another folder (unpack's quarantine beside its destination).
Result<std::string> MakeWorkDirIn(const std::string& parent);
/// Removes the work folders (.xjpack-work-<pid>-*) in `parent` of
/// processes that are gone; MakeWorkDirIn does so first.
void RemoveStaleWorkDirs(const std::string& parent);

/// A new folder `parent`/<prefix><pid>-<12 random hex digits> of `mode`,
/// after removing the folders of that prefix whose process is gone (what
/// they hold was never finished): work folders, a stick's temporaries.
Result<std::string> MakeOwnDir(const std::string& parent,
                               std::string_view prefix, unsigned mode);
/// Removes the folders <prefix><pid>-* in `parent` of processes that are
/// gone.
void RemoveStaleOwnDirs(const std::string& parent, std::string_view prefix);

/// Removes a folder and everything in it (work folders, quarantine).
void RemoveTree(const std::string& path);

}  // namespace xj::pack
