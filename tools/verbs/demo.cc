// xjpack demo: the whole flow, from the province's root to the province's
// intake, on a synthetic city, in a scratch folder, printing each step and
// each command as a clerk would type it.

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "base/os.h"
#include "libpack/stick.h"
#include "libpack/trust.h"
#include "verbs/verbs.h"

namespace xj::cli {
namespace {

namespace fs = std::filesystem;

class Demo {
 public:
  Demo(std::string exe, std::string dir, bool quiet)
      : exe_(std::move(exe)), dir_(std::move(dir)), quiet_(quiet) {}

  void Step(const std::string& title) {
    ++step_;
    std::printf("\n== %d. %s\n", step_, title.c_str());
    std::fflush(stdout);
  }
  void Say(const std::string& text) {
    std::printf("%s\n", text.c_str());
    std::fflush(stdout);
  }

  // Runs `xjpack ARGS...` in the scratch folder; `shown` prints the
  // command first. Returns the exit status.
  int Run(const std::vector<std::string>& args, bool shown = true,
          bool silent = false) {
    if (shown) {
      std::string line = "$ xjpack";
      for (const std::string& a : args) {
        line += ' ';
        line += a.find(' ') == std::string::npos ? a : "'" + a + "'";
      }
      std::printf("%s\n", line.c_str());
      std::fflush(stdout);
    }
    // (Errors still show when it is silent: the commands run with -q.)
    Result<int> status =
        os::RunProgram(exe_, args, dir_, {{"XJPACK_HOME", dir_ + "/.nohome"}},
                       silent || quiet_);
    if (!status.ok()) {
      std::fprintf(stderr, "xjpack: error: demo: %s\n",
                   status.status().message().c_str());
      return kExitInternal;
    }
    return *status;
  }

  // Runs and insists on `want`; false (with a message) otherwise.
  bool Expect(int want, const std::vector<std::string>& args, bool shown = true,
              bool silent = false) {
    int got = Run(args, shown, silent);
    if (got == want) return true;
    std::string line;
    for (const std::string& a : args) line += " " + a;
    std::fprintf(stderr, "xjpack: error: demo: 'xjpack%s' exited %d, not %d\n",
                 line.c_str(), got, want);
    return false;
  }

  std::string Path(const std::string& rel) const { return dir_ + "/" + rel; }

