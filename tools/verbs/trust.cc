// xjpack init / trust / cert: offices, the root and certificates.
#include <cstdio>
#include <iostream>

#include "base/os.h"
#include "formats/minisign.h"
#include "libpack/home.h"
#include "libpack/key_files.h"
#include "libpack/office.h"
#include "libpack/stick.h"
#include "verbs/verbs.h"

namespace xj::cli {
namespace {

namespace ft = formats::trust;

struct Sub {
  std::string_view name;
  std::string_view summary;
  int (*run)(Cli& cli, const std::vector<std::string>& args);
};

// "xjpack VERB SUB ...": the sub-verb's own options and help.
int Dispatch(Cli& cli, const std::vector<std::string>& args,
             std::span<const Sub> subs, std::string_view summary) {
  if (cli.describe != nullptr) {
    CommandShape shape;
    shape.name = cli.verb();
    for (const Sub& s : subs) shape.subcommands.emplace_back(s.name);
    cli.describe->push_back(std::move(shape));
    for (const Sub& s : subs) {
      cli.subcommand = std::string(s.name);
      s.run(cli, {});
    }
    cli.subcommand.clear();
    return kExitOk;
  }
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::printf("usage: xjpack %s SUBCOMMAND [options]\n\n%.*s\n\n",
                cli.verb().c_str(), static_cast<int>(summary.size()),
                summary.data());
    std::printf("subcommands:\n");
    for (const Sub& s : subs) {
      std::printf("  %-12.*s %.*s\n", static_cast<int>(s.name.size()),
                  s.name.data(), static_cast<int>(s.summary.size()),
                  s.summary.data());
    }
    std::printf(
        "\n'xjpack %s SUBCOMMAND --help' shows its options. See "
        "xjpack-%s(1) for more.\n",
        cli.verb().c_str(), cli.verb().c_str());
    return args.empty() ? kExitUsage : kExitOk;
  }
  for (const Sub& s : subs) {
    if (s.name == args[0]) {
      return s.run(cli, std::vector<std::string>(args.begin() + 1, args.end()));
    }
  }
  return cli.Usage(fmt::format("unknown subcommand \"{}\" of {}",
                               EscapeForDisplay(args[0]), cli.verb()));
}

Result<std::vector<formats::minisign::PublicKey>> LoadPublicKeys(
    const std::vector<std::string>& files) {
  std::vector<formats::minisign::PublicKey> out;
  for (const std::string& f : files) {
    Result<formats::minisign::PublicKey> k = pack::LoadPublicKey(f);
    if (!k.ok()) return k.status();
    out.push_back(*k);
  }
  return out;
}

Result<ft::Level> LevelArg(const std::string& s, std::string_view option) {
  std::optional<ft::Level> l = ft::ParseLevel(s);
  if (!l) {
    return Error(Code::kInvalidArgument,
                 "{} {}: expected province, city, county or school", option,
                 EscapeForDisplay(s));
  }
  return *l;
}

std::string Grouped(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 4) {
    if (i) out += ' ';
    out += hex.substr(i, 4);
  }
  return out;
}

// ---- xjpack init ----

