// Replays a fuzz target over files, without libFuzzer: every regular file
// of every folder given (not recursive), or a file given directly, is passed
// once to LLVMFuzzerTestOneInput. A target that finds a bug traps or is
// stopped by a sanitizer, so a clean exit means every input passed.
//
// usage: <target>_replay CORPUS-DIR [REGRESSIONS-DIR | FILE]...
// A folder that does not exist counts as empty, except the first: a target
// must have a seed corpus.
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size);

namespace {

bool IsDir(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool IsFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::vector<std::string> FilesIn(const std::string& dir) {
  std::vector<std::string> files;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return files;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == ".." || name[0] == '.') continue;
    std::string path = dir + "/" + name;
    if (IsFile(path)) files.push_back(path);
  }
  ::closedir(d);
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CORPUS-DIR [DIR | FILE]...\n", argv[0]);
    return 2;
  }
  std::size_t replayed = 0;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::vector<std::string> files;
    if (IsDir(arg)) {
      files = FilesIn(arg);
    } else if (IsFile(arg)) {
      files.push_back(arg);
    }
    if (i == 1 && files.empty()) {
      std::fprintf(stderr, "%s: no seed inputs in %s\n", argv[0], argv[1]);
      return 1;
    }
    for (const std::string& path : files) {
      std::ifstream f(path, std::ios::binary);
      std::string data((std::istreambuf_iterator<char>(f)),
                       std::istreambuf_iterator<char>());
      LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(data.data()),
                             data.size());
      ++replayed;
    }
  }
  std::printf("replayed %zu inputs\n", replayed);
  return 0;
}
