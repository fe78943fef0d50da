// Status and Result: the one error currency of xjpack.
//
// Every fallible call in libpack, formats and keys returns a Status (success
// or a code plus a message) or a Result<T> (a value or a Status). Messages are
// lowercase, without a trailing period, and name the file, the place and what
// was expected; each layer adds context on the way up with WithContext(). The
// only place that turns a Status into an exit code is tools/.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace xj {

/// What went wrong, coarse enough to drive exit codes and --json error ids,
/// fine enough that each user-visible failure class is distinct. The numeric
/// values are not stable; the names from CodeName() are.
enum class Code : std::uint8_t {
  kOk = 0,
  kInvalidArgument,  ///< the caller asked for something impossible (usage)
  kNotFound,         ///< a named file or key does not exist
  kIoError,          ///< reading or writing failed
  kAlreadyExists,    ///< an output exists and may not be replaced
  kNoSpace,          ///< the destination is full or the file too large for it
  kMalformed,        ///< input does not follow its format
  kUnsupported,      ///< a version, algorithm or type this build does not know
  kTruncated,        ///< input ends early
  kTrailingData,     ///< input goes on after its end
  kIntegrity,        ///< a MAC, tag or hash does not match: altered or damaged
  kBadSignature,     ///< a signature does not verify
  kRejected,         ///< the input was checked and failed the check
  kWrongPassphrase,  ///< a passphrase does not open a key or file
  kNoIdentity,       ///< none of the given identities can decrypt
  kBadKey,           ///< a key file or key string is unusable
  kOutOfMemory,      ///< an allocation (often scrypt's) failed
  kCancelled,        ///< interrupted by the user
  kInternal,         ///< a bug: an invariant did not hold
};

/// What the person at the command line can do about a failure, when that
/// is one of the tool's options or verbs. Library code names the remedy and
/// never the option: tools/ phrases it with its own flag and verb names
/// (tools/common/cli.cc), so the library's messages do not depend on one
/// command line.
enum class Remedy : std::uint8_t {
  kNone,
  kReplace,             ///< allow the output to be replaced
  kReplaceKey,          ///< the same for a key (the old one is kept aside)
  kPassphraseFile,      ///< give the passphrase from a file, or a terminal
  kSplitVolumes,        ///< pack into a folder in volumes, carry several sticks
  kAllowErrors,         ///< pack with the errors, giving a reason
  kArmorOrOutput,       ///< write to a file, or as text
  kHome,                ///< name the office home
  kAcceptSeqJump,       ///< accept the jump after confirming with the sender
  kScope,               ///< give the scope of the certificate
  kRecipient,           ///< give the office's recipient key (remedy_arg: code)
  kInit,                ///< set up the office home
  kInitWithRoot,        ///< set up the office home with the province's root
  kApprove,             ///< a leader approves the bundle
  kOtherSticks,         ///< give the folders of the other sticks too
  kVerifyCopy,          ///< verify the copy under the sender's key
  kInstallCertificate,  ///< send the request, install what the parent issues
  kRequestKeys,         ///< list more keys in the request (remedy_arg: role)
  kPassphraseNotIdentity,  ///< decrypt with a passphrase, not an identity
  kSenderKey,              ///< give the sender's public key
  kIdentity,               ///< give the office identity
  kVerifyInOffice,         ///< verify with the identity in an office home
  kRestoreLedger,          ///< restore the ledger (xjpack-trust(5) LEDGER)
  kAcceptPeriod,  ///< take a late period, once agreed (remedy_arg: period)
  kAllowErrorsApproval,   ///< approve with the leader's reason for the errors
  kRevokeOldCertificate,  ///< the issuer revokes a sender's old certificate
};

/// Stable, lowercase, hyphenated name of a code ("wrong-passphrase"), used in
/// --json output and in man pages.
std::string_view CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message)
      : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  /// A suggestion of what to do next ("use --force to replace it"); may be
  /// empty.
  const std::string& hint() const { return hint_; }

  /// Prefixes the message with "context: ". No-op on success.
  Status WithContext(std::string_view context) const&;
  Status WithContext(std::string_view context) &&;
  Status WithHint(std::string hint) &&;
  /// What the user can do (see Remedy); `arg` fills the remedy's blank.
  Status WithRemedy(Remedy remedy, std::string arg = "") &&;
  Remedy remedy() const { return remedy_; }
  const std::string& remedy_arg() const { return remedy_arg_; }

  /// "code-name: message" for logs and test failure output.
  std::string ToString() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
  std::string hint_;
  Remedy remedy_ = Remedy::kNone;
  std::string remedy_arg_;
};

/// Formats a message with fmt and returns a Status carrying it.
template <typename... Args>
Status Error(Code code, fmt::format_string<Args...> format, Args&&... args) {
  return Status(code, fmt::format(format, std::forward<Args>(args)...));
}

/// A value of type T or a failed Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT
    if (status_.ok()) {
      status_ = Status(Code::kInternal, "Result built from an ok Status");
    }
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const& { return status_; }
  Status status() && { return std::move(status_); }

  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T value() && { return std::move(*value_); }

  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace xj

#define XJ_CONCAT_INNER_(a, b) a##b
#define XJ_CONCAT_(a, b) XJ_CONCAT_INNER_(a, b)

/// Returns the Status of `expr` from the enclosing function if it failed.
#define XJ_RETURN_IF_ERROR(...)              \
  do {                                       \
    ::xj::Status xj_status_ = (__VA_ARGS__); \
    if (!xj_status_.ok()) return xj_status_; \
  } while (0)

/// Evaluates a Result-returning `expr`; on failure returns its Status, on
/// success moves the value into `lhs` (which may be a declaration).
#define XJ_ASSIGN_OR_RETURN(lhs, expr) \
  XJ_ASSIGN_OR_RETURN_IMPL_(XJ_CONCAT_(xj_result_, __LINE__), lhs, expr)
#define XJ_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return std::move(tmp).status();  \
  lhs = std::move(tmp).value()