int Init(Cli& cli, const std::vector<std::string>& args) {
  pack::InitRequest req;
  req.now = os::NowUnix();  // the library reads no clock
  std::string home, level, root;
  std::vector<std::string> leaders, clerks;
  int work_factor = 0;
  po::options_description desc("options");
  desc.add_options()("code", po::value(&req.office.code)->value_name("CODE"),
                     "the office's code (region code, or a school's 10-digit "
                     "code) (required)")(
      "level", po::value(&level)->value_name("LEVEL"),
      "province, city, county or school (required)")(
      "name", po::value(&req.office.name)->value_name("NAME"),
      "the office's name, e.g. 蜀山区教育体育局 (required)")(
      "root", po::value(&root)->value_name("FILE"),
      "the province's root statement, with its signature files beside it "
      "(required)")(
      "fingerprint", po::value(&req.fingerprint)->value_name("HEX"),
      "the root's SHA-256 fingerprint from the sealed paper copy (required)")(
      "leader", po::value(&leaders)->value_name("PUBFILE"),
      "a leader's minisign public key, for the certificate request; "
      "repeatable")("clerk", po::value(&clerks)->value_name("PUBFILE"),
                    "a further clerk's public key; repeatable")(
      "work-factor", po::value(&work_factor)->value_name("N"),
      "scrypt cost of the new keys, log2 of N (default 18)")(
      "home", po::value(&home)->value_name("DIR"),
      "the office home to set up; default $XJPACK_HOME or "
      "~/.local/share/xjpack");
  AddCommonOptions(desc, cli, /*force=*/false, /*passphrase=*/true);
  po::variables_map vm;
  int code;
  if (!ParseArgs(cli, args, desc, {},
                 "xjpack init --code CODE --level LEVEL --name NAME --root "
                 "FILE --fingerprint HEX",
                 "Sets up an office: installs the province's root (checked by "
                 "its fingerprint), makes the office identity and the clerk's "
                 "signing key, and writes the certificate request for the "
                 "parent office.",
                 &vm, &code)) {
    return code;
  }
  if (req.office.code.empty() || level.empty() || req.office.name.empty() ||
      root.empty() || req.fingerprint.empty()) {
    return cli.Usage(
        "--code, --level, --name, --root and --fingerprint are required");
  }
  Result<ft::Level> l = LevelArg(level, "--level");
  if (!l.ok()) return cli.Usage(l.status().message());
  req.office.level = *l;
  req.work_factor = work_factor;
  Result<std::vector<formats::minisign::PublicKey>> lk =
      LoadPublicKeys(leaders);
  if (!lk.ok()) return cli.Fail(lk.status());
  req.leaders = *lk;
  Result<std::vector<formats::minisign::PublicKey>> ck = LoadPublicKeys(clerks);
  if (!ck.ok()) return cli.Fail(ck.status());
  req.clerks = *ck;
  Result<pack::Home> h = pack::OpenHome(home);
  if (!h.ok()) return cli.Fail(h.status());
  req.home = *h;
  Result<pack::trust::SignedText> r = pack::ReadStatementFile(root);
  if (!r.ok()) return cli.Fail(r.status());
  req.root = *r;
  Result<pack::InitResult> out = pack::InitOffice(req, cli.passphrases());
  if (!out.ok()) return cli.Fail(out.status());
  if (cli.flags.json) {
    std::printf(
        "{\"ok\":true,\"verb\":\"init\",\"office\":%s,\"level\":%s,"
        "\"root_version\":%llu,\"request\":%s}\n",
        JsonString(req.office.code).c_str(),
        JsonString(ft::LevelName(req.office.level)).c_str(),
        static_cast<unsigned long long>(out->root_version),
        JsonString(out->request_path).c_str());
    return kExitOk;
  }
  cli.Info(fmt::format("office {} ({}, {}) set up in {}", req.office.code,
                       req.office.name, ft::LevelName(req.office.level),
                       req.home.root));
  cli.Info(fmt::format("root version {} installed, fingerprint {}",
                       out->root_version, Grouped(out->root_fingerprint)));
  cli.Info(fmt::format("certificate request: {}", out->request_path));
  cli.Info(
      "give it to the parent office; compare the key ids below with them by "
      "phone before they issue the certificate:");
  for (const ft::KeyEntry& k : out->request.keys) {
    cli.Info(fmt::format("  {} {}", k.role,
                         formats::minisign::KeyIdToString(k.key.key_id)));
  }
  cli.Info(fmt::format("  enc {}", out->request.enc));
  return kExitOk;
}

// ---- xjpack trust ----

