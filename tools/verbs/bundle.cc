// xjpack pack / inspect / verify / unpack: bundles on sticks.
#include "libpack/bundle.h"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>

#include "base/os.h"
#include "common/progress.h"
#include "formats/age_keys.h"
#include "libpack/key_files.h"
#include "libpack/ledger.h"
#include "libpack/merge.h"
#include "libpack/stick.h"
#include "verbs/verbs.h"

namespace xj::cli {
namespace {

// "3401=age1...", "3401=office.pub", or "3401" (its recipient from the
// office's trust store).
Result<pack::Addressee> ParseAddressee(const std::string& arg,
                                       pack::OfficeSession& session) {
  const pack::TrustStore* store = session.store();
  std::size_t eq = arg.find('=');
  if (eq == std::string::npos && store != nullptr) {
    pack::Addressee a;
    a.code = arg;
    if (!formats::trust::IsOfficeCode(a.code)) {
      return Error(Code::kInvalidArgument, "--to {}: not an office code",
                   EscapeForDisplay(arg));
    }
    // (at the clock: a clock behind the ledger is pack's and merge's to
    // refuse, with that reason)
    Result<std::string> r =
        store->RecipientOf(a.code, {os::FormatUtc(session.clock()), false});
    if (!r.ok()) return r.status();
    Result<formats::age::X25519Key> key = formats::age::ParseRecipient(*r);
    if (!key.ok()) return key.status().WithContext("--to " + a.code);
    a.recipients.push_back(*key);
    return a;
  }
  if (eq == std::string::npos || eq == 0 || eq + 1 == arg.size()) {
    return Error(Code::kInvalidArgument,
                 "--to {}: expected OFFICE=RECIPIENT (an age1... key or a file "
                 "holding one)",
                 EscapeForDisplay(arg));
  }
  pack::Addressee a;
  a.code = arg.substr(0, eq);
  std::string r = arg.substr(eq + 1);
  if (r.rfind("age1", 0) == 0) {
    Result<formats::age::X25519Key> key = formats::age::ParseRecipient(r);
    if (!key.ok()) return key.status().WithContext("--to " + a.code);
    a.recipients.push_back(*key);
  } else {
    Result<std::vector<keys::X25519PublicKey>> keys = pack::LoadRecipients(r);
    if (!keys.ok()) return keys.status().WithContext("--to " + a.code);
    a.recipients = std::move(keys).value();
  }
  return a;
}

// "[ROLE:]FILE" — a minisign public key file, clerk unless said otherwise.
Result<std::vector<pack::TrustedKey>> ParseKeys(
    const std::vector<std::string>& args) {
  std::vector<pack::TrustedKey> out;
  for (const std::string& arg : args) {
    pack::TrustedKey k;
    std::string file = arg;
    for (const char* role : {"clerk:", "leader:"}) {
      if (arg.rfind(role, 0) == 0) {
        k.role = std::string(role).substr(0, std::string(role).size() - 1);
        file = arg.substr(std::string(role).size());
      }
    }
    Result<formats::minisign::PublicKey> key = pack::LoadPublicKey(file);
    if (!key.ok()) return key.status();
    k.key = *key;
    k.name = fmt::format("{} ({} key {})", file, k.role,
                         formats::minisign::KeyIdToString(key->key_id));
    out.push_back(std::move(k));
  }
  return out;
}

// The trust a reader uses: -p keys if given, else the office's trust store
// if the home is set up as one; judged at the session's trusted time.
Result<pack::TrustSource> TrustFrom(const std::vector<std::string>& key_args,
                                    const std::string& home_flag,
                                    pack::OfficeSession& session) {
  pack::TrustSource t;
  Result<std::vector<pack::TrustedKey>> keys = ParseKeys(key_args);
  if (!keys.ok()) return keys.status();
  t.keys = std::move(keys).value();
  Result<std::string> now = session.TrustedNow();
  if (!now.ok()) return now.status();
  t.now = *now;
  if (!t.keys.empty()) return t;
  // A home named on the command line must be an office: a mistyped --home
  // must not pass for "intact".
  if (!session.is_office() && !home_flag.empty()) {
    return Error(Code::kNotFound, "{} is not set up as an office", home_flag)
        .WithHint("run 'xjpack init' there, or give the sender's key with -p");
  }
  t.store = session.store();
  return t;
}

void PrintTrust(const pack::BundleReport& r) {
  for (std::size_t i = 0; i < r.chain.size(); ++i) {
    std::printf("%s %s\n",
                i == 0 ? "certified:  " : "  under:    ", r.chain[i].c_str());
  }
}

Result<std::uint64_t> ParseSize(const std::string& s) {
  std::size_t pos = 0;
  unsigned long long n = 0;
  if (s.empty() || s[0] < '0' || s[0] > '9') {
    return Error(Code::kInvalidArgument,
                 "--volume-size {}: expected a size like 700M", s);
  }
  try {
    n = std::stoull(s, &pos);
  } catch (...) {
    return Error(Code::kInvalidArgument,
                 "--volume-size {}: expected a size like 700M", s);
  }
  std::string unit = s.substr(pos);
  std::uint64_t mult = unit.empty()  ? 1
                       : unit == "K" ? 1024
                       : unit == "M" ? 1 << 20
                       : unit == "G" ? std::uint64_t{1} << 30
                                     : 0;
  if (mult == 0)
    return Error(Code::kInvalidArgument,
                 "--volume-size {}: units are K, M or G", s);
  if (n > UINT64_MAX / mult) {
    return Error(Code::kInvalidArgument, "--volume-size {}: too large", s);
  }
  return static_cast<std::uint64_t>(n) * mult;
}

std::string JsonVolumes(const pack::BundleReport& r) {
  std::string out = "[";
  for (std::size_t i = 0; i < r.volumes.size(); ++i) {
    const pack::VolumeReport& v = r.volumes[i];
    const char* state =
        v.state == pack::VolumeState::kMissing     ? "missing"
        : v.state == pack::VolumeState::kPresent   ? "present"
        : v.state == pack::VolumeState::kWrongSize ? "wrong-size"
        : v.state == pack::VolumeState::kWrongHash ? "wrong-hash"
                                                   : "unchecked";
    out += fmt::format(
        "{}{{\"name\":{},\"size\":{},\"state\":\"{}\",\"found_in\":{}}}",
        i ? "," : "", JsonString(v.name), v.size, state,
        JsonString(v.found_in));
  }
  return out + "]";
}

std::string JsonSignatures(const pack::BundleReport& r) {
  std::string out = "[";
  for (std::size_t i = 0; i < r.signatures.size(); ++i) {
    const pack::SignatureReport& s = r.signatures[i];
    out += fmt::format(
        "{}{{\"key_id\":{},\"role\":{},\"time\":{},\"valid\":{},\"signer\":{}}"
        "}",
        i ? "," : "", JsonString(s.key_id), JsonString(s.role),
        JsonString(s.time), s.valid ? "true" : "false", JsonString(s.signer));
  }
  return out + "]";
}

std::string JsonTrust(const pack::BundleReport& r) {
  std::string chain = "[";
  for (std::size_t i = 0; i < r.chain.size(); ++i)
    chain += (i ? "," : "") + JsonString(r.chain[i]);
  return fmt::format("\"trust\":{},\"chain\":{}]", JsonString(r.trust), chain);
}

std::string JsonSchools(const std::vector<pack::HeldSchool>& schools) {
  std::string out = "[";
  for (std::size_t i = 0; i < schools.size(); ++i) {
    const pack::HeldSchool& h = schools[i];
    out += fmt::format(
        "{}{{\"school\":{},\"bundle\":{},\"records\":{},\"signer\":{}}}",
        i ? "," : "", JsonString(h.school), JsonString(h.bundle), h.records,
        JsonString(h.signer));
  }
  return out + "]";
}

std::string JsonWarnings(const pack::BundleReport& r) {
  std::string out = "[";
  for (std::size_t i = 0; i < r.warnings.size(); ++i) {
    out += (i ? "," : "") + JsonString(r.warnings[i]);
  }
  return out + "]";
}

namespace ft = formats::trust;

// A merged bundle's audit as its statement signs it, for people: the
// counts, each rule's, and the offices that sent nothing.
std::string AuditText(const ft::BundleStatement& st) {
  if (!st.audit) return "";
  const ft::AuditSummary& a = *st.audit;
  std::string out = fmt::format("audit:       {} {}, {} {}\n", a.errors,
                                a.errors == 1 ? "error" : "errors", a.warnings,
                                a.warnings == 1 ? "warning" : "warnings");
  for (const ft::AuditRuleCount& r : a.rules) {
    if (r.errors > 0)
      out += fmt::format("  error    {} × {}\n", r.rule, r.errors);
  }
  for (const ft::AuditRuleCount& r : a.rules) {
    if (r.warnings > 0)
      out += fmt::format("  warning  {} × {}\n", r.rule, r.warnings);
  }
  if (!a.silent.empty()) {
    out += fmt::format("sent nothing: {}\n", fmt::join(a.silent, ", "));
  }
  if (!a.changed.empty()) {
    out += fmt::format("signs anew:  {} (another certificate or key)\n",
                       fmt::join(a.changed, ", "));
  }
  return out;
}

std::string JsonAudit(const ft::BundleStatement& st) {
  if (!st.audit) return "null";
  const ft::AuditSummary& a = *st.audit;
  std::string rules, silent, changed;
  for (const ft::AuditRuleCount& r : a.rules) {
    rules += fmt::format("{}{{\"rule\":{},\"errors\":{},\"warnings\":{}}}",
                         rules.empty() ? "" : ",", JsonString(r.rule), r.errors,
                         r.warnings);
  }
  for (const std::string& c : a.silent)
    silent += (silent.empty() ? "" : ",") + JsonString(c);
  for (const std::string& c : a.changed)
    changed += (changed.empty() ? "" : ",") + JsonString(c);
  return fmt::format(
      "{{\"errors\":{},\"warnings\":{},\"rules\":[{}],\"sent_nothing\":[{}],"
      "\"signs_anew\":[{}]}}",
      a.errors, a.warnings, rules, silent, changed);
}

std::string JsonStatement(const pack::BundleReport& r) {
  const auto& st = r.statement;
  std::string copies = "[";
  for (std::size_t i = 0; i < st.copy_to.size(); ++i) {
    copies += (i ? "," : "") + JsonString(st.copy_to[i]);
  }
  copies += "]";
  return fmt::format(
      "\"bundle\":{},\"sender\":{},\"recipient\":{},\"copy_to\":{},\"kind\":{},"
      "\"period\":{},\"seq\":{},\"prev\":{},\"created\":{},\"records\":{},"
      "\"schema\":{},\"audit\":{},"
      "\"statement_sha256\":{},\"fingerprint\":{}",
      JsonString(st.id), JsonString(st.sender), JsonString(st.recipient),
      copies, JsonString(st.kind), JsonString(st.period), st.seq,
      JsonString(st.prev), JsonString(st.created), st.records,
      JsonString(st.schema), JsonAudit(st), JsonString(r.statement_sha256),
      JsonString(r.fingerprint));
}

void PrintReport(const pack::BundleReport& r) {
  const auto& st = r.statement;
  std::printf("bundle:      %s\n", st.id.c_str());
  std::printf("from:        %s\nto:          %s\n",
              EscapeForDisplay(st.sender).c_str(),
              EscapeForDisplay(st.recipient).c_str());
  for (const std::string& c : st.copy_to) {
    std::printf("copy to:     %s\n", EscapeForDisplay(c).c_str());
  }
  std::printf("kind:        %s, period %s, seq %llu\n", st.kind.c_str(),
              st.period.c_str(), static_cast<unsigned long long>(st.seq));
  std::printf("created:     %s\nrecords:     %llu\nschema:      %s\n",
              st.created.c_str(), static_cast<unsigned long long>(st.records),
              EscapeForDisplay(st.schema).c_str());
  std::printf("%s", AuditText(st).c_str());
  std::printf("fingerprint: %s\n", r.fingerprint.c_str());
  for (const pack::SignatureReport& s : r.signatures) {
    std::printf("signature:   key %s as %s at %s: %s\n", s.key_id.c_str(),
                s.role.c_str(), s.time.c_str(),
                s.valid
                    ? ("valid, " + EscapeForDisplay(s.signer)).c_str()
                    : (s.problem.empty() ? "not checked" : s.problem.c_str()));
    if (!s.allow_errors.empty()) {
      std::printf("             allows the audit's errors, because: %s\n",
                  EscapeForDisplay(s.allow_errors).c_str());
    }
  }
  for (const pack::VolumeReport& v : r.volumes) {
    std::printf("volume:      %s, %llu bytes, %s\n", v.name.c_str(),
                static_cast<unsigned long long>(v.size),
                v.state == pack::VolumeState::kMissing
                    ? "MISSING (on another stick?)"
                : v.state == pack::VolumeState::kPresent
                    ? ("present in " + v.found_in).c_str()
                    : "damaged");
  }
  for (const std::string& l : r.litter)
    std::printf("ignored:     %s\n", EscapeForDisplay(l).c_str());
}

}  // namespace

int RunPack(Cli& cli, const std::vector<std::string>& args) {
  std::string dir, key_file, media, home_flag, volume_size, allow_errors,
      encoding = "auto";
  std::vector<std::string> to;
  std::string kind = "census";
  po::options_description desc("options");
  desc.add_options()("dir", po::value(&dir)->value_name("DIR"),
                     "the school's registry folder")(
      "to", po::value(&to)->value_name("OFFICE[=RECIPIENT]"),
      "the addressee (first) and copy-to offices, each with its age recipient "
      "(age1... or a file holding it; from the office's certificates when "
      "left out); repeatable")(
      "key,k", po::value(&key_file)->value_name("FILE"),
      "the clerk's signing key (default: the office home's)")(
      "output,o", po::value(&media)->value_name("MEDIA"),
      "the stick (or folder): the bundle is written to MEDIA/XJ/<bundle-id>")(
      "kind", po::value(&kind)->value_name("KIND"),
      "census (default), changes or graduation")(
      "volume-size", po::value(&volume_size)->value_name("SIZE"),
      "split the payload into volumes of at most SIZE (e.g. 700M; default 4G - "
      "1)")("allow-errors", po::value(&allow_errors)->value_name("REASON"),
            "pack even though the check found errors; the reason travels in "
            "the bundle")("encoding", po::value(&encoding)->value_name("ENC"),
                          "auto, utf-8 or gb18030")(
      "home", po::value(&home_flag)->value_name("DIR"),
      "the office home (keys, certificates, outbox, counters); default "
      "$XJPACK_HOME or ~/.local/share/xjpack");
  AddCommonOptions(desc, cli, /*force=*/false, /*passphrase=*/true);
  po::positional_options_description pos;
  pos.add("dir", 1);
  po::variables_map vm;
  int code;
  if (!ParseArgs(cli, args, desc, pos,
                 "xjpack pack DIR --to OFFICE[=RECIPIENT]... [-k KEY] -o "
                 "MEDIA",
                 "Checks a school's registry, packs it into a signed, "
                 "encrypted bundle and "
                 "writes it to the stick.",
                 &vm, &code)) {
    return code;
  }
  if (dir.empty()) return cli.Usage("the registry folder DIR is required");
  if (to.empty()) return cli.Usage("--to OFFICE is required");
  if (media.empty()) return cli.Usage("-o MEDIA is required");
  if (vm.count("allow-errors") && allow_errors.empty()) {
    return cli.Usage("--allow-errors needs a reason");
  }
  if (Status reason = formats::trust::CheckValue(allow_errors);
      !allow_errors.empty() && !reason.ok()) {
    return cli.Fail(Error(Code::kInvalidArgument,
                          "--allow-errors: the reason must be one line of "
                          "plain text: {}",
                          reason.message()));
  }
  if (kind != "census" && kind != "changes" && kind != "graduation") {
    return cli.Usage("--kind must be census, changes or graduation");
  }
  pack::PackRequest req;
  req.registry_dir = dir;
  req.media = media;
  req.kind = kind;
  req.allow_errors = allow_errors;
  if (!volume_size.empty()) {
    Result<std::uint64_t> size = ParseSize(volume_size);
    if (!size.ok()) return cli.Usage(size.status().message());
    req.volume_size = *size;
  }
  Result<formats::csv::Encoding> enc = formats::csv::ParseEncoding(encoding);
  if (!enc.ok()) return cli.Usage(enc.status().message());
  req.encoding = *enc;
  // SOURCE_DATE_EPOCH (the reproducible-builds convention) fixes the
  // bundle's time: the same input, keys and time give the same bag and tar.
  // (Certificates are still judged at the session's trusted time.)
  req.now = os::NowUnix();
  if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH")) {
    std::string_view e(epoch);
    if (e.empty() || e.size() > 11 ||
        e.find_first_not_of("0123456789") != std::string_view::npos) {
      return cli.Usage(
          fmt::format("SOURCE_DATE_EPOCH=\"{}\": expected seconds since 1970",
                      EscapeForDisplay(e)));
    }
    req.now = std::stoll(std::string(e));
    if (req.now < 1000000000) {  // 2001: no registry is older
      return cli.Usage(fmt::format(
          "SOURCE_DATE_EPOCH={}: a time before 2001 cannot be a bundle's", e));
    }
  }
  // An office home set up with 'xjpack init' holds the keys and
  // certificates; a bare home only the outbox and counters.
  Result<pack::OfficeSession> session = OpenSession(home_flag);
  if (!session.ok()) return cli.Fail(session.status());
  req.store = session->store();
  if (req.store != nullptr && key_file.empty()) {
    key_file = req.store->clerk_key_path();
  }
  if (key_file.empty()) {
    return cli.Usage(
        "-k KEY is required (or set up the office home with 'xjpack init')");
  }
  for (std::size_t i = 0; i < to.size(); ++i) {
    Result<pack::Addressee> a = ParseAddressee(to[i], *session);
    if (!a.ok()) return cli.Fail(a.status());
    (i == 0 ? req.recipient : req.copy_to.emplace_back()) =
        std::move(a).value();
  }
  Result<pack::Home> home = session->home();
  if (!home.ok()) return cli.Fail(home.status());
  req.home = *home;
  Result<std::string> trusted_now = session->TrustedNow();
  if (!trusted_now.ok()) return cli.Fail(trusted_now.status());
  req.trusted_now = *trusted_now;
  // What can be checked is checked before the passphrase is asked.
  if (Status s = pack::CheckPackRequest(req); !s.ok()) return cli.Fail(s);
  Result<registry::RegistryData> data = registry::LoadRegistryData();
  if (!data.ok()) return cli.Fail(data.status());
  req.data = &*data;
  Result<keys::SigningKey> key =
      pack::LoadSigningKey(key_file, cli.passphrases());
  if (!key.ok()) return cli.Fail(key.status());
  req.key = &*key;
  ProgressLine progress(!cli.flags.quiet && !cli.flags.json);
  req.progress = progress.Callback();
  struct Findings final : registry::FindingSink {
    Cli* cli;
    ProgressLine* progress;
    void Report(const registry::Finding& f) override {
      if (cli->flags.quiet && f.severity() != registry::Severity::kError)
        return;
      progress->Clear();
      std::fprintf(stderr, "%s\n", registry::FormatFinding(f).c_str());
    }
  } findings;
  findings.cli = &cli;
  findings.progress = &progress;
  std::optional<os::CancellableScope> interruptible(std::in_place);
  Result<pack::PackResult> r = pack::Pack(req, findings);
  interruptible.reset();
  if (r.ok() && os::Cancelled()) {
    cli.Warn("the interruption came after the work was done; it is complete");
  }
  progress.Clear();
  if (!r.ok()) return cli.Fail(r.status());
  const auto& st = r->statement;
  Bytes digest;
  FromHex(r->statement_sha256, &digest);
  if (cli.flags.json) {
    std::string vols = "[";
    for (std::size_t i = 0; i < st.volumes.size(); ++i) {
      vols += fmt::format(
          "{}{{\"name\":{},\"size\":{}}}", i ? "," : "",
          JsonString(pack::stick::VolumeNames(st.volumes.size())[i]),
          st.volumes[i].size);
    }
    vols += "]";
    std::printf(
        "{\"ok\":true,\"verb\":\"pack\",\"bundle\":%s,\"media_dir\":%s,"
        "\"outbox_dir\":%s,"
        "\"file_system\":%s,\"statement_sha256\":%s,\"fingerprint\":%s,"
        "\"records\":%llu,"
        "\"errors\":%llu,\"warnings\":%llu,\"volumes\":%s,"
        "\"seconds\":{\"check\":%.3f,\"build\":%.3f,\"media\":%.3f}}\n",
        JsonString(st.id).c_str(), JsonString(r->media_dir).c_str(),
        JsonString(r->outbox_dir).c_str(), JsonString(r->media.fs_type).c_str(),
        JsonString(r->statement_sha256).c_str(),
        JsonString(GroupedHex(digest)).c_str(),
        static_cast<unsigned long long>(st.records),
        static_cast<unsigned long long>(r->check.errors),
        static_cast<unsigned long long>(r->check.warnings), vols.c_str(),
        r->check_seconds, r->build_seconds, r->media_seconds);
    return kExitOk;
  }
  if (cli.flags.quiet) return kExitOk;
  std::printf(
      "bundle:      %s\nwritten to:  %s (%s)\nvolumes:     %zu\nrecords:     "
      "%llu\n"
      "fingerprint: %s\n",
      st.id.c_str(), r->media_dir.c_str(), r->media.fs_type.c_str(),
      st.volumes.size(), static_cast<unsigned long long>(st.records),
      GroupedHex(digest).c_str());
  if (r->awaiting_approval) {
    cli.Info(fmt::format(
        "read back and verified; it waits for a leader's approval: 'xjpack "
        "approve {} -k LEADER.key'",
        r->media_dir));
    return kExitOk;
  }
  cli.Info("the stick was read back and verified; it may be removed");
  return kExitOk;
}

