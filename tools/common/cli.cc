#include "common/cli.h"

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <limits>

#include "base/bytes.h"
#include "base/os.h"

namespace xj::cli {
namespace {

class TerminalPassphraseSource final : public pack::PassphraseSource {
 public:
  Result<SecretBuffer> Get(std::string_view purpose, bool confirm) override {
    XJ_ASSIGN_OR_RETURN(
        SecretBuffer first,
        os::ReadPassphraseFromTerminal(
            fmt::format("Passphrase for {}: ", purpose), pack::kMaxPassphrase));
    if (!confirm) return first;
    XJ_ASSIGN_OR_RETURN(SecretBuffer second,
                        os::ReadPassphraseFromTerminal("Type it again: ",
                                                       pack::kMaxPassphrase));
    if (!first.Equals(second.span())) {
      return Status(Code::kInvalidArgument, "the two passphrases differ");
    }
    return first;
  }
};

}  // namespace

int ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case Code::kOk:
      return kExitOk;
    case Code::kInvalidArgument:
      return kExitUsage;
    case Code::kNotFound:
    case Code::kIoError:
    case Code::kAlreadyExists:
    case Code::kNoSpace:
    case Code::kOutOfMemory:
      return kExitIo;
    case Code::kMalformed:
    case Code::kUnsupported:
    case Code::kTruncated:
    case Code::kTrailingData:
    case Code::kIntegrity:
    case Code::kBadSignature:
    case Code::kRejected:
      return kExitRejected;
    case Code::kWrongPassphrase:
    case Code::kNoIdentity:
    case Code::kBadKey:
      return kExitKey;
    case Code::kCancelled:
      return kExitInterrupted;
    case Code::kInternal:
      return kExitInternal;
  }
  return kExitInternal;
}

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (u < 0x20 || u == 0x7f) {
          out += fmt::format("\\u{:04x}", u);
        } else {
          out.push_back(c);
        }
    }
  }
  out += "\"";
  return out;
}

// The words for a remedy the library named (base/status.h), with this
// tool's options and verbs.
std::string RemedyHint(const Status& status) {
  const std::string& arg = status.remedy_arg();
  switch (status.remedy()) {
    case Remedy::kNone:
      return "";
    case Remedy::kReplace:
      return "use --force to replace it";
    case Remedy::kReplaceKey:
      return "use --force to replace it (the old file is kept as "
             "<name>.replaced-<time>)";
    case Remedy::kPassphraseFile:
      return "give the passphrase with --passphrase-file FILE ('-' for "
             "standard input), or run on a terminal";
    case Remedy::kSplitVolumes:
      return "or pack into a folder with --volume-size and copy the volumes, "
             "each with bundle.stmt and its signatures, to several sticks "
             "(verify and unpack take several folders)";
    case Remedy::kAllowErrors:
      return "fix them, or pack anyway with --allow-errors REASON (the reason "
             "and the findings travel in the bundle)";
    case Remedy::kArmorOrOutput:
      return "use -o FILE, or --armor for text";
    case Remedy::kHome:
      return "give --home DIR, or set XJPACK_HOME";
    case Remedy::kAcceptSeqJump:
      return "if the sender's counter was restored, confirm with the sender "
             "and accept it with --accept-seq-jump";
    case Remedy::kScope:
      return "give it with --scope (the region code prefixes the office "
             "answers for)";
    case Remedy::kRecipient:
      return fmt::format("give it as --to {}=age1... (or a file)", arg);
    case Remedy::kInit:
      return "run 'xjpack init' first (or, to verify or unpack one bundle, "
             "give the sender's public key with -p)";
    case Remedy::kInitWithRoot:
      return "run 'xjpack init' with the province's root";
    case Remedy::kApprove:
      return "the leader runs 'xjpack approve' on it";
    case Remedy::kOtherSticks:
      return "give the folders of the other sticks too: xjpack verify DIR1 "
             "DIR2 ...";
    case Remedy::kVerifyCopy:
      return "check the copy with 'xjpack verify' and the sender's public key "
             "(-p)";
    case Remedy::kInstallCertificate:
      return "send the request 'xjpack init' printed to the parent office, "
             "then 'xjpack cert install' what it issues";
    case Remedy::kRequestKeys:
      return fmt::format(
          "add keys to the request: 'xjpack init' takes --{} "
          "PUBFILE",
          arg);
    case Remedy::kPassphraseNotIdentity:
      return "decrypt it without -i to be asked for the passphrase";
    case Remedy::kSenderKey:
      return "or give the sender's public key with -p";
    case Remedy::kIdentity:
      return "give it with -i FILE";
    case Remedy::kVerifyInOffice:
      return "verify it with -i in an office home, not with -p";
    case Remedy::kAllowErrorsApproval:
      return "read the audit; if the bundle should go all the same, approve "
             "with --allow-errors REASON (the reason is signed with the "
             "approval and shown to everyone above)";
    case Remedy::kAcceptPeriod:
      return fmt::format(
          "if this office has agreed to take the period {} late, unpack it "
          "with --accept-period {}",
          arg, arg);
    case Remedy::kRevokeOldCertificate:
      return "if the new certificate is the sender's own, its issuer revokes "
             "the old one ('xjpack cert revoke SERIAL --reason superseded') "
             "and its next bundle carries the list";
    case Remedy::kRestoreLedger:
      return "keep the damaged ledger aside for the inquiry, and restore it "
             "from the office's bundles and receipts as xjpack-trust(5), "
             "THE LEDGER, says";
  }
  return "";
}