int TrustInitRoot(Cli& cli, const std::vector<std::string>& args) {
  pack::RootRequest req;
  req.now = os::NowUnix();  // the library reads no clock
  std::vector<std::string> pubs;
  std::string output;
  int threshold = 2;
  po::options_description desc("options");
  desc.add_options()("province", po::value(&req.province)->value_name("NN"),
                     "the province's two-digit code, e.g. 34 (required)")(
      "public-key,p", po::value(&pubs)->value_name("PUBFILE"),
      "a custodian's minisign public key; repeat for each (three by "
      "default practice)")("threshold", po::value(&threshold)->value_name("N"),
                           "signatures needed (default 2)")(
      "valid-years", po::value(&req.valid_years)->value_name("N"),
      "years until the root expires (default 5)")(
      "output,o", po::value(&output)->value_name("FILE"),
      "the root statement to write (required)");
  AddCommonOptions(desc, cli, /*force=*/false, /*passphrase=*/false);
  po::variables_map vm;
  int code;
  if (!ParseArgs(cli, args, desc, {},
                 "xjpack trust init-root --province NN -p PUB -p PUB -p PUB "
                 "-o root-1.stmt",
                 "Writes the province's first root statement, unsigned; each "
                 "custodian then signs it with 'xjpack trust sign'.",
                 &vm, &code)) {
    return code;
  }
  if (req.province.empty() || output.empty())
    return cli.Usage("--province and -o are required");
  if (threshold < 1) return cli.Usage("--threshold must be at least 2");
  if (req.valid_years < 1 || req.valid_years > 20)
    return cli.Usage("--valid-years is 1 to 20");
  req.threshold = static_cast<std::uint64_t>(threshold);
  Result<std::vector<formats::minisign::PublicKey>> keys = LoadPublicKeys(pubs);
  if (!keys.ok()) return cli.Fail(keys.status());
  req.keys = *keys;
  Result<std::string> text = pack::MakeRoot(req);
  if (!text.ok()) return cli.Fail(text.status());
  Result<os::AtomicFile> f =
      os::AtomicFile::Create(output, 0644, os::Replace::kNever);
  if (!f.ok()) return cli.Fail(f.status());
  Status s = f->sink().Write(AsBytes(*text));
  if (s.ok()) s = f->Commit();
  if (!s.ok()) return cli.Fail(s);
  if (cli.flags.json) {
    std::printf("{\"ok\":true,\"verb\":\"trust init-root\",\"root\":%s}\n",
                JsonString(output).c_str());
    return kExitOk;
  }
  cli.Info(fmt::format(
      "wrote {} (unsigned); {} of the {} custodians sign it with 'xjpack "
      "trust sign {} -k KEY'",
      output, req.threshold, req.keys.size(), output));
  return kExitOk;
}

int TrustSign(Cli& cli, const std::vector<std::string>& args) {
  std::string input, key_file, role = "leader";
  po::options_description desc("options");
  desc.add_options()("statement", po::value(&input)->value_name("FILE"),
                     "the statement to sign")(
      "key,k", po::value(&key_file)->value_name("FILE"),
      "the signing secret key (required)")(
      "role", po::value(&role)->value_name("ROLE"),
      "clerk or leader, for an office's statements (default leader; root "
      "statements and what the root issues are signed as root)");
  AddCommonOptions(desc, cli, /*force=*/false, /*passphrase=*/true);
  po::positional_options_description pos;
  pos.add("statement", 1);
  po::variables_map vm;
  int code;
  if (!ParseArgs(cli, args, desc, pos, "xjpack trust sign FILE -k KEY",
                 "Adds a signature to a root, certificate or revocation list "
                 "statement (FILE.<KEYID>.minisig beside it).",
                 &vm, &code)) {
    return code;
  }
  if (input.empty() || key_file.empty())
    return cli.Usage("the statement and -k KEY are required");
  Result<keys::SigningKey> key =
      pack::LoadSigningKey(key_file, cli.passphrases());
  if (!key.ok()) return cli.Fail(key.status());
  Result<pack::SignFileResult> r =
      pack::SignStatementFile(input, *key, role, os::NowUnix());
  if (!r.ok()) return cli.Fail(r.status());
  if (cli.flags.json) {
    std::printf(
        "{\"ok\":true,\"verb\":\"trust sign\",\"signature\":%s,\"type\":%s,"
        "\"id\":%s,\"role\":%s}\n",
        JsonString(r->signature_path).c_str(), JsonString(r->type).c_str(),
        JsonString(r->id).c_str(), JsonString(r->role).c_str());
    return kExitOk;
  }
  cli.Info(fmt::format("signed {} {} as {}: {}", r->type, r->id, r->role,
                       r->signature_path));
  return kExitOk;
}

