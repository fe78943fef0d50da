// Feeds bytes to the xjtrust/1 bundle statement parser
// (formats/statement.h: ParseBundle, and ParseStatement under the bundle's
// label rules). Asserts the property signatures rely on: a statement that
// parses serialises to exactly the bytes it came from, both as a generic
// statement and as a BundleStatement, and the serialised form parses to
// the same serialisation again.
#include <cstdint>

#include "formats/statement.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  using namespace xj;
  namespace ft = formats::trust;
  std::string_view text = fuzz::AsText(data, size);

  Result<ft::Statement> st =
      ft::ParseStatement(text, "bundle", ft::BundleLabels());
  if (st.ok()) {
    FUZZ_CHECK(ft::SerializeStatement(*st) == text);
    for (const ft::Field& f : st->fields)
      FUZZ_CHECK(ft::CheckValue(f.value).ok());
  }
  Result<ft::BundleStatement> bundle = ft::ParseBundle(text);
  if (!bundle.ok()) return 0;
  FUZZ_CHECK(st.ok());
  std::string out = ft::SerializeBundle(*bundle);
  FUZZ_CHECK(out == text);
  Result<ft::BundleStatement> again = ft::ParseBundle(out);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(ft::SerializeBundle(*again) == out);
  FUZZ_CHECK(again->id ==
             ft::BundleId(again->sender, again->recipient, again->seq));
  return 0;
}
