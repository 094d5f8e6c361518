// ctl/commands.h — `telltale ctl`: the API's resources from a shell (seed 000's nodectl), its
// command tree built from ctl/resources.h. CLI11 parses; the verb chosen is carried out after.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>

namespace tt::ctl {

struct Chosen {
  std::function<int()> run;  // set by the verb's callback during parsing; empty: none chosen
};

// Adds `ctl` under `root`. Usage errors of `ctl` end with exit code 2 (see api.h's Exit).
std::shared_ptr<Chosen> add_commands(CLI::App& root);

}  // namespace tt::ctl
