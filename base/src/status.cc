#include "base/status.h"

namespace xj {

std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kOk:
      return "ok";
    case Code::kInvalidArgument:
      return "invalid-argument";
    case Code::kNotFound:
      return "not-found";
    case Code::kIoError:
      return "io-error";
    case Code::kAlreadyExists:
      return "already-exists";
    case Code::kNoSpace:
      return "no-space";
    case Code::kMalformed:
      return "malformed";
    case Code::kUnsupported:
      return "unsupported";
    case Code::kTruncated:
      return "truncated";
    case Code::kTrailingData:
      return "trailing-data";
    case Code::kIntegrity:
      return "integrity";
    case Code::kBadSignature:
      return "bad-signature";
    case Code::kRejected:
      return "rejected";
    case Code::kWrongPassphrase:
      return "wrong-passphrase";
    case Code::kNoIdentity:
      return "no-identity";
    case Code::kBadKey:
      return "bad-key";
    case Code::kOutOfMemory:
      return "out-of-memory";
    case Code::kCancelled:
      return "cancelled";
    case Code::kInternal:
      return "internal";
  }
  return "internal";
}

Status Status::WithContext(std::string_view context) const& {
  Status copy = *this;
  return std::move(copy).WithContext(context);
}

Status Status::WithContext(std::string_view context) && {
  if (!ok() && !context.empty()) {
    message_ = fmt::format("{}: {}", context, message_);
  }
  return std::move(*this);
}

Status Status::WithHint(std::string hint) && {
  if (!ok()) hint_ = std::move(hint);
  return std::move(*this);
}

Status Status::WithRemedy(Remedy remedy, std::string arg) && {
  if (!ok()) {
    remedy_ = remedy;
    remedy_arg_ = std::move(arg);
  }
  return std::move(*this);
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  return fmt::format("{}: {}", CodeName(code_), message_);
}

}  // namespace xj