int RunInspect(Cli& cli, const std::vector<std::string>& args) {
  std::vector<std::string> dirs, key_args;
  std::string home_flag;
  po::options_description desc("options");
  desc.add_options()("bundle", po::value(&dirs)->value_name("BUNDLE"),
                     "the bundle folder(s) XJ/<id>")(
      "public-key,p", po::value(&key_args)->value_name("[ROLE:]FILE"),
      "a signer's public key, to name who signed (repeatable)")(
      "home", po::value(&home_flag)->value_name("DIR"),
      "the office home whose root judges the chain; default $XJPACK_HOME or "
      "~/.local/share/xjpack");
  AddCommonOptions(desc, cli, /*force=*/false, /*passphrase=*/false);
  po::positional_options_description pos;
  pos.add("bundle", -1);
  po::variables_map vm;
  int code;
  if (!ParseArgs(cli, args, desc, pos,
                 "xjpack inspect BUNDLE... [-p KEY]... [--json]",
                 "Shows what is knowable about a bundle without secret keys; "
                 "checks nothing "
                 "(use verify).",
                 &vm, &code)) {
    return code;
  }
  if (dirs.empty()) return cli.Usage("the bundle folder is required");
  Result<pack::OfficeSession> session = OpenSession(home_flag);
  if (!session.ok()) return cli.Fail(session.status());
  Result<pack::TrustSource> trust = TrustFrom(key_args, home_flag, *session);
  if (!trust.ok()) return cli.Fail(trust.status());
  Result<pack::BundleReport> r = pack::Inspect(dirs, *trust);
  if (!r.ok()) return cli.Fail(r.status());
  if (cli.flags.json) {
    std::printf(
        "{\"ok\":true,\"verb\":\"inspect\",%s,\"signatures\":%s,\"volumes\":%s,"
        "%s,\"warnings\":%s}\n",
        JsonStatement(*r).c_str(), JsonSignatures(*r).c_str(),
        JsonVolumes(*r).c_str(), JsonTrust(*r).c_str(),
        JsonWarnings(*r).c_str());
    return kExitOk;
  }
  PrintReport(*r);
  PrintTrust(*r);
  for (const std::string& w : r->warnings) cli.Warn(w);
  return kExitOk;
}

