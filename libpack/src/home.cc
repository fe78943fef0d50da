#include "libpack/home.h"

#include <cstdlib>
#include <filesystem>

#include "base/os.h"
#include "formats/home.h"
#include "keys/crypto.h"

namespace xj::pack {

Result<Home> OpenHome(const std::string& flag) {
  XJ_ASSIGN_OR_RETURN(std::string root, HomePath(flag));
  Home h{root};
  for (const std::string& d : {h.root, h.outbox(), h.streams(), h.work()}) {
    XJ_RETURN_IF_ERROR(os::MakeDirectories(d, 0700));
  }
  os::SetMode(h.root, 0700);
  return h;
}

Result<std::string> HomePath(const std::string& flag) {
  std::string root = flag;
  if (root.empty()) {
    const char* env = std::getenv("XJPACK_HOME");
    if (env != nullptr && *env != '\0') root = env;
  }
  if (root.empty()) {
    const char* xdg = std::getenv("XDG_DATA_HOME");
    const char* home = std::getenv("HOME");
    if (xdg != nullptr && xdg[0] == '/') {
      root = std::string(xdg) + "/xjpack";
    } else if (home != nullptr && home[0] == '/') {
      root = std::string(home) + "/.local/share/xjpack";
    } else {
      return Status(Code::kInvalidArgument,
                    "no office home: neither XJPACK_HOME nor a HOME folder is "
                    "set")
          .WithRemedy(Remedy::kHome);
    }
  }
  return root;
}

Result<StreamState> ReadStream(const Home& home, const std::string& sender,
                               const std::string& recipient) {
  std::string path = fmt::format("{}/{}-{}", home.streams(), sender, recipient);
  StreamState st;
  if (!os::Exists(path)) return st;
  XJ_ASSIGN_OR_RETURN(Bytes text, os::ReadFile(path, 4096));
  XJ_ASSIGN_OR_RETURN(formats::home::Stream s,
                      formats::home::ParseStream(AsChars(text), path));
  st.last_seq = s.last_seq;
  st.last_hash = std::move(s.last_hash);
  return st;
}

Status WriteStream(const Home& home, const std::string& sender,
                   const std::string& recipient, const StreamState& st) {
  std::string path = fmt::format("{}/{}-{}", home.streams(), sender, recipient);
  XJ_ASSIGN_OR_RETURN(os::AtomicFile f, os::AtomicFile::Create(
                                            path, 0600, os::Replace::kAllowed));
  XJ_RETURN_IF_ERROR(f.sink().Write(
      AsBytes(formats::home::SerializeStream({st.last_seq, st.last_hash}))));
  return f.Commit();
}

void RemoveTree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

Result<std::string> MakeWorkDir(const Home& home) {
  return MakeWorkDirIn(home.work());
}

void RemoveStaleOwnDirs(const std::string& parent, std::string_view prefix) {
  Result<std::vector<std::string>> names = os::ListDirectory(parent);
  if (!names.ok()) return;
  for (const std::string& n : *names) {
    if (n.compare(0, prefix.size(), prefix) != 0) continue;
    int pid = std::atoi(n.c_str() + prefix.size());
    if (pid > 0 && !os::ProcessRuns(pid)) RemoveTree(parent + "/" + n);
  }
}

Result<std::string> MakeOwnDir(const std::string& parent,
                               std::string_view prefix, unsigned mode) {
  RemoveStaleOwnDirs(parent, prefix);
  std::uint8_t r[6];
  keys::RandomBytes(r);
  std::string dir =
      fmt::format("{}/{}{}-{}", parent, prefix, os::ProcessId(), ToHex(r));
  XJ_RETURN_IF_ERROR(os::MakeDirectory(dir, mode));
  return dir;
}

// Work folders of processes that are gone hold plaintext nobody needs.
void RemoveStaleWorkDirs(const std::string& parent) {
  RemoveStaleOwnDirs(parent, ".xjpack-work-");
}

Result<std::string> MakeWorkDirIn(const std::string& parent) {
  return MakeOwnDir(parent, ".xjpack-work-", 0700);
}

}  // namespace xj::pack