int TrustRotate(Cli& cli, const std::vector<std::string>& args) {
  pack::RootRequest req;
  std::vector<std::string> pubs;
  std::string output, home;
  int threshold = 2;
  po::options_description desc("options");
  desc.add_options()("public-key,p", po::value(&pubs)->value_name("PUBFILE"),
                     "a custodian's key for the new version; repeat for each")(
      "threshold", po::value(&threshold)->value_name("N"),
      "signatures the new version needs (default 2)")(
      "valid-years", po::value(&req.valid_years)->value_name("N"),
      "years until it expires (default 5)")(
      "output,o", po::value(&output)->value_name("FILE"),
      "the new root statement to write (required)")(
      "home", po::value(&home)->value_name("DIR"),
      "the province office's home, holding the current root");
  AddCommonOptions(desc, cli, /*force=*/false, /*passphrase=*/false);
  po::variables_map vm;
  int code;
  if (!ParseArgs(cli, args, desc, {},
                 "xjpack trust rotate -p PUB -p PUB -p PUB -o root-N.stmt",
                 "Writes the next version of the root, unsigned: the current "
                 "custodians and the new ones each sign it with 'xjpack trust "
                 "sign', then 'xjpack trust add-root' installs it.",
                 &vm, &code)) {
    return code;
  }
  if (output.empty()) return cli.Usage("-o FILE is required");
  if (threshold < 2) return cli.Usage("--threshold must be at least 2");
  if (req.valid_years < 1 || req.valid_years > 20)
    return cli.Usage("--valid-years is 1 to 20");
  req.threshold = static_cast<std::uint64_t>(threshold);
  Result<std::vector<formats::minisign::PublicKey>> keys = LoadPublicKeys(pubs);
  if (!keys.ok()) return cli.Fail(keys.status());
  req.keys = *keys;
  Result<pack::OfficeSession> session = OpenSession(home);
  if (!session.ok()) return cli.Fail(session.status());
  Result<pack::Home> h = session->home();
  if (!h.ok()) return cli.Fail(h.status());
  req.now = session->clock();
  Result<pack::TrustStore> store = pack::TrustStore::Open(*h);
  if (!store.ok()) return cli.Fail(store.status());
  Result<std::string> text = pack::MakeNextRoot(*store, req);
  if (!text.ok()) return cli.Fail(text.status());
  Result<os::AtomicFile> f =
      os::AtomicFile::Create(output, 0644, os::Replace::kNever);
  if (!f.ok()) return cli.Fail(f.status());
  Status s = f->sink().Write(AsBytes(*text));
  if (s.ok()) s = f->Commit();
  if (!s.ok()) return cli.Fail(s);
  cli.Info(fmt::format(
      "wrote {} (unsigned): the current root's custodians and the new ones "
      "each sign it, as many as each version's threshold",
      output));
  return kExitOk;
}

int TrustAddRoot(Cli& cli, const std::vector<std::string>& args) {
  std::string input, home;
  po::options_description desc("options");
  desc.add_options()("statement", po::value(&input)->value_name("FILE"),
                     "the signed next root statement")(
      "home", po::value(&home)->value_name("DIR"),
      "the office home; default $XJPACK_HOME or ~/.local/share/xjpack");
  AddCommonOptions(desc, cli, /*force=*/false, /*passphrase=*/false);
  po::positional_options_description pos;
  pos.add("statement", 1);
  po::variables_map vm;
  int code;
  if (!ParseArgs(cli, args, desc, pos, "xjpack trust add-root FILE",
                 "Installs the next root version, signed by the current "
                 "custodians and its own; other offices learn it from the "
                 "chains and receipts that carry it.",
                 &vm, &code)) {
    return code;
  }
  if (input.empty()) return cli.Usage("the statement is required");
  Result<pack::OfficeSession> session = OpenSession(home);
  if (!session.ok()) return cli.Fail(session.status());
  Result<pack::Home> h = session->home();
  if (!h.ok()) return cli.Fail(h.status());
  Result<std::uint64_t> v = pack::AddRoot(*h, input, session->clock());
  if (!v.ok()) return cli.Fail(v.status());
  cli.Info(fmt::format(
      "root version {} installed; re-issue the province office's certificate "
      "with the new custodians' keys ('xjpack cert issue --by-root')",
      *v));
  return kExitOk;
}