int Cli::Fail(const Status& status) {
  int code = ExitCodeFor(status);
  // (names in messages are escaped where the message is made; this only
  // guards the terminal against what was not)
  std::string message = EscapeControlsForDisplay(status.message());
  std::fprintf(stderr, "xjpack: error: %s\n", message.c_str());
  for (const std::string& hint : {status.hint(), RemedyHint(status)}) {
    if (hint.empty()) continue;
    std::fprintf(stderr, "xjpack: hint: %s\n",
                 EscapeControlsForDisplay(hint).c_str());
  }
  if (flags.json) {
    std::printf(
        "{\"ok\":false,\"verb\":%s,\"error\":{\"code\":%s,\"message\":%s,"
        "\"exit\":%d}}\n",
        JsonString(verb_).c_str(), JsonString(CodeName(status.code())).c_str(),
        JsonString(status.message()).c_str(), code);
  }
  return code;
}

int Cli::Usage(std::string_view message) {
  std::fprintf(stderr, "xjpack: error: %.*s\n",
               static_cast<int>(message.size()), message.data());
  std::fprintf(stderr, "xjpack: hint: see 'xjpack %s --help'\n", verb_.c_str());
  if (flags.json) {
    std::printf(
        "{\"ok\":false,\"verb\":%s,\"error\":{\"code\":\"invalid-argument\","
        "\"message\":%s,\"exit\":%d}}\n",
        JsonString(verb_).c_str(), JsonString(message).c_str(), kExitUsage);
  }
  return kExitUsage;
}

void Cli::Warn(std::string_view message) {
  std::fprintf(stderr, "xjpack: warning: %.*s\n",
               static_cast<int>(message.size()), message.data());
}

void Cli::Info(std::string_view message) {
  if (flags.quiet) return;
  std::fprintf(stderr, "xjpack: %.*s\n", static_cast<int>(message.size()),
               message.data());
}

void Cli::Detail(std::string_view message) {
  if (flags.verbose && !flags.quiet) Info(message);
}

pack::PassphraseSource& Cli::passphrases() {
  if (!passphrases_) {
    if (!flags.passphrase_file.empty()) {
      passphrases_ =
          std::make_unique<pack::FilePassphraseSource>(flags.passphrase_file);
    } else {
      passphrases_ = std::make_unique<TerminalPassphraseSource>();
    }
  }
  return *passphrases_;
}