int RunVerify(Cli& cli, const std::vector<std::string>& args) {
  std::vector<std::string> dirs, key_args, identity_files;
  std::string home_flag;
  bool strict = false;
  po::options_description desc("options");
  desc.add_options()("bundle", po::value(&dirs)->value_name("BUNDLE"),
                     "the bundle folder(s) XJ/<id>")(
      "public-key,p", po::value(&key_args)->value_name("[ROLE:]FILE"),
      "a trusted signer's public key (repeatable); without, the sender's "
      "certificate chain is judged by the office home's root, and without "
      "either only integrity is checked")(
      "identity,i", po::value(&identity_files)->value_name("FILE"),
      "the office identity: also decrypt and check the bag (and every "
      "bundle a merged one holds), writing nothing to the stick or ledger")(
      "strict", po::bool_switch(&strict),
      "a revocation list past its next update rejects (else a warning)")(
      "home", po::value(&home_flag)->value_name("DIR"),
      "the office home whose root judges the chain; default $XJPACK_HOME or "
      "~/.local/share/xjpack");
  AddCommonOptions(desc, cli, /*force=*/false, /*passphrase=*/true);
  po::positional_options_description pos;
  pos.add("bundle", -1);
  po::variables_map vm;
  int code;
  if (!ParseArgs(
          cli, args, desc, pos,
          "xjpack verify BUNDLE... [-p KEY]... [-i IDENTITY]",
          "Checks a bundle: layout, statement and volumes (intact); signatures "
          "(trusted, with -p); and the decrypted bag (complete, with -p "
          "and -i).",
          &vm, &code)) {
    return code;
  }
  if (dirs.empty()) return cli.Usage("the bundle folder is required");
  pack::VerifyRequest req;
  req.dirs = dirs;
  Result<pack::OfficeSession> session = OpenSession(home_flag);
  if (!session.ok()) return cli.Fail(session.status());
  Result<pack::TrustSource> trust = TrustFrom(key_args, home_flag, *session);
  if (!trust.ok()) return cli.Fail(trust.status());
  req.trust = *trust;
  req.trust.strict = strict;
  // The bundle is looked at before any passphrase is asked for it.
  bool complete = !identity_files.empty();
  if (complete) {
    Result<pack::BundleReport> look = pack::Inspect(req.dirs, req.trust);
    if (!look.ok()) return cli.Fail(look.status());
    Result<const std::vector<keys::X25519Identity>*> ids =
        session->Identities(identity_files, cli.passphrases());
    if (!ids.ok()) return cli.Fail(ids.status());
    req.identities = *ids;
  }
  ProgressLine progress(!cli.flags.quiet && !cli.flags.json);
  req.progress = progress.Callback();
  std::optional<os::CancellableScope> interruptible(std::in_place);
  Result<pack::BundleReport> r = pack::Verify(req);
  interruptible.reset();
  if (r.ok() && os::Cancelled()) {
    cli.Warn("the interruption came after the work was done; it is complete");
  }
  progress.Clear();
  if (!r.ok()) return cli.Fail(r.status());
  // complete = trusted and decrypted; without -p nothing is trusted.
  const char* level = r->trust.empty() ? "intact"
                      : !complete      ? "trusted"
                                       : "complete";
  if (cli.flags.json) {
    std::printf(
        "{\"ok\":true,\"verb\":\"verify\",\"level\":\"%s\",%s,\"signatures\":%"
        "s,"
        "\"volumes\":%s,\"bag_files\":%llu,\"bag_bytes\":%llu,"
        "%s,\"schools\":%s,\"warnings\":%s}\n",
        level, JsonStatement(*r).c_str(), JsonSignatures(*r).c_str(),
        JsonVolumes(*r).c_str(), static_cast<unsigned long long>(r->files),
        static_cast<unsigned long long>(r->payload_bytes),
        JsonTrust(*r).c_str(), JsonSchools(r->schools).c_str(),
        JsonWarnings(*r).c_str());
    return kExitOk;
  }
  for (const std::string& w : r->warnings) cli.Warn(w);
  if (cli.flags.quiet) return kExitOk;
  PrintReport(*r);
  PrintTrust(*r);
  for (const pack::HeldSchool& h : r->schools) {
    std::printf("school:      %s, %llu records, bundle %s signed by %s\n",
                h.school.c_str(), static_cast<unsigned long long>(h.records),
                h.bundle.c_str(), h.signer.c_str());
  }
  std::printf(
      "result:      %s\n",
      std::string_view(level) == "complete"
          ? "complete: signatures, volumes, and the decrypted bag all check"
      : std::string_view(level) == "trusted"
          ? (r->trust == "chain"
                 ? "trusted: signed under the sender's certificate, which "
                   "the province's root vouches for; every volume matches "
                   "the statement"
                 : "trusted: signed by a trusted key; every volume matches "
                   "the statement")
      : !complete
          ? "intact: every volume matches the statement (signatures not "
            "checked: set up the office with 'xjpack init', or give -p)"
          : "intact: every volume matches the statement and the decrypted "
            "bag checks (signatures not checked: set up the office with "
            "'xjpack init', or give -p)");
  return kExitOk;
}

