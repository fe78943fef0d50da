#include "registry/data.h"

#include <cstdlib>

#include "base/os.h"

namespace xj::registry {

Result<std::string> DataDir() {
  const char* env = std::getenv("XJPACK_DATA_DIR");
  if (env != nullptr && *env != '\0') {
    if (!os::IsDirectory(env)) {
      return Error(Code::kNotFound, "XJPACK_DATA_DIR={} is not a folder", env);
    }
    return std::string(env);
  }
  XJ_ASSIGN_OR_RETURN(std::string exe, os::ExecutablePath());
  std::string dir = os::DirName(os::DirName(exe)) + "/share/xjpack";
  if (!os::IsDirectory(dir)) {
    return Error(Code::kNotFound,
                 "the data folder {} is missing (a broken installation?)", dir)
        .WithHint(
            "set XJPACK_DATA_DIR to the folder holding registry.xjschema");
  }
  return dir;
}

const std::map<std::string, std::vector<std::string>>& AuditCodes() {
  static const std::map<std::string, std::vector<std::string>> kCodes = {
      {"sex", {"1", "2"}},
      {"yes-no", {"0", "1"}},
      {"id-type", {"1", "Z"}},
      {"status", {"1", "2", "3"}},
      {"health", {"50"}},
      {"disability", {"0"}},
      {"inclusive", {"0"}},
      {"school-type", {"21", "31", "34"}},
      {"change-type",
       {"11", "12", "13", "21", "23", "24", "26", "27", "28", "33", "34",
        "36"}},
      {"summary-metric",
       {"enrolled", "suspended", "dropped-out", "admitted", "resumed",
        "transferred-in", "graduated", "suspension", "withdrawal", "death",
        "transferred-out", "dropout", "repeat", "skip", "extension"}},
  };
  return kCodes;
}

Result<RegistryData> LoadRegistryData(const std::string& schema_path) {
  RegistryData data;
  std::string dir;
  if (schema_path.empty()) {
    XJ_ASSIGN_OR_RETURN(dir, DataDir());
    data.schema_path = dir + "/registry.xjschema";
  } else {
    data.schema_path = schema_path;
  }
  XJ_ASSIGN_OR_RETURN(Bytes schema_text,
                      os::ReadFile(data.schema_path, 4 << 20));
  Result<std::unique_ptr<registry::Schema>> schema =
      registry::ParseSchema(AsChars(schema_text), AuditCodes());
  if (!schema.ok()) return schema.status().WithContext(data.schema_path);
  data.schema = std::move(schema).value();
  if (dir.empty()) {
    XJ_ASSIGN_OR_RETURN(dir, DataDir());
  }
  std::string div_path = dir + "/divisions.csv";
  XJ_ASSIGN_OR_RETURN(Bytes div_text, os::ReadFile(div_path, 16 << 20));
  Result<registry::Divisions> divisions =
      registry::Divisions::Parse(AsChars(div_text));
  if (!divisions.ok()) return divisions.status().WithContext(div_path);
  data.divisions = std::move(divisions).value();
  return data;
}

}  // namespace xj::registry
