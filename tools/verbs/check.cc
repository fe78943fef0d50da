// xjpack check: a registry folder (or a tree of them) against the schema.
#include "registry/check.h"

#include <cstdio>

#include "registry/rules.h"
#include "verbs/verbs.h"

namespace xj::cli {
namespace {

class TextSink final : public registry::FindingSink {
 public:
  explicit TextSink(bool errors_only) : errors_only_(errors_only) {}
  void Report(const registry::Finding& f) override {
    if (errors_only_ && f.severity() != registry::Severity::kError) return;
    std::printf("%s\n", registry::FormatFinding(f).c_str());
  }

 private:
  bool errors_only_;
};

// Streams {"...","findings":[ f, f, ... ],"totals":...} on standard output.
class JsonSink final : public registry::FindingSink {
 public:
  void Report(const registry::Finding& f) override {
    std::printf(
        "%s\n  {\"severity\":%s,\"file\":%s,\"line\":%llu,\"field\":%s,"
        "\"rule\":%s,\"message\":%s,\"value\":%s}",
        first_ ? "" : ",",
        JsonString(registry::SeverityName(f.severity())).c_str(),
        JsonString(f.file).c_str(), static_cast<unsigned long long>(f.line),
        JsonString(f.field).c_str(),
        JsonString(registry::RuleId(f.rule)).c_str(),
        JsonString(f.message).c_str(), JsonString(f.value).c_str());
    first_ = false;
  }