int RunUnpack(Cli& cli, const std::vector<std::string>& args) {
  std::vector<std::string> dirs, key_args, identity_files;
  std::string output, home_flag, late_period;
  bool strict = false, accept_jump = false, held_after = false;
  po::options_description desc("options");
  desc.add_options()("bundle", po::value(&dirs)->value_name("BUNDLE"),
                     "the bundle folder(s) XJ/<id>")(
      "output,o", po::value(&output)->value_name("DIR"),
      "where the bag goes (as DIR/<bundle-id>)")(
      "public-key,p", po::value(&key_args)->value_name("[ROLE:]FILE"),
      "a trusted signer's public key (repeatable); without, the sender's "
      "certificate chain is judged by the office home's root")(
      "identity,i", po::value(&identity_files)->value_name("FILE"),
      "the office identity (default: the office home's)")(
      "strict", po::bool_switch(&strict),
      "a revocation list past its next update rejects (else a warning)")(
      "accept-seq-jump", po::bool_switch(&accept_jump),
      "accept a seq more than 50 past the last accepted from the sender "
      "(after confirming with the sender; logged)")(
      "accept-period", po::value(&late_period)->value_name("PERIOD"),
      "take a bundle of PERIOD (YYYY-09-30) although a later period was "
      "accepted from its sender (once agreed; logged)")(
      "held-after-extract", po::bool_switch(&held_after),
      "check a merged bundle's children only after the whole bag is "
      "extracted (the same checks, slower; for measurements)")(
      "home", po::value(&home_flag)->value_name("DIR"),
      "the office home; default $XJPACK_HOME or ~/.local/share/xjpack");
  AddCommonOptions(desc, cli, /*force=*/false, /*passphrase=*/true);
  po::positional_options_description pos;
  pos.add("bundle", -1);
  po::variables_map vm;
  int code;
  if (!ParseArgs(cli, args, desc, pos,
                 "xjpack unpack BUNDLE... -o DIR [-p KEY -i IDENTITY]",
                 "Verifies a bundle, then decrypts and extracts its bag "
                 "safely; nothing "
                 "appears in DIR unless all of it checks.",
                 &vm, &code)) {
    return code;
  }
  if (dirs.empty()) return cli.Usage("the bundle folder is required");
  if (output.empty()) return cli.Usage("-o DIR is required");
  pack::UnpackRequest req;
  req.dirs = dirs;
  req.output = output;
  Result<pack::OfficeSession> session = OpenSession(home_flag);
  if (!session.ok()) return cli.Fail(session.status());
  Result<pack::TrustSource> trust = TrustFrom(key_args, home_flag, *session);
  if (!trust.ok()) return cli.Fail(trust.status());
  req.trust = *trust;
  req.trust.strict = strict;
  if (req.trust.empty()) {
    return cli.Usage(
        "unpack trusts only signed data: set up the office home with 'xjpack "
        "init', or give the sender's public key with -p");
  }
  if (identity_files.empty() && !session->is_office()) {
    return cli.Usage("-i IDENTITY is required");
  }
  if (accept_jump) req.seq_jump_override = "--accept-seq-jump";
  if (!late_period.empty() &&
      (late_period.size() != 10 || late_period.substr(4) != "-09-30" ||
       !formats::trust::IsDigits(late_period.substr(0, 4)))) {
    return cli.Usage(
        fmt::format("--accept-period {}: expected a period YYYY-09-30",
                    EscapeForDisplay(late_period)));
  }
  req.late_period = late_period;
  req.held_after_extract = held_after;
  // The library keeps the order: the bundle judged before any passphrase
  // is asked, the receipt key only for this office's bundles, then the
  // identities (libpack/bundle.h, PrepareUnpack).
  Result<pack::UnpackRequest> ready = pack::PrepareUnpack(
      *session, std::move(req), identity_files, cli.passphrases());
  if (!ready.ok()) return cli.Fail(ready.status());
  ProgressLine progress(!cli.flags.quiet && !cli.flags.json);
  ready->progress = progress.Callback();
  std::optional<os::CancellableScope> interruptible(std::in_place);
  Result<pack::UnpackResult> r = pack::Unpack(*ready);
  interruptible.reset();
  if (r.ok() && os::Cancelled()) {
    cli.Warn("the interruption came after the work was done; it is complete");
  }
  progress.Clear();
  if (!r.ok()) return cli.Fail(r.status());
  if (cli.flags.json) {
    std::printf(
        "{\"ok\":true,\"verb\":\"unpack\",%s,\"bag\":%s,\"bag_files\":%llu,"
        "\"bag_bytes\":%llu,\"already_accepted\":%s,\"taken_as\":%s,"
        "\"receipt\":%s,%s,"
        "\"schools\":%s,\"seconds\":{\"total\":%.3f,\"held_early\":%.3f,"
        "\"held\":%.3f,\"flush\":%.3f,\"held_beyond_flush\":%.3f},"
        "\"warnings\":%s}\n",
        JsonStatement(r->report).c_str(), JsonString(r->bag_dir).c_str(),
        static_cast<unsigned long long>(r->report.files),
        static_cast<unsigned long long>(r->report.payload_bytes),
        JsonString(r->already_accepted).c_str(),
        JsonString(r->taken_as).c_str(), JsonString(r->receipt_dir).c_str(),
        JsonTrust(r->report).c_str(), JsonSchools(r->schools).c_str(),
        r->seconds, r->held_early_seconds, r->held_seconds, r->flush_seconds,
        r->held_beyond_flush_seconds, JsonWarnings(r->report).c_str());
    return kExitOk;
  }
  for (const std::string& w : r->report.warnings) cli.Warn(w);
  if (!r->already_accepted.empty()) {
    cli.Info(fmt::format("{} was already accepted on {}; nothing changed",
                         r->report.statement.id, r->already_accepted));
    return kExitOk;
  }
  if (r->taken_as == "copy") {
    cli.Info(fmt::format(
        "a copy: this office is a copy-to office of {}, addressed to {}; it "
        "is read, never taken in as intake, merged or counted",
        r->report.statement.id, r->report.statement.recipient));
  }
  if (!r->receipt_dir.empty()) {
    cli.Info(
        fmt::format("{} for the sender: {}",
                    r->taken_as == "copy" ? "receipt of the copy" : "receipt",
                    r->receipt_dir));
  }
  for (const std::string& l : r->learned) cli.Info("learned " + l);
  if (!r->learned_error.empty()) {
    cli.Warn("the chain's root versions and revocation lists were not kept: " +
             r->learned_error);
  }
  if (cli.flags.quiet) return kExitOk;
  for (const pack::HeldSchool& h : r->schools) {
    std::printf("school:      %s, %llu records, bundle %s signed by %s\n",
                h.school.c_str(), static_cast<unsigned long long>(h.records),
                h.bundle.c_str(), h.signer.c_str());
  }
  std::printf(
      "bundle:      %s\nunpacked to: %s\nfiles:       %llu (%llu bytes)\n",
      r->report.statement.id.c_str(), r->bag_dir.c_str(),
      static_cast<unsigned long long>(r->report.files),
      static_cast<unsigned long long>(r->report.payload_bytes));
  std::printf("%s", AuditText(r->report.statement).c_str());
  if (std::string why = pack::SignedAllowErrors(r->report); !why.empty()) {
    std::printf("errors allowed by the leader, because: %s\n",
                EscapeForDisplay(why).c_str());
  }
  return kExitOk;
}

