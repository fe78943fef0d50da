// Feeds bytes to the registry schema parser (formats/registry_schema.h),
// first without, then with the codes the audit rules need. The schema has
// no writer, so the assertions are its promises: the SHA-256 is of the
// exact bytes, every table-validated field points at a table of this
// schema, conditions and id-number types name fields of the same file,
// lengths and ranges are in bounds, and each field's example can be
// checked and masked (a mask never splits a UTF-8 character).
#include <cstdint>

#include "formats/utf8.h"
#include "fuzz_util.h"
#include "keys/crypto.h"
#include "registry/data.h"
#include "registry/schema.h"
#include "registry/values.h"

namespace {

using namespace xj;
namespace reg = registry;

void CheckSchema(const reg::Schema& schema, std::string_view text) {
  FUZZ_CHECK(schema.sha256 == keys::Sha256Hex(AsBytes(text)));
  FUZZ_CHECK(!schema.id.empty() && !schema.version.empty());
  FUZZ_CHECK(!schema.files.empty());
  for (const auto& [name, table] : schema.tables) {
    FUZZ_CHECK(table->name == name && !table->codes.empty());
    FUZZ_CHECK(table->index.size() == table->codes.size());
    for (std::size_t i = 0; i < table->codes.size(); ++i)
      FUZZ_CHECK(table->Find(table->codes[i].code) == &table->codes[i]);
  }
  for (const reg::FileSpec& file : schema.files) {
    FUZZ_CHECK(schema.File(file.name) == &file);
    FUZZ_CHECK(!file.fields.empty());
    for (std::size_t i = 0; i < file.fields.size(); ++i) {
      const reg::FieldSpec& f = file.fields[i];
      FUZZ_CHECK(file.FieldIndex(f.name) == static_cast<int>(i));
      if (f.validator == reg::Validator::kTable) {
        FUZZ_CHECK(f.table != nullptr);
        FUZZ_CHECK(schema.Table(f.table->name) == f.table);
      }
      if (f.validator == reg::Validator::kText)
        FUZZ_CHECK(f.max >= 1 && f.max <= 4000);
      if (f.validator == reg::Validator::kInt)
        FUZZ_CHECK(f.min >= 0 && f.min <= f.max);
      if (!f.condition_field.empty()) {
        FUZZ_CHECK(f.condition_index >= 0 &&
                   f.condition_index < static_cast<int>(file.fields.size()));
        FUZZ_CHECK(
            file.fields[static_cast<std::size_t>(f.condition_index)].name ==
            f.condition_field);
        FUZZ_CHECK(!f.condition_values.empty());
      }
      if (f.validator == reg::Validator::kIdNumber ||
          f.validator == reg::Validator::kIdNumberAny) {
        FUZZ_CHECK(f.type_index >= 0 &&
                   f.type_index < static_cast<int>(file.fields.size()));
      }
      if (f.example.empty()) continue;
      reg::ValueContext ctx;
      ctx.census = {2026, 9, 30};
      ctx.type_value = "1";
      std::optional<reg::Problem> p = reg::CheckValue(f, f.example, ctx);
      if (p) FUZZ_CHECK(p->rule < reg::Rule::kCount && !p->message.empty());
      FUZZ_CHECK(formats::IsValidUtf8(reg::MaskValue(f.mask, f.example)));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  std::string_view text = fuzz::AsText(data, size);
  Result<std::unique_ptr<reg::Schema>> schema = reg::ParseSchema(text);
  if (!schema.ok()) return 0;
  CheckSchema(**schema, text);
  Result<std::unique_ptr<reg::Schema>> audited =
      reg::ParseSchema(text, registry::AuditCodes());
  if (audited.ok()) CheckSchema(**audited, text);
  return 0;
}
