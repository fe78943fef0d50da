// README.txt in a bundle folder (xjpack-bundle(5)): what the statement
// says, for people, in Chinese and English, with how to verify, open and
// recover the bundle. Made from the statement alone, so a reader can tell
// whether the README on a stick is the one its statement gives; only the
// signed statement counts.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "formats/statement.h"

namespace xj::formats {

/// UTF-8 with a byte order mark and CRLF line ends, for Notepad.
/// `volume_names`: the payload's file names, in order; `payload`: the name
/// of a lone volume (the stem of numbered ones).
std::string BundleReadme(const trust::BundleStatement& statement,
                         std::string_view fingerprint,
                         const std::vector<std::string>& volume_names,
                         std::string_view payload);

}  // namespace xj::formats