int RunMerge(Cli& cli, const std::vector<std::string>& args) {
  std::vector<std::string> children, to, identity_files;
  std::string media, home_flag, volume_size;
  bool strict = false;
  po::options_description desc("options");
  desc.add_options()("child", po::value(&children)->value_name("BUNDLE"),
                     "a child's bundle folder XJ/<id>; one per child")(
      "to", po::value(&to)->value_name("OFFICE[=RECIPIENT]"),
      "the addressee (first) and copy-to offices, as for pack")(
      "output,o", po::value(&media)->value_name("MEDIA"),
      "the stick (or folder): the bundle is written to MEDIA/XJ/<bundle-id>")(
      "identity,i", po::value(&identity_files)->value_name("FILE"),
      "the office identity that opens the children (default: the office "
      "home's)")("volume-size", po::value(&volume_size)->value_name("SIZE"),
                 "split the payload into volumes of at most SIZE")(
      "strict", po::bool_switch(&strict),
      "refuse when the cross-school audit finds errors, or a revocation list "
      "is stale")("home", po::value(&home_flag)->value_name("DIR"),
                  "the office home; default $XJPACK_HOME or "
                  "~/.local/share/xjpack");
  AddCommonOptions(desc, cli, /*force=*/false, /*passphrase=*/true);
  po::positional_options_description pos;
  pos.add("child", -1);
  po::variables_map vm;
  int code;
  if (!ParseArgs(cli, args, desc, pos,
                 "xjpack merge BUNDLE... --to OFFICE -o MEDIA",
                 "Verifies the children's bundles, keeps each intact, audits "
                 "across the schools, and packs them for the next hop.",
                 &vm, &code)) {
    return code;
  }
  if (children.empty()) return cli.Usage("at least one child bundle is needed");
  if (to.empty()) return cli.Usage("--to OFFICE is required");
  if (media.empty()) return cli.Usage("-o MEDIA is required");
  Result<pack::OfficeSession> session = OpenSession(home_flag);
  if (!session.ok()) return cli.Fail(session.status());
  if (!session->is_office()) {
    return cli.Usage(
        "merge runs in an office home: set it up with 'xjpack init'");
  }
  pack::MergeRequest req;
  req.strict = strict;
  pack::PackRequest& p = req.pack;
  p.store = session->store();
  p.media = media;
  p.now = session->clock();
  for (std::size_t i = 0; i < to.size(); ++i) {
    Result<pack::Addressee> a = ParseAddressee(to[i], *session);
    if (!a.ok()) return cli.Fail(a.status());
    (i == 0 ? p.recipient : p.copy_to.emplace_back()) = std::move(a).value();
  }
  if (!volume_size.empty()) {
    Result<std::uint64_t> size = ParseSize(volume_size);
    if (!size.ok()) return cli.Usage(size.status().message());
    p.volume_size = *size;
  }
  for (const std::string& c : children) req.children.push_back({c});
  Result<pack::Home> home = session->home();
  if (!home.ok()) return cli.Fail(home.status());
  p.home = *home;
  if (Status s = pack::CheckPackRequest(p, false); !s.ok()) return cli.Fail(s);
  Result<pack::Ledger*> ledger = session->ledger();
  if (!ledger.ok()) return cli.Fail(ledger.status());
  req.ledger = *ledger;
  Result<registry::RegistryData> data = registry::LoadRegistryData();
  if (!data.ok()) return cli.Fail(data.status());
  p.data = &*data;
  Result<const std::vector<keys::X25519Identity>*> identities =
      session->Identities(identity_files, cli.passphrases());
  if (!identities.ok()) return cli.Fail(identities.status());
  req.identities = *identities;
  Result<const keys::SigningKey*> key = session->ClerkKey(cli.passphrases());
  if (!key.ok()) return cli.Fail(key.status());
  p.key = *key;
  ProgressLine progress(!cli.flags.quiet && !cli.flags.json);
  p.progress = progress.Callback();
  struct Findings final : registry::FindingSink {
    Cli* cli;
    ProgressLine* progress;
    void Report(const registry::Finding& f) override {
      if (cli->flags.quiet && f.severity() != registry::Severity::kError)
        return;
      if (cli->flags.json) return;
      progress->Clear();
      std::fprintf(stderr, "%s\n", registry::FormatFinding(f).c_str());
    }
  } findings;
  findings.cli = &cli;
  findings.progress = &progress;
  std::optional<os::CancellableScope> interruptible(std::in_place);
  Result<pack::MergeResult> r = pack::Merge(req, findings);
  interruptible.reset();
  progress.Clear();
  if (!r.ok()) return cli.Fail(r.status());
  const auto& st = r->pack.statement;
  for (const std::string& l : r->learned) cli.Info("learned " + l);
  if (!r->learned_error.empty()) {
    cli.Warn("the children's revocation lists were not kept: " +
             r->learned_error);
  }
  if (cli.flags.json) {
    std::string schools = JsonSchools(r->schools);
    std::printf(
        "{\"ok\":true,\"verb\":\"merge\",\"bundle\":%s,\"media_dir\":%s,"
        "\"children\":%zu,\"records\":%llu,\"errors\":%llu,"
        "\"warnings\":%llu,\"schools\":%s}\n",
        JsonString(st.id).c_str(), JsonString(r->pack.media_dir).c_str(),
        st.children.size(), static_cast<unsigned long long>(st.records),
        static_cast<unsigned long long>(r->errors),
        static_cast<unsigned long long>(r->warnings), schools.c_str());
    return kExitOk;
  }
  if (cli.flags.quiet) return kExitOk;
  Bytes digest;
  FromHex(r->pack.statement_sha256, &digest);
  std::printf(
      "bundle:      %s\nwritten to:  %s\nchildren:    %zu (%zu schools)\n"
      "records:     %llu\naudit:       %llu error(s), %llu warning(s)\n"
      "fingerprint: %s\n",
      st.id.c_str(), r->pack.media_dir.c_str(), st.children.size(),
      r->schools.size(), static_cast<unsigned long long>(st.records),
      static_cast<unsigned long long>(r->errors),
      static_cast<unsigned long long>(r->warnings), GroupedHex(digest).c_str());
  if (r->pack.awaiting_approval) {
    cli.Info(fmt::format(
        "read back and verified; it waits for a leader's approval: 'xjpack "
        "approve {} -k LEADER.key'",
        r->pack.media_dir));
    return kExitOk;
  }
  cli.Info("the stick was read back and verified; it may be removed");
  return kExitOk;
}

