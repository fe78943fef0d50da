// Feeds one registry value, as a CSV field hands it out (valid UTF-8, NFC
// not required), to the value checks (formats/registry_values.h) and to
// the masks (formats/registry_schema.h: MaskValue). The first byte picks
// the validator, the second the mask and the document type; the rest is
// the value. Divisions come from a small built-in table. Asserts that a
// problem always has a rule and a message, that the message never echoes
// the value (personal values are shown only masked), and that a mask keeps
// the text valid UTF-8 and hides long ids and names.
#include <cstdint>

#include "formats/utf8.h"
#include "fuzz_util.h"
#include "registry/divisions.h"
#include "registry/schema.h"
#include "registry/values.h"

namespace {

using namespace xj;
namespace reg = registry;

constexpr std::string_view kDivisions =
    "code,name,level,parent_code,first_seen,last_seen,current\n"
    "110000,北京市,province,,200212,202306,yes\n"
    "110101,东城区,county,110100,200212,202306,yes\n"
    "340000,安徽省,province,,200212,202306,yes\n"
    "340100,合肥市,prefecture,340000,200212,202306,yes\n"
    "340104,蜀山区,county,340100,200212,202306,yes\n"
    "340104,西市区,county,340100,pre-2002,pre-2002,no\n"
    "342101,阜阳市,county,342100,pre-2002,pre-2002,no\n";

const registry::Divisions& Divisions() {
  static const registry::Divisions* d = [] {
    Result<registry::Divisions> parsed = registry::Divisions::Parse(kDivisions);
    FUZZ_CHECK(parsed.ok());
    return new registry::Divisions(std::move(parsed).value());
  }();
  return *d;
}

const reg::CodeTable& Table() {
  static const reg::CodeTable* t = [] {
    auto* table = new reg::CodeTable;
    table->name = "sex";
    table->codes = {{"1", "男", "male"}, {"2", "女", "female"}};
    table->index = {{"1", 0}, {"2", 1}};
    return table;
  }();
  return *t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  if (size < 3) return 0;
  std::string_view value = fuzz::AsText(data + 2, size - 2);
  if (!formats::IsValidUtf8(value)) return 0;
  reg::FieldSpec field;
  field.validator = static_cast<reg::Validator>(
      data[0] % (static_cast<int>(reg::Validator::kPhoto) + 1));
  field.min = 0;
  field.max = field.validator == reg::Validator::kText ? 30 : 120;
  field.table = &Table();
  field.type_field = "id_type";
  field.type_index = 0;
  auto mask = static_cast<reg::Mask>((data[1] & 7) % 6);
  reg::ValueContext ctx;
  ctx.divisions = (data[1] & 8) ? nullptr : &Divisions();
  ctx.census = {2026, 9, 30};
  ctx.type_value = (data[1] & 16) ? "1" : "2";

  std::optional<reg::Problem> p = reg::CheckValue(field, value, ctx);
  if (p) {
    FUZZ_CHECK(p->rule < reg::Rule::kCount && !p->message.empty());
    FUZZ_CHECK(formats::IsValidUtf8(p->message));
    // A message may hold fixed text that happens to contain the value (an
    // example number); it leaks the value if it changes with it.
    if (value.size() >= 6 && p->message.find(value) != std::string::npos) {
      std::string other(value);
      other[0] = other[0] >= '0' && other[0] <= '8' ? other[0] + 1 : '0';
      std::optional<reg::Problem> q = reg::CheckValue(field, other, ctx);
      FUZZ_CHECK(!q || q->rule != p->rule ||
                 q->message.find(other) == std::string::npos);
    }
  }
  reg::CitizenId id;
  if (!reg::CheckCitizenId(value, true, ctx, &id)) {
    FUZZ_CHECK(id.birth.m >= 1 && id.birth.m <= 12);
  }
  std::string masked = reg::MaskValue(mask, value);
  FUZZ_CHECK(formats::IsValidUtf8(masked));
  std::size_t chars = 0;
  for (char c : value) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  bool hideable = value.find('*') == std::string_view::npos;
  if (hideable && ((mask == reg::Mask::kId && value.size() >= 12) ||
                   (mask == reg::Mask::kName && chars >= 2) ||
                   (mask == reg::Mask::kPhone && value.size() >= 8))) {
    FUZZ_CHECK(masked != value);
  }
  return 0;
}