 private:
  bool first_ = true;
};

// --rules: every audit rule, one a line (id, severity, title), in the
// reader's language; with --json, one object with both titles.
int ListRules(const Cli& cli) {
  bool zh = ChineseLocale();
  if (cli.flags.json) std::printf("{\"verb\":\"check\",\"rules\":[");
  bool first = true;
  for (const registry::RuleInfo& r : registry::AllRules()) {
    std::string_view severity = registry::SeverityName(r.severity);
    if (cli.flags.json) {
      std::printf(
          "%s\n  {\"id\":%s,\"severity\":%s,\"title_zh\":%s,"
          "\"title_en\":%s}",
          first ? "" : ",", JsonString(r.id).c_str(),
          JsonString(severity).c_str(), JsonString(r.title_zh).c_str(),
          JsonString(r.title_en).c_str());
    } else if (zh) {
      std::printf("%.*s\t%s\t%.*s\n", static_cast<int>(r.id.size()),
                  r.id.data(),
                  r.severity == registry::Severity::kError ? "错误" : "警告",
                  static_cast<int>(r.title_zh.size()), r.title_zh.data());
    } else {
      std::printf("%.*s\t%.*s\t%.*s\n", static_cast<int>(r.id.size()),
                  r.id.data(), static_cast<int>(severity.size()),
                  severity.data(), static_cast<int>(r.title_en.size()),
                  r.title_en.data());
    }
    first = false;
  }
  if (cli.flags.json) std::printf("\n]}\n");
  return kExitOk;
}

std::string Plural(std::uint64_t n, std::string_view one,
                   std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

}  // namespace

int RunCheck(Cli& cli, const std::vector<std::string>& args) {
  registry::CheckOptions opt;
  std::string schema_path, encoding = "auto";
  bool rules = false;
  po::options_description desc("options");
  desc.add_options()("dir", po::value(&opt.dir)->value_name("DIR"),
                     "the school folder, or a folder of school folders")(
      "previous", po::value(&opt.previous)->value_name("DIR"),
      "last year's registry of the same school(s), for year-over-year checks")(
      "schema", po::value(&schema_path)->value_name("FILE"),
      "check against this schema instead of the installed one")(
      "encoding", po::value(&encoding)->value_name("ENC"),
      "auto (default: BOM, then UTF-8, then GB18030), utf-8 or gb18030")(
      "rules", po::bool_switch(&rules),
      "list every audit rule (id, error or warning, title) and exit");
  AddCommonOptions(desc, cli, /*force=*/false, /*passphrase=*/false);
  po::positional_options_description pos;
  pos.add("dir", 1);
  po::variables_map vm;
  int code;
  if (!ParseArgs(
          cli, args, desc, pos,
          "xjpack check DIR [--previous DIR] [--json]\n"
          "       xjpack check --rules [--json]",
          "Checks a school's registry files against the schema and the audit "
          "rules, and reports every finding. Exit status 0 means no errors "
          "(warnings allowed), 1 that errors were found.",
          &vm, &code)) {
    return code;
  }
  if (rules) {
    if (!opt.dir.empty()) return cli.Usage("--rules takes no DIR");
    return ListRules(cli);
  }
  if (opt.dir.empty()) return cli.Usage("the registry folder DIR is required");
  Result<formats::csv::Encoding> enc = formats::csv::ParseEncoding(encoding);
  if (!enc.ok()) return cli.Usage(enc.status().message());
  opt.encoding = *enc;
  Result<registry::RegistryData> data = registry::LoadRegistryData(schema_path);
  if (!data.ok()) return cli.Fail(data.status());
  const auto& schema = *data->schema;
  cli.Detail(fmt::format("schema {} from {} (sha256 {})", schema.Label(),
                         data->schema_path, schema.sha256));

  TextSink text(/*errors_only=*/cli.flags.quiet);
  JsonSink json;
  if (cli.flags.json) {
    std::printf(
        "{\"verb\":\"check\",\"schema\":{\"id\":%s,\"version\":%s,"
        "\"sha256\":%s},\"directory\":%s,\"previous\":%s,\"findings\":[",
        JsonString(schema.id).c_str(), JsonString(schema.version).c_str(),
        JsonString(schema.sha256).c_str(), JsonString(opt.dir).c_str(),
        opt.previous.empty() ? "null" : JsonString(opt.previous).c_str());
  }
  Result<registry::CheckTotals> totals = registry::CheckRegistry(
      *data, opt,
      cli.flags.json ? static_cast<registry::FindingSink&>(json) : text);
  if (!totals.ok()) {
    if (cli.flags.json) {
      // Close the document with the error, so the output stays one object.
      const Status& st = totals.status();
      std::printf(
          "],\"ok\":false,\"error\":{\"code\":%s,\"message\":%s,\"exit\":%d}}"
          "\n",
          JsonString(CodeName(st.code())).c_str(),
          JsonString(st.message()).c_str(), ExitCodeFor(st));
      cli.flags.json = false;
    }
    return cli.Fail(totals.status());
  }
  std::uint64_t records = 0;
  for (const auto& [file, n] : totals->records) records += n;
  if (cli.flags.json) {
    std::string per_file;
    for (const auto& [file, n] : totals->records) {
      per_file += fmt::format("{}{}:{}", per_file.empty() ? "" : ",",
                              JsonString(file), n);
    }
    std::printf(
        "\n],\"totals\":{\"schools\":%llu,\"records\":{%s},\"errors\":%llu,"
        "\"warnings\":%llu,\"abandoned_files\":%llu,\"normalized_fields\":%llu,"
        "\"gb18030_files\":%llu,\"cross_school_keys\":%llu,"
        "\"cross_school_seconds\":%.3f},\"ok\":%s}\n",
        static_cast<unsigned long long>(totals->schools), per_file.c_str(),
        static_cast<unsigned long long>(totals->errors),
        static_cast<unsigned long long>(totals->warnings),
        static_cast<unsigned long long>(totals->abandoned_files),
        static_cast<unsigned long long>(totals->normalized_fields),
        static_cast<unsigned long long>(totals->gb18030_files),
        static_cast<unsigned long long>(totals->cross_school_keys),
        totals->cross_school_seconds, totals->errors == 0 ? "true" : "false");
  } else if (!cli.flags.quiet) {
    std::printf("checked %s, %s against schema %s (sha256 %s): %s, %s\n",
                Plural(totals->schools, "school", "schools").c_str(),
                Plural(records, "record", "records").c_str(),
                schema.Label().c_str(), schema.sha256.substr(0, 16).c_str(),
                Plural(totals->errors, "error", "errors").c_str(),
                Plural(totals->warnings, "warning", "warnings").c_str());
  }
  return totals->errors == 0 ? kExitOk : kExitRejected;
}

}  // namespace xj::cli
