// xjpack synth: deterministic synthetic registries.
#include "synth/synth.h"

#include <cstdio>

#include "base/os.h"
#include "verbs/verbs.h"

namespace xj::cli {

int RunSynth(Cli& cli, const std::vector<std::string>& args) {
  pack::SynthOptions opt;
  std::string defects;
  bool list = false;
  po::options_description desc("options");
  desc.add_options()("output,o", po::value(&opt.output)->value_name("DIR"),
                     "the folder to write (new or empty)")(
      "level", po::value(&opt.level)->value_name("LEVEL"),
      "school (default), county, city or province")(
      "code", po::value(&opt.code)->value_name("CODE"),
      "county code (school, county; default 340102) or prefecture code (city; "
      "default 340100)")("seed", po::value(&opt.seed)->value_name("N"),
                         "random seed (default 1)")(
      "year", po::value(&opt.year)->value_name("YEAR"),
      "census year: the census is on 30 September (default 2026)")(
      "students", po::value(&opt.students)->value_name("N"),
      "about this many students in all (default: a small set per level)")(
      "school-type", po::value(&opt.school_type)->value_name("TYPE"),
      "for --level school: 21 primary (default), 31 junior, 34 senior")(
      "previous", po::value(&opt.previous)->value_name("DIR"),
      "also write last year's registry here, for check --previous")(
      "photos", po::bool_switch(&opt.photos),
      "write a photo file for each student")(
      "gb18030", po::bool_switch(&opt.gb18030),
      "write the CSV files in GB18030, as Excel on Chinese Windows does")(
      "defects", po::value(&defects)->value_name("KIND,..."),
      "plant these defects (or all); see --list-defects")(
      "answer-key", po::value(&opt.answer_key)->value_name("FILE"),
      "where to write the defects' expected findings (default: "
      "DIR.answer-key.csv)")("list-defects", po::bool_switch(&list),
                             "list the defect kinds and exit");
  AddCommonOptions(desc, cli, /*force=*/false, /*passphrase=*/false);
  po::positional_options_description pos;
  po::variables_map vm;
  int code;
  if (!ParseArgs(cli, args, desc, pos,
                 "xjpack synth -o DIR [--level LEVEL] [options]",
                 "Writes a synthetic registry (no real person) for tests and "
                 "demonstrations; the same options give the same bytes.",
                 &vm, &code)) {
    return code;
  }
  if (list) {
    for (const pack::DefectKind& k : pack::DefectKinds()) {
      std::printf("%-26s %.*s%s\n", std::string(k.name).c_str(),
                  static_cast<int>(k.description.size()), k.description.data(),
                  k.needs_previous ? " (needs --previous)"
                  : k.needs_tree   ? " (needs more than one school)"
                  : k.needs_photos ? " (needs --photos)"
                                   : "");
    }
    return kExitOk;
  }
  if (opt.output.empty()) return cli.Usage("-o DIR is required");
  std::size_t start = 0;
  while (!defects.empty() && start <= defects.size()) {
    std::size_t comma = defects.find(',', start);
    std::string d = defects.substr(start, comma - start);
    if (!d.empty()) opt.defects.push_back(d);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (!opt.defects.empty() && opt.answer_key.empty()) {
    std::string out = opt.output;
    while (out.size() > 1 && out.back() == '/') out.pop_back();
    opt.answer_key = out + ".answer-key.csv";
  }
  if (!opt.answer_key.empty() && os::Exists(opt.answer_key)) {
    return cli.Fail(
        Error(Code::kAlreadyExists, "{} already exists", opt.answer_key)
            .WithHint("remove it, or name another with --answer-key"));
  }
  cli.Detail(fmt::format("level {}, seed {}, census {}-09-30", opt.level,
                         opt.seed, opt.year));
  Result<registry::RegistryData> data = registry::LoadRegistryData();
  if (!data.ok()) return cli.Fail(data.status());
  Result<pack::SynthTotals> t = pack::Synthesize(*data, opt);
  if (!t.ok()) return cli.Fail(t.status());
  if (cli.flags.json) {
    std::printf(
        "{\"ok\":true,\"verb\":\"synth\",\"output\":%s,\"schools\":%llu,"
        "\"students\":%llu,\"previous_students\":%llu,\"defects\":%llu,"
        "\"expected_findings\":%llu,\"answer_key\":%s}\n",
        JsonString(opt.output).c_str(),
        static_cast<unsigned long long>(t->schools),
        static_cast<unsigned long long>(t->students),
        static_cast<unsigned long long>(t->previous_students),
        static_cast<unsigned long long>(t->defects),
        static_cast<unsigned long long>(t->expected_findings),
        opt.answer_key.empty() ? "null" : JsonString(opt.answer_key).c_str());
    return kExitOk;
  }
  cli.Info(fmt::format("wrote {} school(s), {} students, to {}", t->schools,
                       t->students, opt.output));
  if (!opt.previous.empty()) {
    cli.Info(fmt::format("and last year's registry ({} students) to {}",
                         t->previous_students, opt.previous));
  }
  if (!opt.defects.empty()) {
    cli.Info(
        fmt::format("planted {} defect(s); the {} expected findings are in {}",
                    t->defects, t->expected_findings, opt.answer_key));
  }
  return kExitOk;
}

}  // namespace xj::cli
