// cli/completion.h — `telltale completion bash|zsh|fish`: shell completions of every command and
// flag, written from the command tree itself, so they cannot fall behind it.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <string_view>

namespace tt::cli {

// The script for `shell` ("bash", "zsh", "fish"), completing `root`'s commands (and their
// aliases) and flags; after a flag that takes a value, the shell's own (file) completion.
std::string completion_script(const CLI::App& root, std::string_view shell);

}  // namespace tt::cli