namespace {

// What the leader reads before signing: the statement and the counts.
std::string ApprovalText(const pack::ApprovalView& v) {
  const auto& st = v.report.statement;
  std::string out;
  out += fmt::format("bundle:      {}\n", st.id);
  out += fmt::format("from:        {}\n",
                     v.report.chain.empty() ? st.sender : v.report.chain[0]);
  out += fmt::format("to:          {}\n", st.recipient);
  for (const std::string& c : st.copy_to)
    out += fmt::format("copy to:     {}\n", c);
  out +=
      fmt::format("period:      {} ({}), seq {}\n", st.period, st.kind, st.seq);
  out +=
      fmt::format("created:     {}\nrecords:     {}\n", st.created, st.records);
  out += AuditText(st);
  for (const auto& c : st.children)
    out += fmt::format("child:       {}\n", c.id);
  if (v.summary_path == "data/merged/summary.csv") {
    // Enrolled (status 1) students by school and grade.
    std::map<std::string, std::map<int, std::uint64_t>> by;
    std::size_t start = v.summary_csv.find('\n');
    while (start != std::string::npos && start + 1 < v.summary_csv.size()) {
      std::size_t end = v.summary_csv.find('\n', start + 1);
      std::string line = v.summary_csv.substr(start + 1, end - start - 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      std::vector<std::string> f;
      for (std::size_t a = 0;;) {
        std::size_t comma = line.find(',', a);
        f.push_back(line.substr(a, comma - a));
        if (comma == std::string::npos) break;
        a = comma + 1;
      }
      if (f.size() == 6 && f[3] == "1") {
        by[f[0]][std::atoi(f[1].c_str())] +=
            std::strtoull(f[5].c_str(), nullptr, 10);
      }
      start = end;
    }
    out += "enrolled by school and grade:\n";
    for (const auto& [school, grades] : by) {
      std::uint64_t total = 0;
      std::string g;
      for (const auto& [grade, n] : grades) {
        g += fmt::format(" {}:{}", grade, n);
        total += n;
      }
      out += fmt::format("  {}  total {} (grade:count{})\n", school, total, g);
    }
  } else if (!v.summary_csv.empty()) {
    out += "the school's summary.csv:\n";
    for (char c : v.summary_csv) {
      if (c != '\r') out += c;
    }
  }
  out += fmt::format("fingerprint: {}\n", v.report.fingerprint);
  return out;
}

}  // namespace

int RunApprove(Cli& cli, const std::vector<std::string>& args) {
  std::string dir, key_file, print, home_flag, allow_errors;
  bool yes = false;
  po::options_description desc("options");
  desc.add_options()("bundle", po::value(&dir)->value_name("BUNDLE"),
                     "the bundle folder XJ/<id>.unapproved")(
      "key,k", po::value(&key_file)->value_name("FILE"),
      "the leader's own signing key, from the leader's own medium (required; "
      "never the office home's)")(
      "print", po::value(&print)->value_name("FILE"),
      "also write the one-page summary for the paper file to FILE")(
      "allow-errors", po::value(&allow_errors)->value_name("REASON"),
      "approve although the merge's audit found errors, for this reason "
      "(signed with the approval; required when there are errors)")(
      "yes", po::bool_switch(&yes),
      "approve without asking (for scripts; the summary is still printed)")(
      "home", po::value(&home_flag)->value_name("DIR"),
      "the office home; default $XJPACK_HOME or ~/.local/share/xjpack");
  AddCommonOptions(desc, cli, /*force=*/false, /*passphrase=*/true);
  po::positional_options_description pos;
  pos.add("bundle", 1);
  po::variables_map vm;
  int code;
  if (!ParseArgs(cli, args, desc, pos, "xjpack approve BUNDLE -k LEADER.key",
                 "Shows a leader what a bundle holds and, once approved, "
                 "adds the leader's signature so that it may leave.",
                 &vm, &code)) {
    return code;
  }
  if (dir.empty()) return cli.Usage("the bundle folder is required");
  if (key_file.empty())
    return cli.Usage("-k LEADER.key is required: the leader's own key");
  Result<pack::OfficeSession> session = OpenSession(home_flag);
  if (!session.ok()) return cli.Fail(session.status());
  if (!session->is_office())
    return cli.Usage("approve runs in the office home ('xjpack init')");
  const pack::TrustStore& store = *session->store();
  if (!print.empty() && os::Exists(print)) {
    return cli.Usage(fmt::format("--print {}: the file exists", print));
  }
  if (os::SameFile(key_file, store.clerk_key_path())) {
    return cli.Usage(
        "-k is the clerk's key from the office home; a leader "
        "approves with the leader's own key");
  }
  Result<pack::Home> home = session->home();
  if (!home.ok()) return cli.Fail(home.status());
  Result<pack::Ledger*> ledger = session->ledger();
  if (!ledger.ok()) return cli.Fail(ledger.status());
  std::int64_t clock = session->clock();
  Result<std::string> now = session->TrustedNow();
  if (!now.ok()) return cli.Fail(now.status());
  Result<pack::ApprovalView> view =
      pack::ReadForApproval(dir, store, *home, *now);
  if (!view.ok()) return cli.Fail(view.status());
  std::string text = ApprovalText(*view);
  if (!allow_errors.empty()) {
    text += fmt::format("errors allowed by the leader, because: {}\n",
                        allow_errors);
  }
  if (!cli.flags.json) std::printf("%s", text.c_str());
  // Audit errors without the leader's reason: refused before the question.
  if (Status reason =
          pack::CheckAllowErrors(view->report.statement, allow_errors);
      !reason.ok()) {
    return cli.Fail(reason);
  }
  if (!yes) {
    if (!os::IsTerminal(0)) {
      return cli.Usage(
          "not on a terminal: read the summary and approve with --yes");
    }
    std::fprintf(stderr, "Approve and sign %s? Type yes: ",
                 view->report.statement.id.c_str());
    char line[16] = {};
    if (std::fgets(line, sizeof line, stdin) == nullptr ||
        std::string_view(line).substr(0, 3) != "yes") {
      cli.Info("not approved; nothing was signed");
      return kExitRejected;
    }
  }
  Result<keys::SigningKey> key =
      pack::LoadSigningKey(key_file, cli.passphrases());
  if (!key.ok()) return cli.Fail(key.status());
  Result<pack::ApproveResult> r =
      pack::Approve(*view, store, *home, *key, *ledger, clock, allow_errors);
  if (!r.ok()) return cli.Fail(r.status());
  if (!print.empty()) {
    Result<os::AtomicFile> f =
        os::AtomicFile::Create(print, 0600, os::Replace::kNever);
    if (!f.ok()) return cli.Fail(f.status());
    std::string page = fmt::format(
        "{}\napproved by leader key {} at {}\n\nstatement SHA-256 "
        "(compare with 'xjpack inspect'):\n{}\n",
        text, formats::minisign::KeyIdToString(key->key_id()),
        os::FormatUtc(clock), view->report.fingerprint);
    Status s = f->sink().Write(AsBytes(page));
    if (s.ok()) s = f->Commit();
    if (!s.ok()) return cli.Fail(s);
  }
  if (cli.flags.json) {
    std::printf(
        "{\"ok\":true,\"verb\":\"approve\",\"bundle\":%s,"
        "\"media_dir\":%s,\"fingerprint\":%s}\n",
        JsonString(view->report.statement.id).c_str(),
        JsonString(r->bundle_dir).c_str(),
        JsonString(view->report.fingerprint).c_str());
    return kExitOk;
  }
  cli.Info(
      fmt::format("approved: {} is in place, read back and verified; "
                  "the stick may be removed",
                  r->bundle_dir));
  return kExitOk;
}

}  // namespace xj::cli
