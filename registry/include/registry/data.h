// The data files installed with xjpack that the registry checks need: the
// schema, the division-code tables and (for synthetic data) name parts.
//
// They are found in $XJPACK_DATA_DIR when set, else in share/xjpack beside
// the program (<prefix>/bin/xjpack → <prefix>/share/xjpack; the build tree
// has the same shape).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "registry/divisions.h"
#include "registry/schema.h"

namespace xj::registry {

/// The folder holding the installed data files.
Result<std::string> DataDir();

/// The codes the audit rules rely on, per table; a schema must have them.
const std::map<std::string, std::vector<std::string>>& AuditCodes();

struct RegistryData {
  std::unique_ptr<registry::Schema> schema;
  std::string schema_path;
  registry::Divisions divisions;
};

/// Loads the schema (`schema_path`, or registry.xjschema from DataDir())
/// and the division tables. Messages name the file.
Result<RegistryData> LoadRegistryData(const std::string& schema_path = "");

}  // namespace xj::registry
