// What every verb shares: the exit-code table, how messages look, the
// common options, and the terminal passphrase prompt.
#pragma once

#include <boost/program_options.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "libpack/passphrase.h"
#include "libpack/session.h"

namespace xj::cli {

/// The documented exit codes (xjpack(1), EXIT STATUS).
enum ExitCode : int {
  kExitOk = 0,
  kExitRejected = 1,   ///< checked and rejected: damaged, altered, invalid
  kExitUsage = 2,      ///< bad command line
  kExitIo = 3,         ///< files, media, space, memory
  kExitKey = 4,        ///< wrong passphrase, no matching identity, bad key
  kExitInternal = 70,  ///< a bug in xjpack
  kExitInterrupted = 130,
};

/// The only mapping from Status to exit code.
int ExitCodeFor(const Status& status);

/// Flags every verb accepts.
struct CommonFlags {
  bool quiet = false;
  bool verbose = false;
  bool json = false;
  bool force = false;
  std::string passphrase_file;
};

/// What a command accepts, as its option table says: read by the bash
/// completion (common/completion.h), so that it cannot drift from --help.
struct CommandShape {
  struct Option {
    std::string long_name;   ///< "key"
    std::string short_name;  ///< "k", or empty
    bool takes_value = false;
    std::string value_name;  ///< "FILE", "DIR", ...
  };
  std::string name;  ///< "pack", or "cert issue"
  std::vector<Option> options;
  /// The value names of the positional arguments, in order; the last
  /// repeats when `positional_repeats`.
  std::vector<std::string> positional;
  bool positional_repeats = false;
  std::vector<std::string> subcommands;  ///< "cert": issue, install, ...
};

class Cli {
 public:
  explicit Cli(std::string verb) : verb_(std::move(verb)) {}
  const std::string& verb() const { return verb_; }
  CommonFlags flags;

  /// Describe mode: ParseArgs records the command's shape here instead of
  /// parsing, and the verb returns at once; a verb with subcommands records
  /// them and describes each (`subcommand` names the one described).
  std::vector<CommandShape>* describe = nullptr;
  std::string subcommand;

  /// "xjpack: error: <message>" (and "xjpack: hint: ..."), or with --json a
  /// JSON error object on stdout too. Returns the exit code.
  int Fail(const Status& status);
  /// A usage error, exit 2.
  int Usage(std::string_view message);
  void Warn(std::string_view message);
  void Info(std::string_view message);    ///< silent under -q
  void Detail(std::string_view message);  ///< only under -v

  /// The passphrase source the flags ask for: --passphrase-file, or the
  /// terminal.
  pack::PassphraseSource& passphrases();

 private:
  std::string verb_;
  std::unique_ptr<pack::PassphraseSource> passphrases_;
};

namespace po = boost::program_options;

/// Adds -q, -v, --json, --force (when `force`), --passphrase-file (when
/// `passphrase`) and -h to `desc`, bound to `cli.flags`.
void AddCommonOptions(po::options_description& desc, Cli& cli, bool force,
                      bool passphrase);

/// Parses `args` against `desc` and `positional`. Returns false and sets
/// `*exit_code` when parsing failed (usage error) or --help was shown.
bool ParseArgs(Cli& cli, const std::vector<std::string>& args,
               const po::options_description& desc,
               const po::positional_options_description& positional,
               std::string_view synopsis, std::string_view summary,
               po::variables_map* vm, int* exit_code);

/// A JSON string literal for `s` (escapes quotes, backslashes, controls).
std::string JsonString(std::string_view s);

/// The office session of a verb: the home --home names (or the default),
/// with the clock read here, once (the library reads none).
Result<pack::OfficeSession> OpenSession(const std::string& home_flag);

/// Whether messages are to be read in Chinese: the first of LC_ALL,
/// LC_MESSAGES and LANG that is set names a zh locale.
bool ChineseLocale();

}  // namespace xj::cli