int TrustSchools(Cli& cli, const std::vector<std::string>& args) {
  pack::PublishSchoolsRequest req;
  std::string home, key_file;
  po::options_description desc("options");
  desc.add_options()("list", po::value(&req.csv)->value_name("CSV"),
                     "the schools: school_code, school_name, county_code, "
                     "school_type")(
      "key,k", po::value(&key_file)->value_name("FILE"),
      "a leader's key of the province office (required)")(
      "output,o", po::value(&req.output)->value_name("DIR"),
      "also copy the lists into this folder")(
      "home", po::value(&home)->value_name("DIR"),
      "the office home; default $XJPACK_HOME or ~/.local/share/xjpack");
  AddCommonOptions(desc, cli, /*force=*/false, /*passphrase=*/true);
  po::positional_options_description pos;
  pos.add("list", 1);
  po::variables_map vm;
  int code;
  if (!ParseArgs(cli, args, desc, pos, "xjpack trust schools CSV -k KEY",
                 "Signs the province's school list, one statement a county "
                 "(the next version of each that changed); it goes down with "
                 "certificates and receipts.",
                 &vm, &code)) {
    return code;
  }
  if (req.csv.empty()) return cli.Usage("the list (a CSV file) is required");
  if (key_file.empty()) return cli.Usage("-k KEY is required");
  Result<pack::OfficeSession> session = OpenSession(home);
  if (!session.ok()) return cli.Fail(session.status());
  Result<pack::Home> h = session->home();
  if (!h.ok()) return cli.Fail(h.status());
  req.home = *h;
  req.now = session->clock();
  Result<keys::SigningKey> key =
      pack::LoadSigningKey(key_file, cli.passphrases());
  if (!key.ok()) return cli.Fail(key.status());
  req.key = &*key;
  Result<pack::PublishSchoolsResult> r = pack::PublishSchools(req);
  if (!r.ok()) return cli.Fail(r.status());
  for (const auto& c : r->published) {
    cli.Info(
        fmt::format("school list of county {}: version {}, {} school(s): {}",
                    c.county, c.version, c.schools, c.path));
  }
  cli.Info(fmt::format("{} list(s) signed, {} unchanged", r->published.size(),
                       r->unchanged));
  return kExitOk;
}

constexpr Sub kTrustSubs[] = {
    {"init-root", "write the province's first root statement", TrustInitRoot},
    {"rotate", "write the root's next version", TrustRotate},
    {"add-root", "install the root's next version, signed", TrustAddRoot},
    {"sign", "add a custodian's or leader's signature to a statement",
     TrustSign},
    {"schools", "sign the province's school list, a county at a time",
     TrustSchools},
};

// ---- xjpack cert ----

int CertIssue(Cli& cli, const std::vector<std::string>& args) {
  pack::IssueRequest req;
  std::string home, request_file, key_file, may, issue_policy, deliver_policy;
  std::vector<std::string> may_certify;
  bool by_root = false;
  po::options_description desc("options");
  desc.add_options()("request", po::value(&request_file)->value_name("FILE"),
                     "the office's certificate request (from 'xjpack init') "
                     "(required)")(
      "scope", po::value(&req.scope)->value_name("PREFIX"),
      "a region code prefix the office answers for; repeatable (default: a "
      "county's own code for its schools)")(
      "may-certify", po::value(&may_certify)->value_name("LEVEL"),
      "a level the office may certify; repeatable (default by level), or "
      "'none'")("issue-policy", po::value(&issue_policy)->value_name("POLICY"),
                "signatures its certificates and CRLs need (default "
                "leader=1)")(
      "deliver-policy", po::value(&deliver_policy)->value_name("POLICY"),
      "signatures its bundles need (default clerk=1; a city clerk=1 "
      "leader=1)")("not-before", po::value(&req.not_before)->value_name("TIME"),
                   "valid from (default now)")(
      "not-after", po::value(&req.not_after)->value_name("TIME"),
      "valid to, inclusive (default by level)")(
      "by-root", po::bool_switch(&by_root),
      "the root issues (the province office's certificate), signed with a "
      "root custodian's key")("key,k", po::value(&key_file)->value_name("FILE"),
                              "the issuing leader's (or custodian's) key "
                              "(required)")(
      "output,o", po::value(&req.output)->value_name("DIR"),
      "a new folder for the certificate and the chain above it (required)")(
      "home", po::value(&home)->value_name("DIR"),
      "the office home; default $XJPACK_HOME or ~/.local/share/xjpack");
  AddCommonOptions(desc, cli, /*force=*/false, /*passphrase=*/true);
  po::variables_map vm;
  int code;
  if (!ParseArgs(cli, args, desc, {},
                 "xjpack cert issue --request FILE -k KEY -o DIR [options]",
                 "Issues a certificate to a child office from its request, "
                 "signed under this office's issue policy.",
                 &vm, &code)) {
    return code;
  }
  if (request_file.empty() || key_file.empty() || req.output.empty())
    return cli.Usage("--request, -k and -o are required");
  for (const std::string& t : {req.not_before, req.not_after}) {
    if (!t.empty() && !ft::IsUtcTime(t))
      return cli.Usage(fmt::format("{}: expected YYYY-MM-DDTHH:MM:SSZ", t));
  }
  if (!may_certify.empty()) {
    std::vector<ft::Level> levels;
    for (const std::string& m : may_certify) {
      if (m == "none") continue;
      Result<ft::Level> l = LevelArg(m, "--may-certify");
      if (!l.ok()) return cli.Usage(l.status().message());
      levels.push_back(*l);
    }
    req.may_certify = levels;
  }
  for (auto [text, out] : {std::pair{&issue_policy, &req.issue_policy},
                           std::pair{&deliver_policy, &req.deliver_policy}}) {
    if (text->empty()) continue;
    Result<ft::Policy> p = ft::ParsePolicy(*text);
    if (!p.ok())
      return cli.Usage(fmt::format("{}: {}", *text, p.status().message()));
    *out = *p;
  }
  req.by_root = by_root;
  Result<pack::OfficeSession> session = OpenSession(home);
  if (!session.ok()) return cli.Fail(session.status());
  Result<pack::Home> h = session->home();
  if (!h.ok()) return cli.Fail(h.status());
  req.now = session->clock();
  req.home = *h;
  Result<Bytes> rtext = os::ReadFile(request_file, ft::kMaxStatement);
  if (!rtext.ok()) return cli.Fail(rtext.status().WithContext(request_file));
  Result<ft::RequestStatement> rq = ft::ParseRequest(AsChars(*rtext));
  if (!rq.ok()) return cli.Fail(rq.status().WithContext(request_file));
  req.subject = *rq;
  Result<keys::SigningKey> key =
      pack::LoadSigningKey(key_file, cli.passphrases());
  if (!key.ok()) return cli.Fail(key.status());
  req.key = &*key;
  Result<pack::IssueResult> r = pack::IssueCertificate(req);
  if (!r.ok()) return cli.Fail(r.status());
  for (const std::string& w : r->warnings) cli.Warn(w);
  if (cli.flags.json) {
    std::printf(
        "{\"ok\":true,\"verb\":\"cert issue\",\"serial\":%s,\"subject\":%s,"
        "\"certificate\":%s,\"complete\":%s,\"needs\":%s}\n",
        JsonString(r->cert.serial).c_str(), JsonString(r->cert.subject).c_str(),
        JsonString(r->cert_path).c_str(), r->needs.empty() ? "true" : "false",
        JsonString(r->needs).c_str());
    return kExitOk;
  }
  cli.Info(fmt::format("issued {} to {} ({}, {}), valid {} to {}: {}",
                       r->cert.serial, r->cert.subject, r->cert.subject_name,
                       ft::LevelName(r->cert.level), r->cert.not_before,
                       r->cert.not_after, r->cert_path));
  if (!r->needs.empty()) {
    cli.Info(fmt::format("it still needs {}: 'xjpack trust sign {} -k KEY'",
                         r->needs, r->cert_path));
  } else {
    cli.Info(fmt::format("give the folder {} to {}: 'xjpack cert install {}'",
                         req.output, r->cert.subject, req.output));
  }
  return kExitOk;
}

