// UTF-8 validity (RFC 3629: no overlongs, no surrogates, at most U+10FFFF).
#pragma once

#include <string_view>

namespace xj::formats {

bool IsValidUtf8(std::string_view text);

}  // namespace xj::formats