 private:
  std::string exe_, dir_;
  bool quiet_;
  int step_ = 0;
};

// A stick's XJ folder (the stick's layout: libpack/stick.h).
std::string Xj(const std::string& stick) {
  return pack::stick::In(stick, pack::stick::kXj);
}

std::vector<std::string> Sorted(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string Only(const std::string& dir, const std::string& prefix) {
  for (const std::string& n : Sorted(dir)) {
    if (n.rfind(prefix, 0) == 0) return n;
  }
  return "";
}

std::string SchoolName(const std::string& school_csv) {
  std::ifstream in(school_csv);
  std::string header, row;
  std::getline(in, header);
  std::getline(in, row);
  std::stringstream ss(row);
  std::string code, name;
  std::getline(ss, code, ',');
  std::getline(ss, name, ',');
  return name;
}

// The first four fields of a school.csv's record (school_code,
// school_name, county_code, school_type), as a line of the province's list.
std::string SchoolListRow(const std::string& school_csv) {
  std::ifstream in(school_csv);
  std::string header, row;
  std::getline(in, header);
  std::getline(in, row);
  if (!row.empty() && row.back() == '\r') row.pop_back();
  std::size_t end = 0;
  for (int i = 0; i < 4 && end != std::string::npos; ++i)
    end = row.find(',', end == 0 && i == 0 ? 0 : end + 1);
  return row.substr(0, end);
}

int RunAll(Demo& d, int students) {
  const std::string pw = "--passphrase-file", pwf = "demo.pass";
  const std::string wf = "--work-factor", wfn = "10";
  {
    std::ofstream("" + d.Path("demo.pass"))
        << "demo passphrase, for the demo only\n";
  }
  auto keygen = [&](const std::string& name) {
    return d.Expect(
        0, {"keygen", "--signing", "-o", name + ".key", pw, pwf, wf, wfn, "-q"},
        false, true);
  };

  d.Step("the province's root: three custodians, two must sign");
  d.Say(
      "(every passphrase here comes from demo.pass and keys use a light "
      "scrypt cost; real people type their own at the prompt)");
  for (const char* k : {"custodian1", "custodian2", "custodian3"}) {
    if (!keygen(k)) return 1;
  }
  if (!d.Expect(0, {"trust", "init-root", "--province", "34", "-p",
                    "custodian1.pub", "-p", "custodian2.pub", "-p",
                    "custodian3.pub", "-o", "root-1.stmt"}))
    return 1;
  for (const char* k : {"custodian1.key", "custodian2.key"}) {
    if (!d.Expect(0, {"trust", "sign", "root-1.stmt", "-k", k, pw, pwf}))
      return 1;
  }
  std::string fp;
  {
    std::ifstream in(d.Path("root-1.stmt"), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    fp = pack::trust::StatementSha256(ss.str());
  }
  d.Say("root fingerprint (printed, sealed, compared by every office): " + fp);

  d.Step("a synthetic city: counties, schools, students (no real person)");
  if (!d.Expect(0, {"synth", "-o", "city-data", "--level", "city", "--seed",
                    "11", "--students", std::to_string(students), "-q"}))
    return 1;
  std::vector<std::string> counties = Sorted(d.Path("city-data"));
  std::map<std::string, std::vector<std::string>> schools;
  std::size_t nschools = 0;
  for (const std::string& c : counties) {
    schools[c] = Sorted(d.Path("city-data/" + c));
    nschools += schools[c].size();
  }
  d.Say(fmt::format("{} counties, {} schools in city-data/", counties.size(),
                    nschools));

  d.Step(
      "every office sets up its home: root installed by fingerprint, "
      "office identity and clerk key made, a request for its certificate");
  struct Office {
    std::string home, code, level, name;
  };
  std::vector<Office> offices = {
      {"province", "340000", "province", "安徽省教育厅"},
      {"city", "3401", "city", "合肥市教育局"}};
  for (const std::string& c : counties) {
    offices.push_back({"county-" + c, c, "county", "教育局 " + c});
  }
  for (const std::string& c : counties) {
    for (const std::string& s : schools[c]) {
      offices.push_back(
          {"school-" + s, s, "school",
           SchoolName(d.Path("city-data/" + c + "/" + s + "/school.csv"))});
    }
  }
  for (std::size_t i = 0; i < offices.size(); ++i) {
    const Office& o = offices[i];
    // A deputy clerk, and for offices that certify, two leaders.
    if (!keygen(o.home + "-clerk2")) return 1;
    std::vector<std::string> args = {
        "init",   "--home",      o.home,
        "--code", o.code,        "--level",
        o.level,  "--name",      o.name,
        "--root", "root-1.stmt", "--fingerprint",
        fp,       "--clerk",     o.home + "-clerk2.pub",
        pw,       pwf,           wf,
        wfn,      "-q"};
    if (o.level != "school") {
      if (!keygen(o.home + "-leader1") || !keygen(o.home + "-leader2"))
        return 1;
      for (const char* l : {"-leader1.pub", "-leader2.pub"}) {
        args.push_back("--leader");
        args.push_back(o.home + l);
      }
    }
    bool show = i < 3 || i == offices.size() - 1;
    if (i == 3)
      d.Say(fmt::format("... and {} more offices", offices.size() - 4));
    if (!d.Expect(0, args, show, !show)) return 1;
  }

  d.Step(
      "certificates down the hierarchy: the root (two custodians) for the "
      "province office, each parent's leader for its children");
  if (!d.Expect(0, {"cert", "issue", "--by-root", "--request",
                    "province/request.stmt", "-k", "custodian1.key", "-o",
                    "cert-province", "--home", "province", pw, pwf}))
    return 1;
  if (!d.Expect(0, {"trust", "sign", "cert-province/cert-root-000001.stmt",
                    "-k", "custodian3.key", pw, pwf}))
    return 1;
  if (!d.Expect(0, {"cert", "install", "cert-province", "--home", "province"}))
    return 1;
  // The province's list of school codes, signed a county at a time; it
  // goes down with the certificates, and a code not on it is refused.
  {
    std::ofstream list(d.Path("schools.csv"));
    list << "school_code,school_name,county_code,school_type\n";
    for (const std::string& c : counties) {
      for (const std::string& s : schools[c])
        list << SchoolListRow(
                    d.Path("city-data/" + c + "/" + s + "/school.csv"))
             << "\n";
    }
  }
  if (!d.Expect(0, {"trust", "schools", "schools.csv", "-k",
                    "province-leader1.key", "--home", "province", pw, pwf}))
    return 1;
  auto issue = [&](const std::string& parent, const Office& child,
                   std::vector<std::string> extra, bool show) {
    std::vector<std::string> a = {"cert",      "issue",
                                  "--request", child.home + "/request.stmt",
                                  "-k",        parent + "-leader1.key",
                                  "-o",        "cert-" + child.home,
                                  "--home",    parent,
                                  pw,          pwf,
                                  "-q"};
    a.insert(a.end(), extra.begin(), extra.end());
    return d.Expect(0, a, show, !show) &&
           d.Expect(0,
                    {"cert", "install", "cert-" + child.home, "--home",
                     child.home, "-q"},
                    show, !show);
  };
  if (!issue("province", offices[1], {"--scope", "3401"}, true)) return 1;
  for (std::size_t i = 2; i < offices.size(); ++i) {
    const Office& o = offices[i];
    bool show = i == 2 || i == 2 + counties.size();
    if (o.level == "county") {
      if (!issue("city", o, {"--scope", o.code}, show)) return 1;
    } else {
      std::string county;
      for (const auto& [c, list] : schools) {
        if (std::find(list.begin(), list.end(), o.code) != list.end())
          county = c;
      }
      if (!issue("county-" + county, o, {}, show)) return 1;
    }
  }
  d.Say(fmt::format("{} certificates issued and installed", offices.size()));

  d.Step("a school checks its registry; a planted mistake is found, masked");
  std::string c0 = counties[0], s0 = schools[c0][0];
  if (!d.Expect(0, {"synth", "-o", "flawed", "--seed", "11", "--students", "60",
                    "--defects", "check-digit,unflagged-migrant", "-q"}))
    return 1;
  d.Run({"check", "flawed"});
  if (!d.Expect(0, {"check", "city-data/" + c0 + "/" + s0, "-q"})) return 1;
  d.Say("the real registry checks clean");

  d.Step(
      "each school packs its registry for its county (signed, encrypted, "
      "with its certificate chain)");
  {
    std::error_code ec;  // the sticks' mount points
    for (const std::string& c : counties)
      fs::create_directories(d.Path("stick-" + c), ec);
    fs::create_directories(d.Path("stick-city"), ec);
    fs::create_directories(d.Path("stick-province"), ec);
  }
  for (const std::string& c : counties) {
    for (const std::string& s : schools[c]) {
      bool show = c == c0 && s == s0;
      if (!d.Expect(0,
                    {"pack", "city-data/" + c + "/" + s, "--to", c, "-o",
                     "stick-" + c, "--home", "school-" + s, pw, pwf},
                    show, !show))
        return 1;
    }
  }
  d.Say(fmt::format("{} school bundles on {} county sticks", nschools,
                    counties.size()));
  std::string b0 =
      Xj("stick-" + c0) + "/" + Only(d.Path(Xj("stick-" + c0)), s0);
  if (!d.Expect(0, {"inspect", b0, "--home", "county-" + c0})) return 1;

  d.Step(
      "each county verifies its schools' bundles and merges them for the "
      "city, auditing across its schools");
  // `xjpack merge` of every bundle on a stick, addressed to `to`.
  auto merge = [&](const std::string& stick, const std::string& to,
                   const std::string& out, const std::string& home) {
    std::vector<std::string> a = {"merge"};
    for (const std::string& n : Sorted(d.Path(Xj(stick))))
      a.push_back(Xj(stick) + "/" + n);
    for (const std::string& x : {std::string("--to"), to, std::string("-o"),
                                 out, std::string("--home"), home, pw, pwf})
      a.push_back(x);
    return a;
  };
  for (const std::string& c : counties) {
    bool show = c == c0;
    if (!d.Expect(0, merge("stick-" + c, "3401", "stick-city", "county-" + c),
                  show, !show))
      return 1;
  }

  d.Step(
      "a county tries to go around its city, straight to the province: the "
      "province verifies the signatures and refuses the route");
  {
    std::error_code ec;
    fs::create_directories(d.Path("stick-detour"), ec);
    if (!d.Expect(
            0, merge("stick-" + c0, "340000", "stick-detour", "county-" + c0),
            true, true))
      return 1;
    std::string detour = Xj("stick-detour") + "/" +
                         Only(d.Path(Xj("stick-detour")), c0 + "-340000-");
    if (!d.Expect(1, {"unpack", detour, "-o", "province-intake", "--home",
                      "province", pw, pwf}))
      return 1;
    d.Say("refused: nothing was unpacked or recorded");
  }

  d.Step("the city merges its counties; the bundle waits for the leader");
  if (!d.Expect(0, merge("stick-city", "340000", "stick-province", "city")))
    return 1;
  std::string waiting = Only(d.Path(Xj("stick-province")), "3401-");
  d.Step("the city's leader reads the summary and approves with their own key");
  if (!d.Expect(0, {"approve", Xj("stick-province") + "/" + waiting, "-k",
                    "city-leader1.key", "--yes", "--print", "approval.txt",
                    "--home", "city", pw, pwf}))
    return 1;
  std::string city_bundle =
      Xj("stick-province") + "/" + Only(d.Path(Xj("stick-province")), "3401-");

  d.Step("the stick is carried to the province, which verifies it");
  if (!d.Expect(0, {"verify", city_bundle, "--home", "province", "--strict"}))
    return 1;

  d.Step(
      "the province unpacks: every county and school signature checked "
      "down to the schools, then recorded, and a receipt signed");
  if (!d.Expect(0, {"unpack", city_bundle, "-o", "province-intake", "--home",
                    "province", "--strict", pw, pwf}))
    return 1;
  d.Say("importing the same stick again changes nothing:");
  if (!d.Expect(0, {"unpack", city_bundle, "-o", "province-intake", "--home",
                    "province", pw, pwf}))
    return 1;

  d.Step("the receipt goes back down to the city");
  if (!d.Expect(0, {"receipt", "province/outbox/receipts", "--home", "city"}))
    return 1;

  d.Step("a tampered stick is refused, and nothing is unpacked");
  {
    std::error_code ec;
    fs::copy(d.Path(city_bundle), d.Path("tampered"),
             fs::copy_options::recursive, ec);
    // One bit of the payload flipped (not a byte overwritten, which may
    // have held that value already).
    std::fstream f(d.Path("tampered/payload.tar.zst.age"),
                   std::ios::in | std::ios::out | std::ios::binary);
    char c = 0;
    f.seekg(5000);
    f.get(c);
    f.seekp(5000);
    f.put(static_cast<char>(c ^ 0x01));
    f.flush();
    if (ec || !f) {
      std::fprintf(stderr, "xjpack: error: demo: could not make %s\n",
                   d.Path("tampered/payload.tar.zst.age").c_str());
      return 1;
    }
  }
  if (!d.Expect(1, {"verify", "tampered", "--home", "province"})) return 1;
  d.Step("done");
  return 0;
}

}  // namespace

int RunDemo(Cli& cli, const std::vector<std::string>& args) {
  std::string dir;
  int students = 3000;
  po::options_description desc("options");
  desc.add_options()("output,o", po::value(&dir)->value_name("DIR"),
                     "the scratch folder to make (default: a new one under "
                     "$TMPDIR or /tmp); it is kept for a look afterwards")(
      "students", po::value(&students)->value_name("N"),
      "about this many students in the synthetic city (default 3000)");
  AddCommonOptions(desc, cli, /*force=*/false, /*passphrase=*/false);
  po::variables_map vm;
  int code;
  if (!ParseArgs(cli, args, desc, {}, "xjpack demo [-o DIR]",
                 "Runs the whole flow on a synthetic city, printing each "
                 "step: the province's root, every office's certificate, "
                 "schools' bundles, county and city merges, the leader's "
                 "approval, the province's intake and receipts.",
                 &vm, &code)) {
    return code;
  }
  if (students < 100 || students > 1000000)
    return cli.Usage("--students is 100 to 1000000");
  if (dir.empty()) {
    Result<std::string> made = os::MakeTempDirectory("xjpack-demo-");
    if (!made.ok()) return cli.Fail(made.status());
    dir = *made;
  } else if (Status made = os::MakeDirectory(dir, 0700); !made.ok()) {
    return cli.Fail(made);
  }
  Result<std::string> exe = os::ExecutablePath();
  if (!exe.ok()) return cli.Fail(exe.status());
  std::printf("xjpack demo in %s\n", dir.c_str());
  Demo d(*exe, dir, cli.flags.quiet);
  int rc = RunAll(d, students);
  if (rc != 0) return kExitRejected;
  std::printf("\neverything is in %s (remove it when done)\n", dir.c_str());
  return kExitOk;
}

}  // namespace xj::cli
