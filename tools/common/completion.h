// The bash completion script, made from the same option tables that each
// verb's --help prints (Cli's describe mode), so that the two cannot drift.
// The build writes it with `xjpack --bash-completion`; the package installs
// it as /usr/share/bash-completion/completions/xjpack.
#pragma once

#include <span>
#include <string>

#include "verbs/verbs.h"

namespace xj::cli {

/// Every verb's shape, in the order of `verbs`: a verb with subcommands is
/// followed by the shape of each of them.
std::vector<CommandShape> DescribeVerbs(std::span<const Verb> verbs);

/// The bash completion script for `verbs`.
std::string BashCompletion(std::span<const Verb> verbs);

}  // namespace xj::cli