void AddCommonOptions(po::options_description& desc, Cli& cli, bool force,
                      bool passphrase) {
  auto add = desc.add_options();
  if (passphrase) {
    add("passphrase-file",
        po::value(&cli.flags.passphrase_file)->value_name("FILE"),
        "read the passphrase from the first line of FILE ('-' for standard "
        "input) instead of the terminal");
  }
  if (force) {
    add("force", po::bool_switch(&cli.flags.force),
        "replace an existing output (a replaced secret key is kept as "
        "<name>.replaced-<time>)");
  }
  add("json", po::bool_switch(&cli.flags.json),
      "print the result as one JSON object on standard output");
  add("quiet,q", po::bool_switch(&cli.flags.quiet), "print only errors");
  add("verbose,v", po::bool_switch(&cli.flags.verbose), "say more");
  add("help,h", "show this help and exit");
}

namespace {

// The shape of a command from its option table (describe mode).
CommandShape ShapeOf(const Cli& cli, const po::options_description& desc,
                     const po::positional_options_description& positional) {
  CommandShape shape;
  shape.name = cli.verb();
  if (!cli.subcommand.empty()) shape.name += " " + cli.subcommand;
  for (const auto& o : desc.options()) {
    CommandShape::Option opt;
    opt.long_name = o->long_name();
    // "-k [ --key ]" when the option has a short name.
    std::string shown = o->format_name();
    if (shown.size() > 2 && shown[0] == '-' && shown[1] != '-') {
      opt.short_name = shown.substr(1, 1);
    }
    opt.takes_value = o->semantic()->max_tokens() > 0;
    if (opt.takes_value) opt.value_name = o->semantic()->name();
    shape.options.push_back(std::move(opt));
  }
  unsigned listed = positional.max_total_count();
  shape.positional_repeats = listed == std::numeric_limits<unsigned>::max();
  if (shape.positional_repeats) {
    // the positions named before the repeating one, and that one
    const std::string& trailing = positional.name_for_position(1u << 20);
    listed = 0;
    while (positional.name_for_position(listed) != trailing) ++listed;
    ++listed;
  }
  for (unsigned i = 0; i < listed; ++i) {
    const std::string& name = positional.name_for_position(i);
    const po::option_description* o = desc.find_nothrow(name, false);
    std::string value = o != nullptr && o->semantic()->max_tokens() > 0
                            ? o->semantic()->name()
                            : "ARG";
    shape.positional.push_back(value);
  }
  return shape;
}

}  // namespace

bool ParseArgs(Cli& cli, const std::vector<std::string>& args,
               const po::options_description& desc,
               const po::positional_options_description& positional,
               std::string_view synopsis, std::string_view summary,
               po::variables_map* vm, int* exit_code) {
  if (cli.describe != nullptr) {
    cli.describe->push_back(ShapeOf(cli, desc, positional));
    *exit_code = kExitOk;
    return false;
  }
  // Known before parsing, so that a usage error can be reported as JSON.
  for (const std::string& a : args) {
    if (a == "--") break;
    if (a == "--json") cli.flags.json = true;
  }
  try {
    po::store(po::command_line_parser(args)
                  .options(desc)
                  .positional(positional)
                  .style(po::command_line_style::unix_style ^
                         po::command_line_style::allow_guessing)
                  .run(),
              *vm);
    if (vm->count("help")) {
      std::cout << "usage: " << synopsis << "\n\n"
                << summary << "\n\n"
                << desc << "\nSee xjpack-" << cli.verb() << "(1) for more.\n";
      *exit_code = kExitOk;
      return false;
    }
    po::notify(*vm);
  } catch (const po::error& e) {
    *exit_code = cli.Usage(e.what());
    return false;
  }
  return true;
}

Result<pack::OfficeSession> OpenSession(const std::string& home_flag) {
  return pack::OfficeSession::Open(home_flag, os::NowUnix());
}

bool ChineseLocale() {
  for (const char* name : {"LC_ALL", "LC_MESSAGES", "LANG"}) {
    const char* v = std::getenv(name);
    if (v != nullptr && *v != '\0')
      return std::string_view(v).starts_with("zh");
  }
  return false;
}

}  // namespace xj::cli
