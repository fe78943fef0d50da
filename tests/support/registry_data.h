// The installed registry data (schema, division tables), loaded once for
// all the unit tests that need it.
#pragma once

#include <doctest/doctest.h>

#include "registry/data.h"

namespace xj::test {

inline const registry::RegistryData& RegistryData() {
  static registry::RegistryData* data = [] {
    Result<registry::RegistryData> d = registry::LoadRegistryData();
    REQUIRE_MESSAGE(d.ok(), d.status().ToString());
    return new registry::RegistryData(std::move(d).value());
  }();
  return *data;
}

}  // namespace xj::test