int CertInstall(Cli& cli, const std::vector<std::string>& args) {
  std::string home, dir;
  po::options_description desc("options");
  desc.add_options()("dir", po::value(&dir)->value_name("DIR"),
                     "the folder 'cert issue' wrote")(
      "home", po::value(&home)->value_name("DIR"),
      "the office home; default $XJPACK_HOME or ~/.local/share/xjpack");
  AddCommonOptions(desc, cli, /*force=*/false, /*passphrase=*/false);
  po::positional_options_description pos;
  pos.add("dir", 1);
  po::variables_map vm;
  int code;
  if (!ParseArgs(cli, args, desc, pos, "xjpack cert install DIR",
                 "Installs this office's certificate and the chain above it, "
                 "judged up to the installed root.",
                 &vm, &code)) {
    return code;
  }
  if (dir.empty()) return cli.Usage("the folder is required");
  Result<pack::OfficeSession> session = OpenSession(home);
  if (!session.ok()) return cli.Fail(session.status());
  Result<pack::Home> h = session->home();
  if (!h.ok()) return cli.Fail(h.status());
  Result<pack::InstallResult> r =
      pack::InstallCertificates(*h, dir, session->clock());
  if (!r.ok()) return cli.Fail(r.status());
  for (const std::string& w : r->warnings) cli.Warn(w);
  const ft::CertStatement& c = r->office.cert;
  if (cli.flags.json) {
    std::printf(
        "{\"ok\":true,\"verb\":\"cert install\",\"serial\":%s,\"subject\":%s,"
        "\"not_after\":%s,\"chain\":%zu}\n",
        JsonString(c.serial).c_str(), JsonString(c.subject).c_str(),
        JsonString(c.not_after).c_str(), r->office.path.size());
    return kExitOk;
  }
  cli.Info(fmt::format("installed certificate {} for {} ({}), valid to {}",
                       c.serial, c.subject, ft::LevelName(c.level),
                       c.not_after));
  std::string chain;
  for (const ft::CertStatement& p : r->office.path) {
    if (!chain.empty()) chain += " <- ";
    chain += p.subject;
  }
  cli.Info(fmt::format("chain: {} <- root", chain));
  return kExitOk;
}

int CertRevoke(Cli& cli, const std::vector<std::string>& args) {
  pack::RevokeRequest req;
  std::string home, key_file;
  po::options_description desc("options");
  desc.add_options()("serial", po::value(&req.serials)->value_name("SERIAL"),
                     "a certificate this office issued; repeatable")(
      "reason", po::value(&req.reason)->value_name("REASON"),
      "key-compromise, superseded or cessation (default)")(
      "key-id", po::value(&req.key_ids)->value_name("KEYID"),
      "a compromised key, refused wherever it appears; repeatable")(
      "valid-days", po::value(&req.valid_days)->value_name("N"),
      "days until the list is due for renewal (default 180)")(
      "key,k", po::value(&key_file)->value_name("FILE"),
      "the leader's (or a root custodian's) key (required)")(
      "output,o", po::value(&req.output)->value_name("DIR"),
      "also copy the list into this folder")(
      "home", po::value(&home)->value_name("DIR"),
      "the office home; default $XJPACK_HOME or ~/.local/share/xjpack");
  AddCommonOptions(desc, cli, /*force=*/false, /*passphrase=*/true);
  po::positional_options_description pos;
  pos.add("serial", -1);
  po::variables_map vm;
  int code;
  if (!ParseArgs(cli, args, desc, pos,
                 "xjpack cert revoke SERIAL... [--key-id KEYID] -k KEY",
                 "Issues this office's next revocation list, carrying every "
                 "earlier entry forward.",
                 &vm, &code)) {
    return code;
  }
  if (key_file.empty()) return cli.Usage("-k KEY is required");
  if (req.reason != "key-compromise" && req.reason != "superseded" &&
      req.reason != "cessation") {
    return cli.Usage("--reason is key-compromise, superseded or cessation");
  }
  if (req.valid_days < 1 || req.valid_days > 3650)
    return cli.Usage("--valid-days is 1 to 3650");
  Result<pack::OfficeSession> session = OpenSession(home);
  if (!session.ok()) return cli.Fail(session.status());
  Result<pack::Home> h = session->home();
  if (!h.ok()) return cli.Fail(h.status());
  req.now = session->clock();
  req.home = *h;
  Result<keys::SigningKey> key =
      pack::LoadSigningKey(key_file, cli.passphrases());
  if (!key.ok()) return cli.Fail(key.status());
  req.key = &*key;
  Result<pack::RevokeResult> r = pack::Revoke(req);
  if (!r.ok()) return cli.Fail(r.status());
  if (cli.flags.json) {
    std::printf(
        "{\"ok\":true,\"verb\":\"cert revoke\",\"issuer\":%s,\"number\":%llu,"
        "\"crl\":%s,\"complete\":%s}\n",
        JsonString(r->crl.issuer).c_str(),
        static_cast<unsigned long long>(r->crl.number),
        JsonString(r->path).c_str(), r->needs.empty() ? "true" : "false");
    return kExitOk;
  }
  cli.Info(
      fmt::format("revocation list {} of {}: {} certificate(s), {} key(s); {}",
                  r->crl.number, r->crl.issuer, r->crl.revoked.size(),
                  r->crl.revoked_keys.size(), r->path));
  if (!r->needs.empty()) {
    cli.Info(fmt::format("it still needs {}: 'xjpack trust sign {} -k KEY'",
                         r->needs, r->path));
  } else {
    cli.Info("it travels up in the chain/ of this office's next bundles");
  }
  return kExitOk;
}

constexpr Sub kCertSubs[] = {
    {"issue", "issue a certificate to a child office", CertIssue},
    {"install", "install this office's certificate", CertInstall},
    {"revoke", "revoke certificates or keys (the next CRL)", CertRevoke},
};

}  // namespace

int RunReceipt(Cli& cli, const std::vector<std::string>& args) {
  std::vector<std::string> dirs;
  std::string home;
  po::options_description desc("options");
  desc.add_options()("receipt", po::value(&dirs)->value_name("DIR"),
                     "a receipt folder XJ/receipts/<bundle-id>, or a folder "
                     "holding such folders")(
      "home", po::value(&home)->value_name("DIR"),
      "the office home; default $XJPACK_HOME or ~/.local/share/xjpack");
  AddCommonOptions(desc, cli, /*force=*/false, /*passphrase=*/false);
  po::positional_options_description pos;
  pos.add("receipt", -1);
  po::variables_map vm;
  int code;
  if (!ParseArgs(cli, args, desc, pos, "xjpack receipt DIR...",
                 "Checks receipts that came back down for bundles this office "
                 "sent: clears their outbox copies, restores a lost counter, "
                 "and takes in the root rotations and revocation lists they "
                 "carry.",
                 &vm, &code)) {
    return code;
  }
  if (dirs.empty()) return cli.Usage("a receipt folder is required");
  Result<pack::OfficeSession> session = OpenSession(home);
  if (!session.ok()) return cli.Fail(session.status());
  Result<pack::Home> h = session->home();
  if (!h.ok()) return cli.Fail(h.status());
  // A folder of receipts is taken one receipt at a time, in name order.
  std::vector<std::string> receipts;
  for (const std::string& d : dirs) {
    Result<std::vector<std::string>> found = pack::stick::FindReceipts(d);
    if (!found.ok()) return cli.Fail(found.status());
    receipts.insert(receipts.end(), found->begin(), found->end());
  }
  std::string json = "[";
  for (const std::string& d : receipts) {
    Result<pack::ReceiptResult> r = pack::TakeReceipt(*h, d, session->clock());
    if (!r.ok()) return cli.Fail(r.status());
    for (const std::string& w : r->warnings) cli.Warn(w);
    const ft::ReceiptStatement& rc = r->receipt;
    if (cli.flags.json) {
      json += fmt::format(
          "{}{{\"bundle\":{},\"received\":{},\"taken_as\":{},\"by\":{},"
          "\"signer\":{},"
          "\"outbox_cleared\":{},\"counter_restored\":{},\"next_seq\":{},"
          "\"held_only\":{}}}",
          json.size() > 1 ? "," : "", JsonString(rc.bundle),
          JsonString(rc.received), JsonString(rc.taken_as), JsonString(rc.by),
          JsonString(r->signer), r->outbox_cleared ? "true" : "false",
          r->counter_restored ? "true" : "false", r->next_seq,
          r->held_only ? "true" : "false");
      continue;
    }
    if (r->held_only) {
      cli.Info(fmt::format(
          "{}: {}'s bundle, {} by {} at {} (signed by {}); it held this "
          "office's:",
          rc.bundle, rc.sender,
          rc.taken_as == "copy" ? "read as a copy" : "received", rc.by,
          rc.received, r->signer));
    } else if (rc.taken_as == "copy") {
      cli.Info(fmt::format(
          "{}: a copy read by {} at {} (signed by {}); not the delivery: {} "
          "has not acknowledged it",
          rc.bundle, rc.by, rc.received, r->signer, rc.recipient));
    } else {
      cli.Info(fmt::format("{}: received by {} at {} (signed by {})", rc.bundle,
                           rc.recipient, rc.received, r->signer));
    }
    if (r->outbox_cleared)
      cli.Info("  its outbox copy is no longer needed: removed");
    if (r->counter_restored) {
      cli.Info(fmt::format(
          "  the counter to {} was behind the receipt: the next bundle is "
          "seq {}",
          rc.recipient, r->next_seq));
    }
    for (const std::string& l : r->own_bundles) cli.Info("  " + l);
    for (const std::string& l : r->learned) cli.Info("  learned " + l);
  }
  if (cli.flags.json) {
    std::printf("{\"ok\":true,\"verb\":\"receipt\",\"receipts\":%s]}\n",
                json.c_str());
  }
  return kExitOk;
}

int RunInit(Cli& cli, const std::vector<std::string>& args) {
  return Init(cli, args);
}

int RunTrust(Cli& cli, const std::vector<std::string>& args) {
  return Dispatch(cli, args, kTrustSubs,
                  "The province's root: its first statement and the "
                  "signatures of its custodians.");
}

int RunCert(Cli& cli, const std::vector<std::string>& args) {
  return Dispatch(cli, args, kCertSubs,
                  "Certificates: issued by a parent office to its children, "
                  "installed by the child, revoked by numbered lists.");
}

}  // namespace xj::cli
